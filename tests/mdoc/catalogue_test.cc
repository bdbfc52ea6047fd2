// The document-type catalogue: the default files, the schema checks, record validation and the civil ID
// number rule.
#include "wathiq/mdoc/catalogue.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../credential/mdoc/src/catalogue_internal.h"  // EmbeddedCatalogueFiles(), for the byte-exact check
#include "mdoc/sample_records.h"
#include "test_util.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/crypto.h"

#ifndef WATHIQ_CATALOGUE_DIR
#error "WATHIQ_CATALOGUE_DIR must name credential/mdoc/catalogue (the default catalogue's source files)"
#endif

namespace wathiq::mdoc {
namespace {

using nlohmann::json;
using test::SampleToday;

constexpr std::string_view kCivilId = "kw.gov.paci.civil_id.1";
constexpr std::string_view kBirth = "kw.gov.moh.birth_certificate.1";
constexpr std::string_view kMarriage = "kw.gov.moj.marriage_certificate.1";
constexpr std::string_view kHouse = "kw.gov.pahw.house_document.1";
constexpr std::string_view kMdl = "org.iso.18013.5.1.mDL";

// UTF-8 spelled out byte by byte, so the expectations do not depend on the compiler's character sets.
constexpr std::string_view kCivilIdNumberLabelAr =  // الرقم المدني
    "\xd8\xa7\xd9\x84\xd8\xb1\xd9\x82\xd9\x85\x20\xd8\xa7\xd9\x84\xd9\x85\xd8\xaf\xd9\x86\xd9\x8a";
constexpr std::string_view kSampleNameAr =  // عبدالله محمد خالد العنزي
    "\xd8\xb9\xd8\xa8\xd8\xaf\xd8\xa7\xd9\x84\xd9\x84\xd9\x87\x20\xd9\x85\xd8\xad\xd9\x85\xd8\xaf\x20\xd8\xae"
    "\xd8\xa7\xd9\x84\xd8\xaf\x20\xd8\xa7\xd9\x84\xd8\xb9\xd9\x86\xd8\xb2\xd9\x8a";
constexpr std::string_view kArabicLetterAin = "\xd8\xb9";  // ع

const DocTypeSpec& Spec(std::string_view doc_type) {
  const DocTypeSpec* spec = Catalogue::Default().Find(doc_type);
  REQUIRE(spec != nullptr);
  return *spec;
}

json Parse(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

json CivilRecord() { return Parse(test::SampleCivilIdClaimsJson()); }

// The weights as published (see CheckCivilIdNumber), recomputed here independently of the library.
int ReferenceCheckDigit(const std::string& first11) {
  static const int kWeights[11] = {2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 11; ++i) sum += (first11[i] - '0') * kWeights[i];
  int check = 11 - sum % 11;
  return check >= 10 ? -1 : check;
}

// A valid civil ID number for a birth date: the first serial from `serial` that admits a check digit.
std::string MakeCivilId(const Date& birth, int serial = 1) {
  char buf[16];
  for (;; ++serial) {
    std::snprintf(buf, sizeof buf, "%d%02d%02d%02d%04d", birth.year >= 2000 ? 3 : 2, birth.year % 100, birth.month,
                  birth.day, serial % 10000);
    int check = ReferenceCheckDigit(buf);
    if (check >= 0) return std::string(buf) + static_cast<char>('0' + check);
  }
}

std::vector<ElementValue> Valid(const DocTypeSpec& spec, const json& record, const Date& today = SampleToday()) {
  auto r = ValidateRecord(spec, record.dump(), today);
  INFO(record.dump());
  if (!r) FAIL(r.error().ToString());
  return *r;
}

std::string Problem(const DocTypeSpec& spec, const json& record, const Date& today = SampleToday()) {
  auto r = ValidateRecord(spec, record.dump(), today);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::kInvalidArgument);
  return r.error().message;
}

const cbor::Value* Get(const std::vector<ElementValue>& values, std::string_view id) {
  for (const auto& v : values) {
    if (v.id == id) return &v.value;
  }
  return nullptr;
}

std::string ParseError(const std::string& text) {
  auto r = Catalogue::ParseDocType(text);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::kMalformed);
  return r.error().message;
}

// A small custom document type, as another agency would write it.
json CustomDocType() {
  return Parse(R"json({
    "doc_type": "xx.gov.test.permit.1",
    "name_space": "xx.gov.test.permit.1",
    "agency_id": "test_agency",
    "name_ar": "تصريح تجريبي",
    "name_en": "Test permit",
    "elements": [
      {"id": "permit_number", "type": "text", "required": true, "rule": "digits", "max_length": 8,
       "label_ar": "رقم التصريح", "label_en": "Permit number", "source": "test"},
      {"id": "holder_nationality", "type": "text", "required": false, "rule": "iso3166_alpha2", "allowed": ["XX"],
       "label_ar": "الجنسية", "label_en": "Nationality", "source": "test"},
      {"id": "valid_from", "type": "tdate", "required": true,
       "label_ar": "صالح من", "label_en": "Valid from", "source": "test"},
      {"id": "conditions", "type": "map", "required": false,
       "label_ar": "الشروط", "label_en": "Conditions", "source": "test"},
      {"id": "zones", "type": "array", "required": false,
       "label_ar": "المناطق", "label_en": "Zones", "source": "test"}
    ],
    "profiles": {"check": ["permit_number", "valid_from"]}
  })json");
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// The default catalogue

TEST_CASE("the default catalogue has the five document types with their agencies", "[catalogue]") {
  const Catalogue& c = Catalogue::Default();
  REQUIRE(c.doc_types().size() == 5);
  struct Want {
    std::string_view doc_type, name_space, agency;
  };
  for (const Want& w :
       {Want{kCivilId, kCivilId, "paci"}, Want{kBirth, kBirth, "moh"}, Want{kMarriage, kMarriage, "moj"},
        Want{kHouse, kHouse, "pahw"}, Want{kMdl, "org.iso.18013.5.1", "moi_traffic"}}) {
    const DocTypeSpec& s = Spec(w.doc_type);
    CHECK(s.name_space == w.name_space);
    CHECK(s.agency_id == w.agency);
    CHECK_FALSE(s.name_ar.empty());
    CHECK_FALSE(s.name_en.empty());
    for (const auto& e : s.elements) {
      INFO(s.doc_type << " " << e.id);
      // Arabic letters U+0600-U+06FF are UTF-8 sequences led by 0xD8-0xDB.
      CHECK(std::any_of(e.label_ar.begin(), e.label_ar.end(), [](char ch) {
        return static_cast<unsigned char>(ch) >= 0xD8 && static_cast<unsigned char>(ch) <= 0xDB;
      }));
      CHECK_FALSE(e.label_en.empty());
      CHECK_FALSE(e.source.empty());
    }
  }
  CHECK(c.Find("kw.gov.paci.civil_id.2") == nullptr);
  CHECK(&Catalogue::Default() == &c);  // built once
}

TEST_CASE("the embedded catalogue keeps Arabic byte for byte and equals the files on disk", "[catalogue]") {
  CHECK(Spec(kCivilId).Find("civil_id_number")->label_ar == kCivilIdNumberLabelAr);
  CHECK(Spec(kCivilId).name_ar ==
        "\xd8\xa7\xd9\x84\xd8\xa8\xd8\xb7\xd8\xa7\xd9\x82\xd8\xa9\x20\xd8\xa7\xd9\x84\xd9\x85"
        "\xd8\xaf\xd9\x86\xd9\x8a\xd8\xa9");  // البطاقة المدنية

  auto disk = Catalogue::LoadDirectory(WATHIQ_CATALOGUE_DIR);
  REQUIRE(disk.has_value());
  REQUIRE(disk->doc_types().size() == Catalogue::Default().doc_types().size());
  for (const auto& d : disk->doc_types()) {
    const DocTypeSpec& e = Spec(d.doc_type);
    CHECK(d.name_space == e.name_space);
    CHECK(d.agency_id == e.agency_id);
    CHECK(d.name_ar == e.name_ar);
    CHECK(d.name_en == e.name_en);
    CHECK(d.profiles == e.profiles);
    REQUIRE(d.elements.size() == e.elements.size());
    for (size_t i = 0; i < d.elements.size(); ++i) {
      const auto &a = d.elements[i], &b = e.elements[i];
      INFO(a.id);
      CHECK(a.id == b.id);
      CHECK(a.type == b.type);
      CHECK(a.required == b.required);
      CHECK(a.label_ar == b.label_ar);
      CHECK(a.label_en == b.label_en);
      CHECK(a.rule == b.rule);
      CHECK(a.allowed == b.allowed);
      CHECK(a.max_length == b.max_length);
      CHECK(a.source == b.source);
      CHECK(a.age_over == b.age_over);
      CHECK(a.not_before == b.not_before);
      CHECK(a.value_labels == b.value_labels);
    }
  }
}

TEST_CASE("the embedded catalogue files are the source files byte for byte", "[catalogue]") {
  auto files = internal::EmbeddedCatalogueFiles();
  REQUIRE(files.size() == 5);
  for (const auto& f : files) {
    INFO(f.name);
    std::ifstream in(std::string(WATHIQ_CATALOGUE_DIR) + "/" + f.name, std::ios::binary);
    REQUIRE(in.good());
    std::string disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(f.text() == disk);
  }
}

TEST_CASE("Default() is safe to call from several threads at once", "[catalogue]") {
  std::atomic<const Catalogue*> seen[4] = {};
  std::vector<std::thread> threads;
  for (auto& s : seen) threads.emplace_back([&s] { s = &Catalogue::Default(); });
  for (auto& t : threads) t.join();
  for (auto& s : seen) CHECK(s.load() == &Catalogue::Default());
}

TEST_CASE("every profile names real elements and 'full' is every element", "[catalogue]") {
  for (const auto& spec : Catalogue::Default().doc_types()) {
    INFO(spec.doc_type);
    REQUIRE(spec.profiles.count("full") == 1);
    CHECK(spec.profiles.size() >= 2);  // "full" and at least one task-specific profile
    for (const auto& [name, ids] : spec.profiles) {
      INFO(name);
      CHECK_FALSE(ids.empty());
      std::set<std::string> unique(ids.begin(), ids.end());
      CHECK(unique.size() == ids.size());
      for (const auto& id : ids) CHECK(spec.Find(id) != nullptr);
      auto p = spec.Profile(name);
      REQUIRE(p.has_value());
      CHECK(*p == ids);
    }
    auto full = spec.Profile("full");
    REQUIRE(full.has_value());
    REQUIRE(full->size() == spec.elements.size());
    for (size_t i = 0; i < full->size(); ++i) CHECK((*full)[i] == spec.elements[i].id);
    auto none = spec.Profile("no_such_profile");
    REQUIRE_FALSE(none.has_value());
    CHECK(none.error().code == Errc::kNotFound);
  }
}

TEST_CASE("civil ID profiles: checkpoint_identity is exactly the six, in order", "[catalogue]") {
  const DocTypeSpec& s = Spec(kCivilId);
  const std::vector<std::string> six = {"civil_id_number", "full_name_ar", "full_name_en",
                                        "birth_date",      "nationality",  "expiry_date"};
  CHECK(*s.Profile("checkpoint_identity") == six);
  auto photo = six;
  photo.push_back("portrait_thumbnail");
  CHECK(*s.Profile("checkpoint_identity_photo") == photo);
  CHECK(*s.Profile("age_over_18") == std::vector<std::string>{"age_over_18"});
  CHECK(*s.Profile("age_over_21") == std::vector<std::string>{"age_over_21"});
  CHECK(*s.Profile("address") == std::vector<std::string>{"address_governorate", "address_area_ar", "address_area_en",
                                                          "address_block", "address_street_ar", "address_street_en",
                                                          "address_building", "address_unit", "paci_address_number"});
  std::set<std::string> names;
  for (const auto& [name, ids] : s.profiles) names.insert(name);
  CHECK(names == std::set<std::string>{"checkpoint_identity", "checkpoint_identity_photo", "age_over_18", "age_over_21",
                                       "address", "full"});
}

TEST_CASE("civil ID elements are those of DOCTYPES.md with their types", "[catalogue]") {
  const DocTypeSpec& s = Spec(kCivilId);
  struct Want {
    std::string_view id;
    ElementType type;
    std::string_view rule;
  };
  const std::vector<Want> want = {
      {"civil_id_number", ElementType::kText, "civil_id_number"},
      {"card_serial", ElementType::kText, ""},
      {"full_name_ar", ElementType::kText, ""},
      {"full_name_en", ElementType::kText, ""},
      {"birth_date", ElementType::kFullDate, "past_date"},
      {"sex", ElementType::kUint, "iso5218_sex"},
      {"nationality", ElementType::kText, "iso3166_alpha2"},
      {"blood_type", ElementType::kText, "blood_type"},
      {"address_governorate", ElementType::kText, "one_of"},
      {"address_area_ar", ElementType::kText, ""},
      {"address_area_en", ElementType::kText, ""},
      {"address_block", ElementType::kText, "digits"},
      {"address_street_ar", ElementType::kText, ""},
      {"address_street_en", ElementType::kText, ""},
      {"address_building", ElementType::kText, ""},
      {"address_unit", ElementType::kText, ""},
      {"paci_address_number", ElementType::kText, "digits"},
      {"issue_date", ElementType::kFullDate, "past_date"},
      {"expiry_date", ElementType::kFullDate, ""},
      {"portrait", ElementType::kBytes, "jpeg"},
      {"portrait_thumbnail", ElementType::kBytes, "jpeg"},
      {"age_over_18", ElementType::kBool, "age_over"},
      {"age_over_21", ElementType::kBool, "age_over"},
  };
  REQUIRE(s.elements.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(want[i].id);
    CHECK(s.elements[i].id == want[i].id);
    CHECK(s.elements[i].type == want[i].type);
    CHECK(s.elements[i].rule == want[i].rule);
  }
  CHECK(s.Find("portrait_thumbnail")->max_length == 1024);
  CHECK(s.Find("age_over_18")->age_over == 18);
  CHECK(s.Find("age_over_21")->age_over == 21);
  CHECK(s.Find("age_over_18")->IsDerived());
  CHECK_FALSE(s.Find("birth_date")->IsDerived());
  CHECK(s.Find("expiry_date")->not_before == "issue_date");

  // Coded values carry display labels in both languages.
  const auto& governorates = s.Find("address_governorate")->value_labels;
  REQUIRE(governorates.size() == 6);
  CHECK(governorates.at("KW-HA").label_ar == "\xd8\xad\xd9\x88\xd9\x84\xd9\x8a");  // حولي
  CHECK(governorates.at("KW-HA").label_en == "Hawalli");
  const auto& sexes = s.Find("sex")->value_labels;
  REQUIRE(sexes.size() == 4);
  CHECK(sexes.at("1").label_ar == "\xd8\xb0\xd9\x83\xd8\xb1");  // ذكر
  CHECK(sexes.at("2").label_en == "Female");
  CHECK(s.Find("full_name_ar")->value_labels.empty());
}

TEST_CASE("the mDL has the ISO 18013-5 Table 5 elements, mandatory as ISO says", "[catalogue]") {
  const DocTypeSpec& s = Spec(kMdl);
  const std::set<std::string> mandatory = {
      "family_name",           "given_name",        "birth_date",      "issue_date", "expiry_date",
      "issuing_country",       "issuing_authority", "document_number", "portrait",   "driving_privileges",
      "un_distinguishing_sign"};
  const std::set<std::string> optional = {"administrative_number",
                                          "sex",
                                          "height",
                                          "weight",
                                          "eye_colour",
                                          "hair_colour",
                                          "birth_place",
                                          "resident_address",
                                          "portrait_capture_date",
                                          "age_in_years",
                                          "age_birth_year",
                                          "age_over_18",
                                          "age_over_21",
                                          "issuing_jurisdiction",
                                          "nationality",
                                          "resident_city",
                                          "resident_state",
                                          "resident_postal_code",
                                          "resident_country",
                                          "family_name_national_character",
                                          "given_name_national_character",
                                          "signature_usual_mark"};
  CHECK(s.elements.size() == mandatory.size() + optional.size());
  for (const auto& e : s.elements) {
    INFO(e.id);
    CHECK((mandatory.count(e.id) + optional.count(e.id)) == 1);
    CHECK(e.required == (mandatory.count(e.id) == 1));
    CHECK(e.source.find("ISO/IEC 18013-5:2021") == 0);
  }
  CHECK(s.Find("sex")->type == ElementType::kUint);
  CHECK(s.Find("height")->type == ElementType::kUint);
  CHECK(s.Find("portrait_capture_date")->type == ElementType::kTdate);
  CHECK(s.Find("driving_privileges")->type == ElementType::kArray);
  CHECK(s.Find("signature_usual_mark")->type == ElementType::kBytes);
  CHECK(s.Find("family_name")->rule == "latin1");
  CHECK(s.Find("family_name")->max_length == 150);
  CHECK(s.Find("family_name_national_character")->rule.empty());
}

// ---------------------------------------------------------------------------------------------------------
// Valid records

TEST_CASE("a full bilingual civil ID record validates - Arabic survives CBOR byte for byte", "[catalogue]") {
  json r = CivilRecord();
  r["address_area_ar"] = "السالمية";
  r["address_area_en"] = "Salmiya";
  r["address_block"] = "10";
  r["address_street_ar"] = "شارع سالم المبارك";
  r["address_street_en"] = "Salem Al-Mubarak Street";
  r["address_building"] = "27";
  r["address_unit"] = "5";
  r["paci_address_number"] = "12345678";
  r["portrait"] = test::SampleThumbnailBase64();
  auto values = Valid(Spec(kCivilId), r);
  REQUIRE(values.size() == Spec(kCivilId).elements.size());  // every element, age_over_NN derived
  for (size_t i = 0; i < values.size(); ++i) CHECK(values[i].id == Spec(kCivilId).elements[i].id);  // catalogue order

  const cbor::Value* name = Get(values, "full_name_ar");
  REQUIRE(name != nullptr);
  REQUIRE(name->is_text());
  CHECK(name->text() == kSampleNameAr);
  const cbor::Value* birth = Get(values, "birth_date");
  REQUIRE(birth->is_tag());
  CHECK(birth->tag() == cbor::kTagFullDate);
  CHECK(birth->tagged().text() == "1990-05-14");
  CHECK(*Get(values, "sex") == cbor::Value::Uint(1));
  CHECK(*Get(values, "age_over_18") == cbor::Value::Bool(true));
  CHECK(*Get(values, "age_over_21") == cbor::Value::Bool(true));
  CHECK(Get(values, "portrait_thumbnail")->bytes().size() == 717);

  for (const auto& v : values) {
    INFO(v.id);
    Bytes encoded = cbor::Encode(v.value);
    auto decoded = cbor::Decode(encoded);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == v.value);
    CHECK(cbor::Encode(*decoded) == encoded);
  }
  // The Arabic bytes sit verbatim inside the encoding: a text head and the UTF-8 as given.
  Bytes encoded = cbor::Encode(*name);
  CHECK(std::string(encoded.begin() + 2, encoded.end()) == kSampleNameAr);
  auto decoded = cbor::Decode(encoded);
  REQUIRE(decoded.has_value());
  CHECK(decoded->text() == kSampleNameAr);
}

