// UTF-8 and code lists for the document-type catalogue.
#include <algorithm>
#include <array>
#include <cstdio>
#include <set>
#include <vector>

#include "catalogue_internal.h"

namespace wathiq::mdoc::internal {
namespace {

// Decodes the code point at s[i], advancing i; false on ill-formed UTF-8 (RFC 3629 table).
bool NextCodePoint(std::string_view s, size_t& i, char32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    cp = b0;
    i += 1;
    return true;
  }
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return false;
  }
  if (i + n > s.size()) return false;
  char32_t v = b0 & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    uint8_t b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    v = (v << 6) | (b & 0x3F);
  }
  cp = v;
  i += n;
  return true;
}

template <class F>
bool ForEachCodePoint(std::string_view s, F&& f) {
  size_t i = 0;
  char32_t cp;
  while (i < s.size()) {
    if (!NextCodePoint(s, i, cp)) return false;
    if (!f(cp)) return true;
  }
  return true;
}

bool IsForbidden(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) ||  // C0, DEL, C1
         c == 0x2028 || c == 0x2029 ||            // line and paragraph separators
         (c >= 0x202A && c <= 0x202E) ||          // LRE RLE PDF LRO RLO
         (c >= 0x2066 && c <= 0x2069) ||          // LRI RLI FSI PDI
         c == 0xFEFF;                             // BOM / zero-width no-break space
}

bool IsArabic(char32_t c) {
  return (c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) || (c >= 0x08A0 && c <= 0x08FF) ||
         (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF);
}

// ISO 3166-1 alpha-2 officially assigned codes (249), sorted. Source: the ISO 3166 Maintenance Agency's
// Online Browsing Platform list of officially assigned codes.
constexpr std::array<std::string_view, 249> kIso3166Alpha2 = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB",
    "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY",
    "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX",
    "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK",
    "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR",
    "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
    "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE",
    "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG",
    "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF",
    "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY",
    "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

}  // namespace

int64_t CountCodePoints(std::string_view s) {
  int64_t n = 0;
  if (!ForEachCodePoint(s, [&](char32_t) {
        ++n;
        return true;
      })) {
    return -1;
  }
  return n;
}

char32_t FirstForbiddenCodePoint(std::string_view s) {
  char32_t found = 0;
  (void)ForEachCodePoint(s, [&](char32_t c) {
    if (IsForbidden(c)) {
      found = c;
      return false;
    }
    return true;
  });
  return found;
}

bool HasArabicLetter(std::string_view s) {
  bool found = false;
  (void)ForEachCodePoint(s, [&](char32_t c) {
    found = IsArabic(c);
    return !found;
  });
  return found;
}

bool IsLatin1Printable(std::string_view s) {
  bool ok = true;
  bool well_formed = ForEachCodePoint(s, [&](char32_t c) {
    ok = (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xFF);
    return ok;
  });
  return well_formed && ok;
}

std::string CodePointName(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

bool IsIso3166Alpha2(std::string_view code) {
  return std::binary_search(kIso3166Alpha2.begin(), kIso3166Alpha2.end(), code);
}

bool IsIso3166UserAssigned(std::string_view code) {
  if (code.size() != 2) return false;
  char a = code[0], b = code[1];
  if (b < 'A' || b > 'Z') return false;
  return (a == 'A' && b == 'A') || (a == 'Q' && b >= 'M') || a == 'X' || (a == 'Z' && b == 'Z');
}

}  // namespace wathiq::mdoc::internal
