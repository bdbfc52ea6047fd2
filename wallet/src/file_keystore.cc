// The file-backed device keystore (wallet/keystore.h, threat model in wallet/README.md).
//
// keystore.state, deterministic CBOR:
//   {"version": 1, "device_secret": bstr(32), "failures": uint, "last_failure": int,
//    ? "pin": {"salt": bstr(16), "ops": uint, "mem": uint, "nonce": bstr(24), "wrapped": bstr(32 + 16)},
//    "keys": [* {"id": tstr, "alg": int (COSE), "spki": bstr, "nonce": bstr(24), "sealed": bstr}]}
// Wrapping key for the database key: HKDF-SHA256(salt "wathiq wallet keystore", device_secret || Argon2id(PIN, salt), info "wathiq wallet
// db-key wrap v1"); AEAD XChaCha20-Poly1305 with associated data "wathiq-wallet-dbkey-v1". Device key
// secrets: AEAD under HKDF(device_secret, info "wathiq wallet device-key seal v1"), the key id as associated
// data.
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pin_wrap.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/file.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/wallet/keystore.h"

namespace wathiq::wallet {
namespace {

using cbor::Value;
using namespace internal;  // NOLINT: the shared wrap and schedule helpers

constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr size_t kMaxStateBytes = 1 << 20;
constexpr size_t kMaxDeviceKeys = 4096;

struct KeyRecord {
  std::string id;
  Alg alg = Alg::kES256;
  Bytes spki;
  Bytes nonce;
  Bytes sealed;
};

struct KsState {
  SecureBuffer device_secret;
  uint64_t failures = 0;
  int64_t last_failure = 0;
  std::optional<PinRecord> pin;
  std::vector<KeyRecord> keys;
};

std::string StatePath(const std::string& dir) { return dir + "/keystore.state"; }

// An exclusive flock on <dir>/keystore.lock for the life of the object.
class DirLock {
 public:
  static Result<DirLock> Take(const std::string& dir) {
    std::string path = dir + "/keystore.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return Fail(Errc::kIo, "keystore lock: " + std::string(std::strerror(errno)));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Fail(Errc::kIo, "keystore lock: " + std::string(std::strerror(e)));
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

const Bytes* GetBytes(const Value& m, const char* k, size_t exact = 0) {
  const Value* v = m.Find(k);
  if (!v || !v->is_bytes()) return nullptr;
  if (exact && v->bytes().size() != exact) return nullptr;
  return &v->bytes();
}

// Wipes what held the device secret: the CBOR tree's copy and the encoding.
void WipeValueSecret(Value& v) {
  if (Value* p = const_cast<Value*>(v.Find("device_secret")); p && p->is_bytes()) {
    Bytes& b = const_cast<Bytes&>(p->bytes());
    SecureWipe(b);
  }
}

Result<KsState> DecodeState(ByteView data) {
  cbor::DecodeLimits lim;
  lim.max_input = kMaxStateBytes;
  lim.max_items = 8 * kMaxDeviceKeys + 64;
  auto v = cbor::Decode(data, lim);
  if (!v) return Fail(Damaged(v.error().message));
  if (!v->is_map()) return Fail(Damaged("not a map"));
  const Value* version = v->Find("version");
  if (!version || !version->is_uint() || version->uint() != 1) return Fail(Damaged("unknown version"));
  KsState s;
  const Bytes* secret = GetBytes(*v, "device_secret", kSecretBytes);
  if (!secret) return Fail(Damaged("device_secret"));
  s.device_secret = SecureBuffer(*secret);
  WipeValueSecret(*v);
  const Value* failures = v->Find("failures");
  const Value* last = v->Find("last_failure");
  if (!failures || !failures->is_uint() || !last || !last->AsInt()) return Fail(Damaged("counter"));
  s.failures = failures->uint();
  s.last_failure = *last->AsInt();
  if (const Value* pin = v->Find("pin")) {
    WQ_ASSIGN(s.pin, PinRecordFromCbor(*pin));
  }
  const Value* keys = v->Find("keys");
  if (!keys || !keys->is_array()) return Fail(Damaged("keys"));
  for (const Value& k : keys->array()) {
    KeyRecord r;
    const Value* id = k.Find("id");
    const Value* alg = k.Find("alg");
    const Bytes* spki = GetBytes(k, "spki");
    const Bytes* nonce = GetBytes(k, "nonce", kNonceBytes);
    const Bytes* sealed = GetBytes(k, "sealed");
    if (!id || !id->is_text() || !alg || !alg->AsInt() || !spki || !nonce || !sealed)
      return Fail(Damaged("key record"));
    auto a = AlgFromCose(*alg->AsInt());
    if (!a) return Fail(Damaged("key algorithm"));
    r.id = id->text();
    r.alg = *a;
    r.spki = *spki;
    r.nonce = *nonce;
    r.sealed = *sealed;
    s.keys.push_back(std::move(r));
  }
  return s;
}

Bytes EncodeState(const KsState& s) {
  Value m = Value::MakeMap();
  m.Set("version", Value::Uint(1));
  m.Set("device_secret", Value::Bytes(s.device_secret.view()));
  m.Set("failures", Value::Uint(s.failures));
  m.Set("last_failure", Value::Int(s.last_failure));
  if (s.pin) m.Set("pin", PinRecordToCbor(*s.pin));
  Value keys = Value::MakeArray();
  for (const KeyRecord& k : s.keys) {
    Value r = Value::MakeMap();
    r.Set("id", Value::Text(k.id));
    r.Set("alg", Value::Int(static_cast<int64_t>(k.alg)));
    r.Set("spki", Value::Bytes(k.spki));
    r.Set("nonce", Value::Bytes(k.nonce));
    r.Set("sealed", Value::Bytes(k.sealed));
    keys.array().push_back(std::move(r));
  }
  m.Set("keys", std::move(keys));
  Bytes out = cbor::Encode(m);
  WipeValueSecret(m);
  return out;
}

Result<KsState> LoadState(const std::string& dir) {
  WQ_ASSIGN(Bytes data, ReadFileBytes(StatePath(dir), kMaxStateBytes));
  auto s = DecodeState(data);
  SecureWipe(data);
  return s;
}

Status SaveState(const std::string& dir, const KsState& s) {
  Bytes data = EncodeState(s);
  Status st = WriteFileAtomically(StatePath(dir), data, WriteMode::kReplace, 0600);
  SecureWipe(data);
  return st;
}

// The file keystore's device factor: its device secret, whatever the salt.
FactorFn SecretFactor(const KsState& s) {
  const SecureBuffer* secret = &s.device_secret;
  return [secret](ByteView) -> Result<SecureBuffer> { return SecureBuffer(secret->view()); };
}

// Checks the schedule, then records the attempt durably before the PIN is tried.
Status BeginAttempt(const std::string& dir, KsState& s, const PinSchedule& schedule, int64_t now) {
  if (!s.pin) return Fail(Error(Errc::kState, "no PIN is set: initialize the wallet first", "not_provisioned"));
  WQ_TRY(CheckAttemptAllowed(schedule, s.failures, s.last_failure, now));
  s.failures += 1;
  s.last_failure = now;
  return SaveState(dir, s);
}

Result<DeviceKeyInfo> InfoOf(const KeyRecord& k) {
  DeviceKeyInfo info;
  info.key_id = k.id;
  info.alg = k.alg;
  WQ_ASSIGN(info.public_key, PublicKey::FromSpki(k.spki));
  return info;
}

}  // namespace

PinState ComputePinState(const PinSchedule& schedule, int failures, int64_t last_failure, int64_t now) {
  PinState ps;
  ps.provisioned = true;
  ps.failures = failures;
  int max = schedule.max_failures();
  int per = std::max(1, schedule.attempts_per_round);
  ps.total_attempts_left = std::max(0, max - failures);
  if (failures >= max) {
    ps.blocked = true;
    return ps;
  }
  int in_round = failures % per;
  ps.attempts_left = per - in_round;
  if (failures > 0 && in_round == 0) {
    size_t round = static_cast<size_t>(failures / per);  // rounds completed, >= 1
    int64_t wait = schedule.waits[std::min(round, schedule.waits.size()) - 1];
    int64_t from = std::min(last_failure, now);  // a failure "in the future" counts as now
    if (now < from + wait) ps.locked_until = from + wait;
  }
  return ps;
}

Status CheckPinShape(const keys::SecretText& pin) {
  if (pin.size() < 4 || pin.size() > 64) {
    return Fail(Error(Errc::kInvalidArgument, "a PIN is 4 to 64 characters", "bad_pin"));
  }
  return Ok();
}

Result<std::unique_ptr<FileKeystore>> FileKeystore::Open(const std::string& dir, const FileKeystoreOptions& options) {
  if (dir.empty()) return Fail(Errc::kInvalidArgument, "keystore folder is empty");
  if (options.schedule.attempts_per_round < 1 || options.schedule.waits.empty()) {
    return Fail(Errc::kInvalidArgument, "PIN schedule needs at least one attempt per round and one wait");
  }
  if (options.kdf.opslimit > options.limits.max_opslimit || options.kdf.memlimit > options.limits.max_memlimit) {
    return Fail(Errc::kLimit, "Argon2id parameters above the keystore's limits");
  }
  if (sodium_init() < 0) return Fail(Errc::kInternal, "libsodium failed to initialize");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(Errc::kIo, "keystore folder: " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return Fail(Errc::kIo, "keystore folder: " + std::string(std::strerror(errno)));
  std::unique_ptr<FileKeystore> ks(new FileKeystore(dir, options));
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir));
  if (!std::filesystem::exists(StatePath(dir), ec)) {
    KsState s;
    s.device_secret = SecureBuffer(kSecretBytes);
    randombytes_buf(s.device_secret.data(), kSecretBytes);
    WQ_TRY(SaveState(dir, s));
  } else {
    WQ_TRY(LoadState(dir));  // a damaged state is reported now, not at the first PIN
  }
  return ks;
}

Status FileKeystore::Provision(const SecureBuffer& db_key, const keys::SecretText& pin) {
  WQ_TRY(CheckPinShape(pin));
  if (db_key.size() != kSecretBytes) return Fail(Errc::kInvalidArgument, "the database key is 32 bytes");
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir_));
  WQ_ASSIGN(KsState s, LoadState(dir_));
  if (s.pin) return Fail(Error(Errc::kState, "this keystore already holds a wallet key", "already_provisioned"));
  WQ_ASSIGN(s.pin, WrapDbKey(SecretFactor(s), db_key, pin, options_.kdf, options_.limits));
  s.failures = 0;
  s.last_failure = 0;
  return SaveState(dir_, s);
}