TEST_CASE("the 12-element sample civil ID record gives 14 values", "[catalogue]") {
  json r = CivilRecord();
  CHECK(r.size() == 12);
  auto values = Valid(Spec(kCivilId), r);
  std::vector<std::string> ids;
  for (const auto& v : values) ids.push_back(v.id);
  CHECK(ids == std::vector<std::string>{"civil_id_number", "card_serial", "full_name_ar", "full_name_en", "birth_date",
                                        "sex", "nationality", "blood_type", "address_governorate", "issue_date",
                                        "expiry_date", "portrait_thumbnail", "age_over_18", "age_over_21"});
}

TEST_CASE("the sample records of every document type validate", "[catalogue]") {
  CHECK(Valid(Spec(kBirth), Parse(test::SampleBirthCertificateClaimsJson())).size() == 15);
  CHECK(Valid(Spec(kMarriage), Parse(test::SampleMarriageCertificateClaimsJson())).size() == 10);
  CHECK(Valid(Spec(kHouse), Parse(test::SampleHouseDocumentClaimsJson())).size() == 16);
  auto mdl = Valid(Spec(kMdl), Parse(test::SampleMdlClaimsJson()));
  CHECK(*Get(mdl, "age_in_years") == cbor::Value::Uint(35));
  CHECK(*Get(mdl, "age_birth_year") == cbor::Value::Uint(1990));
  CHECK(*Get(mdl, "age_over_21") == cbor::Value::Bool(true));
  const cbor::Value* capture = Get(mdl, "portrait_capture_date");
  REQUIRE(capture->is_tag());
  CHECK(capture->tag() == cbor::kTagTdate);
  CHECK(capture->tagged().text() == "2023-01-10T09:30:00Z");
}

