#include "wathiq/wallet/backup.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "wathiq/core/cbor.h"
#include "wathiq/core/crypto.h"
#include "wathiq/keys/sealed_secret.h"

namespace wathiq::wallet {
namespace {

constexpr uint16_t kBackupVersion = 1;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::string_view kSealLabel = "wathiq wallet backup key";
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kCodeChars = 25;
constexpr size_t kMinPassphraseBytes = 12;

Error Damaged(const std::string& what) {
  return Error(Errc::kMalformed, "the backup is damaged or was changed: " + what, "backup_damaged");
}

void PutU16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void PutU32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
uint32_t GetU32(ByteView b, size_t at) {
  return static_cast<uint32_t>(b[at]) << 24 | static_cast<uint32_t>(b[at + 1]) << 16 |
         static_cast<uint32_t>(b[at + 2]) << 8 | static_cast<uint32_t>(b[at + 3]);
}

using cbor::Value;

Value Text(const std::string& s) { return Value::Text(s); }

Bytes EncodeContents(const WalletBackup& b) {
  cbor::Array docs;
  for (const auto& d : b.documents) {
    cbor::Array creds;
    for (const auto& c : d.credentials) {
      cbor::Map m;
      m.emplace_back(Text("uri"), Text(c.status_uri));
      m.emplace_back(Text("idx"), Value::Uint(c.status_idx));
      m.emplace_back(Text("mso"), Value::Bytes(ByteView(c.mso_digest)));
      m.emplace_back(Text("until"), Value::Int(c.valid_until));
      m.emplace_back(Text("batch"), Text(c.batch));
      creds.push_back(Value::MakeMap(std::move(m)));
    }
    cbor::Map m;
    m.emplace_back(Text("agency"), Text(d.agency));
    m.emplace_back(Text("doc_type"), Text(d.doc_type));
    m.emplace_back(Text("number"), Text(d.document_number));
    m.emplace_back(Text("label_en"), Text(d.label_en));
    m.emplace_back(Text("label_ar"), Text(d.label_ar));
    m.emplace_back(Text("credentials"), Value::MakeArray(std::move(creds)));
    docs.push_back(Value::MakeMap(std::move(m)));
  }
  cbor::Map top;
  top.emplace_back(Text("v"), Value::Uint(1));
  top.emplace_back(Text("created"), Value::Int(b.created_at));
  top.emplace_back(Text("documents"), Value::MakeArray(std::move(docs)));
  return cbor::Encode(Value::MakeMap(std::move(top)));
}

Result<std::string> TextField(const Value& m, const char* key, size_t max) {
  const Value* v = m.Find(std::string_view(key));
  if (!v || !v->is_text() || v->text().size() > max) return Fail(Damaged(std::string("field ") + key));
  return v->text();
}
Result<int64_t> IntField(const Value& m, const char* key) {
  const Value* v = m.Find(std::string_view(key));
  std::optional<int64_t> i = v ? v->AsInt() : std::nullopt;
  if (!i) return Fail(Damaged(std::string("field ") + key));
  return *i;
}

Result<WalletBackup> DecodeContents(ByteView bytes) {
  auto top = cbor::Decode(bytes);
  if (!top || !top->is_map()) return Fail(Damaged("contents"));
  const Value* v = top->Find(std::string_view("v"));
  if (!v || !v->is_uint() || v->uint() != 1) {
    return Fail(Error(Errc::kUnsupported, "the backup's contents are of an unknown version", "backup_unsupported"));
  }
  WalletBackup out;
  WQ_ASSIGN(out.created_at, IntField(*top, "created"));
  const Value* docs = top->Find(std::string_view("documents"));
  if (!docs || !docs->is_array() || docs->array().size() > kMaxBackupDocuments) return Fail(Damaged("documents"));
  for (const Value& d : docs->array()) {
    if (!d.is_map()) return Fail(Damaged("document"));
    BackupDocument doc;
    WQ_ASSIGN(doc.agency, TextField(d, "agency", 256));
    WQ_ASSIGN(doc.doc_type, TextField(d, "doc_type", 256));
    WQ_ASSIGN(doc.document_number, TextField(d, "number", 64));
    WQ_ASSIGN(doc.label_en, TextField(d, "label_en", 1024));
    WQ_ASSIGN(doc.label_ar, TextField(d, "label_ar", 1024));
    const Value* creds = d.Find(std::string_view("credentials"));
    if (!creds || !creds->is_array() || creds->array().empty() ||
        creds->array().size() > kMaxBackupCredentialsPerDocument)
      return Fail(Damaged("credentials"));
    for (const Value& c : creds->array()) {
      if (!c.is_map()) return Fail(Damaged("credential"));
      BackupCredential bc;
      WQ_ASSIGN(bc.status_uri, TextField(c, "uri", 2048));
      WQ_ASSIGN(int64_t idx, IntField(c, "idx"));
      if (idx < 0) return Fail(Damaged("idx"));
      bc.status_idx = static_cast<uint64_t>(idx);
      const Value* mso = c.Find(std::string_view("mso"));
      if (!mso || !mso->is_bytes() || mso->bytes().size() != 32) return Fail(Damaged("mso"));
      bc.mso_digest = mso->bytes();
      WQ_ASSIGN(bc.valid_until, IntField(c, "until"));
      WQ_ASSIGN(bc.batch, TextField(c, "batch", 256));
      doc.credentials.push_back(std::move(bc));
    }
    out.documents.push_back(std::move(doc));
  }
  return out;
}

}  // namespace

keys::SecretText GenerateRecoveryCode() {
  std::array<uint8_t, kCodeChars> r{};
  RandomBytes(r.data(), r.size());
  SecureBuffer buf(kCodeChars + kCodeChars / 5 - 1);
  size_t n = 0;
  for (size_t i = 0; i < kCodeChars; ++i) {
    if (i > 0 && i % 5 == 0) buf.data()[n++] = '-';
    buf.data()[n++] = static_cast<uint8_t>(kCrockford[r[i] & 31]);  // 5 uniform bits of each byte
  }
  SecureWipe(r.data(), r.size());
  return keys::SecretText::FromBuffer(std::move(buf), n);
}

Result<keys::SecretText> NormalizeBackupSecret(const keys::SecretText& secret) {
  std::string_view in = secret.text();
  SecureBuffer code(kCodeChars + kCodeChars / 5 - 1);
  size_t chars = 0, n = 0;
  bool is_code = true;
  for (char ch : in) {
    if (ch == '-' || ch == ' ' || ch == '\t') continue;
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (u == 'I' || u == 'L') u = '1';
    if (u == 'O') u = '0';
    if (kCrockford.find(u) == std::string_view::npos || chars == kCodeChars) {
      is_code = false;
      break;
    }
    if (chars > 0 && chars % 5 == 0) code.data()[n++] = '-';
    code.data()[n++] = static_cast<uint8_t>(u);
    ++chars;
  }
  if (is_code && chars == kCodeChars) return keys::SecretText::FromBuffer(std::move(code), n);
  if (in.size() < kMinPassphraseBytes) {
    return Fail(Error(Errc::kInvalidArgument,
                      "a backup passphrase is at least 12 characters (a generated recovery code is better)",
                      "weak_passphrase"));
  }
  return keys::SecretText::FromString(in);
}

Result<Bytes> SealBackup(const WalletBackup& backup, const keys::SecretText& secret, const BackupOptions& options) {
  WQ_ASSIGN(keys::SecretText normalized, NormalizeBackupSecret(secret));
  if (backup.documents.size() > kMaxBackupDocuments) return Fail(Errc::kLimit, "too many documents for one backup");
  SecureBuffer key(kKeyBytes);
  RandomBytes(key.data(), key.size());
  keys::SecretSealOptions so;
  so.kdf = options.kdf;
  so.label = std::string(kSealLabel);
  WQ_ASSIGN(Bytes sealed, keys::SealSecret(key, normalized, so));
  Bytes plain = EncodeContents(backup);
  Bytes out(kBackupMagic.begin(), kBackupMagic.end());
  PutU16(out, kBackupVersion);
  PutU32(out, static_cast<uint32_t>(sealed.size()));
  out.insert(out.end(), sealed.begin(), sealed.end());
  std::array<uint8_t, kNonceBytes> nonce{};
  RandomBytes(nonce.data(), nonce.size());
  out.insert(out.end(), nonce.begin(), nonce.end());
  PutU32(out, static_cast<uint32_t>(plain.size() + kTagBytes));
  const size_t ad_len = out.size();
  out.resize(ad_len + plain.size() + kTagBytes);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + ad_len, &ct_len, plain.data(), plain.size(), out.data(),
                                             ad_len, nullptr, nonce.data(), key.data());
  SecureWipe(plain);
  if (out.size() > kMaxBackupBytes) return Fail(Errc::kLimit, "the backup would exceed 4 MiB");
  return out;
}

