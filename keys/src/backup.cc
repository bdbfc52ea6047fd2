#include "wathiq/keys/backup.h"

#include <botan/system_rng.h>
#include <botan/tss.h>

#include <sodium.h>

#include <cstring>
#include <exception>
#include <set>

#include "secret_export.h"
#include "wathiq/core/secure_buffer.h"

namespace wathiq::keys {
namespace {

constexpr std::string_view kPrefix = "WQSHARE1";

struct ParsedShare {
  ShareInfo info;
  // M shares recover the key, so share bytes are secret material: decoded straight into protected memory.
  SecureBuffer rtss;
  size_t rtss_size = 0;
};

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find('.', start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::string Checksum(std::string_view body) {
  Bytes h = Sha256(AsBytes(body));
  return ToHex(ByteView(h.data(), 4));
}

Result<int> SmallInt(std::string_view s, int lo, int hi, const char* what) {
  if (s.empty() || s.size() > 3) return Fail(Errc::kMalformed, std::string("share ") + what + " is not a number");
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Fail(Errc::kMalformed, std::string("share ") + what + " is not a number");
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return Fail(Errc::kMalformed, std::string("share ") + what + " out of range");
  return v;
}

Result<ParsedShare> Parse(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  auto parts = SplitDots(text);
  if (parts.size() != 8 || parts[0] != kPrefix) {
    return Fail(Errc::kMalformed, "not a Wathiq key share (expected WQSHARE1 and 8 dot-separated fields)");
  }
  size_t last_dot = text.rfind('.');
  if (Checksum(text.substr(0, last_dot)) != parts[7]) {
    return Fail(Errc::kMalformed, "checksum mismatch: the share text is damaged");
  }
  ParsedShare p;
  p.info.key_id = std::string(parts[1]);
  if (p.info.key_id.size() != 16 || !FromHex(p.info.key_id)) return Fail(Errc::kMalformed, "share key id");
  if (parts[2] == "ES256") p.info.alg = Alg::kES256;
  else if (parts[2] == "ES384") p.info.alg = Alg::kES384;
  else if (parts[2] == "ES512") p.info.alg = Alg::kES512;
  else if (parts[2] == "EdDSA") p.info.alg = Alg::kEdDSA;
  else return Fail(Errc::kUnsupported, "share algorithm " + std::string(parts[2]));
  WQ_ASSIGN(p.info.threshold, SmallInt(parts[3], 2, 255, "threshold"));
  WQ_ASSIGN(p.info.count, SmallInt(parts[4], 2, 255, "count"));
  WQ_ASSIGN(p.info.index, SmallInt(parts[5], 1, 255, "index"));
  if (p.info.threshold > p.info.count || p.info.index > p.info.count) {
    return Fail(Errc::kMalformed, "share threshold/count/index are inconsistent");
  }
  std::string_view b64 = parts[6];
  SecureBuffer raw(b64.size() * 3 / 4 + 1);
  size_t raw_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(raw.data(), raw.size(), b64.data(), b64.size(), nullptr, &raw_len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != b64.data() + b64.size()) {
    return Fail(Errc::kMalformed, "share body is not base64url");
  }
  // RTSS share: identifier[16] | hash id | M | length[2] | x | y...
  if (raw_len < 22 || raw.data()[17] != p.info.threshold || raw.data()[20] != p.info.index) {
    return Fail(Errc::kMalformed, "share body does not match its header");
  }
  p.rtss = std::move(raw);
  p.rtss_size = raw_len;
  return p;
}

}  // namespace

Result<std::vector<SecretText>> SplitKeyForBackup(const Signer& key, int threshold, int count) {
  if (threshold < 2 || count < threshold || count > 255) {
    return Fail(Errc::kInvalidArgument,
                "need 2 <= M <= N <= 255 (got " + std::to_string(threshold) + "-of-" + std::to_string(count) + ")");
  }
  WQ_ASSIGN(SecureBuffer secret, internal::ExportSecretForSealing(key));
  WQ_ASSIGN(PublicKey pub, key.public_key());
  WQ_ASSIGN(std::string key_id, KeyIdForPublicKey(pub));
  WQ_ASSIGN(Bytes ident, FromHex(key_id));
  ident.resize(16, 0);  // RTSS identifier: the key id, zero padded
  std::vector<Botan::RTSS_Share> shares;
  try {
    shares = Botan::RTSS_Share::split(static_cast<uint8_t>(threshold), static_cast<uint8_t>(count), secret.data(),
                                      static_cast<uint16_t>(secret.size()), ident, "SHA-256", Botan::system_rng());
  } catch (const std::exception& e) {
    return Fail(Errc::kCrypto, std::string("RTSS split failed: ") + e.what());
  }
  // Each line is written straight into protected memory: the public header, the base64url share, '.', the
  // checksum. No std::string ever holds share bytes (those temporaries would be freed unwiped).
  std::vector<SecretText> out;
  for (size_t i = 0; i < shares.size(); ++i) {
    const auto& d = shares[i].data();  // Botan secure_vector: wiped by Botan
    std::string head = std::string(kPrefix) + "." + key_id + "." + std::string(AlgName(key.alg())) + "." +
                       std::to_string(threshold) + "." + std::to_string(count) + "." +
                       std::to_string(static_cast<int>(shares[i].share_id())) + ".";
    const size_t b64_cap = sodium_base64_ENCODED_LEN(d.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    SecureBuffer line(head.size() + b64_cap + 1 + 8);
    std::memcpy(line.data(), head.data(), head.size());
    char* b64 = reinterpret_cast<char*>(line.data() + head.size());
    sodium_bin2base64(b64, b64_cap, d.data(), d.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t body_len = head.size() + std::strlen(b64);
    std::string sum = Checksum(std::string_view(reinterpret_cast<const char*>(line.data()), body_len));
    line.data()[body_len] = '.';
    std::memcpy(line.data() + body_len + 1, sum.data(), sum.size());
    out.push_back(SecretText::FromBuffer(std::move(line), body_len + 1 + sum.size()));
  }
  return out;
}

Result<ShareInfo> InspectShare(std::string_view share) {
  WQ_ASSIGN(ParsedShare p, Parse(share));
  return p.info;
}

Result<KeyHandle> RecoverKeyFromShares(const std::vector<std::string_view>& shares, std::string label) {
  std::vector<ParsedShare> parsed;
  for (size_t i = 0; i < shares.size(); ++i) {
    auto p = Parse(shares[i]);
    if (!p) {
      // Name the share by its position and, if the header is still legible, by the index it claims.
      std::string claimed;
      auto parts = SplitDots(shares[i]);
      if (parts.size() == 8) claimed = " (claims index " + std::string(parts[5]) + ")";
      return Fail(p.error().code, "share #" + std::to_string(i + 1) + claimed + " is corrupted: " + p.error().message);
    }
    parsed.push_back(std::move(*p));
  }
  if (parsed.empty()) return Fail(Errc::kInvalidArgument, "no shares given");
  const ShareInfo& first = parsed[0].info;
  std::set<int> seen;
  for (size_t i = 0; i < parsed.size(); ++i) {
    const ShareInfo& s = parsed[i].info;
    if (s.key_id != first.key_id || s.alg != first.alg || s.threshold != first.threshold || s.count != first.count) {
      return Fail(Errc::kInvalidArgument, "share #" + std::to_string(i + 1) + " (index " + std::to_string(s.index) +
                                              ") belongs to another split (key " + s.key_id + ")");
    }
    if (!seen.insert(s.index).second) {
      return Fail(Errc::kInvalidArgument, "share index " + std::to_string(s.index) + " was given twice");
    }
  }
  if (static_cast<int>(seen.size()) < first.threshold) {
    return Fail(Errc::kInvalidArgument, "need " + std::to_string(first.threshold) + " shares of key " + first.key_id +
                                            ", got " + std::to_string(seen.size()));
  }
  std::vector<Botan::RTSS_Share> rtss;
  for (const auto& p : parsed) rtss.emplace_back(p.rtss.data(), p.rtss_size);  // copied into secure_vector
  Botan::secure_vector<uint8_t> secret;
  try {
    secret = Botan::RTSS_Share::reconstruct(rtss);
  } catch (const std::exception& e) {
    return Fail(Errc::kCrypto, std::string("RTSS reconstruction failed (a share body is wrong): ") + e.what());
  }
  auto h = KeyHandle::SoftwareFromSecret(first.alg, ByteView(secret.data(), secret.size()), std::move(label));
  if (!h) return Wrap("recovered key", h.error());
  if (h->key_id() != first.key_id) {
    return Fail(Errc::kCrypto, "recovered a key with id " + h->key_id() + ", expected " + first.key_id);
  }
  WQ_TRY(h->SelfTest());
  return h;
}

}  // namespace wathiq::keys
