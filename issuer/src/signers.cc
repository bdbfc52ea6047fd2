// Document signers of a deployment: resolution of each agency's active signer, adding one (rotation),
// retiring one (planned or compromised: then everything it signed is revoked in the same transaction),
// and recording a signed trust list the deployment serves. Every change is one registry Work together
// with the log entries it appends (key_added, key_retired, revoke, trust_list).
#include <algorithm>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "deployment_internal.h"
#include "wathiq/core/file.h"
#include "wathiq/core/json.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/log/entry.h"
#include "wathiq/mdoc/mdoc.h"

namespace wathiq::issuer {
namespace internal {

using nlohmann::json;

namespace {

constexpr const char* kTrustListSequenceMeta = "trust_list_sequence";
constexpr size_t kMinKeyIdDigits = 16;

Status CheckActor(std::string_view actor) {
  if (actor.empty() || actor.size() > 256) return Fail(Errc::kInvalidArgument, "the acting staff id is 1 to 256 bytes");
  return Ok();
}

Result<Bytes> ReadCert(const std::string& path) {
  WQ_ASSIGN(Bytes b, ReadFileBytes(path, 256 * 1024));
  auto c = keys::Certificate::FromBytes(b);
  if (!c) return Wrap(path, c.error());
  return c->der();
}

Result<uint64_t> Append(Registry& reg, const log::Entry& e) {
  auto b = log::EncodeEntry(e);
  if (!b) return Wrap("log entry", b.error());
  return reg.AppendLog(*b);
}

SignerInfo Info(const ResolvedSigner& s, const ResolvedSigner* active) {
  SignerInfo i;
  i.agency = s.record.agency;
  i.key_id = ToHex(s.record.key_id);
  i.key = s.spec;
  i.active = active == &s;
  i.retired = s.record.retired_at.has_value();
  i.added_at = s.record.added_at;
  i.retired_at = s.record.retired_at.value_or(0);
  i.retire_reason = s.record.retire_reason;
  return i;
}

}  // namespace

Result<Bytes> SignerKeyId(const PublicKey& key) {
  WQ_ASSIGN(Bytes spki, key.ToSpki());
  return Sha256(spki);
}

std::string KeySpecText(const KeySpec& k) {
  json j = k.file.empty()
               ? json{{"pkcs11_module", k.pkcs11_module}, {"token_label", k.token_label}, {"key_label", k.key_label}}
               : json{{"file", k.file}};
  return j.dump();
}

Result<KeySpec> ParseKeySpecText(std::string_view text) {
  auto parsed = ParseJsonStrict(text, "a stored signer key spec", 64 * 1024, 4);
  if (!parsed || !parsed->is_object()) return Fail(Errc::kMalformed, "a stored signer key spec is not a JSON object");
  const json& j = *parsed;
  KeySpec k;
  auto get = [&](const char* name, std::string& out) {
    auto it = j.find(name);
    if (it != j.end() && it->is_string()) out = it->get<std::string>();
  };
  get("file", k.file);
  get("pkcs11_module", k.pkcs11_module);
  get("token_label", k.token_label);
  get("key_label", k.key_label);
  if (k.file.empty() && (k.pkcs11_module.empty() || k.token_label.empty() || k.key_label.empty())) {
    return Fail(Errc::kMalformed, "a stored signer key spec names no key");
  }
  return k;
}

Result<std::vector<ResolvedSigner>> ResolveSigners(Registry& reg, const AgencyConfig& agency) {
  WQ_ASSIGN(std::vector<SignerRecord> rows, reg.Signers(agency.id));
  std::vector<ResolvedSigner> out;
  // The signer deployment.json names: its id from its certificate (its key need not open when retired).
  WQ_ASSIGN(Bytes cert_der, ReadCert(agency.document_signer_cert));
  WQ_ASSIGN(keys::Certificate cert, keys::Certificate::FromDer(cert_der));
  WQ_ASSIGN(Bytes config_id, SignerKeyId(cert.public_key()));
  bool config_has_row =
      std::any_of(rows.begin(), rows.end(), [&](const SignerRecord& r) { return r.key_id == config_id; });
  if (!config_has_row) {
    ResolvedSigner s;
    s.record = SignerRecord{config_id, agency.id, KeySpecText(agency.document_signer), cert_der, 0, std::nullopt, ""};
    s.spec = agency.document_signer;
    s.from_config = true;
    out.push_back(std::move(s));
  }
  for (auto& r : rows) {
    ResolvedSigner s;
    WQ_ASSIGN(s.spec, ParseKeySpecText(r.spec_json));
    s.from_config = r.key_id == config_id;
    s.has_row = true;
    s.record = std::move(r);
    out.push_back(std::move(s));
  }
  // The signer deployment.json names is the agency's first, wherever its row is (a deployment from before
  // the registry kept signers gets the row only when it is retired).
  std::stable_partition(out.begin(), out.end(), [](const ResolvedSigner& s) { return s.from_config; });
  return out;
}

const ResolvedSigner* ActiveSigner(const std::vector<ResolvedSigner>& signers) {
  for (auto it = signers.rbegin(); it != signers.rend(); ++it) {
    if (!it->record.retired_at) return &*it;
  }
  return nullptr;
}

}  // namespace internal

using internal::ResolvedSigner;

Result<std::vector<SignerInfo>> Deployment::Signers(std::string_view agency) {
  internal::Core& c = core();
  if (!agency.empty() && !c.HasAgency(agency)) {
    return Fail(Errc::kNotFound, "this deployment has no agency " + std::string(agency), "unknown_agency");
  }
  std::vector<SignerInfo> out;
  for (const auto& a : c.Config().agencies) {
    if (!agency.empty() && a.id != agency) continue;
    WQ_ASSIGN(std::vector<ResolvedSigner> signers, internal::ResolveSigners(c.Reg(), a));
    const ResolvedSigner* active = internal::ActiveSigner(signers);
    for (const auto& s : signers) out.push_back(internal::Info(s, active));
  }
  return out;
}

Result<SignerInfo> Deployment::AddSigner(std::string_view agency, const KeySpec& key, const std::string& cert_file,
                                         std::string_view actor, int64_t now) {
  internal::Core& c = core();
  WQ_TRY(internal::CheckActor(actor));
  const AgencyConfig* cfg = nullptr;
  for (const auto& a : c.Config().agencies) {
    if (a.id == agency) cfg = &a;
  }
  if (!cfg) {
    return Fail(Errc::kNotFound, "this deployment has no agency " + std::string(agency), "unknown_agency");
  }
  KeySpec spec = key;
  if (!spec.file.empty()) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(spec.file, ec);
    if (!ec) spec.file = abs.lexically_normal().string();
  }
  bool token = !spec.pkcs11_module.empty() || !spec.token_label.empty() || !spec.key_label.empty();
  if (spec.file.empty() == !token ||
      (token && (spec.pkcs11_module.empty() || spec.token_label.empty() || spec.key_label.empty()))) {
    return Fail(Errc::kInvalidArgument, "a signer key is a sealed file or a token key (module, token and key label)");
  }
  // Open and check everything before a write: the key, its certificate, that they match.
  auto opened = c.Opener()(spec);
  if (!opened) return Wrap("the new document signer", opened.error());
  WQ_ASSIGN(Bytes cert_der, internal::ReadCert(cert_file));
  auto ds = mdoc::DocumentSigner::Create(*opened, cert_der);
  if (!ds) {
    Error e = ds.error();
    e.reason = "key_certificate_mismatch";
    return Wrap("the new document signer", e);
  }
  WQ_ASSIGN(Bytes key_id, internal::SignerKeyId(opened->cached_public_key()));
  for (const auto& a : c.Config().agencies) {
    WQ_ASSIGN(std::vector<ResolvedSigner> known, internal::ResolveSigners(c.Reg(), a));
    for (const auto& s : known) {
      if (s.record.key_id == key_id) {
        return Fail(Errc::kState,
                    "this key is already a document signer of agency " + a.id +
                        (s.record.retired_at ? " (retired; a retired key never returns)" : ""),
                    "signer_exists");
      }
    }
  }
  {
    WQ_ASSIGN(auto work, c.Reg().Begin());
    SignerRecord row{key_id, std::string(agency), internal::KeySpecText(spec), cert_der, now, std::nullopt, ""};
    WQ_TRY(c.Reg().PutSigner(row));
    WQ_ASSIGN(std::vector<AgencyRecord> agencies, c.Reg().Agencies());
    for (auto& a : agencies) {
      if (a.id != agency) continue;
      a.document_signer_kid = ds->kid();
      WQ_TRY(c.Reg().PutAgency(a));
    }
    log::Entry e;
    e.event = log::Event::kKeyAdded;
    e.time = static_cast<uint64_t>(now);
    e.agency = std::string(agency);
    e.actor = std::string(actor);
    e.key_id = key_id;
    e.key_role = "document_signer";
    WQ_ASSIGN(uint64_t index, internal::Append(c.Reg(), e));
    (void)index;
    WQ_TRY(work->Commit());
  }
  WQ_TRY(c.ReloadSigner(agency));
  WQ_ASSIGN(std::vector<SignerInfo> all, Signers(agency));
  for (auto& s : all) {
    if (s.key_id == ToHex(key_id)) return s;
  }
  return Fail(Errc::kInternal, "the signer just added is not in the registry");
}