Result<SecureBuffer> FileKeystore::Unlock(const keys::SecretText& pin, int64_t now) {
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir_));
  WQ_ASSIGN(KsState s, LoadState(dir_));
  WQ_TRY(BeginAttempt(dir_, s, options_.schedule, now));
  auto key = UnwrapDbKey(SecretFactor(s), *s.pin, pin, options_.limits);
  if (!key) {
    if (key.error().code == Errc::kBadSignature)
      return Fail(WrongPinError(options_.schedule, s.failures, s.last_failure, now));
    return Fail(key.error());
  }
  s.failures = 0;
  s.last_failure = 0;
  WQ_TRY(SaveState(dir_, s));
  return key;
}

Status FileKeystore::ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now) {
  WQ_TRY(CheckPinShape(new_pin));
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir_));
  WQ_ASSIGN(KsState s, LoadState(dir_));
  WQ_TRY(BeginAttempt(dir_, s, options_.schedule, now));
  auto key = UnwrapDbKey(SecretFactor(s), *s.pin, old_pin, options_.limits);
  if (!key) {
    if (key.error().code == Errc::kBadSignature)
      return Fail(WrongPinError(options_.schedule, s.failures, s.last_failure, now));
    return Fail(key.error());
  }
  WQ_ASSIGN(s.pin, WrapDbKey(SecretFactor(s), *key, new_pin, options_.kdf, options_.limits));
  s.failures = 0;
  s.last_failure = 0;
  return SaveState(dir_, s);  // one atomic replace: the old wrap or the new one, never neither
}