TEST_CASE("driving_privileges: ISO 7.2.4 structure, full-dates as tag 1004", "[catalogue]") {
  json r = Parse(test::SampleMdlClaimsJson());
  r["driving_privileges"] = Parse(R"([
    {"vehicle_category_code": "A", "issue_date": "2010-01-01", "expiry_date": "2030-01-01",
     "codes": [{"code": "01", "sign": "=", "value": "glasses"}]},
    {"vehicle_category_code": "B"}
  ])");
  auto values = Valid(Spec(kMdl), r);
  const cbor::Value* dp = Get(values, "driving_privileges");
  REQUIRE(dp != nullptr);
  REQUIRE(dp->is_array());
  REQUIRE(dp->array().size() == 2);
  const cbor::Value& a = dp->array()[0];
  CHECK(a.Find("vehicle_category_code")->text() == "A");
  REQUIRE(a.Find("issue_date")->is_tag());
  CHECK(a.Find("issue_date")->tag() == cbor::kTagFullDate);
  CHECK(a.Find("issue_date")->tagged().text() == "2010-01-01");
  CHECK(a.Find("expiry_date")->tag() == cbor::kTagFullDate);
  CHECK(a.Find("codes")->array()[0].Find("value")->text() == "glasses");
  CHECK(dp->array()[1].Find("issue_date") == nullptr);

  r["driving_privileges"] = Parse(R"([{"vehicle_category_code": "B", "issue_date": "2010-02-30"}])");
  CHECK(Problem(Spec(kMdl), r) == "element 'driving_privileges': [0].issue_date: not a calendar date \"YYYY-MM-DD\"");
  r["driving_privileges"] = Parse(R"([{"vehicle_category_code": "B", "restrictions": "none"}])");
  CHECK(Problem(Spec(kMdl), r) == "element 'driving_privileges': [0]: unknown key 'restrictions'");
  r["driving_privileges"] = Parse(R"([{"issue_date": "2010-01-01"}])");
  CHECK(Problem(Spec(kMdl), r) == "element 'driving_privileges': [0]: missing key 'vehicle_category_code'");
  r["driving_privileges"] = Parse(R"([{"vehicle_category_code": "B", "codes": [{"sign": "="}]}])");
  CHECK(Problem(Spec(kMdl), r) == "element 'driving_privileges': [0].codes[0]: missing key 'code'");
  r["driving_privileges"] = Parse(R"({"vehicle_category_code": "B"})");
  CHECK(Problem(Spec(kMdl), r) == "element 'driving_privileges': wrong type, expected array");
}

