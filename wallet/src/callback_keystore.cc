// The platform keystore over the app's callbacks (wallet/callback_keystore.h).
//
// State blob, deterministic CBOR:
//   {"version": 1, "failures": uint, "last_failure": int,
//    ? "pin": {PinRecord, as pin_wrap.h}, ? "factor_check": bstr(32)}
// factor_check = HMAC-SHA256(factor(pin.salt), "wathiq wallet factor check v1"): tells a platform key that
// changed (the factor differs) from a wrong PIN, before an attempt is counted. It reveals nothing without
// the platform key.
#include "wathiq/wallet/callback_keystore.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "pin_wrap.h"
#include "wathiq/core/cbor.h"
#include "wathiq/keys/key_handle.h"

namespace wathiq::wallet {
namespace {

using cbor::Value;
using namespace internal;  // NOLINT: the shared wrap and schedule helpers

constexpr std::string_view kFactorCheckInfo = "wathiq wallet factor check v1";

Error CallbackError(int rc, std::string_view what) {
  if (rc == kCallbackCancelled)
    return Error(Errc::kPermission, "the platform keystore's " + std::string(what) + " was cancelled",
                 "keystore_cancelled");
  return Error(Errc::kIo, "the platform keystore's " + std::string(what) + " failed (code " + std::to_string(rc) + ")",
               "keystore_failed");
}

Error BadOutput(std::string message) {
  return Error(Errc::kMalformed, "the platform keystore returned " + message, "keystore_bad_output");
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxPlatformKeyId) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '-';
  });
}

// A P-256 public key as SEC1 uncompressed or DER SubjectPublicKeyInfo; anything else is refused.
Result<PublicKey> ParsePlatformKey(ByteView b) {
  Result<PublicKey> k = (!b.empty() && b[0] == 0x04) ? PublicKey::FromRaw(Curve::kP256, b) : PublicKey::FromSpki(b);
  if (!k) return Fail(BadOutput("an unusable public key: " + k.error().message));
  if (k->curve() != Curve::kP256) return Fail(BadOutput("a public key that is not on P-256"));
  return k;
}

// One DER INTEGER (positive, minimal) into `out` (32 bytes, left-padded).
bool DerInteger(ByteView& in, uint8_t* out) {
  if (in.size() < 2 || in[0] != 0x02) return false;
  size_t len = in[1];
  if (len == 0 || len > 33 || in.size() < 2 + len) return false;
  const uint8_t* p = in.data() + 2;
  if (p[0] & 0x80) return false;                             // negative
  if (len > 1 && p[0] == 0 && !(p[1] & 0x80)) return false;  // not minimal
  if (len == 33 && p[0] != 0) return false;
  if (len == 33) {
    ++p;
    --len;
  }
  std::memset(out, 0, 32);
  std::memcpy(out + (32 - len), p, len);
  in = in.subspan(2 + in[1]);
  return true;
}

// Raw r||s (64 bytes) or DER ECDSA-Sig-Value into raw r||s.
Result<Bytes> NormalizeSignature(ByteView sig) {
  if (sig.size() == 64) return Bytes(sig.begin(), sig.end());
  if (sig.size() < 8 || sig[0] != 0x30 || sig[1] != sig.size() - 2) return Fail(BadOutput("a malformed signature"));
  ByteView rest = sig.subspan(2);
  Bytes raw(64);
  if (!DerInteger(rest, raw.data()) || !DerInteger(rest, raw.data() + 32) || !rest.empty())
    return Fail(BadOutput("a malformed DER signature"));
  return raw;
}

struct PlatformState {
  uint64_t failures = 0;
  int64_t last_failure = 0;
  std::optional<PinRecord> pin;
  Bytes factor_check;
};

Bytes EncodeState(const PlatformState& s) {
  Value m = Value::MakeMap();
  m.Set("version", Value::Uint(1));
  m.Set("failures", Value::Uint(s.failures));
  m.Set("last_failure", Value::Int(s.last_failure));
  if (s.pin) m.Set("pin", PinRecordToCbor(*s.pin));
  if (!s.factor_check.empty()) m.Set("factor_check", Value::Bytes(s.factor_check));
  return cbor::Encode(m);
}

Result<PlatformState> DecodeState(ByteView data) {
  cbor::DecodeLimits lim;
  lim.max_input = kMaxPlatformState;
  lim.max_items = 64;
  auto v = cbor::Decode(data, lim);
  if (!v) return Fail(Damaged(v.error().message));
  if (!v->is_map()) return Fail(Damaged("not a map"));
  const Value* version = v->Find("version");
  const Value* failures = v->Find("failures");
  const Value* last = v->Find("last_failure");
  if (!version || !version->is_uint() || version->uint() != 1) return Fail(Damaged("unknown version"));
  if (!failures || !failures->is_uint() || !last || !last->AsInt()) return Fail(Damaged("counter"));
  PlatformState s;
  s.failures = failures->uint();
  s.last_failure = *last->AsInt();
  if (const Value* pin = v->Find("pin")) {
    WQ_ASSIGN(s.pin, PinRecordFromCbor(*pin));
    const Value* check = v->Find("factor_check");
    if (!check || !check->is_bytes() || check->bytes().size() != 32) return Fail(Damaged("factor_check"));
    s.factor_check = check->bytes();
  }
  return s;
}

