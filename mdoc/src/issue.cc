#include <algorithm>
#include <numeric>

#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/trust.h"
#include "wathiq/mdoc/mdoc.h"

namespace wathiq::mdoc {
namespace {

using cbor::Value;

constexpr size_t kSaltBytes = 16;  // ISO 18013-5 9.1.2.5: at least 16 bytes; more only grows every QR

// All the randomness one issuance needs, drawn with one call: libsodium asks the kernel (getrandom) per
// call, and two dozen system calls per credential cost more than the signature in a batch.
class RandomPool {
 public:
  explicit RandomPool(size_t n) : bytes_(RandomBytes(n)) {}
  ~RandomPool() { SecureWipe(bytes_); }
  ByteView Take(size_t n) {
    if (pos_ + n > bytes_.size()) {
      SecureWipe(bytes_);
      bytes_ = RandomBytes(std::max<size_t>(n, 64));
      pos_ = 0;
    }
    ByteView v(bytes_.data() + pos_, n);
    pos_ += n;
    return v;
  }
  // Uniform index in [0, n) (rejection sampling, no modulo bias).
  uint32_t Below(uint32_t n) {
    uint32_t limit = UINT32_MAX - UINT32_MAX % n;
    while (true) {
      ByteView b = Take(4);
      uint32_t r = static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 | static_cast<uint32_t>(b[2]) << 16 |
                   static_cast<uint32_t>(b[3]) << 24;
      if (r < limit) return r % n;
    }
  }

 private:
  Bytes bytes_;
  size_t pos_ = 0;
};

}  // namespace

Result<Issuer> Issuer::Create(const Signer& signer, Bytes certificate_der) {
  WQ_ASSIGN(PublicKey cert_key, [&]() -> Result<PublicKey> {
    // The SubjectPublicKeyInfo is found by the keys component when the trust list loads; here we only need
    // to confirm the certificate belongs to this signer, so a light parse through core suffices.
    return keys::PublicKeyOfCertificate(certificate_der);
  }());
  WQ_ASSIGN(PublicKey signer_key, signer.public_key());
  if (!(cert_key == signer_key)) {
    return Fail(Errc::kInvalidArgument, "the document-signer certificate does not certify this signer's key");
  }
  Bytes kid = keys::KidForCertificate(certificate_der);
  Issuer issuer(signer, std::move(certificate_der), std::move(kid));
  Value prot = Value::MakeMap();
  prot.Set(cose::kHdrAlg, Value::Int(static_cast<int64_t>(signer.alg())));
  prot.Set(cose::kHdrKid, Value::Bytes(issuer.kid_));
  issuer.protected_header_ = cbor::Encode(prot);
  return issuer;
}

namespace {

void AppendText(Bytes& out, std::string_view t) {
  cbor::AppendHead(out, 3, t.size());
  out.insert(out.end(), t.begin(), t.end());
}
void AppendBytes(Bytes& out, ByteView b) {
  cbor::AppendHead(out, 2, b.size());
  out.insert(out.end(), b.begin(), b.end());
}

}  // namespace

// Issuance writes the item, array and envelope encodings directly (keys in their RFC 8949 §4.2.1 order):
// it runs millions of times in a batch, and a value tree per item would cost more than the signature.
Result<Bytes> Issuer::Issue(const IssueRequest& r) const {
  if (r.doc_type.empty() || r.name_space.empty()) return Fail(Errc::kInvalidArgument, "docType and namespace are required");
  if (r.elements.empty()) return Fail(Errc::kInvalidArgument, "a credential needs at least one element");
  if (r.validity.valid_until <= r.validity.valid_from) {
    return Fail(Errc::kInvalidArgument, "validUntil must be after validFrom");
  }
  if (r.elements.size() > 4096) return Fail(Errc::kInvalidArgument, "too many elements");
  // digestIDs are a random permutation so their order says nothing about the elements.
  RandomPool pool(r.elements.size() * (kSaltBytes + 4) + 16);
  std::vector<uint32_t> ids(r.elements.size());
  std::iota(ids.begin(), ids.end(), 0u);
  for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[pool.Below(static_cast<uint32_t>(i))]);

