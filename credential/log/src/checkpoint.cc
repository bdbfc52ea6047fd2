#include "wathiq/log/checkpoint.h"

#include <algorithm>

#include "text_internal.h"

namespace wathiq::log {
namespace {

// A size in canonical decimal below 2^63.
Result<uint64_t> ParseSize(std::string_view s) {
  if (s.empty()) return Fail(Errc::kMalformed, "checkpoint: empty size line");
  if (s.size() > 1 && s[0] == '0') return Fail(Errc::kMalformed, "checkpoint: size has a leading zero");
  // 2^63 has 19 digits: anything longer is refused before arithmetic can overflow.
  if (s.size() > 19) return Fail(Errc::kLimit, "checkpoint: size is 2^63 or more");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Fail(Errc::kMalformed, "checkpoint: size is not a decimal number");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v >= kTreeSizeLimit) return Fail(Errc::kLimit, "checkpoint: size is 2^63 or more");
  return v;
}

}  // namespace

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.size() > kMaxNoteBytes) return Fail(Errc::kLimit, "checkpoint: larger than 1 MiB");
  if (text.empty() || text.back() != '\n') return Fail(Errc::kMalformed, "checkpoint: text must end with a newline");
  if (!internal::IsNoteSafeUtf8(text)) return Fail(Errc::kMalformed, "checkpoint: not valid UTF-8 text");
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return Fail(Errc::kMalformed, "checkpoint: needs origin, size and root lines");
  Checkpoint cp;
  if (lines[0].empty()) return Fail(Errc::kMalformed, "checkpoint: empty origin");
  cp.origin = std::string(lines[0]);
  WQ_ASSIGN(cp.size, ParseSize(lines[1]));
  auto root = Base64Decode(lines[2]);
  if (!root || root->size() != 32) return Fail(Errc::kMalformed, "checkpoint: root must be base64 of 32 bytes");
  if (Base64Encode(*root) != lines[2]) return Fail(Errc::kMalformed, "checkpoint: root is not canonical base64");
  std::copy(root->begin(), root->end(), cp.root.begin());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return Fail(Errc::kMalformed, "checkpoint: empty extension line");
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

Result<std::string> FormatCheckpoint(const Checkpoint& cp) {
  auto bad_line = [](const std::string& s) { return s.empty() || s.find('\n') != std::string::npos; };
  if (bad_line(cp.origin)) return Fail(Errc::kInvalidArgument, "checkpoint: origin must be one non-empty line");
  if (cp.size >= kTreeSizeLimit) return Fail(Errc::kInvalidArgument, "checkpoint: size is 2^63 or more");
  std::string out = cp.origin + "\n" + std::to_string(cp.size) + "\n" + Base64Encode(cp.root) + "\n";
  for (const std::string& e : cp.extensions) {
    if (bad_line(e)) return Fail(Errc::kInvalidArgument, "checkpoint: extension lines must be non-empty single lines");
    out += e + "\n";
  }
  if (!internal::IsNoteSafeUtf8(out)) return Fail(Errc::kInvalidArgument, "checkpoint: not valid UTF-8 text");
  return out;
}

Result<Checkpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& log_key,
                                  std::string_view expected_origin) {
  WQ_ASSIGN(Note n, OpenNote(note, std::span<const NoteVerifier>(&log_key, 1)));
  WQ_ASSIGN(Checkpoint cp, ParseCheckpoint(n.text));
  if (cp.origin != expected_origin) {
    return Fail(Errc::kInvalidArgument, "checkpoint: origin \"" + cp.origin.substr(0, 200) +
                                            "\" is not the expected \"" + std::string(expected_origin) + "\"");
  }
  return cp;
}

}  // namespace wathiq::log
