#include "wathiq/auditor/audit.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "internal.h"
#include "wathiq/core/file.h"
#include "wathiq/core/json.h"
#include "wathiq/core/text.h"
#include "wathiq/keys/status_uri.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/log/tiles.h"
#include "wathiq/status/token.h"

namespace wathiq::auditor {

namespace fs = std::filesystem;

AuditTrust AuditTrust::FromTrustList(const keys::TrustList& tl) {
  AuditTrust t;
  t.log_origin = tl.log().origin;
  t.log_verifier_key = tl.log().verifier_key;
  for (const keys::Agency& a : tl.agencies()) {
    AgencyKeys k{a.id, a.status_prefixes, a.aggregation_uri, {}};
    for (const keys::TrustedSigner* s : tl.StatusListSigners(a)) k.list_signers.push_back({s->kid, s->verifier});
    t.agencies.push_back(std::move(k));
  }
  return t;
}

const AgencyKeys* AuditTrust::AgencyForUri(std::string_view uri) const {
  for (const AgencyKeys& a : agencies) {
    for (const std::string& p : a.status_prefixes) {
      if (keys::StatusUriUnder(uri, p)) return &a;
    }
  }
  return nullptr;
}

namespace internal {

Result<uint64_t> ParseCanonicalDecimal(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0'))
    return Fail(Errc::kMalformed, "not a canonical decimal");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Fail(Errc::kMalformed, "not a canonical decimal");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v >= log::kTreeSizeLimit) return Fail(Errc::kMalformed, "2^63 or more");
  return v;
}

std::string HexOf(const log::Hash& h) { return ToHex(ByteView(h.data(), h.size())); }

Result<LogView> OpenLog(const AuditInput& in, Findings& f) {
  LogView v;
  auto key = log::NoteVerifier::FromVerifierKey(in.trust.log_verifier_key);
  if (!key) return Fail(Errc::kInvalidArgument, "the log's verifier key: " + key.error().message);
  if (in.held_checkpoint && in.held_checkpoint->origin != in.trust.log_origin) {
    return Fail(Errc::kInvalidArgument,
                "the held checkpoint is for another log (origin " + Quoted(in.held_checkpoint->origin) + ")");
  }
  const fs::path dir = in.audit_dir / "checkpoints";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Fail(Errc::kNotFound, "no checkpoints/ folder in the audit folder " + in.audit_dir.string());
  size_t files = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (++files > in.limits.max_checkpoint_files)
      return Fail(Errc::kLimit, "more than " + std::to_string(in.limits.max_checkpoint_files) + " checkpoint files");
    const std::string name = it->path().filename().string();
    const std::string rel = "checkpoints/" + name;
    auto size = ParseCanonicalDecimal(name);
    std::error_code sec;
    if (!size || !fs::is_regular_file(fs::symlink_status(it->path(), sec))) {
      f.Add(Finding{"unexpected_file", "not a checkpoint file (checkpoints/<size>)", {}, {}, {}, {}, {}, rel});
      continue;
    }
    auto text = ReadFileBytes(it->path().string(), log::kMaxNoteBytes);
    if (!text) {
      f.Add(Finding{"checkpoint_bad_signature", "unreadable: " + text.error().message, {}, {}, {}, {}, {}, rel});
      continue;
    }
    auto cp = log::OpenCheckpoint(AsString(*text), *key, in.trust.log_origin);
    if (!cp) {
      f.Add(Finding{"checkpoint_bad_signature",
                    "not a checkpoint of this log signed by its key: " + cp.error().message,
                    {},
                    {},
                    {},
                    {},
                    {},
                    rel});
      continue;
    }
    if (cp->size != *size) {
      f.Add(Finding{"checkpoint_misfiled",
                    "the file holds the checkpoint of size " + std::to_string(cp->size),
                    {},
                    {},
                    {},
                    {},
                    {},
                    rel});
      continue;
    }
    v.checkpoints.emplace(*size, std::move(*cp));
  }
  if (ec) return Fail(Errc::kIo, "cannot list " + dir.string() + ": " + ec.message());
  if (v.checkpoints.empty()) return Fail(Errc::kNotFound, "no checkpoint signed by the log's key in " + dir.string());

