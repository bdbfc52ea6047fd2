// PKCS#11 against a real SoftHSM2 token created in a temporary directory (SOFTHSM2_CONF points there).
#include "wathiq/keys/pkcs11.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "keys_test_util.h"
#include "support/pki_fixture.h"
#include "wathiq/core/cose.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"

using namespace wathiq;
using namespace wathiq::keys;

// SoftHSM2 2.6 leaks a few ASN1 strings per EdDSA C_SignInit inside the module; not ours to fix. Read by
// the sanitizers in sanitizer builds only; full unwinding so that the module's frames are seen.
extern "C" const char* __lsan_default_suppressions() { return "leak:libsofthsm2.so\n"; }
extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }

namespace {

// One SoftHSM2 configuration per test process; each test case initialises its own token(s).
struct SoftHsm {
  std::string dir;
  std::shared_ptr<Pkcs11Module> module;

  SoftHsm() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "wathiq-softhsm-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    std::filesystem::create_directory(dir + "/tokens");
    std::ofstream(dir + "/softhsm2.conf") << "directories.tokendir = " << dir << "/tokens\n"
                                          << "objectstore.backend = file\nlog.level = ERROR\n";
    setenv("SOFTHSM2_CONF", (dir + "/softhsm2.conf").c_str(), 1);
    auto m = Pkcs11Module::Load(std::string(kSoftHsmModulePath));
    if (!m) {
      std::fprintf(stderr, "%s\n", m.error().ToString().c_str());
      std::abort();
    }
    module = *m;
  }
  ~SoftHsm() {
    module.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  static SoftHsm& Get() {
    static SoftHsm hsm;
    return hsm;
  }
  // A fresh token with a unique label.
  std::shared_ptr<Pkcs11Token> NewToken(const std::string& prefix, const std::string& pin = "123456") {
    static std::atomic<int> n{0};
    std::string label = prefix + "-" + std::to_string(++n);
    auto st = module->InitToken(label, SecretText::FromString("so-pin-1"), SecretText::FromString(pin));
    REQUIRE(st);
    auto t = module->OpenToken(label, SecretText::FromString(pin));
    REQUIRE(t);
    return *t;
  }
};

// A session of our own on `token`, through the raw C API (independent of the wrapper), logged in as user.
struct RawSession {
  void* dl = nullptr;
  CK_FUNCTION_LIST* f = nullptr;
  CK_SESSION_HANDLE s = 0;

  RawSession(SoftHsm& hsm, const Pkcs11Token& token, std::string pin = "123456") {
    dl = dlopen(std::string(kSoftHsmModulePath).c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(dl);
    auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(dl, "C_GetFunctionList"));
    REQUIRE(get);
    REQUIRE(get(&f) == CKR_OK);
    CK_RV init = f->C_Initialize(nullptr);
    CHECK((init == CKR_OK || init == CKR_CRYPTOKI_ALREADY_INITIALIZED));
    auto tokens = hsm.module->ListTokens();
    REQUIRE(tokens);
    CK_SLOT_ID slot = 0;
    for (const auto& t : *tokens) {
      if (t.label == token.label()) slot = t.slot;
    }
    REQUIRE(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s) == CKR_OK);
    CK_RV login = f->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
    CHECK((login == CKR_OK || login == CKR_USER_ALREADY_LOGGED_IN));
  }
  ~RawSession() {
    f->C_CloseSession(s);  // no C_Finalize: the module is shared with our wrapper in this process
  }
  // A P-256 key pair in the token with the given protection of the private half; returns the private key.
  CK_OBJECT_HANDLE GenerateP256(const std::string& label, bool sensitive, bool extractable) {
    static const uint8_t kP256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_BBOOL yes = CK_TRUE, sens = sensitive ? CK_TRUE : CK_FALSE, ext = extractable ? CK_TRUE : CK_FALSE;
    std::string l = label;
    uint8_t id[] = {0xee, static_cast<uint8_t>(label.size()), static_cast<uint8_t>(label.back())};
    CK_ATTRIBUTE pub_t[] = {{CKA_TOKEN, &yes, sizeof yes}, {CKA_VERIFY, &yes, sizeof yes},
                            {CKA_EC_PARAMS, const_cast<uint8_t*>(kP256), sizeof kP256},
                            {CKA_LABEL, l.data(), l.size()}, {CKA_ID, id, sizeof id}};
    CK_ATTRIBUTE priv_t[] = {{CKA_TOKEN, &yes, sizeof yes},  {CKA_PRIVATE, &yes, sizeof yes},
                             {CKA_SENSITIVE, &sens, sizeof sens}, {CKA_EXTRACTABLE, &ext, sizeof ext},
                             {CKA_SIGN, &yes, sizeof yes},   {CKA_LABEL, l.data(), l.size()},
                             {CKA_ID, id, sizeof id}};
    CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE pub = 0, priv = 0;
    REQUIRE(f->C_GenerateKeyPair(s, &mech, pub_t, std::size(pub_t), priv_t, std::size(priv_t), &pub, &priv) == CKR_OK);
    return priv;
  }
  CK_RV SetBool(CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, bool v) {
    CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE a{type, &b, sizeof b};
    return f->C_SetAttributeValue(s, o, &a, 1);
  }
  bool GetBool(CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
    CK_BBOOL b = CK_FALSE;
    CK_ATTRIBUTE a{type, &b, sizeof b};
    REQUIRE(f->C_GetAttributeValue(s, o, &a, 1) == CKR_OK);
    return b == CK_TRUE;
  }
};

}  // namespace

