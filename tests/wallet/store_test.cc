// The wallet core: the file keystore's PIN schedule and counter (outside the app-data folder), the SQLCipher
// store on disk, import with full verification and its refusals, show with catalogue labels, presentations
// from the store accepted by the verifier, change of PIN, delete. Real files, a real test PKI, an injected
// clock (nothing sleeps).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "mdoc/mdoc_test_util.h"
#include "storage/storage_test_util.h"
#include "wathiq/verifier/presentation.h"
#include "wathiq/verifier/state.h"
#include "wathiq/wallet/keystore.h"
#include "wathiq/wallet/qr_render.h"
#include "wathiq/wallet/store.h"

using namespace wathiq;
using namespace wathiq::test;
using storage::test::Contains;
using storage::test::kArabicName;
using storage::test::kLatinName;
using storage::test::ReadRaw;
using storage::test::WriteRaw;
using ::wathiq::test::TempDir;

namespace {

namespace fs = std::filesystem;

keys::SecretText Pin(std::string_view p) { return keys::SecretText::FromString(p); }

wallet::FileKeystoreOptions FastKdf() {
  wallet::FileKeystoreOptions o;
  o.kdf = keys::KdfParams::Min();  // the schedule, not the hash cost, is under test here
  return o;
}

#define REQUIRE_OK(expr)                                      \
  do {                                                        \
    auto&& wq_r_ = (expr);                                    \
    INFO((wq_r_ ? std::string() : wq_r_.error().ToString())); \
    REQUIRE(wq_r_.has_value());                               \
  } while (0)

struct Fixture {
  TempDir tmp;
  std::string app_dir = (tmp / "app-data");
  std::string ks_dir = (tmp / "keystore");  // a sibling, never inside app-data
  std::unique_ptr<wallet::FileKeystore> ks;
  TestPki pki = MustMakeTestPki();

  Fixture() {
    auto k = wallet::FileKeystore::Open(ks_dir, FastKdf());
    REQUIRE_OK(k);
    ks = std::move(*k);
  }
  wallet::Wallet Create(std::string_view pin = "123456") {
    auto w = wallet::Wallet::Create(app_dir, *ks, Pin(pin));
    REQUIRE_OK(w);
    return std::move(*w);
  }
  wallet::Wallet Open(std::string_view pin = "123456", int64_t now = kPkiNow) {
    auto w = wallet::Wallet::Open(app_dir, *ks, Pin(pin), now);
    REQUIRE_OK(w);
    return std::move(*w);
  }
  // A civil ID issued by PACI to a fresh device key of this wallet.
  Bytes IssueTo(wallet::Wallet& w, const std::function<void(mdoc::IssueRequest&)>& edit = {},
                const std::string& agency = "paci") {
    auto dk = w.NewDeviceKey();
    REQUIRE_OK(dk);
    const auto& a = pki.agency(agency);
    auto issuer = mdoc::DocumentSigner::Create(a.ds_key, a.ds_cert.der());
    REQUIRE_OK(issuer);
    auto req = CivilIdRequest(pki, dk->public_key);
    if (edit) edit(req);
    auto bytes = issuer->Issue(req);
    REQUIRE_OK(bytes);
    return *bytes;
  }
};

void CheckRefused(wallet::Wallet& w, const Result<wallet::CredentialSummary>& r, std::string_view reason) {
  REQUIRE_FALSE(r);
  INFO(r.error().ToString());
  CHECK(r.error().reason_code() == reason);
  auto list = w.List();
  REQUIRE_OK(list);
  CHECK(list->empty());  // nothing stored
}

}  // namespace

TEST_CASE("pin schedule: four rounds of four, waits of 1 min, 5 min, 1 h, then blocked", "[wallet][keystore]") {
  wallet::PinSchedule s;
  CHECK(s.max_failures() == 16);
  auto st = wallet::ComputePinState(s, 0, 0, 1000);
  CHECK(st.attempts_left == 4);
  CHECK(st.total_attempts_left == 16);
  CHECK(st.locked_until == 0);
  st = wallet::ComputePinState(s, 3, 1000, 1000);
  CHECK(st.attempts_left == 1);
  CHECK(st.locked_until == 0);
  st = wallet::ComputePinState(s, 4, 1000, 1010);
  CHECK(st.locked_until == 1060);
  CHECK(wallet::ComputePinState(s, 4, 1000, 1060).locked_until == 0);
  CHECK(wallet::ComputePinState(s, 8, 1000, 1000).locked_until == 1300);
  CHECK(wallet::ComputePinState(s, 12, 1000, 1000).locked_until == 4600);
  CHECK(wallet::ComputePinState(s, 16, 1000, 999999999).blocked);
  // The clock moved back below the last failure: the wait counts from now, it is not skipped.
  CHECK(wallet::ComputePinState(s, 4, 5000, 100).locked_until == 160);
}

