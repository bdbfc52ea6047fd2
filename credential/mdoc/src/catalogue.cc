// The document-type catalogue: dates, the civil ID number rule, catalogue files and their schema.
// Record validation is in catalogue_validate.cc; JSON and UTF-8 helpers in catalogue_json.cc.
#include "wathiq/mdoc/catalogue.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "catalogue_internal.h"

namespace wathiq::mdoc {
namespace {

using internal::Json;
using internal::Quote;

constexpr size_t kMaxCatalogueFileBytes = 1 << 20;
constexpr int kMaxCatalogueDepth = 8;
constexpr size_t kMaxElements = 256;
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxLabelLength = 256;        // code points
constexpr size_t kMaxElementLength = 4 << 20;  // max_length ceiling: characters or bytes
constexpr std::string_view kFullProfile = "full";

bool ParseDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Schema of a catalogue file.

struct RuleInfo {
  std::string_view name;
  std::initializer_list<ElementType> types;
  bool derived;
};

const RuleInfo kRules[] = {
    {"",
     {ElementType::kText, ElementType::kFullDate, ElementType::kTdate, ElementType::kUint, ElementType::kBool,
      ElementType::kBytes, ElementType::kArray, ElementType::kMap},
     false},
    {"civil_id_number", {ElementType::kText}, false},
    {"iso3166_alpha2", {ElementType::kText}, false},
    {"iso3166_2", {ElementType::kText}, false},
    {"blood_type", {ElementType::kText}, false},
    {"digits", {ElementType::kText}, false},
    {"one_of", {ElementType::kText}, false},
    {"latin1", {ElementType::kText}, false},
    {"iso5218_sex", {ElementType::kUint}, false},
    {"past_date", {ElementType::kFullDate, ElementType::kTdate}, false},
    {"jpeg", {ElementType::kBytes}, false},
    {"jpeg_or_jpeg2000", {ElementType::kBytes}, false},
    {"driving_privileges", {ElementType::kArray}, false},
    {"age_over", {ElementType::kBool}, true},
    {"age_in_years", {ElementType::kUint}, true},
    {"age_birth_year", {ElementType::kUint}, true},
};

const RuleInfo* FindRule(std::string_view name) {
  for (const auto& r : kRules) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

bool ParseElementType(std::string_view s, ElementType& t) {
  for (auto c : {ElementType::kText, ElementType::kFullDate, ElementType::kTdate, ElementType::kUint,
                 ElementType::kBool, ElementType::kBytes, ElementType::kArray, ElementType::kMap}) {
    if (ElementTypeName(c) == s) {
      t = c;
      return true;
    }
  }
  return false;
}

bool IsDateType(ElementType t) { return t == ElementType::kFullDate || t == ElementType::kTdate; }

// lower_snake_case: [a-z][a-z0-9]*(_[a-z0-9]+)*
bool IsSnakeCase(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdLength || s.front() < 'a' || s.front() > 'z' || s.back() == '_') return false;
  char prev = 0;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok || (c == '_' && prev == '_')) return false;
    prev = c;
  }
  return true;
}

// Reverse-domain names such as "kw.gov.paci.civil_id.1" and "org.iso.18013.5.1.mDL".
bool IsDottedName(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

tl::unexpected<Error> SchemaError(std::string_view where, const std::string& what) {
  return Fail(Errc::kMalformed, where.empty() ? what : std::string(where) + ": " + what);
}

Status CheckKeys(const Json& obj, std::initializer_list<std::string_view> allowed, std::string_view where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return SchemaError(where, "unknown key " + Quote(it.key()));
    }
  }
  return Ok();
}

// A display string: valid UTF-8, no control characters, 1..kMaxLabelLength code points.
Status CheckDisplayText(const std::string& s, std::string_view where, std::string_view key) {
  int64_t n = internal::CountCodePoints(s);
  if (n < 0) return SchemaError(where, "'" + std::string(key) + "' is not valid UTF-8");
  if (n == 0) return SchemaError(where, "'" + std::string(key) + "' is empty");
  if (static_cast<size_t>(n) > kMaxLabelLength) {
    return SchemaError(where, "'" + std::string(key) + "' is over " + std::to_string(kMaxLabelLength) + " characters");
  }
  if (char32_t c = internal::FirstForbiddenCodePoint(s)) {
    return SchemaError(where, "'" + std::string(key) + "' contains control character " + internal::CodePointName(c));
  }
  return Ok();
}

