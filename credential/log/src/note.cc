#include "wathiq/log/note.h"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include "text_internal.h"

namespace wathiq::log {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr uint8_t kAlgEd25519 = 0x01;

std::string Hex8(uint32_t v) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = kDigits[v & 15];
  return s;
}

Status CheckNoteText(std::string_view text, const char* what) {
  if (!internal::IsNoteSafeUtf8(text)) {
    return Fail(Errc::kMalformed, std::string(what) + ": not valid UTF-8, or a control character other than newline");
  }
  return Ok();
}

}  // namespace

uint32_t NoteKeyId(std::string_view name, ByteView ed25519_public_key) {
  Bytes buf(name.begin(), name.end());
  buf.push_back(0x0A);
  buf.push_back(kAlgEd25519);
  buf.insert(buf.end(), ed25519_public_key.begin(), ed25519_public_key.end());
  uint8_t h[32];
  Sha256(buf, h);
  return (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | uint32_t{h[3]};
}

bool IsValidNoteKeyName(std::string_view name) {
  return !name.empty() && name.find('+') == std::string_view::npos && internal::IsUtf8WithoutSpace(name);
}

Result<NoteVerifier> NoteVerifier::FromPublicKey(std::string_view name, ByteView ed25519_public_key) {
  if (!IsValidNoteKeyName(name)) return Fail(Errc::kInvalidArgument, "note key: invalid key name");
  if (ed25519_public_key.size() != 32) return Fail(Errc::kInvalidArgument, "note key: an Ed25519 key has 32 bytes");
  NoteVerifier v;
  v.name_ = std::string(name);
  v.public_key_.assign(ed25519_public_key.begin(), ed25519_public_key.end());
  v.key_id_ = NoteKeyId(name, ed25519_public_key);
  return v;
}

Result<NoteVerifier> NoteVerifier::FromVerifierKey(std::string_view vkey) {
  if (vkey.size() > 1024) return Fail(Errc::kLimit, "verifier key: longer than 1024 bytes");
  size_t p1 = vkey.find('+');
  if (p1 == std::string_view::npos) return Fail(Errc::kMalformed, "verifier key: expected name+keyid+key");
  size_t p2 = vkey.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return Fail(Errc::kMalformed, "verifier key: expected name+keyid+key");
  std::string_view name = vkey.substr(0, p1), id_hex = vkey.substr(p1 + 1, p2 - p1 - 1), key64 = vkey.substr(p2 + 1);
  if (!IsValidNoteKeyName(name)) return Fail(Errc::kMalformed, "verifier key: invalid key name");
  if (id_hex.size() != 8) return Fail(Errc::kMalformed, "verifier key: the key id must be 8 hex digits");
  auto id = FromHex(id_hex);
  if (!id) return Fail(Errc::kMalformed, "verifier key: the key id is not hex");
  auto key = Base64Decode(key64);
  if (!key || key->empty()) return Fail(Errc::kMalformed, "verifier key: the key is not base64");
  if ((*key)[0] != kAlgEd25519) return Fail(Errc::kUnsupported, "verifier key: only Ed25519 (algorithm 0x01) is supported");
  if (key->size() != 33) return Fail(Errc::kMalformed, "verifier key: an Ed25519 key has 32 bytes");
  WQ_ASSIGN(NoteVerifier v, FromPublicKey(name, ByteView(*key).subspan(1)));
  uint32_t claimed = (uint32_t{(*id)[0]} << 24) | (uint32_t{(*id)[1]} << 16) | (uint32_t{(*id)[2]} << 8) | (*id)[3];
  if (claimed != v.key_id_) return Fail(Errc::kMalformed, "verifier key: the key id does not match the name and key");
  return v;
}

std::string NoteVerifier::VerifierKey() const {
  Bytes k(1 + public_key_.size());
  k[0] = kAlgEd25519;
  std::copy(public_key_.begin(), public_key_.end(), k.begin() + 1);
  return name_ + "+" + Hex8(key_id_) + "+" + Base64Encode(k);
}

bool NoteVerifier::Verify(std::string_view text, ByteView signature) const {
  if (signature.size() != 64) return false;
  auto pk = PublicKey::FromRaw(Curve::kEd25519, public_key_);
  if (!pk) return false;
  auto v = MakeVerifier(*pk, Alg::kEdDSA);
  if (!v) return false;
  return (*v)->Verify(AsBytes(text), signature).has_value();
}

Result<NoteSigner> NoteSigner::Create(std::string_view name, const Signer& signer) {
  if (!IsValidNoteKeyName(name)) return Fail(Errc::kInvalidArgument, "note signer: invalid key name");
  if (signer.alg() != Alg::kEdDSA || signer.curve() != Curve::kEd25519) {
    return Fail(Errc::kInvalidArgument, "note signer: signed notes here use Ed25519");
  }
  WQ_ASSIGN(PublicKey pk, signer.public_key());
  WQ_ASSIGN(NoteVerifier v, NoteVerifier::FromPublicKey(name, pk.raw()));
  NoteSigner s(signer);
  s.name_ = std::string(name);
  s.key_id_ = v.key_id();
  s.verifier_key_ = v.VerifierKey();
  return s;
}

Result<std::string> NoteSigner::SignatureLine(std::string_view text) const {
  WQ_ASSIGN(Bytes sig, signer_->Sign(AsBytes(text)));
  if (sig.size() != 64) return Fail(Errc::kCrypto, "note signer: the signer returned a non-Ed25519 signature");
  Bytes blob(4 + sig.size());
  blob[0] = static_cast<uint8_t>(key_id_ >> 24);
  blob[1] = static_cast<uint8_t>(key_id_ >> 16);
  blob[2] = static_cast<uint8_t>(key_id_ >> 8);
  blob[3] = static_cast<uint8_t>(key_id_);
  std::copy(sig.begin(), sig.end(), blob.begin() + 4);
  return std::string(kSigPrefix) + name_ + " " + Base64Encode(blob) + "\n";
}

Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers) {
  if (text.empty() || text.back() != '\n') return Fail(Errc::kInvalidArgument, "note: text must end with a newline");
  if (text.size() > kMaxNoteBytes / 2) return Fail(Errc::kLimit, "note: text too large");
  if (auto s = CheckNoteText(text, "note text"); !s) return Fail(Errc::kInvalidArgument, s.error().message);
  if (signers.empty()) return Fail(Errc::kInvalidArgument, "note: at least one signer is needed");
  if (signers.size() > kMaxNoteSignatures) return Fail(Errc::kLimit, "note: more than 100 signers");
  std::string out(text);
  out.push_back('\n');
  for (const NoteSigner* s : signers) {
    WQ_ASSIGN(std::string line, s->SignatureLine(text));
    out += line;
  }
  return out;
}

