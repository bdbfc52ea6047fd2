#include "wathiq/issuer/deployment.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "deployment_internal.h"
#include "publish_staging.h"
#include "wathiq/core/file.h"
#include "wathiq/core/json.h"
#include "wathiq/issuer/backup.h"
#include "wathiq/issuer/issuance.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/sealed_secret.h"
#include "wathiq/keys/status_uri.h"
#include "wathiq/keys/trust.h"
#include "wathiq/keys/x509.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/note.h"
#include "wathiq/log/tiles.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/status/status_list.h"
#include "wathiq/status/token.h"
#include "wathiq/storage/database.h"

namespace wathiq::issuer {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int64_t kDay = 86400;
constexpr const char* kConfigFile = "deployment.json";
constexpr const char* kRegistryKeyFile = "registry.key";
constexpr const char* kRegistryFile = "registry.db";
constexpr const char* kLogKeyFile = "log.key";
constexpr const char* kFilesSizeMeta = "published_files_size";
constexpr int kSlotDrawAttempts = 4096;
constexpr size_t kMaxConfigBytes = 1u << 20;
constexpr int kMaxConfigDepth = 8;
constexpr size_t kMaxBatchLineBytes = 1u << 20;
constexpr int kMaxBatchLineDepth = 16;

// ---- config JSON ----

Result<std::string> Str(const json& j, const char* key, bool required, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return Fail(Errc::kInvalidArgument, where + ": missing \"" + key + "\"");
    return std::string();
  }
  if (!it->is_string()) return Fail(Errc::kInvalidArgument, where + ": \"" + key + "\" must be a string");
  return it->get<std::string>();
}

Result<uint64_t> UInt(const json& j, const char* key, uint64_t def, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return def;
  if (!it->is_number_unsigned())
    return Fail(Errc::kInvalidArgument, where + ": \"" + key + "\" must be a whole number");
  return it->get<uint64_t>();
}

std::string Resolve(const std::string& base, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  if (path.is_absolute()) return p;
  std::error_code ec;
  fs::path abs = fs::absolute(fs::path(base) / path, ec);
  return ec ? (fs::path(base) / path).string() : abs.lexically_normal().string();
}

Result<KeySpec> ParseKeySpec(const json& j, const std::string& base, const std::string& where) {
  if (!j.is_object()) return Fail(Errc::kInvalidArgument, where + " must be an object");
  WQ_TRY(CheckJsonKeys(j, {"file", "pkcs11_module", "token_label", "key_label"}, where));
  KeySpec k;
  WQ_ASSIGN(k.file, Str(j, "file", false, where));
  WQ_ASSIGN(k.pkcs11_module, Str(j, "pkcs11_module", false, where));
  WQ_ASSIGN(k.token_label, Str(j, "token_label", false, where));
  WQ_ASSIGN(k.key_label, Str(j, "key_label", false, where));
  k.file = Resolve(base, k.file);
  bool token = !k.pkcs11_module.empty() || !k.token_label.empty() || !k.key_label.empty();
  if (k.file.empty() == !token)
    return Fail(Errc::kInvalidArgument, where + ": give either \"file\" or the pkcs11 fields");
  if (token && (k.pkcs11_module.empty() || k.token_label.empty() || k.key_label.empty())) {
    return Fail(Errc::kInvalidArgument, where + ": a token key needs pkcs11_module, token_label and key_label");
  }
  return k;
}

json KeySpecJson(const KeySpec& k) {
  if (!k.file.empty()) return {{"file", k.file}};
  return {{"pkcs11_module", k.pkcs11_module}, {"token_label", k.token_label}, {"key_label", k.key_label}};
}

Status CheckUri(const std::string& uri, const std::string& what) {
  auto s = keys::CheckStatusUri(uri);
  if (!s) return Wrap(what, s.error());
  return Ok();
}

// ---- agencies at run time ----

// The document signer is the agency's active one (deployment_internal.h ActiveSigner); without one (every
// signer retired) ds is empty and the agency cannot issue.
struct AgencyRt {
  AgencyConfig cfg;
  keys::KeyHandle ds_key;
  Bytes ds_key_id;  // SHA-256 of its SubjectPublicKeyInfo
  Bytes ds_cert_der;
  keys::KeyHandle status_key;
  Bytes status_kid;
  std::optional<mdoc::DocumentSigner> ds;
};

Result<Bytes> ReadCertDer(const std::string& path) {
  WQ_ASSIGN(Bytes b, ReadFileBytes(path, 256 * 1024));
  auto c = keys::Certificate::FromBytes(b);
  if (!c) return Wrap(path, c.error());
  return c->der();
}

// A document signer to open: its key and its certificate.
struct SignerChoice {
  KeySpec spec;
  Bytes cert_der;
};

Status OpenDocumentSigner(AgencyRt& rt, const std::optional<SignerChoice>& choice, const KeyOpener& open_key) {
  rt.ds.reset();
  rt.ds_key = keys::KeyHandle();
  rt.ds_key_id.clear();
  rt.ds_cert_der.clear();
  if (!choice) return Ok();
  auto ds = open_key(choice->spec);
  if (!ds) return Wrap("agency " + rt.cfg.id + " document signer", ds.error());
  rt.ds_key = std::move(*ds);
  rt.ds_cert_der = choice->cert_der;
  auto signer = mdoc::DocumentSigner::Create(rt.ds_key, rt.ds_cert_der);
  if (!signer) return Wrap("agency " + rt.cfg.id + " document signer", signer.error());
  rt.ds.emplace(std::move(*signer));
  WQ_ASSIGN(rt.ds_key_id, internal::SignerKeyId(rt.ds_key.cached_public_key()));
  return Ok();
}

Result<std::unique_ptr<AgencyRt>> OpenAgency(const AgencyConfig& cfg, const KeyOpener& open_key,
                                             const std::optional<SignerChoice>& ds) {
  auto rt = std::make_unique<AgencyRt>();
  rt->cfg = cfg;
  WQ_TRY(OpenDocumentSigner(*rt, ds, open_key));
  auto st = open_key(cfg.status_signer);
  if (!st) return Wrap("agency " + cfg.id + " status-list signer", st.error());
  rt->status_key = std::move(*st);
  WQ_ASSIGN(Bytes st_der, ReadCertDer(cfg.status_signer_cert));
  WQ_ASSIGN(keys::Certificate st_cert, keys::Certificate::FromDer(st_der));
  if (!(st_cert.public_key() == rt->status_key.cached_public_key())) {
    return Fail(Errc::kInvalidArgument,
                "agency " + cfg.id + ": the status-list signer key does not match its certificate");
  }
  rt->status_kid = st_cert.kid();
  return rt;
}

std::array<uint8_t, 32> Sha256Array(ByteView b) {
  std::array<uint8_t, 32> out;
  Sha256(b, out.data());
  return out;
}

// fn(0..n-1) on up to `threads` threads (the caller's included).
template <class F>
void ParallelFor(size_t n, unsigned threads, F&& fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k = next++; k < n; k = next++) fn(k);
  };
  unsigned t = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::min<size_t>(n, 64))));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < t; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

Result<Bytes> EncodeLogEntry(const log::Entry& e) {
  auto b = log::EncodeEntry(e);
  if (!b) return Wrap("log entry", b.error());
  return b;
}

// SubjectPublicKeyInfo DER of a device key: the fixed prefix of its curve and the raw point (OpenSSL's
// encoder costs far more than the signature at batch rates); other curves go through OpenSSL.
Result<Bytes> DeviceKeySpki(const PublicKey& k) {
  std::string_view prefix;
  switch (k.curve()) {
    case Curve::kP256: prefix = "3059301306072a8648ce3d020106082a8648ce3d030107034200"; break;
    case Curve::kP384: prefix = "3076301006072a8648ce3d020106052b81040022036200"; break;
    case Curve::kP521: prefix = "30819b301006072a8648ce3d020106052b8104002303818600"; break;
    case Curve::kEd25519: prefix = "302a300506032b6570032100"; break;
    default: return k.ToSpki();
  }
  WQ_ASSIGN(Bytes out, FromHex(prefix));
  out.insert(out.end(), k.raw().begin(), k.raw().end());
  return out;
}