  const std::string log_url = in.log_url.value_or("https://" + in.trust.log_origin);
  auto log_dir = keys::StatusUriPath(in.public_dir, log_url);
  if (!log_dir)
    return Fail(Errc::kInvalidArgument,
                "the log's URL " + Quoted(log_url, 256) + ": " + log_dir.error().message + " (give the log URL)");
  v.public_log_dir = *log_dir;
  v.public_log_rel = fs::path(log_url.substr(8)).generic_string();
  const std::string cp_rel = v.public_log_rel + "/checkpoint";
  auto text = ReadFileBytes((v.public_log_dir / "checkpoint").string(), log::kMaxNoteBytes);
  if (!text) {
    f.Add(Finding{"public_checkpoint_invalid", "unreadable: " + text.error().message, {}, {}, {}, {}, {}, cp_rel});
  } else if (auto cp = log::OpenCheckpoint(AsString(*text), *key, in.trust.log_origin); !cp) {
    f.Add(Finding{"public_checkpoint_invalid",
                  "not a checkpoint of this log signed by its key: " + cp.error().message,
                  {},
                  {},
                  {},
                  {},
                  {},
                  cp_rel});
  } else {
    auto it = v.checkpoints.find(cp->size);
    if (it == v.checkpoints.end() || it->second.root != cp->root) {
      f.Add(Finding{
          "public_checkpoint_not_in_audit",
          "the public checkpoint of size " + std::to_string(cp->size) +
              (it == v.checkpoints.end() ? " is not in the audit folder" : " has another root than the audit folder's"),
          {},
          {},
          {},
          {},
          {},
          cp_rel});
    }
    v.public_checkpoint = std::move(*cp);
  }
  v.size = v.checkpoints.rbegin()->first;
  if (v.public_checkpoint) v.size = std::max(v.size, v.public_checkpoint->size);
  if (v.size > in.limits.max_log_size) {
    return Fail(Errc::kLimit, "the log has " + std::to_string(v.size) + " entries, more than the limit of " +
                                  std::to_string(in.limits.max_log_size));
  }
  return v;
}

void CheckSignedRoots(const AuditInput& in, const LogView& v, const log::MemoryTree& tree, Findings& f,
                      uint64_t* checked) {
  auto check = [&](const log::Checkpoint& cp, const std::string& file) {
    if (cp.size > tree.size()) {
      f.Add(Finding{"checkpoint_unverifiable",
                    "the audit folder's entries end at " + std::to_string(tree.size()) +
                        ", before this checkpoint's size " + std::to_string(cp.size),
                    {},
                    {},
                    {},
                    {},
                    {},
                    file});
      return;
    }
    ++*checked;
    auto root = log::TreeRoot(tree, cp.size);
    if (!root || *root != cp.root) {
      f.Add(Finding{"checkpoint_root_mismatch",
                    "entries 0.." + std::to_string(cp.size) + "-1 of the audit folder hash to " +
                        (root ? HexOf(*root) : std::string("nothing")) + ", not to the signed root " + HexOf(cp.root) +
                        ": an entry was changed, removed or inserted",
                    cp.size ? std::optional<uint64_t>(cp.size - 1) : std::nullopt,
                    {},
                    {},
                    {},
                    {},
                    file});
    }
  };
  for (const auto& [size, cp] : v.checkpoints) check(cp, "checkpoints/" + std::to_string(size));
  if (v.public_checkpoint && !v.checkpoints.count(v.public_checkpoint->size)) {
    check(*v.public_checkpoint, v.public_log_rel + "/checkpoint");
  }
  if (!in.held_checkpoint) return;
  const log::Checkpoint& held = *in.held_checkpoint;
  if (held.size > v.size) {
    f.Add("log_truncated", "the log now has " + std::to_string(v.size) + " entries; a checkpoint held before had " +
                               std::to_string(held.size));
    return;
  }
  if (held.size <= tree.size()) {
    auto root = log::TreeRoot(tree, held.size);
    if (!root || *root != held.root) {
      f.Add("log_rewritten", "entries 0.." + std::to_string(held.size) + "-1 now hash to " +
                                 (root ? HexOf(*root) : std::string("nothing")) + ", not to the root " +
                                 HexOf(held.root) + " of the checkpoint held before: the log was rewritten");
    }
  }
  if (v.public_checkpoint && held.size <= v.public_checkpoint->size) {
    log::TileNodeSource tiles(v.public_log_dir, v.public_checkpoint->size);
    auto proof = log::ConsistencyProof(tiles, held.size, v.public_checkpoint->size);
    Status ok = proof ? log::VerifyConsistency(held.size, v.public_checkpoint->size, *proof, held.root,
                                               v.public_checkpoint->root)
                      : Status(Fail(proof.error()));
    if (!ok) {
      f.Add("checkpoint_inconsistent", "no consistency from the held checkpoint (size " + std::to_string(held.size) +
                                           ") to the public checkpoint (size " +
                                           std::to_string(v.public_checkpoint->size) +
                                           ") through the public tiles: " + ok.error().message);
    }
  }
}

}  // namespace internal

