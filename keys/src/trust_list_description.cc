// The trust-list description: strict JSON to TrustListContent, certificates read beside it.
#include "wathiq/keys/trust_list_description.h"

#include <string>
#include <vector>

#include "wathiq/core/file.h"
#include "wathiq/core/json.h"
#include "wathiq/core/text.h"
#include "wathiq/keys/x509.h"

namespace wathiq::keys {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 6;
constexpr size_t kMaxCertificateBytes = 256 * 1024;
constexpr int64_t kDay = 86400;

Error Bad(std::string_view where, const std::string& message) {
  return Error(Errc::kMalformed, "trust-list description: " + std::string(where) + message, "trust_list_description");
}

Result<std::string> Text(const json& o, const char* key, bool required, std::string_view where) {
  auto it = o.find(key);
  if (it == o.end()) {
    if (required) return Fail(Bad(where, "missing \"" + std::string(key) + "\""));
    return std::string();
  }
  if (!it->is_string()) return Fail(Bad(where, "\"" + std::string(key) + "\" must be a string"));
  return it->get<std::string>();
}

Result<std::optional<int64_t>> Number(const json& o, const char* key, std::string_view where) {
  auto it = o.find(key);
  if (it == o.end()) return std::optional<int64_t>();
  if (!it->is_number_unsigned() || it->get<uint64_t>() > uint64_t{1} << 62) {
    return Fail(Bad(where, "\"" + std::string(key) + "\" must be a non-negative integer"));
  }
  return std::optional<int64_t>(static_cast<int64_t>(it->get<uint64_t>()));
}

Result<std::vector<std::string>> Texts(const json& o, const char* key, std::string_view where) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end()) return out;
  if (!it->is_array()) return Fail(Bad(where, "\"" + std::string(key) + "\" must be an array of strings"));
  for (const auto& e : *it) {
    if (!e.is_string()) return Fail(Bad(where, "\"" + std::string(key) + "\" must be an array of strings"));
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<Bytes> ReadCertificateDer(const std::filesystem::path& base_dir, const std::string& file,
                                 std::string_view where) {
  std::filesystem::path path =
      std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : base_dir / file;
  auto bytes = ReadFileBytes(path.string(), kMaxCertificateBytes);
  if (!bytes) return Fail(Bad(where, "certificate " + Quoted(file) + ": " + bytes.error().message));
  auto cert = Certificate::FromBytes(*bytes);
  if (!cert) return Fail(Bad(where, "certificate " + Quoted(file) + ": " + cert.error().message));
  return cert->der();
}

}  // namespace

