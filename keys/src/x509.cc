#include "wathiq/keys/x509.h"

#include <openssl/pem.h>

#include <cstring>
#include <ctime>

#include "wathiq/core/calendar.h"
#include "wathiq/internal/ossl.h"
#include "wathiq/keys/trust.h"

namespace wathiq::keys {

using ossl::X509Ptr;

struct Certificate::Impl {
  X509Ptr x;
  Bytes der;
  Bytes subject_der;
  Bytes issuer_der;
  std::string subject;
  std::string issuer;
  std::string serial_hex;
  std::string ian;
  int64_t not_before = 0;
  int64_t not_after = 0;
  PublicKey pub;
  Alg sig_alg = Alg::kES256;
  Bytes ski;
  Bytes aki;
  bool is_ca = false;
  bool has_basic_constraints = false;
  int path_len = -1;
  bool has_ku = false;
  bool ku_critical = false;
  uint32_t ku = 0;
  bool eku_critical = false;
  std::vector<std::string> ekus;
  bool unknown_critical = false;
  std::vector<std::string> disallowed;  // extensions ISO 18013-5 B.1.1 forbids
};

struct CertAccess {
  static const Certificate::Impl& Get(const Certificate& c) {
    if (!c.impl_) std::abort();
    return *c.impl_;
  }
};

namespace {

const Certificate::Impl& I(const Certificate& c) { return CertAccess::Get(c); }

std::string NameString(const X509_NAME* name) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Bytes NameDer(const X509_NAME* name) {
  unsigned char* p = nullptr;
  int n = i2d_X509_NAME(name, &p);
  if (n <= 0) return {};
  Bytes out(p, p + n);
  OPENSSL_free(p);
  return out;
}

Result<Alg> AlgForSignatureNid(int nid) {
  switch (nid) {
    case NID_ecdsa_with_SHA256: return Alg::kES256;
    case NID_ecdsa_with_SHA384: return Alg::kES384;
    case NID_ecdsa_with_SHA512: return Alg::kES512;
    case NID_ED25519: return Alg::kEdDSA;
    default:
      return Fail(Errc::kUnsupported, std::string("certificate signature algorithm ") +
                                          (OBJ_nid2sn(nid) ? OBJ_nid2sn(nid) : "?") + " is not accepted");
  }
}

int SignatureNidFor(const Signer& s) {
  switch (s.alg()) {
    case Alg::kES256: return NID_ecdsa_with_SHA256;
    case Alg::kES384: return NID_ecdsa_with_SHA384;
    case Alg::kES512: return NID_ecdsa_with_SHA512;
    case Alg::kEdDSA: return s.curve() == Curve::kEd448 ? NID_ED448 : NID_ED25519;
  }
  return NID_undef;
}

bool ExtensionCritical(X509* x, int nid) {
  int idx = X509_get_ext_by_NID(x, nid, -1);
  return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, idx)) == 1;
}

// The subject key straight from the SubjectPublicKeyInfo bytes: no second decode through OpenSSL's
// decoder framework (a third of the parse time otherwise). FromRaw still checks the point is on the curve.
Result<PublicKey> SubjectPublicKey(X509* x) {
  ASN1_OBJECT* alg = nullptr;
  const unsigned char* pk = nullptr;
  int pk_len = 0;
  X509_ALGOR* params = nullptr;
  if (X509_PUBKEY_get0_param(&alg, &pk, &pk_len, &params, X509_get_X509_PUBKEY(x)) != 1 || !pk || pk_len <= 0) {
    return Fail(Errc::kMalformed, ossl::Error("certificate SubjectPublicKeyInfo"));
  }
  ByteView raw(pk, static_cast<size_t>(pk_len));
  int nid = OBJ_obj2nid(alg);
  Result<PublicKey> key = Fail(Errc::kUnsupported, std::string("certificate key type ") +
                                                       (OBJ_nid2sn(nid) ? OBJ_nid2sn(nid) : "?") + " is not supported");
  if (nid == NID_ED25519) {
    key = PublicKey::FromRaw(Curve::kEd25519, raw);
  } else if (nid == NID_ED448) {
    key = PublicKey::FromRaw(Curve::kEd448, raw);
  } else if (nid == NID_X9_62_id_ecPublicKey) {
    int ptype = 0;
    const void* pval = nullptr;
    X509_ALGOR_get0(nullptr, &ptype, &pval, params);
    int curve = ptype == V_ASN1_OBJECT ? OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(pval)) : NID_undef;
    if (curve == NID_X9_62_prime256v1) key = PublicKey::FromRaw(Curve::kP256, raw);
    else if (curve == NID_secp384r1) key = PublicKey::FromRaw(Curve::kP384, raw);
    else if (curve == NID_secp521r1) key = PublicKey::FromRaw(Curve::kP521, raw);
    else key = Fail(Errc::kUnsupported, "certificate EC key is not on a named P-256/384/521 curve");
  }
  if (!key) return Wrap("certificate public key", key.error());
  return key;
}