TEST_CASE("PKCS#11: non-extractable P-256 and Ed25519 keys sign, and OpenSSL/libsodium verify",
          "[keys][pkcs11]") {
  auto token = SoftHsm::Get().NewToken("sign");
  for (Alg alg : {Alg::kES256, Alg::kEdDSA}) {
    DYNAMIC_SECTION(AlgName(alg)) {
      std::string label = std::string("agency-") + std::string(AlgName(alg));
      auto key = token->GenerateKey({alg, label, {}});
      REQUIRE(key);
      CHECK(key->source() == KeySource::kPkcs11);
      CHECK(key->alg() == alg);
      CHECK(key->label() == label);
      Bytes msg(300, 0x5a);
      auto sig = key->Sign(msg);
      REQUIRE(sig);
      CHECK(sig->size() == 64);
      // Verified by core's independent verifier (OpenSSL for ES256, libsodium for Ed25519).
      auto v = MakeVerifier(key->cached_public_key(), alg);
      REQUIRE(v);
      CHECK((*v)->Verify(msg, *sig));
      msg[0] ^= 1;
      CHECK_FALSE((*v)->Verify(msg, *sig));

      // The private key is sensitive and not extractable; the token refuses CKA_VALUE.
      auto info = token->InspectKey(label);
      REQUIRE(info);
      CHECK(info->sensitive);
      CHECK_FALSE(info->extractable);
      CHECK(info->always_sensitive);
      CHECK(info->never_extractable);
      CHECK_FALSE(info->value_readable);
      CHECK(info->value_read_result == "CKR_ATTRIBUTE_SENSITIVE");
      CHECK(info->public_key == key->cached_public_key());

      // A COSE_Sign1 made in the token verifies with core.
      auto cose_msg = cose::BuildSign1(*key, msg);
      REQUIRE(cose_msg);
      CHECK(cose::VerifySign1(*cose_msg, **v));

      // Software export of a token key is impossible.
      CHECK_FALSE(ExportSoftwareSecretForSealing(*key->inner()));
    }
  }
}