// A signer whose secret stays in the platform: every signature is checked against the public key.
class CallbackSigner final : public Signer {
 public:
  CallbackSigner(const KeystoreCallbacks& cb, std::string id, PublicKey pub, std::unique_ptr<Verifier> verifier)
      : cb_(cb), id_(std::move(id)), pub_(std::move(pub)), verifier_(std::move(verifier)) {}
  Alg alg() const override { return Alg::kES256; }
  Curve curve() const override { return Curve::kP256; }
  Result<PublicKey> public_key() const override { return pub_; }
  Result<Bytes> Sign(ByteView message) const override {
    uint8_t sig[kMaxPlatformSignature];
    size_t len = SIZE_MAX;
    int rc = cb_.sign(cb_.ctx, id_.data(), id_.size(), message.data(), message.size(), sig, sizeof sig, &len);
    if (rc != kCallbackOk) return Fail(CallbackError(rc, "sign"));
    if (len > sizeof sig) return Fail(BadOutput("a signature longer than its buffer"));
    WQ_ASSIGN(Bytes raw, NormalizeSignature(ByteView(sig, len)));
    if (auto ok = verifier_->Verify(message, raw); !ok) {
      return Fail(Error(Errc::kBadSignature,
                        "the platform keystore's signature does not verify under device key " + id_,
                        "keystore_bad_signature"));
    }
    return raw;
  }

 private:
  KeystoreCallbacks cb_;
  std::string id_;
  PublicKey pub_;
  std::unique_ptr<Verifier> verifier_;
};

}  // namespace

// The state and factor calls, with the checks on what comes back.
struct CallbackKeystore::Platform {
  static Result<PlatformState> Load(const KeystoreCallbacks& cb) {
    Bytes buf(kMaxPlatformState);
    size_t len = SIZE_MAX;
    int rc = cb.state_read(cb.ctx, buf.data(), buf.size(), &len);
    if (rc == kCallbackNotFound) return PlatformState{};
    if (rc != kCallbackOk) return Fail(CallbackError(rc, "state_read"));
    if (len > buf.size()) return Fail(BadOutput("a state longer than its buffer"));
    buf.resize(len);
    return DecodeState(buf);
  }
  static Status Save(const KeystoreCallbacks& cb, const PlatformState& s) {
    Bytes b = EncodeState(s);
    int rc = cb.state_write(cb.ctx, b.data(), b.size());
    if (rc != kCallbackOk) return Fail(CallbackError(rc, "state_write"));
    return Ok();
  }
  static Result<SecureBuffer> Factor(const KeystoreCallbacks& cb, ByteView salt) {
    SecureBuffer out(kFactorBytes);
    int rc = cb.device_factor(cb.ctx, salt.data(), salt.size(), out.data());
    if (rc != kCallbackOk) return Fail(CallbackError(rc, "device_factor"));
    return out;
  }
  static Bytes Check(const SecureBuffer& factor) { return HmacSha256(factor.view(), AsBytes(kFactorCheckInfo)); }
  // The factor for `salt`, checked against the one the PIN was set with; a FactorFn that returns it.
  static Result<FactorFn> CheckedFactor(const KeystoreCallbacks& cb, const PlatformState& s) {
    WQ_ASSIGN(SecureBuffer f, Factor(cb, s.pin->salt));
    if (!ConstantTimeEqual(Check(f), s.factor_check)) {
      return Fail(Error(Errc::kState,
                        "the platform keystore's key changed since the PIN was set: the wallet key is lost",
                        "keystore_key_lost"));
    }
    auto held = std::make_shared<SecureBuffer>(std::move(f));
    return FactorFn([held](ByteView) -> Result<SecureBuffer> { return SecureBuffer(held->view()); });
  }
  // A fresh factor for `salt`, asked twice: a platform PRF that is not deterministic would lock the citizen
  // out at the next unlock, so it is refused now.
  static Result<SecureBuffer> FreshFactor(const KeystoreCallbacks& cb, ByteView salt) {
    WQ_ASSIGN(SecureBuffer a, Factor(cb, salt));
    WQ_ASSIGN(SecureBuffer b, Factor(cb, salt));
    if (!ConstantTimeEqual(a.view(), b.view())) return Fail(BadOutput("a device factor that is not deterministic"));
    return a;
  }
  // Wraps db_key under pin; sets s.pin and s.factor_check.
  static Status Wrap(const KeystoreCallbacks& cb, const CallbackKeystoreOptions& o, PlatformState& s,
                     const SecureBuffer& db_key, const keys::SecretText& pin) {
    Bytes check;
    FactorFn fn = [&](ByteView salt) -> Result<SecureBuffer> {
      auto f = FreshFactor(cb, salt);
      if (!f) return Fail(f.error());
      check = Check(*f);
      return f;
    };
    WQ_ASSIGN(PinRecord rec, WrapDbKey(fn, db_key, pin, o.kdf, o.limits));
    if (check.size() != 32) return Fail(Errc::kInternal, "the wrap did not ask for the factor");
    s.pin = std::move(rec);
    s.factor_check = std::move(check);
    return Ok();
  }
};