namespace {

using internal::HexOf;

struct TokenRec {
  TokenCheck check;
  Bytes bytes;
  status::StatusListClaims claims;
  bool usable = false;  // signature checked, claims usable for the comparison
};

status::ParseOptions TokenParseOptions(const AuditLimits& l) {
  status::ParseOptions o;
  o.max_entries = l.max_list_entries;
  o.max_token_bytes = l.max_token_bytes;
  return o;
}

Finding TokenFinding(std::string kind, std::string message, const std::string& file, std::string uri = {}) {
  return Finding{std::move(kind), std::move(message), {}, std::move(uri), {}, {}, {}, file};
}

// Verifies a token's signature with the agency keys whose kid matches and checks who may sign its sub.
TokenRec LoadToken(Bytes bytes, const std::string& file, const AuditInput& in, Findings& f) {
  TokenRec r;
  r.check.files.push_back(file);
  Sha256(bytes, r.check.sha256.data());
  const status::ParseOptions opts = TokenParseOptions(in.limits);
  auto kid = status::PeekStatusListTokenKid(bytes, opts);
  if (!kid) {
    f.Add(TokenFinding("token_unreadable", "not a status-list token: " + kid.error().message, file));
    return r;
  }
  const AgencyKeys* signer_agency = nullptr;
  std::optional<Error> last_error;
  std::optional<status::VerifiedStatusList> verified;
  for (const AgencyKeys& a : in.trust.agencies) {
    for (const ListSignerKey& k : a.list_signers) {
      if (!k.verifier || (!k.kid.empty() && k.kid != *kid)) continue;
      auto v = status::VerifyStatusListToken(bytes, *k.verifier, opts);
      if (v) {
        verified = std::move(*v);
        signer_agency = &a;
        break;
      }
      last_error = v.error();
    }
    if (verified) break;
  }
  if (!verified) {
    if (!last_error) {
      f.Add(TokenFinding("token_unknown_signer", "no status-list signer of any agency has kid " + ToHex(*kid), file));
    } else if (last_error->code == Errc::kBadSignature) {
      f.Add(TokenFinding("token_bad_signature", "the signature does not verify with the agency's status-list signer",
                         file));
    } else {
      f.Add(TokenFinding("token_unreadable", last_error->message, file));
    }
    return r;
  }
  r.check.signature_ok = true;
  r.claims = verified->claims();
  r.check.uri = r.claims.sub;
  r.check.iat = r.claims.iat;
  r.check.size = r.claims.log_checkpoint ? r.claims.log_checkpoint->size : 0;
  const AgencyKeys* owner = in.trust.AgencyForUri(r.claims.sub);
  if (owner != signer_agency) {
    f.Add(TokenFinding("token_wrong_agency",
                       "signed by agency \"" + signer_agency->id + "\" but its list belongs to " +
                           (owner ? "agency \"" + owner->id + "\"" : std::string("no agency")),
                       file, r.claims.sub));
    return r;
  }
  if (!r.claims.log_checkpoint || r.claims.log_checkpoint->origin != in.trust.log_origin) {
    f.Add(TokenFinding("token_wrong_log",
                       "its log_checkpoint does not name this log (origin " + Quoted(in.trust.log_origin) + ")", file,
                       r.claims.sub));
    return r;
  }
  if (verified->list().bits() != 2) {
    f.Add(TokenFinding("token_bits", "a list of " + std::to_string(verified->list().bits()) + " bits, not 2", file,
                       r.claims.sub));
    return r;
  }
  r.bytes = std::move(bytes);
  r.usable = true;
  return r;
}

// <audit>/tokens/<host>/<path>/<size>-<iat>.cwt
Status LoadHistory(const AuditInput& in, Findings& f, std::vector<TokenRec>& out) {
  const fs::path root = in.audit_dir / "tokens";
  std::error_code ec;
  if (!fs::exists(root, ec)) return Ok();
  size_t seen = 0;
  uint64_t total = 0;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (++seen > in.limits.max_token_files) {
      return Fail(Errc::kLimit, "more than " + std::to_string(in.limits.max_token_files) + " files under tokens/");
    }
    const fs::path p = it->path();
    const std::string rel = "tokens/" + p.lexically_relative(root).generic_string();
    if (it.depth() > 64) {
      it.disable_recursion_pending();
      f.Add(TokenFinding("unexpected_file", "folders nested too deep", rel));
      continue;
    }
    fs::file_status st = fs::symlink_status(p, ec);
    if (ec) return Fail(Errc::kIo, rel + ": " + ec.message());
    if (fs::is_directory(st)) continue;
    const std::string name = p.filename().string();
    size_t dash = name.find('-');
    auto ends_cwt = name.size() > 4 && name.compare(name.size() - 4, 4, ".cwt") == 0;
    Result<uint64_t> size = Fail(Errc::kMalformed, ""), iat = Fail(Errc::kMalformed, "");
    if (ends_cwt && dash != std::string::npos) {
      size = internal::ParseCanonicalDecimal(std::string_view(name).substr(0, dash));
      iat = internal::ParseCanonicalDecimal(std::string_view(name).substr(dash + 1, name.size() - 4 - dash - 1));
    }
    if (!fs::is_regular_file(st) || !size || !iat) {
      f.Add(TokenFinding("unexpected_file", "not a token file (<size>-<iat>.cwt)", rel));
      continue;
    }
    const std::string uri = "https://" + p.parent_path().lexically_relative(root).generic_string();
    auto bytes = ReadFileBytes(p.string(), in.limits.max_token_bytes);
    if (!bytes) {
      f.Add(TokenFinding("token_unreadable", bytes.error().message, rel));
      continue;
    }
    total += bytes->size();
    if (total > in.limits.max_total_token_bytes) {
      return Fail(Errc::kLimit,
                  "the token history holds more than " + std::to_string(in.limits.max_total_token_bytes) + " bytes");
    }
    TokenRec r = LoadToken(std::move(*bytes), rel, in, f);
    r.check.in_history = true;
    if (r.check.signature_ok && (r.claims.sub != uri || r.check.size != *size || r.check.iat != *iat)) {
      f.Add(TokenFinding("token_misfiled",
                         "the token is for " + Quoted(r.claims.sub, 256) + " at size " + std::to_string(r.check.size) +
                             ", iat " + std::to_string(r.check.iat),
                         rel, r.claims.sub));
    }
    out.push_back(std::move(r));
  }
  if (ec) return Fail(Errc::kIo, "cannot walk " + root.string() + ": " + ec.message());
  return Ok();
}

