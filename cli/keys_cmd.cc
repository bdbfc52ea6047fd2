// `wathiq keys …`: the national PKI from the command line — root, agency signers, certificates, the signed
// trust list, M-of-N root backup, PKCS#11 tokens, and `inspect` for every file these produce.
//
// Secrets never come from argv (every user can read /proc/*/cmdline): passphrases come from
// --passphrase-file or an environment variable (--passphrase-env NAME, default WATHIQ_PASSPHRASE), PINs from
// --pin-file or --pin-env (default WATHIQ_PIN). Outputs are written atomically and never replace an
// existing file. Exit codes (cli/commands.h): 0 ok, 1 a check failed (bad signature, wrong passphrase or
// PIN, rejected certificate or trust list, refusing to overwrite), 2 usage, 3 input unreadable or
// malformed, 4 internal. --json prints one JSON object on stdout, for success and failure alike.
#include <charconv>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/cose.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/backup.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/pkcs11.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/trust_list_description.h"
#include "wathiq/keys/x509.h"

namespace wathiq::cli {

void RegisterKeysCommands(CLI::App& app, ExitCode& exit_code);

namespace {

using nlohmann::json;
using namespace wathiq::keys;

Result<std::pair<int, int>> ParseSplit(const std::string& s) {
  auto sep = s.find_first_of("/-");
  size_t of = s.find("-of-");
  std::string m, n;
  if (of != std::string::npos) {
    m = s.substr(0, of);
    n = s.substr(of + 4);
  } else if (sep != std::string::npos) {
    m = s.substr(0, sep);
    n = s.substr(sep + 1);
  } else {
    return Fail(Errc::kInvalidArgument, "--split takes M-of-N, e.g. 3-of-5");
  }
  int mi = 0, ni = 0;
  auto r1 = std::from_chars(m.data(), m.data() + m.size(), mi);
  auto r2 = std::from_chars(n.data(), n.data() + n.size(), ni);
  if (r1.ec != std::errc() || r1.ptr != m.data() + m.size() || r2.ec != std::errc() || r2.ptr != n.data() + n.size()) {
    return Fail(Errc::kInvalidArgument, "--split takes M-of-N, e.g. 3-of-5");
  }
  return std::pair<int, int>{mi, ni};
}

json CertJson(const Certificate& c) {
  json eku = json::array();
  for (const auto& e : c.extended_key_usages()) eku.push_back(e);
  json ku = json::array();
  if (c.key_usage() & kKuDigitalSignature) ku.push_back("digitalSignature");
  if (c.key_usage() & kKuKeyCertSign) ku.push_back("keyCertSign");
  if (c.key_usage() & kKuCrlSign) ku.push_back("cRLSign");
  auto role = c.role();
  auto key_id = KeyIdForPublicKey(c.public_key());
  return {{"subject", c.subject()},
          {"issuer", c.issuer()},
          {"serial", c.serial_hex()},
          {"not_before", c.not_before()},
          {"not_after", c.not_after()},
          {"role", role ? std::string(CertRoleName(*role)) : "none"},
          {"ca", c.is_ca()},
          {"key_usage", ku},
          {"extended_key_usage", eku},
          {"signature_alg", std::string(AlgName(c.signature_alg()))},
          {"public_key_curve", std::string(CurveName(c.public_key().curve()))},
          {"key_id", key_id ? *key_id : ""},
          {"subject_key_id", ToHex(c.subject_key_id())},
          {"authority_key_id", ToHex(c.authority_key_id())},
          {"issuer_alt_name", c.issuer_alt_name()},
          {"kid", ToHex(c.kid())},
          {"sha256", ToHex(c.sha256())}};
}

std::string CertText(const Certificate& c) {
  json j = CertJson(c);
  std::string s;
  for (auto it = j.begin(); it != j.end(); ++it) {
    s += "  " + it.key() + ": " +
         (it->is_string() ? it->get<std::string>() : it->dump(-1, ' ', false, json::error_handler_t::replace)) + "\n";
  }
  return s;
}

// Commands -------------------------------------------------------------------------------------------------

struct NameOpts {
  std::string country;
  std::string state;
  std::string org;
  std::string unit;
  std::string cn;
  std::string ian_uri;
  std::string crl_uri;
  int days = 365;
  int64_t not_before = 0;
};

void AddNameOptions(CLI::App* c, NameOpts& n, int default_days) {
  n.days = default_days;
  c->add_option("--country", n.country, "subject countryName (ISO 3166-1 alpha-2)");
  c->add_option("--state", n.state, "subject stateOrProvinceName");
  c->add_option("--org", n.org, "subject organizationName");
  c->add_option("--unit", n.unit, "subject organizationalUnitName");
  c->add_option("--cn", n.cn, "subject commonName (UTF-8, Arabic welcome)")->required();
  c->add_option("--ian-uri", n.ian_uri, "issuerAltName URI (ISO 18013-5 asks for it)");
  c->add_option("--crl-uri", n.crl_uri, "CRL distribution point URI");
  c->add_option("--days", n.days, "validity in days")->capture_default_str();
  c->add_option("--not-before", n.not_before, "start of validity, seconds since the epoch (default: now - 60 s)");
}

CertificateRequest RequestFrom(const NameOpts& n, CertRole role, const PublicKey& key, int64_t now) {
  CertificateRequest r;
  r.role = role;
  r.subject = {n.country, n.state, n.org, n.unit, n.cn};
  r.subject_key = key;
  r.not_before = n.not_before ? n.not_before : now - 60;
  r.not_after = r.not_before + int64_t{n.days} * 86400;
  r.issuer_alt_name_uri = n.ian_uri;
  r.crl_distribution_uri = n.crl_uri;
  return r;
}

struct CreateRootOpts {
  KeyOpts key;
  std::string cert_out;
  std::string alg = "ES256";
  std::string kdf = "moderate";
  std::string split;
  std::string shares_dir;
  NameOpts name;
};

std::string ShareFileName(const std::string& dir, int i, int n) {
  return dir + "/root-share-" + std::to_string(i + 1) + "-of-" + std::to_string(n) + ".txt";
}

Status RunCreateRoot(const Ctx& ctx, const CreateRootOpts& o) {
  WQ_ASSIGN(Alg alg, ParseAlg(o.alg));
  WQ_ASSIGN(KdfParams kdf, KdfParams::FromName(o.kdf));
  if (o.name.country.empty()) return Fail(Errc::kInvalidArgument, "the root needs --country");
  std::pair<int, int> split{0, 0};
  if (!o.split.empty()) {
    if (o.key.pkcs11())
      return Fail(Errc::kInvalidArgument, "a root in a token cannot be split: its key never leaves it");
    if (o.shares_dir.empty()) return Fail(Errc::kInvalidArgument, "--split needs --shares-dir");
    WQ_ASSIGN(split, ParseSplit(o.split));
    if (split.first < 2 || split.second < split.first || split.second > 255) {
      return Fail(Errc::kInvalidArgument, "--split needs 2 <= M <= N <= 255");
    }
  }
  // Every output is checked before anything is created (the key, in a file or a token, included): a root
  // key must never be left behind without its certificate or its backup.
  if (!o.key.pkcs11()) WQ_TRY(CheckNewOutput(o.key.file, "root key"));
  WQ_TRY(CheckNewOutput(o.cert_out, "root certificate"));
  if (split.first) {
    WQ_TRY(CheckOutputFolder(o.shares_dir, "backup shares"));
    for (int i = 0; i < split.second; ++i) {
      WQ_TRY(CheckNewOutput(ShareFileName(o.shares_dir, i, split.second), "backup share"));
    }
  }
  SecretText pass;
  if (!o.key.pkcs11()) {
    WQ_ASSIGN(pass, ReadSecret(o.key.pass, "WATHIQ_PASSPHRASE", "passphrase"));
  }
  WQ_ASSIGN(KeyHandle key, CreateKey(o.key, alg, "wathiq-root"));
  WQ_ASSIGN(Certificate cert,
            CreateRootCertificate(key, RequestFrom(o.name, CertRole::kRoot, key.cached_public_key(), ctx.Now())));
  if (!o.key.pkcs11()) {
    SealOptions so;
    so.kdf = kdf;
    so.label = "wathiq-root";
    WQ_TRY(WriteSealedKeyFile(o.key.file, key, pass, so));
  }
  WQ_TRY(WriteCert(o.cert_out, cert));
  json shares = json::array();
  if (split.first) {
    WQ_ASSIGN(auto lines, SplitKeyForBackup(key, split.first, split.second));
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string p = ShareFileName(o.shares_dir, static_cast<int>(i), static_cast<int>(lines.size()));
      SecureBuffer line(lines[i].size() + 1);  // a share is secret material: no unwiped copy
      std::memcpy(line.data(), lines[i].view().data(), lines[i].size());
      line.data()[lines[i].size()] = '\n';
      WQ_TRY(WriteFileAtomically(p, line.view(), WriteMode::kCreateNew, 0600));
      shares.push_back(p);
    }
  }
  json j = {{"key_id", key.key_id()},    {"key_source", std::string(KeySourceName(key.source()))},
            {"certificate", o.cert_out}, {"certificate_sha256", ToHex(cert.sha256())},
            {"subject", cert.subject()}, {"shares", shares}};
  if (!o.key.pkcs11()) j["key_file"] = o.key.file;
  std::string text = "root created: key " + key.key_id() + " (" + std::string(KeySourceName(key.source())) + ")\n" +
                     "  certificate: " + o.cert_out + " sha256 " + ToHex(cert.sha256()) + "\n";
  if (split.first) {
    text += "  backup: " + std::to_string(split.second) + " shares, any " + std::to_string(split.first) +
            " recover the key, in " + o.shares_dir + "\n";
  }
  ctx.Success(j, text);
  return Ok();
}

struct CreateKeyOpts {
  KeyOpts key;
  std::string alg = "ES256";
  std::string kdf = "moderate";
  std::string label;
  std::string public_out;
};

Status RunCreateKey(const Ctx& ctx, const CreateKeyOpts& o) {
  WQ_ASSIGN(Alg alg, ParseAlg(o.alg));
  WQ_ASSIGN(KdfParams kdf, KdfParams::FromName(o.kdf));
  SecretText pass;
  if (!o.key.pkcs11()) {
    WQ_ASSIGN(pass, ReadSecret(o.key.pass, "WATHIQ_PASSPHRASE", "passphrase"));
  } else if (o.key.key_label.empty() && o.label.empty()) {
    return Fail(Errc::kInvalidArgument, "a token key needs --key-label");
  }
  if (!o.key.pkcs11()) WQ_TRY(CheckNewOutput(o.key.file, "key"));
  if (!o.public_out.empty()) WQ_TRY(CheckNewOutput(o.public_out, "public key"));
  WQ_ASSIGN(KeyHandle key, CreateKey(o.key, alg, o.label));
  if (!o.key.pkcs11()) {
    SealOptions so;
    so.kdf = kdf;
    so.label = o.label;
    WQ_TRY(WriteSealedKeyFile(o.key.file, key, pass, so));
  }
  if (!o.public_out.empty()) WQ_TRY(WriteFileAtomically(o.public_out, key.spki(), WriteMode::kCreateNew, 0644));
  json j = {{"key_id", key.key_id()},
            {"alg", std::string(AlgName(key.alg()))},
            {"key_source", std::string(KeySourceName(key.source()))},
            {"label", key.label()}};
  if (!o.key.pkcs11()) j["key_file"] = o.key.file;
  if (!o.public_out.empty()) j["public_key_file"] = o.public_out;
  ctx.Success(j, "key created: " + key.key_id() + " " + std::string(AlgName(key.alg())) + " (" +
                     std::string(KeySourceName(key.source())) + ")\n");
  return Ok();
}

struct CreateLogKeyOpts {
  KeyOpts key;
  std::string name;
  std::string kdf = "moderate";
};

// The audit log's Ed25519 signing key (sealed or in a token) and the C2SP verifier key a trust-list
// description names as log.verifier_key.
Status RunCreateLogKey(const Ctx& ctx, const CreateLogKeyOpts& o) {
  if (o.name.empty() || o.name.size() > 256 || o.name.find_first_of(" +\n") != std::string::npos) {
    return Fail(Errc::kInvalidArgument, "--name is the log's note name: 1 to 256 bytes, no spaces, '+' or newlines");
  }
  WQ_ASSIGN(KdfParams kdf, KdfParams::FromName(o.kdf));
  SecretText pass;
  if (!o.key.pkcs11()) {
    WQ_ASSIGN(pass, ReadSecret(o.key.pass, "WATHIQ_PASSPHRASE", "passphrase"));
    WQ_TRY(CheckNewOutput(o.key.file, "key"));
  } else if (o.key.key_label.empty()) {
    return Fail(Errc::kInvalidArgument, "a token key needs --key-label");
  }
  WQ_ASSIGN(KeyHandle key, CreateKey(o.key, Alg::kEdDSA, "log " + o.name));
  if (!o.key.pkcs11()) {
    SealOptions so;
    so.kdf = kdf;
    so.label = "log " + o.name;
    WQ_TRY(WriteSealedKeyFile(o.key.file, key, pass, so));
  }
  WQ_ASSIGN(std::string vkey, NoteVerifierKey(o.name, key.cached_public_key()));
  json j = {{"key_id", key.key_id()},
            {"key_source", std::string(KeySourceName(key.source()))},
            {"name", o.name},
            {"verifier_key", vkey}};
  if (!o.key.pkcs11()) j["key_file"] = o.key.file;
  ctx.Success(j, "log key created (" + std::string(KeySourceName(key.source())) +
                     "); its verifier key, for the "
                     "trust-list description's log.verifier_key:\n" +
                     vkey + "\n");
  return Ok();
}

struct IssueOpts {
  KeyOpts issuer;
  std::string issuer_cert;
  std::string subject_key;
  std::string role;
  std::string cert_out;
  NameOpts name;
};

Status RunIssue(const Ctx& ctx, const IssueOpts& o) {
  WQ_ASSIGN(CertRole role, CertRoleFromName(o.role));
  if (role == CertRole::kRoot) return Fail(Errc::kInvalidArgument, "use create-root for the root certificate");
  WQ_ASSIGN(Certificate issuer_cert, ReadCert(o.issuer_cert));
  WQ_ASSIGN(PublicKey subject, ReadPublicKey(o.subject_key));
  WQ_ASSIGN(KeyHandle issuer, OpenKey(o.issuer));
  WQ_ASSIGN(Certificate cert, IssueCertificate(issuer, issuer_cert, RequestFrom(o.name, role, subject, ctx.Now())));
  if (auto st = ValidateCertificate(cert, role, issuer_cert, std::nullopt); !st) return Fail(st.error());
  WQ_TRY(WriteCert(o.cert_out, cert));
  json j = CertJson(cert);
  j["certificate"] = o.cert_out;
  ctx.Success(j, "issued " + std::string(CertRoleName(role)) + " certificate " + o.cert_out + "\n" + CertText(cert));
  return Ok();
}

struct SignTlOpts {
  KeyOpts signer;
  std::string signer_cert;
  std::string description;
  std::string out;
  std::string root;
};

json TrustListJson(const TrustList& tl) {
  json agencies = json::array();
  for (const auto& a : tl.agencies()) {
    json signers = json::array();
    for (size_t i : a.signer_indexes) {
      const TrustedSigner& s = tl.signers()[i];
      signers.push_back({{"role", s.role == SignerRole::kDocumentSigner ? "document-signer" : "status-list-signer"},
                         {"kid", ToHex(s.kid)},
                         {"not_before", s.not_before},
                         {"not_after", s.not_after}});
    }
    agencies.push_back({{"id", a.id},
                        {"name_ar", a.name_ar},
                        {"name_en", a.name_en},
                        {"doc_types", a.doc_types},
                        {"status_prefixes", a.status_prefixes},
                        {"aggregation_uri", a.aggregation_uri},
                        {"signers", signers}});
  }
  return {{"sequence", tl.sequence()},
          {"issued_at", tl.issued_at()},
          {"next_update", tl.next_update()},
          {"log", {{"origin", tl.log().origin}, {"verifier_key", tl.log().verifier_key}}},
          {"signer", tl.signer_certificate().subject()},
          {"payload_sha256", ToHex(tl.payload_sha256())},
          {"agencies", agencies}};
}

std::string TrustListText(const TrustList& tl) {
  std::string s = "trust list #" + std::to_string(tl.sequence()) + ", issued " + std::to_string(tl.issued_at()) +
                  ", next update " + std::to_string(tl.next_update()) + "\n  signed by " +
                  tl.signer_certificate().subject() + "\n  log " + tl.log().origin + "\n";
  for (const auto& a : tl.agencies()) {
    s += "  agency " + a.id + ": " + a.name_en + " / " + a.name_ar + ", " + std::to_string(a.signer_indexes.size()) +
         " signer certificates, doc types:";
    for (const auto& d : a.doc_types) s += " " + d;
    s += "\n";
  }
  return s;
}

Status RunSignTrustList(const Ctx& ctx, const SignTlOpts& o) {
  WQ_ASSIGN(TrustListContent content, ReadTrustListDescription(o.description, ctx.Now()));
  WQ_ASSIGN(Certificate cert, ReadCert(o.signer_cert));
  WQ_ASSIGN(KeyHandle signer, OpenKey(o.signer));
  WQ_ASSIGN(Bytes signed_tl, SignTrustList(content, signer, cert));
  json j = {{"trust_list", o.out}, {"sequence", content.sequence}, {"bytes", signed_tl.size()}};
  std::string text = "trust list #" + std::to_string(content.sequence) + " signed: " + o.out + " (" +
                     std::to_string(signed_tl.size()) + " bytes, " + std::to_string(content.agencies.size()) +
                     " agencies)\n";
  if (!o.root.empty()) {  // check that it loads under the pinned root before publishing it
    WQ_ASSIGN(Certificate root, ReadCert(o.root));
    TrustListPolicy p;
    p.now = ctx.Now();
    auto loaded = TrustList::Load(signed_tl, root, p);
    if (!loaded) return Fail(loaded.error());
    j["verified_against_root"] = true;
  }
  WQ_TRY(WriteFileAtomically(o.out, signed_tl, WriteMode::kCreateNew, 0644));
  ctx.Success(j, text);
  return Ok();
}

struct VerifyTlOpts {
  std::string file;
  std::string root;
  uint64_t min_sequence = 0;
  int64_t max_staleness = 0;
};

void ReportTrustListFailure(const Ctx& ctx, const std::string& cmd, const Error& e) {
  const TrustListErrc code = TrustListErrcOf(e).value_or(TrustListErrc::kMalformed);
  ctx.exit->value =
      code == TrustListErrc::kMalformed || code == TrustListErrc::kUnsupported ? kExitInput : kExitCheckFailed;
  if (ctx.json_out) {
    json err = {{"reason", std::string(TrustListErrcName(code))}, {"message", e.message}};
    if (auto cert = CertErrcOf(Error{e.code, "", e.cause}))
      err["certificate_reason"] = std::string(CertErrcName(*cert));
    std::cout << Dump({{"ok", false}, {"command", cmd}, {"error", err}}) << "\n";
  }
  std::cerr << "wathiq keys " << cmd << ": " << e.ToString() << "\n";
}

void RunVerifyTrustList(const Ctx& ctx, const VerifyTlOpts& o, const std::string& cmd) {
  auto bytes = ReadFileBytes(o.file, 16u << 20);
  if (!bytes) return ctx.Fail(cmd, bytes.error());
  auto root = ReadCert(o.root);
  if (!root) return ctx.Fail(cmd, root.error());
  TrustListPolicy p;
  p.now = ctx.Now();
  p.min_sequence = o.min_sequence;
  p.max_staleness = o.max_staleness;
  auto tl = TrustList::Load(*bytes, *root, p);
  if (!tl) return ReportTrustListFailure(ctx, cmd, tl.error());
  json j = TrustListJson(**tl);
  j["type"] = "trust-list";
  j["verified"] = true;
  ctx.Success(j, "valid " + TrustListText(**tl));
}

struct InspectOpts {
  std::string file;
  std::string root;
};

void RunInspect(const Ctx& ctx, const InspectOpts& o) {
  const std::string cmd = "inspect";
  auto bytes = ReadFileBytes(o.file, 16u << 20);
  if (!bytes) return ctx.Fail(cmd, bytes.error());
  const Bytes& b = *bytes;
  std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
  if (LooksLikeSealedKey(b)) {
    auto info = InspectSealedKey(b);
    if (!info) return ctx.Fail(cmd, info.error());
    json j = {{"type", "sealed-key"},
              {"version", info->version},
              {"alg", std::string(AlgName(info->alg))},
              {"label", info->label},
              {"key_id", info->key_id},
              {"public_key", ToHex(info->public_key.raw())},
              {"created_at", info->created_at},
              {"kdf", {{"alg", "argon2id13"}, {"opslimit", info->kdf.opslimit}, {"memlimit", info->kdf.memlimit}}}};
    return ctx.Success(j, "sealed key " + info->key_id + " " + std::string(AlgName(info->alg)) + " label '" +
                              info->label + "', Argon2id ops " + std::to_string(info->kdf.opslimit) + " mem " +
                              std::to_string(info->kdf.memlimit >> 10) + " KiB, XChaCha20-Poly1305\n");
  }
  if (text.starts_with("WQSHARE1.")) {
    auto info = InspectShare(text);
    if (!info) return ctx.Fail(cmd, info.error());
    json j = {{"type", "key-share"},  {"key_id", info->key_id},       {"alg", std::string(AlgName(info->alg))},
              {"index", info->index}, {"threshold", info->threshold}, {"count", info->count}};
    return ctx.Success(j, "backup share " + std::to_string(info->index) + " of " + std::to_string(info->count) +
                              " (any " + std::to_string(info->threshold) + " recover key " + info->key_id +
                              "), checksum ok\n");
  }
  if (auto cert = Certificate::FromBytes(b)) {
    json j = CertJson(*cert);
    j["type"] = "certificate";
    std::string t = "certificate\n" + CertText(*cert);
    if (!o.root.empty()) {
      auto root = ReadCert(o.root);
      if (!root) return ctx.Fail(cmd, root.error());
      CertRole role = cert->role().value_or(CertRole::kDocumentSigner);
      auto st = ValidateCertificate(*cert, role, *root, ctx.Now());
      if (!st) {
        ctx.exit->value = kExitCheckFailed;
        j["ok"] = false;
        j["validation"] = {{"valid", false},
                           {"reason", std::string(CertErrcName(CertErrcOf(st.error()).value_or(CertErrc::kMalformed)))},
                           {"message", st.error().message}};
        if (ctx.json_out) std::cout << Dump(j) << "\n";
        else std::cout << t;
        std::cerr << "wathiq keys inspect: " << st.error().ToString() << "\n";
        return;
      }
      j["validation"] = {{"valid", true}, {"role", std::string(CertRoleName(role))}};
      t += "  valid under the given root as " + std::string(CertRoleName(role)) + "\n";
    }
    return ctx.Success(j, t);
  }
  if (!b.empty() && (b[0] == 0xd2 || b[0] == 0x84)) {  // COSE_Sign1, tagged or not
    if (!o.root.empty()) {
      // Load with freshness relaxed so that the content and the signature can be reported, then judge
      // freshness here: an expired list is never called valid, and the exit code says a check failed.
      auto root = ReadCert(o.root);
      if (!root) return ctx.Fail(cmd, root.error());
      TrustListPolicy p;
      p.now = ctx.Now();
      p.max_staleness = int64_t{1} << 40;
      auto tl = TrustList::Load(b, *root, p);
      if (!tl) return ReportTrustListFailure(ctx, cmd, tl.error());
      json j = TrustListJson(**tl);
      j["type"] = "trust-list";
      j["verified"] = true;
      const int64_t past = ctx.Now() - (*tl)->next_update();
      if (past <= 0) {
        j["fresh"] = true;
        return ctx.Success(j, "valid " + TrustListText(**tl));
      }
      ctx.exit->value = kExitCheckFailed;
      const std::string why = "trust list #" + std::to_string((*tl)->sequence()) +
                              " is stale: expired at next_update " + std::to_string((*tl)->next_update()) + ", " +
                              std::to_string(past) + " s ago; verifiers refuse it";
      j["ok"] = false;
      j["fresh"] = false;
      j["error"] = {{"reason", std::string(TrustListErrcName(TrustListErrc::kStale))}, {"message", why}};
      if (ctx.json_out) std::cout << Dump(j) << "\n";
      else std::cout << "EXPIRED (stale) " << TrustListText(**tl);
      std::cerr << "wathiq keys inspect: " << why << "\n";
      return;
    }
    auto msg = cose::ParseSign1(b);
    if (!msg) return ctx.Fail(cmd, msg.error());
    if (!msg->payload) return ctx.Fail(cmd, Error{Errc::kMalformed, "detached payload"});
    auto content = DecodeTrustListPayload(*msg->payload);
    if (!content) return ctx.Fail(cmd, content.error());
    json agencies = json::array();
    for (const auto& a : content->agencies) {
      agencies.push_back({{"id", a.id},
                          {"name_ar", a.name_ar},
                          {"name_en", a.name_en},
                          {"doc_types", a.doc_types},
                          {"document_signers", a.document_signer_certs.size()},
                          {"status_list_signers", a.status_list_signer_certs.size()}});
    }
    json j = {{"type", "trust-list"},
              {"verified", false},
              {"sequence", content->sequence},
              {"issued_at", content->issued_at},
              {"next_update", content->next_update},
              {"log", {{"origin", content->log.origin}, {"verifier_key", content->log.verifier_key}}},
              {"agencies", agencies}};
    return ctx.Success(j, "trust list #" + std::to_string(content->sequence) + " with " +
                              std::to_string(content->agencies.size()) +
                              " agencies (signature NOT verified: pass --root to verify)\n");
  }
  if (auto k = PublicKey::FromSpki(b)) {
    auto id = KeyIdForPublicKey(*k);
    json j = {{"type", "public-key"}, {"curve", std::string(CurveName(k->curve()))}, {"key_id", id ? *id : ""}};
    return ctx.Success(j, "public key " + std::string(CurveName(k->curve())) + " " + (id ? *id : "") + "\n");
  }
  ctx.Fail(cmd, Error{Errc::kMalformed, o.file + ": not a sealed key, share, certificate, trust list or public key"});
}

struct RecoverOpts {
  std::vector<std::string> share_files;
  KeyOpts out;
  std::string kdf = "moderate";
  std::string cert;
};

Status RunRecover(const Ctx& ctx, const RecoverOpts& o) {
  WQ_ASSIGN(KdfParams kdf, KdfParams::FromName(o.kdf));
  std::vector<SecretText> share_texts;  // shares are secret material: read into protected memory
  for (const auto& f : o.share_files) {
    WQ_ASSIGN(SecretText t, SecretText::FromFile(f));
    share_texts.push_back(std::move(t));
  }
  std::vector<std::string_view> shares;
  for (const auto& t : share_texts) shares.push_back(t.text());
  WQ_ASSIGN(SecretText pass, ReadSecret(o.out.pass, "WATHIQ_PASSPHRASE", "passphrase"));
  WQ_ASSIGN(KeyHandle key, RecoverKeyFromShares(shares, "wathiq-root"));
  if (!o.cert.empty()) {
    WQ_ASSIGN(Certificate cert, ReadCert(o.cert));
    if (!(cert.public_key() == key.cached_public_key())) {
      return Fail(Errc::kPermission, "the recovered key does not match " + o.cert);
    }
  }
  SealOptions so;
  so.kdf = kdf;
  so.label = "wathiq-root";
  WQ_TRY(WriteSealedKeyFile(o.out.file, key, pass, so));
  ctx.Success({{"key_id", key.key_id()}, {"key_file", o.out.file}},
              "recovered key " + key.key_id() + " into " + o.out.file + "\n");
  return Ok();
}

struct InitTokenOpts {
  KeyOpts token;
  SecretOpts so_pin;
};

Status RunInitToken(const Ctx& ctx, const InitTokenOpts& o) {
  if (o.token.module.empty() || o.token.token.empty()) {
    return Fail(Errc::kInvalidArgument, "init-token needs --pkcs11-module and --token-label");
  }
  WQ_ASSIGN(SecretText so, ReadSecret(o.so_pin, "WATHIQ_SO_PIN", "so-pin"));
  WQ_ASSIGN(SecretText pin, ReadSecret(o.token.pin, "WATHIQ_PIN", "pin"));
  WQ_ASSIGN(auto module, Pkcs11Module::Load(o.token.module));
  WQ_TRY(module->InitToken(o.token.token, so, pin));
  ctx.Success({{"token_label", o.token.token}}, "token '" + o.token.token + "' initialised\n");
  return Ok();
}

struct ChangePassOpts {
  std::string file;
  SecretOpts old_pass;
  SecretOpts new_pass;
  std::string kdf = "moderate";
};

Status RunChangePassphrase(const Ctx& ctx, const ChangePassOpts& o) {
  WQ_ASSIGN(KdfParams kdf, KdfParams::FromName(o.kdf));
  WQ_ASSIGN(SecretText old_pass, ReadSecret(o.old_pass, "WATHIQ_PASSPHRASE", "passphrase"));
  WQ_ASSIGN(SecretText new_pass, ReadSecret(o.new_pass, "WATHIQ_NEW_PASSPHRASE", "new-passphrase"));
  WQ_TRY(ChangeSealedKeyPassphrase(o.file, old_pass, new_pass, kdf));
  ctx.Success({{"key_file", o.file}}, "passphrase changed for " + o.file + "\n");
  return Ok();
}

struct KeysCli {
  Ctx ctx;
  CreateRootOpts create_root;
  CreateKeyOpts create_key;
  CreateLogKeyOpts create_log_key;
  IssueOpts issue;
  SignTlOpts sign_tl;
  VerifyTlOpts verify_tl;
  InspectOpts inspect;
  RecoverOpts recover;
  InitTokenOpts init_token;
  ChangePassOpts change_pass;
};

CLI::App* Sub(CLI::App* parent, const std::string& name, const std::string& help) {
  CLI::App* c = parent->add_subcommand(name, help);
  c->fallthrough();
  return c;
}

template <class F>
std::function<void()> Action(const std::shared_ptr<KeysCli>& s, std::string name, F f) {
  return [s, name = std::move(name), f]() {
    Status st = f(s->ctx);
    if (!st) s->ctx.Fail(name, st.error());
  };
}

}  // namespace