TEST_CASE("file keystore: wrong PINs are counted, waits enforced with the injected clock, then blocked",
          "[wallet][keystore][negative]") {
  Fixture f;
  auto w = f.Create();
  int64_t t = kPkiNow;
  auto wrong = [&](std::string_view expect) {
    auto r = f.ks->Unlock(Pin("000000"), t);
    REQUIRE_FALSE(r);
    INFO(r.error().ToString());
    CHECK(r.error().code == Errc::kPermission);
    CHECK(r.error().reason_code() == expect);
  };
  for (int i = 0; i < 3; ++i) wrong("wrong_pin");
  auto st = f.ks->State(t);
  REQUIRE_OK(st);
  CHECK(st->failures == 3);
  CHECK(st->attempts_left == 1);
  wrong("wrong_pin");  // 4th: a 1-minute wait starts
  st = f.ks->State(t);
  REQUIRE_OK(st);
  CHECK(st->locked_until == t + 60);
  // During the wait even the right PIN is refused, and the refusal is not counted.
  auto during = f.ks->Unlock(Pin("123456"), t + 59);
  REQUIRE_FALSE(during);
  CHECK(during.error().reason_code() == "pin_wait");
  CHECK(f.ks->State(t + 59)->failures == 4);
  // After the wait the right PIN works and resets the count.
  REQUIRE_OK(f.ks->Unlock(Pin("123456"), t + 60));
  CHECK(f.ks->State(t + 60)->failures == 0);

  // Sixteen wrong attempts, each round after its wait: blocked for good.
  const int64_t waits[] = {60, 300, 3600};
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 4; ++i) wrong("wrong_pin");
    if (round < 3) {
      wrong("pin_wait");
      t += waits[round];
    }
  }
  st = f.ks->State(t);
  REQUIRE_OK(st);
  CHECK(st->blocked);
  auto blocked = f.ks->Unlock(Pin("123456"), t + 365 * kDay);
  REQUIRE_FALSE(blocked);
  CHECK(blocked.error().reason_code() == "pin_blocked");
  auto open = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), t + 365 * kDay);
  REQUIRE_FALSE(open);
  CHECK(open.error().reason_code() == "pin_blocked");
}

TEST_CASE("file keystore: restoring an old copy of the app-data folder does not reset the counter",
          "[wallet][keystore][negative]") {
  Fixture f;
  {
    auto w = f.Create();
    REQUIRE_OK(w.Import(f.IssueTo(w), *f.pki.trust_list, kPkiNow));
  }
  std::string copy = (f.tmp / "app-data-copy");
  fs::copy(f.app_dir, copy, fs::copy_options::recursive);
  for (int i = 0; i < 4; ++i) CHECK_FALSE(wallet::Wallet::Open(f.app_dir, *f.ks, Pin("999999"), kPkiNow));
  // Roll the app data back to the copy taken before the failures.
  fs::remove_all(f.app_dir);
  fs::copy(copy, f.app_dir, fs::copy_options::recursive);
  auto r = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow + 1);
  REQUIRE_FALSE(r);
  CHECK(r.error().reason_code() == "pin_wait");
  CHECK(f.ks->State(kPkiNow + 1)->failures == 4);
  // Nothing in the app-data folder holds the counter or the key: a fresh keystore cannot open the copy.
  auto other = wallet::FileKeystore::Open((f.tmp / "other-keystore"), FastKdf());
  REQUIRE_OK(other);
  auto foreign = wallet::Wallet::Open(copy, **other, Pin("123456"), kPkiNow);
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().reason_code() == "not_provisioned");
  // ...even one provisioned with the same PIN for another wallet.
  {
    auto w2 = wallet::Wallet::Create((f.tmp / "app2"), **other, Pin("123456"));
    REQUIRE_OK(w2);
  }
  foreign = wallet::Wallet::Open(copy, **other, Pin("123456"), kPkiNow);
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().reason_code() == "wallet_key_mismatch");
  // The right keystore still opens it after the wait.
  REQUIRE_OK(wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow + 60));
}

