#include "sealed_container.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "wathiq/core/crypto.h"

namespace wathiq::keys::internal {
namespace {

constexpr uint16_t kVersion = 1;
constexpr uint8_t kKdfArgon2id13 = 1;
constexpr size_t kMagicBytes = 6;
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;                        // 16
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;     // 32
constexpr size_t kChecksumBytes = 32;
constexpr size_t kFixedHeader = kMagicBytes + 2 + 1 + 1 + 4 + 8 + kSaltBytes + kNonceBytes + 2;

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

Result<SecureBuffer> DeriveKey(const SecretText& passphrase, ByteView salt, const KdfParams& kdf) {
  SecureBuffer key(kKeyBytes);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.view().data()), passphrase.size(),
                    salt.data(), kdf.opslimit, static_cast<size_t>(kdf.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(Errc::kLimit,
                "Argon2id derivation failed (not enough memory for " + std::to_string(kdf.memlimit >> 20) + " MiB?)");
  }
  return key;
}

std::string Noun(const SealedKind& kind) { return std::string(kind.noun); }

}  // namespace

size_t SealedContainer::secret_size() const { return ciphertext.size() - kTagBytes; }

bool HasSealedMagic(ByteView file, std::string_view magic) {
  return file.size() >= kMagicBytes && magic.size() == kMagicBytes &&
         std::memcmp(file.data(), magic.data(), kMagicBytes) == 0;
}

Result<SealedContainer> ParseSealed(ByteView f, const SealedKind& kind) {
  const std::string noun = Noun(kind);
  if (!HasSealedMagic(f, kind.magic)) return Fail(Errc::kMalformed, "not a Wathiq " + noun + " file (bad magic)");
  if (f.size() < kFixedHeader + 4 + kTagBytes + kChecksumBytes) {
    return Fail(Errc::kMalformed, noun + " file is truncated");
  }
  ByteView body = f.first(f.size() - kChecksumBytes);
  if (!ConstantTimeEqual(Sha256(body), f.last(kChecksumBytes))) {
    return Fail(Errc::kMalformed, noun + " file is damaged (checksum mismatch); restore it from a backup");
  }
  const uint8_t* p = f.data() + kMagicBytes;
  const uint8_t* end = body.data() + body.size();
  SealedContainer out;
  out.version = static_cast<uint16_t>(GetBe(p, 2));
  p += 2;
  if (out.version != kVersion) {
    return Fail(Errc::kUnsupported, noun + " format version " + std::to_string(out.version) + " is not supported");
  }
  const uint8_t kdf = *p++;
  const uint8_t reserved = *p++;
  if (kdf != kKdfArgon2id13)
    return Fail(Errc::kUnsupported, noun + " KDF " + std::to_string(kdf) + " is not supported");
  if (reserved != 0) return Fail(Errc::kMalformed, noun + " header: reserved byte is not zero");
  out.kdf.opslimit = GetBe(p, 4);
  p += 4;
  out.kdf.memlimit = GetBe(p, 8);
  p += 8;
  out.salt = ByteView(p, kSaltBytes);
  p += kSaltBytes;
  out.nonce = ByteView(p, kNonceBytes);
  p += kNonceBytes;
  const size_t header_len = GetBe(p, 2);
  p += 2;
  if (header_len > kind.max_header || static_cast<size_t>(end - p) < header_len + 4) {
    return Fail(Errc::kMalformed, noun + " header: " + std::string(kind.header_noun) + " overruns the file");
  }
  out.header = ByteView(p, header_len);
  p += header_len;
  const size_t ct_len = GetBe(p, 4);
  p += 4;
  if (static_cast<size_t>(end - p) != ct_len || ct_len < kTagBytes + kind.min_secret ||
      ct_len - kTagBytes > kind.max_secret) {
    return Fail(Errc::kMalformed, noun + ": ciphertext length does not match the file");
  }
  out.aad = ByteView(f.data(), static_cast<size_t>(p - f.data()));
  out.ciphertext = ByteView(p, ct_len);
  return out;
}

// Runs before any derivation: the parameters come from a header that only the AEAD authenticates, and the
// AEAD can only speak after the derivation.
Status CheckKdf(const KdfParams& kdf, const OpenLimits& limits) {
  if (kdf.opslimit < crypto_pwhash_OPSLIMIT_MIN || kdf.memlimit < crypto_pwhash_MEMLIMIT_MIN) {
    return Fail(Errc::kMalformed, "Argon2id parameters below libsodium's minimum");
  }
  if (kdf.opslimit > limits.max_opslimit || kdf.memlimit > limits.max_memlimit) {
    const bool preset =
        limits.max_opslimit == OpenLimits{}.max_opslimit && limits.max_memlimit == OpenLimits{}.max_memlimit;
    return Fail(Errc::kLimit, "Argon2id parameters (opslimit " + std::to_string(kdf.opslimit) + ", memlimit " +
                                  std::to_string(kdf.memlimit >> 20) + " MiB) exceed the accepted maximum (opslimit " +
                                  std::to_string(limits.max_opslimit) + ", memlimit " +
                                  std::to_string(limits.max_memlimit >> 20) + " MiB" +
                                  (preset ? ", the strongest preset Wathiq writes" : "") +
                                  "); refusing before any derivation");
  }
  return Ok();
}

Result<Bytes> Seal(const SealedKind& kind, ByteView header, ByteView secret, const SecretText& passphrase,
                   const KdfParams& kdf) {
  EnsureSodium();
  if (header.size() > kind.max_header || secret.size() < kind.min_secret || secret.size() > kind.max_secret) {
    return Fail(Errc::kInternal, Noun(kind) + ": header or secret size out of range");
  }
  Bytes salt = RandomBytes(kSaltBytes);
  Bytes nonce = RandomBytes(kNonceBytes);
  Bytes out;
  out.insert(out.end(), kind.magic.begin(), kind.magic.end());
  PutBe(out, kVersion, 2);
  out.push_back(kKdfArgon2id13);
  out.push_back(0);
  PutBe(out, kdf.opslimit, 4);
  PutBe(out, kdf.memlimit, 8);
  out.insert(out.end(), salt.begin(), salt.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  PutBe(out, header.size(), 2);
  out.insert(out.end(), header.begin(), header.end());
  const size_t ct_len = secret.size() + kTagBytes;
  PutBe(out, ct_len, 4);
  const size_t aad_len = out.size();

  WQ_ASSIGN(SecureBuffer k, DeriveKey(passphrase, salt, kdf));
  out.resize(aad_len + ct_len);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + aad_len, &written, secret.data(), secret.size(), out.data(),
                                             aad_len, nullptr, nonce.data(), k.data());
  if (written != ct_len) return Fail(Errc::kInternal, "AEAD produced an unexpected length");
  Bytes sum = Sha256(out);
  out.insert(out.end(), sum.begin(), sum.end());
  return out;
}

Result<SecureBuffer> OpenSealed(const SealedContainer& c, const SecretText& passphrase, const OpenLimits& limits,
                                std::string_view what) {
  EnsureSodium();
  WQ_TRY(CheckKdf(c.kdf, limits));
  WQ_ASSIGN(SecureBuffer k, DeriveKey(passphrase, c.salt, c.kdf));
  SecureBuffer secret(c.secret_size());
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret.data(), &len, nullptr, c.ciphertext.data(), c.ciphertext.size(),
                                                 c.aad.data(), c.aad.size(), c.nonce.data(), k.data()) != 0) {
    return Fail(Errc::kPermission, "wrong passphrase for " + std::string(what));
  }
  return secret;
}

}  // namespace wathiq::keys::internal