Result<TrustListContent> ParseTrustListDescription(std::string_view text, const std::filesystem::path& base_dir,
                                                   int64_t now) {
  auto parsed = ParseJsonStrict(text, "trust-list description", kMaxDescriptionBytes, kMaxDepth);
  if (!parsed) return Fail(Error(parsed.error().code, parsed.error().message, "trust_list_description"));
  const json& j = *parsed;
  auto keys_ok = [](const json& o, std::initializer_list<std::string_view> allowed, std::string_view where) -> Status {
    auto st = CheckJsonKeys(o, allowed, "trust-list description: " + std::string(where));
    if (!st) return Fail(Error(Errc::kMalformed, st.error().message, "trust_list_description"));
    return Ok();
  };
  WQ_TRY(keys_ok(j, {"sequence", "issued_at", "next_update", "valid_for_days", "log", "agencies"}, "top level"));

  TrustListContent c;
  WQ_ASSIGN(auto seq, Number(j, "sequence", ""));
  if (!seq) return Fail(Bad("", "missing \"sequence\""));
  c.sequence = static_cast<uint64_t>(*seq);
  WQ_ASSIGN(auto issued, Number(j, "issued_at", ""));
  WQ_ASSIGN(auto next, Number(j, "next_update", ""));
  WQ_ASSIGN(auto days, Number(j, "valid_for_days", ""));
  if (next && days) return Fail(Bad("", "give \"next_update\" or \"valid_for_days\", not both"));
  if (days && (*days < 1 || *days > 366)) return Fail(Bad("", "\"valid_for_days\" must be 1 to 366"));
  c.issued_at = issued ? *issued : now;
  c.next_update = next ? *next : c.issued_at + (days ? *days : 7) * kDay;
  if (c.next_update <= c.issued_at) return Fail(Bad("", "\"next_update\" must be after \"issued_at\""));

  auto log = j.find("log");
  if (log == j.end() || !log->is_object()) return Fail(Bad("", "missing \"log\" object"));
  WQ_TRY(keys_ok(*log, {"origin", "verifier_key"}, "log"));
  WQ_ASSIGN(c.log.origin, Text(*log, "origin", true, "log: "));
  WQ_ASSIGN(c.log.verifier_key, Text(*log, "verifier_key", true, "log: "));
  if (auto st = CheckNoteVerifierKey(c.log.verifier_key); !st) {
    return Fail(Bad("log: ", "\"verifier_key\": " + st.error().message +
                                 " (`wathiq keys create-log-key` prints the log's verifier key)"));
  }

  auto agencies = j.find("agencies");
  if (agencies == j.end() || !agencies->is_array()) return Fail(Bad("", "missing \"agencies\" array"));
  for (size_t i = 0; i < agencies->size(); ++i) {
    const json& a = (*agencies)[i];
    std::string where = "agency " + std::to_string(i + 1);
    if (!a.is_object()) return Fail(Bad(where, " must be an object"));
    if (a.contains("status_list_uris")) {
      // The old per-list form: refused rather than ignored, or the agency would silently lose its lists.
      return Fail(Bad(where + ": ",
                      "\"status_list_uris\" was replaced by \"status_prefixes\" (URI prefixes under "
                      "which the agency's lists lie)"));
    }
    WQ_TRY(keys_ok(a,
                   {"id", "name_ar", "name_en", "doc_types", "document_signer_certs", "status_list_signer_certs",
                    "status_prefixes", "aggregation_uri"},
                   where));
    AgencyEntry e;
    where += ": ";
    WQ_ASSIGN(e.id, Text(a, "id", true, where));
    where = "agency " + Quoted(e.id) + ": ";
    WQ_ASSIGN(e.name_ar, Text(a, "name_ar", true, where));
    WQ_ASSIGN(e.name_en, Text(a, "name_en", true, where));
    WQ_ASSIGN(e.doc_types, Texts(a, "doc_types", where));
    WQ_ASSIGN(e.status_prefixes, Texts(a, "status_prefixes", where));
    WQ_ASSIGN(e.aggregation_uri, Text(a, "aggregation_uri", false, where));
    for (auto [key, out] : {std::pair{"document_signer_certs", &e.document_signer_certs},
                            std::pair{"status_list_signer_certs", &e.status_list_signer_certs}}) {
      WQ_ASSIGN(auto files, Texts(a, key, where));
      for (const auto& f : files) {
        WQ_ASSIGN(Bytes der, ReadCertificateDer(base_dir, f, where));
        out->push_back(std::move(der));
      }
    }
    c.agencies.push_back(std::move(e));
  }
  // Everything else (unique ids, prefixes that overlap, doc types, certificate roles) is checked by the
  // payload encoder and by TrustList::Load, once for every way a list is made.
  WQ_TRY(EncodeTrustListPayload(c));
  return c;
}

Result<TrustListContent> ReadTrustListDescription(const std::filesystem::path& path, int64_t now) {
  auto bytes = ReadFileBytes(path.string(), kMaxDescriptionBytes);
  if (!bytes) return Wrap(path.string(), bytes.error());
  std::filesystem::path dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  auto content = ParseTrustListDescription(AsString(*bytes), dir, now);
  if (!content) return Wrap(path.string(), content.error());
  return content;
}

}  // namespace wathiq::keys
