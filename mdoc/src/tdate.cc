#include <cstdio>

#include "wathiq/mdoc/mdoc.h"

namespace wathiq::mdoc {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::string FormatTdate(int64_t seconds) {
  Date date = Date::FromUnix(seconds);
  int64_t rem = seconds - date.DaysSinceEpoch() * 86400;
  if (date.year < 0 || date.year > 9999) {  // not an RFC 3339 year; kept printable for messages
    char buf[96];
    std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lldZ", date.ToString().c_str(),
                  static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                  static_cast<long long>(rem % 60));
    return buf;
  }
  // Written digit by digit: issuance formats three per credential, and snprintf costs more than the rest
  // of the MSO's encoding.
  std::string s = "0000-00-00T00:00:00Z";
  auto put = [&](size_t pos, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) s[pos + static_cast<size_t>(i)] = static_cast<char>('0' + v % 10);
  };
  put(0, date.year, 4);
  put(5, date.month, 2);
  put(8, date.day, 2);
  put(11, rem / 3600, 2);
  put(14, rem / 60 % 60, 2);
  put(17, rem % 60, 2);
  return s;
}

Result<int64_t> ParseTdate(std::string_view s) {
  auto bad = [&](const char* why) {
    return Fail(Errc::kMalformed, "tdate '" + std::string(s.substr(0, 40)) + "': " + why);
  };
  int h, mi, se;
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, h) || s[13] != ':' ||
      !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, se)) {
    return bad("not an RFC 3339 date-time");
  }
  auto date = Date::Parse(s.substr(0, 10));
  if (!date) return bad("not a calendar date");
  if (h > 23 || mi > 59 || se > 60) return bad("field out of range");
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start || pos - start > 9) return bad("bad fraction");
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59) {
      return bad("bad offset");
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad("missing time zone");
  }
  if (pos != s.size()) return bad("trailing characters");
  int64_t t = date->DaysSinceEpoch() * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se);
  return t - offset;
}

std::string_view ReasonCode(Reason r) {
  switch (r) {
    case Reason::kMalformed: return "malformed";
    case Reason::kUnsupported: return "unsupported";
    case Reason::kUnknownSigner: return "unknown_signer";
    case Reason::kBadIssuerSignature: return "bad_issuer_signature";
    case Reason::kSignerNotAuthorized: return "signer_not_authorized";
    case Reason::kCertificateInvalid: return "certificate_invalid";
    case Reason::kNotYetValid: return "not_yet_valid";
    case Reason::kExpired: return "expired";
    case Reason::kBadDigest: return "bad_digest";
    case Reason::kBadDeviceSignature: return "bad_device_signature";
    case Reason::kBadDeviceMac: return "bad_device_mac";
    case Reason::kPresentationStale: return "presentation_stale";
    case Reason::kNonceMismatch: return "nonce_mismatch";
    case Reason::kReplayed: return "replayed";
    case Reason::kRevoked: return "revoked";
    case Reason::kSuspended: return "suspended";
    case Reason::kStatusUnknown: return "status_unknown";
    case Reason::kStatusIndexOutOfRange: return "status_index_out_of_range";
  }
  return "malformed";
}

}  // namespace wathiq::mdoc