Result<std::string> GetString(const Json& obj, std::string_view key, std::string_view where, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return SchemaError(where, "missing key '" + std::string(key) + "'");
    return std::string();
  }
  const auto* s = it->get_ptr<const std::string*>();
  if (s == nullptr) return SchemaError(where, "'" + std::string(key) + "' must be a string");
  return *s;
}

Result<ElementSpec> ElementFromJson(const Json& j, size_t index) {
  std::string where = "element #" + std::to_string(index + 1);
  if (!j.is_object()) return SchemaError(where, "must be an object");
  WQ_ASSIGN(std::string id, GetString(j, "id", where, true));
  if (!IsSnakeCase(id))
    return SchemaError(where, "id " + Quote(id) + " is not lower_snake_case (at most 64 characters)");
  where = "element '" + id + "'";
  WQ_TRY(CheckKeys(j,
                   {"id", "type", "required", "rule", "allowed", "max_length", "not_before", "value_labels", "label_ar",
                    "label_en", "source"},
                   where));
  ElementSpec e;
  e.id = std::move(id);
  WQ_ASSIGN(std::string type, GetString(j, "type", where, true));
  if (!ParseElementType(type, e.type)) {
    return SchemaError(where,
                       "unknown type " + Quote(type) + " (text, full-date, tdate, uint, bool, bytes, array or map)");
  }
  auto req = j.find("required");
  if (req == j.end()) return SchemaError(where, "missing key 'required'");
  if (!req->is_boolean()) return SchemaError(where, "'required' must be true or false");
  e.required = *req->get_ptr<const bool*>();
  WQ_ASSIGN(e.rule, GetString(j, "rule", where, false));
  WQ_ASSIGN(e.label_ar, GetString(j, "label_ar", where, true));
  WQ_ASSIGN(e.label_en, GetString(j, "label_en", where, true));
  WQ_ASSIGN(e.source, GetString(j, "source", where, true));
  WQ_ASSIGN(e.not_before, GetString(j, "not_before", where, false));
  if (auto it = j.find("max_length"); it != j.end()) {
    const auto* n = it->get_ptr<const Json::number_unsigned_t*>();
    if (n == nullptr) return SchemaError(where, "'max_length' must be an unsigned integer");
    if (*n == 0 || *n > kMaxElementLength) {
      return SchemaError(where, "'max_length' must be 1.." + std::to_string(kMaxElementLength));
    }
    if (e.type != ElementType::kText && e.type != ElementType::kBytes) {
      return SchemaError(where, "'max_length' applies to text and bytes only");
    }
    e.max_length = static_cast<size_t>(*n);
  }
  if (auto it = j.find("allowed"); it != j.end()) {
    if (!it->is_array() || it->empty()) return SchemaError(where, "'allowed' must be a non-empty array of strings");
    for (const auto& v : *it) {
      const auto* s = v.get_ptr<const std::string*>();
      if (s == nullptr) return SchemaError(where, "'allowed' must be a non-empty array of strings");
      e.allowed.push_back(*s);
    }
  }
  if (auto it = j.find("value_labels"); it != j.end()) {
    if (!it->is_object()) return SchemaError(where, "'value_labels' must be an object of value to labels");
    for (auto v = it->begin(); v != it->end(); ++v) {
      const std::string vwhere = where + ": value_labels " + Quote(v.key());
      if (!v->is_object()) return SchemaError(vwhere, "must be an object with label_ar and label_en");
      WQ_TRY(CheckKeys(*v, {"label_ar", "label_en"}, vwhere));
      ValueLabel label;
      WQ_ASSIGN(label.label_ar, GetString(*v, "label_ar", vwhere, true));
      WQ_ASSIGN(label.label_en, GetString(*v, "label_en", vwhere, true));
      e.value_labels.emplace(v.key(), std::move(label));
    }
  }
  return e;
}