Result<Note> OpenNote(std::string_view msg, std::span<const NoteVerifier> known) {
  if (msg.size() > kMaxNoteBytes) {
    return Fail(Errc::kLimit, "note: " + std::to_string(msg.size()) + " bytes exceed the cap of 1 MiB");
  }
  WQ_TRY(CheckNoteText(msg, "note"));
  // The signature block follows the last blank line (signature lines cannot hold one).
  size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) return Fail(Errc::kMalformed, "note: no blank line before the signatures");
  std::string_view text = msg.substr(0, split + 1);
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') return Fail(Errc::kMalformed, "note: the signature block must end with a newline");
  // Count first: the work below is then bounded by 100 lines whatever the input.
  size_t lines = static_cast<size_t>(std::count(sigs.begin(), sigs.end(), '\n'));
  if (lines > kMaxNoteSignatures) {
    return Fail(Errc::kLimit, "note: " + std::to_string(lines) + " signature lines, more than the limit of " +
                                  std::to_string(kMaxNoteSignatures));
  }

  Note note;
  note.text = std::string(text);
  std::set<std::pair<std::string, uint32_t>> seen;
  std::set<std::string_view> seen_unverified;
  while (!sigs.empty()) {
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return Fail(Errc::kMalformed, "note: a signature line must start with an em dash and a space");
    }
    std::string_view rest = line.substr(kSigPrefix.size());
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return Fail(Errc::kMalformed, "note: a signature line needs a name and a signature");
    std::string_view name = rest.substr(0, sp), b64 = rest.substr(sp + 1);
    if (!IsValidNoteKeyName(name)) return Fail(Errc::kMalformed, "note: invalid key name in a signature line");
    auto blob = Base64Decode(b64);
    if (b64.empty() || !blob || blob->size() < 5) return Fail(Errc::kMalformed, "note: a signature is not valid base64 of at least 5 bytes");
    uint32_t id = (uint32_t{(*blob)[0]} << 24) | (uint32_t{(*blob)[1]} << 16) | (uint32_t{(*blob)[2]} << 8) | (*blob)[3];
    NoteSignature sig{std::string(name), id, Bytes(blob->begin() + 4, blob->end())};

    const NoteVerifier* v = nullptr;
    for (const NoteVerifier& k : known) {
      if (k.name() == name && k.key_id() == id) {
        v = &k;
        break;
      }
    }
    if (!v) {
      if (seen_unverified.insert(line).second) note.unverified.push_back(std::move(sig));
      continue;
    }
    if (!seen.insert({sig.name, id}).second) continue;
    if (!v->Verify(text, sig.signature)) {
      return Fail(Errc::kBadSignature, "note: the signature by known key " + std::string(name) + " does not verify");
    }
    note.verified.push_back(std::move(sig));
  }
  if (note.verified.empty()) return Fail(Errc::kNotFound, "note: no signature by a known key");
  return note;
}

}  // namespace wathiq::log