// The reverse: a known curve's fixed prefix and a point of the right length is read without OpenSSL's
// decoder (FromRaw still checks the point is on the curve); anything else goes through FromSpki.
Result<PublicKey> DeviceKeyFromSpki(ByteView der) {
  struct Known {
    Curve curve;
    std::string_view prefix;
    size_t raw;
  };
  static const Known kKnown[] = {
      {Curve::kP256, "3059301306072a8648ce3d020106082a8648ce3d030107034200", 65},
      {Curve::kP384, "3076301006072a8648ce3d020106052b81040022036200", 97},
      {Curve::kP521, "30819b301006072a8648ce3d020106052b8104002303818600", 133},
      {Curve::kEd25519, "302a300506032b6570032100", 32},
  };
  for (const Known& k : kKnown) {
    Bytes prefix = *FromHex(k.prefix);
    if (der.size() == prefix.size() + k.raw && std::equal(prefix.begin(), prefix.end(), der.begin())) {
      return PublicKey::FromRaw(k.curve, der.subspan(prefix.size()));
    }
  }
  return PublicKey::FromSpki(der);
}

bool ValidDocumentNumber(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '/' ||
           c == '.' || c == '_';
  });
}

// What a caller learns of a credential in the registry (the registry's row, less what stays inside).
IssuedRecord ToIssued(CredentialRecord rec, uint64_t log_index) {
  IssuedRecord out;
  out.credential_id = rec.id;
  out.document_number = std::move(rec.document_number);
  out.agency = std::move(rec.agency);
  out.doc_type = std::move(rec.doc_type);
  out.status_uri = std::move(rec.status_uri);
  out.status_idx = rec.status_idx;
  out.valid_until = rec.valid_until;
  out.credential = std::move(rec.credential);
  out.log_index = log_index;
  return out;
}

}  // namespace

// ---- config ----

Result<DeploymentConfig> ParseDeploymentConfig(std::string_view text, const std::string& base_dir) {
  // Strict: a repeated key or an unknown one (a misspelt "doc_type" for "doc_types", say) is refused, not
  // read one way here and another by the next tool.
  WQ_ASSIGN(json j, ParseJsonStrict(text, "the deployment config", kMaxConfigBytes, kMaxConfigDepth));
  if (!j.is_object()) return Fail(Errc::kMalformed, "the deployment config is not a JSON object");
  WQ_TRY(CheckJsonKeys(j, {"log", "status_list_size", "token_ttl", "token_lifetime", "agencies"}, "config"));
  DeploymentConfig c;
  auto log_it = j.find("log");
  if (log_it == j.end() || !log_it->is_object()) return Fail(Errc::kInvalidArgument, "config: missing \"log\" object");
  WQ_TRY(CheckJsonKeys(*log_it, {"name", "url", "key"}, "config: log"));
  WQ_ASSIGN(c.log_name, Str(*log_it, "name", true, "log"));
  WQ_ASSIGN(c.log_url, Str(*log_it, "url", true, "log"));
  if (!log::IsValidNoteKeyName(c.log_name) || c.log_name.size() > 256) {
    return Fail(Errc::kInvalidArgument, "log.name must be a note key name (no spaces or '+')");
  }
  WQ_TRY(CheckUri(c.log_url, "log.url"));
  if (auto k = log_it->find("key"); k != log_it->end()) {
    WQ_ASSIGN(KeySpec spec, ParseKeySpec(*k, base_dir, "log.key"));
    c.log_key = spec;
  }
  WQ_ASSIGN(c.list_size, UInt(j, "status_list_size", kMinStatusListSize, "config"));
  if (c.list_size < kMinStatusListSize || c.list_size > status::kDefaultMaxEntries || c.list_size % 4 != 0) {
    return Fail(Errc::kInvalidArgument, "status_list_size must be a multiple of 4 from 131072 to 16777216");
  }
  WQ_ASSIGN(c.token_ttl, UInt(j, "token_ttl", 3600, "config"));
  WQ_ASSIGN(c.token_lifetime, UInt(j, "token_lifetime", 86400, "config"));
  if (c.token_ttl == 0 || c.token_lifetime < c.token_ttl || c.token_lifetime > 366 * 86400) {
    return Fail(Errc::kInvalidArgument, "token_ttl must be positive and at most token_lifetime (at most a year)");
  }
  auto ag = j.find("agencies");
  if (ag == j.end() || !ag->is_array() || ag->empty())
    return Fail(Errc::kInvalidArgument, "config: \"agencies\" must be a non-empty array");
  std::set<std::string> ids;
  for (const json& a : *ag) {
    if (!a.is_object()) return Fail(Errc::kInvalidArgument, "config: every agency must be an object");
    AgencyConfig ac;
    WQ_ASSIGN(ac.id, Str(a, "id", true, "agency"));
    std::string where = "agency " + ac.id;
    WQ_TRY(CheckJsonKeys(a, {"id", "doc_types", "status_prefix", "aggregation_uri", "document_signer", "status_signer"},
                         where));
    if (ac.id.empty() || ac.id.size() > 64 || !ids.insert(ac.id).second) {
      return Fail(Errc::kInvalidArgument, "config: agency ids must be unique and 1 to 64 bytes");
    }
    auto dt = a.find("doc_types");
    if (dt == a.end() || !dt->is_array() || dt->empty())
      return Fail(Errc::kInvalidArgument, where + ": \"doc_types\" must be a non-empty array");
    for (const json& t : *dt) {
      if (!t.is_string() || t.get<std::string>().empty() || t.get<std::string>().find('\n') != std::string::npos) {
        return Fail(Errc::kInvalidArgument, where + ": doc_types must be strings");
      }
      ac.doc_types.push_back(t.get<std::string>());
    }
    WQ_ASSIGN(ac.status_prefix, Str(a, "status_prefix", true, where));
    WQ_TRY(CheckUri(ac.status_prefix, where + " status_prefix"));
    WQ_ASSIGN(ac.aggregation_uri, Str(a, "aggregation_uri", true, where));
    WQ_TRY(CheckUri(ac.aggregation_uri, where + " aggregation_uri"));
    for (const char* role : {"document_signer", "status_signer"}) {
      auto r = a.find(role);
      if (r == a.end() || !r->is_object()) return Fail(Errc::kInvalidArgument, where + ": missing \"" + role + "\"");
      WQ_TRY(CheckJsonKeys(*r, {"key", "cert"}, where + " " + role));
      auto key = r->find("key");
      if (key == r->end()) return Fail(Errc::kInvalidArgument, where + " " + role + ": missing \"key\"");
      WQ_ASSIGN(KeySpec spec, ParseKeySpec(*key, base_dir, where + " " + role + ".key"));
      WQ_ASSIGN(std::string cert, Str(*r, "cert", true, where + " " + role));
      if (std::string_view(role) == "document_signer") {
        ac.document_signer = spec;
        ac.document_signer_cert = Resolve(base_dir, cert);
      } else {
        ac.status_signer = spec;
        ac.status_signer_cert = Resolve(base_dir, cert);
      }
    }
    c.agencies.push_back(std::move(ac));
  }
  // Every published object must get its own file: no aggregation document or log under a status prefix
  // (the lists live there), and no two agencies sharing a prefix (a URI must belong to one agency).
  for (const auto& a : c.agencies) {
    for (const auto& b : c.agencies) {
      if (keys::StatusUriUnder(a.aggregation_uri, b.status_prefix) ||
          keys::StatusUriUnder(b.status_prefix, a.aggregation_uri)) {
        return Fail(Errc::kInvalidArgument, "agency " + a.id +
                                                ": the aggregation_uri must not lie under or above a "
                                                "status prefix (every list is a file under the prefix)");
      }
      if (keys::StatusUriUnder(c.log_url, b.status_prefix) || keys::StatusUriUnder(b.status_prefix, c.log_url)) {
        return Fail(Errc::kInvalidArgument, "log.url must not lie under or above a status prefix");
      }
    }
  }
  for (size_t i = 0; i < c.agencies.size(); ++i) {
    for (size_t k = 0; k < c.agencies.size(); ++k) {
      if (i != k && keys::StatusUriUnder(c.agencies[i].status_prefix, c.agencies[k].status_prefix)) {
        return Fail(Errc::kInvalidArgument,
                    "agencies " + c.agencies[i].id + " and " + c.agencies[k].id + " have overlapping status prefixes");
      }
    }
  }
  return c;
}

