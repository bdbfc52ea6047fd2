// Wathiq credential format: the document-type catalogue (design/DOCTYPES.md).
//
// The catalogue is data: one JSON file per document type (doctype, namespace, issuing agency, elements
// with type, required flag, Arabic and English labels, validation rule and source; named disclosure
// profiles). The default catalogue is compiled into the library so every binary has it; another country
// or a new agency loads its own directory without code changes.
//
// ValidateRecord turns an agency record (JSON claims) into typed element values ready to sign, or fails
// with a message naming the element and the rule: missing required element, wrong type, unknown element,
// civil ID number shape and check digit and its agreement with birth_date, a date in the future where it
// cannot be, text over 256 characters. `age_over_NN` elements are derived from birth_date at issuance and
// may not be supplied by the record.
//
// Guarantees:
//  - Parsing is strict: a catalogue file with an unknown key, a duplicate element id, a rule that does not
//    fit its type or a profile naming an unknown element is rejected, and so is a record with a duplicate
//    JSON key (no "last one wins"). Nothing throws; every failure is a Result whose message names the
//    element and the rule. When a record breaks several rules, the messages are joined with "; " in
//    catalogue order (unknown and derived elements first), so an agency fixes a record in one round.
//  - Error messages carry element ids and rule names, never claim values (records hold personal data and
//    error messages end up in logs).
//  - Text is counted in Unicode code points, so an Arabic name is not penalised for its two-byte UTF-8
//    encoding; text is carried byte for byte (no normalisation). Control characters and bidirectional
//    embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069), which can make a displayed
//    name differ from the signed one, are rejected.
//  - Output values follow ISO/IEC 18013-5: full-date as #6.1004(tstr), tdate as #6.0(tstr) in UTC
//    without fractions, and full-dates inside driving_privileges as #6.1004.
// Thread-safety: a loaded Catalogue is immutable and safe to share; Default() is built once, on first use,
// thread-safely.
// Warning: the civil ID check digit follows the algorithm commonly published for PACI numbers; PACI does
// not publish a specification (see CheckCivilIdNumber).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/calendar.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/result.h"

namespace wathiq::mdoc {

enum class ElementType {
  kText,      // tstr, at most 256 characters unless max_length says otherwise
  kFullDate,  // #6.1004(tstr) "YYYY-MM-DD" (RFC 8943)
  kTdate,     // #6.0(tstr) RFC 3339 date-time, UTC, no fractional seconds
  kUint,      // unsigned integer
  kBool,
  kBytes,  // bstr (portrait: JPEG)
  kArray,  // CBOR array (e.g. driving_privileges)
  kMap,    // CBOR map
};
// The catalogue-file spelling: "text", "full-date", "tdate", "uint", "bool", "bytes", "array", "map".
std::string_view ElementTypeName(ElementType t);

// How a wallet or verifier shows one coded value ("KW-HA" → حولي / Hawalli; sex 1 → ذكر / Male).
struct ValueLabel {
  std::string label_ar;
  std::string label_en;
  bool operator==(const ValueLabel&) const = default;
};

struct ElementSpec {
  std::string id;  // lower_snake_case elementIdentifier
  ElementType type = ElementType::kText;
  bool required = false;
  std::string label_ar;
  std::string label_en;
  std::string rule;                  // extra validation: "" | "civil_id_number" | "iso3166_alpha2" | "iso5218_sex" |
                                     // "blood_type" | "past_date" | "digits" | "age_over" | "one_of"
                                     // and also: "iso3166_2" (ISO 3166-2 subdivision code, e.g. "KW-HA"),
                                     // "latin1" (ISO/IEC 8859-1 printable characters, as ISO 18013-5 asks of the
                                     // mDL's Latin names), "jpeg", "jpeg_or_jpeg2000" (image magic bytes),
                                     // "driving_privileges" (ISO 18013-5 7.2.4 structure), "age_in_years" and
                                     // "age_birth_year" (derived from birth_date like "age_over").
  std::vector<std::string> allowed;  // for rule "one_of"; for "iso3166_alpha2", extra user-assigned codes
                                     // (AA, QM-QZ, XA-XZ, ZZ) a catalogue chooses to accept, e.g. for
                                     // stateless persons
  size_t max_length = 256;           // characters for text, bytes for bstr
  std::string source;                // where the element comes from (standard, agency form)
  int age_over = 0;                  // for rule "age_over": the NN of age_over_NN
  // For date elements: the id of another date element this one may not precede (expiry_date names
  // issue_date; registration_date names birth_date). Checked when both are present.
  std::string not_before;
  // For rules "one_of" and "iso5218_sex": display labels keyed by value (text as is, unsigned integers in
  // decimal). Either empty or a label pair for every value the rule allows.
  std::map<std::string, ValueLabel> value_labels;