TEST_CASE("tdate input is normalised to UTC without fractions", "[catalogue]") {
  json r = Parse(test::SampleMdlClaimsJson());
  r["portrait_capture_date"] = "2023-01-10T12:30:00.75+03:00";
  auto values = Valid(Spec(kMdl), r);
  CHECK(Get(values, "portrait_capture_date")->tagged().text() == "2023-01-10T09:30:00Z");
  r["portrait_capture_date"] = "2023-01-10";
  CHECK(Problem(Spec(kMdl), r) == "element 'portrait_capture_date': not an RFC 3339 date-time");
  r["portrait_capture_date"] = "2025-06-02T00:00:00Z";
  CHECK(Problem(Spec(kMdl), r) == "element 'portrait_capture_date': date in the future");
}

TEST_CASE("text length counts characters, not bytes", "[catalogue]") {
  json r = CivilRecord();
  std::string arabic;
  for (int i = 0; i < 256; ++i) arabic += kArabicLetterAin;  // 256 characters, 512 bytes
  r["full_name_ar"] = arabic;
  auto values = Valid(Spec(kCivilId), r);
  CHECK(Get(values, "full_name_ar")->text().size() == 512);
  r["full_name_ar"] = arabic + std::string(kArabicLetterAin);
  CHECK(Problem(Spec(kCivilId), r) == "element 'full_name_ar': text over 256 characters");
}

// ---------------------------------------------------------------------------------------------------------
// Must-reject records, one per rule, with the exact message.