TEST_CASE("wallet store: a real SQLCipher file with no claim value in plaintext", "[wallet][store]") {
  Fixture f;
  {
    auto w = f.Create();
    auto s = w.Import(f.IssueTo(w), *f.pki.trust_list, kPkiNow);
    REQUIRE_OK(s);
    CHECK(s->doc_type == kCivilIdDocType);
    CHECK(s->agency_id == "paci");
    CHECK_FALSE(s->doc_name_en.empty());
  }
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(f.tmp.path())) {
    if (e.is_regular_file()) all += ReadRaw(e.path().string());
  }
  REQUIRE(all.size() > 4096);
  CHECK_FALSE(Contains(all, kLatinName));
  CHECK_FALSE(Contains(all, kArabicName));
  CHECK_FALSE(Contains(all, "290010112346"));
  CHECK_FALSE(Contains(all, "SQLite format 3"));
  // Reopened: the credential is there.
  auto w = f.Open();
  auto list = w.List();
  REQUIRE_OK(list);
  REQUIRE(list->size() == 1);
  REQUIRE_OK(w.CheckIntegrity());
}

TEST_CASE("wallet store: show uses the catalogue's bilingual labels and labels coded values", "[wallet][store]") {
  Fixture f;
  auto w = f.Create();
  auto s = w.Import(f.IssueTo(w), *f.pki.trust_list, kPkiNow);
  REQUIRE_OK(s);
  auto v = w.Show(s->id);
  REQUIRE_OK(v);
  REQUIRE(v->elements.size() == CivilIdElements().size());
  CHECK(v->elements.front().id == "civil_id_number");  // catalogue order
  bool saw_sex = false, saw_gov = false;
  for (const auto& e : v->elements) {
    CHECK_FALSE(e.label_en.empty());
    CHECK_FALSE(e.label_ar.empty());
    if (e.id == "sex") {
      saw_sex = true;
      REQUIRE(e.value_label);
      CHECK(e.value_label->label_en == "Male");
    }
    if (e.id == "address_governorate") {
      saw_gov = true;
      REQUIRE(e.value_label);
      CHECK(e.value_label->label_en == "Hawalli");
    }
    if (e.id == "full_name_ar") CHECK(e.value.text() == std::string(kArabicName));
  }
  CHECK(saw_sex);
  CHECK(saw_gov);
  auto missing = w.Show(s->id + 100);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().reason_code() == "unknown_credential");
}

