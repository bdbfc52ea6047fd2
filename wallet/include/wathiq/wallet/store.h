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

  Result<CredentialSummary> Import(ByteView issuer_signed, const keys::TrustAnchors& anchors, int64_t now);
  Result<std::vector<CredentialSummary>> List();
  Result<CredentialView> Show(int64_t id);
  // Removes the credential (kNotFound "unknown_credential" if there is none). Its device key is deleted
  // from the keystore when no other credential uses it.
  Status Delete(int64_t id);
  Status ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now);
  Result<PresentedQr> Present(int64_t id, const DisclosureChoice& choice, PresentOptions options);

  // Full page-HMAC and b-tree check (after a restore or a crash).
  Status CheckIntegrity();
  const std::string& db_path() const;

 private:
  struct Impl;
  explicit Wallet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wathiq::wallet