Result<DocTypeSpec> DocTypeFromJson(const Json& j) {
  if (!j.is_object()) return SchemaError("", "a document type must be a JSON object");
  DocTypeSpec spec;
  WQ_ASSIGN(spec.doc_type, GetString(j, "doc_type", "document type", true));
  if (!IsDottedName(spec.doc_type))
    return SchemaError("document type", "doc_type " + Quote(spec.doc_type) + " is not a dotted name");
  const std::string where = spec.doc_type;
  WQ_TRY(CheckKeys(j, {"doc_type", "name_space", "agency_id", "name_ar", "name_en", "elements", "profiles"}, where));
  WQ_ASSIGN(spec.name_space, GetString(j, "name_space", where, true));
  WQ_ASSIGN(spec.agency_id, GetString(j, "agency_id", where, true));
  WQ_ASSIGN(spec.name_ar, GetString(j, "name_ar", where, true));
  WQ_ASSIGN(spec.name_en, GetString(j, "name_en", where, true));
  auto elements = j.find("elements");
  if (elements == j.end()) return SchemaError(where, "missing key 'elements'");
  if (!elements->is_array()) return SchemaError(where, "'elements' must be an array");
  if (elements->size() > kMaxElements)
    return SchemaError(where, "more than " + std::to_string(kMaxElements) + " elements");
  for (size_t i = 0; i < elements->size(); ++i) {
    auto e = ElementFromJson((*elements)[i], i);
    if (!e) return Wrap(where, e.error());
    spec.elements.push_back(std::move(*e));
  }
  auto profiles = j.find("profiles");
  if (profiles == j.end()) return SchemaError(where, "missing key 'profiles'");
  if (!profiles->is_object()) return SchemaError(where, "'profiles' must be an object");
  for (auto it = profiles->begin(); it != profiles->end(); ++it) {
    std::string pwhere = where + ": profile " + Quote(it.key());
    if (it.key() == kFullProfile) {
      return SchemaError(pwhere, "is reserved: 'full' is always every element and is not listed");
    }
    if (!it->is_array()) return SchemaError(pwhere, "must be an array of element ids");
    std::vector<std::string> ids;
    for (const auto& v : *it) {
      const auto* s = v.get_ptr<const std::string*>();
      if (s == nullptr) return SchemaError(pwhere, "must be an array of element ids");
      ids.push_back(*s);
    }
    spec.profiles.emplace(it.key(), std::move(ids));
  }
  return spec;
}