TEST_CASE("wallet import: every refusal names its reason and stores nothing", "[wallet][store][negative]") {
  Fixture f;
  auto w = f.Create();
  const auto& tl = *f.pki.trust_list;

  SECTION("junk") { CheckRefused(w, w.Import(Bytes(64, 0xa5), tl, kPkiNow), "malformed"); }
  SECTION("a bad issuer signature") {
    auto parsed = mdoc::ParseIssuerSigned(f.IssueTo(w));
    REQUIRE_OK(parsed);
    parsed->issuer_auth.signature[3] ^= 0x01;
    Bytes b = cbor::Encode(mdoc::IssuerSignedToValue(*parsed, nullptr, false));
    CheckRefused(w, w.Import(b, tl, kPkiNow), "bad_issuer_signature");
  }
  SECTION("an altered value (digest)") {
    Bytes b = f.IssueTo(w);
    auto pos = std::search(b.begin(), b.end(), kLatinName.begin(), kLatinName.end());
    REQUIRE(pos != b.end());
    *pos = 'N';
    CheckRefused(w, w.Import(b, tl, kPkiNow), "bad_digest");
  }
  SECTION("a signer outside the trust list") {
    auto other = MustMakeTestPki();
    const auto& a = other.agency("paci");
    auto dk = w.NewDeviceKey();
    REQUIRE_OK(dk);
    auto issuer = mdoc::DocumentSigner::Create(a.ds_key, a.ds_cert.der());
    REQUIRE_OK(issuer);
    auto b = issuer->Issue(CivilIdRequest(other, dk->public_key, f.pki.agency("paci").status_list_uri));
    REQUIRE_OK(b);
    CheckRefused(w, w.Import(*b, tl, kPkiNow), "unknown_signer");
  }
  SECTION("a signer without the right to issue the doc type") {
    CheckRefused(w, w.Import(f.IssueTo(w, {}, "moi-traffic"), tl, kPkiNow), "signer_not_authorized");
  }
  SECTION("expired") {
    CheckRefused(
        w,
        w.Import(f.IssueTo(w, [](mdoc::IssueRequest& r) { r.validity.valid_until = r.validity.valid_from + 60; }), tl,
                 kPkiNow),
        "expired");
  }
  SECTION("not yet valid") {
    CheckRefused(
        w, w.Import(f.IssueTo(w, [](mdoc::IssueRequest& r) { r.validity.valid_from = kPkiNow + kDay; }), tl, kPkiNow),
        "not_yet_valid");
  }
  SECTION("bound to a device key this wallet does not hold") {
    CheckRefused(w, w.Import(IssueCivilId(f.pki).issuer_signed, tl, kPkiNow), "device_key_not_mine");
  }
  SECTION("a doc type the catalogue does not know") {
    PkiOptions po;
    po.agencies = DefaultAgencies();
    po.agencies[0].doc_types.push_back("kw.gov.paci.unknown.1");
    auto pki2 = MustMakeTestPki(po);
    const auto& a = pki2.agency("paci");
    auto dk = w.NewDeviceKey();
    REQUIRE_OK(dk);
    auto issuer = mdoc::DocumentSigner::Create(a.ds_key, a.ds_cert.der());
    REQUIRE_OK(issuer);
    auto req = CivilIdRequest(pki2, dk->public_key);
    req.doc_type = "kw.gov.paci.unknown.1";
    auto b = issuer->Issue(req);
    REQUIRE_OK(b);
    CheckRefused(w, w.Import(*b, *pki2.trust_list, kPkiNow), "unknown_doc_type");
  }
  SECTION("an element the catalogue does not know") {
    Bytes b = f.IssueTo(w, [](mdoc::IssueRequest& r) {
      r.elements.push_back({"favourite_colour", cbor::Value::Text("blue")});
    });
    CheckRefused(w, w.Import(b, tl, kPkiNow), "unknown_element");
  }
  SECTION("the same credential twice") {
    Bytes b = f.IssueTo(w);
    REQUIRE_OK(w.Import(b, tl, kPkiNow));
    auto again = w.Import(b, tl, kPkiNow);
    REQUIRE_FALSE(again);
    CHECK(again.error().reason_code() == "duplicate_credential");
    CHECK(w.List()->size() == 1);
  }
}

TEST_CASE("wallet store: a presentation from the store verifies with the verifier library", "[wallet][store]") {
  Fixture f;
  auto w = f.Create();
  auto s = w.Import(f.IssueTo(w,
                              [](mdoc::IssueRequest& r) {
                                r.status.reset();
                                r.validity.valid_until = r.validity.valid_from + 3 * kDay;
                              }),
                    *f.pki.trust_list, kPkiNow);
  REQUIRE_OK(s);
  verifier::MemoryState state;
  verifier::Policy p;
  p.now = kPkiNow + 2;

  wallet::PresentOptions o;
  o.now = kPkiNow;
  auto q = w.Present(s->id, {"checkpoint_identity", {}}, o);
  REQUIRE_OK(q);
  auto r = verifier::VerifyPresentation(q->presentation.text, *f.pki.trust_list, nullptr, state, p);
  REQUIRE_OK(r);
  CHECK(r->verdict == verifier::Verdict::kValid);
  REQUIRE(r->documents.size() == 1);
  CHECK(r->documents[0].elements().size() == 6);

  // Answering a challenge this verifier showed.
  auto c = mdoc::qr::NewChallenge("Checkpoint 7");
  REQUIRE_OK(state.RecordChallenge({c.nonce, kPkiNow, 0}));
  o.challenge_text = mdoc::qr::EncodeChallenge(c);
  auto qc = w.Present(s->id, {"", {"age_over_18"}}, o);
  REQUIRE_OK(qc);
  auto rc = verifier::VerifyPresentation(qc->presentation.text, *f.pki.trust_list, nullptr, state, p);
  REQUIRE_OK(rc);
  CHECK(rc->verdict == verifier::Verdict::kValid);
  CHECK(rc->challenge_mode);

  CHECK_FALSE(w.Present(s->id + 1, {"checkpoint_identity", {}}, o));
}

