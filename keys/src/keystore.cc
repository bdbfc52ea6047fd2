#include "wathiq/keys/keystore.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "secret_export.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/secure_buffer.h"

namespace wathiq::keys {
namespace {

constexpr uint16_t kVersion = 1;
constexpr uint8_t kKdfArgon2id13 = 1;
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;                       // 16
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;     // 32
constexpr size_t kChecksumBytes = 32;
constexpr size_t kFixedHeader = 6 + 2 + 1 + 1 + 4 + 8 + kSaltBytes + kNonceBytes + 2;

void EnsureSodium() {
  if (sodium_init() < 0) std::abort();
}

void PutBe(Bytes& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t GetBe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

struct Parsed {
  SealedKeyInfo info;
  ByteView salt;
  ByteView nonce;
  ByteView aad;         // everything before the ciphertext
  ByteView ciphertext;  // secret || tag
};

Result<Parsed> Parse(ByteView f) {
  if (f.size() < 6 || std::memcmp(f.data(), kSealedKeyMagic.data(), 6) != 0) {
    return Fail(Errc::kMalformed, "not a Wathiq sealed key file (bad magic)");
  }
  if (f.size() < kFixedHeader + 4 + kTagBytes + kChecksumBytes) {
    return Fail(Errc::kMalformed, "sealed key file is truncated");
  }
  ByteView body = f.first(f.size() - kChecksumBytes);
  Bytes sum = Sha256(body);
  if (!ConstantTimeEqual(sum, f.last(kChecksumBytes))) {
    return Fail(Errc::kMalformed, "sealed key file is damaged (checksum mismatch); restore it from a backup");
  }
  const uint8_t* p = f.data() + 6;
  Parsed out;
  out.info.version = static_cast<uint16_t>(GetBe(p, 2));
  p += 2;
  if (out.info.version != kVersion) {
    return Fail(Errc::kUnsupported, "sealed key format version " + std::to_string(out.info.version) + " is not supported");
  }
  uint8_t kdf = *p++;
  uint8_t reserved = *p++;
  if (kdf != kKdfArgon2id13) return Fail(Errc::kUnsupported, "sealed key KDF " + std::to_string(kdf) + " is not supported");
  if (reserved != 0) return Fail(Errc::kMalformed, "sealed key header: reserved byte is not zero");
  out.info.kdf.opslimit = GetBe(p, 4);
  p += 4;
  out.info.kdf.memlimit = GetBe(p, 8);
  p += 8;
  out.salt = ByteView(p, kSaltBytes);
  p += kSaltBytes;
  out.nonce = ByteView(p, kNonceBytes);
  p += kNonceBytes;
  size_t meta_len = GetBe(p, 2);
  p += 2;
  const uint8_t* end = body.data() + body.size();
  if (static_cast<size_t>(end - p) < meta_len + 4) return Fail(Errc::kMalformed, "sealed key header: metadata overruns the file");
  ByteView meta(p, meta_len);
  p += meta_len;
  size_t ct_len = GetBe(p, 4);
  p += 4;
  if (static_cast<size_t>(end - p) != ct_len || ct_len < kTagBytes) {
    return Fail(Errc::kMalformed, "sealed key: ciphertext length does not match the file");
  }
  out.aad = ByteView(f.data(), static_cast<size_t>(p - f.data()));
  out.ciphertext = ByteView(p, ct_len);

  auto m = cbor::Decode(meta);
  if (!m) return Wrap("sealed key metadata", m.error());
  if (!m->is_map() || m->map().size() != 4) return Fail(Errc::kMalformed, "sealed key metadata must be a map of 4 entries");
  const cbor::Value* alg = m->Find("alg");
  const cbor::Value* label = m->Find("label");
  const cbor::Value* created = m->Find("created");
  const cbor::Value* pub = m->Find("public_key");
  if (!alg || !alg->AsInt() || !label || !label->is_text() || !created || !created->is_uint() || !pub || !pub->is_bytes()) {
    return Fail(Errc::kMalformed, "sealed key metadata: expected alg, label, created, public_key");
  }
  WQ_ASSIGN(out.info.alg, AlgFromCose(*alg->AsInt()));
  out.info.label = label->text();
  out.info.created_at = static_cast<int64_t>(created->uint());
  WQ_ASSIGN(Curve curve, CurveForAlg(out.info.alg));
  auto pk = PublicKey::FromRaw(curve, pub->bytes());
  if (!pk) return Wrap("sealed key metadata public key", pk.error());
  out.info.public_key = std::move(*pk);
  WQ_ASSIGN(out.info.key_id, KeyIdForPublicKey(out.info.public_key));
  return out;
}

static_assert(OpenLimits{}.max_opslimit == crypto_pwhash_OPSLIMIT_SENSITIVE &&
                  OpenLimits{}.max_memlimit == crypto_pwhash_MEMLIMIT_SENSITIVE,
              "the default open limits are the strongest preset we write");

// Runs before any derivation: the parameters come from a header that only the AEAD authenticates, and the
// AEAD can only speak after the derivation.
Status CheckKdf(const KdfParams& kdf, const OpenLimits& limits) {
  if (kdf.opslimit < crypto_pwhash_OPSLIMIT_MIN || kdf.memlimit < crypto_pwhash_MEMLIMIT_MIN) {
    return Fail(Errc::kMalformed, "Argon2id parameters below libsodium's minimum");
  }
  if (kdf.opslimit > limits.max_opslimit || kdf.memlimit > limits.max_memlimit) {
    return Fail(Errc::kLimit, "Argon2id parameters (opslimit " + std::to_string(kdf.opslimit) + ", memlimit " +
                                  std::to_string(kdf.memlimit >> 20) + " MiB) exceed the accepted maximum (opslimit " +
                                  std::to_string(limits.max_opslimit) + ", memlimit " +
                                  std::to_string(limits.max_memlimit >> 20) +
                                  " MiB, the strongest preset Wathiq writes); refusing before any derivation");
  }
  return Ok();
}

Result<SecureBuffer> DeriveKey(const SecretText& passphrase, ByteView salt, const KdfParams& kdf) {
  SecureBuffer key(kKeyBytes);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.view().data()), passphrase.size(),
                    salt.data(), kdf.opslimit, static_cast<size_t>(kdf.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(Errc::kLimit, "Argon2id derivation failed (not enough memory for " +
                                  std::to_string(kdf.memlimit >> 20) + " MiB?)");
  }
  return key;
}

}  // namespace

KdfParams KdfParams::Min() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }
KdfParams KdfParams::Interactive() { return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE}; }
KdfParams KdfParams::Moderate() { return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE}; }
KdfParams KdfParams::Sensitive() { return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE}; }