std::string DeploymentConfigJson(const DeploymentConfig& c) {
  json log{{"name", c.log_name}, {"url", c.log_url}};
  if (c.log_key) log["key"] = KeySpecJson(*c.log_key);
  json agencies = json::array();
  for (const auto& a : c.agencies) {
    agencies.push_back(
        {{"id", a.id},
         {"doc_types", a.doc_types},
         {"status_prefix", a.status_prefix},
         {"aggregation_uri", a.aggregation_uri},
         {"document_signer", {{"key", KeySpecJson(a.document_signer)}, {"cert", a.document_signer_cert}}},
         {"status_signer", {{"key", KeySpecJson(a.status_signer)}, {"cert", a.status_signer_cert}}}});
  }
  json j{{"log", log},
         {"status_list_size", c.list_size},
         {"token_ttl", c.token_ttl},
         {"token_lifetime", c.token_lifetime},
         {"agencies", agencies}};
  return j.dump(2) + "\n";
}

KeyOpener SealedFileOpener(const keys::SecretText& passphrase) {
  const keys::SecretText* pass = &passphrase;
  return [pass](const KeySpec& spec) -> Result<keys::KeyHandle> {
    if (spec.file.empty()) return Fail(Errc::kUnsupported, "this opener reads sealed key files only");
    auto k = keys::OpenSealedKeyFile(spec.file, *pass);
    if (!k) return Wrap(spec.file, k.error());
    return k;
  };
}

Result<std::string> UriToPath(const std::string& dir, std::string_view uri) {
  WQ_ASSIGN(fs::path path, keys::StatusUriPath(dir, uri));
  return path.string();
}

// ---- batch lines ----

Result<IssueInput> ParseBatchLine(std::string_view line) {
  if (line.size() > kMaxBatchLineBytes) return Fail(Errc::kLimit, "the line is longer than 1 MiB");
  // Strict: a repeated key is refused (which of two "agency" values would be meant?), and so is an unknown
  // one: a misspelt "device_key" would otherwise stage the record instead of issuing it.
  auto parsed = ParseJsonStrict(line, "the line", kMaxBatchLineBytes, kMaxBatchLineDepth);
  if (!parsed) return Fail(Errc::kMalformed, parsed.error().message);
  json j = std::move(*parsed);
  if (!j.is_object()) return Fail(Errc::kMalformed, "not a JSON object");
  WQ_TRY(CheckJsonKeys(
      j, {"agency", "doc_type", "claims", "device_key", "document_number", "valid_days", "only", "idempotency_key"},
      "record"));
  IssueInput in;
  WQ_ASSIGN(in.agency, Str(j, "agency", true, "record"));
  WQ_ASSIGN(in.doc_type, Str(j, "doc_type", true, "record"));
  WQ_ASSIGN(in.document_number, Str(j, "document_number", false, "record"));
  WQ_ASSIGN(in.only_profile, Str(j, "only", false, "record"));
  WQ_ASSIGN(in.idempotency_key, Str(j, "idempotency_key", false, "record"));
  WQ_ASSIGN(uint64_t days, UInt(j, "valid_days", 365, "record"));
  if (days < 1 || days > 3660) return Fail(Errc::kInvalidArgument, "valid_days must be 1 to 3660");
  in.valid_days = static_cast<int64_t>(days);
  auto claims = j.find("claims");
  if (claims == j.end() || !claims->is_object())
    return Fail(Errc::kInvalidArgument, "record: \"claims\" must be an object");
  in.claims_json = claims->dump();
  // No device key: the line is staged for pickup (Deployment::Stage).
  if (j.contains("device_key")) {
    WQ_ASSIGN(std::string dk, Str(j, "device_key", true, "record"));
    auto der = Base64Decode(dk);
    if (!der) return Fail(Errc::kInvalidArgument, "device_key is not base64 (of a SubjectPublicKeyInfo)");
    auto pk = DeviceKeyFromSpki(*der);
    if (!pk) return Fail(Errc::kInvalidArgument, "device_key: " + pk.error().message);
    in.device_key = std::move(*pk);
  }
  if (in.idempotency_key.empty()) in.idempotency_key = "line:" + ToHex(Sha256(AsBytes(line)));
  if (in.idempotency_key.size() > 256) return Fail(Errc::kInvalidArgument, "idempotency_key is longer than 256 bytes");
  return in;
}

// ---- the deployment ----

struct Deployment::Impl final : internal::Core {
  std::string dir;
  DeploymentConfig config;
  const mdoc::Catalogue* catalogue = nullptr;
  KeyOpener open_key;
  internal::DeploymentLock lock;
  std::unique_ptr<Registry> reg;
  keys::KeyHandle log_key;
  std::optional<log::NoteSigner> note_signer;
  std::vector<std::unique_ptr<AgencyRt>> agencies;

  AgencyRt* FindAgency(std::string_view id) const {
    for (auto& a : agencies) {
      if (a->cfg.id == id) return a.get();
    }
    return nullptr;
  }

  // internal::Core
  Registry& Reg() override { return *reg; }
  const DeploymentConfig& Config() const override { return config; }
  const KeyOpener& Opener() const override { return open_key; }
  bool HasAgency(std::string_view id) const override { return FindAgency(id) != nullptr; }
  Status ReloadSigner(std::string_view id) override {
    AgencyRt* a = FindAgency(id);
    if (!a) return Fail(Errc::kNotFound, "no agency " + std::string(id));
    WQ_ASSIGN(std::vector<internal::ResolvedSigner> signers, internal::ResolveSigners(*reg, a->cfg));
    const internal::ResolvedSigner* active = internal::ActiveSigner(signers);
    std::optional<SignerChoice> choice;
    if (active) choice = SignerChoice{active->spec, active->record.cert_der};
    return OpenDocumentSigner(*a, choice, open_key);
  }
  Result<std::string> Check(const IssueInput& in, int64_t now, bool need_device_key) override {
    WQ_ASSIGN(Prepared p, Prepare(in, now, need_device_key));
    if (!need_device_key) {
      auto checked = CheckRecord(*catalogue, in.doc_type, in.claims_json, in.only_profile, now);
      if (!checked) {
        Error e = checked.error();
        if (e.reason.empty()) e.reason = "invalid_record";
        return Fail(std::move(e));
      }
    }
    return p.input.document_number;
  }

  // One record ready to sign.
  struct Prepared {
    size_t pos = 0;
    AgencyRt* agency = nullptr;
    IssueInput input;
    RecordRequest request;
    log::CredentialId id{};
    int64_t list_id = 0;
  };

  struct Slot {
    int64_t list_id;
    std::string uri;
    uint64_t idx;
  };

  // Draws a random free slot of the agency's current list, opening a new list once the current one is
  // three quarters used (counting slots in flight in this chunk).
  struct ChunkState {
    std::set<std::pair<int64_t, uint64_t>> in_flight;
    std::map<int64_t, uint64_t> in_flight_count;
    std::map<std::string, StatusListRecord> current;  // by agency: its newest list as of this chunk
  };

  Result<Slot> DrawSlot(AgencyRt& a, ChunkState& cs) {
    auto& in_flight = cs.in_flight;
    auto& in_flight_count = cs.in_flight_count;
    auto it = cs.current.find(a.cfg.id);
    if (it == cs.current.end()) {
      WQ_ASSIGN(std::vector<StatusListRecord> lists, reg->Lists(a.cfg.id));
      StatusListRecord none;
      it = cs.current.emplace(a.cfg.id, lists.empty() ? none : lists.back()).first;
    }
    StatusListRecord* current = &it->second;
    if (current->id == 0 || (current->used + in_flight_count[current->id]) * 4 >= current->size * 3) {
      StatusListRecord l;
      l.agency = a.cfg.id;
      l.number = current->id ? current->number + 1 : 1;
      l.uri = a.cfg.status_prefix + "/" + std::to_string(l.number);
      l.size = config.list_size;
      WQ_ASSIGN(*current, reg->OpenList(l));
    }
    for (int attempt = 0; attempt < kSlotDrawAttempts; ++attempt) {
      uint64_t r = 0;
      RandomBytes(reinterpret_cast<uint8_t*>(&r), sizeof r);
      uint64_t idx = r % current->size;  // size is a power-of-two multiple in practice; bias is negligible
      if (in_flight.count({current->id, idx})) continue;
      WQ_ASSIGN(bool taken, reg->SlotTaken(current->id, idx));
      if (taken) continue;
      in_flight.insert({current->id, idx});
      ++in_flight_count[current->id];
      return Slot{current->id, current->uri, idx};
    }
    return Fail(Errc::kInternal, "no free status-list slot found");
  }

