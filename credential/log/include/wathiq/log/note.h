// Wathiq log: C2SP signed notes with Ed25519 (c2sp.org/signed-note), compatible with
// golang.org/x/mod/sumdb/note.
//
// Guarantees:
//  - Key id = the first 4 bytes (big-endian) of SHA-256(name || 0x0A || 0x01 || public key); verifier keys
//    are `name+hex(key id)+base64(0x01 || public key)`, and a key string whose id does not match is refused.
//  - OpenNote() parses strictly and with bounded work: at most 1 MiB, valid UTF-8 with no control
//    character but newline, text ending in a newline, then a blank line, then at most 100 lines
//    "— name base64(key id || signature)\n". Signature lines are counted before any signature is checked,
//    so 10,000 of them are refused after one linear scan.
//  - Signatures by unknown keys are ignored (kept as unverified); a signature by a known key that does not
//    verify fails the whole note (it cannot mean anything benign); at least one known, valid signature is
//    required. Repeated signatures by one key count once.
// The signing key is a core Signer (software or PKCS#11): this component never sees its secret.
// Thread-safety: NoteVerifier is immutable; NoteSigner is as thread-safe as the Signer it wraps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"

namespace wathiq::log {

inline constexpr size_t kMaxNoteBytes = size_t{1} << 20;
inline constexpr size_t kMaxNoteSignatures = 100;

// The C2SP key id of an Ed25519 key (32-byte public key).
uint32_t NoteKeyId(std::string_view name, ByteView ed25519_public_key);
// Non-empty, valid UTF-8, no Unicode white space, no '+'.
bool IsValidNoteKeyName(std::string_view name);

class NoteVerifier {
 public:
  // Parses `name+hex8+base64(0x01 || 32-byte key)`.
  static Result<NoteVerifier> FromVerifierKey(std::string_view vkey);
  static Result<NoteVerifier> FromPublicKey(std::string_view name, ByteView ed25519_public_key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  std::string VerifierKey() const;
  bool Verify(std::string_view text, ByteView signature) const;

 private:
  NoteVerifier() = default;
  std::string name_;
  uint32_t key_id_ = 0;
  Bytes public_key_;
};

class NoteSigner {
 public:
  // `signer` must be Ed25519 (EdDSA); it is borrowed and must outlive the NoteSigner.
  static Result<NoteSigner> Create(std::string_view name, const Signer& signer);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  std::string VerifierKey() const { return verifier_key_; }
  // The signature line "— name base64\n" over `text`.
  Result<std::string> SignatureLine(std::string_view text) const;

 private:
  NoteSigner(const Signer& s) : signer_(&s) {}
  const Signer* signer_;
  std::string name_;
  uint32_t key_id_ = 0;
  std::string verifier_key_;
};

// kInvalidArgument when text is empty, does not end in a newline, is not valid UTF-8 or holds control
// characters; then the text, a blank line and one signature line per signer.
Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers);

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  Bytes signature;  // without the 4-byte key id
};
struct Note {
  std::string text;
  std::vector<NoteSignature> verified;    // by known keys, each valid
  std::vector<NoteSignature> unverified;  // by keys not in the known set
};

// kMalformed or kLimit for a note that does not parse (with the reason), kBadSignature when a known key's
// signature fails, kNotFound when no known key signed it.
Result<Note> OpenNote(std::string_view note, std::span<const NoteVerifier> known);

}  // namespace wathiq::log
