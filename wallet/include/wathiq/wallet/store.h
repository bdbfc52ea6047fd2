// Wathiq wallet: the citizen's encrypted wallet: one SQLCipher database (storage/) in the app-data folder,
// keyed with a random 256-bit key that the device keystore wraps under the PIN (wallet/keystore.h; threat
// model in wallet/README.md).
//
// Guarantees:
//  - The database key exists only in SecureBuffers and SQLCipher; it is never derived from the PIN.
//  - Import verifies in full before it writes (issuer signature, the signer in the trust list, its right to
//    issue the doc type, certificate and credential validity, every item's digest in the MSO, the MSO's
//    device key one of this keystore's keys, the doc type and its elements in the catalogue). A refusal is an
//    Error whose `reason` names the check (mdoc reason codes, or "device_key_not_mine", "unknown_doc_type",
//    "unknown_element", "duplicate_credential", "too_large") and nothing is written. An accepted import is one
//    transaction: the whole credential or none of it.
//  - A damaged or truncated database file is an Error (kMalformed or kPermission), never a crash.
//  - Presentations are built by PresentCredential (wallet/presentation.h) and signed through the keystore.
//  - Status of the citizen's own documents: UpdateStatus reads the published token of each credential's
//    status list from a folder laid out like the issuer's public folder (<dir>/<host>/<path>, the same
//    spelling docs/PUBLICATION.md gives), accepts it only through status::AcceptStatusListToken (the
//    verifier's own acceptance: the agency's status-list signer from the trust list, sub, exp, iat) and
//    stores the last known state per credential, so a revoked or suspended document is refused offline
//    ("credential_revoked", "credential_suspended", kState). The stored state moves only with a token at
//    least as new (iat) as the one it came from, and revoked is final.
// Thread-safety: a Wallet is used by one thread at a time. The keystore must outlive the Wallet.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wathiq/core/cbor.h"
#include "wathiq/core/result.h"
#include "wathiq/keys/secret_text.h"
#include "wathiq/keys/trust.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/wallet/keystore.h"
#include "wathiq/wallet/presentation.h"

namespace wathiq::wallet {

inline constexpr size_t kMaxCredentialBytes = 1 << 20;
inline constexpr std::string_view kWalletDbName = "wallet.db";

struct WalletOptions {
  const mdoc::Catalogue* catalogue = nullptr;  // null: the built-in catalogue (must outlive the Wallet)
  int64_t refill_below = 3;  // a single-use batch with fewer usable credentials than this asks for a refill
};

struct ImportOptions {
  // Non-empty: the credential joins this single-use batch (same doc type as the rest of the batch, a device
  // key no other credential in the wallet uses; "batch_doc_type_mismatch" / "device_key_reused" otherwise).
  std::string batch;
};

// A batch of single-use credentials for one document: each has its own salts, device key and status index,
// and is presented once, so two verifiers comparing notes cannot link two presentations through a shared
// signature, digest or key (a presentation that discloses the civil ID number links itself regardless).
struct BatchStatus {
  std::string batch;
  std::string doc_type;
  int64_t total = 0;
  int64_t unused = 0;         // never presented
  int64_t usable_now = 0;     // unused and valid at `now`
  bool needs_refill = false;  // usable_now < WalletOptions::refill_below
};

// The last known state of a credential from its status list (UpdateStatus); kUnchecked until a token said.
enum class HeldStatus { kUnchecked, kValid, kSuspended, kRevoked };
// "unchecked", "valid", "suspended", "revoked".
std::string_view HeldStatusName(HeldStatus status);

struct CredentialSummary {
  int64_t id = 0;
  std::string doc_type;
  std::string doc_name_ar;  // from the catalogue
  std::string doc_name_en;
  std::string agency_id;
  mdoc::Validity validity;
  std::optional<mdoc::StatusRef> status;
  std::string device_key_id;
  int64_t imported_at = 0;
  std::string batch;    // empty: an ordinary credential, presented any number of times
  int64_t used_at = 0;  // a batch credential: when it was presented (0: not yet)
  HeldStatus held_status = HeldStatus::kUnchecked;
  uint64_t status_iat = 0;        // the iat of the token the held state came from
  int64_t status_checked_at = 0;  // when that token was read (0: never)
};

// One credential's answer in one UpdateStatus round.
struct StatusCheck {
  int64_t id = 0;
  // This round: "valid", "revoked", "suspended", or "unknown" with `reason`: "no_status_reference",
  // "no_token" (no file for the list), "stale" (the token expired), "older_token" (older than the one the
  // held state came from), "wrong_list" (the file holds another list's token), "index_out_of_range",
  // "status_other", or an acceptance refusal ("bad_signature", "unknown_signer", "signer_not_authorized",
  // "certificate_invalid", "unknown_list", "not_yet_valid", "malformed", "limit", "unreadable").
  std::string outcome;
  std::string reason;
  std::string detail;                        // escaped, capped
  HeldStatus held = HeldStatus::kUnchecked;  // the stored last known state after this round
  uint64_t token_iat = 0;                    // the iat of the token read this round (0: none accepted)
};

// What a backup holds of one credential (wallet/backup.h): enough for the issuer to find it, nothing of its
// claims but the document number.
struct BackupCredential {
  std::string status_uri;  // empty: none
  uint64_t status_idx = 0;
  Bytes mso_digest;  // SHA-256 of the MSO bytes the issuer signed (the registry's mso_digest)
  int64_t valid_until = 0;
  std::string batch;
};
struct BackupDocument {
  std::string agency;
  std::string doc_type;
  std::string document_number;  // the first catalogue element whose id ends in "_number" (the issuer's rule)
  std::string label_en;         // the catalogue's name of the document type
  std::string label_ar;
  std::vector<BackupCredential> credentials;
};

struct ShownElement {
  std::string name_space;
  std::string id;
  std::string label_ar;  // the catalogue's labels (the id when it has none)
  std::string label_en;
  cbor::Value value;
  std::optional<mdoc::ValueLabel> value_label;  // a coded value's label (sex 1 → ذكر / Male)
};

struct CredentialView {
  CredentialSummary summary;
  std::vector<ShownElement> elements;  // in catalogue order, then any others
};

class Wallet {
 public:
  // A new wallet in `app_dir` (created 0700 if missing; `app_dir`/wallet.db must not exist): a fresh random
  // database key, wrapped by the keystore under `pin`. If the keystore refuses, the new file is removed.
  static Result<Wallet> Create(const std::string& app_dir, DeviceKeystore& keystore, const keys::SecretText& pin,
                               const WalletOptions& options = {});
  // One counted PIN attempt (wallet/keystore.h reasons), then the database opened and migrated.
  static Result<Wallet> Open(const std::string& app_dir, DeviceKeystore& keystore, const keys::SecretText& pin,
                             int64_t now, const WalletOptions& options = {});

