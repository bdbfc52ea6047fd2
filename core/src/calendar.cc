#include "wathiq/core/calendar.h"

#include <cstdio>

namespace wathiq {
namespace {

// Calendar arithmetic (proleptic Gregorian; Howard Hinnant's days_from_civil / civil_from_days).

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

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

Result<Date> Date::Parse(std::string_view s) {
  Date d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !Digits(s, 0, 4, d.year) || !Digits(s, 5, 2, d.month) ||
      !Digits(s, 8, 2, d.day) || !d.IsValid()) {
    return Fail(Errc::kMalformed, "not a calendar date \"YYYY-MM-DD\"");
  }
  return d;
}

bool Date::IsValid() const {
  return year >= 0 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(year, month);
}

int64_t Date::DaysSinceEpoch() const {
  // Howard Hinnant's days_from_civil, the inverse of CivilFromDays.
  int64_t y = year - (month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned m = static_cast<unsigned>(month), d = static_cast<unsigned>(day);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Date Date::FromUnix(int64_t seconds) {
  int64_t days = seconds / 86400;
  if (seconds % 86400 < 0) --days;  // floor for instants before 1970
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  return Date{static_cast<int>(y), static_cast<int>(m), static_cast<int>(d)};
}

std::string Date::ToString() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

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

}  // namespace wathiq
