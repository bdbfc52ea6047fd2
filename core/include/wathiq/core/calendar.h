// Wathiq core: the calendar, once. Dates (proleptic Gregorian, Howard Hinnant's days_from_civil and
// civil_from_days) and RFC 3339 date-times (the ISO 18013-5 tdate: "YYYY-MM-DDTHH:MM:SSZ"), for issuance,
// validity, age derivation, certificates and reports. UTC throughout; no locale, no time zone database.
// Thread-safety: pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "wathiq/core/result.h"

namespace wathiq {

// A calendar date (proleptic Gregorian), used for "today" at issuance and for age derivation.
struct Date {
  int year = 1970;
  int month = 1;
  int day = 1;
  // Exactly "YYYY-MM-DD" (RFC 3339 full-date) naming a real calendar date, else kMalformed.
  static Result<Date> Parse(std::string_view yyyy_mm_dd);
  static Date FromUnix(int64_t seconds);  // UTC
  int64_t DaysSinceEpoch() const;         // days from 1970-01-01 (negative before)
  std::string ToString() const;           // YYYY-MM-DD
  bool IsValid() const;                   // a real calendar date with a four-digit year
  auto operator<=>(const Date&) const = default;
};

// `seconds` since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC, whole seconds). Years outside
// 0..9999 are still printed (for messages), though not RFC 3339.
std::string FormatTdate(int64_t seconds);
// An RFC 3339 date-time (offsets and fractions accepted, fractions dropped, a leap second read as :59) as
// seconds since the epoch; kMalformed otherwise.
Result<int64_t> ParseTdate(std::string_view text);

}  // namespace wathiq