TEST_CASE("PKCS#11: the raw C API cannot read the private value either", "[keys][pkcs11][negative]") {
  auto& hsm = SoftHsm::Get();
  auto token = hsm.NewToken("raw");
  auto key = token->GenerateKey({Alg::kES256, "raw-key", {}});
  REQUIRE(key);
  // Independent of our wrapper: dlopen the module, find the key by label, ask for CKA_VALUE.
  void* dl = dlopen(std::string(kSoftHsmModulePath).c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE(dl);
  auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(dl, "C_GetFunctionList"));
  REQUIRE(get);
  CK_FUNCTION_LIST* f = nullptr;
  REQUIRE(get(&f) == CKR_OK);
  CK_RV init = f->C_Initialize(nullptr);
  CHECK((init == CKR_OK || init == CKR_CRYPTOKI_ALREADY_INITIALIZED));
  auto tokens = hsm.module->ListTokens();
  REQUIRE(tokens);
  CK_SLOT_ID slot = 0;
  for (const auto& t : *tokens) {
    if (t.label == token->label()) slot = t.slot;
  }
  CK_SESSION_HANDLE s = 0;
  REQUIRE(f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s) == CKR_OK);
  std::string pin = "123456";
  CK_RV login = f->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
  CHECK((login == CKR_OK || login == CKR_USER_ALREADY_LOGGED_IN));
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  std::string label = "raw-key";
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, label.data(), label.size()}};
  REQUIRE(f->C_FindObjectsInit(s, tmpl, 2) == CKR_OK);
  CK_OBJECT_HANDLE obj = 0;
  CK_ULONG n = 0;
  REQUIRE(f->C_FindObjects(s, &obj, 1, &n) == CKR_OK);
  f->C_FindObjectsFinal(s);
  REQUIRE(n == 1);
  uint8_t buf[256];
  CK_ATTRIBUTE value{CKA_VALUE, buf, sizeof buf};
  CHECK(f->C_GetAttributeValue(s, obj, &value, 1) == CKR_ATTRIBUTE_SENSITIVE);
  CHECK(value.ulValueLen == CK_UNAVAILABLE_INFORMATION);
  f->C_CloseSession(s);
  // No C_Finalize: the module is shared with our wrapper in this process.
}

TEST_CASE("PKCS#11: keys persist and are found by label or id in a reopened token", "[keys][pkcs11]") {
  auto& hsm = SoftHsm::Get();
  auto token = hsm.NewToken("persist");
  const std::string label = token->label();
  Bytes id{1, 2, 3, 4};
  std::string key_id;
  {
    auto key = token->GenerateKey({Alg::kES256, "ds-2026", id});
    REQUIRE(key);
    key_id = key->key_id();
    auto dup = token->GenerateKey({Alg::kES256, "ds-2026", {}});
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == Errc::kState);
  }
  token.reset();
  auto reopened = hsm.module->OpenToken(label, SecretText::FromString("123456"));
  REQUIRE(reopened);
  auto by_label = (*reopened)->FindKey("ds-2026");
  REQUIRE(by_label);
  CHECK(by_label->key_id() == key_id);
  auto by_id = (*reopened)->FindKeyById(id);
  REQUIRE(by_id);
  CHECK(by_id->key_id() == key_id);
  auto labels = (*reopened)->ListKeyLabels();
  REQUIRE(labels);
  CHECK(*labels == std::vector<std::string>{"ds-2026"});
  REQUIRE((*reopened)->DestroyKey("ds-2026"));
  CHECK((*reopened)->FindKey("ds-2026").error().code == Errc::kNotFound);
}

