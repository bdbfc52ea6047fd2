// Wathiq wallet: encrypted backup of what is needed to get the credentials again on a new phone, and the
// restore that turns it into re-issue requests (wallet/README.md, "Backup and restore").
//
// What a backup holds, per document: the agency, the doc type, the document number, the catalogue's names
// of the document (labels), and per credential its status reference, the SHA-256 of its MSO (the issuer's
// record of it), its expiry and its batch. What it never holds: a device private key (a restored wallet
// makes new ones; the old credentials are revoked as device_replaced), the database key, the PIN, the
// credentials themselves or any claim value other than the document number.
//
// File layout (big-endian), version 1:
//   "WQWBAK" | u16 version=1 | u32 sealed_len | sealed (a keys/sealed_secret.h file: a random 256-bit content
//   key sealed under the passphrase with Argon2id + XChaCha20-Poly1305) | nonce[24] | u32 ct_len |
//   ciphertext (XChaCha20-Poly1305 of the deterministic-CBOR contents, every byte before it as associated data)
// Guarantees:
//  - Opening checks every length against the file's size before any key derivation: a truncated file is
//    "backup_damaged" (kMalformed) at once. KDF parameters are capped (keys::OpenLimits) before deriving.
//  - A wrong passphrase is "wrong_passphrase" (kPermission); any changed byte is "backup_damaged"
//    (kMalformed; the sealed part carries its own digest, the rest is authenticated by the AEAD); an
//    unknown version is "backup_unsupported" (kUnsupported). Opening writes nothing.
//  - Restore opens and checks the whole backup before it creates anything: a refused backup leaves the new
//    wallet and its keystore as they were.
// Thread-safety: free functions without shared state; Restore uses the Wallet (one thread at a time).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wathiq/core/result.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/secret_text.h"
#include "wathiq/wallet/store.h"

namespace wathiq::wallet {

inline constexpr std::string_view kBackupMagic = "WQWBAK";
inline constexpr size_t kMaxBackupBytes = size_t{4} << 20;
inline constexpr size_t kMaxBackupDocuments = 1024;
inline constexpr size_t kMaxBackupCredentialsPerDocument = 1024;

struct WalletBackup {
  int64_t created_at = 0;
  std::vector<BackupDocument> documents;
};

struct BackupOptions {
  // Argon2id cost. Moderate (opslimit 3, 256 MiB): an offline search of the backup file meets no counter,
  // so each guess should cost what a phone can afford once per restore (README: why).
  keys::KdfParams kdf = keys::KdfParams::Moderate();
};

// A recovery code: 25 characters of Crockford base32 (125 random bits) in five groups of five, e.g.
// "7K3QD-...". The recommended backup secret (README: why a generated code rather than a chosen passphrase).
keys::SecretText GenerateRecoveryCode();
// The form a backup secret is derived from: a recovery code typed with any case, spaces or dashes, and
// Crockford's look-alikes (I, L → 1; O → 0), becomes its canonical grouped form; anything else is a
// passphrase taken as is. kInvalidArgument "weak_passphrase" for a passphrase under 12 bytes.
Result<keys::SecretText> NormalizeBackupSecret(const keys::SecretText& secret);

Result<Bytes> SealBackup(const WalletBackup& backup, const keys::SecretText& secret, const BackupOptions& options = {});
Result<WalletBackup> OpenBackup(ByteView file, const keys::SecretText& secret, const keys::OpenLimits& limits = {});

// What the new wallet sends the issuer for one document (issuer::DeviceReplacement).
struct ReissueRequest {
  std::string agency;
  std::string doc_type;
  std::string document_number;
  std::string label_en;
  std::string label_ar;
  std::vector<Bytes> old_mso_digests;
  DeviceKeyInfo device_key;  // a fresh key in the new wallet's keystore
};

// On a new, empty wallet ("wallet_not_empty", kState, otherwise): a fresh device key per document of the
// backup and the re-issue requests for the issuer. The credentials the issuer returns are imported as usual.
Result<std::vector<ReissueRequest>> RestoreFromBackup(Wallet& wallet, const WalletBackup& backup);

}  // namespace wathiq::wallet