  Wallet(Wallet&&) noexcept;
  Wallet& operator=(Wallet&&) noexcept;
  ~Wallet();

  // A fresh device key for a credential to be issued to this wallet (only its public part).
  Result<DeviceKeyInfo> NewDeviceKey(Alg alg = Alg::kES256);

  Result<CredentialSummary> Import(ByteView issuer_signed, const keys::TrustAnchors& anchors, int64_t now,
                                   const ImportOptions& import = {});
  Result<std::vector<CredentialSummary>> List();
  Result<CredentialView> Show(int64_t id);
  // Removes the credential (kNotFound "unknown_credential" if there is none). Its device key is deleted
  // from the keystore when no other credential uses it.
  Status Delete(int64_t id);
  Status ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now);
  // A batch credential is marked used (durably) before it is signed: a crash wastes one, never reuses one;
  // presenting a used one is "single_use_spent".
  Result<PresentedQr> Present(int64_t id, const DisclosureChoice& choice, PresentOptions options);

  // Picks an unused batch credential valid at options.now (the soonest to expire first), marks it used and
  // presents it. "batch_exhausted" (kNotFound) when none is left.
  Result<PresentedQr> PresentFromBatch(std::string_view batch, const DisclosureChoice& choice, PresentOptions options);
  Result<BatchStatus> Batch(std::string_view batch, int64_t now);

  // Reads the status token of every credential's list from `tokens_dir` (<dir>/<host>/<path> per status
  // URI), accepts it against `trust` at `now`, and stores the last known state. Never fails for a bad or
  // missing token (that credential's answer is "unknown" with the reason); fails only when the store does.
  Result<std::vector<StatusCheck>> UpdateStatus(const std::string& tokens_dir, const keys::TrustList& trust,
                                                int64_t now);

  // The documents this wallet holds, grouped by (agency, document number), for a backup (wallet/backup.h).
  // kInvalidArgument "no_document_number" when a credential has no element the issuer would take as its
  // number.
  Result<std::vector<BackupDocument>> BackupDocuments();

  // Full page-HMAC and b-tree check (after a restore or a crash).
  Status CheckIntegrity();
  const std::string& db_path() const;

 private:
  struct Impl;
  explicit Wallet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wathiq::wallet