  Bytes items;  // the namespace's array of #6.24(bstr .cbor IssuerSignedItem)
  items.reserve(r.elements.size() * 96);
  cbor::AppendHead(items, 4, r.elements.size());
  Value digests = Value::MakeMap();
  digests.map().reserve(r.elements.size());
  Bytes item;
  for (size_t i = 0; i < r.elements.size(); ++i) {
    const auto& e = r.elements[i];
    ByteView salt = pool.Take(kSaltBytes);
    // IssuerSignedItem, keys in deterministic order: random, digestID, elementValue, elementIdentifier.
    item.clear();
    item.push_back(0xa4);
    AppendText(item, "random");
    AppendBytes(item, salt);
    AppendText(item, "digestID");
    cbor::AppendHead(item, 0, ids[i]);
    AppendText(item, "elementValue");
    cbor::EncodeTo(e.value, item);
    AppendText(item, "elementIdentifier");
    AppendText(item, e.id);
    size_t start = items.size();
    cbor::AppendHead(items, 6, cbor::kTagEncodedCbor);
    AppendBytes(items, item);
    digests.Set(Value::Uint(ids[i]), Value::Bytes(Sha256(ByteView(items.data() + start, items.size() - start))));
  }
  Value value_digests = Value::MakeMap();
  value_digests.Set(r.name_space, std::move(digests));

  Value validity = Value::MakeMap();
  validity.Set("signed", Value::Tag(cbor::kTagTdate, Value::Text(FormatTdate(r.validity.signed_at))));
  validity.Set("validFrom", Value::Tag(cbor::kTagTdate, Value::Text(FormatTdate(r.validity.valid_from))));
  validity.Set("validUntil", Value::Tag(cbor::kTagTdate, Value::Text(FormatTdate(r.validity.valid_until))));

  Value device_key_info = Value::MakeMap();
  device_key_info.Set("deviceKey", cose::CoseKeyFromPublicKey(r.device_key));

  Value mso = Value::MakeMap();
  mso.Set("version", Value::Text("1.0"));
  mso.Set("digestAlgorithm", Value::Text("SHA-256"));
  mso.Set("valueDigests", std::move(value_digests));
  mso.Set("deviceKeyInfo", std::move(device_key_info));
  mso.Set("docType", Value::Text(r.doc_type));
  mso.Set("validityInfo", std::move(validity));
  if (r.status) {
    Value list = Value::MakeMap();
    list.Set("idx", Value::Uint(r.status->idx));
    list.Set("uri", Value::Text(r.status->uri));
    Value status = Value::MakeMap();
    status.Set("status_list", std::move(list));
    mso.Set("status", std::move(status));
  }
  Bytes payload = cbor::WrapEncodedCbor(cbor::Encode(mso));  // MobileSecurityObjectBytes
  WQ_ASSIGN(Bytes signature, signer_->Sign(cose::SigStructure(protected_header_, {}, payload)));

  // IssuerSigned = {"issuerAuth": [protected, {33: cert}, payload, signature], "nameSpaces": {ns: items}}
  Bytes out;
  out.reserve(items.size() + payload.size() + certificate_.size() + 128);
  out.push_back(0xa2);
  AppendText(out, "issuerAuth");
  out.push_back(0x84);
  AppendBytes(out, protected_header_);
  out.push_back(0xa1);
  cbor::AppendHead(out, 0, cose::kHdrX5Chain);
  AppendBytes(out, certificate_);
  AppendBytes(out, payload);
  AppendBytes(out, signature);
  AppendText(out, "nameSpaces");
  out.push_back(0xa1);
  AppendText(out, r.name_space);
  out.insert(out.end(), items.begin(), items.end());
  return out;
}

}  // namespace wathiq::mdoc
