// Wathiq wallet: a device keystore on a PKCS#11 token (tested on SoftHSM2; a secure element or smart card in
// the field). Everything the app-data folder must not hold is on the token:
//  - the PIN record and the attempt counter: a private data object (<prefix>-state), so restoring an old
//    copy of the app-data folder does not reset the count;
//  - the device factor: a 256-bit generic secret generated in the token (<prefix>-factor; sensitive, never
//    extractable) that computes HMAC-SHA256(salt) for the wrap of the database key
//    (K = HKDF(HMAC_token(salt) || Argon2id(PIN, salt)), as in wallet/src/pin_wrap.h): without the token,
//    no PIN search can open the key;
//  - the device keys: P-256 (or Ed25519) key pairs generated in the token (<prefix>-dk-<random>), never
//    extractable; only public keys leave.
// The token's own login PIN is the app's (or the platform's), not the citizen's: the citizen's PIN is
// checked here, with the schedule of wallet/keystore.h. A token with its own PIN retry counter would add
// its lockout on top.
// What it does not protect against: whoever can restore an old copy of the token's own storage (SoftHSM2
// keeps it in files; a hardware token does not allow it) resets the counter, as with the file keystore.
// Thread-safety: calls on one object are serialized by a mutex; two processes on one token are not
// serialized (PKCS#11 has no lock): run one wallet process per token.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "wathiq/keys/pkcs11.h"
#include "wathiq/wallet/keystore.h"

namespace wathiq::wallet {

struct Pkcs11KeystoreOptions {
  keys::KdfParams kdf = {3, uint64_t{64} << 20};
  PinSchedule schedule;
  keys::OpenLimits limits;
  std::string prefix = "wathiq-wallet";  // labels of this keystore's objects in the token
};

class Pkcs11Keystore final : public DeviceKeystore {
 public:
  // `token`: open and logged in. Creates the factor key and an empty state on first use.
  static Result<std::unique_ptr<Pkcs11Keystore>> Open(std::shared_ptr<keys::Pkcs11Token> token,
                                                      const Pkcs11KeystoreOptions& options = {});

  Status Provision(const SecureBuffer& db_key, const keys::SecretText& pin) override;
  Result<SecureBuffer> Unlock(const keys::SecretText& pin, int64_t now) override;
  Status ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now) override;
  Result<PinState> State(int64_t now) const override;
  Result<DeviceKeyInfo> CreateDeviceKey(Alg alg = Alg::kES256) override;
  Result<std::vector<DeviceKeyInfo>> DeviceKeys() const override;
  Result<std::shared_ptr<const Signer>> DeviceSigner(std::string_view key_id) const override;
  Status DeleteDeviceKey(std::string_view key_id) override;

 private:
  Pkcs11Keystore(std::shared_ptr<keys::Pkcs11Token> token, Pkcs11KeystoreOptions options)
      : token_(std::move(token)), options_(std::move(options)) {}
  struct Found;
  Result<std::vector<Found>> FindDeviceKeys() const;
  std::shared_ptr<keys::Pkcs11Token> token_;
  Pkcs11KeystoreOptions options_;
  mutable std::mutex mu_;
};

}  // namespace wathiq::wallet
