// Test support for the issuer's deployment tests: a temporary folder, a deployment built from the test PKI
// (sealed key files with the cheapest KDF, certificates on disk, a JSON config), and valid civil-ID records
// by number.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/pki_fixture.h"
#include "test_util.h"
#include "wathiq/core/crypto.h"
#include "wathiq/issuer/deployment.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/mdoc/catalogue.h"

namespace wathiq::test {

// test::TempDir with the deployment tests' spelling: `path` as a string and at("a/b").
struct IssuerTempDir : TempDir {
  IssuerTempDir() : TempDir("issuer"), path(TempDir::path().string()) {}
  std::string path;
  std::string at(const std::string& rel) const { return *this / rel; }
};

inline constexpr const char* kTestPassphrase = "correct-horse";
inline constexpr const char* kCivilId = "kw.gov.paci.civil_id.1";
inline constexpr const char* kMdl = "org.iso.18013.5.1.mDL";

// Writes keys, certificates and deployment config for the PKI's agencies into `dir`; returns the config path.
inline std::string WriteDeploymentConfig(const TestPki& pki, const std::string& dir) {
  auto pass = keys::SecretText::FromString(kTestPassphrase);
  keys::SealOptions so;
  so.kdf = keys::KdfParams::Min();
  nlohmann::json agencies = nlohmann::json::array();
  for (const auto& a : pki.agencies) {
    REQUIRE(keys::WriteSealedKeyFile(dir + "/" + a.id + "-ds.key", a.ds_key, pass, so));
    REQUIRE(keys::WriteSealedKeyFile(dir + "/" + a.id + "-status.key", a.status_key, pass, so));
    REQUIRE(WriteFileAtomically(dir + "/" + a.id + "-ds.der", a.ds_cert.der(), WriteMode::kCreateNew));
    REQUIRE(WriteFileAtomically(dir + "/" + a.id + "-status.der", a.status_cert.der(), WriteMode::kCreateNew));
    agencies.push_back(
        {{"id", a.id},
         {"doc_types", a.doc_types},
         {"status_prefix", a.status_prefix},
         {"aggregation_uri", "https://status." + a.id + ".example/aggregation"},
         {"document_signer", {{"key", {{"file", a.id + "-ds.key"}}}, {"cert", a.id + "-ds.der"}}},
         {"status_signer", {{"key", {{"file", a.id + "-status.key"}}}, {"cert", a.id + "-status.der"}}}});
  }
  nlohmann::json cfg{{"log", {{"name", "log.test.example"}, {"url", "https://log.test.example/wathiq"}}},
                     {"agencies", agencies}};
  std::string path = dir + "/config.json";
  std::ofstream(path) << cfg.dump(2);
  return path;
}

// A valid civil ID number and its birth date for n = 0, 1, 2, ... (distinct numbers; skips the serials
// that admit no check digit).
struct CivilIdentity {
  std::string number;
  std::string birth_date;
};
inline CivilIdentity CivilIdFor(uint64_t n) {
  for (uint64_t k = 0;; ++k) {
    uint64_t day = n / 4000;
    uint64_t serial = n % 4000 + k * 4000;
    if (serial > 9999) {
      n += 1;  // unreachable in practice
      k = 0;
      continue;
    }
    int year = 1950 + static_cast<int>(day / (28 * 12));
    int month = 1 + static_cast<int>((day / 28) % 12);
    int dom = 1 + static_cast<int>(day % 28);
    char first[64];
    std::snprintf(first, sizeof first, "%d%02d%02d%02d%04d", year < 2000 ? 2 : 3, year % 100, month, dom,
                  static_cast<int>(serial));
    int check = mdoc::CivilIdCheckDigit(first);
    if (check < 0) continue;
    char date[64];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", year, month, dom);
    return {std::string(first) + std::to_string(check), date};
  }
}

inline std::string CivilRecord(const CivilIdentity& id, const std::string& name_en = "Mohammad Abdullah Al-Ali") {
  nlohmann::json r{
      {"civil_id_number", id.number}, {"card_serial", "KW1234567"},  {"full_name_ar", "محمد عبدالله العلي"},
      {"full_name_en", name_en},      {"birth_date", id.birth_date}, {"sex", 1},
      {"nationality", "KW"},          {"issue_date", "2025-06-01"},  {"expiry_date", "2030-05-31"}};
  return r.dump();
}

inline std::string SpkiBase64(const PublicKey& k) { return Base64Encode(*k.ToSpki()); }

// One batch line for civil ID n.
inline std::string CivilBatchLine(uint64_t n, const PublicKey& device) {
  CivilIdentity id = CivilIdFor(n);
  nlohmann::json line{{"agency", "paci"},
                      {"doc_type", kCivilId},
                      {"claims", nlohmann::json::parse(CivilRecord(id))},
                      {"device_key", SpkiBase64(device)}};
  return line.dump();
}

// A deployment in `dir` for the PKI's agencies, from the config WriteDeploymentConfig writes into `tmp`
// (sealed files under `pass`, the cheapest KDF); returns what Init printed for the trust list.
inline issuer::TrustInfo InitTestDeployment(const TestPki& pki, const IssuerTempDir& tmp, const std::string& dir,
                                            const keys::SecretText& pass) {
  std::string cfg_path = WriteDeploymentConfig(pki, tmp.path);
  std::ifstream f(cfg_path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto cfg = issuer::ParseDeploymentConfig(text, tmp.path);
  REQUIRE(cfg);
  issuer::InitOptions io;
  io.kdf = keys::KdfParams::Min();
  auto t = issuer::Deployment::Init(dir, *cfg, pass, issuer::SealedFileOpener(pass), io);
  REQUIRE(t);
  return *t;
}

}  // namespace wathiq::test
