// ValidateRecord: an agency record (JSON claims) → typed ISO 18013-5 element values, or every rule it breaks.
#include <algorithm>
#include <optional>
#include <vector>

#include "catalogue_internal.h"
#include "wathiq/core/crypto.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/mdoc/mdoc.h"  // ParseTdate / FormatTdate

namespace wathiq::mdoc {
namespace {

using cbor::Value;
using internal::Json;
using internal::Quote;

constexpr size_t kMaxClaimsBytes = 8 << 20;  // a portrait in base64 fits many times over
constexpr int kMaxClaimsDepth = 12;          // the record object + structured values
constexpr int kMaxStructuredDepth = 8;       // inside one array or map element
constexpr size_t kMaxStructuredItems = 1024;
constexpr size_t kMaxNestedText = 256;  // characters of a text inside an array or map element
constexpr size_t kMaxProblems = 16;

// Every problem of a record, in the order found.
class Problems {
 public:
  void Add(std::string message) {
    if (list_.size() < kMaxProblems) {
      list_.push_back(std::move(message));
    } else {
      ++more_;
    }
  }
  bool empty() const { return list_.empty(); }
  tl::unexpected<Error> ToError() const {
    std::string m;
    for (const auto& p : list_) m += (m.empty() ? "" : "; ") + p;
    if (more_ > 0) m += "; and " + std::to_string(more_) + " more";
    return Fail(Errc::kInvalidArgument, std::move(m));
  }

