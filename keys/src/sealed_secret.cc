#include "wathiq/keys/sealed_secret.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "wathiq/core/crypto.h"

namespace wathiq::keys {
namespace {

constexpr uint16_t kVersion = 1;
constexpr uint8_t kKdfArgon2id13 = 1;
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;                        // 16
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;     // 32
constexpr size_t kChecksumBytes = 32;
constexpr size_t kMaxLabel = 1024;
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
  SealedSecretInfo info;
  ByteView salt;
  ByteView nonce;
  ByteView aad;
  ByteView ciphertext;
};

Result<Parsed> Parse(ByteView f) {
  if (!LooksLikeSealedSecret(f)) return Fail(Errc::kMalformed, "not a Wathiq sealed secret file (bad magic)");
  if (f.size() < kFixedHeader + 4 + kTagBytes + kChecksumBytes) {
    return Fail(Errc::kMalformed, "sealed secret file is truncated");
  }
  ByteView body = f.first(f.size() - kChecksumBytes);
  if (!ConstantTimeEqual(Sha256(body), f.last(kChecksumBytes))) {
    return Fail(Errc::kMalformed, "sealed secret file is damaged (checksum mismatch); restore it from a backup");
  }
  const uint8_t* p = f.data() + 6;
  const uint8_t* end = body.data() + body.size();
  Parsed out;
  out.info.version = static_cast<uint16_t>(GetBe(p, 2));
  p += 2;
  if (out.info.version != kVersion) {
    return Fail(Errc::kUnsupported,
                "sealed secret format version " + std::to_string(out.info.version) + " is not supported");
  }
  uint8_t kdf = *p++;
  uint8_t reserved = *p++;
  if (kdf != kKdfArgon2id13)
    return Fail(Errc::kUnsupported, "sealed secret KDF " + std::to_string(kdf) + " is not supported");
  if (reserved != 0) return Fail(Errc::kMalformed, "sealed secret header: reserved byte is not zero");
  out.info.kdf.opslimit = GetBe(p, 4);
  p += 4;
  out.info.kdf.memlimit = GetBe(p, 8);
  p += 8;
  out.salt = ByteView(p, kSaltBytes);
  p += kSaltBytes;
  out.nonce = ByteView(p, kNonceBytes);
  p += kNonceBytes;
  size_t label_len = GetBe(p, 2);
  p += 2;
  if (label_len > kMaxLabel || static_cast<size_t>(end - p) < label_len + 4) {
    return Fail(Errc::kMalformed, "sealed secret header: label overruns the file");
  }
  out.info.label.assign(reinterpret_cast<const char*>(p), label_len);
  p += label_len;
  size_t ct_len = GetBe(p, 4);
  p += 4;
  if (static_cast<size_t>(end - p) != ct_len || ct_len <= kTagBytes || ct_len > kMaxSealedSecretBytes + kTagBytes) {
    return Fail(Errc::kMalformed, "sealed secret: ciphertext length does not match the file");
  }
  out.aad = ByteView(f.data(), static_cast<size_t>(p - f.data()));
  out.ciphertext = ByteView(p, ct_len);
  out.info.secret_size = ct_len - kTagBytes;
  return out;
}

Status CheckKdf(const KdfParams& kdf, const OpenLimits& limits) {
  if (kdf.opslimit < crypto_pwhash_OPSLIMIT_MIN || kdf.memlimit < crypto_pwhash_MEMLIMIT_MIN) {
    return Fail(Errc::kMalformed, "Argon2id parameters below libsodium's minimum");
  }
  if (kdf.opslimit > limits.max_opslimit || kdf.memlimit > limits.max_memlimit) {
    return Fail(Errc::kLimit, "Argon2id parameters (opslimit " + std::to_string(kdf.opslimit) + ", memlimit " +
                                  std::to_string(kdf.memlimit >> 20) + " MiB) exceed this reader's limits");
  }
  return Ok();
}

Result<SecureBuffer> DeriveKey(const SecretText& passphrase, ByteView salt, const KdfParams& kdf) {
  SecureBuffer key(kKeyBytes);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.view().data()), passphrase.size(),
                    salt.data(), kdf.opslimit, static_cast<size_t>(kdf.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(Errc::kLimit,
                "Argon2id derivation failed (not enough memory for " + std::to_string(kdf.memlimit >> 20) + " MiB?)");
  }
  return key;
}

}  // namespace

