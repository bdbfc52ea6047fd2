// Internal to wallet/: the PIN-gated wrap of the database key and the attempt schedule's errors, shared by
// the keystores (file, PKCS#11). Not a public header.
//
// K = HKDF-SHA256(salt "wathiq wallet keystore", ikm = factor(salt) || Argon2id(PIN, salt),
//                 info "wathiq wallet db-key wrap v1")
// wrapped = XChaCha20-Poly1305(K, nonce, db_key, ad "wathiq-wallet-dbkey-v1")
// where factor(salt) is the keystore's device-bound 32 bytes: the file keystore's device secret, or an HMAC
// of the salt computed inside a PKCS#11 token by a key that never leaves it.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "wathiq/core/cbor.h"
#include "wathiq/core/result.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/secret_text.h"
#include "wathiq/wallet/keystore.h"

namespace wathiq::wallet::internal {

inline constexpr size_t kSecretBytes = 32;

struct PinRecord {
  Bytes salt;  // 16
  uint64_t ops = 0;
  uint64_t mem = 0;
  Bytes nonce;    // 24
  Bytes wrapped;  // 32 + 16
};

using FactorFn = std::function<Result<SecureBuffer>(ByteView salt)>;

Result<SecureBuffer> Hkdf(ByteView ikm, std::string_view info);

Result<PinRecord> WrapDbKey(const FactorFn& factor, const SecureBuffer& db_key, const keys::SecretText& pin,
                            const keys::KdfParams& kdf, const keys::OpenLimits& limits);
// kBadSignature when the PIN is wrong.
Result<SecureBuffer> UnwrapDbKey(const FactorFn& factor, const PinRecord& p, const keys::SecretText& pin,
                                 const keys::OpenLimits& limits);

cbor::Value PinRecordToCbor(const PinRecord& p);
Result<PinRecord> PinRecordFromCbor(const cbor::Value& v);  // kMalformed "keystore_damaged"

// "pin_blocked" / "pin_wait" when the schedule allows no attempt now.
Status CheckAttemptAllowed(const PinSchedule& schedule, uint64_t failures, int64_t last_failure, int64_t now);
// The "wrong_pin" error after a counted failure, saying what is left.
Error WrongPinError(const PinSchedule& schedule, uint64_t failures, int64_t last_failure, int64_t now);

Error Damaged(std::string message);

}  // namespace wathiq::wallet::internal
