// `wathiq issuer init|batch|revoke|suspend|reinstate|replace|publish|show|signer|trust-list|stage|pickup|
// cancel-staged` and `issuer issue --deployment`:
// an agency's deployment (issuer/deployment.h). The work is the issuer library's; this file parses
// arguments and prints. Every command takes --json. Exit codes (commands.h): 0 done, 1 refused (already
// revoked, another agency's document, a batch with refused lines ...), 2 usage, 3 input unreadable
// (unknown document, bad files), 4 internal.
#include "issuer_cmd.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

#include "wathiq/core/text.h"
#include "wathiq/issuer/deployment.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/status/reason.h"

namespace wathiq::cli {
namespace {

using nlohmann::json;

struct DeploymentOpts {
  std::string dir;
  SecretOpts pass;
  SecretOpts pin;
};

void AddDeploymentOptions(CLI::App* c, DeploymentOpts& d) {
  c->add_option("--deployment,-d", d.dir, "the deployment folder (made by `wathiq issuer init`)")->required();
  AddSecretOptions(c, d.pass, "passphrase", "WATHIQ_PASSPHRASE");
  c->add_option("--pin-env", d.pin.env, "PIN variable for token keys named in the deployment (default WATHIQ_PIN)");
  c->add_option("--pin-file", d.pin.file, "read the PIN for token keys from this file");
}

struct Opened {
  std::shared_ptr<keys::SecretText> pass;
  issuer::Deployment deployment;
};

Result<Opened> OpenDeployment(const DeploymentOpts& d) {
  WQ_ASSIGN(keys::SecretText pass, ReadSecret(d.pass, "WATHIQ_PASSPHRASE", "passphrase"));
  auto p = std::make_shared<keys::SecretText>(std::move(pass));
  WQ_ASSIGN(issuer::Deployment dep, issuer::Deployment::Open(d.dir, *p, MakeOpener(p, d.pin)));
  return Opened{p, std::move(dep)};
}

Result<std::string> ReadTextFile(const std::string& path, size_t max) {
  WQ_ASSIGN(Bytes b, keys::ReadFileBytes(path, max));
  return std::string(b.begin(), b.end());
}

std::string IdHex(const log::CredentialId& id) { return ToHex(id); }

json TrustJson(const issuer::TrustInfo& t) {
  json agencies = json::array();
  for (const auto& a : t.agencies) {
    agencies.push_back({{"id", a.id},
                        {"status_prefix", a.status_prefix},
                        {"aggregation_uri", a.aggregation_uri},
                        {"doc_types", a.doc_types},
                        {"document_signer_key_id", a.document_signer_key_id},
                        {"status_signer_key_id", a.status_signer_key_id}});
  }
  return {{"log", {{"name", t.log_name}, {"url", t.log_url}, {"verifier_key", t.log_verifier_key}}},
          {"agencies", agencies}};
}

std::string TrustText(const issuer::TrustInfo& t) {
  std::ostringstream s;
  s << "for the trust-list description:\n";
  s << "  log.verifier_key: " << t.log_verifier_key << "\n";
  s << "  log url (checkpoint, tiles): " << t.log_url << "\n";
  for (const auto& a : t.agencies) {
    s << "  agency " << a.id << ": status prefix " << a.status_prefix << ", aggregation " << a.aggregation_uri << "\n";
  }
  return s.str();
}

json IssuedJson(const issuer::IssuedRecord& r) {
  return {{"credential_id", IdHex(r.credential_id)},
          {"document_number", r.document_number},
          {"agency", r.agency},
          {"doc_type", r.doc_type},
          {"status", {{"uri", r.status_uri}, {"idx", r.status_idx}}},
          {"valid_until", r.valid_until},
          {"log_index", r.log_index},
          {"already_issued", r.already_issued}};
}

// ---- init ----

struct InitOpts {
  std::string dir;
  std::string config;
  std::string kdf = "moderate";
  SecretOpts pass;
  SecretOpts pin;
};

Status RunInit(const Ctx& ctx, const InitOpts& o) {
  WQ_ASSIGN(keys::KdfParams kdf, keys::KdfParams::FromName(o.kdf));
  WQ_ASSIGN(std::string text, ReadTextFile(o.config, 1u << 20));
  std::string base = std::filesystem::path(o.config).parent_path().string();
  if (base.empty()) base = ".";
  WQ_ASSIGN(issuer::DeploymentConfig config, issuer::ParseDeploymentConfig(text, base));
  WQ_ASSIGN(keys::SecretText pass, ReadSecret(o.pass, "WATHIQ_PASSPHRASE", "passphrase"));
  auto p = std::make_shared<keys::SecretText>(std::move(pass));
  issuer::InitOptions io;
  io.kdf = kdf;
  WQ_ASSIGN(issuer::TrustInfo t, issuer::Deployment::Init(o.dir, config, *p, MakeOpener(p, o.pin), io));
  json j = TrustJson(t);
  j["command"] = "init";
  j["dir"] = o.dir;
  ctx.Success(j, "deployment created in " + o.dir + "\n" + TrustText(t));
  return Ok();
}

// ---- batch ----

struct BatchOpts {
  DeploymentOpts dep;
  std::string input;
  std::string actor;
  unsigned threads = 2;
  size_t chunk = 8192;
  bool quiet = false;
};

constexpr size_t kMaxLine = 1u << 20;  // issuer::ParseBatchLine's limit

// The next line, without its newline, like std::getline; false at the end of the input. A line longer than
// max_bytes keeps only its first max_bytes + 1 bytes (so it is refused as too long, by its number) and the
// rest of it is skipped, never held.
bool ReadBoundedLine(std::istream& in, std::string& line, size_t max_bytes) {
  line.resize(max_bytes + 2);
  in.getline(line.data(), static_cast<std::streamsize>(max_bytes + 2));
  auto got = static_cast<size_t>(in.gcount());
  if (in.bad()) return false;
  if (in.fail() && !in.eof()) {  // max_bytes + 1 bytes and no newline yet
    in.clear();
    line.resize(max_bytes + 1);
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    return true;
  }
  if (got == 0 && in.eof()) {
    line.clear();
    return false;
  }
  if (!in.eof()) --got;  // the newline was taken from the input but not stored
  line.resize(got);
  in.clear(in.eof() ? std::ios::eofbit : std::ios::goodbit);
  return true;
}

Status RunBatch(const Ctx& ctx, const BatchOpts& o) {
  std::ifstream in(o.input, std::ios::binary);
  if (!in) return Fail(Errc::kNotFound, "cannot read " + o.input);
  // Lines are counted first (for the progress bar), then read in slices, so a national batch never sits in
  // memory whole.
  // Neither pass holds more than 1 MiB of a line: a hostile file with one endless line is refused by number,
  // not read whole into memory.
  size_t total_lines = 0;
  while (in.peek() != std::char_traits<char>::eof()) {
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    ++total_lines;
  }
  in.clear();
  in.seekg(0);
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  bool progress = !o.quiet && !ctx.json_out && ::isatty(STDERR_FILENO);
  json refusals = json::array();
  json staged = json::array();
  size_t done = 0;
  issuer::BatchOptions bo;
  bo.threads = o.threads;
  bo.chunk = o.chunk;
  bo.actor = o.actor;
  bo.now = ctx.Now();
  bo.on_line = [&](const issuer::BatchLineResult& r) {
    ++done;
    if (r.result && !r.result->pickup_id.empty()) {
      staged.push_back({{"line", r.line},
                        {"pickup_id", r.result->pickup_id},
                        {"document_number", r.result->document_number},
                        {"already_staged", r.result->already_issued}});
    }
    if (!r.result) {
      refusals.push_back({{"line", r.line},
                          {"reason", std::string(r.result.error().reason_code())},
                          {"message", r.result.error().message}});
      if (progress) std::cerr << "\r\033[K";
      if (!ctx.json_out) {
        std::cerr << "line " << r.line << ": " << SafeText(r.result.error().ToString(), 400) << "\n";
      }
    }
    if (progress && (done % 256 == 0 || done == total_lines)) {
      size_t width = 30, filled = total_lines == 0 ? width : std::min(width, done * width / total_lines);
      std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done << "/"
                << total_lines << std::flush;
    }
  };
  issuer::BatchSummary sum;
  // Large slices: each IssueBatch call fills and drains its pipeline of chunks once.
  constexpr size_t kSlice = 262144;
  std::vector<std::string> lines;
  std::string line;
  size_t next_line = 1;
  bool more = true;
  while (more) {
    lines.clear();
    while (lines.size() < kSlice && (more = ReadBoundedLine(in, line, kMaxLine))) lines.push_back(std::move(line));
    if (lines.empty()) break;
    bo.first_line = next_line;
    next_line += lines.size();
    WQ_ASSIGN(issuer::BatchSummary part, opened.deployment.IssueBatch(lines, bo));
    sum.issued += part.issued;
    sum.already_issued += part.already_issued;
    sum.refused += part.refused;
    sum.staged += part.staged;
    sum.seconds += part.seconds;
  }
  if (progress) std::cerr << "\n";
  double rate = sum.seconds > 0 ? static_cast<double>(sum.issued) / sum.seconds : 0;
  json j{{"command", "batch"},     {"issued", sum.issued},   {"already_issued", sum.already_issued},
         {"refused", sum.refused}, {"seconds", sum.seconds}, {"per_second", rate},
         {"refusals", refusals},   {"staged", sum.staged},   {"staged_records", staged}};
  std::ostringstream t;
  t << "batch: " << sum.issued << " issued, " << sum.already_issued << " already issued, " << sum.refused
    << " refused, " << sum.staged << " staged for pickup in " << sum.seconds << " s (" << static_cast<uint64_t>(rate)
    << "/s)\n";
  ctx.Success(j, t.str());
  if (sum.refused > 0) ctx.exit->value = kExitCheckFailed;
  return Ok();
}

// ---- revoke / suspend / reinstate ----

struct ActOpts {
  DeploymentOpts dep;
  std::string agency;
  std::string document;
  std::string reason;
  std::string actor;
};

json OutcomeJson(const issuer::ActionOutcome& o) {
  json ids = json::array();
  for (const auto& id : o.credentials) ids.push_back(IdHex(id));
  return {{"document_number", o.document_number},
          {"agency", o.agency},
          {"action", o.action},
          {"credentials", ids},
          {"log_size", o.log_size}};
}

Status RunAct(const Ctx& ctx, const ActOpts& o, const std::string& action) {
  std::optional<status::RevocationReason> reason;
  if (action != "reinstate") {
    if (o.reason.empty()) return Fail(Errc::kInvalidArgument, action + " needs --reason");
    WQ_ASSIGN(reason, status::ParseReasonCode(o.reason));
  }
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  int64_t now = ctx.Now();
  Result<issuer::ActionOutcome> r = Fail(Errc::kInternal, "no action");
  if (action == "revoke") r = opened.deployment.Revoke(o.agency, o.document, *reason, o.actor, now);
  if (action == "suspend") r = opened.deployment.Suspend(o.agency, o.document, *reason, o.actor, now);
  if (action == "reinstate") r = opened.deployment.Reinstate(o.agency, o.document, o.actor, now);
  if (!r) return Fail(r.error());
  json j = OutcomeJson(*r);
  j["command"] = action;
  if (reason) j["reason"] = std::string(status::ReasonCode(*reason));
  std::string past = action == "revoke" ? "revoked" : action == "suspend" ? "suspended" : "reinstated";
  ctx.Success(j, "document " + SafeText(o.document, 64) + ": " + std::to_string(r->credentials.size()) +
                     " credential(s) " + past + (reason ? " (" + std::string(status::ReasonCode(*reason)) + ")" : "") +
                     "; publish to make it visible\n");
  return Ok();
}

// ---- issue / replace against a deployment ----

Result<issuer::IssueInput> InputFrom(const DeploymentIssueArgs& a) {
  issuer::IssueInput in;
  in.agency = a.agency;
  in.doc_type = a.doc_type;
  in.document_number = a.document_number;
  WQ_ASSIGN(in.claims_json, ReadTextFile(a.record, 1u << 20));
  WQ_ASSIGN(in.device_key, ReadPublicKey(a.device_key));
  in.valid_days = a.valid_days;
  in.only_profile = a.only_profile;
  return in;
}

struct ReplaceOpts {
  DeploymentIssueArgs args;
  DeploymentOpts dep;
};

Status RunReplace(const Ctx& ctx, const ReplaceOpts& o) {
  if (o.args.document_number.empty()) return Fail(Errc::kInvalidArgument, "replace needs --document");
  WQ_TRY(CheckNewOutput(o.args.out, "credential"));
  WQ_ASSIGN(issuer::IssueInput in, InputFrom(o.args));
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_ASSIGN(issuer::ReplaceOutcome r, opened.deployment.Replace(in, o.args.actor, ctx.Now()));
  WQ_TRY(keys::WriteFileAtomically(o.args.out, r.issued.credential, keys::WriteMode::kCreateNew, 0600));
  json j{{"command", "replace"},
         {"issued", IssuedJson(r.issued)},
         {"revoked", OutcomeJson(r.revoked)},
         {"out", o.args.out}};
  ctx.Success(j, "document " + SafeText(r.issued.document_number, 64) + " replaced: new credential " +
                     IdHex(r.issued.credential_id) + " -> " + o.args.out + "; " +
                     std::to_string(r.revoked.credentials.size()) + " old credential(s) revoked (superseded)\n");
  return Ok();
}

// ---- publish ----

struct PublishOpts {
  DeploymentOpts dep;
  std::string public_dir, audit_dir;
};

Status RunPublish(const Ctx& ctx, const PublishOpts& o) {
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  issuer::PublishOptions po;
  po.public_dir = o.public_dir.empty() ? o.dep.dir + "/public" : o.public_dir;
  po.audit_dir = o.audit_dir.empty() ? o.dep.dir + "/audit" : o.audit_dir;
  po.now = ctx.Now();
  WQ_ASSIGN(issuer::PublishReport r, opened.deployment.Publish(po));
  json tokens = json::array();
  std::ostringstream t;
  t << "published at log size " << r.checkpoint_size << " (tokens reflect entries 0.." << r.reflected_size << ")\n";
  for (const auto& tok : r.tokens) {
    tokens.push_back({{"agency", tok.agency},
                      {"uri", tok.uri},
                      {"file", tok.file},
                      {"revoked", tok.revoked},
                      {"suspended", tok.suspended},
                      {"entries", tok.entries}});
    t << "  " << tok.uri << ": " << tok.revoked << " revoked, " << tok.suspended << " suspended -> " << tok.file
      << "\n";
  }
  t << "  checkpoint -> " << r.checkpoint_file << "\n  public: " << po.public_dir
    << "\n  audit (never publish): " << po.audit_dir << "\n";
  json j{{"command", "publish"},
         {"reflected_size", r.reflected_size},
         {"checkpoint_size", r.checkpoint_size},
         {"root", ToHex(r.root)},
         {"tokens", tokens},
         {"checkpoint", r.checkpoint_file},
         {"public", po.public_dir},
         {"audit", po.audit_dir}};
  ctx.Success(j, t.str());
  return Ok();
}

// ---- show ----

struct ShowOpts {
  DeploymentOpts dep;
  std::string document;
  std::string out;
};

Status RunShowDocument(const Ctx& ctx, const ShowOpts& o) {
  if (!o.out.empty()) WQ_TRY(CheckNewOutput(o.out, "credential"));
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_ASSIGN(issuer::DocumentView v, opened.deployment.Show(o.document));
  json creds = json::array();
  std::ostringstream t;
  t << "document " << v.document_number << ":\n";
  const issuer::CredentialRecord* newest = nullptr;
  for (size_t i = 0; i < v.credentials.size(); ++i) {
    const auto& c = v.credentials[i];
    if (c.state != issuer::CredentialState::kRevoked) newest = &c;
    json hist = json::array();
    for (const auto& h : v.history[i]) {
      hist.push_back(
          {{"time", h.time}, {"event", h.event}, {"reason", h.reason}, {"actor", h.actor}, {"log_index", h.log_index}});
    }
    creds.push_back({{"credential_id", IdHex(c.id)},
                     {"agency", c.agency},
                     {"doc_type", c.doc_type},
                     {"state", std::string(issuer::CredentialStateName(c.state))},
                     {"holder_key_sha256", ToHex(c.holder_thumbprint)},
                     {"valid_from", c.valid_from},
                     {"valid_until", c.valid_until},
                     {"status", {{"uri", c.status_uri}, {"idx", c.status_idx}}},
                     {"mso_sha256", ToHex(c.mso_digest)},
                     {"history", hist}});
    t << "  " << IdHex(c.id) << " " << c.doc_type << " (" << c.agency << "): " << issuer::CredentialStateName(c.state)
      << ", " << c.status_uri << " #" << c.status_idx << "\n";
    for (const auto& h : v.history[i]) {
      t << "    " << h.time << " " << h.event << (h.reason.empty() ? "" : " (" + h.reason + ")") << " by " << h.actor
        << ", log entry " << h.log_index << "\n";
    }
  }
  json staged = json::array();
  for (const auto& r : v.staged) {
    staged.push_back({{"pickup_id", ToHex(r.pickup_id)},
                      {"agency", r.agency},
                      {"doc_type", r.doc_type},
                      {"state", std::string(issuer::StagedStateName(r.state))},
                      {"staged_at", r.staged_at},
                      {"actor", r.actor},
                      {"closed_at", r.closed_at},
                      {"credential_id", r.credential_id ? IdHex(*r.credential_id) : std::string()}});
    t << "  staged " << r.doc_type << " (" << r.agency << "): " << issuer::StagedStateName(r.state) << ", pickup id "
      << ToHex(r.pickup_id) << "\n";
  }
  json j{{"command", "show"}, {"document_number", v.document_number}, {"credentials", creds}, {"staged", staged}};
  if (!o.out.empty()) {
    if (!newest) return Fail(Errc::kState, "document " + o.document + " has no live credential to write");
    WQ_TRY(keys::WriteFileAtomically(o.out, newest->credential, keys::WriteMode::kCreateNew, 0600));
    j["out"] = o.out;
    t << "  newest live credential -> " << o.out << "\n";
  }
  ctx.Success(j, t.str());
  return Ok();
}

// ---- document signers ----

struct SignerOpts {
  DeploymentOpts dep;
  std::string agency;
  std::string actor;
  issuer::KeySpec key;
  std::string cert;
  std::string key_id;
  std::string reason;
};

json SignerJson(const issuer::SignerInfo& s) {
  json key = s.key.file.empty() ? json{{"pkcs11_module", s.key.pkcs11_module},
                                       {"token_label", s.key.token_label},
                                       {"key_label", s.key.key_label}}
                                : json{{"file", s.key.file}};
  return {{"agency", s.agency},
          {"key_id", s.key_id},
          {"key", key},
          {"active", s.active},
          {"retired", s.retired},
          {"added_at", s.added_at},
          {"retired_at", s.retired_at},
          {"retire_reason", s.retire_reason}};
}

Status RunSignerList(const Ctx& ctx, const SignerOpts& o) {
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_ASSIGN(std::vector<issuer::SignerInfo> signers, opened.deployment.Signers(o.agency));
  json list = json::array();
  std::ostringstream t;
  for (const auto& s : signers) {
    list.push_back(SignerJson(s));
    t << s.agency << " " << s.key_id << (s.active ? " active" : "")
      << (s.retired ? " retired" + (s.retire_reason.empty() ? "" : " (" + s.retire_reason + ")") : "") << "\n";
  }
  ctx.Success(json{{"command", "signer list"}, {"signers", list}}, t.str());
  return Ok();
}

Status RunSignerAdd(const Ctx& ctx, const SignerOpts& o) {
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_ASSIGN(issuer::SignerInfo s, opened.deployment.AddSigner(o.agency, o.key, o.cert, o.actor, ctx.Now()));
  json j = SignerJson(s);
  j["command"] = "signer add";
  ctx.Success(j, "agency " + SafeText(o.agency, 64) + ": document signer " + s.key_id +
                     " added; it signs from now on (logged key_added). Put its certificate in the next trust list.\n");
  return Ok();
}

Status RunSignerRetire(const Ctx& ctx, const SignerOpts& o) {
  std::optional<status::RevocationReason> reason;
  if (!o.reason.empty()) {
    WQ_ASSIGN(reason, status::ParseReasonCode(o.reason));
  }
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_ASSIGN(issuer::RetireOutcome r, opened.deployment.RetireSigner(o.agency, o.key_id, reason, o.actor, ctx.Now()));
  json revoked = json::array();
  for (const auto& id : r.revoked) revoked.push_back(IdHex(id));
  json j = SignerJson(r.signer);
  j["command"] = "signer retire";
  j["revoked"] = revoked;
  j["active_key_id"] = r.active_key_id;
  j["log_size"] = r.log_size;
  ctx.Success(j, "agency " + SafeText(o.agency, 64) + ": document signer " + r.signer.key_id + " retired" +
                     (reason ? " (" + o.reason + ")" : "") + "; " + std::to_string(r.revoked.size()) +
                     " credential(s) revoked; " +
                     (r.active_key_id.empty() ? std::string("the agency has no signer left and cannot issue")
                                              : "signing with " + r.active_key_id) +
                     "; publish to make it visible\n");
  return Ok();
}

// ---- trust list ----

struct TrustListOpts {
  DeploymentOpts dep;
  std::string record;
  std::string root;
  std::string actor;
};

Status RunTrustList(const Ctx& ctx, const TrustListOpts& o) {
  WQ_ASSIGN(Bytes list, keys::ReadFileBytes(o.record, 16u << 20));
  WQ_ASSIGN(keys::Certificate root, ReadCert(o.root));
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_ASSIGN(issuer::TrustListRecord r, opened.deployment.RecordTrustList(list, root, o.actor, ctx.Now()));
  json j{{"command", "trust-list"},
         {"sequence", r.sequence},
         {"sha256", ToHex(r.sha256)},
         {"log_index", r.log_index},
         {"missing_signers", r.missing_signers}};
  std::string text = "trust list sequence " + std::to_string(r.sequence) + " recorded at log entry " +
                     std::to_string(r.log_index) + "\n";
  for (const auto& m : r.missing_signers) text += "  warning: active document signer " + m + " is not in this list\n";
  ctx.Success(j, text);
  return Ok();
}

// ---- staged records ----

struct StageOpts {
  DeploymentOpts dep;
  std::string agency, doc_type, document_number, record, only_profile, actor, idempotency_key;
  int valid_days = 365;
};

Status RunStage(const Ctx& ctx, const StageOpts& o) {
  issuer::IssueInput in;
  in.agency = o.agency;
  in.doc_type = o.doc_type;
  in.document_number = o.document_number;
  WQ_ASSIGN(in.claims_json, ReadTextFile(o.record, 1u << 20));
  in.valid_days = o.valid_days;
  in.only_profile = o.only_profile;
  in.idempotency_key = o.idempotency_key;
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_ASSIGN(issuer::StagedOutcome r, opened.deployment.Stage(in, o.actor, ctx.Now()));
  json j{{"command", "stage"},
         {"pickup_id", r.pickup_id},
         {"agency", r.agency},
         {"doc_type", r.doc_type},
         {"document_number", r.document_number},
         {"already_staged", r.already_staged}};
  ctx.Success(j, std::string(r.already_staged ? "already staged" : "staged") + " " + r.doc_type + " for document " +
                     SafeText(r.document_number, 64) + ": pickup id " + r.pickup_id + "\n");
  return Ok();
}

struct PickupOpts {
  DeploymentOpts dep;
  std::string pickup_id, device_key, out, actor;
};

Status RunPickup(const Ctx& ctx, const PickupOpts& o) {
  WQ_TRY(CheckNewOutput(o.out, "credential"));
  WQ_ASSIGN(PublicKey device, ReadPublicKey(o.device_key));
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_ASSIGN(issuer::IssuedRecord r, opened.deployment.IssueStaged(o.pickup_id, device, ctx.Now(), o.actor));
  WQ_TRY(keys::WriteFileAtomically(o.out, r.credential, keys::WriteMode::kCreateNew, 0600));
  json j = IssuedJson(r);
  j["command"] = "pickup";
  j["out"] = o.out;
  ctx.Success(j, "issued staged " + r.doc_type + " for document " + SafeText(r.document_number, 64) + ": credential " +
                     IdHex(r.credential_id) + " -> " + o.out + "\n");
  return Ok();
}

Status RunCancelStaged(const Ctx& ctx, const PickupOpts& o) {
  WQ_ASSIGN(Opened opened, OpenDeployment(o.dep));
  WQ_TRY(opened.deployment.CancelStaged(o.pickup_id, o.actor, ctx.Now()));
  ctx.Success(json{{"command", "cancel-staged"}, {"pickup_id", o.pickup_id}},
              "staged record " + SafeText(o.pickup_id, 64) + " cancelled\n");
  return Ok();
}

template <class F>
std::function<void()> Action(std::shared_ptr<Ctx> ctx, std::string name, F f) {
  return [ctx, name, f] {
    Status s = f();
    if (!s) ctx->Fail(name, s.error());
  };
}

}  // namespace

Status RunDeploymentIssue(const Ctx& ctx, const DeploymentIssueArgs& a) {
  if (a.agency.empty()) return Fail(Errc::kInvalidArgument, "issuing through a deployment needs --agency");
  if (a.actor.empty()) return Fail(Errc::kInvalidArgument, "issuing through a deployment needs --actor (the staff id)");
  WQ_TRY(CheckNewOutput(a.out, "credential"));
  WQ_ASSIGN(issuer::IssueInput in, InputFrom(a));
  DeploymentOpts d{a.deployment, a.pass, a.pin};
  WQ_ASSIGN(Opened opened, OpenDeployment(d));
  WQ_ASSIGN(issuer::IssuedRecord r, opened.deployment.Issue(in, a.actor, ctx.Now()));
  WQ_TRY(keys::WriteFileAtomically(a.out, r.credential, keys::WriteMode::kCreateNew, 0600));
  json j = IssuedJson(r);
  j["command"] = "issue";
  j["out"] = a.out;
  ctx.Success(j, "issued " + r.doc_type + " for document " + SafeText(r.document_number, 64) + ": credential " +
                     IdHex(r.credential_id) + ", status " + r.status_uri + " #" + std::to_string(r.status_idx) +
                     " -> " + a.out + "\n");
  return Ok();
}

void RegisterIssuerDeploymentCommands(CLI::App* issuer_cmd, std::shared_ptr<Ctx> ctx) {
  {
    auto o = std::make_shared<InitOpts>();
    CLI::App* c =
        issuer_cmd->add_subcommand("init", "create a deployment: registry, log key, agencies from a JSON config");
    c->add_option("dir", o->dir, "the new deployment folder")->required();
    c->add_option("--config", o->config, "the agencies and the log (JSON; see docs/PUBLICATION.md)")->required();
    c->add_option("--kdf", o->kdf, "Argon2id cost of the sealed registry key and log key")->capture_default_str();
    AddSecretOptions(c, o->pass, "passphrase", "WATHIQ_PASSPHRASE");
    c->add_option("--pin-env", o->pin.env, "PIN variable for token keys (default WATHIQ_PIN)");
    c->add_option("--pin-file", o->pin.file, "read the PIN for token keys from this file");
    c->callback(Action(ctx, "init", [ctx, o] { return RunInit(*ctx, *o); }));
  }
  {
    auto o = std::make_shared<BatchOpts>();
    CLI::App* c = issuer_cmd->add_subcommand("batch", "issue from a JSON Lines file; bad lines are reported by number");
    AddDeploymentOptions(c, o->dep);
    c->add_option("--input", o->input, "JSON Lines: {agency, doc_type, claims, device_key (base64 SPKI), ...}")
        ->required();
    c->add_option("--actor", o->actor, "the acting staff id")->required();
    c->add_option("--threads", o->threads, "signing threads")->check(CLI::Range(1u, 64u))->capture_default_str();
    c->add_option("--chunk", o->chunk, "records per transaction")
        ->check(CLI::Range(size_t{1}, size_t{65536}))
        ->capture_default_str();
    c->add_flag("--quiet", o->quiet, "no progress bar");
    c->callback(Action(ctx, "batch", [ctx, o] { return RunBatch(*ctx, *o); }));
  }
  for (const char* name : {"revoke", "suspend", "reinstate"}) {
    auto o = std::make_shared<ActOpts>();
    std::string n = name;
    std::string help = n == "revoke"    ? "revoke every live credential of a document (final)"
                       : n == "suspend" ? "suspend every valid credential of a document"
                                        : "reinstate a suspended document";
    CLI::App* c = issuer_cmd->add_subcommand(n, help);
    AddDeploymentOptions(c, o->dep);
    c->add_option("--agency", o->agency, "the acting agency (only the issuing agency may act)")->required();
    c->add_option("--document", o->document, "the document number")->required();
    if (n != "reinstate") {
      c->add_option("--reason", o->reason,
                    "lost, stolen, data_changed, superseded, deceased, issued_in_error, key_compromise, court_order, "
                    "holder_request, device_replaced")
          ->required();
    }
    c->add_option("--actor", o->actor, "the acting staff id")->required();
    c->callback(Action(ctx, n, [ctx, o, n] { return RunAct(*ctx, *o, n); }));
  }
  {
    auto o = std::make_shared<ReplaceOpts>();
    CLI::App* c =
        issuer_cmd->add_subcommand("replace", "issue a new credential for a document and revoke the old (superseded)");
    AddDeploymentOptions(c, o->dep);
    c->add_option("--agency", o->args.agency, "the issuing agency")->required();
    c->add_option("--document", o->args.document_number, "the document number")->required();
    c->add_option("--record", o->args.record, "the new agency record (JSON)")->required();
    c->add_option("--doctype", o->args.doc_type, "document type")->required();
    c->add_option("--device-key", o->args.device_key, "the holder's device public key")->required();
    c->add_option("--valid-days", o->args.valid_days, "validity in days")
        ->check(CLI::Range(1, 3660))
        ->capture_default_str();
    c->add_option("--only", o->args.only_profile, "sign only this disclosure profile's elements");
    c->add_option("--out", o->args.out, "the new credential file (not overwritten)")->required();
    c->add_option("--actor", o->args.actor, "the acting staff id")->required();
    c->callback(Action(ctx, "replace", [ctx, o] { return RunReplace(*ctx, *o); }));
  }
  {
    auto o = std::make_shared<PublishOpts>();
    CLI::App* c =
        issuer_cmd->add_subcommand("publish", "sign every status list, the checkpoint, tiles (docs/PUBLICATION.md)");
    AddDeploymentOptions(c, o->dep);
    c->add_option("--public", o->public_dir, "the folder a static web server serves (default DIR/public)");
    c->add_option("--audit", o->audit_dir, "the auditors' folder, never published (default DIR/audit)");
    c->callback(Action(ctx, "publish", [ctx, o] { return RunPublish(*ctx, *o); }));
  }
  {
    auto o = std::make_shared<ShowOpts>();
    CLI::App* c = issuer_cmd->add_subcommand("show", "what was issued for a document, its state and history");
    AddDeploymentOptions(c, o->dep);
    c->add_option("--document", o->document, "the document number")->required();
    c->add_option("--out", o->out, "write the newest live credential here");
    c->callback(Action(ctx, "show", [ctx, o] { return RunShowDocument(*ctx, *o); }));
  }
  {
    CLI::App* sg = issuer_cmd->add_subcommand("signer", "an agency's document signers: list, add (rotate), retire");
    sg->require_subcommand(1);
    {
      auto o = std::make_shared<SignerOpts>();
      CLI::App* c = sg->add_subcommand("list", "every document signer, active and retired");
      AddDeploymentOptions(c, o->dep);
      c->add_option("--agency", o->agency, "only this agency's");
      c->callback(Action(ctx, "signer list", [ctx, o] { return RunSignerList(*ctx, *o); }));
    }
    {
      auto o = std::make_shared<SignerOpts>();
      CLI::App* c = sg->add_subcommand("add", "add a document signer: it signs every credential from now on");
      AddDeploymentOptions(c, o->dep);
      c->add_option("--agency", o->agency, "the agency")->required();
      c->add_option("--key-file", o->key.file, "the signer key, sealed under the deployment passphrase");
      c->add_option("--pkcs11-module", o->key.pkcs11_module, "or: a token key's PKCS#11 module");
      c->add_option("--token-label", o->key.token_label, "the token's label");
      c->add_option("--key-label", o->key.key_label, "the key's label in the token");
      c->add_option("--cert", o->cert, "its document-signer certificate (DER or PEM)")->required();
      c->add_option("--actor", o->actor, "the acting staff id")->required();
      c->callback(Action(ctx, "signer add", [ctx, o] { return RunSignerAdd(*ctx, *o); }));
    }
    {
      auto o = std::make_shared<SignerOpts>();
      CLI::App* c = sg->add_subcommand(
          "retire", "retire a document signer for good; --reason key_compromise revokes everything it signed");
      AddDeploymentOptions(c, o->dep);
      c->add_option("--agency", o->agency, "the agency")->required();
      c->add_option("--key-id", o->key_id, "the signer's key id (hex, at least 16 digits)")->required();
      c->add_option("--reason", o->reason,
                    "key_compromise (revokes every live credential it signed), superseded, ...; none: planned");
      c->add_option("--actor", o->actor, "the acting staff id")->required();
      c->callback(Action(ctx, "signer retire", [ctx, o] { return RunSignerRetire(*ctx, *o); }));
    }
  }
  {
    auto o = std::make_shared<TrustListOpts>();
    CLI::App* c = issuer_cmd->add_subcommand("trust-list", "log a signed trust list this deployment now serves");
    AddDeploymentOptions(c, o->dep);
    c->add_option("--record", o->record, "the signed trust list (COSE_Sign1)")->required();
    c->add_option("--root", o->root, "the national root certificate it must chain to")->required();
    c->add_option("--actor", o->actor, "the acting staff id")->required();
    c->callback(Action(ctx, "trust-list", [ctx, o] { return RunTrustList(*ctx, *o); }));
  }
  {
    auto o = std::make_shared<StageOpts>();
    CLI::App* c = issuer_cmd->add_subcommand(
        "stage", "validate and register a record without a device key, for the holder to pick up");
    AddDeploymentOptions(c, o->dep);
    c->add_option("--agency", o->agency, "the issuing agency")->required();
    c->add_option("--doctype", o->doc_type, "document type")->required();
    c->add_option("--record", o->record, "the agency record (JSON)")->required();
    c->add_option("--document", o->document_number, "the document number (default: from the record)");
    c->add_option("--valid-days", o->valid_days, "validity in days, from pickup")
        ->check(CLI::Range(1, 3660))
        ->capture_default_str();
    c->add_option("--only", o->only_profile, "sign only this disclosure profile's elements");
    c->add_option("--idempotency-key", o->idempotency_key, "a re-run with the same key stages nothing new");
    c->add_option("--actor", o->actor, "the acting staff id")->required();
    c->callback(Action(ctx, "stage", [ctx, o] { return RunStage(*ctx, *o); }));
  }
  {
    auto o = std::make_shared<PickupOpts>();
    CLI::App* c = issuer_cmd->add_subcommand(
        "pickup", "issue a staged record to a device key (the caller has checked the holder's proof of the key)");
    AddDeploymentOptions(c, o->dep);
    c->add_option("--pickup-id", o->pickup_id, "the staged record's pickup id")->required();
    c->add_option("--device-key", o->device_key, "the holder's device public key")->required();
    c->add_option("--out", o->out, "the credential file (not overwritten)")->required();
    c->add_option("--actor", o->actor, "the acting staff or service id")->required();
    c->callback(Action(ctx, "pickup", [ctx, o] { return RunPickup(*ctx, *o); }));
  }
  {
    auto o = std::make_shared<PickupOpts>();
    CLI::App* c = issuer_cmd->add_subcommand("cancel-staged", "cancel a staged record (it can no longer be picked up)");
    AddDeploymentOptions(c, o->dep);
    c->add_option("--pickup-id", o->pickup_id, "the staged record's pickup id")->required();
    c->add_option("--actor", o->actor, "the acting staff id")->required();
    c->callback(Action(ctx, "cancel-staged", [ctx, o] { return RunCancelStaged(*ctx, *o); }));
  }
  RegisterIssuerBackupCommands(issuer_cmd, ctx);
}

issuer::KeyOpener MakeOpener(std::shared_ptr<keys::SecretText> pass, SecretOpts pin) {
  return [pass, pin](const issuer::KeySpec& spec) -> Result<keys::KeyHandle> {
    if (!spec.file.empty()) {
      auto k = keys::OpenSealedKeyFile(spec.file, *pass);
      if (!k) return Wrap(spec.file, k.error());
      return k;
    }
    KeyOpts k;
    k.module = spec.pkcs11_module;
    k.token = spec.token_label;
    k.key_label = spec.key_label;
    k.pin = pin;
    return OpenKey(k);
  };
}

}  // namespace wathiq::cli
