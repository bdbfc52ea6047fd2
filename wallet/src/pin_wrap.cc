#include "pin_wrap.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace wathiq::wallet::internal {
namespace {

constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;                        // 16
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr std::string_view kDbKeyAd = "wathiq-wallet-dbkey-v1";

int Clamp(uint64_t failures) { return static_cast<int>(std::min<uint64_t>(failures, 1 << 20)); }

std::string Plural(int64_t n, const char* one) { return std::to_string(n) + " " + one + (n == 1 ? "" : "s"); }

Result<SecureBuffer> WrappingKey(const FactorFn& factor, const PinRecord& p, const keys::SecretText& pin,
                                 const keys::OpenLimits& limits) {
  if (p.ops > limits.max_opslimit || p.mem > limits.max_memlimit || p.ops < crypto_pwhash_OPSLIMIT_MIN ||
      p.mem < crypto_pwhash_MEMLIMIT_MIN) {
    return Fail(Error(Errc::kLimit, "keystore state: Argon2id parameters out of bounds", "keystore_damaged"));
  }
  WQ_ASSIGN(SecureBuffer f, factor(p.salt));
  if (f.size() != kSecretBytes) return Fail(Errc::kInternal, "device factor is not 32 bytes");
  SecureBuffer ikm(2 * kSecretBytes);
  std::memcpy(ikm.data(), f.data(), kSecretBytes);
  if (crypto_pwhash(ikm.data() + kSecretBytes, kSecretBytes, reinterpret_cast<const char*>(pin.view().data()),
                    pin.size(), p.salt.data(), p.ops, static_cast<size_t>(p.mem), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(Errc::kCrypto, "Argon2id failed (out of memory?)");
  }
  return Hkdf(ikm.view(), "wathiq wallet db-key wrap v1");
}

const Bytes* GetBytes(const cbor::Value& m, const char* k, size_t exact) {
  const cbor::Value* v = m.Find(k);
  if (!v || !v->is_bytes() || v->bytes().size() != exact) return nullptr;
  return &v->bytes();
}

}  // namespace

Error Damaged(std::string message) { return Error(Errc::kMalformed, "keystore state: " + message, "keystore_damaged"); }

Result<SecureBuffer> Hkdf(ByteView ikm, std::string_view info) {
  // A fixed, non-empty salt (OpenSSL refuses an empty one); the inputs are uniformly random already.
  WQ_ASSIGN(Bytes k, HkdfSha256(ikm, AsBytes("wathiq wallet keystore"), AsBytes(info), kSecretBytes));
  SecureBuffer out(k);
  SecureWipe(k);
  return out;
}

Result<PinRecord> WrapDbKey(const FactorFn& factor, const SecureBuffer& db_key, const keys::SecretText& pin,
                            const keys::KdfParams& kdf, const keys::OpenLimits& limits) {
  if (db_key.size() != kSecretBytes) return Fail(Errc::kInvalidArgument, "the database key is 32 bytes");
  PinRecord p;
  p.salt = RandomBytes(kSaltBytes);
  p.nonce = RandomBytes(kNonceBytes);
  p.ops = kdf.opslimit;
  p.mem = kdf.memlimit;
  WQ_ASSIGN(SecureBuffer k, WrappingKey(factor, p, pin, limits));
  p.wrapped.resize(db_key.size() + kTagBytes);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(p.wrapped.data(), &len, db_key.data(), db_key.size(),
                                             AsBytes(kDbKeyAd).data(), kDbKeyAd.size(), nullptr, p.nonce.data(),
                                             k.data());
  return p;
}

Result<SecureBuffer> UnwrapDbKey(const FactorFn& factor, const PinRecord& p, const keys::SecretText& pin,
                                 const keys::OpenLimits& limits) {
  WQ_ASSIGN(SecureBuffer k, WrappingKey(factor, p, pin, limits));
  SecureBuffer out(kSecretBytes);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &len, nullptr, p.wrapped.data(), p.wrapped.size(),
                                                 AsBytes(kDbKeyAd).data(), kDbKeyAd.size(), p.nonce.data(),
                                                 k.data()) != 0) {
    return Fail(Errc::kBadSignature, "wrong PIN");
  }
  return out;
}

cbor::Value PinRecordToCbor(const PinRecord& p) {
  cbor::Value m = cbor::Value::MakeMap();
  m.Set("salt", cbor::Value::Bytes(p.salt));
  m.Set("ops", cbor::Value::Uint(p.ops));
  m.Set("mem", cbor::Value::Uint(p.mem));
  m.Set("nonce", cbor::Value::Bytes(p.nonce));
  m.Set("wrapped", cbor::Value::Bytes(p.wrapped));
  return m;
}

Result<PinRecord> PinRecordFromCbor(const cbor::Value& pin) {
  const Bytes* salt = GetBytes(pin, "salt", kSaltBytes);
  const Bytes* nonce = GetBytes(pin, "nonce", kNonceBytes);
  const Bytes* wrapped = GetBytes(pin, "wrapped", kSecretBytes + kTagBytes);
  const cbor::Value* ops = pin.Find("ops");
  const cbor::Value* mem = pin.Find("mem");
  if (!salt || !nonce || !wrapped || !ops || !ops->is_uint() || !mem || !mem->is_uint()) {
    return Fail(Damaged("pin record"));
  }
  PinRecord p;
  p.salt = *salt;
  p.nonce = *nonce;
  p.wrapped = *wrapped;
  p.ops = ops->uint();
  p.mem = mem->uint();
  return p;
}

Status CheckAttemptAllowed(const PinSchedule& schedule, uint64_t failures, int64_t last_failure, int64_t now) {
  PinState ps = ComputePinState(schedule, Clamp(failures), last_failure, now);
  if (ps.blocked) {
    return Fail(Error(Errc::kPermission,
                      "the PIN is blocked after too many wrong attempts; the wallet must be re-issued", "pin_blocked"));
  }
  if (ps.locked_until > now) {
    return Fail(Error(Errc::kPermission, "too many wrong PINs: try again in " + Plural(ps.locked_until - now, "second"),
                      "pin_wait"));
  }
  return Ok();
}

Error WrongPinError(const PinSchedule& schedule, uint64_t failures, int64_t last_failure, int64_t now) {
  PinState ps = ComputePinState(schedule, Clamp(failures), last_failure, now);
  std::string msg = "wrong PIN";
  if (ps.blocked) {
    msg += ": the PIN is now blocked; the wallet must be re-issued";
  } else if (ps.locked_until > now) {
    msg += ": wait " + Plural(ps.locked_until - now, "second") + " before the next attempt (" +
           Plural(ps.total_attempts_left, "attempt") + " left in all)";
  } else {
    msg += ": " + Plural(ps.attempts_left, "attempt") + " left before a wait";
  }
  return Error(Errc::kPermission, msg, "wrong_pin");
}

}  // namespace wathiq::wallet::internal
