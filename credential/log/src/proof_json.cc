#include "wathiq/log/proof_json.h"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "wathiq/core/crypto.h"
#include "wathiq/core/json.h"

namespace wathiq::log {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 3;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<uint64_t> GetSize(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return Fail(Errc::kMalformed, std::string("proof JSON: missing ") + name);
  if (!it->is_number_unsigned()) return Fail(Errc::kMalformed, std::string("proof JSON: ") + name + " must be an unsigned integer");
  return it->get<uint64_t>();
}

Result<Hash> ParseHex32(const json& v, const std::string& name) {
  if (!v.is_string()) return Fail(Errc::kMalformed, "proof JSON: " + name + " must be a hex string");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() != 64) return Fail(Errc::kMalformed, "proof JSON: " + name + " must be 64 hex digits");
  auto b = FromHex(s);
  if (!b || b->size() != 32) return Fail(Errc::kMalformed, "proof JSON: " + name + " is not hex");
  Hash h;
  std::copy(b->begin(), b->end(), h.begin());
  return h;
}

Result<Hash> GetHash(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return Fail(Errc::kMalformed, std::string("proof JSON: missing ") + name);
  return ParseHex32(*it, name);
}

Result<std::vector<Hash>> GetProof(const json& j) {
  auto it = j.find("proof");
  if (it == j.end()) return Fail(Errc::kMalformed, "proof JSON: missing proof");
  if (!it->is_array()) return Fail(Errc::kMalformed, "proof JSON: proof must be an array");
  if (it->size() > kMaxProofHashes) return Fail(Errc::kLimit, "proof JSON: more than 64 proof hashes");
  std::vector<Hash> out;
  for (size_t i = 0; i < it->size(); ++i) {
    WQ_ASSIGN(Hash h, ParseHex32((*it)[i], "proof[" + std::to_string(i) + "]"));
    out.push_back(h);
  }
  return out;
}

Status OnlyMembers(const json& j, std::initializer_list<const char*> allowed) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return it.key() == a; })) {
      return Fail(Errc::kMalformed, "proof JSON: unknown member \"" + it.key().substr(0, 40) + "\"");
    }
  }
  return Ok();
}

json HexArray(std::span<const Hash> proof) {
  json a = json::array();
  for (const Hash& h : proof) a.push_back(ToHex(h));
  return a;
}

}  // namespace

std::string ProofCheck::ToJson() const {
  json j = {{"type", type}, {"valid", valid}};
  if (!valid) j["reason"] = reason;
  return Dump(j);
}

Result<ProofCheck> CheckProofJson(std::string_view text) {
  if (text.size() > kMaxProofJsonBytes) return Fail(Errc::kLimit, "proof JSON: larger than 64 KiB");
  WQ_ASSIGN(json j, ParseJsonStrict(text, "proof JSON", kMaxProofJsonBytes, kMaxDepth));
  if (!j.is_object()) return Fail(Errc::kMalformed, "proof JSON: must be an object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return Fail(Errc::kMalformed, "proof JSON: missing type");
  ProofCheck out;
  out.type = type->get<std::string>();
  Status verdict;
  if (out.type == "inclusion") {
    WQ_TRY(OnlyMembers(j, {"type", "leaf_index", "tree_size", "leaf_hash", "proof", "root"}));
    WQ_ASSIGN(uint64_t index, GetSize(j, "leaf_index"));
    WQ_ASSIGN(uint64_t size, GetSize(j, "tree_size"));
    WQ_ASSIGN(Hash leaf, GetHash(j, "leaf_hash"));
    WQ_ASSIGN(std::vector<Hash> proof, GetProof(j));
    WQ_ASSIGN(Hash root, GetHash(j, "root"));
    verdict = VerifyInclusion(index, size, leaf, proof, root);
  } else if (out.type == "consistency") {
    WQ_TRY(OnlyMembers(j, {"type", "size1", "size2", "root1", "root2", "proof"}));
    WQ_ASSIGN(uint64_t size1, GetSize(j, "size1"));
    WQ_ASSIGN(uint64_t size2, GetSize(j, "size2"));
    WQ_ASSIGN(Hash root1, GetHash(j, "root1"));
    WQ_ASSIGN(Hash root2, GetHash(j, "root2"));
    WQ_ASSIGN(std::vector<Hash> proof, GetProof(j));
    verdict = VerifyConsistency(size1, size2, proof, root1, root2);
  } else {
    return Fail(Errc::kMalformed, "proof JSON: type must be \"inclusion\" or \"consistency\"");
  }
  out.valid = verdict.has_value();
  if (!out.valid) out.reason = verdict.error().message;
  return out;
}

std::string InclusionProofJson(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                               std::span<const Hash> proof, const Hash& root) {
  json j = {{"type", "inclusion"}, {"leaf_index", leaf_index}, {"tree_size", tree_size},
            {"leaf_hash", ToHex(leaf_hash)}, {"proof", HexArray(proof)}, {"root", ToHex(root)}};
  return Dump(j);
}

std::string ConsistencyProofJson(uint64_t size1, uint64_t size2, std::span<const Hash> proof, const Hash& root1,
                                 const Hash& root2) {
  json j = {{"type", "consistency"}, {"size1", size1}, {"size2", size2}, {"root1", ToHex(root1)},
            {"root2", ToHex(root2)}, {"proof", HexArray(proof)}};
  return Dump(j);
}

}  // namespace wathiq::log