TEST_CASE("PKCS#11: clear errors for module, token, PIN and key", "[keys][pkcs11][negative]") {
  auto& hsm = SoftHsm::Get();
  SECTION("missing module") {
    auto m = Pkcs11Module::Load("/nonexistent/libpkcs11.so");
    REQUIRE_FALSE(m);
    CHECK(m.error().code == Errc::kNotFound);
    CHECK_THAT(m.error().message, Catch::Contains("cannot be loaded"));
    auto notp11 = Pkcs11Module::Load("libc.so.6");
    REQUIRE_FALSE(notp11);
    CHECK(notp11.error().code == Errc::kInvalidArgument);
  }
  SECTION("token not found names the tokens present") {
    auto token = hsm.NewToken("present");
    auto t = hsm.module->OpenToken("no-such-token", SecretText::FromString("123456"));
    REQUIRE_FALSE(t);
    CHECK(t.error().code == Errc::kNotFound);
    CHECK_THAT(t.error().message, Catch::Contains("no PKCS#11 token labelled 'no-such-token'"));
    CHECK_THAT(t.error().message, Catch::Contains(token->label()));
  }
  SECTION("wrong PIN") {
    auto token = hsm.NewToken("pin", "right-pin");
    const std::string label = token->label();
    // While our first session is logged in, PKCS#11 would not look at the PIN; we still refuse a wrong one.
    auto t = hsm.module->OpenToken(label, SecretText::FromString("wrong-pin"));
    REQUIRE_FALSE(t);
    CHECK(t.error().code == Errc::kPermission);
    CHECK_THAT(t.error().message, Catch::Contains("wrong PIN for token '" + label + "'"));
    CHECK(hsm.module->OpenToken(label, SecretText::FromString("right-pin")));
    // With every session closed the token itself checks the PIN (CKR_PIN_INCORRECT).
    token.reset();
    auto t2 = hsm.module->OpenToken(label, SecretText::FromString("wrong-pin"));
    REQUIRE_FALSE(t2);
    CHECK(t2.error().code == Errc::kPermission);
    CHECK_THAT(t2.error().message, Catch::Contains("wrong PIN"));
    CHECK(hsm.module->OpenToken(label, SecretText::FromString("right-pin")));
  }
  SECTION("missing key") {
    auto token = hsm.NewToken("nokey");
    auto k = token->FindKey("absent");
    REQUIRE_FALSE(k);
    CHECK(k.error().code == Errc::kNotFound);
    CHECK_THAT(k.error().message, Catch::Contains("no private key labelled 'absent'"));
    CHECK(token->FindKeyById(Bytes{9, 9}).error().code == Errc::kNotFound);
    CHECK(token->GenerateKey({Alg::kES384, "p384", {}}).error().code == Errc::kUnsupported);
  }
  SECTION("initialising a label twice") {
    auto token = hsm.NewToken("twice");
    auto st = hsm.module->InitToken(token->label(), SecretText::FromString("so"), SecretText::FromString("1234"));
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::kState);
  }
}

TEST_CASE("PKCS#11: a key that is or ever was extractable or not sensitive is refused", "[keys][pkcs11][negative]") {
  auto& hsm = SoftHsm::Get();
  auto token = hsm.NewToken("extractable");
  RawSession raw(hsm, *token);
  auto expect_refused = [&](const std::string& label, const char* attribute) {
    INFO(label);
    auto k = token->FindKey(label);
    REQUIRE_FALSE(k);
    CHECK(k.error().code == Errc::kPermission);
    CHECK_THAT(k.error().message, Catch::Contains(attribute));
    CHECK_THAT(k.error().message, Catch::Contains("refusing"));
  };
  SECTION("extractable") {
    raw.GenerateP256("ext", true, true);
    expect_refused("ext", "CKA_EXTRACTABLE=TRUE");
  }
  SECTION("not sensitive") {
    raw.GenerateP256("plain", false, false);
    expect_refused("plain", "CKA_SENSITIVE=FALSE");
  }
  SECTION("generated extractable, locked down afterwards: a copy may exist outside") {
    CK_OBJECT_HANDLE o = raw.GenerateP256("later", true, true);
    REQUIRE(raw.SetBool(o, CKA_EXTRACTABLE, false) == CKR_OK);
    CHECK_FALSE(raw.GetBool(o, CKA_EXTRACTABLE));
    CHECK_FALSE(raw.GetBool(o, CKA_NEVER_EXTRACTABLE));
    expect_refused("later", "CKA_NEVER_EXTRACTABLE=FALSE");
  }
  SECTION("generated not sensitive, made sensitive afterwards") {
    CK_OBJECT_HANDLE o = raw.GenerateP256("late-sensitive", false, false);
    REQUIRE(raw.SetBool(o, CKA_SENSITIVE, true) == CKR_OK);
    CHECK(raw.GetBool(o, CKA_SENSITIVE));
    CHECK_FALSE(raw.GetBool(o, CKA_ALWAYS_SENSITIVE));
    expect_refused("late-sensitive", "CKA_ALWAYS_SENSITIVE=FALSE");
  }
  SECTION("the same attributes as GenerateKey are accepted") {
    raw.GenerateP256("good", true, false);
    auto k = token->FindKey("good");
    REQUIRE(k);
    CHECK(k->Sign(AsBytes("x")));
  }
}