void RegisterKeysCommands(CLI::App& app, ExitCode& exit_code) {
  auto s = std::make_shared<KeysCli>();
  s->ctx.exit = &exit_code;
  CLI::App* keys = app.add_subcommand("keys", "national PKI: root, agency signers, certificates, trust list, backup");
  keys->require_subcommand(1);
  // --json and --now may follow the subcommand (`wathiq keys inspect F --json`).
  keys->fallthrough();
  keys->add_flag("--json", s->ctx.json_out, "print one JSON object on stdout");
  keys->add_option("--now", s->ctx.now, "the clock, seconds since the epoch (default: system time)");

  {
    auto* c = Sub(keys, "create-root", "create the national root key (sealed or in a token) and its certificate");
    auto& o = s->create_root;
    AddKeyOptions(c, o.key, "--key-out", "where to write the root key");
    c->add_option("--cert-out", o.cert_out, "root certificate (.der, or .pem)")->required();
    c->add_option("--alg", o.alg, "ES256 or EdDSA")->capture_default_str();
    c->add_option("--kdf", o.kdf, "Argon2id cost: min, interactive, moderate, sensitive")->capture_default_str();
    c->add_option("--split", o.split, "also write an M-of-N backup, e.g. 3-of-5");
    c->add_option("--shares-dir", o.shares_dir, "directory for the backup shares");
    AddNameOptions(c, o.name, 3650);
    c->callback(Action(s, "create-root", [s](const Ctx& ctx) { return RunCreateRoot(ctx, s->create_root); }));
  }
  {
    auto* c = Sub(keys, "create-key", "create an agency or trust-list signing key (sealed or in a token)");
    auto& o = s->create_key;
    AddKeyOptions(c, o.key, "--key-out", "where to write the key");
    c->add_option("--alg", o.alg, "ES256 or EdDSA")->capture_default_str();
    c->add_option("--kdf", o.kdf, "Argon2id cost: min, interactive, moderate, sensitive")->capture_default_str();
    c->add_option("--label", o.label, "a label recorded with the key");
    c->add_option("--public-out", o.public_out, "also write the public key (SubjectPublicKeyInfo DER)");
    c->callback(Action(s, "create-key", [s](const Ctx& ctx) { return RunCreateKey(ctx, s->create_key); }));
  }
  {
    auto* c = Sub(keys, "create-log-key", "create the audit log's Ed25519 signing key and print its verifier key");
    auto& o = s->create_log_key;
    AddKeyOptions(c, o.key, "--key-out", "where to write the log key");
    c->add_option("--name", o.name, "the log's note name, e.g. log.paci.gov.kw")->required();
    c->add_option("--kdf", o.kdf, "Argon2id cost: min, interactive, moderate, sensitive")->capture_default_str();
    c->callback(Action(s, "create-log-key", [s](const Ctx& ctx) { return RunCreateLogKey(ctx, s->create_log_key); }));
  }
  {
    auto* c = Sub(keys, "issue-cert", "issue a trust-list, document-signer or status-list certificate");
    auto& o = s->issue;
    AddKeyOptions(c, o.issuer, "--issuer-key", "the root key");
    c->add_option("--issuer-cert", o.issuer_cert, "the root certificate")->required();
    c->add_option("--subject-key", o.subject_key, "the subject's key: sealed key file, SPKI (DER/PEM) or certificate")
        ->required();
    c->add_option("--role", o.role, "trust-list-signer|tl, document-signer|ds, status-list-signer|status")->required();
    c->add_option("--cert-out", o.cert_out, "certificate (.der, or .pem)")->required();
    AddNameOptions(c, o.name, 365);
    c->callback(Action(s, "issue-cert", [s](const Ctx& ctx) { return RunIssue(ctx, s->issue); }));
  }
  {
    auto* c = Sub(keys, "sign-trust-list", "build and sign the trust list from a JSON description");
    auto& o = s->sign_tl;
    AddKeyOptions(c, o.signer, "--signer-key", "the trust-list signer's key");
    c->add_option("--signer-cert", o.signer_cert, "the trust-list signer's certificate")->required();
    c->add_option("--description", o.description, "JSON description (certificate paths relative to it)")->required();
    c->add_option("--out", o.out, "signed trust list (COSE_Sign1)")->required();
    c->add_option("--root", o.root, "check that the result loads under this root before writing it");
    c->callback(Action(s, "sign-trust-list", [s](const Ctx& ctx) { return RunSignTrustList(ctx, s->sign_tl); }));
  }
  {
    auto* c = Sub(keys, "verify-trust-list", "load a trust list under a pinned root, as a verifier does");
    auto& o = s->verify_tl;
    c->add_option("file", o.file, "signed trust list")->required();
    c->add_option("--root", o.root, "pinned root certificate")->required();
    c->add_option("--min-sequence", o.min_sequence, "the highest sequence already accepted (rollback check)");
    c->add_option("--max-staleness", o.max_staleness, "seconds past next_update still accepted");
    c->callback([s]() { RunVerifyTrustList(s->ctx, s->verify_tl, "verify-trust-list"); });
  }
  {
    auto* c = Sub(keys, "inspect", "describe a sealed key, share, certificate, trust list or public key");
    auto& o = s->inspect;
    c->add_option("file", o.file, "file to inspect")->required();
    c->add_option("--root", o.root, "validate a certificate or trust list under this root");
    c->callback([s]() { RunInspect(s->ctx, s->inspect); });
  }
  {
    auto* c = Sub(keys, "recover-root", "rebuild the root key from M backup shares into a sealed file");
    auto& o = s->recover;
    c->add_option("--share", o.share_files, "a share file (repeat M times)")->required();
    c->add_option("--key-out", o.out.file, "sealed key file to write")->required();
    AddSecretOptions(c, o.out.pass, "passphrase", "WATHIQ_PASSPHRASE");
    c->add_option("--kdf", o.kdf, "Argon2id cost")->capture_default_str();
    c->add_option("--cert", o.cert, "root certificate the recovered key must match");
    c->callback(Action(s, "recover-root", [s](const Ctx& ctx) { return RunRecover(ctx, s->recover); }));
  }
  {
    auto* c = Sub(keys, "init-token", "initialise a PKCS#11 token (e.g. SoftHSM2) and set its user PIN");
    auto& o = s->init_token;
    AddPkcs11Options(c, o.token);
    AddSecretOptions(c, o.so_pin, "so-pin", "WATHIQ_SO_PIN");
    c->callback(Action(s, "init-token", [s](const Ctx& ctx) { return RunInitToken(ctx, s->init_token); }));
  }
  {
    auto* c = Sub(keys, "change-passphrase", "re-seal a key file under a new passphrase (atomic)");
    auto& o = s->change_pass;
    c->add_option("file", o.file, "sealed key file")->required();
    AddSecretOptions(c, o.old_pass, "passphrase", "WATHIQ_PASSPHRASE");
    AddSecretOptions(c, o.new_pass, "new-passphrase", "WATHIQ_NEW_PASSPHRASE");
    c->add_option("--kdf", o.kdf, "Argon2id cost of the new seal")->capture_default_str();
    c->callback(
        Action(s, "change-passphrase", [s](const Ctx& ctx) { return RunChangePassphrase(ctx, s->change_pass); }));
  }
}

}  // namespace wathiq::cli