struct CallbackKeystore::Entry {
  std::string platform_id;
  DeviceKeyInfo info;
};

Result<std::unique_ptr<CallbackKeystore>> CallbackKeystore::Open(const KeystoreCallbacks& callbacks,
                                                                 const CallbackKeystoreOptions& options) {
  const KeystoreCallbacks& c = callbacks;
  if (!c.state_read || !c.state_write || !c.device_factor || !c.create_key || !c.sign || !c.list_keys ||
      !c.delete_key) {
    return Fail(Errc::kInvalidArgument, "the keystore callback table is incomplete");
  }
  if (options.schedule.attempts_per_round < 1 || options.schedule.waits.empty()) {
    return Fail(Errc::kInvalidArgument, "PIN schedule needs at least one attempt per round and one wait");
  }
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialize");
  WQ_TRY(Platform::Load(c));
  return std::unique_ptr<CallbackKeystore>(new CallbackKeystore(c, options));
}

Status CallbackKeystore::Provision(const SecureBuffer& db_key, const keys::SecretText& pin) {
  WQ_TRY(CheckPinShape(pin));
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(PlatformState s, Platform::Load(cb_));
  if (s.pin) return Fail(Error(Errc::kState, "this keystore already holds a wallet key", "already_provisioned"));
  WQ_TRY(Platform::Wrap(cb_, options_, s, db_key, pin));
  s.failures = 0;
  s.last_failure = 0;
  return Platform::Save(cb_, s);
}

Result<SecureBuffer> CallbackKeystore::Unlock(const keys::SecretText& pin, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(PlatformState s, Platform::Load(cb_));
  if (!s.pin) return Fail(Error(Errc::kState, "no PIN is set: initialize the wallet first", "not_provisioned"));
  WQ_TRY(CheckAttemptAllowed(options_.schedule, s.failures, s.last_failure, now));
  WQ_ASSIGN(FactorFn factor, Platform::CheckedFactor(cb_, s));
  s.failures += 1;
  s.last_failure = now;
  WQ_TRY(Platform::Save(cb_, s));  // on the platform before the PIN is tried
  auto key = UnwrapDbKey(factor, *s.pin, pin, options_.limits);
  if (!key) {
    if (key.error().code == Errc::kBadSignature)
      return Fail(WrongPinError(options_.schedule, s.failures, s.last_failure, now));
    return Fail(key.error());
  }
  s.failures = 0;
  s.last_failure = 0;
  WQ_TRY(Platform::Save(cb_, s));
  return key;
}

Status CallbackKeystore::ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now) {
  WQ_TRY(CheckPinShape(new_pin));
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(PlatformState s, Platform::Load(cb_));
  if (!s.pin) return Fail(Error(Errc::kState, "no PIN is set: initialize the wallet first", "not_provisioned"));
  WQ_TRY(CheckAttemptAllowed(options_.schedule, s.failures, s.last_failure, now));
  WQ_ASSIGN(FactorFn factor, Platform::CheckedFactor(cb_, s));
  s.failures += 1;
  s.last_failure = now;
  WQ_TRY(Platform::Save(cb_, s));
  auto key = UnwrapDbKey(factor, *s.pin, old_pin, options_.limits);
  if (!key) {
    if (key.error().code == Errc::kBadSignature)
      return Fail(WrongPinError(options_.schedule, s.failures, s.last_failure, now));
    return Fail(key.error());
  }
  WQ_TRY(Platform::Wrap(cb_, options_, s, *key, new_pin));
  s.failures = 0;
  s.last_failure = 0;
  return Platform::Save(cb_, s);  // one state_write: the old record or the new one
}

Result<PinState> CallbackKeystore::State(int64_t now) const {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(PlatformState s, Platform::Load(cb_));
  if (!s.pin) return PinState{};
  return ComputePinState(options_.schedule, static_cast<int>(std::min<uint64_t>(s.failures, 1 << 20)), s.last_failure,
                         now);
}

