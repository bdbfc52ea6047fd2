// Wathiq wallet: the device keystore, which holds what the app-data folder must not: the key that wraps the
// wallet's database key, the PIN attempt counter, and the device private keys (wallet/README.md has the
// threat model).
//
// Guarantees (every implementation):
//  - The database key goes in and comes out only as a SecureBuffer; it is released only for the right PIN,
//    and only while the PIN schedule allows an attempt.
//  - Every attempt is counted durably BEFORE the PIN is tried (killing the process after typing a PIN does
//    not save the attempt); a success resets the count. The schedule (PinSchedule) is rounds of attempts with
//    waits between rounds and a final block; a blocked keystore never unblocks (recovery is re-issuance).
//  - The clock is a parameter (seconds since the epoch): tests inject it, nothing here reads the real clock.
//  - Only public parts of device keys leave; signing goes through DeviceSigner.
// Errors with stable reasons (Error::reason): "wrong_pin" (kPermission; the message says what is left),
// "pin_wait" (kPermission; locked until PinState::locked_until), "pin_blocked" (kPermission),
// "not_provisioned" / "already_provisioned" (kState), "bad_pin" (kInvalidArgument: PIN shape),
// "keystore_damaged" (kMalformed).
// Thread-safety: implementations serialize their own state changes (the file keystore with an exclusive
// flock, so also across processes); one object may be shared by threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/secret_text.h"

namespace wathiq::wallet {

// Rounds of `attempts_per_round` failures; after round i (1-based) a wait of waits[i-1] seconds; the
// failure that ends the last round (waits.size() + 1 rounds in all) blocks the keystore.
struct PinSchedule {
  int attempts_per_round = 4;
  std::vector<int64_t> waits = {60, 300, 3600};  // 1 minute, 5 minutes, 1 hour; then blocked
  int max_failures() const { return attempts_per_round * static_cast<int>(waits.size() + 1); }
};

struct PinState {
  bool provisioned = false;
  int failures = 0;             // consecutive failed attempts
  int attempts_left = 0;        // before the next wait (or the block)
  int total_attempts_left = 0;  // before the block
  int64_t locked_until = 0;     // > now: no attempt before this time
  bool blocked = false;
};

// The schedule's verdict for `failures` consecutive failures, the last at `last_failure`, seen at `now`.
// A last failure later than now (the clock moved back) counts as now: moving the clock back never
// shortens a wait.
PinState ComputePinState(const PinSchedule& schedule, int failures, int64_t last_failure, int64_t now);

// A PIN is 4 to 64 bytes (the app may ask for 6 digits; the keystore only refuses the unusable).
Status CheckPinShape(const keys::SecretText& pin);

struct DeviceKeyInfo {
  std::string key_id;  // keys::KeyIdForPublicKey: hex of SHA-256(SPKI)[0..8)
  Alg alg = Alg::kES256;
  PublicKey public_key;
};

class DeviceKeystore {
 public:
  virtual ~DeviceKeystore() = default;

  // Wraps a fresh database key under the first PIN. kState "already_provisioned" if one is set.
  virtual Status Provision(const SecureBuffer& db_key, const keys::SecretText& pin) = 0;
  // One counted attempt: the database key for the right PIN.
  virtual Result<SecureBuffer> Unlock(const keys::SecretText& pin, int64_t now) = 0;
  // One counted attempt with the old PIN, then the same database key re-wrapped under the new one, in one
  // atomic step: afterwards exactly one of the two PINs works, whatever fails or crashes.
  virtual Status ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now) = 0;
  virtual Result<PinState> State(int64_t now) const = 0;

  // A new device key (ES256 on P-256; EdDSA where the keystore has it). Only the public part comes out.
  virtual Result<DeviceKeyInfo> CreateDeviceKey(Alg alg = Alg::kES256) = 0;
  virtual Result<std::vector<DeviceKeyInfo>> DeviceKeys() const = 0;
  // A signer for the key (kNotFound "unknown_device_key").
  virtual Result<std::shared_ptr<const Signer>> DeviceSigner(std::string_view key_id) const = 0;
  virtual Status DeleteDeviceKey(std::string_view key_id) = 0;
};

// The file-backed keystore for Linux and the tests: one folder, which must NOT be inside the app-data
// folder (wallet/README.md says what it does not protect against). Layout: `keystore.state` (deterministic
// CBOR, 0600, replaced atomically) and `keystore.lock` (flock).
struct FileKeystoreOptions {
  // Argon2id cost of the PIN factor. Default opslimit 3, 64 MiB (README: why).
  keys::KdfParams kdf = {3, uint64_t{64} << 20};
  PinSchedule schedule;
  // Caps applied to parameters read from the state file (a rewritten file cannot make attempts dearer).
  keys::OpenLimits limits;
};

class FileKeystore final : public DeviceKeystore {
 public:
  // Creates the folder (0700) and a state with a fresh device secret if there is none.
  static Result<std::unique_ptr<FileKeystore>> Open(const std::string& dir, const FileKeystoreOptions& options = {});

  Status Provision(const SecureBuffer& db_key, const keys::SecretText& pin) override;
  Result<SecureBuffer> Unlock(const keys::SecretText& pin, int64_t now) override;
  Status ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now) override;
  Result<PinState> State(int64_t now) const override;
  Result<DeviceKeyInfo> CreateDeviceKey(Alg alg = Alg::kES256) override;
  Result<std::vector<DeviceKeyInfo>> DeviceKeys() const override;
  Result<std::shared_ptr<const Signer>> DeviceSigner(std::string_view key_id) const override;
  Status DeleteDeviceKey(std::string_view key_id) override;

  const std::string& dir() const { return dir_; }

 private:
  FileKeystore(std::string dir, FileKeystoreOptions options) : dir_(std::move(dir)), options_(std::move(options)) {}
  std::string dir_;
  FileKeystoreOptions options_;
};

}  // namespace wathiq::wallet
