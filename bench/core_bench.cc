// Core figures (issue 2): COSE_Sign1 verify rate beside the raw OpenSSL / libsodium verify in the same
// run, and CBOR decode throughput on a 1.5 KB presentation-like document.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <cstdio>

#include "bench_util.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/cose.h"
#include "wathiq/core/zlib.h"

using namespace wathiq;

namespace {

// A document shaped like a QR presentation: items with salts, digests, a key, signatures.
cbor::Value PresentationLike() {
  using V = cbor::Value;
  V items = V::MakeArray();
  for (int i = 0; i < 6; ++i) {
    V item = V::MakeMap();
    item.Set("digestID", V::Uint(static_cast<uint64_t>(i)));
    item.Set("random", V::Bytes(RandomBytes(16)));
    item.Set("elementIdentifier", V::Text("element_number_" + std::to_string(i)));
    item.Set("elementValue", V::Text("\xd9\x85\xd8\xad\xd9\x85\xd8\xaf value " + std::to_string(i)));
    items.array().push_back(V::EncodedCbor(item));
  }
  V digests = V::MakeMap();
  for (int i = 0; i < 12; ++i) digests.Set(V::Uint(static_cast<uint64_t>(i)), V::Bytes(RandomBytes(32)));
  V mso = V::MakeMap();
  mso.Set("version", V::Text("1.0"));
  mso.Set("digestAlgorithm", V::Text("SHA-256"));
  mso.Set("valueDigests", V::MakeMap({{V::Text("kw.gov.paci.civil_id.1"), digests}}));
  mso.Set("docType", V::Text("kw.gov.paci.civil_id.1"));
  V doc = V::MakeMap();
  doc.Set("docType", V::Text("kw.gov.paci.civil_id.1"));
  doc.Set("issuerSigned",
          V::MakeMap({{V::Text("nameSpaces"), V::MakeMap({{V::Text("kw.gov.paci.civil_id.1"), items}})},
                      {V::Text("issuerAuth"), V::MakeArray({V::Bytes(RandomBytes(14)), V::MakeMap(),
                                                            V::EncodedCbor(mso), V::Bytes(RandomBytes(64))})}}));
  doc.Set("deviceSigned", V::MakeMap({{V::Text("deviceAuth"), V::MakeArray({V::Bytes(RandomBytes(3)), V::MakeMap(),
                                                                            V::Null(), V::Bytes(RandomBytes(64))})}}));
  return V::MakeArray({V::Uint(1), V::Uint(1767225600), V::Null(),
                       V::MakeMap({{V::Text("version"), V::Text("1.0")},
                                   {V::Text("documents"), V::MakeArray({doc})},
                                   {V::Text("status"), V::Uint(0)}})});
}

}  // namespace

int main() {
  if (sodium_init() < 0) return 1;
  std::printf("Wathiq core benchmark (one core; compare ratios, the machine is noisy)\n\n");
  Bytes payload = RandomBytes(700);

  std::printf("COSE_Sign1 verify vs raw primitive, same run:\n");
  for (Alg alg : {Alg::kES256, Alg::kEdDSA}) {
    auto signer = GenerateSoftwareSigner(alg);
    auto pub = (*signer)->public_key();
    auto verifier = MakeVerifier(*pub);
    auto msg_bytes = cose::SignSign1(**signer, payload);
    auto msg = cose::ParseSign1(*msg_bytes);
    Bytes tbs = cose::SigStructure(msg->protected_bytes, {}, payload);

    double cose_rate = bench::Rate([&] {
      auto m = cose::ParseSign1(*msg_bytes);
      if (!cose::VerifySign1(*m, **verifier)) std::abort();
    });
    double raw_rate;
    if (alg == Alg::kEdDSA) {
      const Bytes& pk = pub->raw();
      raw_rate = bench::Rate([&] {
        if (crypto_sign_verify_detached(msg->signature.data(), tbs.data(), tbs.size(), pk.data()) != 0) std::abort();
      });
    } else {
      // Raw OpenSSL: EVP_PKEY loaded once, DER signature precomputed, EVP_DigestVerify per call.
      Bytes spki = *pub->ToSpki();
      const unsigned char* p = spki.data();
      EVP_PKEY* pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
      unsigned char der[80];
      unsigned char* dp = der;
      ECDSA_SIG* sig = ECDSA_SIG_new();
      ECDSA_SIG_set0(sig, BN_bin2bn(msg->signature.data(), 32, nullptr),
                     BN_bin2bn(msg->signature.data() + 32, 32, nullptr));
      int der_len = i2d_ECDSA_SIG(sig, &dp);
      ECDSA_SIG_free(sig);
      EVP_MD_CTX* ctx = EVP_MD_CTX_new();
      raw_rate = bench::Rate([&] {
        EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
        if (EVP_DigestVerify(ctx, der, static_cast<size_t>(der_len), tbs.data(), tbs.size()) != 1) std::abort();
      });
      EVP_MD_CTX_free(ctx);
      EVP_PKEY_free(pkey);
    }
    std::string name(AlgName(alg));
    bench::Row("COSE_Sign1 parse+verify " + name + " (700-byte payload)", cose_rate);
    bench::Row("raw " + std::string(alg == Alg::kEdDSA ? "libsodium" : "OpenSSL EVP") + " verify " + name, raw_rate);
    bench::Ratio("ratio COSE / raw " + name, cose_rate, raw_rate);
  }

  std::printf("\nCBOR decode throughput:\n");
  Bytes doc = cbor::Encode(PresentationLike());
  double rate = bench::Rate([&] {
    auto v = cbor::Decode(doc);
    if (!v) std::abort();
  });
  bench::Row("strict decode of a " + std::to_string(doc.size()) + "-byte presentation-like document", rate,
             "= " + std::to_string(static_cast<int>(rate * static_cast<double>(doc.size()) / 1e6)) + " MB/s");
  double enc = bench::Rate([&] { (void)cbor::Encode(PresentationLike()); }, 0.2, 3);
  bench::Row("build + deterministic encode of the same document", enc);
  std::string b45 = base45::Encode(zlib::Deflate(doc));
  double dec45 = bench::Rate([&] {
    auto raw = base45::Decode(b45);
    auto z = zlib::Inflate(*raw, 65536);
    if (!z) std::abort();
  });
  bench::Row("Base45 decode + inflate of it (" + std::to_string(b45.size()) + " chars)", dec45);
  return 0;
}
