#include "wathiq/wallet/pkcs11_keystore.h"

#include <sodium.h>

#include "pin_wrap.h"
#include "wathiq/core/cbor.h"

namespace wathiq::wallet {
namespace {

using cbor::Value;
using namespace internal;  // NOLINT: the shared wrap and schedule helpers

struct TokenState {
  uint64_t failures = 0;
  int64_t last_failure = 0;
  std::optional<PinRecord> pin;
};

Bytes EncodeState(const TokenState& s) {
  Value m = Value::MakeMap();
  m.Set("version", Value::Uint(1));
  m.Set("failures", Value::Uint(s.failures));
  m.Set("last_failure", Value::Int(s.last_failure));
  if (s.pin) m.Set("pin", PinRecordToCbor(*s.pin));
  return cbor::Encode(m);
}

Result<TokenState> DecodeState(ByteView data) {
  auto v = cbor::Decode(data);
  if (!v) return Fail(Damaged(v.error().message));
  const Value* version = v->Find("version");
  const Value* failures = v->Find("failures");
  const Value* last = v->Find("last_failure");
  if (!version || !version->is_uint() || version->uint() != 1) return Fail(Damaged("unknown version"));
  if (!failures || !failures->is_uint() || !last || !last->AsInt()) return Fail(Damaged("counter"));
  TokenState s;
  s.failures = failures->uint();
  s.last_failure = *last->AsInt();
  if (const Value* pin = v->Find("pin")) {
    WQ_ASSIGN(s.pin, PinRecordFromCbor(*pin));
  }
  return s;
}

std::string StateLabel(const Pkcs11KeystoreOptions& o) { return o.prefix + "-state"; }
std::string FactorLabel(const Pkcs11KeystoreOptions& o) { return o.prefix + "-factor"; }
std::string DeviceKeyPrefix(const Pkcs11KeystoreOptions& o) { return o.prefix + "-dk-"; }

Result<TokenState> Load(keys::Pkcs11Token& t, const Pkcs11KeystoreOptions& o) {
  WQ_ASSIGN(Bytes data, t.ReadData(StateLabel(o)));
  return DecodeState(data);
}

Status Save(keys::Pkcs11Token& t, const Pkcs11KeystoreOptions& o, const TokenState& s) {
  return t.WriteData(StateLabel(o), EncodeState(s));
}

FactorFn TokenFactor(keys::Pkcs11Token& t, const Pkcs11KeystoreOptions& o) {
  keys::Pkcs11Token* token = &t;
  std::string label = FactorLabel(o);
  return [token, label](ByteView salt) -> Result<SecureBuffer> {
    WQ_ASSIGN(Bytes mac, token->TokenHmacSha256(label, salt));
    SecureBuffer out(mac);
    SecureWipe(mac);
    return out;
  };
}

Status BeginAttempt(keys::Pkcs11Token& t, const Pkcs11KeystoreOptions& o, TokenState& s, int64_t now) {
  if (!s.pin) return Fail(Error(Errc::kState, "no PIN is set: initialize the wallet first", "not_provisioned"));
  WQ_TRY(CheckAttemptAllowed(o.schedule, s.failures, s.last_failure, now));
  s.failures += 1;
  s.last_failure = now;
  return Save(t, o, s);  // on the token before the PIN is tried
}

}  // namespace

struct Pkcs11Keystore::Found {
  std::string label;
  keys::KeyHandle handle;
  DeviceKeyInfo info;
};

Result<std::unique_ptr<Pkcs11Keystore>> Pkcs11Keystore::Open(std::shared_ptr<keys::Pkcs11Token> token,
                                                             const Pkcs11KeystoreOptions& options) {
  if (!token) return Fail(Errc::kInvalidArgument, "no token");
  if (options.prefix.empty()) return Fail(Errc::kInvalidArgument, "empty label prefix");
  if (options.schedule.attempts_per_round < 1 || options.schedule.waits.empty()) {
    return Fail(Errc::kInvalidArgument, "PIN schedule needs at least one attempt per round and one wait");
  }
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialize");
  std::unique_ptr<Pkcs11Keystore> ks(new Pkcs11Keystore(token, options));
  auto state = token->ReadData(StateLabel(options));
  if (!state) {
    if (state.error().code != Errc::kNotFound) return Fail(state.error());
    // First use: the factor key (unless a half-finished first use left it), then the empty state.
    auto probe = token->TokenHmacSha256(FactorLabel(options), AsBytes("probe"));
    if (!probe) {
      if (probe.error().code != Errc::kNotFound) return Fail(probe.error());
      WQ_TRY(token->GenerateHmacKey(FactorLabel(options)));
    }
    WQ_TRY(Save(*token, options, TokenState{}));
  } else {
    WQ_TRY(DecodeState(*state));  // a damaged state is reported now, not at the first PIN
  }
  return ks;
}

Status Pkcs11Keystore::Provision(const SecureBuffer& db_key, const keys::SecretText& pin) {
  WQ_TRY(CheckPinShape(pin));
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(TokenState s, Load(*token_, options_));
  if (s.pin) return Fail(Error(Errc::kState, "this keystore already holds a wallet key", "already_provisioned"));
  WQ_ASSIGN(s.pin, WrapDbKey(TokenFactor(*token_, options_), db_key, pin, options_.kdf, options_.limits));
  s.failures = 0;
  s.last_failure = 0;
  return Save(*token_, options_, s);
}

Result<SecureBuffer> Pkcs11Keystore::Unlock(const keys::SecretText& pin, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(TokenState s, Load(*token_, options_));
  WQ_TRY(BeginAttempt(*token_, options_, s, now));
  auto key = UnwrapDbKey(TokenFactor(*token_, options_), *s.pin, pin, options_.limits);
  if (!key) {
    if (key.error().code == Errc::kBadSignature)
      return Fail(WrongPinError(options_.schedule, s.failures, s.last_failure, now));
    return Fail(key.error());
  }
  s.failures = 0;
  s.last_failure = 0;
  WQ_TRY(Save(*token_, options_, s));
  return key;
}

Status Pkcs11Keystore::ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now) {
  WQ_TRY(CheckPinShape(new_pin));
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(TokenState s, Load(*token_, options_));
  WQ_TRY(BeginAttempt(*token_, options_, s, now));
  auto key = UnwrapDbKey(TokenFactor(*token_, options_), *s.pin, old_pin, options_.limits);
  if (!key) {
    if (key.error().code == Errc::kBadSignature)
      return Fail(WrongPinError(options_.schedule, s.failures, s.last_failure, now));
    return Fail(key.error());
  }
  WQ_ASSIGN(s.pin, WrapDbKey(TokenFactor(*token_, options_), *key, new_pin, options_.kdf, options_.limits));
  s.failures = 0;
  s.last_failure = 0;
  return Save(*token_, options_, s);  // one attribute write: the old record or the new one
}