  // Validation that needs no signing: agency, document type, document number, device key, idempotency.
  // The document number a record names: its first element whose id ends in "_number" (empty if none).
  static std::string DocumentNumberOf(const mdoc::DocTypeSpec& spec, std::string_view claims_json) {
    json claims = json::parse(claims_json, nullptr, false);
    if (!claims.is_object()) return {};
    for (const auto& e : spec.elements) {
      if (e.id.size() > 7 && e.id.ends_with("_number")) {
        auto it = claims.find(e.id);
        if (it != claims.end() && it->is_string()) return it->get<std::string>();
      }
    }
    return {};
  }

  // Fills in a batch line's document number from its claims, on the parsing threads (a JSON parse per
  // record, which would otherwise sit on the registry's thread). Prepare checks it all the same.
  void FillDocumentNumber(IssueInput& in) const {
    if (!in.document_number.empty()) return;
    if (const mdoc::DocTypeSpec* spec = catalogue->Find(in.doc_type)) {
      in.document_number = DocumentNumberOf(*spec, in.claims_json);
    }
  }

  Result<Prepared> Prepare(IssueInput in, int64_t now, bool need_device_key = true) {
    AgencyRt* a = FindAgency(in.agency);
    if (!a) return Fail(Errc::kNotFound, "this deployment has no agency " + in.agency, "unknown_agency");
    if (need_device_key && !a->ds) {
      return Fail(Errc::kState, "agency " + in.agency + " has no document signer that is not retired",
                  "no_active_signer");
    }
    if (std::find(a->cfg.doc_types.begin(), a->cfg.doc_types.end(), in.doc_type) == a->cfg.doc_types.end()) {
      return Fail(Errc::kPermission, "agency " + in.agency + " may not issue " + in.doc_type, "doc_type_not_allowed");
    }
    const mdoc::DocTypeSpec* spec = catalogue->Find(in.doc_type);
    if (!spec)
      return Fail(Errc::kInvalidArgument, "the catalogue has no document type " + in.doc_type, "unknown_doc_type");
    if (in.valid_days < 1 || in.valid_days > 3660)
      return Fail(Errc::kInvalidArgument, "validity must be 1 to 3660 days");
    // A PublicKey is checked (on its curve) when it is made; only an empty one gets here unchecked.
    if (need_device_key && (in.device_key.raw().empty() ||
                            (in.device_key.curve() != Curve::kP256 && in.device_key.curve() != Curve::kP384 &&
                             in.device_key.curve() != Curve::kP521 && in.device_key.curve() != Curve::kEd25519))) {
      return Fail(Errc::kInvalidArgument, "invalid device key", "invalid_device_key");
    }
    std::string number = in.document_number.empty() ? DocumentNumberOf(*spec, in.claims_json) : in.document_number;
    if (number.empty()) return Fail(Errc::kInvalidArgument, "the record has no document number", "no_document_number");
    if (!ValidDocumentNumber(number)) {
      return Fail(Errc::kInvalidArgument, "a document number is 1 to 64 letters, digits, '-', '/', '.' or '_'",
                  "bad_document_number");
    }
    WQ_ASSIGN(std::vector<CredentialRecord> existing, reg->ByDocument(number, false));
    for (const auto& r : existing) {
      if (r.agency != a->cfg.id) {
        return Fail(Errc::kPermission, "document " + number + " belongs to another agency", "other_agency");
      }
    }
    Prepared p;
    p.agency = a;
    RecordRequest& r = p.request;
    r.doc_type = in.doc_type;
    r.claims_json = in.claims_json;
    r.device_key = in.device_key;
    r.validity = {now, now, now + in.valid_days * kDay};
    r.only_profile = in.only_profile;
    p.input = std::move(in);
    p.input.document_number = std::move(number);
    RandomBytes(p.id.data(), p.id.size());
    return p;
  }

  Result<IssuedRecord> Existing(const log::CredentialId& id) {
    WQ_ASSIGN(std::optional<CredentialRecord> rec, reg->ById(id));
    if (!rec) return Fail(Errc::kInternal, "an idempotency key points at no credential");
    WQ_ASSIGN(std::vector<HistoryEntry> h, reg->History(rec->id));
    IssuedRecord out = ToIssued(std::move(*rec), h.empty() ? 0 : h.front().log_index);
    out.already_issued = true;
    return out;
  }

  // A chunk on its way through issuance: checked and given slots (PrepareChunk, registry reads), signed
  // (SignChunk, on threads, no registry access), stored and logged (StoreChunk, registry writes).
  struct Built {
    CredentialRecord rec;
    Bytes entry;
  };
  struct ChunkWork {
    std::vector<Result<IssuedRecord>> results;  // by input position; refusals are filled in early
    std::vector<Prepared> ready;
    std::vector<Result<Built>> built;
  };

  // The registry reads of a chunk: idempotency keys, the checks of Prepare, a status-list slot for each
  // record. It must see every earlier chunk's rows (stored, if not yet committed).
  Result<ChunkWork> PrepareChunk(std::vector<IssueInput> inputs, int64_t now) {
    ChunkWork w;
    w.results.assign(inputs.size(), Fail(Errc::kInternal, "not processed"));
    ChunkState cs;
    std::set<std::string> keys_in_chunk;
    for (size_t i = 0; i < inputs.size(); ++i) {
      IssueInput& in = inputs[i];
      if (!in.idempotency_key.empty()) {
        WQ_ASSIGN(std::optional<log::CredentialId> known, reg->FindIdempotencyKey(in.idempotency_key));
        if (known) {
          w.results[i] = Existing(*known);
          continue;
        }
        if (!keys_in_chunk.insert(in.idempotency_key).second) {
          w.results[i] =
              Fail(Errc::kState, "the idempotency key repeats an earlier record", "duplicate_idempotency_key");
          continue;
        }
      }
      auto p = Prepare(std::move(in), now);
      if (!p) {
        w.results[i] = Fail(p.error());
        continue;
      }
      WQ_ASSIGN(Slot slot, DrawSlot(*p->agency, cs));
      p->pos = i;
      p->list_id = slot.list_id;
      p->request.status = mdoc::StatusRef{slot.uri, slot.idx};
      w.ready.push_back(std::move(*p));
    }
    return w;
  }

  // Everything but the registry: validation against the catalogue, the signature, the MSO digest, the
  // holder key thumbprint and the log entry's encoding, on `threads` threads. Touches only `w`.
  void SignChunk(ChunkWork& w, std::string_view actor, int64_t now, unsigned threads) const {
    w.built.assign(w.ready.size(), Fail(Errc::kInternal, "not built"));
    ParallelFor(w.ready.size(), threads, [&](size_t k) {
      const Prepared& p = w.ready[k];
      w.built[k] = [&]() -> Result<Built> {
        auto issued = IssueRecord(*catalogue, *p.agency->ds, p.request);
        if (!issued) {
          Error e = issued.error();
          if (e.reason.empty()) e.reason = "invalid_record";
          return Fail(std::move(e));
        }
        Built b;
        CredentialRecord& rec = b.rec;
        rec.id = p.id;
        rec.document_number = p.input.document_number;
        rec.agency = p.agency->cfg.id;
        rec.doc_type = p.input.doc_type;
        WQ_ASSIGN(Bytes spki, DeviceKeySpki(p.input.device_key));
        rec.holder_thumbprint = Sha256(spki);
        rec.valid_from = p.request.validity.valid_from;
        rec.valid_until = p.request.validity.valid_until;
        rec.issued_at = now;
        rec.list_id = p.list_id;
        rec.status_uri = p.request.status->uri;
        rec.status_idx = p.request.status->idx;
        rec.mso_digest = std::move(issued->mso_digest);
        rec.state = CredentialState::kValid;
        rec.claims_json = p.input.claims_json;
        rec.credential = std::move(issued->issuer_signed);
        rec.idempotency_key = p.input.idempotency_key;
        rec.signer_key = p.agency->ds_key_id;
        log::Entry e;
        e.event = log::Event::kIssue;
        e.time = static_cast<uint64_t>(now);
        e.agency = rec.agency;
        e.actor = std::string(actor);
        e.credential_id = rec.id;
        e.doc_type = rec.doc_type;
        e.status_uri = rec.status_uri;
        e.status_idx = rec.status_idx;
        e.valid_until = static_cast<uint64_t>(rec.valid_until);
        WQ_ASSIGN(b.entry, EncodeLogEntry(e));
        return b;
      }();
    });
  }

