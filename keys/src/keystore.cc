#include "wathiq/keys/keystore.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>

#include "sealed_container.h"
#include "secret_export.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/secure_buffer.h"

namespace wathiq::keys {
namespace {

// The key's public metadata is the container's header field: deterministic CBOR, at most a u16's worth.
constexpr internal::SealedKind kSealedKey{
    kSealedKeyMagic, "sealed key", "metadata", 0xFFFF, 0, std::numeric_limits<size_t>::max()};

struct Parsed {
  SealedKeyInfo info;
  internal::SealedContainer container;
};

Result<Parsed> Parse(ByteView f) {
  Parsed out;
  WQ_ASSIGN(out.container, internal::ParseSealed(f, kSealedKey));
  out.info.version = out.container.version;
  out.info.kdf = out.container.kdf;

  auto m = cbor::Decode(out.container.header);
  if (!m) return Wrap("sealed key metadata", m.error());
  if (!m->is_map() || m->map().size() != 4)
    return Fail(Errc::kMalformed, "sealed key metadata must be a map of 4 entries");
  const cbor::Value* alg = m->Find("alg");
  const cbor::Value* label = m->Find("label");
  const cbor::Value* created = m->Find("created");
  const cbor::Value* pub = m->Find("public_key");
  if (!alg || !alg->AsInt() || !label || !label->is_text() || !created || !created->is_uint() || !pub ||
      !pub->is_bytes()) {
    return Fail(Errc::kMalformed, "sealed key metadata: expected alg, label, created, public_key");
  }
  WQ_ASSIGN(out.info.alg, AlgFromCose(*alg->AsInt()));
  out.info.label = label->text();
  out.info.created_at = static_cast<int64_t>(created->uint());
  WQ_ASSIGN(Curve curve, CurveForAlg(out.info.alg));
  auto pk = PublicKey::FromRaw(curve, pub->bytes());
  if (!pk) return Wrap("sealed key metadata public key", pk.error());
  out.info.public_key = std::move(*pk);
  WQ_ASSIGN(out.info.key_id, KeyIdForPublicKey(out.info.public_key));
  return out;
}

static_assert(OpenLimits{}.max_opslimit == crypto_pwhash_OPSLIMIT_SENSITIVE &&
                  OpenLimits{}.max_memlimit == crypto_pwhash_MEMLIMIT_SENSITIVE,
              "the default open limits are the strongest preset we write");

}  // namespace

KdfParams KdfParams::Min() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }
KdfParams KdfParams::Interactive() { return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE}; }
KdfParams KdfParams::Moderate() { return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE}; }
KdfParams KdfParams::Sensitive() { return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE}; }

Result<KdfParams> KdfParams::FromName(std::string_view name) {
  if (name == "min") return Min();
  if (name == "interactive") return Interactive();
  if (name == "moderate") return Moderate();
  if (name == "sensitive") return Sensitive();
  return Fail(Errc::kInvalidArgument,
              "unknown KDF preset '" + std::string(name) + "' (expected min, interactive, moderate or sensitive)");
}

bool LooksLikeSealedKey(ByteView file) { return internal::HasSealedMagic(file, kSealedKeyMagic); }

Result<Bytes> SealKey(const Signer& key, const SecretText& passphrase, const SealOptions& options) {
  if (passphrase.empty()) return Fail(Errc::kInvalidArgument, "refusing to seal a key under an empty passphrase");
  WQ_TRY(internal::CheckKdf(options.kdf, OpenLimits{}));  // never write a file a default reader refuses
  if (options.label.size() > 1024) return Fail(Errc::kInvalidArgument, "key label longer than 1024 bytes");
  WQ_ASSIGN(SecureBuffer secret, internal::ExportSecretForSealing(key));
  WQ_ASSIGN(PublicKey pub, key.public_key());

  cbor::Value meta = cbor::Value::MakeMap();
  meta.Set("alg", cbor::Value::Int(static_cast<int64_t>(key.alg())));
  meta.Set("label", cbor::Value::Text(options.label));
  int64_t created = options.created_at ? options.created_at : static_cast<int64_t>(std::time(nullptr));
  meta.Set("created", cbor::Value::Uint(static_cast<uint64_t>(created)));
  meta.Set("public_key", cbor::Value::Bytes(pub.raw()));
  return internal::Seal(kSealedKey, cbor::Encode(meta), secret.view(), passphrase, options.kdf);
}

Result<SealedKeyInfo> InspectSealedKey(ByteView file) {
  WQ_ASSIGN(Parsed p, Parse(file));
  return p.info;
}

Result<KeyHandle> UnsealKey(ByteView file, const SecretText& passphrase, const OpenLimits& limits) {
  WQ_ASSIGN(Parsed p, Parse(file));
  WQ_ASSIGN(SecureBuffer secret, internal::OpenSealed(p.container, passphrase, limits,
                                                      "sealed key " + p.info.key_id +
                                                          (p.info.label.empty() ? "" : " ('" + p.info.label + "')")));
  auto h = KeyHandle::SoftwareFromSecret(p.info.alg, secret.view(), p.info.label);
  if (!h) return Wrap("sealed key " + p.info.key_id, h.error());
  if (!(h->cached_public_key() == p.info.public_key)) {
    return Fail(Errc::kMalformed,
                "sealed key " + p.info.key_id + ": the secret does not match the recorded public key");
  }
  WQ_TRY(h->SelfTest());
  return h;
}

Status WriteSealedKeyFile(const std::string& path, const Signer& key, const SecretText& passphrase,
                          const SealOptions& options, WriteMode mode) {
  WQ_ASSIGN(Bytes sealed, SealKey(key, passphrase, options));
  return WriteFileAtomically(path, sealed, mode, 0600);
}

Result<KeyHandle> OpenSealedKeyFile(const std::string& path, const SecretText& passphrase, const OpenLimits& limits) {
  WQ_ASSIGN(Bytes file, ReadFileBytes(path, 1 << 20));
  auto h = UnsealKey(file, passphrase, limits);
  if (!h) return Wrap(path, h.error());
  return h;
}

Status ChangeSealedKeyPassphrase(const std::string& path, const SecretText& old_passphrase,
                                 const SecretText& new_passphrase, const KdfParams& kdf, const OpenLimits& limits) {
  WQ_ASSIGN(Bytes file, ReadFileBytes(path, 1 << 20));
  WQ_ASSIGN(SealedKeyInfo info, InspectSealedKey(file));
  WQ_ASSIGN(KeyHandle key, UnsealKey(file, old_passphrase, limits));
  SealOptions o;
  o.kdf = kdf;
  o.label = info.label;
  o.created_at = info.created_at;
  return WriteSealedKeyFile(path, key, new_passphrase, o, WriteMode::kReplace);
}

}  // namespace wathiq::keys
