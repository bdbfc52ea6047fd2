// Wathiq issuer: a deployment — one registry, one log and the agencies it serves — and the agency's side
// of the credential lifecycle on it: issue (one record or a batch), revoke / suspend / reinstate / replace
// by document, publish (docs/PUBLICATION.md), show.
//
//   DIR/deployment.json   the agencies (signer key files or token keys, certificates, document types,
//                         status prefix, aggregation URI) and the log (name = checkpoint origin, URL)
//   DIR/registry.key      the registry's raw 256-bit SQLCipher key, sealed (keys/sealed_secret.h)
//   DIR/registry.db       the registry (registry.h)
//   DIR/log.key           the log's Ed25519 key, sealed (unless the config names a token key)
//   DIR/lock              held (flock) by the one process acting on the deployment
//
// Guarantees:
//  - Every action is one registry transaction together with the log entries it appends: a record is
//    validated against the catalogue and the agency's document types, gets a random 16-byte credential id
//    and a random never-used index in one of the agency's status lists (lists of >= 131,072 entries; a new
//    list is opened once a list is three quarters used, so a random draw stays cheap and a list never
//    fills), is signed, stored and logged, or nothing is written. Refusals (unknown document, another
//    agency's document, revoking twice, reinstating a revoked document, a wrong reason) write nothing.
//  - A batch issues in chunks; each chunk is one transaction, its records signed on `threads` threads. A
//    record whose idempotency key is already in the registry is reported as already issued, so re-running
//    a batch after a crash issues no one twice. Records reported issued are committed.
//  - Publish follows docs/PUBLICATION.md to the letter: tokens at log size S with log_checkpoint {origin,
//    S, root}, one status_list_published entry per token, the checkpoint at S' signed only after a
//    consistency proof from the last signed checkpoint verifies, the audit folder written before the public
//    one, `checkpoint` last, every file atomically.
//  - Log entries carry no personal data (log/entry.h).
// Thread-safety: a Deployment is used by one thread at a time (it uses its own threads for signing); the
// lock file keeps other processes out while it is open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/issuer/registry.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/secret_text.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/status/reason.h"

namespace wathiq::issuer {

// Where a signing key lives: a sealed key file, or a key in a PKCS#11 token.
struct KeySpec {
  std::string file;
  std::string pkcs11_module;
  std::string token_label;
  std::string key_label;
};

struct AgencyConfig {
  std::string id;
  std::vector<std::string> doc_types;
  std::string status_prefix;    // https://status.paci.gov.kw/lists; lists are <prefix>/1, /2, ...
  std::string aggregation_uri;  // must lie under the prefix's host
  KeySpec document_signer;
  std::string document_signer_cert;
  KeySpec status_signer;
  std::string status_signer_cert;
};

struct DeploymentConfig {
  std::string log_name;            // the checkpoint origin and note key name, e.g. log.paci.gov.kw
  std::string log_url;             // https://log.paci.gov.kw/wathiq: the public folder's log prefix
  std::optional<KeySpec> log_key;  // absent: init creates DIR/log.key
  uint64_t list_size = kMinStatusListSize;
  uint64_t token_ttl = 3600;        // seconds: when verifiers should refresh
  uint64_t token_lifetime = 86400;  // seconds from iat to exp
  std::vector<AgencyConfig> agencies;
};

// The JSON form:
//   {"log": {"name": "...", "url": "https://...", "key": {"file": "..."}?},
//    "status_list_size": 131072?, "token_ttl": 3600?, "token_lifetime": 86400?,
//    "agencies": [{"id": "paci", "doc_types": ["kw.gov.paci.civil_id.1"],
//                  "status_prefix": "https://...", "aggregation_uri": "https://...",
//                  "document_signer": {"key": {"file": "ds.key"} | {"pkcs11_module", "token_label",
//                  "key_label"}, "cert": "ds.pem"}, "status_signer": {...}}]}
// Relative paths are resolved against base_dir. Every field is checked (URIs by keys::CheckStatusUri).
Result<DeploymentConfig> ParseDeploymentConfig(std::string_view json, const std::string& base_dir);
std::string DeploymentConfigJson(const DeploymentConfig& config);

// Opens a signing key from its spec (the CLI supplies one that reads passphrases and PINs its way).
using KeyOpener = std::function<Result<keys::KeyHandle>(const KeySpec&)>;
// Sealed key files under one passphrase; PKCS#11 specs are refused.
KeyOpener SealedFileOpener(const keys::SecretText& passphrase);

struct InitOptions {
  keys::KdfParams kdf = keys::KdfParams::Moderate();  // for the sealed registry key and log key
};

struct TrustInfo {
  std::string log_name;
  std::string log_url;
  std::string log_verifier_key;
  struct Agency {
    std::string id;
    std::string status_prefix;
    std::string aggregation_uri;
    std::vector<std::string> doc_types;
    std::string document_signer_key_id;
    std::string status_signer_key_id;
  };
  std::vector<Agency> agencies;
};

struct IssueInput {
  std::string agency;
  std::string doc_type;
  std::string document_number;  // empty: the record's first element whose id ends in "_number"
  std::string claims_json;
  PublicKey device_key;
  int64_t valid_days = 365;
  std::string only_profile;
  std::string idempotency_key;  // empty: none
};

struct IssuedRecord {
  log::CredentialId credential_id{};
  std::string document_number;
  std::string agency;
  std::string doc_type;
  std::string status_uri;
  uint64_t status_idx = 0;
  int64_t valid_until = 0;
  Bytes credential;  // IssuerSigned
  uint64_t log_index = 0;
  bool already_issued = false;  // the idempotency key was known: nothing new was issued
};

struct ActionOutcome {
  std::string document_number;
  std::string agency;
  std::string action;                          // "revoke", "suspend", "reinstate"
  std::vector<log::CredentialId> credentials;  // the credentials changed
  uint64_t log_size = 0;
};

struct ReplaceOutcome {
  IssuedRecord issued;
  ActionOutcome revoked;
};

// A holder's new phone (issuer/src/replace_device.cc): the document, the credentials the holder's old wallet
// held (the SHA-256 of their MSO bytes, from the wallet's backup) and the new wallet's device key.
struct DeviceReplacement {
  std::string agency;
  std::string document_number;
  std::vector<Bytes> old_mso_digests;  // at least one; each must be a credential of this document
  PublicKey new_device_key;
};

struct BatchLineResult {
  size_t line = 0;  // 1-based
  Result<IssuedRecord> result;
};

struct BatchSummary {
  size_t issued = 0;
  size_t already_issued = 0;
  size_t refused = 0;
  double seconds = 0;
};

struct BatchOptions {
  unsigned threads = 2;
  size_t chunk = 512;
  std::string actor;
  int64_t now = 0;
  size_t first_line = 1;  // the number of lines[0] (a caller streaming a large file passes slices)
  // Called for each line in order, after its chunk is committed (issued) or at once (refused).
  std::function<void(const BatchLineResult&)> on_line;
};

struct PublishOptions {
  std::string public_dir;
  std::string audit_dir;
  std::string actor = "publisher";
  int64_t now = 0;
};

struct PublishedToken {
  std::string agency;
  std::string uri;
  std::string file;
  uint64_t entries = 0;
  uint64_t revoked = 0;
  uint64_t suspended = 0;
};

struct PublishReport {
  uint64_t reflected_size = 0;   // S
  uint64_t checkpoint_size = 0;  // S'
  log::Hash root{};
  std::vector<PublishedToken> tokens;
  std::string checkpoint_file;
};

struct DocumentView {
  std::string document_number;
  std::vector<CredentialRecord> credentials;       // with bytes
  std::vector<std::vector<HistoryEntry>> history;  // history[i] for credentials[i]
};

class Deployment {
 public:
  // Creates DIR (which must not exist or be empty) from `config`: seals a fresh registry key, creates the
  // registry, creates the log key (unless config.log_key names one), checks every agency key against its
  // certificate, stores the agencies, and logs key_added for the log key and each agency key.
  static Result<TrustInfo> Init(const std::string& dir, const DeploymentConfig& config,
                                const keys::SecretText& passphrase, const KeyOpener& open_key,
                                const InitOptions& options = {});
  // Opens DIR: takes the lock (kState when another process holds it), unseals the registry key, opens
  // the registry and every key.
  static Result<Deployment> Open(const std::string& dir, const keys::SecretText& passphrase, const KeyOpener& open_key,
                                 const mdoc::Catalogue& catalogue = mdoc::Catalogue::Default());

