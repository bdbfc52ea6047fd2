#include "wathiq/keys/sealed_secret.h"

#include <sodium.h>

#include "sealed_container.h"

namespace wathiq::keys {
namespace {

constexpr size_t kMaxLabel = 1024;
// The secret's label is the container's header field (sealed_container.h).
constexpr internal::SealedKind kSealedSecret{kSealedSecretMagic,   "sealed secret", "label", kMaxLabel, 1,
                                             kMaxSealedSecretBytes};

struct Parsed {
  SealedSecretInfo info;
  internal::SealedContainer container;
};

Result<Parsed> Parse(ByteView f) {
  Parsed out;
  WQ_ASSIGN(out.container, internal::ParseSealed(f, kSealedSecret));
  out.info.version = out.container.version;
  out.info.kdf = out.container.kdf;
  out.info.label = AsString(out.container.header);
  out.info.secret_size = out.container.secret_size();
  return out;
}

}  // namespace

bool LooksLikeSealedSecret(ByteView file) { return internal::HasSealedMagic(file, kSealedSecretMagic); }

Result<Bytes> SealSecret(const SecureBuffer& secret, const SecretText& passphrase, const SecretSealOptions& options) {
  if (passphrase.empty()) return Fail(Errc::kInvalidArgument, "refusing to seal a secret under an empty passphrase");
  if (secret.empty() || secret.size() > kMaxSealedSecretBytes) {
    return Fail(Errc::kInvalidArgument, "a sealed secret must be 1 to 4096 bytes");
  }
  if (options.label.size() > kMaxLabel) return Fail(Errc::kInvalidArgument, "secret label longer than 1024 bytes");
  WQ_TRY(internal::CheckKdf(options.kdf, OpenLimits{crypto_pwhash_OPSLIMIT_MAX, crypto_pwhash_MEMLIMIT_MAX}));
  return internal::Seal(kSealedSecret, AsBytes(options.label), secret.view(), passphrase, options.kdf);
}

Result<SealedSecretInfo> InspectSealedSecret(ByteView file) {
  WQ_ASSIGN(Parsed p, Parse(file));
  return p.info;
}

Result<SecureBuffer> UnsealSecret(ByteView file, const SecretText& passphrase, const OpenLimits& limits) {
  WQ_ASSIGN(Parsed p, Parse(file));
  return internal::OpenSealed(p.container, passphrase, limits,
                              "sealed secret" + (p.info.label.empty() ? "" : " '" + p.info.label + "'"));
}

Status WriteSealedSecretFile(const std::string& path, const SecureBuffer& secret, const SecretText& passphrase,
                             const SecretSealOptions& options, WriteMode mode) {
  WQ_ASSIGN(Bytes sealed, SealSecret(secret, passphrase, options));
  return WriteFileAtomically(path, sealed, mode, 0600);
}

Result<SecureBuffer> OpenSealedSecretFile(const std::string& path, const SecretText& passphrase,
                                          const OpenLimits& limits) {
  WQ_ASSIGN(Bytes file, ReadFileBytes(path, 64 << 10));
  auto s = UnsealSecret(file, passphrase, limits);
  if (!s) return Wrap(path, s.error());
  return s;
}

}  // namespace wathiq::keys
