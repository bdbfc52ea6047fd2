// The wallet on a PKCS#11 keystore (a real SoftHSM2 token in a temporary folder): the PIN record, the
// attempt counter, the wrap factor and the device keys live on the token, so restoring an old copy of the
// app-data folder does not reset the counter; presentations are signed in the token and verify.
#include <atomic>
#include <filesystem>
#include <fstream>

#include "mdoc/mdoc_test_util.h"
#include "storage/storage_test_util.h"
#include "wathiq/keys/pkcs11.h"
#include "wathiq/verifier/presentation.h"
#include "wathiq/verifier/state.h"
#include "wathiq/wallet/pkcs11_keystore.h"
#include "wathiq/wallet/store.h"

// SoftHSM2 2.6 leaks inside the module; not ours (as in tests/keys/pkcs11_test.cc).
extern "C" const char* __lsan_default_suppressions() { return "leak:libsofthsm2.so\n"; }

using namespace wathiq;
using namespace wathiq::test;
using ::wathiq::test::TempDir;

namespace {

namespace fs = std::filesystem;

#define REQUIRE_OK(expr)                                      \
  do {                                                        \
    auto&& wq_r_ = (expr);                                    \
    INFO((wq_r_ ? std::string() : wq_r_.error().ToString())); \
    REQUIRE(wq_r_.has_value());                               \
  } while (0)

keys::SecretText Pin(std::string_view p) { return keys::SecretText::FromString(p); }

struct SoftHsm {
  std::string dir;
  std::shared_ptr<keys::Pkcs11Module> module;
  SoftHsm() {
    std::string tmpl = (fs::temp_directory_path() / "wathiq-wallet-softhsm-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    fs::create_directory(dir + "/tokens");
    std::ofstream(dir + "/softhsm2.conf") << "directories.tokendir = " << dir << "/tokens\n"
                                          << "objectstore.backend = file\nlog.level = ERROR\n";
    setenv("SOFTHSM2_CONF", (dir + "/softhsm2.conf").c_str(), 1);
    auto m = keys::Pkcs11Module::Load(std::string(keys::kSoftHsmModulePath));
    if (!m) {
      std::fprintf(stderr, "%s\n", m.error().ToString().c_str());
      std::abort();
    }
    module = *m;
  }
  ~SoftHsm() {
    module.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static SoftHsm& Get() {
    static SoftHsm hsm;
    return hsm;
  }
  std::shared_ptr<keys::Pkcs11Token> NewToken() {
    static std::atomic<int> n{0};
    std::string label = "wallet-" + std::to_string(++n);
    REQUIRE_OK(module->InitToken(label, Pin("so-pin-1"), Pin("device-pin")));
    auto t = module->OpenToken(label, Pin("device-pin"));
    REQUIRE_OK(t);
    return *t;
  }
};

wallet::Pkcs11KeystoreOptions FastKdf() {
  wallet::Pkcs11KeystoreOptions o;
  o.kdf = keys::KdfParams::Min();
  return o;
}

}  // namespace

TEST_CASE("pkcs11 keystore: a wallet whose counter, wrap factor and device keys are on the token",
          "[wallet][keystore][pkcs11]") {
  auto token = SoftHsm::Get().NewToken();
  auto ks = wallet::Pkcs11Keystore::Open(token, FastKdf());
  REQUIRE_OK(ks);
  TempDir tmp;
  std::string app = (tmp / "app-data");
  auto pki = MustMakeTestPki();
  int64_t id = 0;
  {
    auto w = wallet::Wallet::Create(app, **ks, Pin("123456"));
    REQUIRE_OK(w);
    auto dk = w->NewDeviceKey();
    REQUIRE_OK(dk);
    // The device key was generated in the token and cannot be read out.
    auto labels = token->ListKeyLabels();
    REQUIRE_OK(labels);
    REQUIRE(labels->size() == 1);
    auto info = token->InspectKey(labels->front());
    REQUIRE_OK(info);
    CHECK_FALSE(info->extractable);
    CHECK_FALSE(info->value_readable);
    const auto& a = pki.agency("paci");
    auto issuer = mdoc::DocumentSigner::Create(a.ds_key, a.ds_cert.der());
    REQUIRE_OK(issuer);
    auto req = CivilIdRequest(pki, dk->public_key);
    req.status.reset();
    req.validity.valid_until = req.validity.valid_from + 3 * kDay;
    auto b = issuer->Issue(req);
    REQUIRE_OK(b);
    auto s = w->Import(*b, *pki.trust_list, kPkiNow);
    REQUIRE_OK(s);
    id = s->id;
    wallet::PresentOptions o;
    o.now = kPkiNow;
    auto q = w->Present(id, {"age_over_18", {}}, o);
    REQUIRE_OK(q);
    verifier::MemoryState state;
    verifier::Policy p;
    p.now = kPkiNow + 2;
    auto r = verifier::VerifyPresentation(q->presentation.text, *pki.trust_list, nullptr, state, p);
    REQUIRE_OK(r);
    CHECK(r->verdict == verifier::Verdict::kValid);
  }

  // Restoring an old copy of the app-data folder does not reset the counter: it is on the token.
  std::string copy = (tmp / "app-data-copy");
  fs::copy(app, copy, fs::copy_options::recursive);
  for (int i = 0; i < 4; ++i) {
    auto r = wallet::Wallet::Open(app, **ks, Pin("000000"), kPkiNow);
    REQUIRE_FALSE(r);
    CHECK(r.error().reason_code() == "wrong_pin");
  }
  fs::remove_all(app);
  fs::copy(copy, app, fs::copy_options::recursive);
  // A new keystore object over the same token (a restarted app) sees the same count.
  auto again = wallet::Pkcs11Keystore::Open(token, FastKdf());
  REQUIRE_OK(again);
  auto locked = wallet::Wallet::Open(app, **again, Pin("123456"), kPkiNow + 30);
  REQUIRE_FALSE(locked);
  CHECK(locked.error().reason_code() == "pin_wait");
  auto st = (*again)->State(kPkiNow + 30);
  REQUIRE_OK(st);
  CHECK(st->failures == 4);
  CHECK(st->locked_until == kPkiNow + 60);

  // After the wait: the right PIN opens it; change of PIN on the token; the old PIN stops working.
  {
    auto w = wallet::Wallet::Open(app, **again, Pin("123456"), kPkiNow + 60);
    REQUIRE_OK(w);
    CHECK(w->List()->size() == 1);
    REQUIRE_OK(w->ChangePin(Pin("123456"), Pin("24681357"), kPkiNow + 61));
  }
  auto old = wallet::Wallet::Open(app, **again, Pin("123456"), kPkiNow + 62);
  REQUIRE_FALSE(old);
  CHECK(old.error().reason_code() == "wrong_pin");
  auto w = wallet::Wallet::Open(app, **again, Pin("24681357"), kPkiNow + 63);
  REQUIRE_OK(w);
  REQUIRE_OK(w->Delete(id));
  CHECK((*again)->DeviceKeys()->empty());
}

TEST_CASE("pkcs11 keystore: token data objects and the HMAC factor", "[wallet][keystore][pkcs11][negative]") {
  auto token = SoftHsm::Get().NewToken();
  CHECK(token->ReadData("nothing").error().code == Errc::kNotFound);
  REQUIRE_OK(token->WriteData("rec", AsBytes("one")));
  REQUIRE_OK(token->WriteData("rec", AsBytes("two")));
  auto v = token->ReadData("rec");
  REQUIRE_OK(v);
  CHECK(AsString(*v) == "two");
  REQUIRE_OK(token->GenerateHmacKey("f"));
  CHECK_FALSE(token->GenerateHmacKey("f"));  // the label is taken
  auto m1 = token->TokenHmacSha256("f", AsBytes("salt"));
  auto m2 = token->TokenHmacSha256("f", AsBytes("salt"));
  auto m3 = token->TokenHmacSha256("f", AsBytes("other"));
  REQUIRE_OK(m1);
  REQUIRE_OK(m2);
  REQUIRE_OK(m3);
  CHECK(*m1 == *m2);
  CHECK(*m1 != *m3);
  CHECK(token->TokenHmacSha256("missing", AsBytes("x")).error().code == Errc::kNotFound);
  // Another token's keystore (no factor key there) cannot open this wallet's wrap: not_provisioned.
  auto other = wallet::Pkcs11Keystore::Open(SoftHsm::Get().NewToken(), FastKdf());
  REQUIRE_OK(other);
  auto st = (*other)->Unlock(Pin("123456"), kPkiNow);
  REQUIRE_FALSE(st);
  CHECK(st.error().reason_code() == "not_provisioned");
}