Result<PinState> FileKeystore::State(int64_t now) const {
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir_));
  WQ_ASSIGN(KsState s, LoadState(dir_));
  if (!s.pin) return PinState{};
  return ComputePinState(options_.schedule, static_cast<int>(std::min<uint64_t>(s.failures, 1 << 20)), s.last_failure,
                         now);
}

Result<DeviceKeyInfo> FileKeystore::CreateDeviceKey(Alg alg) {
  if (alg != Alg::kES256 && alg != Alg::kEdDSA) return Fail(Errc::kUnsupported, "device keys are ES256 or EdDSA");
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir_));
  WQ_ASSIGN(KsState s, LoadState(dir_));
  if (s.keys.size() >= kMaxDeviceKeys) return Fail(Errc::kLimit, "too many device keys");
  WQ_ASSIGN(std::unique_ptr<Signer> signer, GenerateSoftwareSigner(alg));
  WQ_ASSIGN(PublicKey pub, signer->public_key());
  KeyRecord r;
  r.alg = alg;
  WQ_ASSIGN(r.id, keys::KeyIdForPublicKey(pub));
  WQ_ASSIGN(r.spki, pub.ToSpki());
  WQ_ASSIGN(Bytes secret, ExportSoftwareSecretForSealing(*signer));
  WQ_ASSIGN(SecureBuffer k, Hkdf(s.device_secret.view(), "wathiq wallet device-key seal v1"));
  r.nonce = RandomBytes(kNonceBytes);
  r.sealed.resize(secret.size() + kTagBytes);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(r.sealed.data(), &len, secret.data(), secret.size(), AsBytes(r.id).data(),
                                             r.id.size(), nullptr, r.nonce.data(), k.data());
  SecureWipe(secret);
  s.keys.push_back(r);
  WQ_TRY(SaveState(dir_, s));
  return InfoOf(r);
}