Result<WalletBackup> OpenBackup(ByteView file, const keys::SecretText& secret, const keys::OpenLimits& limits) {
  if (file.size() > kMaxBackupBytes) return Fail(Error(Errc::kLimit, "a backup is at most 4 MiB", "too_large"));
  const size_t head = kBackupMagic.size() + 2 + 4;
  if (file.size() < head || !std::equal(kBackupMagic.begin(), kBackupMagic.end(), file.begin())) {
    return Fail(Damaged("not a wallet backup (or truncated)"));
  }
  const uint16_t version = static_cast<uint16_t>(file[6] << 8 | file[7]);
  if (version != kBackupVersion) {
    return Fail(Error(Errc::kUnsupported, "backup version " + std::to_string(version) + " is not supported",
                      "backup_unsupported"));
  }
  const size_t sealed_len = GetU32(file, 8);
  if (sealed_len > file.size() - head || file.size() - head - sealed_len < kNonceBytes + 4) {
    return Fail(Damaged("truncated"));
  }
  const size_t nonce_at = head + sealed_len;
  const size_t ct_at = nonce_at + kNonceBytes + 4;
  const size_t ct_len = GetU32(file, nonce_at + kNonceBytes);
  if (ct_len < kTagBytes || ct_len != file.size() - ct_at) return Fail(Damaged("truncated or extended"));
  WQ_ASSIGN(keys::SecretText normalized, NormalizeBackupSecret(secret));
  auto key = keys::UnsealSecret(file.subspan(head, sealed_len), normalized, limits);
  if (!key) {
    const Error& e = key.error();
    if (e.code == Errc::kPermission) {
      return Fail(Error(Errc::kPermission, "wrong passphrase or recovery code for this backup", "wrong_passphrase"));
    }
    if (e.code == Errc::kLimit) return Fail(Error(Errc::kLimit, e.message, "limit"));
    if (e.code == Errc::kUnsupported) return Fail(Error(Errc::kUnsupported, e.message, "backup_unsupported"));
    return Fail(Damaged(e.message));
  }
  if (key->size() != kKeyBytes) return Fail(Damaged("content key"));
  SecureBuffer plain(ct_len - kTagBytes);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plain_len, nullptr, file.data() + ct_at, ct_len,
                                                 file.data(), ct_at, file.data() + nonce_at, key->data()) != 0) {
    return Fail(Damaged("the contents do not authenticate"));
  }
  return DecodeContents(plain.view());
}

Result<std::vector<ReissueRequest>> RestoreFromBackup(Wallet& wallet, const WalletBackup& backup) {
  WQ_ASSIGN(std::vector<CredentialSummary> held, wallet.List());
  if (!held.empty()) {
    return Fail(Error(
        Errc::kState,
        "restore goes into a new, empty wallet (this one holds " + std::to_string(held.size()) + " credential(s))",
        "wallet_not_empty"));
  }
  std::vector<ReissueRequest> out;
  for (const auto& d : backup.documents) {
    ReissueRequest r;
    r.agency = d.agency;
    r.doc_type = d.doc_type;
    r.document_number = d.document_number;
    r.label_en = d.label_en;
    r.label_ar = d.label_ar;
    for (const auto& c : d.credentials) r.old_mso_digests.push_back(c.mso_digest);
    WQ_ASSIGN(r.device_key, wallet.NewDeviceKey());
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace wathiq::wallet