  // Stores and logs a signed chunk, in input order, inside an open Work. An Error return means the store
  // failed and the Work must be rolled back.
  Result<std::vector<Result<IssuedRecord>>> StoreChunk(ChunkWork& w, std::string_view actor, int64_t now) {
    for (size_t k = 0; k < w.ready.size(); ++k) {
      const Prepared& p = w.ready[k];
      if (!w.built[k]) {
        if (w.built[k].error().code == Errc::kInternal) return Fail(w.built[k].error());
        w.results[p.pos] = Fail(w.built[k].error());
        continue;
      }
      CredentialRecord& rec = w.built[k]->rec;
      WQ_ASSIGN(uint64_t log_index, reg->AppendLog(w.built[k]->entry));
      WQ_TRY(reg->InsertCredential(rec, HistoryEntry{now, "issue", "", std::string(actor), log_index}));
      w.results[p.pos] = ToIssued(std::move(rec), log_index);
    }
    return std::move(w.results);
  }

  // Issues a chunk inside an open Work. Per-record refusals are in the results; an Error return means the
  // store failed and the Work must be rolled back.
  Result<std::vector<Result<IssuedRecord>>> IssueChunk(const std::vector<IssueInput>& inputs, std::string_view actor,
                                                       int64_t now, unsigned threads) override {
    WQ_ASSIGN(ChunkWork w, PrepareChunk(inputs, now));
    SignChunk(w, actor, now, threads);
    return StoreChunk(w, actor, now);
  }

  enum class Action { kRevoke, kSuspend, kReinstate };

  Result<ActionOutcome> Act(Action action, std::string_view agency, std::string_view number,
                            std::optional<status::RevocationReason> reason, std::string_view actor, int64_t now,
                            const std::optional<log::CredentialId>& spare = std::nullopt) {
    if (!FindAgency(agency)) {
      return Fail(Errc::kNotFound, "this deployment has no agency " + std::string(agency), "unknown_agency");
    }
    if (actor.empty() || actor.size() > 256)
      return Fail(Errc::kInvalidArgument, "the acting staff id is 1 to 256 bytes");
    WQ_ASSIGN(std::vector<CredentialRecord> all, reg->ByDocument(number, false));
    if (all.empty()) {
      return Fail(Errc::kNotFound, "no document " + std::string(number) + " was issued here", "unknown_document");
    }
    std::vector<const CredentialRecord*> mine;
    for (const auto& r : all) {
      if (r.agency == agency && !(spare && r.id == *spare)) mine.push_back(&r);
    }
    if (mine.empty()) {
      if (spare)
        return Fail(Errc::kState, "document " + std::string(number) + " has nothing to replace", "nothing_to_replace");
      return Fail(Errc::kPermission, "document " + std::string(number) + " was issued by another agency",
                  "other_agency");
    }
    auto count = [&](CredentialState s) {
      return std::count_if(mine.begin(), mine.end(), [&](const CredentialRecord* r) { return r->state == s; });
    };
    std::vector<const CredentialRecord*> targets;
    CredentialState to = CredentialState::kRevoked;
    log::Event event = log::Event::kRevoke;
    std::string name = "revoke";
    switch (action) {
      case Action::kRevoke:
        for (auto* r : mine) {
          if (r->state != CredentialState::kRevoked) targets.push_back(r);
        }
        if (targets.empty()) {
          return Fail(Errc::kState, "document " + std::string(number) + " is already revoked", "already_revoked");
        }
        break;
      case Action::kSuspend:
        to = CredentialState::kSuspended;
        event = log::Event::kSuspend;
        name = "suspend";
        for (auto* r : mine) {
          if (r->state == CredentialState::kValid) targets.push_back(r);
        }
        if (targets.empty()) {
          if (count(CredentialState::kSuspended) > 0) {
            return Fail(Errc::kState, "document " + std::string(number) + " is already suspended", "already_suspended");
          }
          return Fail(Errc::kState, "document " + std::string(number) + " is revoked; it cannot be suspended",
                      "revoked");
        }
        break;
      case Action::kReinstate:
        to = CredentialState::kValid;
        event = log::Event::kReinstate;
        name = "reinstate";
        for (auto* r : mine) {
          if (r->state == CredentialState::kSuspended) targets.push_back(r);
        }
        if (targets.empty()) {
          if (count(CredentialState::kValid) > 0) {
            return Fail(Errc::kState, "document " + std::string(number) + " is not suspended", "not_suspended");
          }
          return Fail(Errc::kState, "document " + std::string(number) + " is revoked; revocation is final", "revoked");
        }
        break;
    }
    if (action != Action::kReinstate && !reason) return Fail(Errc::kInvalidArgument, name + " needs a reason");
    ActionOutcome out;
    out.document_number = std::string(number);
    out.agency = std::string(agency);
    out.action = name;
    for (const CredentialRecord* r : targets) {
      log::Entry e;
      e.event = event;
      e.time = static_cast<uint64_t>(now);
      e.agency = r->agency;
      e.actor = std::string(actor);
      e.credential_id = r->id;
      e.doc_type = r->doc_type;
      e.status_uri = r->status_uri;
      e.status_idx = r->status_idx;
      std::string reason_code;
      if (action != Action::kReinstate) {
        reason_code = std::string(status::ReasonCode(*reason));
        e.reason = reason_code;
      }
      WQ_ASSIGN(Bytes entry, EncodeLogEntry(e));
      WQ_ASSIGN(uint64_t index, reg->AppendLog(entry));
      WQ_TRY(reg->SetState(r->id, to, HistoryEntry{now, name, reason_code, std::string(actor), index}));
      out.credentials.push_back(r->id);
    }
    WQ_ASSIGN(out.log_size, reg->LogSize());
    return out;
  }

  Result<std::string> SignCheckpointNote(uint64_t size, const log::Hash& root) {
    log::Checkpoint c{config.log_name, size, root, {}};
    WQ_ASSIGN(std::string text, log::FormatCheckpoint(c));
    const log::NoteSigner* signers[] = {&*note_signer};
    return log::SignNote(text, signers);
  }
};