Result<PinState> Pkcs11Keystore::State(int64_t now) const {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(TokenState s, Load(*token_, options_));
  if (!s.pin) return PinState{};
  return ComputePinState(options_.schedule, static_cast<int>(std::min<uint64_t>(s.failures, 1 << 20)), s.last_failure,
                         now);
}

Result<std::vector<Pkcs11Keystore::Found>> Pkcs11Keystore::FindDeviceKeys() const {
  WQ_ASSIGN(std::vector<std::string> labels, token_->ListKeyLabels());
  std::vector<Found> out;
  const std::string prefix = DeviceKeyPrefix(options_);
  for (const auto& label : labels) {
    if (label.rfind(prefix, 0) != 0) continue;
    WQ_ASSIGN(keys::KeyHandle h, token_->FindKey(label));
    Found f;
    f.label = label;
    f.info.key_id = h.key_id();
    f.info.alg = h.alg();
    f.info.public_key = h.cached_public_key();
    f.handle = std::move(h);
    out.push_back(std::move(f));
  }
  return out;
}

Result<DeviceKeyInfo> Pkcs11Keystore::CreateDeviceKey(Alg alg) {
  std::lock_guard<std::mutex> lock(mu_);
  keys::Pkcs11KeySpec spec;
  spec.alg = alg;
  spec.label = DeviceKeyPrefix(options_) + ToHex(RandomBytes(8));
  WQ_ASSIGN(keys::KeyHandle h, token_->GenerateKey(spec));
  return DeviceKeyInfo{h.key_id(), h.alg(), h.cached_public_key()};
}

Result<std::vector<DeviceKeyInfo>> Pkcs11Keystore::DeviceKeys() const {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(std::vector<Found> found, FindDeviceKeys());
  std::vector<DeviceKeyInfo> out;
  for (auto& f : found) out.push_back(std::move(f.info));
  return out;
}

Result<std::shared_ptr<const Signer>> Pkcs11Keystore::DeviceSigner(std::string_view key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(std::vector<Found> found, FindDeviceKeys());
  for (auto& f : found) {
    if (f.info.key_id == key_id)
      return std::shared_ptr<const Signer>(std::make_shared<keys::KeyHandle>(std::move(f.handle)));
  }
  return Fail(Error(Errc::kNotFound, "no device key with that id", "unknown_device_key"));
}

Status Pkcs11Keystore::DeleteDeviceKey(std::string_view key_id) {
  std::lock_guard<std::mutex> lock(mu_);
  WQ_ASSIGN(std::vector<Found> found, FindDeviceKeys());
  for (auto& f : found) {
    if (f.info.key_id == key_id) return token_->DestroyKey(f.label);
  }
  return Fail(Error(Errc::kNotFound, "no device key with that id", "unknown_device_key"));
}

}  // namespace wathiq::wallet