// Each agency's aggregation document and the latest token of every list it names.
void LoadPublic(const AuditInput& in, Findings& f, std::vector<TokenRec>& recs) {
  std::unordered_map<std::string, size_t> by_sha;
  for (size_t i = 0; i < recs.size(); ++i) {
    by_sha.emplace(std::string(recs[i].check.sha256.begin(), recs[i].check.sha256.end()), i);
  }
  for (const AgencyKeys& a : in.trust.agencies) {
    if (a.aggregation_uri.empty()) continue;
    auto path = keys::StatusUriPath(in.public_dir, a.aggregation_uri);
    const std::string agg_rel = a.aggregation_uri.substr(std::min<size_t>(8, a.aggregation_uri.size()));
    if (!path) {
      f.Add(TokenFinding("aggregation_missing", "agency \"" + a.id + "\": " + path.error().message, agg_rel));
      continue;
    }
    auto doc = ReadFileBytes(path->string(), size_t{16} << 20);
    if (!doc) {
      f.Add(TokenFinding("aggregation_missing", "agency \"" + a.id + "\": " + doc.error().message, agg_rel));
      continue;
    }
    auto parsed = ParseJsonStrict(AsString(*doc), "aggregation document", size_t{16} << 20, 4);
    if (!parsed) {
      f.Add(TokenFinding("aggregation_malformed", parsed.error().message, agg_rel));
      continue;
    }
    const nlohmann::json& j = *parsed;
    if (!j.is_object() || !j.contains("status_lists") || !j["status_lists"].is_array()) {
      f.Add(TokenFinding("aggregation_malformed", "not {\"status_lists\": [uri, ...]}", agg_rel));
      continue;
    }
    for (const auto& u : j["status_lists"]) {
      if (!u.is_string()) {
        f.Add(TokenFinding("aggregation_malformed", "a list URI that is not a string", agg_rel));
        continue;
      }
      const std::string uri = u.get<std::string>();
      if (in.trust.AgencyForUri(uri) != &a) {
        f.Add(TokenFinding("aggregation_foreign_uri", "agency \"" + a.id + "\" names a list outside its prefixes",
                           agg_rel, uri));
        continue;
      }
      auto tpath = keys::StatusUriPath(in.public_dir, uri);  // in the grammar: AgencyForUri matched
      const std::string rel = uri.substr(8);
      auto bytes =
          tpath ? ReadFileBytes(tpath->string(), in.limits.max_token_bytes) : Result<Bytes>(Fail(tpath.error()));
      if (!bytes) {
        f.Add(TokenFinding("public_token_missing", bytes.error().message, rel, uri));
        continue;
      }
      Bytes sha = Sha256(*bytes);
      auto known = by_sha.find(std::string(sha.begin(), sha.end()));
      if (known != by_sha.end()) {
        TokenRec& r = recs[known->second];
        r.check.in_public = true;
        r.check.files.push_back(rel);
        if (r.check.signature_ok && r.claims.sub != uri) {
          f.Add(TokenFinding("public_token_wrong_list",
                             "the token served for this list is for " + Quoted(r.claims.sub, 256), rel, uri));
        }
        continue;
      }
      TokenRec r = LoadToken(std::move(*bytes), rel, in, f);
      r.check.in_public = true;
      if (r.check.signature_ok && r.claims.sub != uri) {
        f.Add(TokenFinding("public_token_wrong_list",
                           "the token served for this list is for " + Quoted(r.claims.sub, 256), rel, uri));
      }
      f.Add(TokenFinding("public_token_not_in_history", "the public token is not in the audit folder's token history",
                         rel, uri));
      by_sha.emplace(std::string(sha.begin(), sha.end()), recs.size());
      recs.push_back(std::move(r));
    }
  }
}

