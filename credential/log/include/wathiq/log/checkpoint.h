// Wathiq log: C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint) — the signed statement of a log's size and
// root, "origin\nsize\nbase64(root)\n" plus optional extension lines, carried as a signed note.
//
// Guarantees: ParseCheckpoint() is strict: every line ends in a newline, the origin and extension lines are
// non-empty, the size is canonical decimal (no sign, no leading zero) below 2^63, the root is canonical
// standard base64 of exactly 32 bytes. FormatCheckpoint() writes the same form, so text -> parse ->
// format is the identity. OpenCheckpoint() requires a valid signature by the log's key AND the expected
// origin: a checkpoint for another log is refused even when well signed.
// Thread-safety: value types and pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/result.h"
#include "wathiq/log/merkle.h"
#include "wathiq/log/note.h"

namespace wathiq::log {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // lines after the root, without their newline
  bool operator==(const Checkpoint&) const = default;
};

Result<Checkpoint> ParseCheckpoint(std::string_view text);
// kInvalidArgument for an empty origin, a line holding a newline, or a size of 2^63 or more.
Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint);

// Opens a signed checkpoint note with the log's key and checks its origin.
Result<Checkpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& log_key, std::string_view expected_origin);

}  // namespace wathiq::log