TEST_CASE("records breaking a rule are rejected with the element and the rule", "[catalogue][negative]") {
  const DocTypeSpec& civil = Spec(kCivilId);
  json r = CivilRecord();
  auto with = [&](const std::string& key, const json& value) {
    json copy = r;
    copy[key] = value;
    return copy;
  };
  auto without = [&](const std::string& key) {
    json copy = r;
    copy.erase(key);
    return copy;
  };

  SECTION("missing required element") {
    CHECK(Problem(civil, without("full_name_en")) == "missing required element 'full_name_en'");
  }
  SECTION("wrong type") {
    CHECK(Problem(civil, with("sex", "1")) == "element 'sex': wrong type, expected unsigned integer");
    CHECK(Problem(civil, with("sex", -1)) == "element 'sex': wrong type, expected unsigned integer");
    CHECK(Problem(civil, with("sex", 1.0)) == "element 'sex': wrong type, expected unsigned integer");
    CHECK(Problem(civil, with("full_name_en", 7)) == "element 'full_name_en': wrong type, expected text");
    CHECK(Problem(civil, with("birth_date", 19900514)) ==
          "element 'birth_date': wrong type, expected full-date text \"YYYY-MM-DD\"");
    CHECK(Problem(civil, with("portrait_thumbnail", json::array())) ==
          "element 'portrait_thumbnail': wrong type, expected base64 text");
  }
  SECTION("unknown element") { CHECK(Problem(civil, with("foo", "bar")) == "unknown element 'foo'"); }
  SECTION("derived elements may not be supplied") {
    CHECK(Problem(civil, with("age_over_18", true)) ==
          "element 'age_over_18' is derived from birth_date and may not be supplied");
    CHECK(Problem(Spec(kMdl), [] {
            json m = Parse(test::SampleMdlClaimsJson());
            m["age_in_years"] = 35;
            return m;
          }()) == "element 'age_in_years' is derived from birth_date and may not be supplied");
  }
  SECTION("civil ID number shape, check digit and agreement with birth_date") {
    CHECK(Problem(civil, with("civil_id_number", "290051401233")) ==
          "element 'civil_id_number': civil ID number check digit is wrong");
    CHECK(Problem(civil, with("civil_id_number", "29005140123")) ==
          "element 'civil_id_number': civil ID number is not 12 digits 0-9");
    CHECK(Problem(civil, with("civil_id_number", "2900514012321")) ==
          "element 'civil_id_number': civil ID number is not 12 digits 0-9");
    CHECK(Problem(civil, with("civil_id_number", "490051401232")) ==
          "element 'civil_id_number': civil ID number century digit is not 2 (1900s) or 3 (2000s)");
    CHECK(Problem(civil, with("civil_id_number", "290023001232")) ==
          "element 'civil_id_number': civil ID number does not encode a calendar date YYMMDD");
    CHECK(Problem(civil, with("civil_id_number", MakeCivilId({1990, 5, 15}))) ==
          "element 'civil_id_number': encoded birth date does not match element 'birth_date'");
    CHECK(Problem(civil, with("civil_id_number", MakeCivilId({2030, 1, 1}))) ==
          "element 'civil_id_number': civil ID number encodes a birth date in the future");
  }
  SECTION("date in the future where it cannot be") {
    CHECK(Problem(civil, with("birth_date", "2025-06-02")) == "element 'birth_date': date in the future");
    CHECK(Problem(civil, with("issue_date", "2025-06-02")) == "element 'issue_date': date in the future");
    Valid(civil, with("issue_date", "2025-06-01"));   // today is not the future
    Valid(civil, with("expiry_date", "2099-12-31"));  // an expiry date may lie ahead
  }
  SECTION("dates must be real calendar dates") {
    CHECK(Problem(civil, with("issue_date", "2023-02-29")) ==
          "element 'issue_date': not a calendar date \"YYYY-MM-DD\"");
    CHECK(Problem(civil, with("issue_date", "2024-3-10")) ==
          "element 'issue_date': not a calendar date \"YYYY-MM-DD\"");
    Valid(civil, with("issue_date", "2024-02-29"));
  }
  SECTION("expiry_date may not precede issue_date") {
    CHECK(Problem(civil, with("expiry_date", "2024-03-09")) ==
          "element 'expiry_date': date before element 'issue_date'");
  }
  SECTION("text over 256 characters") {
    CHECK(Problem(civil, with("full_name_en", std::string(257, 'a'))) ==
          "element 'full_name_en': text over 256 characters");
    Valid(civil, with("full_name_en", std::string(256, 'a')));
  }
  SECTION("empty text and control characters") {
    CHECK(Problem(civil, with("full_name_en", "")) == "element 'full_name_en': empty text");
    CHECK(Problem(civil, with("full_name_en",
                              "Abdullah\xe2\x80\xae"
                              "izenelA")) ==  // RIGHT-TO-LEFT OVERRIDE
          "element 'full_name_en': text contains control character U+202E");
    CHECK(Problem(civil, with("full_name_en", "Abdullah\nAlenezi")) ==
          "element 'full_name_en': text contains control character U+000A");
  }
  SECTION("ISO 5218 sex codes") {
    CHECK(Problem(civil, with("sex", 3)) == "element 'sex': not an ISO/IEC 5218 sex code (0, 1, 2 or 9)");
    for (int code : {0, 1, 2, 9}) Valid(civil, with("sex", code));
  }
  SECTION("ISO 3166-1 alpha-2 nationality") {
    CHECK(Problem(civil, with("nationality", "ZZ")) == "element 'nationality': not an ISO 3166-1 alpha-2 country code");
    CHECK(Problem(civil, with("nationality", "kw")) == "element 'nationality': not an ISO 3166-1 alpha-2 country code");
    CHECK(Problem(civil, with("nationality", "KWT")) ==
          "element 'nationality': not an ISO 3166-1 alpha-2 country code");
    for (const char* code : {"KW", "SA", "EG", "IN", "PH", "US"}) Valid(civil, with("nationality", code));
  }
  SECTION("blood type, governorate, digits") {
    CHECK(Problem(civil, with("blood_type", "C+")) ==
          "element 'blood_type': not a blood type (A+, A-, B+, B-, AB+, AB-, O+, O-)");
    CHECK(Problem(civil, with("address_governorate", "KW-XX")) ==
          "element 'address_governorate': not one of KW-AH, KW-FA, KW-HA, KW-JA, KW-KU, KW-MU");
    CHECK(Problem(civil, with("address_governorate", "Hawalli")) ==  // the code, not the name
          "element 'address_governorate': not one of KW-AH, KW-FA, KW-HA, KW-JA, KW-KU, KW-MU");
    CHECK(Problem(civil, with("address_block", "12345")) == "element 'address_block': text over 4 characters");
    CHECK(Problem(civil, with("address_block", "1a")) == "element 'address_block': not digits 0-9");
  }
  SECTION("bytes: base64, size and image type") {
    CHECK(Problem(civil, with("portrait_thumbnail", "not base64!")) ==
          "element 'portrait_thumbnail': not valid base64 (RFC 4648, with padding)");
    Bytes big(1025, 0);
    big[0] = 0xFF, big[1] = 0xD8, big[2] = 0xFF;
    CHECK(Problem(civil, with("portrait_thumbnail", Base64Encode(big))) ==
          "element 'portrait_thumbnail': bytes over 1024 bytes");
    big.resize(1024);
    Valid(civil, with("portrait_thumbnail", Base64Encode(big)));
    const Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    CHECK(Problem(civil, with("portrait_thumbnail", Base64Encode(png))) ==
          "element 'portrait_thumbnail': not a JPEG image");
  }
  SECTION("several problems are all reported, in order") {
    json bad = without("card_serial");
    bad["foo"] = 1;
    bad["sex"] = "male";
    CHECK(Problem(civil, bad) ==
          "unknown element 'foo'; missing required element 'card_serial'; "
          "element 'sex': wrong type, expected unsigned integer");
  }
}

TEST_CASE("other document types' civil ID numbers and rules", "[catalogue][negative]") {
  SECTION("a parent's civil ID number follows the civil ID rule, without the birth_date agreement") {
    json r = Parse(test::SampleBirthCertificateClaimsJson());
    r["father_civil_id_number"] = "288020122597";
    CHECK(Problem(Spec(kBirth), r) == "element 'father_civil_id_number': civil ID number check digit is wrong");
    r["father_civil_id_number"] = MakeCivilId({1979, 12, 31});
    Valid(Spec(kBirth), r);
  }
  SECTION("registration_date may not precede birth_date") {
    json r = Parse(test::SampleBirthCertificateClaimsJson());
    r["registration_date"] = "2024-11-19";
    CHECK(Problem(Spec(kBirth), r) == "element 'registration_date': date before element 'birth_date'");
  }
  SECTION("contract_date is a past date") {
    json r = Parse(test::SampleMarriageCertificateClaimsJson());
    r["contract_date"] = "2026-01-01";
    CHECK(Problem(Spec(kMarriage), r) == "element 'contract_date': date in the future");
  }
  SECTION("house document: whole square metres, property types") {
    json r = Parse(test::SampleHouseDocumentClaimsJson());
    for (const json& v : {json(400.5), json(-400), json("400")}) {
      r["land_area_m2"] = v;
      CHECK(Problem(Spec(kHouse), r) == "element 'land_area_m2': wrong type, expected unsigned integer");
    }
    r = Parse(test::SampleHouseDocumentClaimsJson());
    r["property_type"] = "villa";
    CHECK(Problem(Spec(kHouse), r) == "element 'property_type': not one of house, apartment, plot");
  }
  SECTION("mDL Latin names are latin1; the national-character names carry the Arabic") {
    json r = Parse(test::SampleMdlClaimsJson());
    r["family_name"] = "\xd8\xa7\xd9\x84\xd8\xb9\xd9\x86\xd8\xb2\xd9\x8a";  // العنزي
    CHECK(Problem(Spec(kMdl), r) == "element 'family_name': text has characters outside ISO/IEC 8859-1 (latin1)");
    r["family_name"] = "M\xc3\xbcller";  // Müller: latin1
    Valid(Spec(kMdl), r);
    r["issuing_jurisdiction"] = "KW-HAX1";
    CHECK(Problem(Spec(kMdl), r) == "element 'issuing_jurisdiction': not an ISO 3166-2 subdivision code");
    r["issuing_jurisdiction"] = "KX-HA";
    CHECK(Problem(Spec(kMdl), r) == "element 'issuing_jurisdiction': not an ISO 3166-2 subdivision code");
    r["issuing_jurisdiction"] = "KW-HA";
    Valid(Spec(kMdl), r);
    r["portrait"] = Base64Encode(Bytes{0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A, 0});
    Valid(Spec(kMdl), r);  // a JPEG 2000 (JP2) signature is accepted for the mDL portrait
  }
}

