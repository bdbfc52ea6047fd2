// Wathiq wallet: a device keystore whose secrets live in the phone's platform keystore (Android Keystore,
// StrongBox; iOS Secure Enclave, Keychain), reached through a table of C callbacks the app provides. The
// mobile bridge (wathiq.h) hands the app's table over unchanged; all wallet logic stays here.
//
// What the platform holds (and the app-data folder must not):
//  - a small state blob (this keystore's CBOR: the PIN attempt counter, the wrapped database key): kept by
//    the app where restoring an app-data backup does not roll it back (iOS: a Keychain item
//    kSecAttrAccessibleWhenUnlockedThisDeviceOnly; Android: a file in no-backup storage, or a rollback-
//    resistant key's blob), replaced atomically by state_write;
//  - the device factor: a non-exportable key that computes a keyed PRF of a 16-byte salt (Android: a Keystore
//    HMAC-SHA256 key; iOS: a Secure Enclave P-256 key agreement with a fixed peer, hashed with the input).
//    The database key is wrapped as in the other keystores:
//    K = HKDF(factor(salt) || Argon2id(PIN, salt)), XChaCha20-Poly1305. Without the platform key no PIN
//    search can open the wrap; with it, the counter and schedule of wallet/keystore.h apply;
//  - the device keys: P-256 key pairs generated in the platform keystore, never exportable; only public
//    keys (SEC1 uncompressed 0x04||x||y, or DER SubjectPublicKeyInfo) and signatures (raw r||s or DER
//    ECDSA-Sig-Value over SHA-256 of the message) come back.
//
// Every callback result is hostile: lengths beyond the buffer or the caps below, ids outside
// [A-Za-z0-9._:-]{1,128}, public keys off the curve, signatures that do not verify under the key's public
// key, a factor that is not deterministic, a state blob that does not parse: all are errors with stable
// reasons, never a crash. Reasons (besides those of wallet/keystore.h):
//   "keystore_failed"       (kIo)        a callback returned a failure code
//   "keystore_cancelled"    (kPermission) a callback returned kCallbackCancelled (the user dismissed a prompt)
//   "keystore_bad_output"   (kMalformed) a callback's output broke the rules above
//   "keystore_bad_signature" (kBadSignature) a signature that does not verify under the device key
//   "keystore_key_lost"     (kState)     the factor no longer matches the one the PIN was set with (the
//                                        platform invalidated its key, e.g. the screen lock was removed):
//                                        no attempt is counted; recovery is re-issuance
// Thread-safety: calls are serialized by a mutex; the callbacks are called from the calling thread, one at
// a time per CallbackKeystore (signers from DeviceSigner call `sign` without that mutex). The table's ctx
// must outlive the object and every signer it returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "wathiq/wallet/keystore.h"

namespace wathiq::wallet {

// Callback return codes (any other nonzero value is a failure).
inline constexpr int kCallbackOk = 0;
inline constexpr int kCallbackNotFound = 1;   // state_read: nothing stored yet; sign/delete: no such key
inline constexpr int kCallbackCancelled = 2;  // the user cancelled a platform prompt

inline constexpr size_t kMaxPlatformState = 64 * 1024;
inline constexpr size_t kMaxPlatformKeyId = 128;
inline constexpr size_t kMaxPlatformPublicKey = 256;
inline constexpr size_t kMaxPlatformSignature = 256;
inline constexpr size_t kMaxPlatformKeys = 4096;
inline constexpr size_t kFactorBytes = 32;

// The platform's part, as plain C function pointers (the same layout as wathiq_keystore in wathiq.h).
// Outputs go into buffers this side owns, of the capacity given; *len is the length written.
struct KeystoreCallbacks {
  void* ctx = nullptr;
  int (*state_read)(void* ctx, uint8_t* buf, size_t cap, size_t* len) = nullptr;
  int (*state_write)(void* ctx, const uint8_t* data, size_t len) = nullptr;
  // out: 32 bytes, a deterministic PRF of input under the non-exportable platform key.
  int (*device_factor)(void* ctx, const uint8_t* input, size_t input_len, uint8_t* out) = nullptr;
  int (*create_key)(void* ctx, char* id, size_t id_cap, size_t* id_len, uint8_t* public_key, size_t public_key_cap,
                    size_t* public_key_len) = nullptr;
  int (*sign)(void* ctx, const char* id, size_t id_len, const uint8_t* message, size_t message_len, uint8_t* sig,
              size_t sig_cap, size_t* sig_len) = nullptr;
  // Calls emit once per device key; a nonzero return from emit means stop (and list_keys returns).
  int (*list_keys)(void* ctx, void* sink,
                   int (*emit)(void* sink, const char* id, size_t id_len, const uint8_t* public_key,
                               size_t public_key_len)) = nullptr;
  int (*delete_key)(void* ctx, const char* id, size_t id_len) = nullptr;
};

struct CallbackKeystoreOptions {
  keys::KdfParams kdf = {3, uint64_t{64} << 20};
  PinSchedule schedule;
  keys::OpenLimits limits;  // caps on parameters read back from the platform's state blob
};

class CallbackKeystore final : public DeviceKeystore {
 public:
  // kInvalidArgument when a callback is missing. Reads the state once (a damaged blob is reported now).
  static Result<std::unique_ptr<CallbackKeystore>> Open(const KeystoreCallbacks& callbacks,
                                                        const CallbackKeystoreOptions& options = {});

  Status Provision(const SecureBuffer& db_key, const keys::SecretText& pin) override;
  Result<SecureBuffer> Unlock(const keys::SecretText& pin, int64_t now) override;
  Status ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now) override;
  Result<PinState> State(int64_t now) const override;
  // ES256 only (kUnsupported otherwise).
  Result<DeviceKeyInfo> CreateDeviceKey(Alg alg = Alg::kES256) override;
  Result<std::vector<DeviceKeyInfo>> DeviceKeys() const override;
  Result<std::shared_ptr<const Signer>> DeviceSigner(std::string_view key_id) const override;
  Status DeleteDeviceKey(std::string_view key_id) override;

 private:
  CallbackKeystore(const KeystoreCallbacks& cb, CallbackKeystoreOptions options)
      : cb_(cb), options_(std::move(options)) {}
  struct Platform;
  struct Entry;
  Result<std::vector<Entry>> List() const;
  KeystoreCallbacks cb_;
  CallbackKeystoreOptions options_;
  mutable std::mutex mu_;
};

}  // namespace wathiq::wallet