// The rules that hold however a DocTypeSpec was made (catalogue file or code). Adds the "full" profile.
Status CheckSpec(DocTypeSpec& spec) {
  const std::string& where = spec.doc_type;
  if (!IsDottedName(spec.doc_type))
    return SchemaError("document type", "doc_type " + Quote(spec.doc_type) + " is not a dotted name");
  if (!IsDottedName(spec.name_space))
    return SchemaError(where, "name_space " + Quote(spec.name_space) + " is not a dotted name");
  if (!IsSnakeCase(spec.agency_id))
    return SchemaError(where, "agency_id " + Quote(spec.agency_id) + " is not lower_snake_case");
  WQ_TRY(CheckDisplayText(spec.name_ar, where, "name_ar"));
  WQ_TRY(CheckDisplayText(spec.name_en, where, "name_en"));
  if (!internal::HasArabicLetter(spec.name_ar)) return SchemaError(where, "'name_ar' has no Arabic letter");
  if (spec.elements.empty()) return SchemaError(where, "no elements");
  if (spec.elements.size() > kMaxElements)
    return SchemaError(where, "more than " + std::to_string(kMaxElements) + " elements");

  std::set<std::string_view> ids;
  for (const auto& e : spec.elements) {
    if (!IsSnakeCase(e.id)) return SchemaError(where, "element id " + Quote(e.id) + " is not lower_snake_case");
    if (!ids.insert(e.id).second) return SchemaError(where, "duplicate element id '" + e.id + "'");
  }
  const ElementSpec* birth = spec.Find("birth_date");
  for (auto& e : spec.elements) {
    const std::string ewhere = where + ": element '" + e.id + "'";
    WQ_TRY(CheckDisplayText(e.label_ar, ewhere, "label_ar"));
    WQ_TRY(CheckDisplayText(e.label_en, ewhere, "label_en"));
    WQ_TRY(CheckDisplayText(e.source, ewhere, "source"));
    if (!internal::HasArabicLetter(e.label_ar)) return SchemaError(ewhere, "'label_ar' has no Arabic letter");
    const RuleInfo* rule = FindRule(e.rule);
    if (rule == nullptr) return SchemaError(ewhere, "unknown rule " + Quote(e.rule));
    if (std::find(rule->types.begin(), rule->types.end(), e.type) == rule->types.end()) {
      return SchemaError(ewhere,
                         "rule '" + e.rule + "' does not apply to type " + std::string(ElementTypeName(e.type)));
    }
    if (e.max_length == 0 || e.max_length > kMaxElementLength) {
      return SchemaError(ewhere, "'max_length' must be 1.." + std::to_string(kMaxElementLength));
    }
    if (e.rule == "one_of") {
      if (e.allowed.empty()) return SchemaError(ewhere, "rule 'one_of' needs a non-empty 'allowed' list");
      std::set<std::string_view> seen;
      for (const auto& a : e.allowed) {
        WQ_TRY(CheckDisplayText(a, ewhere, "allowed"));
        if (!seen.insert(a).second) return SchemaError(ewhere, "'allowed' lists " + Quote(a) + " twice");
        if (static_cast<size_t>(internal::CountCodePoints(a)) > e.max_length) {
          return SchemaError(ewhere, "'allowed' value " + Quote(a) + " is over max_length");
        }
      }
    } else if (e.rule == "iso3166_alpha2") {
      for (const auto& a : e.allowed) {
        if (!internal::IsIso3166UserAssigned(a)) {
          return SchemaError(
              ewhere, "'allowed' value " + Quote(a) + " is not a user-assigned ISO 3166 code (AA, QM-QZ, XA-XZ, ZZ)");
        }
      }
    } else if (!e.allowed.empty()) {
      return SchemaError(ewhere, "'allowed' applies to rules one_of and iso3166_alpha2 only");
    }
    if (!e.value_labels.empty()) {
      std::vector<std::string> values = e.allowed;
      if (e.rule == "iso5218_sex") {
        values = {"0", "1", "2", "9"};
      } else if (e.rule != "one_of") {
        return SchemaError(ewhere, "'value_labels' applies to rules one_of and iso5218_sex only");
      }
      for (const auto& [value, label] : e.value_labels) {
        if (std::find(values.begin(), values.end(), value) == values.end()) {
          return SchemaError(ewhere, "'value_labels' labels " + Quote(value) + ", which is not an allowed value");
        }
        const std::string vwhere = ewhere + ": value_labels " + Quote(value);
        WQ_TRY(CheckDisplayText(label.label_ar, vwhere, "label_ar"));
        WQ_TRY(CheckDisplayText(label.label_en, vwhere, "label_en"));
        if (!internal::HasArabicLetter(label.label_ar)) return SchemaError(vwhere, "'label_ar' has no Arabic letter");
      }
      for (const auto& value : values) {
        if (e.value_labels.count(value) == 0)
          return SchemaError(ewhere, "'value_labels' has no labels for " + Quote(value));
      }
    }
    e.age_over = 0;
    if (e.rule == "age_over") {
      int nn = 0;
      if (e.id.size() != 11 || e.id.compare(0, 9, "age_over_") != 0 || !ParseDigits(e.id, 9, 2, nn) || nn == 0) {
        return SchemaError(ewhere, "rule 'age_over' needs an id age_over_NN (NN 01-99)");
      }
      e.age_over = nn;
    }
    if (rule->derived) {
      if (e.required) return SchemaError(ewhere, "a derived element may not be required");
      if (birth == nullptr || birth->type != ElementType::kFullDate) {
        return SchemaError(ewhere, "rule '" + e.rule + "' needs a full-date element 'birth_date'");
      }
    }
    if (!e.not_before.empty()) {
      const ElementSpec* other = spec.Find(e.not_before);
      if (!IsDateType(e.type)) return SchemaError(ewhere, "'not_before' applies to date elements only");
      if (other == nullptr || other == &e || !IsDateType(other->type)) {
        return SchemaError(ewhere, "'not_before' must name another date element, not " + Quote(e.not_before));
      }
    }
  }

  bool has_full = false;
  for (const auto& [name, list] : spec.profiles) {
    const std::string pwhere = where + ": profile " + Quote(name);
    if (!IsSnakeCase(name)) return SchemaError(pwhere, "name is not lower_snake_case");
    if (list.empty()) return SchemaError(pwhere, "is empty");
    std::set<std::string_view> seen;
    for (const auto& id : list) {
      if (spec.Find(id) == nullptr) return SchemaError(pwhere, "names unknown element " + Quote(id));
      if (!seen.insert(id).second) return SchemaError(pwhere, "lists element '" + id + "' twice");
    }
    if (name == kFullProfile) {
      has_full = true;
      if (list.size() != spec.elements.size()) return SchemaError(pwhere, "must list every element");
    }
  }
  if (!has_full) {
    std::vector<std::string> all;
    all.reserve(spec.elements.size());
    for (const auto& e : spec.elements) all.push_back(e.id);
    spec.profiles.emplace(std::string(kFullProfile), std::move(all));
  }
  return Ok();
}

