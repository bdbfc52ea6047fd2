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

  // Full page-HMAC and b-tree check (after a restore or a crash).
  Status CheckIntegrity();
  const std::string& db_path() const;

 private:
  struct Impl;
  explicit Wallet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wathiq::wallet