  Deployment(Deployment&&) noexcept;
  Deployment& operator=(Deployment&&) noexcept;
  ~Deployment();

  Result<TrustInfo> trust_info() const;
  Registry& registry();

  Result<IssuedRecord> Issue(const IssueInput& input, std::string_view actor, int64_t now);
  // lines: the JSON Lines of a batch file (see ParseBatchLine).
  Result<BatchSummary> IssueBatch(const std::vector<std::string>& lines, const BatchOptions& options);

  Result<ActionOutcome> Revoke(std::string_view agency, std::string_view document_number,
                               status::RevocationReason reason, std::string_view actor, int64_t now);
  Result<ActionOutcome> Suspend(std::string_view agency, std::string_view document_number,
                                status::RevocationReason reason, std::string_view actor, int64_t now);
  Result<ActionOutcome> Reinstate(std::string_view agency, std::string_view document_number, std::string_view actor,
                                  int64_t now);
  // Issues `input` for the same document and revokes every live credential of it as superseded, in one
  // transaction.
  Result<ReplaceOutcome> Replace(const IssueInput& input, std::string_view actor, int64_t now);
  // Re-issues a document to a new device key from the registry's stored record (its claims as validated,
  // the same doc type, valid until the newest live credential was, at least one day) and revokes every live
  // credential of it as device_replaced, in one transaction, logged like Replace. Refused, writing nothing:
  // "unknown_document", "other_agency", "unknown_credential" (a digest names no credential of the document),
  // "nothing_to_replace" (none of the credentials named is live:
  // a replayed request re-issues nothing), "document_suspended", "invalid_device_key".
  Result<ReplaceOutcome> ReplaceDevice(const DeviceReplacement& request, std::string_view actor, int64_t now);

  Result<PublishReport> Publish(const PublishOptions& options);
  Result<DocumentView> Show(std::string_view document_number);

 private:
  // Replace with the revocation reason given (Replace: superseded; ReplaceDevice: device_replaced).
  Result<ReplaceOutcome> ReplaceFor(const IssueInput& input, status::RevocationReason reason, std::string_view actor,
                                    int64_t now);
  struct Impl;
  explicit Deployment(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One batch line: {"agency", "doc_type", "claims": {...}, "device_key": base64 SPKI DER,
// "document_number"?, "valid_days"?, "only"?, "idempotency_key"?}. Without an idempotency_key the key is
// "line:" + hex SHA-256 of the line's bytes, so the same file re-run maps to the same keys.
Result<IssueInput> ParseBatchLine(std::string_view line);

// Where a published https URI lands under a folder: <dir>/<host>/<path>. kMalformed for a URI outside
// keys::CheckStatusUri's grammar.
Result<std::string> UriToPath(const std::string& dir, std::string_view uri);

}  // namespace wathiq::issuer
