#include "auditor/deployment.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "wathiq/core/crypto.h"
#include "wathiq/core/file.h"
#include "wathiq/log/tiles.h"

namespace wathiq::test {

namespace fs = std::filesystem;

namespace {
template <class T>
T Must(Result<T> r) {
  if (!r) FAIL(r.error().ToString());
  return std::move(*r);
}
void MustOk(const Status& s) {
  if (!s) FAIL(s.error().ToString());
}
void WriteText(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  MustOk(WriteFileAtomically(p.string(), AsBytes(text), WriteMode::kReplace, 0644));
}
}  // namespace

Deployment::Deployment(const fs::path& d, uint64_t list_entries)
    : pki(MustMakeTestPki()), dir(d), list_entries_(list_entries) {
  fs::remove_all(dir);
  audit = dir / "audit";
  pub = dir / "public";
  log_dir = pub / "wathiq.example" / "log";  // https:// + origin
  fs::create_directories(audit);
  fs::create_directories(pub);
  // The aggregation document cannot share a path with the lists under it (a file and a folder), so it
  // lives beside them.
  keys::TrustListContent c = pki.content;
  for (auto& a : c.agencies) a.aggregation_uri = "https://status." + a.id + ".example/aggregation";
  trust_list_bytes = Must(pki.Sign(c));
  auto loaded = keys::TrustList::Load(trust_list_bytes, pki.root_cert, pki.Policy());
  REQUIRE(loaded.has_value());
  trust_list = *loaded;
  note_ = std::make_unique<log::NoteSigner>(Must(log::NoteSigner::Create(pki.log_origin, pki.log_key)));
  for (const auto& a : pki.agencies) {
    lists.emplace(a.status_list_uri, Must(status::StatusList::Create(2, list_entries_)));
    list_agency[a.status_list_uri] = a.id;
  }
}

std::string Deployment::ListUri(const std::string& agency_id, int n) const {
  return pki.agency(agency_id).status_prefix + "/" + std::to_string(n);
}

void Deployment::AppendRaw(const log::Entry& e) {
  Bytes b = Must(log::EncodeEntry(e));
  tree.Append(log::LeafHash(b));
  entries.push_back(std::move(b));
  decoded.push_back(e);
}

log::CredentialId Deployment::Issue(const std::string& agency, const std::string& uri, uint64_t index) {
  log::Entry e;
  e.event = log::Event::kIssue;
  e.time = ++now;
  e.agency = agency;
  e.actor = "batch-" + agency;
  log::CredentialId id;
  RandomBytes(id.data(), id.size());
  e.credential_id = id;
  e.doc_type = pki.agency(agency).doc_types.at(0);
  e.status_uri = uri;
  e.status_idx = index;
  e.valid_until = now + 365 * 86400;
  AppendRaw(e);
  if (!lists.count(uri)) {
    lists.emplace(uri, Must(status::StatusList::Create(2, list_entries_)));
    list_agency[uri] = agency;
  }
  if (index < lists.at(uri).size() && lists.at(uri).Get(index) != status::kStatusInvalid) {
    MustOk(lists.at(uri).Set(index, status::kStatusValid));
  }
  return id;
}

void Deployment::Change(log::Event event, const log::CredentialId& id, const std::string& agency,
                        const std::string& uri, uint64_t index, const std::string& reason) {
  log::Entry e;
  e.event = event;
  e.time = ++now;
  e.agency = agency;
  e.actor = "officer-17";
  e.credential_id = id;
  e.doc_type = pki.agency(agency).doc_types.at(0);
  e.status_uri = uri;
  e.status_idx = index;
  if (event != log::Event::kReinstate) e.reason = reason;
  AppendRaw(e);
  auto& l = lists.at(uri);
  if (l.Get(index) == status::kStatusInvalid) return;
  uint8_t v = event == log::Event::kRevoke    ? status::kStatusInvalid
              : event == log::Event::kSuspend ? status::kStatusSuspended
                                              : status::kStatusValid;
  MustOk(l.Set(index, v));
}

Bytes Deployment::SignToken(const std::string& agency, const std::string& uri, const status::StatusList& list,
                            uint64_t size, uint64_t iat) const {
  status::StatusListClaims c;
  c.sub = uri;
  c.iat = iat;
  c.exp = iat + 86400;
  c.ttl = 3600;
  status::LogCheckpointRef ref{pki.log_origin, size, Must(log::TreeRoot(tree, size))};
  c.log_checkpoint = ref;
  const TestAgency& a = pki.agency(agency);
  return Must(status::SignStatusListToken(c, list, a.status_key, a.status_cert.kid()));
}

std::string Deployment::SignCheckpointNote(uint64_t size) const {
  log::Checkpoint cp{pki.log_origin, size, Must(log::TreeRoot(tree, size)), {}};
  std::string text = Must(log::FormatCheckpoint(cp));
  const log::NoteSigner* signers[] = {note_.get()};
  return Must(log::SignNote(text, signers));
}

fs::path Deployment::TokenHistoryDir(const std::string& uri) const { return audit / "tokens" / uri.substr(8); }

void Deployment::Publish(const PublishHooks& hooks) {
  // 1. Every list's token at the current size S.
  const uint64_t s = tree.size();
  std::map<std::string, Bytes> tokens;
  std::map<std::string, uint64_t> iats;
  for (const auto& [uri, honest] : lists) {
    status::StatusList list = honest;
    status::StatusListClaims c;
    c.sub = uri;
    c.iat = now + (++counter_);
    c.exp = c.iat + 86400;
    c.ttl = 3600;
    c.log_checkpoint = status::LogCheckpointRef{pki.log_origin, s, Must(log::TreeRoot(tree, s))};
    if (hooks.tamper) hooks.tamper(uri, list, c);
    const TestAgency& a = pki.agency(list_agency.at(uri));
    tokens[uri] = Must(status::SignStatusListToken(c, list, a.status_key, a.status_cert.kid()));
    iats[uri] = c.iat;
  }
  // 2. One status_list_published entry per token.
  for (const auto& [uri, token] : tokens) {
    if (hooks.log_token && !hooks.log_token(uri)) continue;
    log::Entry e;
    e.event = log::Event::kStatusListPublished;
    e.time = ++now;
    e.agency = list_agency.at(uri);
    e.actor = "publisher";
    e.status_uri = uri;
    std::array<uint8_t, 32> h;
    Sha256(token, h.data());
    e.token_sha256 = h;
    AppendRaw(e);
  }
  // 3. The audit folder first, then the public folder, the checkpoint last.
  MustOk(log::WriteEntryBundles(audit, entries, 0, tree.size()));
  WriteText(audit / "checkpoints" / std::to_string(s), SignCheckpointNote(s));
  const std::string note = SignCheckpointNote(tree.size());
  WriteText(audit / "checkpoints" / std::to_string(tree.size()), note);
  for (const auto& [uri, token] : tokens) {
    fs::path p = TokenHistoryDir(uri) / (std::to_string(s) + "-" + std::to_string(iats[uri]) + ".cwt");
    WriteText(p, AsString(token));
  }
  MustOk(log::WriteHashTiles(log_dir, tree, 0, tree.size()));
  std::map<std::string, std::vector<std::string>> by_agency;
  for (const auto& [uri, token] : tokens) {
    WriteText(pub / uri.substr(8), AsString(token));
    by_agency[list_agency.at(uri)].push_back(uri);
  }
  for (const auto& a : trust_list->agencies()) {
    nlohmann::json j = {{"status_lists", by_agency[a.id]}};
    WriteText(pub / a.aggregation_uri.substr(8), j.dump());
  }
  WriteText(log_dir / "checkpoint", note);
  last_checkpoint_ = log::Checkpoint{pki.log_origin, tree.size(), Must(log::TreeRoot(tree, tree.size())), {}};
  last_tokens = tokens;
}

void Deployment::RewriteFrom(std::vector<Bytes> new_entries) {
  fs::remove_all(audit);
  fs::remove_all(pub);
  entries.clear();
  decoded.clear();
  tree = log::MemoryTree();
  for (auto& l : lists) l.second = Must(status::StatusList::Create(2, list_entries_));
  for (Bytes& b : new_entries) {
    log::Entry e = Must(log::DecodeEntry(b));
    if (e.event == log::Event::kStatusListPublished) continue;  // old publications go with the old tokens
    if (e.status_uri && e.status_idx && lists.count(*e.status_uri)) {
      auto& l = lists.at(*e.status_uri);
      uint8_t v = e.event == log::Event::kRevoke ? 1 : e.event == log::Event::kSuspend ? 2 : 0;
      if (l.Get(*e.status_idx) != status::kStatusInvalid) MustOk(l.Set(*e.status_idx, v));
    }
    AppendRaw(e);
  }
  Publish();
}

auditor::AuditInput Deployment::Input() const {
  auditor::AuditInput in;
  in.audit_dir = audit;
  in.public_dir = pub;
  in.trust = auditor::AuditTrust::FromTrustList(*trust_list);
  return in;
}

}  // namespace wathiq::test