Result<std::string> ReadSmallFile(const std::filesystem::path& p) {
  std::error_code ec;
  auto size = std::filesystem::file_size(p, ec);
  if (ec) return Fail(Errc::kIo, ec.message());
  if (size > kMaxCatalogueFileBytes)
    return Fail(Errc::kLimit, "over " + std::to_string(kMaxCatalogueFileBytes) + " bytes");
  std::ifstream f(p, std::ios::binary);
  if (!f) return Fail(Errc::kIo, "cannot open");
  std::string text(static_cast<size_t>(size), '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (static_cast<size_t>(f.gcount()) != text.size()) return Fail(Errc::kIo, "short read");
  return text;
}

Catalogue BuildDefault() {
  std::vector<DocTypeSpec> specs;
  for (const auto& file : internal::EmbeddedCatalogueFiles()) {
    auto spec = Catalogue::ParseDocType(file.text());
    if (spec && file.name != spec->doc_type + ".json") {
      spec = Fail(Errc::kInternal, "file name does not match doc_type '" + spec->doc_type + "'");
    }
    if (!spec) {
      // A broken invariant of the build, not an input error: every test binary would catch it first.
      std::fprintf(stderr, "wathiq: the compiled-in document-type catalogue is broken: %s: %s\n", file.name,
                   spec.error().message.c_str());
      std::abort();
    }
    specs.push_back(std::move(*spec));
  }
  auto catalogue = Catalogue::Create(std::move(specs));
  if (!catalogue) {
    std::fprintf(stderr, "wathiq: the compiled-in document-type catalogue is broken: %s\n",
                 catalogue.error().message.c_str());
    std::abort();
  }
  return std::move(*catalogue);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

std::string_view ElementTypeName(ElementType t) {
  switch (t) {
    case ElementType::kText: return "text";
    case ElementType::kFullDate: return "full-date";
    case ElementType::kTdate: return "tdate";
    case ElementType::kUint: return "uint";
    case ElementType::kBool: return "bool";
    case ElementType::kBytes: return "bytes";
    case ElementType::kArray: return "array";
    case ElementType::kMap: return "map";
  }
  return "text";
}

bool ElementSpec::IsDerived() const {
  const RuleInfo* r = FindRule(rule);
  return r != nullptr && r->derived;
}

const ElementSpec* DocTypeSpec::Find(std::string_view id) const {
  for (const auto& e : elements) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

Result<std::vector<std::string>> DocTypeSpec::Profile(std::string_view name) const {
  if (name == kFullProfile) {
    std::vector<std::string> all;
    all.reserve(elements.size());
    for (const auto& e : elements) all.push_back(e.id);
    return all;
  }
  auto it = profiles.find(std::string(name));
  if (it == profiles.end()) {
    return Fail(Errc::kNotFound, "document type '" + doc_type + "' has no disclosure profile " + Quote(name));
  }
  return it->second;
}

int AgeInYears(const Date& birth, const Date& on) {
  if (on < birth) return 0;
  int age = on.year - birth.year;
  // Comparing (month, day) pairs makes a 29 February birthday fall on 1 March in common years.
  if (on.month < birth.month || (on.month == birth.month && on.day < birth.day)) --age;
  return age;
}

// ---------------------------------------------------------------------------------------------------------
// Civil ID numbers.
//
// Shape: C YYMMDD SSSS K — C the century digit (2: 1900-1999, 3: 2000-2099), YYMMDD the holder's birth
// date, SSSS a serial, K a check digit.
// PACI does not publish a specification of the number. The check digit here is the algorithm commonly
// published for it and used by independent validators: weights 2,1,6,3,7,9,10,5,8,4,2 over the first 11
// digits, K = 11 − (sum mod 11), and no valid number when that gives 10 or 11. Sources: django-localflavor
// (localflavor/kw/forms.py, is_valid_kw_civilid_checksum), python-stdnum's stdnum/kw/cid.py and the
// article it cites (prakhar.me/articles/kuwait-civil-id-checksum), and OECD's Kuwait TIN sheet for the
// layout. The python-stdnum examples 288020122596, 227081660516 and 292091998298 are in our tests. If
// PACI ever confirms a different rule (e.g. K = 0 when the remainder is 0), change it here and in
// CivilIdCheckDigit only.

int CivilIdCheckDigit(std::string_view first_11) {
  static constexpr int kWeights[11] = {2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  if (first_11.size() != 11) return -1;
  int sum = 0;
  for (size_t i = 0; i < 11; ++i) {
    char c = first_11[i];
    if (c < '0' || c > '9') return -1;
    sum += (c - '0') * kWeights[i];
  }
  int check = 11 - sum % 11;
  return check >= 10 ? -1 : check;
}

Result<Date> CheckCivilIdNumber(std::string_view number) {
  if (number.size() != 12 || !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Fail(Errc::kInvalidArgument, "civil ID number is not 12 digits 0-9");
  }
  if (number[0] != '2' && number[0] != '3') {
    return Fail(Errc::kInvalidArgument, "civil ID number century digit is not 2 (1900s) or 3 (2000s)");
  }
  Date d;
  int yy = 0;
  (void)ParseDigits(number, 1, 2, yy);
  (void)ParseDigits(number, 3, 2, d.month);
  (void)ParseDigits(number, 5, 2, d.day);
  d.year = (number[0] == '2' ? 1900 : 2000) + yy;
  if (!d.IsValid()) return Fail(Errc::kInvalidArgument, "civil ID number does not encode a calendar date YYMMDD");
  int check = CivilIdCheckDigit(number.substr(0, 11));
  if (check < 0 || check != number[11] - '0') {
    return Fail(Errc::kInvalidArgument, "civil ID number check digit is wrong");
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// Catalogue.

Result<DocTypeSpec> Catalogue::ParseDocType(std::string_view json_text) {
  WQ_ASSIGN(Json j, internal::ParseJsonStrict(json_text, "document type", kMaxCatalogueFileBytes, kMaxCatalogueDepth));
  WQ_ASSIGN(DocTypeSpec spec, DocTypeFromJson(j));
  WQ_TRY(CheckSpec(spec));
  return spec;
}

Result<Catalogue> Catalogue::Create(std::vector<DocTypeSpec> doc_types) {
  std::set<std::string> seen;
  for (auto& spec : doc_types) {
    WQ_TRY(CheckSpec(spec));
    if (!seen.insert(spec.doc_type).second) {
      return Fail(Errc::kInvalidArgument, "document type '" + spec.doc_type + "' defined twice");
    }
  }
  Catalogue c;
  c.doc_types_ = std::move(doc_types);
  return c;
}

const Catalogue& Catalogue::Default() {
  static const Catalogue kDefault = BuildDefault();  // C++11 magic static: built once, thread-safely
  return kDefault;
}

Result<Catalogue> Catalogue::LoadDirectory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  fs::directory_iterator it(path, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (p.extension() != ".json" || name.front() == '.') continue;  // skip editor and hidden files
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec) || type_ec) continue;
    files.push_back(p);
  }
  if (ec) {
    return Fail(ec == std::errc::no_such_file_or_directory ? Errc::kNotFound : Errc::kIo,
                "catalogue directory '" + path + "': " + ec.message());
  }
  if (files.empty()) return Fail(Errc::kNotFound, "catalogue directory '" + path + "' has no *.json document type");
  std::sort(files.begin(), files.end());
  std::vector<DocTypeSpec> specs;
  for (const auto& p : files) {
    const std::string name = p.filename().string();
    auto text = ReadSmallFile(p);
    if (!text) return Wrap(name, text.error());
    auto spec = ParseDocType(*text);
    if (!spec) return Wrap(name, spec.error());
    if (name != spec->doc_type + ".json") {
      return Fail(Errc::kMalformed, name + ": file name must be '" + spec->doc_type + ".json' (its doc_type)");
    }
    specs.push_back(std::move(*spec));
  }
  return Create(std::move(specs));
}

const DocTypeSpec* Catalogue::Find(std::string_view doc_type) const {
  for (const auto& d : doc_types_) {
    if (d.doc_type == doc_type) return &d;
  }
  return nullptr;
}

}  // namespace wathiq::mdoc
