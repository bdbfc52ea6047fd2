#include "wathiq/keys/key_handle.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/secret_text.h"

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
  if (!st)
    return Fail(Errc::kCrypto, "key " + *key_id_ + " failed its self-test: the secret does not match the public key");
  return Ok();
}

// SecretText ---------------------------------------------------------------------------------------------

SecretText SecretText::FromString(std::string_view text) {
  SecretText s;
  s.buf_ = SecureBuffer(AsBytes(text));
  s.size_ = text.size();
  return s;
}

SecretText SecretText::FromBuffer(SecureBuffer buf, size_t size) {
  if (size > buf.size()) std::abort();
  SecretText s;
  s.buf_ = std::move(buf);
  s.size_ = size;
  return s;
}

Result<SecretText> SecretText::FromFile(const std::string& path) {
  constexpr size_t kMax = 4096;
  // open/read, not an ifstream: a filebuf copies the file into a heap buffer that is freed unwiped.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    return Fail(e == ENOENT ? Errc::kNotFound : Errc::kIo, "cannot open secret file " + path + ": " + std::strerror(e));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
    close(fd);
    return Fail(Errc::kIo, "secret file " + path + " is not a regular file, pipe or device");
  }
  SecureBuffer buf(kMax + 1);
  size_t n = 0;
  while (n < buf.size()) {
    ssize_t r = read(fd, buf.data() + n, buf.size() - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      return Fail(Errc::kIo, "cannot read secret file " + path + ": " + std::strerror(e));
    }
    if (r == 0) break;
    n += static_cast<size_t>(r);
  }
  close(fd);
  if (n > kMax) return Fail(Errc::kLimit, "secret file " + path + " is larger than 4 KiB");
  if (n > 0 && buf.data()[n - 1] == '\n') --n;
  if (n > 0 && buf.data()[n - 1] == '\r') --n;
  return FromBuffer(std::move(buf), n);  // the stripped newline stays behind size(), wiped with the buffer
}

Result<SecretText> SecretText::FromEnv(const std::string& name) {
  char* v = std::getenv(name.c_str());
  if (!v) return Fail(Errc::kNotFound, "environment variable " + name + " is not set");
  SecretText s = FromString(v);
  // Wipe the value where it lives (for a variable inherited at exec, the stack page /proc/<pid>/environ
  // reads), then drop the variable so nothing later in the process, or a child, sees it.
  sodium_memzero(v, std::strlen(v));
  unsetenv(name.c_str());
  return s;
}

bool SecretText::Equals(const SecretText& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(buf_.data(), other.buf_.data(), size_) == 0;
}

}  // namespace wathiq::keys