Result<std::vector<DeviceKeyInfo>> FileKeystore::DeviceKeys() const {
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir_));
  WQ_ASSIGN(KsState s, LoadState(dir_));
  std::vector<DeviceKeyInfo> out;
  for (const KeyRecord& k : s.keys) {
    WQ_ASSIGN(DeviceKeyInfo info, InfoOf(k));
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::shared_ptr<const Signer>> FileKeystore::DeviceSigner(std::string_view key_id) const {
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir_));
  WQ_ASSIGN(KsState s, LoadState(dir_));
  auto it = std::find_if(s.keys.begin(), s.keys.end(), [&](const KeyRecord& k) { return k.id == key_id; });
  if (it == s.keys.end()) return Fail(Error(Errc::kNotFound, "no device key with that id", "unknown_device_key"));
  if (it->sealed.size() < kTagBytes) return Fail(Damaged("sealed device key"));
  WQ_ASSIGN(SecureBuffer k, Hkdf(s.device_secret.view(), "wathiq wallet device-key seal v1"));
  SecureBuffer secret(it->sealed.size() - kTagBytes);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret.data(), &len, nullptr, it->sealed.data(), it->sealed.size(),
                                                 AsBytes(it->id).data(), it->id.size(), it->nonce.data(),
                                                 k.data()) != 0) {
    return Fail(Damaged("a device key does not open"));
  }
  WQ_ASSIGN(keys::KeyHandle handle, keys::KeyHandle::SoftwareFromSecret(it->alg, secret.view(), it->id));
  if (handle.key_id() != it->id) return Fail(Damaged("a device key does not match its id"));
  return std::shared_ptr<const Signer>(std::make_shared<keys::KeyHandle>(std::move(handle)));
}

Status FileKeystore::DeleteDeviceKey(std::string_view key_id) {
  WQ_ASSIGN(DirLock lock, DirLock::Take(dir_));
  WQ_ASSIGN(KsState s, LoadState(dir_));
  auto it = std::find_if(s.keys.begin(), s.keys.end(), [&](const KeyRecord& k) { return k.id == key_id; });
  if (it == s.keys.end()) return Fail(Error(Errc::kNotFound, "no device key with that id", "unknown_device_key"));
  s.keys.erase(it);
  return SaveState(dir_, s);
}

}  // namespace wathiq::wallet
