// The callback keystore (wallet/callback_keystore.h) under the wallet library, with a platform written in
// C++ over software keys: the forms the C test does not use (SubjectPublicKeyInfo public keys, raw r||s
// signatures), the full PIN schedule to the block, and a store on it presenting for the verifier library.
// The C ABI over the same class is tested from C in tests/mobile_bridge/wallet_c_test.c.
#include <map>

#include "mdoc/mdoc_test_util.h"
#include "wathiq/verifier/presentation.h"
#include "wathiq/verifier/state.h"
#include "wathiq/wallet/callback_keystore.h"
#include "wathiq/wallet/store.h"

using namespace wathiq;
using namespace wathiq::test;

namespace {

// The platform: state and keys in memory; public keys as SPKI, signatures raw (as core's signers give them).
struct Platform {
  Bytes state;
  bool has_state = false;
  Bytes factor_key = RandomBytes(32);
  std::map<std::string, std::unique_ptr<Signer>> keys;
  int next = 0;

  static Platform& Of(void* ctx) { return *static_cast<Platform*>(ctx); }
  static int StateRead(void* ctx, uint8_t* buf, size_t cap, size_t* len) {
    Platform& p = Of(ctx);
    if (!p.has_state) return wallet::kCallbackNotFound;
    if (p.state.size() > cap) return 9;
    std::copy(p.state.begin(), p.state.end(), buf);
    *len = p.state.size();
    return 0;
  }
  static int StateWrite(void* ctx, const uint8_t* data, size_t len) {
    Platform& p = Of(ctx);
    p.state.assign(data, data + len);
    p.has_state = true;
    return 0;
  }
  static int Factor(void* ctx, const uint8_t* in, size_t len, uint8_t* out) {
    Bytes mac = HmacSha256(Of(ctx).factor_key, ByteView(in, len));
    std::copy(mac.begin(), mac.end(), out);
    return 0;
  }
  static int Create(void* ctx, char* id, size_t id_cap, size_t* id_len, uint8_t* pub, size_t pub_cap, size_t* pub_len) {
    Platform& p = Of(ctx);
    auto k = GenerateSoftwareSigner(Alg::kES256);
    if (!k) return 3;
    auto spki = (*k)->public_key()->ToSpki();
    std::string name = "key." + std::to_string(p.next++);
    if (!spki || name.size() > id_cap || spki->size() > pub_cap) return 4;
    std::copy(name.begin(), name.end(), id);
    *id_len = name.size();
    std::copy(spki->begin(), spki->end(), pub);
    *pub_len = spki->size();
    p.keys[name] = std::move(*k);
    return 0;
  }
  static int Sign(void* ctx, const char* id, size_t id_len, const uint8_t* msg, size_t msg_len, uint8_t* sig,
                  size_t cap, size_t* sig_len) {
    Platform& p = Of(ctx);
    auto it = p.keys.find(std::string(id, id_len));
    if (it == p.keys.end()) return wallet::kCallbackNotFound;
    auto s = it->second->Sign(ByteView(msg, msg_len));
    if (!s || s->size() > cap) return 5;
    std::copy(s->begin(), s->end(), sig);
    *sig_len = s->size();
    return 0;
  }
  static int List(void* ctx, void* sink, int (*emit)(void*, const char*, size_t, const uint8_t*, size_t)) {
    for (auto& [name, key] : Of(ctx).keys) {
      auto spki = key->public_key()->ToSpki();
      if (!spki) return 6;
      if (emit(sink, name.data(), name.size(), spki->data(), spki->size()) != 0) break;
    }
    return 0;
  }
  static int Delete(void* ctx, const char* id, size_t id_len) {
    return Of(ctx).keys.erase(std::string(id, id_len)) ? 0 : wallet::kCallbackNotFound;
  }

  wallet::KeystoreCallbacks Table() {
    wallet::KeystoreCallbacks cb;
    cb.ctx = this;
    cb.state_read = StateRead;
    cb.state_write = StateWrite;
    cb.device_factor = Factor;
    cb.create_key = Create;
    cb.sign = Sign;
    cb.list_keys = List;
    cb.delete_key = Delete;
    return cb;
  }
};

keys::SecretText Pin(std::string_view p) { return keys::SecretText::FromString(p); }

wallet::CallbackKeystoreOptions Fast() {
  wallet::CallbackKeystoreOptions o;
  o.kdf = keys::KdfParams::Min();  // the schedule, not the hash cost, is under test
  return o;
}

}  // namespace