Deployment::Deployment(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Deployment::Deployment(Deployment&&) noexcept = default;
Deployment& Deployment::operator=(Deployment&&) noexcept = default;
Deployment::~Deployment() = default;

Registry& Deployment::registry() { return *impl_->reg; }
internal::Core& Deployment::core() { return *impl_; }

Result<TrustInfo> Deployment::trust_info() const {
  TrustInfo t;
  t.log_name = impl_->config.log_name;
  t.log_url = impl_->config.log_url;
  WQ_ASSIGN(t.log_verifier_key, keys::NoteVerifierKey(impl_->config.log_name, impl_->log_key.cached_public_key()));
  for (const auto& a : impl_->agencies) {
    t.agencies.push_back({a->cfg.id, a->cfg.status_prefix, a->cfg.aggregation_uri, a->cfg.doc_types,
                          a->ds ? a->ds_key.key_id() : std::string(), a->status_key.key_id()});
  }
  return t;
}

Result<TrustInfo> Deployment::Init(const std::string& dir, const DeploymentConfig& config_in,
                                   const keys::SecretText& passphrase, const KeyOpener& open_key,
                                   const InitOptions& options) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return Fail(Errc::kState, dir + " exists and is not empty; a deployment is created in a new folder", "exists");
  }
  // Open and check every agency key before anything is written.
  DeploymentConfig config = config_in;
  std::vector<std::unique_ptr<AgencyRt>> agencies;
  for (const auto& a : config.agencies) {
    WQ_ASSIGN(Bytes ds_cert, ReadCertDer(a.document_signer_cert));
    WQ_ASSIGN(auto rt, OpenAgency(a, open_key, SignerChoice{a.document_signer, std::move(ds_cert)}));
    agencies.push_back(std::move(rt));
  }
  keys::KeyHandle log_key;
  if (config.log_key) {
    auto k = open_key(*config.log_key);
    if (!k) return Wrap("log key", k.error());
    log_key = std::move(*k);
    if (log_key.alg() != Alg::kEdDSA) return Fail(Errc::kInvalidArgument, "the log key must be Ed25519");
  }
  fs::create_directories(dir, ec);
  if (ec) return Fail(Errc::kIo, "cannot create " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  std::string abs_dir = fs::absolute(dir, ec).string();
  WQ_ASSIGN(internal::DeploymentLock lock, internal::DeploymentLock::Take(abs_dir));
  if (!config.log_key) {
    WQ_ASSIGN(log_key, keys::KeyHandle::GenerateSoftware(Alg::kEdDSA, "log " + config.log_name));
    keys::SealOptions so;
    so.kdf = options.kdf;
    so.label = "log " + config.log_name;
    WQ_TRY(keys::WriteSealedKeyFile(abs_dir + "/" + kLogKeyFile, log_key, passphrase, so));
    config.log_key = KeySpec{abs_dir + "/" + kLogKeyFile, "", "", ""};
  }
  SecureBuffer db_key = storage::GenerateDatabaseKey();
  keys::SecretSealOptions sso;
  sso.kdf = options.kdf;
  sso.label = "wathiq issuer registry key";
  WQ_TRY(keys::WriteSealedSecretFile(abs_dir + "/" + kRegistryKeyFile, db_key, passphrase, sso));
  WQ_ASSIGN(std::unique_ptr<Registry> reg, OpenSqlcipherRegistry(abs_dir + "/" + kRegistryFile, db_key, true));
  {
    WQ_ASSIGN(auto work, reg->Begin());
    auto key_added = [&](const std::string& agency, const keys::KeyHandle& k, const char* role) -> Status {
      log::Entry e;
      e.event = log::Event::kKeyAdded;
      e.time = static_cast<uint64_t>(std::time(nullptr));
      e.agency = agency;
      e.actor = "init";
      e.key_id = Sha256(k.spki());
      e.key_role = role;
      WQ_ASSIGN(Bytes entry, EncodeLogEntry(e));
      WQ_ASSIGN(uint64_t index, reg->AppendLog(entry));
      (void)index;
      return Ok();
    };
    WQ_TRY(key_added(config.log_name, log_key, "log"));
    for (const auto& a : agencies) {
      AgencyRecord rec{a->cfg.id,        a->ds->kid(),         a->status_kid,
                       a->cfg.doc_types, a->cfg.status_prefix, a->cfg.aggregation_uri};
      WQ_TRY(reg->PutAgency(rec));
      WQ_TRY(reg->PutSigner(SignerRecord{a->ds_key_id, a->cfg.id, internal::KeySpecText(a->cfg.document_signer),
                                         a->ds_cert_der, static_cast<int64_t>(std::time(nullptr)), std::nullopt, ""}));
      WQ_TRY(key_added(a->cfg.id, a->ds_key, "document_signer"));
      WQ_TRY(key_added(a->cfg.id, a->status_key, "status_list_signer"));
    }
    WQ_TRY(work->Commit());
  }
  WQ_TRY(WriteFileAtomically(abs_dir + "/" + kConfigFile, AsBytes(DeploymentConfigJson(config)), WriteMode::kCreateNew,
                             0600));
  TrustInfo t;
  t.log_name = config.log_name;
  t.log_url = config.log_url;
  WQ_ASSIGN(t.log_verifier_key, keys::NoteVerifierKey(config.log_name, log_key.cached_public_key()));
  for (const auto& a : agencies) {
    t.agencies.push_back({a->cfg.id, a->cfg.status_prefix, a->cfg.aggregation_uri, a->cfg.doc_types,
                          a->ds ? a->ds_key.key_id() : std::string(), a->status_key.key_id()});
  }
  return t;
}

Result<Deployment> Deployment::Open(const std::string& dir, const keys::SecretText& passphrase,
                                    const KeyOpener& open_key, const mdoc::Catalogue& catalogue) {
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  impl->dir = fs::absolute(dir, ec).string();
  if (!fs::exists(impl->dir + "/" + kConfigFile, ec)) {
    return Fail(Errc::kNotFound, dir + " is not an issuer deployment (no " + kConfigFile + ")", "no_deployment");
  }
  WQ_ASSIGN(impl->lock, internal::DeploymentLock::Take(impl->dir));
  WQ_ASSIGN(Bytes cfg, ReadFileBytes(impl->dir + "/" + kConfigFile, 1u << 20));
  WQ_ASSIGN(impl->config, ParseDeploymentConfig(AsString(cfg), impl->dir));
  if (!impl->config.log_key) return Fail(Errc::kMalformed, "the deployment config names no log key");
  impl->catalogue = &catalogue;
  auto db_key = keys::OpenSealedSecretFile(impl->dir + "/" + kRegistryKeyFile, passphrase);
  if (!db_key) return Wrap("registry key", db_key.error());
  WQ_ASSIGN(impl->reg, OpenSqlcipherRegistry(impl->dir + "/" + kRegistryFile, *db_key, false));
  auto lk = open_key(*impl->config.log_key);
  if (!lk) return Wrap("log key", lk.error());
  impl->log_key = std::move(*lk);
  WQ_ASSIGN(log::NoteSigner ns, log::NoteSigner::Create(impl->config.log_name, impl->log_key));
  impl->note_signer.emplace(std::move(ns));
  impl->open_key = open_key;
  // A registry behind (or forked from) the checkpoint last published must not act: it would fork the log.
  WQ_TRY(CheckLogAgainstPublished(impl->dir, *impl->reg, impl->config.log_name, impl->log_key.cached_public_key()));
  for (const auto& a : impl->config.agencies) {
    WQ_ASSIGN(std::vector<internal::ResolvedSigner> signers, internal::ResolveSigners(*impl->reg, a));
    const internal::ResolvedSigner* active = internal::ActiveSigner(signers);
    std::optional<SignerChoice> choice;
    if (active) choice = SignerChoice{active->spec, active->record.cert_der};
    WQ_ASSIGN(auto rt, OpenAgency(a, open_key, choice));
    impl->agencies.push_back(std::move(rt));
  }
  return Deployment(std::move(impl));
}

Result<IssuedRecord> Deployment::Issue(const IssueInput& input, std::string_view actor, int64_t now) {
  if (actor.empty() || actor.size() > 256) return Fail(Errc::kInvalidArgument, "the acting staff id is 1 to 256 bytes");
  WQ_ASSIGN(auto work, impl_->reg->Begin());
  WQ_ASSIGN(auto results, impl_->IssueChunk({input}, actor, now, 1));
  if (!results[0]) return Fail(results[0].error());
  if (!results[0]->already_issued) WQ_TRY(work->Commit());
  return std::move(results[0]);
}