std::string_view ValueName(uint8_t v) {
  switch (v) {
    case status::kStatusValid: return "valid";
    case status::kStatusInvalid: return "revoked";
    case status::kStatusSuspended: return "suspended";
    default: return "other";
  }
}

// The list of the token's sub at the token's length, rebuilt from the entries replayed so far (exactly
// its checkpoint's size), against the token's own list.
void Compare(TokenRec& r, const Replayer& rp, const log::MemoryTree& tree, const AuditInput& in, Findings& f) {
  const std::string& file = r.check.files.front();
  const std::string& uri = r.claims.sub;
  r.check.compared = true;
  auto root = log::TreeRoot(tree, r.check.size);
  if (!root || *root != r.claims.log_checkpoint->root) {
    f.Add(Finding{"token_root_mismatch",
                  "the token names root " + HexOf(r.claims.log_checkpoint->root) + " at size " +
                      std::to_string(r.check.size) + "; the entries give " +
                      (root ? HexOf(*root) : std::string("nothing")),
                  {},
                  uri,
                  {},
                  {},
                  {},
                  file});
  }
  auto parsed = status::ParseStatusListToken(r.bytes, TokenParseOptions(in.limits));
  if (!parsed) {  // it parsed when its signature was checked: the same bytes
    f.Add(TokenFinding("token_unreadable", parsed.error().message, file, uri));
    return;
  }
  const status::StatusList& published = parsed->list;
  std::vector<uint64_t> beyond;
  auto rebuilt = rp.Rebuild(uri, published.size(), &beyond);
  if (!rebuilt) {
    f.Add(
        TokenFinding("token_unreadable", "cannot rebuild a list of its length: " + rebuilt.error().message, file, uri));
    return;
  }
  const Bytes& a = rebuilt->packed();
  const Bytes& b = published.packed();
  const size_t cap = in.limits.max_differences_per_token;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    for (unsigned k = 0; k < 4; ++k) {
      uint8_t ev = (a[i] >> (2 * k)) & 3, pv = (b[i] >> (2 * k)) & 3;
      if (ev == pv) continue;
      uint64_t idx = uint64_t{i} * 4 + k;
      if (r.check.differences++ < cap) {
        std::string what =
            ev == status::kStatusInvalid && pv != status::kStatusInvalid ? " (a silent un-revocation)" : "";
        f.Add(Finding{"status_mismatch",
                      "index " + std::to_string(idx) + ": the entries say " + std::string(ValueName(ev)) +
                          ", the token says " + std::string(ValueName(pv)) + what,
                      {},
                      uri,
                      idx,
                      ev,
                      pv,
                      file});
      }
    }
  }
  if (r.check.differences > cap) {
    f.Add(TokenFinding("status_mismatch",
                       std::to_string(r.check.differences - cap) + " more differing slots in this token", file, uri));
  }
  for (size_t i = 0; i < beyond.size() && i < cap; ++i) {
    f.Add(Finding{"index_beyond_list",
                  "the entries use index " + std::to_string(beyond[i]) + ", beyond the token's " +
                      std::to_string(published.size()) + " entries",
                  {},
                  uri,
                  beyond[i],
                  {},
                  {},
                  file});
  }
}

}  // namespace