TEST_CASE("claims that are not a clean JSON object are rejected", "[catalogue][negative]") {
  const DocTypeSpec& civil = Spec(kCivilId);
  auto error = [&](const std::string& text) {
    auto r = ValidateRecord(civil, text, SampleToday());
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  Error dup = error(R"({"full_name_en": "A", "full_name_en": "B"})");
  CHECK(dup.code == Errc::kMalformed);
  CHECK(dup.message == R"(claims: duplicate key "full_name_en")");
  CHECK(error("[1, 2]").message == "claims: expected a JSON object of element id to value");
  Error syntax = error("{\"sex\": 1,\n \"nationality\": }");
  CHECK(syntax.code == Errc::kMalformed);
  CHECK_THAT(syntax.message, Catch::StartsWith("claims: JSON parse error at line 2, column"));
  CHECK(error(std::string(200, '[') + std::string(200, ']')).message == "claims: nested deeper than 12 levels");
  CHECK(error(std::string("{\"full_name_en\": \"\xff\"}")).code == Errc::kMalformed);  // not UTF-8
  auto bad_today = ValidateRecord(civil, test::SampleCivilIdClaimsJson(), Date{2025, 2, 29});
  REQUIRE_FALSE(bad_today.has_value());
  CHECK(bad_today.error().message == "today is not a calendar date");
}

// ---------------------------------------------------------------------------------------------------------
// Age derivation

TEST_CASE("age_over_NN on the day before and the day of the birthday", "[catalogue]") {
  const DocTypeSpec& civil = Spec(kCivilId);
  const Date birth{2007, 6, 2};
  json r = CivilRecord();
  r["birth_date"] = birth.ToString();
  r["civil_id_number"] = MakeCivilId(birth);
  r["issue_date"] = "2023-01-01";

  auto before = Valid(civil, r, Date{2025, 6, 1});
  CHECK(*Get(before, "age_over_18") == cbor::Value::Bool(false));
  CHECK(*Get(before, "age_over_21") == cbor::Value::Bool(false));
  auto on = Valid(civil, r, Date{2025, 6, 2});
  CHECK(*Get(on, "age_over_18") == cbor::Value::Bool(true));
  CHECK(*Get(on, "age_over_21") == cbor::Value::Bool(false));
  CHECK(*Get(Valid(civil, r, Date{2028, 6, 1}), "age_over_21") == cbor::Value::Bool(false));
  CHECK(*Get(Valid(civil, r, Date{2028, 6, 2}), "age_over_21") == cbor::Value::Bool(true));
}

TEST_CASE("a 29 February birthday counts from 1 March in common years", "[catalogue]") {
  const Date birth{2004, 2, 29};
  CHECK(AgeInYears(birth, {2022, 2, 28}) == 17);
  CHECK(AgeInYears(birth, {2022, 3, 1}) == 18);
  CHECK(AgeInYears(birth, {2024, 2, 28}) == 19);
  CHECK(AgeInYears(birth, {2024, 2, 29}) == 20);
  CHECK(AgeInYears(birth, {2004, 2, 29}) == 0);
  CHECK(AgeInYears(birth, {2003, 1, 1}) == 0);

  const DocTypeSpec& civil = Spec(kCivilId);
  json r = CivilRecord();
  r["birth_date"] = birth.ToString();
  r["civil_id_number"] = MakeCivilId(birth);
  r["issue_date"] = "2020-01-01";
  CHECK(*Get(Valid(civil, r, Date{2022, 2, 28}), "age_over_18") == cbor::Value::Bool(false));
  CHECK(*Get(Valid(civil, r, Date{2022, 3, 1}), "age_over_18") == cbor::Value::Bool(true));
  // Born 29 February 2008: 2026 is a common year, so 18 on 1 March 2026.
  const Date leap_birth{2008, 2, 29};
  r["birth_date"] = leap_birth.ToString();
  r["civil_id_number"] = MakeCivilId(leap_birth);
  r["issue_date"] = "2024-01-01";
  CHECK(*Get(Valid(civil, r, Date{2026, 2, 28}), "age_over_18") == cbor::Value::Bool(false));
  CHECK(*Get(Valid(civil, r, Date{2026, 3, 1}), "age_over_18") == cbor::Value::Bool(true));
}

// ---------------------------------------------------------------------------------------------------------
// Civil ID numbers

TEST_CASE("civil ID check digits: published examples and numbers built from the weights", "[catalogue]") {
  // python-stdnum's stdnum/kw/cid.py examples.
  for (const char* n : {"288020122596", "227081660516", "292091998298"}) {
    INFO(n);
    CHECK(CheckCivilIdNumber(n).has_value());
  }
  CHECK(CheckCivilIdNumber("288020122596")->ToString() == "1988-02-01");
  CHECK(CheckCivilIdNumber("227081660516")->ToString() == "1927-08-16");
  CHECK_FALSE(CheckCivilIdNumber("292091998297").has_value());
  CHECK_FALSE(CheckCivilIdNumber("29209199829").has_value());
  CHECK_FALSE(CheckCivilIdNumber("288200122596").has_value());  // month 20

  for (const Date& d : {Date{1990, 5, 14}, Date{1965, 3, 2}, Date{2000, 2, 29}, Date{2015, 7, 8}, Date{1999, 12, 31}}) {
    for (int serial : {1, 123, 4567, 9998}) {
      const std::string n = MakeCivilId(d, serial);
      INFO(n);
      auto parsed = CheckCivilIdNumber(n);
      REQUIRE(parsed.has_value());
      CHECK(*parsed == d);
      CHECK(CivilIdCheckDigit(n.substr(0, 11)) == n[11] - '0');
      for (char other = '0'; other <= '9'; ++other) {
        if (other == n[11]) continue;
        std::string wrong = n;
        wrong[11] = other;
        auto r = CheckCivilIdNumber(wrong);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().message == "civil ID number check digit is wrong");
      }
    }
  }
}

