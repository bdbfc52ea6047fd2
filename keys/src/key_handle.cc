#include "wathiq/keys/key_handle.h"

#include <cstdlib>

#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/secret_text.h"

#include <fstream>
#include <sodium.h>

namespace wathiq::keys {

std::string_view KeySourceName(KeySource source) {
  switch (source) {
    case KeySource::kSoftware: return "software";
    case KeySource::kPkcs11: return "pkcs11";
  }
  return "unknown";
}

Result<std::string> KeyIdForPublicKey(const PublicKey& key) {
  WQ_ASSIGN(Bytes spki, key.ToSpki());
  Bytes h = Sha256(spki);
  return ToHex(ByteView(h.data(), 8));
}

Result<KeyHandle> KeyHandle::Wrap(std::shared_ptr<const Signer> signer, KeySource source, std::string label) {
  if (!signer) return Fail(Errc::kInvalidArgument, "KeyHandle: no signer");
  WQ_ASSIGN(PublicKey pub, signer->public_key());
  WQ_ASSIGN(auto verifier, MakeVerifier(pub, signer->alg()));  // also checks alg against the curve
  WQ_ASSIGN(Bytes spki, pub.ToSpki());
  Bytes h = Sha256(spki);
  KeyHandle k;
  k.signer_ = std::move(signer);
  k.alg_ = k.signer_->alg();
  k.source_ = source;
  k.key_id_ = std::make_shared<const std::string>(ToHex(ByteView(h.data(), 8)));
  k.pub_ = std::make_shared<const PublicKey>(std::move(pub));
  k.spki_ = std::make_shared<const Bytes>(std::move(spki));
  k.label_ = std::make_shared<const std::string>(std::move(label));
  k.verifier_ = std::shared_ptr<const Verifier>(std::move(verifier));
  return k;
}

Result<KeyHandle> KeyHandle::GenerateSoftware(Alg alg, std::string label) {
  WQ_ASSIGN(std::unique_ptr<Signer> s, GenerateSoftwareSigner(alg));
  return Wrap(std::shared_ptr<const Signer>(std::move(s)), KeySource::kSoftware, std::move(label));
}

Result<KeyHandle> KeyHandle::SoftwareFromSecret(Alg alg, ByteView secret, std::string label) {
  WQ_ASSIGN(std::unique_ptr<Signer> s, SoftwareSignerFromSecret(alg, secret));
  return Wrap(std::shared_ptr<const Signer>(std::move(s)), KeySource::kSoftware, std::move(label));
}

Result<Bytes> KeyHandle::Sign(ByteView message) const {
  if (!signer_) return Fail(Errc::kState, "KeyHandle is empty");
  return signer_->Sign(message);
}

Result<PublicKey> KeyHandle::public_key() const {
  if (!pub_) return Fail(Errc::kState, "KeyHandle is empty");
  return *pub_;
}

Status KeyHandle::SelfTest() const {
  if (!signer_) return Fail(Errc::kState, "KeyHandle is empty");
  static constexpr std::string_view kMsg = "wathiq key self-test";
  WQ_ASSIGN(Bytes sig, signer_->Sign(AsBytes(kMsg)));
  auto st = verifier_->Verify(AsBytes(kMsg), sig);
  if (!st) return Fail(Errc::kCrypto, "key " + *key_id_ + " failed its self-test: the secret does not match the public key");
  return Ok();
}

// SecretText ---------------------------------------------------------------------------------------------

SecretText SecretText::FromString(std::string_view text) {
  SecretText s;
  s.buf_ = SecureBuffer(AsBytes(text));
  s.size_ = text.size();
  return s;
}

Result<SecretText> SecretText::FromFile(const std::string& path) {
  constexpr size_t kMax = 4096;
  std::ifstream f(path, std::ios::binary);
  if (!f) return Fail(Errc::kNotFound, "cannot open secret file " + path);
  SecureBuffer tmp(kMax + 1);
  f.read(reinterpret_cast<char*>(tmp.data()), static_cast<std::streamsize>(tmp.size()));
  size_t n = static_cast<size_t>(f.gcount());
  if (f.bad()) return Fail(Errc::kIo, "cannot read secret file " + path);
  if (n > kMax) return Fail(Errc::kLimit, "secret file " + path + " is larger than 4 KiB");
  if (n > 0 && tmp.data()[n - 1] == '\n') --n;
  if (n > 0 && tmp.data()[n - 1] == '\r') --n;
  SecretText s;
  s.buf_ = SecureBuffer(ByteView(tmp.data(), n));
  s.size_ = n;
  return s;
}

Result<SecretText> SecretText::FromEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return Fail(Errc::kNotFound, "environment variable " + name + " is not set");
  return FromString(v);
}

bool SecretText::Equals(const SecretText& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(buf_.data(), other.buf_.data(), size_) == 0;
}

}  // namespace wathiq::keys
