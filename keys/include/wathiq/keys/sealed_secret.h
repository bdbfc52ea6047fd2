// Wathiq keys: sealed secret files, for a secret that is not a signing key (a database key, a wrapping
// key): up to 4 KiB of random bytes sealed under a passphrase, the same construction as the sealed key
// files in keystore.h.
//
//   Argon2id (crypto_pwhash, ALG_ARGON2ID13) derives a 256-bit key from the passphrase and a random
//   16-byte salt; XChaCha20-Poly1305 with a random 24-byte nonce seals the secret; every header byte before
//   the ciphertext is the AEAD's associated data; a trailing SHA-256 over the file tells "damaged"
//   (kMalformed) from "wrong passphrase" (kPermission).
// Layout (big-endian), version 1:
//   "WQSSEC" | u16 version=1 | u8 kdf=1 (argon2id13) | u8 0 | u32 opslimit | u64 memlimit | salt[16] |
//   nonce[24] | u16 label_len | label (UTF-8) | u32 ct_len | ciphertext (secret || 16-byte tag) | sha256[32]
// Guarantees: the secret exists in clear only in SecureBuffers; files are written 0600 and atomically
// (WriteFileAtomically), never replacing an existing file unless asked; KDF parameters read from a file are
// capped (OpenLimits); opening never writes.
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>

#include "wathiq/core/result.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/secret_text.h"

namespace wathiq::keys {

inline constexpr std::string_view kSealedSecretMagic = "WQSSEC";
inline constexpr size_t kMaxSealedSecretBytes = 4096;

struct SecretSealOptions {
  KdfParams kdf = KdfParams::Moderate();
  std::string label;  // public (not encrypted, but authenticated); at most 1024 bytes
};

struct SealedSecretInfo {
  uint16_t version = 0;
  std::string label;
  KdfParams kdf;
  size_t secret_size = 0;
};

// kInvalidArgument: empty passphrase, empty or oversized secret, label over 1024 bytes.
Result<Bytes> SealSecret(const SecureBuffer& secret, const SecretText& passphrase,
                         const SecretSealOptions& options = {});
// kMalformed: not a sealed secret file, damaged, bad header. kUnsupported: unknown version or KDF.
// kLimit: KDF parameters beyond `limits`. kPermission: wrong passphrase.
Result<SecureBuffer> UnsealSecret(ByteView file, const SecretText& passphrase, const OpenLimits& limits = {});
Result<SealedSecretInfo> InspectSealedSecret(ByteView file);
bool LooksLikeSealedSecret(ByteView file);

Status WriteSealedSecretFile(const std::string& path, const SecureBuffer& secret, const SecretText& passphrase,
                             const SecretSealOptions& options = {}, WriteMode mode = WriteMode::kCreateNew);
Result<SecureBuffer> OpenSealedSecretFile(const std::string& path, const SecretText& passphrase,
                                          const OpenLimits& limits = {});

}  // namespace wathiq::keys