TEST_CASE("callback keystore: SPKI keys and raw signatures, a store on it, presentations the verifier accepts",
          "[wallet][keystore][callback]") {
  TempDir tmp("callback-ks");
  Platform platform;
  auto ks = wallet::CallbackKeystore::Open(platform.Table(), Fast());
  REQUIRE(ks);
  auto w = wallet::Wallet::Create(tmp / "app", **ks, Pin("123456"));
  REQUIRE(w);
  TestPki pki = MustMakeTestPki();
  auto dk = w->NewDeviceKey();
  REQUIRE(dk);
  CHECK(dk->key_id == *keys::KeyIdForPublicKey(dk->public_key));
  const auto& paci = pki.agency("paci");
  auto issuer = mdoc::DocumentSigner::Create(paci.ds_key, paci.ds_cert.der());
  REQUIRE(issuer);
  auto req = CivilIdRequest(pki, dk->public_key);
  req.status.reset();  // no status list: valid for at most 72 h, so the verdict is valid offline
  req.validity = {pki.now - 3600, pki.now - 3600, pki.now + 2 * kDay};
  auto cred = issuer->Issue(req);
  REQUIRE(cred);
  auto s = w->Import(*cred, *pki.trust_list, pki.now);
  INFO((s ? std::string() : s.error().ToString()));
  REQUIRE(s);
  auto q = w->Present(s->id, {"age_over_18", {}}, {nullptr, pki.now, std::nullopt});
  REQUIRE(q);
  verifier::MemoryState state;
  verifier::Policy policy;
  policy.now = pki.now + 2;
  auto report = verifier::VerifyPresentation(q->presentation.text, *pki.trust_list, nullptr, state, policy);
  REQUIRE(report);
  CHECK(report->verdict == verifier::Verdict::kValid);

  // The signer from DeviceSigner checks each platform signature; a wrong key id is unknown_device_key.
  auto signer = (*ks)->DeviceSigner(dk->key_id);
  REQUIRE(signer);
  auto sig = (*signer)->Sign(AsBytes("message"));
  REQUIRE(sig);
  CHECK(sig->size() == 64);
  auto bad = (*ks)->DeviceSigner("0000000000000000");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().reason_code() == "unknown_device_key");
  // EdDSA is not what platform keystores make.
  auto ed = (*ks)->CreateDeviceKey(Alg::kEdDSA);
  REQUIRE_FALSE(ed);
  CHECK(ed.error().code == Errc::kUnsupported);
}

TEST_CASE("callback keystore: the schedule runs on the platform's counter, to the block",
          "[wallet][keystore][callback][negative]") {
  Platform platform;
  auto ks = wallet::CallbackKeystore::Open(platform.Table(), Fast());
  REQUIRE(ks);
  REQUIRE((*ks)->Provision(SecureBuffer(RandomBytes(32)), Pin("123456")));
  auto again = (*ks)->Provision(SecureBuffer(RandomBytes(32)), Pin("123456"));
  REQUIRE_FALSE(again);
  CHECK(again.error().reason_code() == "already_provisioned");
  int64_t t = kPkiNow;
  const int64_t waits[] = {60, 300, 3600};
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 4; ++i) {
      auto r = (*ks)->Unlock(Pin("000000"), t);
      REQUIRE_FALSE(r);
      CHECK(r.error().reason_code() == "wrong_pin");
    }
    if (round < 3) {
      auto r = (*ks)->Unlock(Pin("123456"), t + 1);
      REQUIRE_FALSE(r);
      CHECK(r.error().reason_code() == "pin_wait");
      t += waits[round];
    }
  }
  auto st = (*ks)->State(t);
  REQUIRE(st);
  CHECK(st->blocked);
  // A fresh object over the same platform state: still blocked (the counter is the platform's).
  auto reopened = wallet::CallbackKeystore::Open(platform.Table(), Fast());
  REQUIRE(reopened);
  auto r = (*reopened)->Unlock(Pin("123456"), t + 365 * kDay);
  REQUIRE_FALSE(r);
  CHECK(r.error().reason_code() == "pin_blocked");
}

TEST_CASE("callback keystore: an incomplete table and a damaged state are refused at open",
          "[wallet][keystore][callback][negative]") {
  Platform platform;
  auto cb = platform.Table();
  cb.list_keys = nullptr;
  auto missing = wallet::CallbackKeystore::Open(cb);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::kInvalidArgument);
  platform.state = {0xa1, 0x61, 0x76};  // truncated CBOR
  platform.has_state = true;
  auto damaged = wallet::CallbackKeystore::Open(platform.Table());
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().reason_code() == "keystore_damaged");
}
