// Internal to keys/: the sealed container that sealed key files (keystore.h, "WQSKEY") and sealed secret
// files (sealed_secret.h, "WQSSEC") share. They differ only in their magic and in the public header field
// (the key's CBOR metadata, the secret's label); each file format's header comment gives its layout:
//   magic[6] | u16 version=1 | u8 kdf=1 (argon2id13) | u8 0 | u32 opslimit | u64 memlimit | salt[16] |
//   nonce[24] | u16 header_len | header | u32 ct_len | ciphertext (secret || 16-byte tag) | sha256[32]
// Argon2id derives the key; XChaCha20-Poly1305 seals the secret with every byte before the ciphertext as
// associated data; the trailing SHA-256 tells a damaged file (kMalformed) from a wrong passphrase
// (kPermission). Parsing checks bounds only; KDF parameters are checked against the reader's limits before
// any derivation (CheckKdf).
// Thread-safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wathiq/core/result.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/secret_text.h"

namespace wathiq::keys::internal {

// What tells one kind of sealed file from the other.
struct SealedKind {
  std::string_view magic;        // 6 bytes
  std::string_view noun;         // in error messages: "sealed key", "sealed secret"
  std::string_view header_noun;  // the public header field: "metadata", "label"
  size_t max_header;             // bytes of the public header field a file may hold
  size_t min_secret;             // bytes of secret a file may hold
  size_t max_secret;
};

// A parsed container: views into the file it was parsed from.
struct SealedContainer {
  uint16_t version = 0;
  KdfParams kdf;
  ByteView salt;
  ByteView nonce;
  ByteView header;      // the public header field
  ByteView aad;         // everything before the ciphertext
  ByteView ciphertext;  // secret || tag
  size_t secret_size() const;
};

bool HasSealedMagic(ByteView file, std::string_view magic);

// kMalformed: bad magic, truncated, damaged (checksum), bad header or lengths. kUnsupported: unknown
// version or KDF.
Result<SealedContainer> ParseSealed(ByteView file, const SealedKind& kind);

// kMalformed: below libsodium's minimum. kLimit: beyond `limits`. Call before any derivation.
Status CheckKdf(const KdfParams& kdf, const OpenLimits& limits);

// Seals `secret` with `header` as the public field. The caller has checked the passphrase, the sizes and
// the KDF parameters against its own policy.
Result<Bytes> Seal(const SealedKind& kind, ByteView header, ByteView secret, const SecretText& passphrase,
                   const KdfParams& kdf);

// Checks the KDF parameters against `limits`, derives the key and opens the AEAD. kPermission ("wrong
// passphrase for <what>") when the passphrase does not open it.
Result<SecureBuffer> OpenSealed(const SealedContainer& c, const SecretText& passphrase, const OpenLimits& limits,
                                std::string_view what);

}  // namespace wathiq::keys::internal