Result<KdfParams> KdfParams::FromName(std::string_view name) {
  if (name == "min") return Min();
  if (name == "interactive") return Interactive();
  if (name == "moderate") return Moderate();
  if (name == "sensitive") return Sensitive();
  return Fail(Errc::kInvalidArgument, "unknown KDF preset '" + std::string(name) +
                                          "' (expected min, interactive, moderate or sensitive)");
}

bool LooksLikeSealedKey(ByteView file) {
  return file.size() >= 6 && std::memcmp(file.data(), kSealedKeyMagic.data(), 6) == 0;
}

Result<Bytes> SealKey(const Signer& key, const SecretText& passphrase, const SealOptions& options) {
  EnsureSodium();
  if (passphrase.empty()) return Fail(Errc::kInvalidArgument, "refusing to seal a key under an empty passphrase");
  WQ_TRY(CheckKdf(options.kdf, OpenLimits{}));  // never write a file a default reader refuses
  if (options.label.size() > 1024) return Fail(Errc::kInvalidArgument, "key label longer than 1024 bytes");
  WQ_ASSIGN(SecureBuffer secret, internal::ExportSecretForSealing(key));
  WQ_ASSIGN(PublicKey pub, key.public_key());

  cbor::Value meta = cbor::Value::MakeMap();
  meta.Set("alg", cbor::Value::Int(static_cast<int64_t>(key.alg())));
  meta.Set("label", cbor::Value::Text(options.label));
  int64_t created = options.created_at ? options.created_at : static_cast<int64_t>(std::time(nullptr));
  meta.Set("created", cbor::Value::Uint(static_cast<uint64_t>(created)));
  meta.Set("public_key", cbor::Value::Bytes(pub.raw()));
  Bytes meta_bytes = cbor::Encode(meta);

  Bytes salt = RandomBytes(kSaltBytes);
  Bytes nonce = RandomBytes(kNonceBytes);
  Bytes out;
  out.insert(out.end(), kSealedKeyMagic.begin(), kSealedKeyMagic.end());
  PutBe(out, kVersion, 2);
  out.push_back(kKdfArgon2id13);
  out.push_back(0);
  PutBe(out, options.kdf.opslimit, 4);
  PutBe(out, options.kdf.memlimit, 8);
  out.insert(out.end(), salt.begin(), salt.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  PutBe(out, meta_bytes.size(), 2);
  out.insert(out.end(), meta_bytes.begin(), meta_bytes.end());
  size_t ct_len = secret.size() + kTagBytes;
  PutBe(out, ct_len, 4);
  size_t aad_len = out.size();

  WQ_ASSIGN(SecureBuffer k, DeriveKey(passphrase, salt, options.kdf));
  out.resize(aad_len + ct_len);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + aad_len, &written, secret.data(), secret.size(), out.data(),
                                             aad_len, nullptr, nonce.data(), k.data());
  if (written != ct_len) return Fail(Errc::kInternal, "AEAD produced an unexpected length");
  Bytes sum = Sha256(out);
  out.insert(out.end(), sum.begin(), sum.end());
  return out;
}