Result<BatchSummary> Deployment::IssueBatch(const std::vector<std::string>& lines, const BatchOptions& options) {
  auto start = std::chrono::steady_clock::now();
  if (options.actor.empty() || options.actor.size() > 256) {
    return Fail(Errc::kInvalidArgument, "the acting staff id is 1 to 256 bytes");
  }
  int64_t now = options.now ? options.now : static_cast<int64_t>(std::time(nullptr));
  BatchSummary sum;
  size_t chunk = std::max<size_t>(1, options.chunk);
  auto report = [&](size_t line, Result<IssuedRecord> r) {
    if (!r) {
      ++sum.refused;
    } else if (!r->pickup_id.empty()) {
      if (r->already_issued) {
        ++sum.already_issued;
      } else {
        ++sum.staged;
      }
    } else if (r->already_issued) {
      ++sum.already_issued;
    } else {
      ++sum.issued;
    }
    if (options.on_line) options.on_line(BatchLineResult{line, std::move(r)});
  };
  // One chunk of lines on its way through: parsed (on the threads), then its registry work, its signing
  // (on the threads) and its registry writes. The chunks overlap as a pipeline: while chunk k commits
  // (mostly the disk), chunk k+1 is signed and chunk k+2 parsed, so the cores are not idle during fsync.
  //   main:    write(k) -> prepare(k+1) -> commit(k) ................ -> report(k) -> write(k+1) ...
  //   helper:                              sign(k+1), parse(k+2) ...
  // prepare(k+1) runs after write(k), inside k's transaction, so its reads see chunk k's rows.
  struct Slice {
    size_t end = 0;                             // index after its last line
    std::vector<IssueInput> inputs;             // good lines, in order
    std::vector<size_t> line_numbers;           // of each input
    std::vector<std::pair<size_t, Error>> bad;  // refused while parsing, by line number
    std::vector<size_t> issue_pos;              // inputs with a device key, issued
    std::vector<IssueInput> to_issue;           // those inputs
    Impl::ChunkWork work;                       // their registry work and signatures
  };
  auto parse = [&](size_t begin) {
    Slice sl;
    sl.end = std::min(lines.size(), begin + chunk);
    std::vector<Result<IssueInput>> parsed(sl.end - begin, Fail(Errc::kInternal, "not parsed"));
    ParallelFor(parsed.size(), options.threads, [&](size_t k) {
      std::string_view l = lines[begin + k];
      if (l.find_first_not_of(" \t\r") == std::string_view::npos) {
        parsed[k] = Fail(Errc::kNotFound, "blank");
      } else {
        parsed[k] = ParseBatchLine(l);
        if (parsed[k]) impl_->FillDocumentNumber(*parsed[k]);
      }
    });
    for (size_t k = 0; k < parsed.size(); ++k) {
      std::string_view l = lines[begin + k];
      if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank lines are skipped
      if (!parsed[k]) {
        Error e = parsed[k].error();
        if (e.reason.empty()) e.reason = "bad_line";
        sl.bad.emplace_back(options.first_line + begin + k, std::move(e));
        continue;
      }
      if (!parsed[k]->device_key.raw().empty()) {
        sl.issue_pos.push_back(sl.inputs.size());
        sl.to_issue.push_back(std::move(*parsed[k]));
        sl.inputs.emplace_back();  // issued from to_issue; only staged lines are read from inputs
      } else {
        sl.inputs.push_back(std::move(*parsed[k]));
      }
      sl.line_numbers.push_back(options.first_line + begin + k);
    }
    return sl;
  };
  // The registry writes of a slice, in its open Work: lines without a device key are staged (staging.cc),
  // the others stored. Results stay in line order. An Error means the Work must be rolled back.
  auto write = [&](Slice& sl) -> Result<std::vector<Result<IssuedRecord>>> {
    std::vector<Result<IssuedRecord>> results(sl.inputs.size(), Fail(Errc::kInternal, "not processed"));
    size_t next_issued = 0;
    for (size_t k = 0; k < sl.inputs.size(); ++k) {
      if (next_issued < sl.issue_pos.size() && sl.issue_pos[next_issued] == k) {
        ++next_issued;
        continue;
      }
      auto staged = internal::StageIn(*impl_, sl.inputs[k], options.actor, now);
      if (!staged) {
        if (staged.error().code == Errc::kInternal || staged.error().code == Errc::kIo) return Fail(staged.error());
        results[k] = Fail(staged.error());
        continue;
      }
      IssuedRecord r;
      r.document_number = staged->document_number;
      r.agency = staged->agency;
      r.doc_type = staged->doc_type;
      r.pickup_id = staged->pickup_id;
      r.already_issued = staged->already_staged;
      results[k] = std::move(r);
    }
    WQ_ASSIGN(auto issued, impl_->StoreChunk(sl.work, options.actor, now));
    for (size_t k = 0; k < issued.size(); ++k) results[sl.issue_pos[k]] = std::move(issued[k]);
    return results;
  };
  auto report_slice = [&](Slice& sl, std::vector<Result<IssuedRecord>>& results) {
    size_t b = 0, k = 0;
    while (b < sl.bad.size() || k < results.size()) {
      if (k >= results.size() || (b < sl.bad.size() && sl.bad[b].first < sl.line_numbers[k])) {
        report(sl.bad[b].first, Fail(std::move(sl.bad[b].second)));
        ++b;
      } else {
        report(sl.line_numbers[k], std::move(results[k]));
        ++k;
      }
    }
  };
  if (lines.empty()) {
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return sum;
  }

  Slice cur = parse(0);
  WQ_ASSIGN(auto work, impl_->reg->Begin());
  WQ_ASSIGN(cur.work, impl_->PrepareChunk(std::move(cur.to_issue), now));
  std::optional<Slice> next;
  {
    // The first chunk has nothing to overlap with but the next one's parsing.
    auto helper = std::async(std::launch::async, [&] {
      if (cur.end < lines.size()) next = parse(cur.end);
    });
    impl_->SignChunk(cur.work, options.actor, now, options.threads);
    helper.get();
  }
  while (true) {
    WQ_ASSIGN(auto results, write(cur));
    std::optional<Slice> after;  // the slice after `next`, parsed by the helper
    std::future<void> helper;
    if (next) {
      WQ_ASSIGN(next->work, impl_->PrepareChunk(std::move(next->to_issue), now));
      // Signing chunk k+1 and parsing chunk k+2 touch neither the registry nor `cur`.
      helper = std::async(std::launch::async, [&] {
        impl_->SignChunk(next->work, options.actor, now, options.threads);
        if (next->end < lines.size()) after = parse(next->end);
      });
    }
    Status committed = work->Commit();
    if (helper.valid()) helper.get();  // never leave the helper running past this scope
    WQ_TRY(committed);
    report_slice(cur, results);
    if (!next) break;
    cur = std::move(*next);
    next = std::move(after);
    work.reset();  // committed; the registry holds one unit of work at a time
    WQ_ASSIGN(work, impl_->reg->Begin());
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sum;
}

Result<ActionOutcome> Deployment::Revoke(std::string_view agency, std::string_view number,
                                         status::RevocationReason reason, std::string_view actor, int64_t now) {
  WQ_ASSIGN(auto work, impl_->reg->Begin());
  WQ_ASSIGN(ActionOutcome out, impl_->Act(Impl::Action::kRevoke, agency, number, reason, actor, now));
  WQ_TRY(work->Commit());
  return out;
}

Result<ActionOutcome> Deployment::Suspend(std::string_view agency, std::string_view number,
                                          status::RevocationReason reason, std::string_view actor, int64_t now) {
  WQ_ASSIGN(auto work, impl_->reg->Begin());
  WQ_ASSIGN(ActionOutcome out, impl_->Act(Impl::Action::kSuspend, agency, number, reason, actor, now));
  WQ_TRY(work->Commit());
  return out;
}

Result<ActionOutcome> Deployment::Reinstate(std::string_view agency, std::string_view number, std::string_view actor,
                                            int64_t now) {
  WQ_ASSIGN(auto work, impl_->reg->Begin());
  WQ_ASSIGN(ActionOutcome out, impl_->Act(Impl::Action::kReinstate, agency, number, std::nullopt, actor, now));
  WQ_TRY(work->Commit());
  return out;
}

Result<ReplaceOutcome> Deployment::Replace(const IssueInput& input, std::string_view actor, int64_t now) {
  return ReplaceFor(input, status::RevocationReason::kSuperseded, actor, now);
}

Result<ReplaceOutcome> Deployment::ReplaceFor(const IssueInput& input, status::RevocationReason reason,
                                              std::string_view actor, int64_t now) {
  if (input.document_number.empty()) return Fail(Errc::kInvalidArgument, "replace needs the document number");
  if (actor.empty() || actor.size() > 256) return Fail(Errc::kInvalidArgument, "the acting staff id is 1 to 256 bytes");
  WQ_ASSIGN(auto work, impl_->reg->Begin());
  ReplaceOutcome out;
  // Revoke first (so a document with nothing live is refused before anything is signed), then issue.
  WQ_ASSIGN(out.revoked, impl_->Act(Impl::Action::kRevoke, input.agency, input.document_number, reason, actor, now));
  IssueInput in = input;
  in.idempotency_key.clear();
  WQ_ASSIGN(auto results, impl_->IssueChunk({in}, actor, now, 1));
  if (!results[0]) return Fail(results[0].error());
  out.issued = std::move(*results[0]);
  WQ_TRY(work->Commit());
  return out;
}

Result<PublishReport> Deployment::Publish(const PublishOptions& o) {
  if (o.public_dir.empty() || o.audit_dir.empty())
    return Fail(Errc::kInvalidArgument, "publish needs a public and an audit folder");
  {
    std::error_code ec;
    if (fs::weakly_canonical(o.public_dir, ec) == fs::weakly_canonical(o.audit_dir, ec)) {
      return Fail(Errc::kInvalidArgument, "the audit folder must not be the public folder");
    }
  }
  Impl& d = *impl_;
  int64_t now = o.now ? o.now : static_cast<int64_t>(std::time(nullptr));
  // publish_staging.h: finish what a killed publication left, then record this one until its files are written.
  WQ_TRY(RecoverInterruptedPublication(d.dir, *d.reg));
  WQ_TRY(RecoverStagedTokens(o.audit_dir, *d.reg));
  WQ_TRY(BeginPublication(d.dir, o.public_dir, o.audit_dir));
  struct Token {
    std::string agency;
    std::string uri;
    Bytes bytes;
    PublishedToken info;
  };
  std::vector<Token> tokens;
  PublishReport rep;
  std::string note_s, note_s2, staged;
  {
    WQ_ASSIGN(auto work, d.reg->Begin());
    WQ_ASSIGN(uint64_t s, d.reg->LogSize());
    WQ_ASSIGN(log::Hash root, log::TreeRoot(*d.reg, s));
    status::LogCheckpointRef ref{d.config.log_name, s, root};
    for (const auto& a : d.agencies) {
      WQ_ASSIGN(std::vector<StatusListRecord> lists, d.reg->Lists(a->cfg.id));
      for (const auto& l : lists) {
        WQ_ASSIGN(status::StatusList list, status::StatusList::Create(2, l.size));
        WQ_ASSIGN(auto slots, d.reg->Slots(l.id));
        PublishedToken info;
        info.agency = a->cfg.id;
        info.uri = l.uri;
        info.entries = l.size;
        for (const auto& [idx, state] : slots) {
          WQ_TRY(list.Set(idx, StatusValue(state)));
          if (state == CredentialState::kRevoked) ++info.revoked;
          if (state == CredentialState::kSuspended) ++info.suspended;
        }
        status::StatusListClaims c;
        c.sub = l.uri;
        c.iat = static_cast<uint64_t>(now);
        c.ttl = d.config.token_ttl;
        c.exp = c.iat + d.config.token_lifetime;
        c.aggregation_uri = a->cfg.aggregation_uri;
        c.log_checkpoint = ref;
        WQ_ASSIGN(Bytes token, status::SignStatusListToken(c, list, a->status_key, a->status_kid));
        tokens.push_back({a->cfg.id, l.uri, std::move(token), std::move(info)});
      }
    }
    for (const auto& t : tokens) {
      log::Entry e;
      e.event = log::Event::kStatusListPublished;
      e.time = static_cast<uint64_t>(now);
      e.agency = t.agency;
      e.actor = o.actor;
      e.status_uri = t.uri;
      e.token_sha256 = Sha256Array(t.bytes);
      WQ_ASSIGN(Bytes entry, EncodeLogEntry(e));
      WQ_ASSIGN(uint64_t index, d.reg->AppendLog(entry));
      (void)index;
    }
    WQ_ASSIGN(uint64_t s2, d.reg->LogSize());
    WQ_ASSIGN(log::Hash root2, log::TreeRoot(*d.reg, s2));
    // Never sign a checkpoint inconsistent with the last one signed.
    WQ_ASSIGN(std::optional<StoredCheckpoint> last, d.reg->LastCheckpoint());
    if (last) {
      for (auto [size, r] : {std::pair{s, root}, std::pair{s2, root2}}) {
        if (size < last->size)
          return Fail(Errc::kState, "the log is shorter than its last checkpoint", "log_inconsistent");
        auto proof = log::ConsistencyProof(*d.reg, last->size, size);
        if (!proof)
          return Fail(Errc::kState, "no consistency proof from the last checkpoint: " + proof.error().message,
                      "log_inconsistent");
        auto ok = log::VerifyConsistency(last->size, size, *proof, last->root, r);
        if (!ok) {
          return Fail(Errc::kState,
                      "the log is not consistent with its last signed checkpoint (size " + std::to_string(last->size) +
                          "); nothing is signed",
                      "log_inconsistent");
        }
      }
    }
    WQ_ASSIGN(note_s, d.SignCheckpointNote(s, root));
    WQ_ASSIGN(note_s2, d.SignCheckpointNote(s2, root2));
    WQ_TRY(d.reg->PutCheckpoint({s, root, note_s, now}));
    WQ_TRY(d.reg->PutCheckpoint({s2, root2, note_s2, now}));
    std::vector<std::pair<std::string, Bytes>> history;
    for (const auto& t : tokens) history.emplace_back(t.uri, t.bytes);
    WQ_ASSIGN(staged, StageTokenHistory(o.audit_dir, s, now, history));  // before the commit: see publish_staging.h
    WQ_TRY(work->Commit());
    WQ_TRY(RecordPublishedCheckpoint(d.dir, note_s2));  // backup.h: the guard against a rolled-back log
    rep.reflected_size = s;
    rep.checkpoint_size = s2;
    rep.root = root2;
  }
  // Files: the audit folder first, then the public folder, `checkpoint` last.
  WQ_ASSIGN(std::optional<int64_t> files_meta, d.reg->GetMeta(kFilesSizeMeta));
  uint64_t old = files_meta ? static_cast<uint64_t>(*files_meta) : 0;
  if (old > rep.checkpoint_size) old = 0;
  uint64_t first = old / log::kTileWidth * log::kTileWidth;
  // The new entries' bundles, a window of 65,536 entries at a time (window edges are bundle edges, so the
  // files are those of one call): a first publication at national scale would otherwise hold every entry
  // of the log in memory at once (about 1 GiB at 5,000,000).
  constexpr uint64_t kBundleWindow = 256 * log::kTileWidth;
  for (uint64_t from = first; from < rep.checkpoint_size; from += kBundleWindow) {
    uint64_t to = std::min<uint64_t>(rep.checkpoint_size, from + kBundleWindow);
    WQ_ASSIGN(std::vector<Bytes> entries, d.reg->LogEntries(from, to));
    WQ_TRY(log::WriteEntryBundles(o.audit_dir, entries, std::max(old, from), to));
  }
  WQ_TRY(log::WriteFileAtomic(fs::path(o.audit_dir) / "checkpoints" / std::to_string(rep.reflected_size),
                              AsBytes(note_s)));
  WQ_TRY(log::WriteFileAtomic(fs::path(o.audit_dir) / "checkpoints" / std::to_string(rep.checkpoint_size),
                              AsBytes(note_s2)));
  WQ_TRY(PromoteStagedTokens(o.audit_dir, staged));
  WQ_ASSIGN(std::string log_dir, UriToPath(o.public_dir, d.config.log_url));
  WQ_TRY(log::WriteHashTiles(log_dir, *d.reg, old, rep.checkpoint_size));
  std::map<std::string, std::vector<std::string>> by_agency;
  for (const auto& a : d.agencies) by_agency[a->cfg.id];
  for (const auto& t : tokens) {
    WQ_ASSIGN(std::string path, UriToPath(o.public_dir, t.uri));
    WQ_TRY(log::WriteFileAtomic(path, t.bytes));
    by_agency[t.agency].push_back(t.uri);
    PublishedToken info = t.info;
    info.file = path;
    rep.tokens.push_back(std::move(info));
  }
  for (const auto& a : d.agencies) {
    auto& uris = by_agency[a->cfg.id];
    std::sort(uris.begin(), uris.end());
    WQ_ASSIGN(std::string path, UriToPath(o.public_dir, a->cfg.aggregation_uri));
    std::string doc = json{{"status_lists", uris}}.dump() + "\n";
    WQ_TRY(log::WriteFileAtomic(path, AsBytes(doc)));
  }
  rep.checkpoint_file = (fs::path(log_dir) / "checkpoint").string();
  WQ_TRY(log::WriteFileAtomic(rep.checkpoint_file, AsBytes(note_s2)));
  {
    WQ_ASSIGN(auto work, d.reg->Begin());
    WQ_TRY(d.reg->PutMeta(kFilesSizeMeta, static_cast<int64_t>(rep.checkpoint_size)));
    WQ_TRY(work->Commit());
  }
  WQ_TRY(EndPublication(d.dir));
  return rep;
}

Result<DocumentView> Deployment::Show(std::string_view number) {
  DocumentView v;
  v.document_number = std::string(number);
  WQ_ASSIGN(v.credentials, impl_->reg->ByDocument(number, true));
  WQ_ASSIGN(v.staged, impl_->reg->StagedByDocument(number));
  if (v.credentials.empty() && v.staged.empty()) {
    return Fail(Errc::kNotFound, "no document " + std::string(number) + " was issued here", "unknown_document");
  }
  for (const auto& c : v.credentials) {
    WQ_ASSIGN(auto h, impl_->reg->History(c.id));
    v.history.push_back(std::move(h));
  }
  return v;
}

namespace internal {

DeploymentLock::DeploymentLock(DeploymentLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

DeploymentLock& DeploymentLock::operator=(DeploymentLock&& o) noexcept {
  std::swap(fd_, o.fd_);
  return *this;
}

DeploymentLock::~DeploymentLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<DeploymentLock> DeploymentLock::Take(const std::string& dir) {
  const std::string path = dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(Errc::kIo, "cannot open the deployment's lock file " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Fail(Errc::kState, "another process is working on this deployment (lock " + path + ")", "deployment_locked");
  }
  DeploymentLock l;
  l.fd_ = fd;
  return l;
}

}  // namespace internal

}  // namespace wathiq::issuer