  // True for elements computed from birth_date at issuance (rules "age_over", "age_in_years",
  // "age_birth_year"): a record may not supply them, and ValidateRecord emits them whenever the record
  // has a birth_date.
  bool IsDerived() const;
};

struct DocTypeSpec {
  std::string doc_type;
  std::string name_space;
  std::string agency_id;  // matches the trust list's agency id
  std::string name_ar;
  std::string name_en;
  std::vector<ElementSpec> elements;
  // Disclosure profile → element ids, in the order a wallet shows them. "full" is always present and is
  // every element in catalogue order (a catalogue file may not define it).
  std::map<std::string, std::vector<std::string>> profiles;

  const ElementSpec* Find(std::string_view id) const;
  // Element ids of a profile ("full" is every element present); kNotFound for an unknown profile.
  Result<std::vector<std::string>> Profile(std::string_view name) const;
};

struct ElementValue {
  std::string id;
  cbor::Value value;
};

using wathiq::Date;  // core/calendar.h

// Whole years from `birth` to `on` (0 when `on` is before the first birthday). Someone born on
// 29 February becomes a year older on 1 March in common years: never a day early.
int AgeInYears(const Date& birth, const Date& on);

class Catalogue {
 public:
  // The catalogue compiled into the library (civil ID, birth and marriage certificates, house document,
  // ISO mDL).
  static const Catalogue& Default();
  // Every *.json file of a directory (files in name order). Each file must be named <doc_type>.json.
  static Result<Catalogue> LoadDirectory(const std::string& path);
  // One document type from its JSON text.
  static Result<DocTypeSpec> ParseDocType(std::string_view json_text);
  // A catalogue from parsed document types (e.g. the default ones plus an agency's own); doc types must
  // be unique.
  static Result<Catalogue> Create(std::vector<DocTypeSpec> doc_types);

  const DocTypeSpec* Find(std::string_view doc_type) const;
  const std::vector<DocTypeSpec>& doc_types() const { return doc_types_; }

 private:
  std::vector<DocTypeSpec> doc_types_;
};

// Validates a record's claims (a JSON object: element id → value; dates as "YYYY-MM-DD", bytes as
// base64) against `spec` and returns the typed values in catalogue order, with age_over_NN derived
// from birth_date as of `today`.
// Rules beyond the element's own: a record's `civil_id_number` element (the holder's) must encode the
// record's birth_date; every civil ID number (also father_civil_id_number etc.) must encode a birth date
// that is not after `today`; a "not_before" date may not precede the date it names.
Result<std::vector<ElementValue>> ValidateRecord(const DocTypeSpec& spec, std::string_view claims_json,
                                                 const Date& today);

// The civil ID number rule: 12 digits, century digit (2 = 1900s, 3 = 2000s), YYMMDD a real date, a serial,
// and a check digit (Kuwait PACI weights 2,1,6,3,7,9,10,5,8,4,2 mod 11). Returns the birth date it encodes.
Result<Date> CheckCivilIdNumber(std::string_view number);
// The check digit for the first 11 digits of a civil ID number, or -1 when those 11 digits admit none
// (weighted sum ≡ 0 or 1 mod 11, so 11 − r would be 11 or 10) or are not 11 ASCII digits.
int CivilIdCheckDigit(std::string_view first_11_digits);

}  // namespace wathiq::mdoc
