// Internal: the text rules of C2SP signed notes, shared by notes and checkpoints.
#pragma once

#include <string_view>

namespace wathiq::log::internal {

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or -1 for an invalid
// sequence (overlong forms, surrogates and values above U+10FFFF included), as Go's utf8.DecodeRune.
inline long DecodeRune(std::string_view s, size_t& i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int n;
  long cp, min;
  if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; min = 0x10000; }
  else return -1;
  if (i + static_cast<size_t>(n) >= s.size()) return -1;  // the continuation bytes must all be there
  for (int k = 1; k <= n; ++k) {
    unsigned char d = b(i + static_cast<size_t>(k));
    if ((d & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += static_cast<size_t>(n) + 1;
  return cp;
}

// Valid UTF-8 with no ASCII control character other than newline (Go's note.Open rule).
inline bool IsNoteSafeUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    long r = DecodeRune(s, i);
    if (r < 0 || (r < 0x20 && r != '\n')) return false;
  }
  return true;
}

// Unicode White_Space as Go's unicode.IsSpace sees it.
inline bool IsUnicodeSpace(long r) {
  switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

inline bool IsUtf8WithoutSpace(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    long r = DecodeRune(s, i);
    if (r < 0 || IsUnicodeSpace(r)) return false;
  }
  return true;
}

}  // namespace wathiq::log::internal