namespace {

struct Collector {
  std::vector<std::pair<std::string, Bytes>> items;
  bool overflow = false;
  bool bad = false;
};

extern "C" int CollectKey(void* sink, const char* id, size_t id_len, const uint8_t* pub, size_t pub_len) {
  auto* c = static_cast<Collector*>(sink);
  if (!c) return 1;
  if (!id || !pub || id_len > kMaxPlatformKeyId || pub_len > kMaxPlatformPublicKey) {
    c->bad = true;
    return 1;
  }
  if (c->items.size() >= kMaxPlatformKeys) {
    c->overflow = true;
    return 1;
  }
  try {
    c->items.emplace_back(std::string(id, id_len), Bytes(pub, pub + pub_len));
  } catch (...) {
    c->bad = true;
    return 1;
  }
  return 0;
}

}  // namespace

Result<std::vector<CallbackKeystore::Entry>> CallbackKeystore::List() const {
  Collector c;
  int rc = cb_.list_keys(cb_.ctx, &c, &CollectKey);
  if (rc != kCallbackOk) return Fail(CallbackError(rc, "list_keys"));
  if (c.bad) return Fail(BadOutput("a key entry out of bounds"));
  if (c.overflow)
    return Fail(Error(Errc::kLimit, "the platform keystore lists more than 4096 device keys", "keystore_bad_output"));
  std::vector<Entry> out;
  for (auto& [id, pub] : c.items) {
    if (!ValidId(id)) return Fail(BadOutput("a device key id outside [A-Za-z0-9._:-]{1,128}"));
    Entry e;
    e.platform_id = id;
    WQ_ASSIGN(e.info.public_key, ParsePlatformKey(pub));
    WQ_ASSIGN(e.info.key_id, keys::KeyIdForPublicKey(e.info.public_key));
    e.info.alg = Alg::kES256;
    for (const auto& o : out) {
      if (o.platform_id == e.platform_id || o.info.key_id == e.info.key_id)
        return Fail(BadOutput("the same device key twice"));
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<DeviceKeyInfo> CallbackKeystore::CreateDeviceKey(Alg alg) {
  if (alg != Alg::kES256) return Fail(Errc::kUnsupported, "the platform keystore makes ES256 (P-256) device keys only");
  std::lock_guard<std::mutex> lock(mu_);
  char id[kMaxPlatformKeyId + 1] = {};
  uint8_t pub[kMaxPlatformPublicKey];
  size_t id_len = SIZE_MAX;
  size_t pub_len = SIZE_MAX;
  int rc = cb_.create_key(cb_.ctx, id, kMaxPlatformKeyId, &id_len, pub, sizeof pub, &pub_len);
  if (rc != kCallbackOk) return Fail(CallbackError(rc, "create_key"));
  if (id_len > kMaxPlatformKeyId || pub_len > sizeof pub) return Fail(BadOutput("an id or key longer than its buffer"));
  if (!ValidId(std::string_view(id, id_len))) return Fail(BadOutput("a device key id outside [A-Za-z0-9._:-]{1,128}"));
  DeviceKeyInfo info;
  WQ_ASSIGN(info.public_key, ParsePlatformKey(ByteView(pub, pub_len)));
  WQ_ASSIGN(info.key_id, keys::KeyIdForPublicKey(info.public_key));
  info.alg = Alg::kES256;
  return info;
}

Result<std::vector<DeviceKeyInfo>> CallbackKeystore::DeviceKeys() const {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(std::vector<Entry> entries, List());
  std::vector<DeviceKeyInfo> out;
  for (auto& e : entries) out.push_back(std::move(e.info));
  return out;
}

Result<std::shared_ptr<const Signer>> CallbackKeystore::DeviceSigner(std::string_view key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(std::vector<Entry> entries, List());
  for (auto& e : entries) {
    if (e.info.key_id != key_id) continue;
    WQ_ASSIGN(std::unique_ptr<Verifier> v, MakeVerifier(e.info.public_key, Alg::kES256));
    return std::shared_ptr<const Signer>(
        std::make_shared<CallbackSigner>(cb_, e.platform_id, e.info.public_key, std::move(v)));
  }
  return Fail(Error(Errc::kNotFound, "no device key with that id", "unknown_device_key"));
}

Status CallbackKeystore::DeleteDeviceKey(std::string_view key_id) {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(std::vector<Entry> entries, List());
  for (auto& e : entries) {
    if (e.info.key_id != key_id) continue;
    int rc = cb_.delete_key(cb_.ctx, e.platform_id.data(), e.platform_id.size());
    if (rc == kCallbackNotFound || rc == kCallbackOk) return Ok();
    return Fail(CallbackError(rc, "delete_key"));
  }
  return Fail(Error(Errc::kNotFound, "no device key with that id", "unknown_device_key"));
}

}  // namespace wathiq::wallet