TEST_CASE("wallet store: change PIN re-wraps, the old PIN stops working, delete removes", "[wallet][store]") {
  Fixture f;
  int64_t id = 0;
  {
    auto w = f.Create();
    auto s = w.Import(f.IssueTo(w), *f.pki.trust_list, kPkiNow);
    REQUIRE_OK(s);
    id = s->id;
    auto bad = w.ChangePin(Pin("111111"), Pin("654321"), kPkiNow);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().reason_code() == "wrong_pin");
    auto short_pin = w.ChangePin(Pin("123456"), Pin("12"), kPkiNow);
    REQUIRE_FALSE(short_pin);
    CHECK(short_pin.error().reason_code() == "bad_pin");
    REQUIRE_OK(w.ChangePin(Pin("123456"), Pin("654321"), kPkiNow));
  }
  auto old = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow);
  REQUIRE_FALSE(old);
  CHECK(old.error().reason_code() == "wrong_pin");
  auto w = f.Open("654321");
  REQUIRE(w.List()->size() == 1);
  auto keys_before = f.ks->DeviceKeys();
  REQUIRE_OK(keys_before);
  REQUIRE_OK(w.Delete(id));
  CHECK(w.List()->empty());
  CHECK(f.ks->DeviceKeys()->size() == keys_before->size() - 1);  // its device key went with it
  auto again = w.Delete(id);
  REQUIRE_FALSE(again);
  CHECK(again.error().reason_code() == "unknown_credential");
}

TEST_CASE("wallet store: a truncated or corrupted database is a clear error, never a crash",
          "[wallet][store][negative]") {
  Fixture f;
  {
    auto w = f.Create();
    for (int i = 0; i < 3; ++i) REQUIRE_OK(w.Import(f.IssueTo(w), *f.pki.trust_list, kPkiNow));
  }
  std::string db = f.app_dir + "/wallet.db";
  std::string good = ReadRaw(db);
  REQUIRE(good.size() >= 2 * 4096);
  SECTION("truncated mid-page") {
    WriteRaw(db, std::string_view(good).substr(0, good.size() - 1000));
    auto r = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow);
    REQUIRE_FALSE(r);
    INFO(r.error().ToString());
    CHECK(r.error().code == Errc::kMalformed);
    CHECK(r.error().reason_code() == "wallet_damaged");
  }
  SECTION("empty") {
    WriteRaw(db, "");
    auto r = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMalformed);
  }
  SECTION("a flipped byte in a data page") {
    std::string bad = good;
    bad[good.size() - 2000] ^= 0x40;
    WriteRaw(db, bad);
    auto r = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow);
    if (r) {
      auto list = r->List();
      auto check = r->CheckIntegrity();
      CHECK((!list || !check));
      if (!check) CHECK(check.error().code == Errc::kMalformed);
    } else {
      INFO(r.error().ToString());
      CHECK((r.error().code == Errc::kMalformed || r.error().code == Errc::kPermission));
    }
  }
}

TEST_CASE("wallet store: kill -9 during imports leaves each credential whole or absent", "[wallet][store][negative]") {
  Fixture f;
  constexpr int kCreds = 12;
  std::vector<Bytes> creds;
  {
    auto w = f.Create();
    for (int i = 0; i < kCreds; ++i) creds.push_back(f.IssueTo(w));
  }
  const int delays_us[] = {0, 2000, 8000, 20000, 60000};
  for (int delay : delays_us) {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // No Catch macros in the child: it reports only through its exit status.
      auto w = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow);
      if (!w) _exit(2);
      for (const auto& c : creds) (void)w->Import(c, *f.pki.trust_list, kPkiNow);
      _exit(0);
    }
    usleep(static_cast<useconds_t>(delay));
    kill(child, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    auto w = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow);
    REQUIRE_OK(w);
    REQUIRE_OK(w->CheckIntegrity());
    auto list = w->List();
    REQUIRE_OK(list);
    CHECK(list->size() <= static_cast<size_t>(kCreds));
    for (const auto& s : *list) {
      auto v = w->Show(s.id);
      REQUIRE_OK(v);
      CHECK(v->elements.size() == CivilIdElements().size());
    }
  }
}

