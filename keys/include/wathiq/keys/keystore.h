// Wathiq keys: sealed keystore files for software keys, and atomic file writes.
//
// A sealed key file holds one software signing key encrypted under a passphrase:
//   Argon2id (libsodium crypto_pwhash, ALG_ARGON2ID13) derives a 256-bit key from the passphrase and a
//   random 16-byte salt; XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf) with a random 24-byte
//   nonce seals the secret. Every header byte before the ciphertext — magic, format version, KDF id and
//   parameters, salt, nonce, the public metadata (algorithm, label, creation time, public key) — is the
//   AEAD's associated data, so none of it can be changed without the open failing.
//   A trailing SHA-256 over the whole file is an integrity checksum (not a security mechanism: the AEAD
//   is). It lets Open tell "the file is damaged" (kMalformed) apart from "wrong passphrase" (kPermission).
// Layout (big-endian), version 1:
//   "WQSKEY" | u16 version=1 | u8 kdf=1 (argon2id13) | u8 0 | u32 opslimit | u64 memlimit | salt[16] |
//   nonce[24] | u16 meta_len | meta (deterministic CBOR {"alg","label","created","public_key"}) |
//   u32 ct_len | ciphertext (secret || 16-byte tag) | sha256[32]
// Guarantees:
//  - Opening never writes: a wrong passphrase or a damaged file leaves the file byte-for-byte as it was.
//  - Files are written 0600 and atomically (temp file in the same directory, fsync, rename, fsync of the
//    directory); by default an existing file is never replaced (WriteMode::kCreateNew).
//  - KDF parameters read from a file are capped (OpenLimits, by default the Sensitive preset) and checked
//    before the derivation runs, so a rewritten header cannot make an open attempt cost more than the
//    strongest file this project writes.
//  - The decrypted secret only ever sits in sodium_malloc'd memory; after unsealing, the key is rebuilt,
//    its public key compared with the header's and a self-test signature made.
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>

#include "wathiq/core/crypto.h"
#include "wathiq/core/file.h"
#include "wathiq/core/result.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/secret_text.h"

namespace wathiq::keys {

// Argon2id cost. Presets mirror libsodium's: Min (tests only), Interactive (~0.1 s, 64 MiB),
// Moderate (~0.5 s, 256 MiB, the default for files), Sensitive (~3 s, 1 GiB, for the national root).
struct KdfParams {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;  // bytes
  static KdfParams Min();
  static KdfParams Interactive();
  static KdfParams Moderate();
  static KdfParams Sensitive();
  // "min", "interactive", "moderate", "sensitive".
  static Result<KdfParams> FromName(std::string_view name);
};

struct SealOptions {
  KdfParams kdf = KdfParams::Moderate();
  std::string label;
  int64_t created_at = 0;  // seconds since the epoch; 0 = now
};

// The Argon2id cost a reader accepts from a file's header. The header is authenticated only by the AEAD,
// which can reject it only after the derivation has run, so whoever can rewrite a key file chooses what
// every open attempt costs. The defaults are the strongest preset this project writes (Sensitive:
// opslimit 4, 1 GiB); anything above is refused with kLimit before any derivation, and SealKey refuses to
// write above them.
struct OpenLimits {
  uint64_t max_opslimit = 4;                  // crypto_pwhash_OPSLIMIT_SENSITIVE
  uint64_t max_memlimit = uint64_t{1} << 30;  // crypto_pwhash_MEMLIMIT_SENSITIVE, 1 GiB
};

// What a sealed file says about itself without the passphrase.
struct SealedKeyInfo {
  uint16_t version = 0;
  Alg alg = Alg::kES256;
  std::string label;
  int64_t created_at = 0;
  PublicKey public_key;
  std::string key_id;
  KdfParams kdf;
};

inline constexpr std::string_view kSealedKeyMagic = "WQSKEY";

// Seals a software key (a KeyHandle or core signer whose secret core can export). kInvalidArgument for
// PKCS#11 keys and empty passphrases; kLimit for KDF parameters beyond the default OpenLimits.
Result<Bytes> SealKey(const Signer& key, const SecretText& passphrase, const SealOptions& options = {});
// kMalformed: not a sealed key file, damaged (checksum), unknown version, bad header.
// kLimit: KDF parameters beyond `limits`. kPermission: wrong passphrase.
Result<KeyHandle> UnsealKey(ByteView file, const SecretText& passphrase, const OpenLimits& limits = {});
// Reads the header (checksum verified) without a passphrase.
Result<SealedKeyInfo> InspectSealedKey(ByteView file);
bool LooksLikeSealedKey(ByteView file);

using ::wathiq::WriteMode;  // wathiq/core/file.h

Status WriteSealedKeyFile(const std::string& path, const Signer& key, const SecretText& passphrase,
                          const SealOptions& options = {}, WriteMode mode = WriteMode::kCreateNew);
Result<KeyHandle> OpenSealedKeyFile(const std::string& path, const SecretText& passphrase,
                                    const OpenLimits& limits = {});
// Re-seals under a new passphrase (and KDF cost), replacing the file atomically; the old file stays intact
// if anything fails, including a wrong old passphrase.
Status ChangeSealedKeyPassphrase(const std::string& path, const SecretText& old_passphrase,
                                 const SecretText& new_passphrase, const KdfParams& kdf, const OpenLimits& limits = {});

// The file helpers live in core (wathiq/core/file.h); these names keep the keys:: spelling working.
using ::wathiq::ReadFileBytes;
using ::wathiq::WriteFileAtomically;

}  // namespace wathiq::keys