TEST_CASE("civil ID numbers whose weighted sum leaves 0 or 1 have no valid check digit", "[catalogue][negative]") {
  int found_zero = 0, found_one = 0;
  for (int serial = 0; serial < 10000 && (found_zero < 3 || found_one < 3); ++serial) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "2900514%04d", serial);
    static const int kWeights[11] = {2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 11; ++i) sum += (buf[i] - '0') * kWeights[i];
    if (sum % 11 > 1) continue;
    (sum % 11 == 0 ? found_zero : found_one)++;
    CHECK(CivilIdCheckDigit(buf) == -1);
    for (char last = '0'; last <= '9'; ++last) CHECK_FALSE(CheckCivilIdNumber(std::string(buf) + last).has_value());
  }
  CHECK(found_zero >= 3);
  CHECK(found_one >= 3);
}

TEST_CASE("civil ID number shape", "[catalogue][negative]") {
  CHECK(CheckCivilIdNumber("190051401232").error().message ==
        "civil ID number century digit is not 2 (1900s) or 3 (2000s)");
  CHECK(CheckCivilIdNumber("2900514012321").error().message == "civil ID number is not 12 digits 0-9");
  CHECK(CheckCivilIdNumber("2900514O1232").error().message == "civil ID number is not 12 digits 0-9");
  // Arabic-Indic digits are not accepted: records carry ASCII digits.
  CHECK_FALSE(CheckCivilIdNumber("\xd9\xa2\xd9\xa9\xd9\xa0\xd9\xa0\xd9\xa5\xd9\xa1").has_value());
  CHECK(CheckCivilIdNumber("290000001232").error().message == "civil ID number does not encode a calendar date YYMMDD");
  CHECK(CheckCivilIdNumber("201022900014").error().message ==
        "civil ID number does not encode a calendar date YYMMDD");    // 29 February 1901
  CHECK(CheckCivilIdNumber(MakeCivilId({2000, 2, 29})).has_value());  // 2000 was a leap year
  CHECK(CivilIdCheckDigit("2900514012") == -1);
}

// ---------------------------------------------------------------------------------------------------------
// Dates

TEST_CASE("Date parsing, formatting and epoch conversion", "[catalogue]") {
  CHECK(*Date::Parse("2024-02-29") == Date{2024, 2, 29});
  for (const char* bad : {"2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "2024-1-01", "24-01-01",
                          "2024-01-01T00:00:00Z", " 2024-01-01", "2024/01/01", ""}) {
    INFO(bad);
    auto d = Date::Parse(bad);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().code == Errc::kMalformed);
  }
  CHECK(*Date::Parse("2000-02-29") == Date{2000, 2, 29});
  CHECK(Date{812, 3, 4}.ToString() == "0812-03-04");
  CHECK(Date::FromUnix(0) == Date{1970, 1, 1});
  CHECK(Date::FromUnix(-1) == Date{1969, 12, 31});
  CHECK(Date::FromUnix(951782400) == Date{2000, 2, 29});
  CHECK(Date::FromUnix(1748822399) == Date{2025, 6, 1});
  CHECK(Date::FromUnix(1748822400) == Date{2025, 6, 2});
  CHECK(Date{2024, 1, 1} < Date{2024, 1, 2});
  CHECK_FALSE(Date{2023, 2, 29}.IsValid());
}

// ---------------------------------------------------------------------------------------------------------
// Catalogue files: strict schema

TEST_CASE("a custom document type parses and validates records", "[catalogue]") {
  auto spec = Catalogue::ParseDocType(CustomDocType().dump());
  REQUIRE(spec.has_value());
  CHECK(spec->profiles.at("full").size() == 5);
  json r = Parse(R"({"permit_number": "1234", "holder_nationality": "XX", "valid_from": "2025-01-01T08:00:00Z",
                     "conditions": {"max_passengers": 4, "night": false, "notes": ["a", "b"], "offset": -2},
                     "zones": ["KW-HA", 7]})");
  auto values = Valid(*spec, r);
  REQUIRE(values.size() == 5);
  const cbor::Value* conditions = Get(values, "conditions");
  REQUIRE(conditions->is_map());
  CHECK(*conditions->Find("max_passengers") == cbor::Value::Uint(4));
  CHECK(*conditions->Find("offset") == cbor::Value::Int(-2));
  CHECK(*conditions->Find("night") == cbor::Value::Bool(false));
  CHECK(conditions->Find("notes")->array().size() == 2);
  CHECK(Get(values, "zones")->array()[1] == cbor::Value::Uint(7));
  CHECK(Get(values, "valid_from")->tag() == cbor::kTagTdate);
  CHECK(cbor::Decode(cbor::Encode(*conditions)).has_value());

  r["conditions"] = Parse(R"({"fee": 2.5})");
  CHECK(Problem(*spec, r) == "element 'conditions': 'fee': numbers with a fraction or exponent are not supported");
  r["conditions"] = Parse(R"({"fee": null})");
  CHECK(Problem(*spec, r) == "element 'conditions': 'fee': null is not supported");
  r["conditions"] = Parse(R"([1])");
  CHECK(Problem(*spec, r) == "element 'conditions': wrong type, expected object");
  r["conditions"] = Parse(R"({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}})");
  CHECK(Problem(*spec, r) == "element 'conditions': 'a'.'b'.'c'.'d'.'e'.'f'.'g'.'h': nested deeper than 8 levels");
  r.erase("conditions");
  r["holder_nationality"] = "XY";  // user-assigned, but this catalogue accepts only XX
  CHECK(Problem(*spec, r) == "element 'holder_nationality': not an ISO 3166-1 alpha-2 country code");
}

TEST_CASE("LoadDirectory reads a custom catalogue", "[catalogue]") {
  test::TempDir dir("catalogue");
  dir.Write("xx.gov.test.permit.1.json", CustomDocType().dump(2));
  dir.Write("README.txt", "not a catalogue file");
  auto c = Catalogue::LoadDirectory(dir.path().string());
  REQUIRE(c.has_value());
  REQUIRE(c->doc_types().size() == 1);
  const DocTypeSpec* spec = c->Find("xx.gov.test.permit.1");
  REQUIRE(spec != nullptr);
  CHECK(spec->agency_id == "test_agency");
  CHECK(*spec->Profile("check") == std::vector<std::string>{"permit_number", "valid_from"});
  Valid(*spec, Parse(R"({"permit_number": "1", "valid_from": "2025-01-01T00:00:00Z"})"));

  // The default catalogue plus the custom one.
  std::vector<DocTypeSpec> all = Catalogue::Default().doc_types();
  all.push_back(*spec);
  auto combined = Catalogue::Create(all);
  REQUIRE(combined.has_value());
  CHECK(combined->doc_types().size() == 6);
  all.push_back(*spec);
  auto twice = Catalogue::Create(all);
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().message == "document type 'xx.gov.test.permit.1' defined twice");
}