Result<RetireOutcome> Deployment::RetireSigner(std::string_view agency, std::string_view key_id,
                                               std::optional<status::RevocationReason> reason, std::string_view actor,
                                               int64_t now) {
  internal::Core& c = core();
  WQ_TRY(internal::CheckActor(actor));
  const AgencyConfig* cfg = nullptr;
  for (const auto& a : c.Config().agencies) {
    if (a.id == agency) cfg = &a;
  }
  if (!cfg) {
    return Fail(Errc::kNotFound, "this deployment has no agency " + std::string(agency), "unknown_agency");
  }
  std::string want(key_id);
  std::transform(want.begin(), want.end(), want.begin(),
                 [](char ch) { return static_cast<char>(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch); });
  if (want.size() < internal::kMinKeyIdDigits || want.size() > 64 ||
      want.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Fail(Errc::kInvalidArgument, "a signer key id is 16 to 64 hex digits", "bad_key_id");
  }
  WQ_ASSIGN(std::vector<ResolvedSigner> signers, internal::ResolveSigners(c.Reg(), *cfg));
  const ResolvedSigner* target = nullptr;
  for (const auto& s : signers) {
    if (ToHex(s.record.key_id).starts_with(want)) target = &s;
  }
  if (!target) {
    return Fail(Errc::kNotFound, "agency " + std::string(agency) + " has no document signer " + want, "unknown_signer");
  }
  if (target->record.retired_at) {
    return Fail(Errc::kState, "document signer " + want + " is already retired", "already_retired");
  }
  const bool compromised = reason == status::RevocationReason::kKeyCompromise;
  RetireOutcome out;
  {
    WQ_ASSIGN(auto work, c.Reg().Begin());
    SignerRecord row = target->record;
    row.retired_at = now;
    row.retire_reason = reason ? std::string(status::ReasonCode(*reason)) : std::string();
    WQ_TRY(c.Reg().PutSigner(row));
    log::Entry e;
    e.event = log::Event::kKeyRetired;
    e.time = static_cast<uint64_t>(now);
    e.agency = std::string(agency);
    e.actor = std::string(actor);
    e.key_id = row.key_id;
    e.key_role = "document_signer";
    if (reason) e.reason = row.retire_reason;
    WQ_ASSIGN(uint64_t retired_index, internal::Append(c.Reg(), e));
    (void)retired_index;
    if (compromised) {
      // Credentials from before the registry recorded signers were signed by the agency's first signer.
      WQ_ASSIGN(std::vector<CredentialRecord> live, c.Reg().LiveBySigner(agency, row.key_id, target->from_config));
      const std::string code(status::ReasonCode(status::RevocationReason::kKeyCompromise));
      for (const auto& r : live) {
        log::Entry rv;
        rv.event = log::Event::kRevoke;
        rv.time = static_cast<uint64_t>(now);
        rv.agency = r.agency;
        rv.actor = std::string(actor);
        rv.credential_id = r.id;
        rv.doc_type = r.doc_type;
        rv.status_uri = r.status_uri;
        rv.status_idx = r.status_idx;
        rv.reason = code;
        WQ_ASSIGN(uint64_t index, internal::Append(c.Reg(), rv));
        WQ_TRY(c.Reg().SetState(r.id, CredentialState::kRevoked,
                                HistoryEntry{now, "revoke", code, std::string(actor), index}));
        out.revoked.push_back(r.id);
      }
    }
    WQ_ASSIGN(out.log_size, c.Reg().LogSize());
    WQ_TRY(work->Commit());
  }
  WQ_TRY(c.ReloadSigner(agency));
  WQ_ASSIGN(std::vector<SignerInfo> all, Signers(agency));
  for (auto& s : all) {
    if (s.key_id == ToHex(target->record.key_id)) out.signer = s;
    if (s.active) out.active_key_id = s.key_id;
  }
  return out;
}

