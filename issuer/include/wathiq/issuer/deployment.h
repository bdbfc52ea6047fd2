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
//  - A batch issues in chunks; each chunk is one transaction, its records signed on `threads` threads.
//    The chunks overlap: while one commits, the next is signed and the one after parsed. A
//    record whose idempotency key is already in the registry is reported as already issued, so re-running
//    a batch after a crash issues no one twice. Records reported issued are committed.
//  - Publish follows docs/PUBLICATION.md to the letter: tokens at log size S with log_checkpoint {origin,
//    S, root}, one status_list_published entry per token, the checkpoint at S' signed only after a
//    consistency proof from the last signed checkpoint verifies, the audit folder written before the public
//    one, `checkpoint` last, every file atomically.
//  - Log entries carry no personal data (log/entry.h).
//  - Document signers (signers.cc): an agency issues with its newest document signer that is not retired
//    (the one deployment.json names, then those AddSigner added). Every credential records the key that
//    signed it. RetireSigner stops that key's issuance for good; when the reason is key_compromise it also
//    revokes, in the same transaction, every live credential the key signed. key_added / key_retired /
//    trust_list entries are appended in the transaction of the change they record.
//  - Staged records (staging.cc): a record without the holder's device key is validated and registered
//    with a random pickup id; it holds no status-list slot and appears in no log until IssueStaged signs
//    and issues it (one issue entry, as any issuance). Cancelling one writes no log entry (nothing of it
//    was ever public).
// Thread-safety: a Deployment is used by one thread at a time (it uses its own threads for signing); the
// lock file keeps other processes out while it is open.
#pragma once

#include <array>
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
#include "wathiq/keys/x509.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/status/reason.h"

namespace wathiq::issuer {

namespace internal {
class Core;
}

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
  // A batch line without a device key is staged, not issued: pickup_id is set (hex) and credential,
  // credential_id, status and log_index are empty.
  std::string pickup_id;
};

struct SignerInfo {
  std::string agency;
  std::string key_id;  // hex SHA-256 of the SubjectPublicKeyInfo (the log's key_id)
  KeySpec key;
  bool active = false;  // the one new credentials are signed with
  bool retired = false;
  int64_t added_at = 0;  // 0 for the signer deployment.json names
  int64_t retired_at = 0;
  std::string retire_reason;
};

struct RetireOutcome {
  SignerInfo signer;
  std::vector<log::CredentialId> revoked;  // when compromised: every live credential it signed
  std::string active_key_id;               // the agency's signer now (empty: the agency cannot issue)
  uint64_t log_size = 0;
};

struct TrustListRecord {
  uint64_t sequence = 0;
  std::array<uint8_t, 32> sha256{};
  uint64_t log_index = 0;
  // Active document signers of this deployment whose certificate the list does not carry.
  std::vector<std::string> missing_signers;
};

struct StagedOutcome {
  std::string pickup_id;  // hex, 32 digits: what the holder presents with proof of their key
  std::string agency;
  std::string doc_type;
  std::string document_number;
  bool already_staged = false;  // the idempotency key was known
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
  size_t staged = 0;  // lines without a device key
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
  std::vector<StagedRecord> staged;                // records staged for this document (any state)
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
  // the registry and every key; refuses a registry whose log is behind or forked from the checkpoint last
  // published (backup.h: log_behind_published, log_forked).
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
  // A document's credentials and staged records; kNotFound (unknown_document) when it has neither.
  Result<DocumentView> Show(std::string_view document_number);

  // ---- document signers (signers.cc) ----
  // Every document signer of `agency` (or of every agency when empty), oldest first.
  Result<std::vector<SignerInfo>> Signers(std::string_view agency);
  // Adds a document signer (a sealed key file or a token key, opened with the deployment's KeyOpener) with
  // its certificate; it signs every credential the agency issues from now on. Logs key_added. Refused
  // (nothing written): unknown agency, a key that does not match the certificate, a key already known
  // (signer_exists, retired ones included).
  Result<SignerInfo> AddSigner(std::string_view agency, const KeySpec& key, const std::string& cert_file,
                               std::string_view actor, int64_t now);
  // Retires a document signer (key_id: its hex id, or a prefix of at least 16 digits), logging
  // key_retired: it never signs again. With reason key_compromise every credential it signed that is not
  // revoked is revoked (key_compromise) in the same transaction; any other reason, or none, is a planned
  // retirement that leaves them live. Refused: unknown key (unknown_signer), already retired.
  Result<RetireOutcome> RetireSigner(std::string_view agency, std::string_view key_id,
                                     std::optional<status::RevocationReason> reason, std::string_view actor,
                                     int64_t now);
  // Logs a trust_list entry for a signed trust list this deployment now serves: its sequence and the
  // SHA-256 of its bytes. The list must load under `root` at `now`, and its sequence must be above the
  // last one recorded (trust_list_rollback otherwise).
  Result<TrustListRecord> RecordTrustList(ByteView signed_trust_list, const keys::Certificate& root,
                                          std::string_view actor, int64_t now);

  // ---- staged records (staging.cc) ----
  // Validates `input` (its device_key is ignored) like Issue and registers it for pickup. Nothing is
  // signed or logged. With an idempotency key already staged it reports that record (already_staged).
  Result<StagedOutcome> Stage(const IssueInput& input, std::string_view actor, int64_t now);
  // Signs and issues a staged record bound to `device_key` (the caller has checked the holder's proof of
  // possession), in one transaction with its issue entry; the record is then closed as issued. Refused:
  // unknown pickup id (unknown_pickup), a record issued or cancelled already (not_staged), anything Issue
  // refuses (the record is revalidated on today's date).
  Result<IssuedRecord> IssueStaged(std::string_view pickup_id, const PublicKey& device_key, int64_t now,
                                   std::string_view actor = "pickup");
  Status CancelStaged(std::string_view pickup_id, std::string_view actor, int64_t now);

 private:
  // Replace with the revocation reason given (Replace: superseded; ReplaceDevice: device_replaced).
  Result<ReplaceOutcome> ReplaceFor(const IssueInput& input, status::RevocationReason reason, std::string_view actor,
                                    int64_t now);
  struct Impl;
  explicit Deployment(std::unique_ptr<Impl> impl);
  internal::Core& core();  // what signers.cc and staging.cc use
  std::unique_ptr<Impl> impl_;
};

// One batch line: {"agency", "doc_type", "claims": {...}, "device_key"?: base64 SPKI DER,
// "document_number"?, "valid_days"?, "only"?, "idempotency_key"?}. A line without a device_key is staged
// (Deployment::Stage), not issued. Without an idempotency_key the key is
// "line:" + hex SHA-256 of the line's bytes, so the same file re-run maps to the same keys. Read strictly
// (core/json.h): a repeated key, or a key not listed here, refuses the line.
Result<IssueInput> ParseBatchLine(std::string_view line);

// keys::StatusUriPath as a string: where a published https URI lands under a folder, <dir>/<host>/<path>.
Result<std::string> UriToPath(const std::string& dir, std::string_view uri);

}  // namespace wathiq::issuer