Result<AuditReport> RebuildAndCompare(const AuditInput& in) {
  const auto t0 = std::chrono::steady_clock::now();
  AuditReport r;
  r.findings = Findings(in.limits.max_findings);
  Findings& f = r.findings;
  r.origin = in.trust.log_origin;
  WQ_ASSIGN(internal::LogView v, internal::OpenLog(in, f));
  r.log_size = v.size;
  r.public_checkpoint = v.public_checkpoint;

  std::vector<TokenRec> recs;
  WQ_TRY(LoadHistory(in, f, recs));
  std::sort(recs.begin(), recs.end(),
            [](const TokenRec& a, const TokenRec& b) { return a.check.files < b.check.files; });
  LoadPublic(in, f, recs);
  std::vector<size_t> due;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (!recs[i].usable) continue;
    if (recs[i].check.size > v.size) {
      f.Add(TokenFinding("token_checkpoint_beyond_log",
                         "the token names size " + std::to_string(recs[i].check.size) + "; the log has " +
                             std::to_string(v.size) + " entries",
                         recs[i].check.files.front(), recs[i].claims.sub));
      continue;
    }
    due.push_back(i);
  }
  std::stable_sort(due.begin(), due.end(), [&](size_t a, size_t b) { return recs[a].check.size < recs[b].check.size; });

  ReplayOptions ro;
  ro.max_index = in.limits.max_list_entries;
  ro.keep_status_events = in.keep_status_events;
  ro.agency_of_uri = [&in](std::string_view uri) -> std::optional<std::string> {
    const AgencyKeys* a = in.trust.AgencyForUri(uri);
    return a ? std::optional<std::string>(a->id) : std::nullopt;
  };
  Replayer rp(&f, std::move(ro));
  log::MemoryTree tree;
  size_t next = 0;
  auto compare_due = [&] {
    while (next < due.size() && recs[due[next]].check.size == tree.size()) Compare(recs[due[next++]], rp, tree, in, f);
  };
  compare_due();
  uint64_t read = 0;
  Status walked = ForEachEntry(
      in.audit_dir, v.size,
      [&](uint64_t pos, ByteView bytes) -> Status {
        tree.Append(log::LeafHash(bytes));
        if (auto e = log::DecodeEntry(bytes)) {
          rp.Apply(*e);
        } else {
          f.Add(Finding{
              "entry_malformed", "entry " + std::to_string(pos) + ": " + e.error().message, pos, {}, {}, {}, {}, {}});
          rp.Skip();
        }
        compare_due();
        return Ok();
      },
      &read);
  if (!walked) {
    f.Add(Finding{std::string(walked.error().reason_code()),
                  walked.error().message + " (entries read: " + std::to_string(read) + ")",
                  read,
                  {},
                  {},
                  {},
                  {},
                  {}});
  }
  for (; next < due.size(); ++next) {
    f.Add(TokenFinding(
        "token_unverifiable",
        "the audit folder's entries end before the token's size " + std::to_string(recs[due[next]].check.size),
        recs[due[next]].check.files.front(), recs[due[next]].claims.sub));
  }
  r.entries_replayed = tree.size();
  if (auto root = log::TreeRoot(tree, tree.size())) r.root = *root;
  internal::CheckSignedRoots(in, v, tree, f, &r.checkpoints_checked);

  // The public hash tiles are those of the tree the entries give.
  if (v.public_checkpoint && v.public_checkpoint->size <= tree.size()) {
    auto tiles = log::TilesToWrite(0, v.public_checkpoint->size);
    for (const log::TileId& t : tiles ? *tiles : std::vector<log::TileId>{}) {
      if (t.entries) continue;
      ++r.tiles_checked;
      const std::string rel = v.public_log_rel + "/" + log::TilePath(t);
      auto want = log::ComputeHashTile(tree, t);
      auto got = log::ReadTile(v.public_log_dir, t);
      if (!got) {
        f.Add(TokenFinding(got.error().code == Errc::kNotFound ? "tile_missing" : "tile_mismatch", got.error().message,
                           rel));
      } else if (!want || *want != *got) {
        f.Add(TokenFinding("tile_mismatch", "the hash tile differs from the tree the entries give", rel));
      }
    }
  }

  // Every token is in a status_list_published entry of its list at or after its size; every such entry's
  // token is in the history.
  std::unordered_map<std::string, std::vector<const Publication*>> pubs;
  for (const Publication& p : rp.publications())
    pubs[std::string(p.token_sha256.begin(), p.token_sha256.end())].push_back(&p);
  std::unordered_map<std::string, bool> history;
  for (const TokenRec& t : recs) {
    const std::string key(t.check.sha256.begin(), t.check.sha256.end());
    if (t.check.in_history) history[key] = true;
    if (!t.check.signature_ok || !t.check.compared) continue;
    auto it = pubs.find(key);
    bool ok = false;
    if (it != pubs.end()) {
      for (const Publication* p : it->second) ok = ok || (p->uri == t.claims.sub && p->entry >= t.check.size);
    }
    if (!ok) {
      f.Add(TokenFinding("token_not_logged",
                         it == pubs.end() ? "no status_list_published entry has its SHA-256"
                                          : "its SHA-256 is logged for another list or before its checkpoint",
                         t.check.files.front(), t.claims.sub));
    }
  }
  for (const Publication& p : rp.publications()) {
    if (!history.count(std::string(p.token_sha256.begin(), p.token_sha256.end()))) {
      f.Add(Finding{"published_token_missing",
                    "the token this entry published is not in the audit folder's history",
                    p.entry,
                    p.uri,
                    {},
                    {},
                    {},
                    {}});
    }
  }

  // Every list the entries used before the latest publication (the largest size any signed token names) is
  // served to verifiers.
  uint64_t latest_publication = 0;
  std::unordered_map<std::string, bool> served;
  for (const TokenRec& t : recs) {
    if (!t.check.signature_ok) continue;
    latest_publication = std::max(latest_publication, t.check.size);
    if (t.check.in_public) served[t.claims.sub] = true;
  }
  r.lists = rp.Lists();
  for (const auto& [uri, first_issue] : r.lists) {
    if (first_issue < latest_publication && !served.count(uri)) {
      f.Add(Finding{"list_not_published",
                    "credentials were issued into this list (first at entry " + std::to_string(first_issue) +
                        ") before the latest publication (size " + std::to_string(latest_publication) +
                        "), but no agency's aggregation serves a token for it",
                    first_issue,
                    uri,
                    {},
                    {},
                    {},
                    {}});
    }
  }
  r.credentials = rp.credentials();
  r.status_events = rp.status_events();
  for (TokenRec& t : recs) r.tokens.push_back(std::move(t.check));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string AuditReport::ToJson() const {
  using nlohmann::json;
  json j = {{"clean", clean()},
            {"origin", SafeText(origin)},
            {"log_size", log_size},
            {"entries_replayed", entries_replayed},
            {"root", HexOf(root)},
            {"checkpoints_checked", checkpoints_checked},
            {"tiles_checked", tiles_checked},
            {"credentials", credentials},
            {"seconds", seconds}};
  if (public_checkpoint)
    j["public_checkpoint"] = {{"size", public_checkpoint->size}, {"root", HexOf(public_checkpoint->root)}};
  json lj = json::array();
  for (const auto& [uri, first] : lists) lj.push_back({{"uri", SafeText(uri)}, {"first_issue", first}});
  j["lists"] = lj;
  json tj = json::array();
  for (const TokenCheck& t : tokens) {
    json files = json::array();
    for (const auto& p : t.files) files.push_back(SafeText(p));
    tj.push_back({{"files", files},
                  {"uri", SafeText(t.uri)},
                  {"size", t.size},
                  {"iat", t.iat},
                  {"in_history", t.in_history},
                  {"in_public", t.in_public},
                  {"signature_ok", t.signature_ok},
                  {"compared", t.compared},
                  {"differences", t.differences},
                  {"sha256", ToHex(ByteView(t.sha256.data(), t.sha256.size()))}});
  }
  j["tokens"] = tj;
  json fj = json::array();
  for (const Finding& x : findings.list()) {
    json o = {{"kind", x.kind}, {"message", SafeText(x.message, 2048)}};
    if (x.entry) o["entry"] = *x.entry;
    if (!x.uri.empty()) o["uri"] = SafeText(x.uri, 2048);
    if (x.index) o["index"] = *x.index;
    if (x.expected) o["expected"] = *x.expected;
    if (x.published) o["published"] = *x.published;
    if (!x.file.empty()) o["file"] = SafeText(x.file, 2048);
    fj.push_back(o);
  }
  j["findings"] = fj;
  j["findings_total"] = findings.total();
  j["findings_dropped"] = findings.dropped();
  json counts = json::object();
  for (const auto& [k, n] : findings.counts()) counts[k] = n;
  j["finding_counts"] = counts;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace wathiq::auditor