Result<TrustListRecord> Deployment::RecordTrustList(ByteView signed_trust_list, const keys::Certificate& root,
                                                    std::string_view actor, int64_t now) {
  internal::Core& c = core();
  WQ_TRY(internal::CheckActor(actor));
  keys::TrustListPolicy policy;
  policy.now = now;
  auto loaded = keys::TrustList::Load(signed_trust_list, root, policy);
  if (!loaded) {
    Error e = loaded.error();
    if (e.reason.empty()) e.reason = "bad_trust_list";
    return Wrap("the trust list", e);
  }
  const keys::TrustList& list = **loaded;
  WQ_ASSIGN(std::optional<int64_t> last, c.Reg().GetMeta(internal::kTrustListSequenceMeta));
  if (last && list.sequence() <= static_cast<uint64_t>(*last)) {
    return Fail(Errc::kState,
                "trust list sequence " + std::to_string(list.sequence()) + " is not above the last one recorded (" +
                    std::to_string(*last) + ")",
                "trust_list_rollback");
  }
  TrustListRecord out;
  out.sequence = list.sequence();
  Sha256(signed_trust_list, out.sha256.data());
  // Which of this deployment's active document signers the list does not carry (a warning for the caller:
  // verifiers holding this list refuse their credentials).
  std::vector<Bytes> listed;
  for (const auto& t : list.signers()) {
    if (t.role != keys::SignerRole::kDocumentSigner) continue;
    auto id = internal::SignerKeyId(t.public_key);
    if (id) listed.push_back(*id);
  }
  for (const auto& a : c.Config().agencies) {
    WQ_ASSIGN(std::vector<ResolvedSigner> signers, internal::ResolveSigners(c.Reg(), a));
    for (const auto& s : signers) {
      if (s.record.retired_at) continue;
      if (std::find(listed.begin(), listed.end(), s.record.key_id) == listed.end()) {
        out.missing_signers.push_back(ToHex(s.record.key_id));
      }
    }
  }
  WQ_ASSIGN(auto work, c.Reg().Begin());
  log::Entry e;
  e.event = log::Event::kTrustList;
  e.time = static_cast<uint64_t>(now);
  e.agency = c.Config().log_name;
  e.actor = std::string(actor);
  e.sequence = list.sequence();
  e.token_sha256 = out.sha256;
  WQ_ASSIGN(out.log_index, internal::Append(c.Reg(), e));
  WQ_TRY(c.Reg().PutMeta(internal::kTrustListSequenceMeta, static_cast<int64_t>(list.sequence())));
  WQ_TRY(work->Commit());
  return out;
}

}  // namespace wathiq::issuer