TEST_CASE("wallet batches: single-use credentials, each presented once, unlinkable keys, refill asked",
          "[wallet][store][batch]") {
  Fixture f;
  wallet::WalletOptions wo;
  wo.refill_below = 2;
  {
    auto w = wallet::Wallet::Create(f.app_dir, *f.ks, Pin("123456"), wo);
    REQUIRE_OK(w);
  }
  auto w = wallet::Wallet::Open(f.app_dir, *f.ks, Pin("123456"), kPkiNow, wo);
  REQUIRE_OK(w);
  auto short_lived = [](mdoc::IssueRequest& r) {
    r.status.reset();
    r.validity.valid_until = r.validity.valid_from + 3 * kDay;
  };
  constexpr int kBatch = 5;
  for (int i = 0; i < kBatch; ++i) {
    REQUIRE_OK(w->Import(f.IssueTo(*w, short_lived), *f.pki.trust_list, kPkiNow, {"civil-id"}));
  }
  // An ordinary credential beside the batch is not part of it.
  REQUIRE_OK(w->Import(f.IssueTo(*w, short_lived), *f.pki.trust_list, kPkiNow));
  auto b = w->Batch("civil-id", kPkiNow);
  REQUIRE_OK(b);
  CHECK(b->total == kBatch);
  CHECK(b->unused == kBatch);
  CHECK_FALSE(b->needs_refill);

  verifier::MemoryState state;
  verifier::Policy p;
  p.now = kPkiNow + 2;
  wallet::PresentOptions o;
  o.now = kPkiNow;
  std::set<Bytes> device_keys;
  for (int i = 0; i < kBatch; ++i) {
    auto q = w->PresentFromBatch("civil-id", {"age_over_18", {}}, o);
    REQUIRE_OK(q);
    auto r = verifier::VerifyPresentation(q->presentation.text, *f.pki.trust_list, nullptr, state, p);
    REQUIRE_OK(r);
    REQUIRE(r->verdict == verifier::Verdict::kValid);
    device_keys.insert(r->documents[0].device_key().raw());
    auto env = mdoc::qr::ParseEnvelope(q->presentation.text);
    REQUIRE_OK(env);
  }
  CHECK(device_keys.size() == kBatch);  // no two presentations share a device key
  b = w->Batch("civil-id", kPkiNow);
  REQUIRE_OK(b);
  CHECK(b->unused == 0);
  CHECK(b->needs_refill);
  auto out = w->PresentFromBatch("civil-id", {"age_over_18", {}}, o);
  REQUIRE_FALSE(out);
  CHECK(out.error().reason_code() == "batch_exhausted");
  // A spent one cannot be presented by id either.
  auto list = w->List();
  REQUIRE_OK(list);
  for (const auto& s : *list) {
    if (s.batch.empty()) continue;
    CHECK(s.used_at == kPkiNow);
    auto again = w->Present(s.id, {"age_over_18", {}}, o);
    REQUIRE_FALSE(again);
    CHECK(again.error().reason_code() == "single_use_spent");
  }
  // A batch credential must have a key of its own.
  auto dk = w->NewDeviceKey();
  REQUIRE_OK(dk);
  const auto& a = f.pki.agency("paci");
  auto issuer = mdoc::DocumentSigner::Create(a.ds_key, a.ds_cert.der());
  REQUIRE_OK(issuer);
  auto first = issuer->Issue(CivilIdRequest(f.pki, dk->public_key));
  auto second = issuer->Issue(CivilIdRequest(f.pki, dk->public_key));
  REQUIRE_OK(first);
  REQUIRE_OK(second);
  REQUIRE_OK(w->Import(*first, *f.pki.trust_list, kPkiNow, {"refill"}));
  auto reused = w->Import(*second, *f.pki.trust_list, kPkiNow, {"refill"});
  REQUIRE_FALSE(reused);
  CHECK(reused.error().reason_code() == "device_key_reused");
}