 private:
  std::vector<std::string> list_;
  size_t more_ = 0;
};

tl::unexpected<Error> Bad(std::string message) { return Fail(Errc::kInvalidArgument, std::move(message)); }

struct Converted {
  Value value;
  std::optional<Date> date;  // a date element's date; the birth date a civil ID number encodes
};

// Well-formed UTF-8, not empty, no control characters; sets *count to the number of code points. The
// length is checked apart (CheckLength) so that a rule can name what is wrong with a value first: a
// three-letter nationality is "not an ISO 3166-1 alpha-2 country code" rather than "too long".
Status CheckTextForm(const std::string& s, int64_t* count) {
  int64_t n = internal::CountCodePoints(s);
  if (n < 0) return Bad("text is not valid UTF-8");
  if (n == 0) return Bad("empty text");
  if (char32_t c = internal::FirstForbiddenCodePoint(s)) {
    return Bad("text contains control character " + internal::CodePointName(c));
  }
  *count = n;
  return Ok();
}

Status CheckLength(int64_t count, size_t max_length) {
  if (static_cast<uint64_t>(count) > max_length) return Bad("text over " + std::to_string(max_length) + " characters");
  return Ok();
}

Status CheckText(const std::string& s, size_t max_length) {
  int64_t n = 0;
  WQ_TRY(CheckTextForm(s, &n));
  return CheckLength(n, max_length);
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsUpperAlnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// ISO 3166-2: an alpha-2 country code, "-", and one to three letters or digits ("KW-HA").
bool IsIso3166_2(std::string_view s) {
  if (s.size() < 4 || s.size() > 6 || s[2] != '-' || !internal::IsIso3166Alpha2(s.substr(0, 2))) return false;
  return std::all_of(s.begin() + 3, s.end(), IsUpperAlnum);
}

bool IsBloodType(std::string_view s) {
  for (std::string_view t : {"A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"}) {
    if (s == t) return true;
  }
  return false;
}

bool IsJpeg(const Bytes& b) { return b.size() >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF; }

bool IsJpeg2000(const Bytes& b) {
  static constexpr uint8_t kJp2[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};
  static constexpr uint8_t kCodestream[] = {0xFF, 0x4F, 0xFF, 0x51};
  return (b.size() >= sizeof kJp2 && std::equal(std::begin(kJp2), std::end(kJp2), b.begin())) ||
         (b.size() >= sizeof kCodestream && std::equal(std::begin(kCodestream), std::end(kCodestream), b.begin()));
}

std::string JoinAllowed(const std::vector<std::string>& allowed) {
  std::string out;
  for (const auto& a : allowed) out += (out.empty() ? "" : ", ") + a;
  return out;
}

Result<Converted> ConvertText(const ElementSpec& e, const Json& v, const Date& today) {
  const auto* s = v.get_ptr<const std::string*>();
  if (s == nullptr) return Bad("wrong type, expected text");
  int64_t count = 0;
  WQ_TRY(CheckTextForm(*s, &count));
  Converted out{Value::Text(*s), std::nullopt};
  if (e.rule == "civil_id_number") {
    WQ_ASSIGN(Date encoded, CheckCivilIdNumber(*s));
    if (encoded > today) return Bad("civil ID number encodes a birth date in the future");
    out.date = encoded;
  } else if (e.rule == "iso3166_alpha2") {
    if (!internal::IsIso3166Alpha2(*s) && std::find(e.allowed.begin(), e.allowed.end(), *s) == e.allowed.end()) {
      return Bad("not an ISO 3166-1 alpha-2 country code");
    }
  } else if (e.rule == "iso3166_2") {
    if (!IsIso3166_2(*s)) return Bad("not an ISO 3166-2 subdivision code");
  } else if (e.rule == "blood_type") {
    if (!IsBloodType(*s)) return Bad("not a blood type (A+, A-, B+, B-, AB+, AB-, O+, O-)");
  } else if (e.rule == "digits") {
    if (!AllDigits(*s)) return Bad("not digits 0-9");
  } else if (e.rule == "one_of") {
    if (std::find(e.allowed.begin(), e.allowed.end(), *s) == e.allowed.end()) {
      return Bad("not one of " + JoinAllowed(e.allowed));
    }
  } else if (e.rule == "latin1") {
    if (!internal::IsLatin1Printable(*s)) return Bad("text has characters outside ISO/IEC 8859-1 (latin1)");
  }
  WQ_TRY(CheckLength(count, e.max_length));
  return out;
}

Result<Date> ParseFullDateJson(const Json& v) {
  const auto* s = v.get_ptr<const std::string*>();
  if (s == nullptr) return Bad("wrong type, expected full-date text \"YYYY-MM-DD\"");
  auto d = Date::Parse(*s);
  if (!d) return Bad(d.error().message);
  return *d;
}

Result<Converted> ConvertFullDate(const ElementSpec& e, const Json& v, const Date& today) {
  WQ_ASSIGN(Date d, ParseFullDateJson(v));
  if (e.rule == "past_date" && d > today) return Bad("date in the future");
  return Converted{Value::Tag(cbor::kTagFullDate, Value::Text(d.ToString())), d};
}

Result<Converted> ConvertTdate(const ElementSpec& e, const Json& v, const Date& today) {
  const auto* s = v.get_ptr<const std::string*>();
  if (s == nullptr) return Bad("wrong type, expected RFC 3339 date-time text");
  auto t = ParseTdate(*s);  // its message quotes the input: not repeated here
  // 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, so the normalised form keeps four year digits.
  constexpr int64_t kMin = -62135596800, kMax = 253402300799;
  if (!t || *t < kMin || *t > kMax) return Bad("not an RFC 3339 date-time");
  Date d = Date::FromUnix(*t);
  if (e.rule == "past_date" && d > today) return Bad("date in the future");
  return Converted{Value::Tag(cbor::kTagTdate, Value::Text(FormatTdate(*t))), d};
}

Result<Converted> ConvertUint(const ElementSpec& e, const Json& v) {
  const auto* n = v.get_ptr<const Json::number_unsigned_t*>();
  if (n == nullptr) return Bad("wrong type, expected unsigned integer");
  if (e.rule == "iso5218_sex" && *n != 0 && *n != 1 && *n != 2 && *n != 9) {
    return Bad("not an ISO/IEC 5218 sex code (0, 1, 2 or 9)");
  }
  return Converted{Value::Uint(*n), std::nullopt};
}

Result<Converted> ConvertBytes(const ElementSpec& e, const Json& v) {
  const auto* s = v.get_ptr<const std::string*>();
  if (s == nullptr) return Bad("wrong type, expected base64 text");
  const std::string over = "bytes over " + std::to_string(e.max_length) + " bytes";
  if (s->size() / 4 * 3 > e.max_length + 2) return Bad(over);  // too long to decode at all
  auto b = Base64Decode(*s);
  if (!b) return Bad("not valid base64 (RFC 4648, with padding)");
  if (b->empty()) return Bad("empty bytes");
  if (b->size() > e.max_length) return Bad(over);
  if (e.rule == "jpeg" && !IsJpeg(*b)) return Bad("not a JPEG image");
  if (e.rule == "jpeg_or_jpeg2000" && !IsJpeg(*b) && !IsJpeg2000(*b)) return Bad("not a JPEG or JPEG 2000 image");
  return Converted{Value::Bytes(std::move(*b)), std::nullopt};
}

// Generic JSON → CBOR for array and map elements: text, unsigned and negative integers, booleans, arrays
// and objects. Fractions and null have no place in the ISO data model and would make the signed
// encoding depend on float formatting, so they are refused.
Result<Value> JsonToCbor(const Json& j, int depth, const std::string& path, size_t& items) {
  auto at = [&](const std::string& m) { return Bad((path.empty() ? "" : path + ": ") + m); };
  if (++items > kMaxStructuredItems) return at("more than " + std::to_string(kMaxStructuredItems) + " values");
  if (depth > kMaxStructuredDepth) return at("nested deeper than " + std::to_string(kMaxStructuredDepth) + " levels");
  if (const auto* s = j.get_ptr<const std::string*>()) {
    auto ok = CheckText(*s, kMaxNestedText);
    if (!ok) return at(ok.error().message);
    return Value::Text(*s);
  }
  if (const auto* u = j.get_ptr<const Json::number_unsigned_t*>()) return Value::Uint(*u);
  if (const auto* i = j.get_ptr<const Json::number_integer_t*>()) return Value::Int(*i);
  if (const auto* b = j.get_ptr<const Json::boolean_t*>()) return Value::Bool(*b);
  if (j.is_array()) {
    Value out = Value::MakeArray();
    for (size_t k = 0; k < j.size(); ++k) {
      WQ_ASSIGN(Value item, JsonToCbor(j[k], depth + 1, path + "[" + std::to_string(k) + "]", items));
      out.array().push_back(std::move(item));
    }
    return out;
  }
  if (j.is_object()) {
    Value out = Value::MakeMap();
    for (auto it = j.begin(); it != j.end(); ++it) {
      auto key_ok = CheckText(it.key(), kMaxNestedText);
      if (!key_ok) return at("key " + Quote(it.key()) + ": " + key_ok.error().message);
      std::string sub = (path.empty() ? "" : path + ".") + Quote(it.key());
      WQ_ASSIGN(Value item, JsonToCbor(*it, depth + 1, sub, items));
      out.Set(it.key(), std::move(item));
    }
    return out;
  }
  if (j.is_number_float()) return at("numbers with a fraction or exponent are not supported");
  return at("null is not supported");
}

// ISO/IEC 18013-5:2021 7.2.4:
//   DrivingPrivilege = {"vehicle_category_code": tstr, ? "issue_date": full-date, ? "expiry_date": full-date,
//                       ? "codes": [+ Code]}
//   Code = {"code": tstr, ? "sign": tstr, ? "value": tstr}
// Dates become #6.1004 as everywhere else in the namespace.
Result<Value> ConvertDrivingPrivileges(const Json& v) {
  if (v.size() > 64) return Bad("more than 64 driving privileges");
  Value out = Value::MakeArray();
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& p = v[i];
    const std::string at = "[" + std::to_string(i) + "]";
    if (!p.is_object()) return Bad(at + ": wrong type, expected object");
    Value priv = Value::MakeMap();
    bool has_category = false;
    for (auto it = p.begin(); it != p.end(); ++it) {
      const std::string& k = it.key();
      const std::string kat = at + "." + k;
      if (k == "vehicle_category_code") {
        const auto* s = it->get_ptr<const std::string*>();
        if (s == nullptr) return Bad(kat + ": wrong type, expected text");
        auto ok = CheckText(*s, 16);
        if (!ok) return Bad(kat + ": " + ok.error().message);
        priv.Set(k, Value::Text(*s));
        has_category = true;
      } else if (k == "issue_date" || k == "expiry_date") {
        auto d = ParseFullDateJson(*it);
        if (!d) return Bad(kat + ": " + d.error().message);
        priv.Set(k, Value::Tag(cbor::kTagFullDate, Value::Text(d->ToString())));
      } else if (k == "codes") {
        if (!it->is_array() || it->empty()) return Bad(kat + ": wrong type, expected a non-empty array");
        if (it->size() > 64) return Bad(kat + ": more than 64 codes");
        Value codes = Value::MakeArray();
        for (size_t c = 0; c < it->size(); ++c) {
          const Json& code = (*it)[c];
          const std::string cat = kat + "[" + std::to_string(c) + "]";
          if (!code.is_object()) return Bad(cat + ": wrong type, expected object");
          Value cv = Value::MakeMap();
          for (auto f = code.begin(); f != code.end(); ++f) {
            if (f.key() != "code" && f.key() != "sign" && f.key() != "value") {
              return Bad(cat + ": unknown key " + Quote(f.key()));
            }
            const auto* s = f->get_ptr<const std::string*>();
            if (s == nullptr) return Bad(cat + "." + f.key() + ": wrong type, expected text");
            auto ok = CheckText(*s, kMaxNestedText);
            if (!ok) return Bad(cat + "." + f.key() + ": " + ok.error().message);
            cv.Set(f.key(), Value::Text(*s));
          }
          if (cv.Find("code") == nullptr) return Bad(cat + ": missing key 'code'");
          codes.array().push_back(std::move(cv));
        }
        priv.Set(k, std::move(codes));
      } else {
        return Bad(at + ": unknown key " + Quote(k));
      }
    }
    if (!has_category) return Bad(at + ": missing key 'vehicle_category_code'");
    out.array().push_back(std::move(priv));
  }
  return out;
}

Result<Converted> Convert(const ElementSpec& e, const Json& v, const Date& today) {
  switch (e.type) {
    case ElementType::kText:
      return ConvertText(e, v, today);
    case ElementType::kFullDate:
      return ConvertFullDate(e, v, today);
    case ElementType::kTdate:
      return ConvertTdate(e, v, today);
    case ElementType::kUint:
      return ConvertUint(e, v);
    case ElementType::kBool: {
      const auto* b = v.get_ptr<const Json::boolean_t*>();
      if (b == nullptr) return Bad("wrong type, expected true or false");
      return Converted{Value::Bool(*b), std::nullopt};
    }
    case ElementType::kBytes:
      return ConvertBytes(e, v);
    case ElementType::kArray: {
      if (!v.is_array()) return Bad("wrong type, expected array");
      if (e.rule == "driving_privileges") {
        WQ_ASSIGN(Value dp, ConvertDrivingPrivileges(v));
        return Converted{std::move(dp), std::nullopt};
      }
      size_t items = 0;
      WQ_ASSIGN(Value a, JsonToCbor(v, 1, "", items));
      return Converted{std::move(a), std::nullopt};
    }
    case ElementType::kMap: {
      if (!v.is_object()) return Bad("wrong type, expected object");
      size_t items = 0;
      WQ_ASSIGN(Value m, JsonToCbor(v, 1, "", items));
      return Converted{std::move(m), std::nullopt};
    }
  }
  return Bad("unsupported element type");
}

std::string ElementPrefix(const std::string& id) { return "element '" + id + "': "; }

}  // namespace

Result<std::vector<ElementValue>> ValidateRecord(const DocTypeSpec& spec, std::string_view claims_json,
                                                 const Date& today) {
  if (!today.IsValid()) return Fail(Errc::kInvalidArgument, "today is not a calendar date");
  WQ_ASSIGN(Json claims, internal::ParseJsonStrict(claims_json, "claims", kMaxClaimsBytes, kMaxClaimsDepth));
  if (!claims.is_object()) return Fail(Errc::kMalformed, "claims: expected a JSON object of element id to value");

  Problems problems;
  for (auto it = claims.begin(); it != claims.end(); ++it) {
    const ElementSpec* e = spec.Find(it.key());
    if (e == nullptr) {
      problems.Add("unknown element " + Quote(it.key()));
    } else if (e->IsDerived()) {
      problems.Add("element '" + e->id + "' is derived from birth_date and may not be supplied");
    }
  }

  const size_t n = spec.elements.size();
  std::vector<std::optional<Value>> values(n);
  std::vector<std::optional<Date>> dates(n);  // per element, when it converted and carries a date
  for (size_t i = 0; i < n; ++i) {
    const ElementSpec& e = spec.elements[i];
    if (e.IsDerived()) continue;
    auto it = claims.find(e.id);
    if (it == claims.end()) {
      if (e.required) problems.Add("missing required element '" + e.id + "'");
      continue;
    }
    auto c = Convert(e, *it, today);
    if (!c) {
      problems.Add(ElementPrefix(e.id) + c.error().message);
      continue;
    }
    values[i] = std::move(c->value);
    dates[i] = c->date;
  }

  auto index_of = [&](std::string_view id) -> std::optional<size_t> {
    for (size_t i = 0; i < n; ++i) {
      if (spec.elements[i].id == id) return i;
    }
    return std::nullopt;
  };
  std::optional<size_t> birth_index = index_of("birth_date");
  std::optional<Date> birth;
  if (birth_index && spec.elements[*birth_index].type == ElementType::kFullDate) birth = dates[*birth_index];

  for (size_t i = 0; i < n; ++i) {
    const ElementSpec& e = spec.elements[i];
    if (!values[i]) continue;
    // The holder's civil ID number encodes the holder's birth date.
    if (e.id == "civil_id_number" && e.rule == "civil_id_number" && birth && dates[i] && *dates[i] != *birth) {
      problems.Add(ElementPrefix(e.id) + "encoded birth date does not match element 'birth_date'");
    }
    if (!e.not_before.empty() && dates[i]) {
      std::optional<size_t> other = index_of(e.not_before);
      if (other && dates[*other] && *dates[i] < *dates[*other]) {
        problems.Add(ElementPrefix(e.id) + "date before element '" + e.not_before + "'");
      }
    }
  }
  if (!problems.empty()) return problems.ToError();

  if (birth) {
    const int age = AgeInYears(*birth, today);
    for (size_t i = 0; i < n; ++i) {
      const ElementSpec& e = spec.elements[i];
      if (e.rule == "age_over") {
        values[i] = Value::Bool(age >= e.age_over);
      } else if (e.rule == "age_in_years") {
        values[i] = Value::Uint(static_cast<uint64_t>(age));
      } else if (e.rule == "age_birth_year") {
        values[i] = Value::Uint(static_cast<uint64_t>(birth->year));
      }
    }
  }

  std::vector<ElementValue> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (values[i]) out.push_back(ElementValue{spec.elements[i].id, std::move(*values[i])});
  }
  return out;
}

}  // namespace wathiq::mdoc