Result<std::shared_ptr<Certificate::Impl>> ParseDer(ByteView der) {
  if (der.empty() || der.size() > 64 * 1024)
    return Fail(Errc::kMalformed, "certificate is empty or larger than 64 KiB");
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return Fail(Errc::kMalformed, ossl::Error("certificate DER does not parse"));
  if (p != der.data() + der.size()) return Fail(Errc::kMalformed, "trailing bytes after the certificate");
  auto impl = std::make_shared<Certificate::Impl>();
  impl->der.assign(der.begin(), der.end());
  if (X509_get_version(x.get()) != X509_VERSION_3) return Fail(Errc::kMalformed, "certificate is not X.509 v3");
  uint32_t flags = X509_get_extension_flags(x.get());
  if (flags & EXFLAG_INVALID) return Fail(Errc::kMalformed, ossl::Error("certificate has an invalid extension"));
  ERR_clear_error();
  impl->unknown_critical = (flags & EXFLAG_CRITICAL) != 0;
  impl->subject_der = NameDer(X509_get_subject_name(x.get()));
  impl->issuer_der = NameDer(X509_get_issuer_name(x.get()));
  impl->subject = NameString(X509_get_subject_name(x.get()));
  impl->issuer = NameString(X509_get_issuer_name(x.get()));
  {
    ossl::BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr));
    if (!bn) return Fail(Errc::kMalformed, "certificate serial number");
    char* hex = BN_bn2hex(bn.get());
    impl->serial_hex = hex ? hex : "";
    OPENSSL_free(hex);
  }
  WQ_ASSIGN(impl->not_before, ossl::TimeOf(X509_get0_notBefore(x.get())));
  WQ_ASSIGN(impl->not_after, ossl::TimeOf(X509_get0_notAfter(x.get())));
  WQ_ASSIGN(impl->sig_alg, AlgForSignatureNid(X509_get_signature_nid(x.get())));
  WQ_ASSIGN(impl->pub, SubjectPublicKey(x.get()));
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x.get())) {
    impl->ski.assign(ASN1_STRING_get0_data(ski), ASN1_STRING_get0_data(ski) + ASN1_STRING_length(ski));
  }
  if (const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x.get())) {
    impl->aki.assign(ASN1_STRING_get0_data(aki), ASN1_STRING_get0_data(aki) + ASN1_STRING_length(aki));
  }
  impl->has_basic_constraints = X509_get_ext_by_NID(x.get(), NID_basic_constraints, -1) >= 0;
  impl->is_ca = (flags & EXFLAG_CA) != 0;
  impl->path_len = static_cast<int>(X509_get_pathlen(x.get()));
  impl->has_ku = (flags & EXFLAG_KUSAGE) != 0;
  impl->ku = impl->has_ku ? X509_get_key_usage(x.get()) : 0;
  impl->ku_critical = ExtensionCritical(x.get(), NID_key_usage);
  impl->eku_critical = ExtensionCritical(x.get(), NID_ext_key_usage);
  int crit = 0;
  if (auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x.get(), NID_ext_key_usage, &crit, nullptr))) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
      char buf[256];
      int n = OBJ_obj2txt(buf, sizeof buf, sk_ASN1_OBJECT_value(eku, i), 1);
      if (n > 0 && n < static_cast<int>(sizeof buf)) impl->ekus.emplace_back(buf, static_cast<size_t>(n));
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  }
  if (auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_issuer_alt_name, &crit, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && impl->ian.empty(); ++i) {
      GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type == GEN_URI || g->type == GEN_EMAIL) {
        const ASN1_IA5STRING* s = g->d.ia5;
        impl->ian.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<size_t>(ASN1_STRING_length(s)));
      }
    }
    GENERAL_NAMES_free(names);
  }
  for (int nid :
       {NID_policy_mappings, NID_name_constraints, NID_policy_constraints, NID_inhibit_any_policy, NID_freshest_crl}) {
    if (X509_get_ext_by_NID(x.get(), nid, -1) >= 0) impl->disallowed.emplace_back(OBJ_nid2ln(nid));
  }
  ERR_clear_error();
  impl->x = std::move(x);
  return impl;
}

