// libFuzzer: signed notes (OpenNote with a known key), checkpoints and verifier key strings. A checkpoint
// that parses formats back to exactly its input.
#include <cstdlib>
#include <string_view>

#include "wathiq/log/checkpoint.h"
#include "wathiq/log/note.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wathiq::log;
  static const NoteVerifier* peter = [] {
    auto v = NoteVerifier::FromVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    if (!v) std::abort();
    return new NoteVerifier(*v);
  }();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto n = OpenNote(in, std::span<const NoteVerifier>(peter, 1));
  if (n && (n->verified.empty() || n->verified.size() + n->unverified.size() > kMaxNoteSignatures)) std::abort();
  auto cp = ParseCheckpoint(in);
  if (cp) {
    if (cp->size >= kTreeSizeLimit) std::abort();
    auto text = FormatCheckpoint(*cp);
    if (!text || *text != in) std::abort();
  }
  auto key = NoteVerifier::FromVerifierKey(in);
  if (key) {
    auto again = NoteVerifier::FromVerifierKey(key->VerifierKey());
    if (!again || again->key_id() != key->key_id()) std::abort();
  }
  return 0;
}
