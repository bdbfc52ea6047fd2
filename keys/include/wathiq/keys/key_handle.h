// Wathiq keys: KeyHandle, one signing key with its identity, wherever the secret lives.
//
// A KeyHandle is a wathiq::Signer (so COSE, X.509 issuance and the trust list take it directly) that also
// carries: where the key lives (software memory or a PKCS#11 token), a label, the public key read once at
// construction, its SubjectPublicKeyInfo DER, a key id and a ready Verifier for self-checks.
//  - key id = lowercase hex of the first 8 bytes of SHA-256(SubjectPublicKeyInfo DER): stable across
//    software/HSM, printable, and the same value the sealed keystore and backup shares record.
//  - Software secrets stay inside core's signers (sodium_malloc'd). The only way out is
//    wathiq::ExportSoftwareSecretForSealing, used by keystore.cc and backup.cc and nowhere else.
// Thread-safety: a KeyHandle is immutable; Sign() is as thread-safe as the underlying signer (software
// signers are; PKCS#11 signers serialize on their session). Copies share the same key.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"

namespace wathiq::keys {

enum class KeySource { kSoftware, kPkcs11 };
std::string_view KeySourceName(KeySource source);

// lowercase hex of SHA-256(SPKI DER)[0..8)
Result<std::string> KeyIdForPublicKey(const PublicKey& key);

class KeyHandle final : public Signer {
 public:
  // An empty handle (so it can be a member assigned later); Sign() on it fails with kState, the
  // accessors abort. Real handles come only from the factories below, Pkcs11Token and the keystore.
  KeyHandle() = default;
  bool valid() const { return signer_ != nullptr; }
  // Wraps any signer; reads its public key once (fails if it cannot) and checks alg against the curve.
  static Result<KeyHandle> Wrap(std::shared_ptr<const Signer> signer, KeySource source, std::string label = {});
  static Result<KeyHandle> GenerateSoftware(Alg alg, std::string label = {});
  // secret: ECDSA scalar (big-endian, field size) or Ed25519 32-byte seed. The caller wipes its copy.
  static Result<KeyHandle> SoftwareFromSecret(Alg alg, ByteView secret, std::string label = {});

  Alg alg() const override { return alg_; }
  Curve curve() const override { return pub_->curve(); }
  Result<Bytes> Sign(ByteView message) const override;
  Result<PublicKey> public_key() const override;

  const PublicKey& cached_public_key() const { return *pub_; }
  const Bytes& spki() const { return *spki_; }
  const std::string& key_id() const { return *key_id_; }
  const std::string& label() const { return *label_; }
  KeySource source() const { return source_; }
  // Verifies with this key's own public key (self-test after unsealing or generating in a token).
  const Verifier& verifier() const { return *verifier_; }
  // The wrapped signer (core software signer or the PKCS#11 signer).
  const std::shared_ptr<const Signer>& inner() const { return signer_; }
  // Signs a fixed test message and verifies it: proves the secret matches the public key.
  Status SelfTest() const;

 private:
  std::shared_ptr<const Signer> signer_;
  Alg alg_ = Alg::kES256;
  KeySource source_ = KeySource::kSoftware;
  std::shared_ptr<const PublicKey> pub_;
  std::shared_ptr<const Bytes> spki_;
  std::shared_ptr<const std::string> key_id_;
  std::shared_ptr<const std::string> label_;
  std::shared_ptr<const Verifier> verifier_;
};

}  // namespace wathiq::keys