// DER length + tag helpers for assembling the outer Certificate SEQUENCE.
void PutLength(Bytes& out, size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
    return;
  }
  uint8_t buf[8];
  int k = 0;
  while (n) {
    buf[k++] = static_cast<uint8_t>(n & 0xff);
    n >>= 8;
  }
  out.push_back(static_cast<uint8_t>(0x80 | k));
  while (k) out.push_back(buf[--k]);
}

bool SafeConfValue(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (c == ',' || static_cast<unsigned char>(c) < 0x21 || c == 0x7f) return false;
  }
  return true;
}

Status AddExt(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ossl::ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) return Fail(Errc::kInternal, ossl::Error(std::string("building extension ") + OBJ_nid2sn(nid)));
  if (X509_add_ext(cert, ext.get(), -1) != 1) return Fail(Errc::kInternal, ossl::Error("X509_add_ext"));
  return Ok();
}

Status AddNameEntry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return Ok();
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return Fail(Errc::kInvalidArgument, ossl::Error(std::string("distinguished name field ") + field + " rejected"));
  }
  return Ok();
}

std::string_view EkuFor(CertRole role) {
  switch (role) {
    case CertRole::kTrustListSigner: return kOidTrustListSigner;
    case CertRole::kDocumentSigner: return kOidMdlDocumentSigner;
    case CertRole::kStatusListSigner: return kOidStatusListSigner;
    case CertRole::kRoot: return {};
  }
  return {};
}