// Figures for the closing note (hidden: run with `wallet_store_test "[.figures]"`): unlock time at the
// default Argon2id cost, presentation build time from the store, database size per credential.
TEST_CASE("wallet figures: unlock time, presentation time, size per credential", "[.figures]") {
  TempDir tmp;
  auto pki = MustMakeTestPki();
  auto ks = wallet::FileKeystore::Open((tmp / "keystore"));  // default cost: opslimit 3, 64 MiB
  REQUIRE_OK(ks);
  std::string app = (tmp / "app");
  { REQUIRE_OK(wallet::Wallet::Create(app, **ks, Pin("123456"))); }
  using Clock = std::chrono::steady_clock;
  constexpr int kUnlocks = 5;
  auto t0 = Clock::now();
  for (int i = 0; i < kUnlocks; ++i) REQUIRE_OK(wallet::Wallet::Open(app, **ks, Pin("123456"), kPkiNow));
  double unlock_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / kUnlocks;
  auto w = wallet::Wallet::Open(app, **ks, Pin("123456"), kPkiNow);
  REQUIRE_OK(w);
  auto empty_size = fs::file_size(app + "/wallet.db");
  constexpr int kCreds = 50;
  int64_t last = 0;
  for (int i = 0; i < kCreds; ++i) {
    auto dk = w->NewDeviceKey();
    REQUIRE_OK(dk);
    const auto& a = pki.agency("paci");
    auto issuer = mdoc::DocumentSigner::Create(a.ds_key, a.ds_cert.der());
    REQUIRE_OK(issuer);
    auto b = issuer->Issue(CivilIdRequest(pki, dk->public_key));
    REQUIRE_OK(b);
    auto s = w->Import(*b, *pki.trust_list, kPkiNow);
    REQUIRE_OK(s);
    last = s->id;
  }
  REQUIRE_OK(w->CheckIntegrity());
  auto full_size = fs::file_size(app + "/wallet.db") +
                   (fs::exists(app + "/wallet.db-wal") ? fs::file_size(app + "/wallet.db-wal") : 0);
  wallet::PresentOptions o;
  o.now = kPkiNow;
  constexpr int kPresents = 50;
  t0 = Clock::now();
  for (int i = 0; i < kPresents; ++i) REQUIRE_OK(w->Present(last, {"checkpoint_identity", {}}, o));
  double present_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / kPresents;
  { wallet::Wallet closing = std::move(*w); }  // the last connection closes: its WAL goes into the file
  auto closed_size = fs::file_size(app + "/wallet.db");
  WARN("db file after close: " << closed_size << " bytes = " << (closed_size - empty_size) / kCreds
                               << " bytes per credential");
  w = wallet::Wallet::Open(app, **ks, Pin("123456"), kPkiNow);
  REQUIRE_OK(w);
  // QR versions from a batch credential (status reference in the MSO, x5chain dropped as in QR-PROFILE).
  for (int i = 0; i < 2; ++i) {
    auto dk = w->NewDeviceKey();
    REQUIRE_OK(dk);
    const auto& a = pki.agency("paci");
    auto issuer = mdoc::DocumentSigner::Create(a.ds_key, a.ds_cert.der());
    REQUIRE_OK(issuer);
    auto b = issuer->Issue(CivilIdRequest(pki, dk->public_key));
    REQUIRE_OK(b);
    REQUIRE_OK(w->Import(*b, *pki.trust_list, kPkiNow, {"figures"}));
  }
  auto q3 = w->PresentFromBatch("figures", {"", {"full_name_ar", "full_name_en", "age_over_18"}}, o);
  auto q6 = w->PresentFromBatch("figures", {"checkpoint_identity", {}}, o);
  REQUIRE_OK(q3);
  REQUIRE_OK(q6);
  auto c3 = wallet::EncodeQr(q3->presentation.text);
  auto c6 = wallet::EncodeQr(q6->presentation.text);
  REQUIRE_OK(c3);
  REQUIRE_OK(c6);
  WARN("QR from a batch credential: 3 elements " << q3->presentation.text.size() << " chars, version " << c3->version
                                                 << "; 6 elements " << q6->presentation.text.size()
                                                 << " chars, version " << c6->version << " (ECC M)");
  WARN("unlock (Argon2id ops 3, 64 MiB, incl. DB open + migrate): " << unlock_ms << " ms");
  WARN("present checkpoint_identity from the store (incl. keystore signer load): " << present_ms << " ms");
  WARN("db bytes: empty " << empty_size << ", with " << kCreds << " civil IDs " << full_size
                          << " (db+wal) = " << (full_size - empty_size) / kCreds << " bytes per credential");
}
