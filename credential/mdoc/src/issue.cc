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

Result<DocumentSigner> DocumentSigner::Create(const Signer& signer, Bytes certificate_der) {
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
  DocumentSigner issuer(signer, std::move(certificate_der), std::move(kid));
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
void AppendTdate(Bytes& out, int64_t seconds) {
  cbor::AppendHead(out, 6, cbor::kTagTdate);
  AppendText(out, FormatTdate(seconds));
}

constexpr int64_t kLastTdate = 253402300799;  // 9999-12-31T23:59:59Z, the last four-digit year

}  // namespace

// Issuance writes every encoding directly, keys in their RFC 8949 §4.2.1 order, and hashes each item
// straight into its slot in the MSO: it runs millions of times in a batch, and a value tree per credential
// would cost a third of the signature. A test decodes the result strictly and re-encodes it.
Result<Bytes> DocumentSigner::Issue(const IssueRequest& r, Bytes* mso_digest) const {
  if (r.doc_type.empty() || r.name_space.empty())
    return Fail(Errc::kInvalidArgument, "docType and namespace are required");
  if (r.elements.empty()) return Fail(Errc::kInvalidArgument, "a credential needs at least one element");
  if (r.validity.valid_until <= r.validity.valid_from) {
    return Fail(Errc::kInvalidArgument, "validUntil must be after validFrom");
  }
  for (int64_t t : {r.validity.signed_at, r.validity.valid_from, r.validity.valid_until}) {
    if (t < 0 || t > kLastTdate) return Fail(Errc::kInvalidArgument, "validity times must lie in 1970..9999");
  }
  if (r.elements.size() > 4096) return Fail(Errc::kInvalidArgument, "too many elements");
  const size_t n = r.elements.size();
  // digestIDs are a random permutation so their order says nothing about the elements.
  RandomPool pool(n * (kSaltBytes + 4) + 16);
  std::vector<uint32_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0u);
  for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[pool.Below(static_cast<uint32_t>(i))]);

  // MobileSecurityObject. Keys sort by length first: status, docType, version, validityInfo, valueDigests,
  // deviceKeyInfo, digestAlgorithm. Digest slots are left zero and filled as the items are hashed.
  Bytes mso;
  mso.reserve(256 + n * 38 + r.doc_type.size() + r.name_space.size() + (r.status ? r.status->uri.size() : 0));
  cbor::AppendHead(mso, 5, r.status ? 7 : 6);
  if (r.status) {
    AppendText(mso, "status");
    mso.push_back(0xa1);
    AppendText(mso, "status_list");
    mso.push_back(0xa2);
    AppendText(mso, "idx");
    cbor::AppendHead(mso, 0, r.status->idx);
    AppendText(mso, "uri");
    AppendText(mso, r.status->uri);
  }
  AppendText(mso, "docType");
  AppendText(mso, r.doc_type);
  AppendText(mso, "version");
  AppendText(mso, "1.0");
  AppendText(mso, "validityInfo");
  mso.push_back(0xa3);
  AppendText(mso, "signed");
  AppendTdate(mso, r.validity.signed_at);
  AppendText(mso, "validFrom");
  AppendTdate(mso, r.validity.valid_from);
  AppendText(mso, "validUntil");
  AppendTdate(mso, r.validity.valid_until);
  AppendText(mso, "valueDigests");
  mso.push_back(0xa1);
  AppendText(mso, r.name_space);
  cbor::AppendHead(mso, 5, n);
  std::vector<size_t> slot(n);           // by digestID: where its digest goes in `mso`
  for (uint32_t id = 0; id < n; ++id) {  // uint keys in ascending order are in encoded order
    cbor::AppendHead(mso, 0, id);
    cbor::AppendHead(mso, 2, 32);
    slot[id] = mso.size();
    mso.resize(mso.size() + 32);
  }
  AppendText(mso, "deviceKeyInfo");
  mso.push_back(0xa1);
  AppendText(mso, "deviceKey");
  cbor::EncodeTo(cose::CoseKeyFromPublicKey(r.device_key), mso);
  AppendText(mso, "digestAlgorithm");
  AppendText(mso, "SHA-256");

  Bytes items;  // the namespace's array of #6.24(bstr .cbor IssuerSignedItem)
  items.reserve(n * 112);
  cbor::AppendHead(items, 4, n);
  Bytes item;
  for (size_t i = 0; i < n; ++i) {
    const auto& e = r.elements[i];
    // IssuerSignedItem, keys in deterministic order: random, digestID, elementValue, elementIdentifier.
    item.clear();
    item.push_back(0xa4);
    AppendText(item, "random");
    AppendBytes(item, pool.Take(kSaltBytes));
    AppendText(item, "digestID");
    cbor::AppendHead(item, 0, ids[i]);
    AppendText(item, "elementValue");
    cbor::EncodeTo(e.value, item);
    AppendText(item, "elementIdentifier");
    AppendText(item, e.id);
    size_t start = items.size();
    cbor::AppendHead(items, 6, cbor::kTagEncodedCbor);
    AppendBytes(items, item);
    Sha256(ByteView(items.data() + start, items.size() - start), mso.data() + slot[ids[i]]);
  }

  Bytes payload = cbor::WrapEncodedCbor(mso);  // MobileSecurityObjectBytes
  if (mso_digest) *mso_digest = Sha256(payload);
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
