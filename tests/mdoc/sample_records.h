// Sample agency records for the default catalogue (credential/mdoc/catalogue), valid on SampleToday(). Shared by the
// catalogue tests, the issuance tests and the issuance benchmark.
#pragma once

#include <string>

#include "wathiq/mdoc/catalogue.h"

namespace wathiq::test {

// A day on which every sample record is valid (every past date lies before it, every expiry after it).
inline mdoc::Date SampleToday() { return mdoc::Date{2025, 6, 1}; }

// A real 72x96 grayscale JPEG (717 bytes: under the 1 KB portrait_thumbnail cap), base64.
inline std::string SampleThumbnailBase64() {
  return "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//wAALCABgAEgBAREA/8QAGwABAAIDAQEAAAAAAAAAAAAAAAIEAwUGAQf/xAAxEAABBAEDAgQEBAcAAAAAAAABAAIDEQQFIUESUQYTMWEiMnGxFCOB8DNUgpGTodH/2gAIAQEAAD8A6y0tLS0tLS0tLUbS0tVNQ1LF03HM2VKG7EtZfxP9gOfULm3+OGh7hHpxcy/hJmoke4o0ug0vWMPVIurGkp4u4n0Hiua7bjf3V+0tLUbS14SALJoBfOdafqGqai/Idh5AYPhjHkkUwE1fvv8A7VD8Bm/yeR/id/xWMGPU8DMjysfEnEkZsXESDwR/ZfSoJhPBHM1rmh7Q7pcKIvg+6yWlqNpaxZJ/JI332VHy08tPLVvENRlu+xVi0tQtLUJvkH1WBEWWDbqWW0tRtLUJz+XfYqt1p1p1rPjmwSstpajaWvHAOaWn0K1r3Fjy13qF55iB9mhuStlE3ojDeeVK0tRtLS1Xy4WPYZHPDC1vzE7V7rWGWEOr8XjEd/ObX3Wwwoo+lszZGyXdOY629lbtLS1G0taDU/ELYy6HApzgSDKRY/p7/bblc9PkTZMpknkdI88uPp7DsFiUo5HxPD4nuY8ejmmiFv8ATvEbwfL1AdTeJGt3G/I7fTtyuja9r2hzHBzXCwQbBC9tRtaDxFqfSDgwFwcf4pG21fL+v75XNoiIt54e1PyJBiTFxjkIEfPS48fQ/v1XT2sGVOMbGkndVMaTRNWeAuFke6WR0jzbnkuce5KiiIiLttLyzmafFK4gvrpfR5H2v1/VUvEkxZp7Yw4AyPAI5IG/3pcsiIiIuh8LynpyIS4UCHNbz2J+y//Z";
}

// kw.gov.paci.civil_id.1 with the 12 elements the issuance benchmark signs: civil_id_number, card_serial,
// full_name_ar, full_name_en, birth_date, sex, nationality, blood_type, address_governorate, issue_date,
// expiry_date, portrait_thumbnail. ValidateRecord adds age_over_18 and age_over_21 (14 values).
// 290051401232 encodes 1990-05-14 (century 2, serial 0123, check digit 2).
inline std::string SampleCivilIdClaimsJson() {
  return R"json({
  "civil_id_number": "290051401232",
  "card_serial": "A01234567",
  "full_name_ar": "عبدالله محمد خالد العنزي",
  "full_name_en": "Abdullah Mohammad Khaled Alenezi",
  "birth_date": "1990-05-14",
  "sex": 1,
  "nationality": "KW",
  "blood_type": "O+",
  "address_governorate": "KW-HA",
  "issue_date": "2024-03-10",
  "expiry_date": "2029-03-09",
  "portrait_thumbnail": ")json" + SampleThumbnailBase64() + R"json("
})json";
}

// kw.gov.moh.birth_certificate.1. The parents' civil ID numbers are python-stdnum's published examples.
inline std::string SampleBirthCertificateClaimsJson() {
  return R"json({
  "certificate_number": "2024/118734",
  "child_full_name_ar": "مريم عبدالله محمد العنزي",
  "child_full_name_en": "Maryam Abdullah Mohammad Alenezi",
  "birth_date": "2024-11-20",
  "place_of_birth_ar": "مستشفى الولادة",
  "place_of_birth_en": "Maternity Hospital",
  "sex": 2,
  "nationality": "KW",
  "father_full_name_ar": "عبدالله محمد خالد العنزي",
  "father_full_name_en": "Abdullah Mohammad Khaled Alenezi",
  "father_civil_id_number": "288020122596",
  "mother_full_name_ar": "نورة سالم فهد المطيري",
  "mother_full_name_en": "Noura Salem Fahad Almutairi",
  "mother_civil_id_number": "292091998298",
  "registration_date": "2024-11-24"
})json";
}

// kw.gov.moj.marriage_certificate.1.
inline std::string SampleMarriageCertificateClaimsJson() {
  return R"json({
  "contract_number": "MOJ-2015-004512",
  "contract_date": "2015-04-16",
  "registry_office_ar": "إدارة التوثيقات الشرعية - حولي",
  "registry_office_en": "Sharia Notarization Department - Hawalli",
  "husband_full_name_ar": "عبدالله محمد خالد العنزي",
  "husband_full_name_en": "Abdullah Mohammad Khaled Alenezi",
  "husband_civil_id_number": "288020122596",
  "wife_full_name_ar": "نورة سالم فهد المطيري",
  "wife_full_name_en": "Noura Salem Fahad Almutairi",
  "wife_civil_id_number": "292091998298"
})json";
}

// kw.gov.pahw.house_document.1.
inline std::string SampleHouseDocumentClaimsJson() {
  return R"json({
  "document_number": "PAHW-77120",
  "owner_full_name_ar": "عبدالله محمد خالد العنزي",
  "owner_full_name_en": "Abdullah Mohammad Khaled Alenezi",
  "owner_civil_id_number": "290051401232",
  "co_owner_full_name_ar": "نورة سالم فهد المطيري",
  "co_owner_full_name_en": "Noura Salem Fahad Almutairi",
  "co_owner_civil_id_number": "292091998298",
  "governorate": "KW-AH",
  "area_ar": "صباح الأحمد السكنية",
  "area_en": "Sabah Al-Ahmad Residential",
  "block": "3",
  "plot_number": "214",
  "house_number": "214",
  "land_area_m2": 400,
  "property_type": "house",
  "issue_date": "2021-09-05"
})json";
}

// org.iso.18013.5.1.mDL (the portrait is the sample thumbnail: a real JPEG, small for tests).
inline std::string SampleMdlClaimsJson() {
  return R"json({
  "family_name": "Alenezi",
  "given_name": "Abdullah Mohammad Khaled",
  "birth_date": "1990-05-14",
  "issue_date": "2023-01-15",
  "expiry_date": "2033-01-14",
  "issuing_country": "KW",
  "issuing_authority": "Ministry of Interior - General Traffic Department",
  "document_number": "KWDL0012345",
  "portrait": ")json" + SampleThumbnailBase64() + R"json(",
  "driving_privileges": [
    {"vehicle_category_code": "B", "issue_date": "2008-06-01", "expiry_date": "2033-01-14"}
  ],
  "un_distinguishing_sign": "KWT",
  "sex": 1,
  "nationality": "KW",
  "portrait_capture_date": "2023-01-10T09:30:00Z",
  "family_name_national_character": "العنزي",
  "given_name_national_character": "عبدالله محمد خالد"
})json";
}

}  // namespace wathiq::test