Result<SealedKeyInfo> InspectSealedKey(ByteView file) {
  WQ_ASSIGN(Parsed p, Parse(file));
  return p.info;
}

Result<KeyHandle> UnsealKey(ByteView file, const SecretText& passphrase, const OpenLimits& limits) {
  EnsureSodium();
  WQ_ASSIGN(Parsed p, Parse(file));
  WQ_TRY(CheckKdf(p.info.kdf, limits));
  WQ_ASSIGN(SecureBuffer k, DeriveKey(passphrase, p.salt, p.info.kdf));
  SecureBuffer secret(p.ciphertext.size() - kTagBytes);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret.data(), &len, nullptr, p.ciphertext.data(), p.ciphertext.size(),
                                                 p.aad.data(), p.aad.size(), p.nonce.data(), k.data()) != 0) {
    return Fail(Errc::kPermission, "wrong passphrase for sealed key " + p.info.key_id +
                                       (p.info.label.empty() ? "" : " ('" + p.info.label + "')"));
  }
  auto h = KeyHandle::SoftwareFromSecret(p.info.alg, secret.view(), p.info.label);
  if (!h) return Wrap("sealed key " + p.info.key_id, h.error());
  if (!(h->cached_public_key() == p.info.public_key)) {
    return Fail(Errc::kMalformed, "sealed key " + p.info.key_id + ": the secret does not match the recorded public key");
  }
  WQ_TRY(h->SelfTest());
  return h;
}

Status WriteSealedKeyFile(const std::string& path, const Signer& key, const SecretText& passphrase,
                          const SealOptions& options, WriteMode mode) {
  WQ_ASSIGN(Bytes sealed, SealKey(key, passphrase, options));
  return WriteFileAtomically(path, sealed, mode, 0600);
}

Result<KeyHandle> OpenSealedKeyFile(const std::string& path, const SecretText& passphrase, const OpenLimits& limits) {
  WQ_ASSIGN(Bytes file, ReadFileBytes(path, 1 << 20));
  auto h = UnsealKey(file, passphrase, limits);
  if (!h) return Wrap(path, h.error());
  return h;
}

Status ChangeSealedKeyPassphrase(const std::string& path, const SecretText& old_passphrase,
                                 const SecretText& new_passphrase, const KdfParams& kdf, const OpenLimits& limits) {
  WQ_ASSIGN(Bytes file, ReadFileBytes(path, 1 << 20));
  WQ_ASSIGN(SealedKeyInfo info, InspectSealedKey(file));
  WQ_ASSIGN(KeyHandle key, UnsealKey(file, old_passphrase, limits));
  SealOptions o;
  o.kdf = kdf;
  o.label = info.label;
  o.created_at = info.created_at;
  return WriteSealedKeyFile(path, key, new_passphrase, o, WriteMode::kReplace);
}


}  // namespace wathiq::keys