TEST_CASE("LoadDirectory failures name the file and the problem", "[catalogue][negative]") {
  SECTION("a malformed file") {
    test::TempDir dir("catalogue");
    dir.Write("xx.gov.test.permit.1.json", "{\n  \"doc_type\": \"xx.gov.test.permit.1\",\n  \"elements\": [,]\n}");
    auto c = Catalogue::LoadDirectory(dir.path().string());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == Errc::kMalformed);
    CHECK_THAT(c.error().message,
               Catch::StartsWith("xx.gov.test.permit.1.json: document type: JSON parse error at line 3, column"));
  }
  SECTION("a file not named after its doc_type") {
    test::TempDir dir("catalogue");
    dir.Write("permit.json", CustomDocType().dump());
    auto c = Catalogue::LoadDirectory(dir.path().string());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message == "permit.json: file name must be 'xx.gov.test.permit.1.json' (its doc_type)");
  }
  SECTION("a schema error") {
    test::TempDir dir("catalogue");
    json d = CustomDocType();
    d["elements"][0]["lable_ar"] = "x";
    dir.Write("xx.gov.test.permit.1.json", d.dump());
    auto c = Catalogue::LoadDirectory(dir.path().string());
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message ==
          "xx.gov.test.permit.1.json: xx.gov.test.permit.1: element 'permit_number': unknown key 'lable_ar'");
  }
  SECTION("no catalogue there") {
    test::TempDir dir("catalogue");
    auto empty = Catalogue::LoadDirectory(dir.path().string());
    REQUIRE_FALSE(empty.has_value());
    CHECK(empty.error().code == Errc::kNotFound);
    auto missing = Catalogue::LoadDirectory((dir.path() / "nope").string());
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == Errc::kNotFound);
  }
}

TEST_CASE("catalogue files are checked strictly", "[catalogue][negative]") {
  const std::string where = "xx.gov.test.permit.1: ";
  auto mutate = [](auto&& f) {
    json d = CustomDocType();
    f(d);
    return ParseError(d.dump());
  };
  CHECK(mutate([](json& d) { d["colour"] = "green"; }) == where + "unknown key 'colour'");
  CHECK(mutate([](json& d) { d["elements"][1]["id"] = "permit_number"; }) ==
        where + "duplicate element id 'permit_number'");
  CHECK(mutate([](json& d) { d["profiles"]["check"].push_back("fee"); }) ==
        where + "profile 'check': names unknown element 'fee'");
  CHECK(mutate([](json& d) { d["profiles"]["check"].push_back("permit_number"); }) ==
        where + "profile 'check': lists element 'permit_number' twice");
  CHECK(mutate([](json& d) { d["profiles"]["full"] = json::array({"permit_number"}); }) ==
        where + "profile 'full': is reserved: 'full' is always every element and is not listed");
  CHECK(mutate([](json& d) { d["elements"][0]["type"] = "string"; }) ==
        where +
            "element 'permit_number': unknown type 'string' (text, full-date, tdate, uint, bool, bytes, array or map)");
  CHECK(mutate([](json& d) { d["elements"][0]["rule"] = "luhn"; }) ==
        where + "element 'permit_number': unknown rule 'luhn'");
  CHECK(mutate([](json& d) { d["elements"][0]["rule"] = "past_date"; }) ==
        where + "element 'permit_number': rule 'past_date' does not apply to type text");
  CHECK(mutate([](json& d) { d["elements"][0].erase("label_ar"); }) ==
        where + "element 'permit_number': missing key 'label_ar'");
  CHECK(mutate([](json& d) { d["elements"][0]["label_ar"] = "Permit number"; }) ==
        where + "element 'permit_number': 'label_ar' has no Arabic letter");
  CHECK(mutate([](json& d) { d["elements"][0]["required"] = "yes"; }) ==
        where + "element 'permit_number': 'required' must be true or false");
  CHECK(mutate([](json& d) { d["elements"][0]["rule"] = "one_of"; }) ==
        where + "element 'permit_number': rule 'one_of' needs a non-empty 'allowed' list");
  CHECK(mutate([](json& d) { d["elements"][1]["allowed"] = json::array({"KW"}); }) ==
        where +
            "element 'holder_nationality': 'allowed' value 'KW' is not a user-assigned ISO 3166 code (AA, QM-QZ, "
            "XA-XZ, ZZ)");
  CHECK(mutate([](json& d) { d["elements"][2]["max_length"] = 10; }) ==
        where + "element 'valid_from': 'max_length' applies to text and bytes only");
  CHECK(mutate([](json& d) { d["elements"][0]["id"] = "PermitNumber"; }) ==
        where + "element #1: id 'PermitNumber' is not lower_snake_case (at most 64 characters)");
  CHECK(mutate([](json& d) { d["elements"][2]["not_before"] = "permit_number"; }) ==
        where + "element 'valid_from': 'not_before' must name another date element, not 'permit_number'");
  CHECK(mutate([](json& d) {
          d["elements"].push_back(Parse(R"({"id": "age_over_18", "type": "bool", "required": false, "rule": "age_over",
                                            "label_ar": "العمر", "label_en": "Age", "source": "test"})"));
        }) == where + "element 'age_over_18': rule 'age_over' needs a full-date element 'birth_date'");
  CHECK(mutate([](json& d) {
          d["elements"].push_back(Parse(R"({"id": "adult", "type": "bool", "required": false, "rule": "age_over",
                                            "label_ar": "بالغ", "label_en": "Adult", "source": "test"})"));
        }) == where + "element 'adult': rule 'age_over' needs an id age_over_NN (NN 01-99)");
  CHECK(mutate([](json& d) {
          d["elements"][0]["value_labels"] = Parse(R"({"1": {"label_ar": "واحد", "label_en": "One"}})");
        }) == where + "element 'permit_number': 'value_labels' applies to rules one_of and iso5218_sex only");
  CHECK(mutate([](json& d) {
          d["elements"][0]["rule"] = "one_of";
          d["elements"][0]["allowed"] = json::array({"1", "2"});
          d["elements"][0]["value_labels"] = Parse(R"({"1": {"label_ar": "واحد", "label_en": "One"}})");
        }) == where + "element 'permit_number': 'value_labels' has no labels for '2'");
  CHECK(mutate([](json& d) {
          d["elements"][0]["rule"] = "one_of";
          d["elements"][0]["allowed"] = json::array({"1"});
          d["elements"][0]["value_labels"] = Parse(R"({"1": {"label_ar": "واحد", "label_en": "One"},
                                                       "3": {"label_ar": "ثلاثة", "label_en": "Three"}})");
        }) == where + "element 'permit_number': 'value_labels' labels '3', which is not an allowed value");
  CHECK(mutate([](json& d) {
          d["elements"][0]["rule"] = "one_of";
          d["elements"][0]["allowed"] = json::array({"1"});
          d["elements"][0]["value_labels"] =
              Parse(R"({"1": {"label_ar": "واحد", "label_en": "One", "label_fr": "Un"}})");
        }) == where + "element 'permit_number': value_labels '1': unknown key 'label_fr'");
  CHECK(mutate([](json& d) { d["elements"] = json::array(); }) == where + "no elements");
  CHECK(mutate([](json& d) { d.erase("agency_id"); }) == where + "missing key 'agency_id'");

  CHECK(ParseError(R"({"doc_type": "a.b", "doc_type": "a.c"})") == R"(document type: duplicate key "doc_type")");
  CHECK(ParseError("[]") == "a document type must be a JSON object");
  CHECK_THAT(ParseError("{\"doc_type\": \"a.b\",}"), Catch::StartsWith("document type: JSON parse error at line 1"));
}

}  // namespace wathiq::mdoc
