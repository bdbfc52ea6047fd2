#include "wathiq/core/text.h"

#include <cstdint>
#include <cstdio>

namespace wathiq {
namespace {

// Decodes one UTF-8 sequence at text[i]; returns its length, or 0 when the bytes there are not a valid,
// shortest-form sequence of a Unicode scalar value.
size_t DecodeUtf8(std::string_view text, size_t i, uint32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, *cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, *cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, *cp = b0 & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    uint8_t b = byte(i + k);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3Fu);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

bool MustEscape(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string SafeText(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(text.size() < 256 ? text.size() : 256);
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    char buf[16];
    std::string_view piece;
    if (len == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(static_cast<uint8_t>(text[i])));
      piece = buf;
      len = 1;
    } else if (MustEscape(cp)) {
      if (cp < 0x100) std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      else std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
      piece = buf;
    } else {
      piece = text.substr(i, len);
    }
    if (out.size() + piece.size() > max_bytes) {
      out += "…(" + std::to_string(text.size()) + " bytes)";
      return out;
    }
    out += piece;
    i += len;
  }
  return out;
}

std::string SafeLines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out += SafeText(text.substr(start, end - start));
    if (end == text.size()) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string Quoted(std::string_view text, size_t max_bytes) { return "\"" + SafeText(text, max_bytes) + "\""; }

bool IsSafeText(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0 || MustEscape(cp)) return false;
    i += len;
  }
  return true;
}

}  // namespace wathiq