bool LooksLikeSealedSecret(ByteView file) {
  return file.size() >= 6 && std::memcmp(file.data(), kSealedSecretMagic.data(), 6) == 0;
}

Result<Bytes> SealSecret(const SecureBuffer& secret, const SecretText& passphrase, const SecretSealOptions& options) {
  EnsureSodium();
  if (passphrase.empty()) return Fail(Errc::kInvalidArgument, "refusing to seal a secret under an empty passphrase");
  if (secret.empty() || secret.size() > kMaxSealedSecretBytes) {
    return Fail(Errc::kInvalidArgument, "a sealed secret must be 1 to 4096 bytes");
  }
  if (options.label.size() > kMaxLabel) return Fail(Errc::kInvalidArgument, "secret label longer than 1024 bytes");
  WQ_TRY(CheckKdf(options.kdf, OpenLimits{crypto_pwhash_OPSLIMIT_MAX, crypto_pwhash_MEMLIMIT_MAX}));

  Bytes salt = RandomBytes(kSaltBytes);
  Bytes nonce = RandomBytes(kNonceBytes);
  Bytes out;
  out.insert(out.end(), kSealedSecretMagic.begin(), kSealedSecretMagic.end());
  PutBe(out, kVersion, 2);
  out.push_back(kKdfArgon2id13);
  out.push_back(0);
  PutBe(out, options.kdf.opslimit, 4);
  PutBe(out, options.kdf.memlimit, 8);
  out.insert(out.end(), salt.begin(), salt.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  PutBe(out, options.label.size(), 2);
  out.insert(out.end(), options.label.begin(), options.label.end());
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

Result<SealedSecretInfo> InspectSealedSecret(ByteView file) {
  WQ_ASSIGN(Parsed p, Parse(file));
  return p.info;
}

Result<SecureBuffer> UnsealSecret(ByteView file, const SecretText& passphrase, const OpenLimits& limits) {
  EnsureSodium();
  WQ_ASSIGN(Parsed p, Parse(file));
  WQ_TRY(CheckKdf(p.info.kdf, limits));
  WQ_ASSIGN(SecureBuffer k, DeriveKey(passphrase, p.salt, p.info.kdf));
  SecureBuffer secret(p.info.secret_size);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret.data(), &len, nullptr, p.ciphertext.data(), p.ciphertext.size(),
                                                 p.aad.data(), p.aad.size(), p.nonce.data(), k.data()) != 0) {
    return Fail(Errc::kPermission,
                "wrong passphrase for sealed secret" + (p.info.label.empty() ? "" : " '" + p.info.label + "'"));
  }
  return secret;
}

Status WriteSealedSecretFile(const std::string& path, const SecureBuffer& secret, const SecretText& passphrase,
                             const SecretSealOptions& options, WriteMode mode) {
  WQ_ASSIGN(Bytes sealed, SealSecret(secret, passphrase, options));
  return WriteFileAtomically(path, sealed, mode, 0600);
}

Result<SecureBuffer> OpenSealedSecretFile(const std::string& path, const SecretText& passphrase,
                                          const OpenLimits& limits) {
  WQ_ASSIGN(Bytes file, ReadFileBytes(path, 64 << 10));
  auto s = UnsealSecret(file, passphrase, limits);
  if (!s) return Wrap(path, s.error());
  return s;
}

}  // namespace wathiq::keys
