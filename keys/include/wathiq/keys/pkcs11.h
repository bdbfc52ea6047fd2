// Wathiq keys: signing keys in a PKCS#11 token (an HSM; tested on SoftHSM2), through the PKCS#11 C API.
//
// Debian's Botan has no PKCS#11, so this talks to the module directly: dlopen + C_GetFunctionList.
// Guarantees:
//  - Keys generated here are token objects with CKA_SENSITIVE=true, CKA_EXTRACTABLE=false, CKA_PRIVATE=true
//    and CKA_SIGN=true: the private key never leaves the token. InspectKey reports the attributes the token
//    holds and whether a read of CKA_VALUE was refused.
//  - A key found in the token (FindKey, FindKeyById, InspectKey) is used only if it is CKA_SENSITIVE and not
//    CKA_EXTRACTABLE, and CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE (true only if that has held since
//    the key was generated in the token); otherwise kPermission naming the attribute. An imported key, or
//    one generated extractable and locked down later, may have a copy outside the token and is refused.
//  - ES256: the message is hashed with SHA-256 here and signed with CKM_ECDSA (SoftHSM2 2.6 has no
//    CKM_ECDSA_SHA256); the token returns raw r||s, which is COSE's form. EdDSA: CKM_EDDSA over the message.
//  - Public keys are read once (CKA_EC_POINT, unwrapped from its DER OCTET STRING) when the key is found;
//    every KeyHandle is self-tested (sign + verify) before it is returned.
//  - Tokens are found by label, never by slot number (SoftHSM2 moves a token to a new slot when it is
//    initialised). Errors name what failed: module not found, token not found (with the labels present),
//    wrong PIN, PIN locked, key not found, and the PKCS#11 return value name.
//  - PINs are passed as SecretText and used only for C_Login / C_InitToken / C_InitPIN.
// SoftHSM2 reads SOFTHSM2_CONF when the module is first initialised; set it before Load().
// Thread-safety: the module is initialised with CKF_OS_LOCKING_OK. Each PKCS#11 signer owns one session
// and serialises its own Sign calls, so a KeyHandle may be shared; open several for parallel signing.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/secret_text.h"

namespace wathiq::keys {

inline constexpr std::string_view kSoftHsmModulePath = "/usr/lib/softhsm/libsofthsm2.so";

struct TokenSummary {
  unsigned long slot = 0;
  std::string label;
  std::string manufacturer;
  std::string model;
  std::string serial;
  bool initialized = false;
};

struct Pkcs11KeySpec {
  Alg alg = Alg::kES256;  // ES256 (P-256) or EdDSA (Ed25519)
  std::string label;      // CKA_LABEL, required and unique in the token
  Bytes id;               // CKA_ID; empty → 8 random bytes
};

struct Pkcs11KeyInfo {
  std::string label;
  Bytes id;
  Alg alg = Alg::kES256;
  PublicKey public_key;
  bool sensitive = false;
  bool extractable = true;
  bool always_sensitive = false;
  bool never_extractable = false;
  bool value_readable = true;     // could CKA_VALUE of the private key be read?
  std::string value_read_result;  // e.g. "CKR_ATTRIBUTE_SENSITIVE"
};

class Pkcs11Token;

class Pkcs11Module : public std::enable_shared_from_this<Pkcs11Module> {
 public:
  // Loads and initialises the module once per path per process; later calls share it.
  static Result<std::shared_ptr<Pkcs11Module>> Load(const std::string& path);
  ~Pkcs11Module();
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  const std::string& path() const { return path_; }
  std::string library_description() const;
  Result<std::vector<TokenSummary>> ListTokens() const;
  // Initialises the first uninitialised token with `label` and sets its user PIN (provisioning, tests).
  // kState if a token with this label already exists.
  Status InitToken(std::string_view label, const SecretText& so_pin, const SecretText& user_pin);
  // Opens a session on the token labelled `label` and logs the user in.
  Result<std::shared_ptr<Pkcs11Token>> OpenToken(std::string_view label, const SecretText& user_pin);

  struct Impl;

 private:
  friend class Pkcs11Token;
  Pkcs11Module() = default;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

class Pkcs11Token : public std::enable_shared_from_this<Pkcs11Token> {
 public:
  ~Pkcs11Token();
  Pkcs11Token(const Pkcs11Token&) = delete;
  Pkcs11Token& operator=(const Pkcs11Token&) = delete;

  const std::string& label() const { return label_; }
  // Generates a non-extractable key pair in the token. kState if the label is taken.
  Result<KeyHandle> GenerateKey(const Pkcs11KeySpec& spec);
  // Finds the private key (and its public half) by CKA_LABEL / CKA_ID. kNotFound when absent, kPermission
  // when the key is or ever was extractable or not sensitive.
  Result<KeyHandle> FindKey(std::string_view label);
  Result<KeyHandle> FindKeyById(ByteView id);
  Result<Pkcs11KeyInfo> InspectKey(std::string_view label);
  Result<std::vector<std::string>> ListKeyLabels();
  Status DestroyKey(std::string_view label);

  // Data objects (CKO_DATA, token, private: readable only after login) for small records a keystore keeps on
  // the token rather than in files, e.g. a PIN attempt counter that a restored app-data folder must not
  // reset (wallet/pkcs11_keystore.h). WriteData creates the next generation of the object (CKA_APPLICATION)
  // and then destroys the older ones (CKA_VALUE of a data object is read-only in SoftHSM2); after a crash in
  // between, ReadData returns the newest.
  Status WriteData(std::string_view label, ByteView value);
  Result<Bytes> ReadData(std::string_view label);  // kNotFound when absent
  // A 256-bit generic secret generated in the token (sensitive, never extractable, CKA_SIGN), and
  // HMAC-SHA256 with it in the token (CKM_SHA256_HMAC): a device-bound factor that never leaves the token.
  // TokenHmacSha256 refuses a key that is or ever was extractable (kPermission), like FindKey.
  Status GenerateHmacKey(std::string_view label);
  Result<Bytes> TokenHmacSha256(std::string_view label, ByteView data);

  struct Impl;

 private:
  Result<KeyHandle> HandleFor(unsigned long private_key_object);
  friend class Pkcs11Module;
  Pkcs11Token() = default;
  std::string label_;
  std::unique_ptr<Impl> impl_;
};

// A PKCS#11 return value's name ("CKR_PIN_INCORRECT"), for messages and tests.
std::string Pkcs11RvName(unsigned long rv);

}  // namespace wathiq::keys