Result<Certificate> Build(const Signer& signer, const PublicKey& issuer_pub, const Certificate* issuer,
                          const CertificateRequest& req) {
  const bool root = issuer == nullptr;
  if (root != (req.role == CertRole::kRoot)) {
    return Fail(Errc::kInvalidArgument, root ? "a self-signed certificate must have the root role"
                                             : "the root role is only for self-signed certificates");
  }
  if (req.not_after <= req.not_before) return Fail(Errc::kInvalidArgument, "notAfter must be later than notBefore");
  if (req.subject.common_name.empty()) return Fail(Errc::kInvalidArgument, "subject common name is required");
  if (!req.subject.country.empty() && req.subject.country.size() != 2) {
    return Fail(Errc::kInvalidArgument, "country must be an ISO 3166-1 alpha-2 code");
  }
  if (root && req.subject.country.empty()) {
    return Fail(Errc::kInvalidArgument, "the root (IACA) subject must carry countryName (ISO 18013-5 B.1.2)");
  }
  if (!req.issuer_alt_name_uri.empty() && !SafeConfValue(req.issuer_alt_name_uri)) {
    return Fail(Errc::kInvalidArgument, "issuerAltName URI must not contain spaces, commas or control characters");
  }
  if (!req.crl_distribution_uri.empty() && !SafeConfValue(req.crl_distribution_uri)) {
    return Fail(Errc::kInvalidArgument, "CRL distribution URI must not contain spaces, commas or control characters");
  }
  // The signing key must be the issuer's key: catches "issued with the wrong key" before anything is signed.
  WQ_ASSIGN(PublicKey signer_pub, signer.public_key());
  if (!(signer_pub == issuer_pub)) {
    return Fail(Errc::kInvalidArgument, root ? "the root key does not match the subject public key"
                                             : "the signing key is not the issuer certificate's key");
  }
  int sig_nid = SignatureNidFor(signer);
  if (sig_nid == NID_undef) return Fail(Errc::kUnsupported, "signer algorithm");

  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) return Fail(Errc::kInternal, ossl::Error("X509_new"));
  Bytes serial = req.serial;
  if (serial.empty()) {
    serial = RandomBytes(16);
    serial[0] = static_cast<uint8_t>((serial[0] & 0x7f) | 0x40);  // positive, full length
  }
  if (serial.size() > 20) return Fail(Errc::kInvalidArgument, "serial number longer than 20 bytes");
  {
    ossl::BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
    ossl::AsnIntPtr ai(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    if (!ai || BN_is_zero(bn.get()) || X509_set_serialNumber(x.get(), ai.get()) != 1) {
      return Fail(Errc::kInvalidArgument, "serial number must be a positive integer");
    }
  }
  ossl::NamePtr subject(X509_NAME_new());
  WQ_TRY(AddNameEntry(subject.get(), "C", req.subject.country));
  WQ_TRY(AddNameEntry(subject.get(), "ST", req.subject.state_or_province));
  WQ_TRY(AddNameEntry(subject.get(), "O", req.subject.organization));
  WQ_TRY(AddNameEntry(subject.get(), "OU", req.subject.organizational_unit));
  WQ_TRY(AddNameEntry(subject.get(), "CN", req.subject.common_name));
  if (X509_set_subject_name(x.get(), subject.get()) != 1 ||
      X509_set_issuer_name(x.get(), root ? subject.get() : X509_get_subject_name(I(*issuer).x.get())) != 1) {
    return Fail(Errc::kInternal, ossl::Error("setting names"));
  }
  if (!ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(req.not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(req.not_after))) {
    return Fail(Errc::kInvalidArgument, "validity time out of range");
  }
  WQ_ASSIGN(Bytes spki, req.subject_key.ToSpki());
  WQ_ASSIGN(ossl::PkeyPtr subject_pkey, ossl::PkeyFromSpki(spki));
  if (X509_set_pubkey(x.get(), subject_pkey.get()) != 1) return Fail(Errc::kInternal, ossl::Error("X509_set_pubkey"));

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, root ? x.get() : I(*issuer).x.get(), x.get(), nullptr, nullptr, 0);
  WQ_TRY(AddExt(x.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (root) {
    WQ_TRY(AddExt(x.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    WQ_TRY(AddExt(x.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    WQ_TRY(AddExt(x.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
    WQ_TRY(AddExt(x.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
    WQ_TRY(AddExt(x.get(), &ctx, NID_ext_key_usage, "critical," + std::string(EkuFor(req.role))));
  }
  if (!req.issuer_alt_name_uri.empty()) {
    WQ_TRY(AddExt(x.get(), &ctx, NID_issuer_alt_name, "URI:" + req.issuer_alt_name_uri));
  }
  if (!req.crl_distribution_uri.empty()) {
    WQ_TRY(AddExt(x.get(), &ctx, NID_crl_distribution_points, "URI:" + req.crl_distribution_uri));
  }

  // The TBS signature algorithm (parameters absent, RFC 5758 / RFC 8410), then the TBS DER to sign.
  // X509_get0_tbs_sigalg is const only because OpenSSL offers no setter; the object is ours and mutable.
  X509_ALGOR* tbs_alg = const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(x.get()));
  if (X509_ALGOR_set0(tbs_alg, OBJ_nid2obj(sig_nid), V_ASN1_UNDEF, nullptr) != 1) {
    return Fail(Errc::kInternal, ossl::Error("X509_ALGOR_set0"));
  }
  unsigned char* tbs_p = nullptr;
  int tbs_len = i2d_re_X509_tbs(x.get(), &tbs_p);
  if (tbs_len <= 0) return Fail(Errc::kInternal, ossl::Error("i2d_re_X509_tbs"));
  Bytes tbs(tbs_p, tbs_p + tbs_len);
  OPENSSL_free(tbs_p);
  unsigned char* alg_p = nullptr;
  int alg_len = i2d_X509_ALGOR(tbs_alg, &alg_p);
  if (alg_len <= 0) return Fail(Errc::kInternal, ossl::Error("i2d_X509_ALGOR"));
  Bytes alg_der(alg_p, alg_p + alg_len);
  OPENSSL_free(alg_p);

  auto sig = signer.Sign(tbs);
  if (!sig) return Wrap("signing the certificate", sig.error());
  Bytes sig_value = std::move(*sig);
  if (signer.alg() != Alg::kEdDSA) {
    WQ_ASSIGN(sig_value, ossl::RawEcdsaToDer(sig_value));
  }
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
  Bytes bits;
  bits.push_back(0x03);
  PutLength(bits, sig_value.size() + 1);
  bits.push_back(0x00);  // no unused bits
  bits.insert(bits.end(), sig_value.begin(), sig_value.end());
  Bytes der;
  der.push_back(0x30);
  PutLength(der, tbs.size() + alg_der.size() + bits.size());
  der.insert(der.end(), tbs.begin(), tbs.end());
  der.insert(der.end(), alg_der.begin(), alg_der.end());
  der.insert(der.end(), bits.begin(), bits.end());

  auto cert = Certificate::FromDer(der);
  if (!cert) return Wrap("re-parsing the issued certificate", cert.error());
  WQ_ASSIGN(Bytes issuer_spki, issuer_pub.ToSpki());
  WQ_ASSIGN(ossl::PkeyPtr issuer_pkey, ossl::PkeyFromSpki(issuer_spki));
  if (X509_verify(I(*cert).x.get(), issuer_pkey.get()) != 1) {
    ERR_clear_error();
    return Fail(Errc::kCrypto, "the issued certificate's signature does not verify with the issuer key");
  }
  return cert;
}

Status CheckTime(const Certificate& c, int64_t at, const char* what) {
  if (at < c.not_before()) {
    return CertFail(CertErrc::kNotYetValid, std::string(what) + " '" + c.subject() + "' is not valid before " +
                                                FormatTdate(c.not_before()) + " (checked at " + FormatTdate(at) + ")");
  }
  if (at > c.not_after()) {
    return CertFail(CertErrc::kExpired, std::string(what) + " '" + c.subject() + "' expired at " +
                                            FormatTdate(c.not_after()) + " (checked at " + FormatTdate(at) + ")");
  }
  return {};
}

}  // namespace

// Certificate ------------------------------------------------------------------------------------------------

Result<Certificate> Certificate::FromDer(ByteView der) {
  WQ_ASSIGN(auto impl, ParseDer(der));
  Certificate c;
  c.impl_ = std::move(impl);
  return c;
}

Result<Certificate> Certificate::FromPem(std::string_view pem) {
  if (pem.size() > 256 * 1024) return Fail(Errc::kLimit, "PEM input larger than 256 KiB");
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) return Fail(Errc::kMalformed, ossl::Error("PEM certificate does not parse"));
  unsigned char* p = nullptr;
  int n = i2d_X509(x.get(), &p);
  if (n <= 0) return Fail(Errc::kMalformed, ossl::Error("certificate re-encoding"));
  Bytes der(p, p + n);
  OPENSSL_free(p);
  return FromDer(der);
}

Result<Certificate> Certificate::FromBytes(ByteView b) {
  static constexpr std::string_view kBegin = "-----BEGIN";
  std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
  size_t first = s.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && s.substr(first).starts_with(kBegin)) return FromPem(s);
  return FromDer(b);
}

const Bytes& Certificate::der() const { return I(*this).der; }
std::string Certificate::ToPem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), I(*this).x.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}
std::string Certificate::subject() const { return I(*this).subject; }
std::string Certificate::issuer() const { return I(*this).issuer; }
const Bytes& Certificate::subject_der() const { return I(*this).subject_der; }
const Bytes& Certificate::issuer_der() const { return I(*this).issuer_der; }
std::string Certificate::serial_hex() const { return I(*this).serial_hex; }
int64_t Certificate::not_before() const { return I(*this).not_before; }
int64_t Certificate::not_after() const { return I(*this).not_after; }
const PublicKey& Certificate::public_key() const { return I(*this).pub; }
Alg Certificate::signature_alg() const { return I(*this).sig_alg; }
const Bytes& Certificate::subject_key_id() const { return I(*this).ski; }
const Bytes& Certificate::authority_key_id() const { return I(*this).aki; }
bool Certificate::is_ca() const { return I(*this).is_ca; }
int Certificate::path_len() const { return I(*this).path_len; }
bool Certificate::has_key_usage() const { return I(*this).has_ku; }
uint32_t Certificate::key_usage() const { return I(*this).ku; }
const std::vector<std::string>& Certificate::extended_key_usages() const { return I(*this).ekus; }
bool Certificate::self_issued() const { return I(*this).subject_der == I(*this).issuer_der; }
std::string Certificate::issuer_alt_name() const { return I(*this).ian; }
Bytes Certificate::sha256() const { return Sha256(der()); }
Bytes Certificate::kid() const { return KidForCertificate(der()); }

std::optional<CertRole> Certificate::role() const {
  const auto& im = I(*this);
  if (im.is_ca) return CertRole::kRoot;
  for (const auto& e : im.ekus) {
    if (e == kOidTrustListSigner) return CertRole::kTrustListSigner;
    if (e == kOidMdlDocumentSigner) return CertRole::kDocumentSigner;
    if (e == kOidStatusListSigner) return CertRole::kStatusListSigner;
  }
  return std::nullopt;
}

std::string_view CertRoleName(CertRole role) {
  switch (role) {
    case CertRole::kRoot: return "root";
    case CertRole::kTrustListSigner: return "trust-list-signer";
    case CertRole::kDocumentSigner: return "document-signer";
    case CertRole::kStatusListSigner: return "status-list-signer";
  }
  return "unknown";
}

Result<CertRole> CertRoleFromName(std::string_view n) {
  if (n == "root") return CertRole::kRoot;
  if (n == "trust-list-signer" || n == "tl") return CertRole::kTrustListSigner;
  if (n == "document-signer" || n == "ds") return CertRole::kDocumentSigner;
  if (n == "status-list-signer" || n == "status") return CertRole::kStatusListSigner;
  return Fail(Errc::kInvalidArgument,
              "unknown certificate role '" + std::string(n) +
                  "' (root, trust-list-signer|tl, document-signer|ds, status-list-signer|status)");
}

// Issuance ------------------------------------------------------------------------------------------------

Result<Certificate> CreateRootCertificate(const Signer& root_key, const CertificateRequest& req) {
  return Build(root_key, req.subject_key, nullptr, req);
}

Result<Certificate> IssueCertificate(const Signer& issuer_key, const Certificate& issuer_cert,
                                     const CertificateRequest& req) {
  if (!issuer_cert.valid()) return Fail(Errc::kInvalidArgument, "empty issuer certificate");
  if (!issuer_cert.is_ca() || !(issuer_cert.key_usage() & kKuKeyCertSign)) {
    return Fail(Errc::kInvalidArgument, "the issuer certificate is not a CA with keyCertSign");
  }
  if (issuer_cert.subject_key_id().empty()) return Fail(Errc::kInvalidArgument, "the issuer certificate has no SKI");
  return Build(issuer_key, issuer_cert.public_key(), &issuer_cert, req);
}

// Validation ----------------------------------------------------------------------------------------------

std::string_view CertErrcName(CertErrc code) {
  switch (code) {
    case CertErrc::kMalformed: return "malformed";
    case CertErrc::kUnsupported: return "unsupported";
    case CertErrc::kExpired: return "expired";
    case CertErrc::kNotYetValid: return "not_yet_valid";
    case CertErrc::kWrongKeyUsage: return "wrong_key_usage";
    case CertErrc::kUnknownRoot: return "unknown_root";
    case CertErrc::kBadSignature: return "bad_signature";
    case CertErrc::kWrongIssuer: return "wrong_issuer";
  }
  return "unknown";
}

namespace {
Errc ErrcOfCert(CertErrc code) {
  switch (code) {
    case CertErrc::kMalformed: return Errc::kMalformed;
    case CertErrc::kUnsupported: return Errc::kUnsupported;
    case CertErrc::kBadSignature: return Errc::kBadSignature;
    case CertErrc::kExpired:
    case CertErrc::kNotYetValid: return Errc::kState;
    default: return Errc::kPermission;
  }
}
constexpr CertErrc kAllCertErrc[] = {CertErrc::kMalformed,    CertErrc::kUnsupported,   CertErrc::kExpired,
                                     CertErrc::kNotYetValid,  CertErrc::kWrongKeyUsage, CertErrc::kUnknownRoot,
                                     CertErrc::kBadSignature, CertErrc::kWrongIssuer};
}  // namespace

tl::unexpected<Error> CertFail(CertErrc code, std::string message) {
  const std::string name(CertErrcName(code));
  return Fail(Error{ErrcOfCert(code), "certificate " + name + ": " + message, "cert_" + name});
}

std::optional<CertErrc> CertErrcOf(const Error& e) {
  std::string_view r = e.reason;
  if (!r.starts_with("cert_")) return std::nullopt;
  r.remove_prefix(5);
  for (CertErrc c : kAllCertErrc) {
    if (CertErrcName(c) == r) return c;
  }
  return std::nullopt;
}

Status CheckProfile(const Certificate& cert, CertRole role) {
  if (!cert.valid()) return CertFail(CertErrc::kMalformed, "empty certificate");
  const auto& im = I(cert);
  std::string who = "'" + im.subject + "'";
  if (im.unknown_critical)
    return CertFail(CertErrc::kMalformed, who + " has a critical extension we do not understand");
  if (!im.disallowed.empty()) {
    return CertFail(CertErrc::kMalformed,
                    who + " carries " + im.disallowed.front() + ", which ISO 18013-5 B.1.1 forbids");
  }
  if (im.ski.empty()) return CertFail(CertErrc::kMalformed, who + " has no subjectKeyIdentifier");
  if (!im.has_ku) return CertFail(CertErrc::kWrongKeyUsage, who + " has no keyUsage extension");
  if (!im.ku_critical) return CertFail(CertErrc::kWrongKeyUsage, who + ": keyUsage must be critical");
  for (const auto& e : im.ekus) {
    if (e == "2.5.29.37.0") return CertFail(CertErrc::kWrongKeyUsage, who + " has anyExtendedKeyUsage");
  }
  if (role == CertRole::kRoot) {
    if (!im.is_ca) return CertFail(CertErrc::kWrongKeyUsage, who + " is not a CA (basicConstraints CA:TRUE required)");
    if (!(im.ku & kKuKeyCertSign) || !(im.ku & kKuCrlSign)) {
      return CertFail(CertErrc::kWrongKeyUsage, who + ": a root needs keyUsage keyCertSign and cRLSign");
    }
    if (im.ku & ~static_cast<uint32_t>(kKuKeyCertSign | kKuCrlSign)) {
      return CertFail(CertErrc::kWrongKeyUsage, who + ": a root may only have keyCertSign and cRLSign");
    }
    if (!im.ekus.empty()) return CertFail(CertErrc::kWrongKeyUsage, who + ": a root carries no extended key usage");
    if (im.subject_der != im.issuer_der) return CertFail(CertErrc::kWrongIssuer, who + " is not self-issued");
    return {};
  }
  if (im.is_ca)
    return CertFail(CertErrc::kWrongKeyUsage, who + " is a CA and cannot sign as " + std::string(CertRoleName(role)));
  if (im.ku != kKuDigitalSignature) {
    return CertFail(CertErrc::kWrongKeyUsage, who + ": keyUsage must be exactly digitalSignature");
  }
  std::string_view want = EkuFor(role);
  bool found = false;
  for (const auto& e : im.ekus) {
    if (e == want) {
      found = true;
    } else if (e == kOidTrustListSigner || e == kOidMdlDocumentSigner || e == kOidStatusListSigner) {
      return CertFail(CertErrc::kWrongKeyUsage,
                      who + " carries the EKU of another role (" + e + "); one key, one role");
    }
  }
  if (!found) {
    return CertFail(CertErrc::kWrongKeyUsage, who + " lacks the extended key usage " + std::string(want) + " of a " +
                                                  std::string(CertRoleName(role)));
  }
  if (!im.eku_critical) return CertFail(CertErrc::kWrongKeyUsage, who + ": extendedKeyUsage must be critical");
  if (im.aki.empty()) return CertFail(CertErrc::kMalformed, who + " has no authorityKeyIdentifier");
  return {};
}

Status ValidateCertificate(const Certificate& leaf, CertRole role, const Certificate& root, std::optional<int64_t> at) {
  if (!leaf.valid() || !root.valid()) return CertFail(CertErrc::kMalformed, "empty certificate");
  if (auto st = CheckProfile(root, CertRole::kRoot); !st) {
    return Wrap("pinned root", st.error());
  }
  const auto& r = I(root);
  const auto& l = I(leaf);
  if (role == CertRole::kRoot) {
    if (l.der != r.der) {
      return CertFail(CertErrc::kUnknownRoot, "root '" + l.subject + "' is not the pinned root");
    }
  } else {
    if (l.der == r.der || leaf.self_issued()) {
      return CertFail(CertErrc::kUnknownRoot, "'" + l.subject + "' is self-issued: a root other than the pinned one");
    }
    if (l.issuer_der != r.subject_der) {
      return CertFail(CertErrc::kWrongIssuer, "'" + l.subject + "' was issued by '" + l.issuer +
                                                  "', not by the pinned root '" + r.subject + "'");
    }
    if (!l.aki.empty() && !r.ski.empty() && l.aki != r.ski) {
      return CertFail(CertErrc::kUnknownRoot, "'" + l.subject +
                                                  "' names the pinned root's subject but another key (AKI " +
                                                  ToHex(l.aki) + ", pinned root SKI " + ToHex(r.ski) + ")");
    }
  }
  if (X509_verify(l.x.get(), X509_get0_pubkey(r.x.get())) != 1) {
    ERR_clear_error();
    return CertFail(CertErrc::kBadSignature,
                    "the signature on '" + l.subject + "' does not verify with the pinned root's key");
  }
  if (role != CertRole::kRoot) {
    if (auto st = CheckProfile(leaf, role); !st) return st;
  }
  if (at) {
    if (auto st = CheckTime(root, *at, "pinned root"); !st) return st;
    if (role != CertRole::kRoot) {
      if (auto st = CheckTime(leaf, *at, CertRoleName(role).data()); !st) return st;
    }
  }
  return {};
}

Status ValidateChain(std::span<const Certificate> chain, CertRole role, const Certificate& root,
                     std::optional<int64_t> at) {
  if (chain.empty()) return CertFail(CertErrc::kMalformed, "empty certificate chain");
  if (chain.size() > 2) {
    return CertFail(CertErrc::kUnsupported,
                    "chains longer than [leaf, root] are not part of this PKI (no intermediate CAs)");
  }
  if (chain.size() == 2 && !(chain[1].valid() && root.valid() && chain[1].der() == root.der())) {
    return CertFail(CertErrc::kUnknownRoot, "the chain ends in '" + (chain[1].valid() ? chain[1].subject() : "") +
                                                "', which is not the pinned root");
  }
  return ValidateCertificate(chain[0], role, root, at);
}

}  // namespace wathiq::keys
