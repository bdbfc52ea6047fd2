// keys figures (issue 3): sign and verify rates of every signer kind — software ES256 and Ed25519 through
// KeyHandle, PKCS#11 on SoftHSM2 — beside raw OpenSSL / libsodium in the same run; trust-list load time for
// 50 agencies; certificate issuance; sealed-keystore open at each Argon2id preset.
// Usage: keys_bench   (SoftHSM2 figures need /usr/lib/softhsm/libsofthsm2.so; a temp token dir is made)
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "wathiq/core/crypto.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/pkcs11.h"
#include "wathiq/keys/trust.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"

using namespace wathiq;
using namespace wathiq::keys;
using Clock = std::chrono::steady_clock;

namespace {

template <class T>
T Must(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "keys_bench: %s: %s\n", what, r.error().ToString().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

double MedianMs(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double TimeMs(F&& f) {
  auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void SignVerifyRows(const std::string& name, const KeyHandle& key, const Bytes& msg, double seconds = 0.4) {
  Bytes sig = Must(key.Sign(msg), "sign");
  auto verifier = Must(MakeVerifier(key.cached_public_key(), key.alg()), "verifier");
  double s = bench::Rate([&] { (void)key.Sign(msg); }, seconds, 3);
  double v = bench::Rate([&] { (void)verifier->Verify(msg, sig); }, seconds, 3);
  bench::Row(name + " sign", s);
  bench::Row(name + " verify", v);
}

// Raw OpenSSL ECDSA P-256: EVP key and contexts reused, DER signatures, no conversion.
void RawOpenSsl(const Bytes& msg) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  Bytes sig(80);
  size_t siglen = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
  EVP_DigestSign(ctx, sig.data(), &siglen, msg.data(), msg.size());
  Bytes scratch(80);
  double s = bench::Rate([&] {
    size_t l = scratch.size();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
    EVP_DigestSign(ctx, scratch.data(), &l, msg.data(), msg.size());
  }, 0.4, 3);
  int bad = 0;
  double v = bench::Rate([&] {
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
    bad += EVP_DigestVerify(ctx, sig.data(), siglen, msg.data(), msg.size()) != 1;
  }, 0.4, 3);
  if (bad) std::fprintf(stderr, "keys_bench: OpenSSL verify failed\n");
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  bench::Row("raw OpenSSL ECDSA P-256 sign", s);
  bench::Row("raw OpenSSL ECDSA P-256 verify", v);
}

void RawSodium(const Bytes& msg) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
  crypto_sign_keypair(pk, sk);
  crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
  double s = bench::Rate([&] { crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk); }, 0.4, 3);
  int bad = 0;
  double v = bench::Rate([&] { bad += crypto_sign_verify_detached(sig, msg.data(), msg.size(), pk) != 0; }, 0.4, 3);
  if (bad) std::fprintf(stderr, "keys_bench: libsodium verify failed\n");
  sodium_memzero(sk, sizeof sk);
  bench::Row("raw libsodium Ed25519 sign", s);
  bench::Row("raw libsodium Ed25519 verify", v);
}

void TrustListFigures(int agencies, int ds_per_agency) {
  const int64_t now = 1767225600;
  KeyHandle root = Must(KeyHandle::GenerateSoftware(Alg::kES256), "root key");
  CertificateRequest rr;
  rr.role = CertRole::kRoot;
  rr.subject = {"KW", "", "Wathiq", "", "Bench Root"};
  rr.subject_key = root.cached_public_key();
  rr.not_before = now - 86400;
  rr.not_after = now + 3650 * 86400;
  Certificate root_cert = Must(CreateRootCertificate(root, rr), "root cert");
  auto issue = [&](CertRole role, const KeyHandle& k, const std::string& cn) {
    CertificateRequest r;
    r.role = role;
    r.subject = {"KW", "", "Agency", "", cn};
    r.subject_key = k.cached_public_key();
    r.not_before = now - 86400;
    r.not_after = now + 365 * 86400;
    r.issuer_alt_name_uri = "https://pki.example";
    return Must(IssueCertificate(root, root_cert, r), "issue");
  };
  KeyHandle tl_key = Must(KeyHandle::GenerateSoftware(Alg::kES256), "tl key");
  Certificate tl_cert = issue(CertRole::kTrustListSigner, tl_key, "TL");
  double issue_rate = bench::Rate([&] { (void)issue(CertRole::kDocumentSigner, tl_key, "DS"); }, 0.3, 3);

  TrustListContent c;
  c.sequence = 1;
  c.issued_at = now - 60;
  c.next_update = now + 7 * 86400;
  KeyHandle log = Must(KeyHandle::GenerateSoftware(Alg::kEdDSA), "log key");
  c.log = {"bench.example/log", Must(NoteVerifierKey("bench.example/log", log.cached_public_key()), "note key")};
  Bytes some_kid;
  for (int a = 0; a < agencies; ++a) {
    AgencyEntry e;
    e.id = "agency-" + std::to_string(a);
    e.name_ar = "الهيئة العامة للمعلومات المدنية " + std::to_string(a);
    e.name_en = "Agency " + std::to_string(a);
    e.doc_types = {"kw.gov.agency" + std::to_string(a) + ".doc.1"};
    for (int d = 0; d < ds_per_agency; ++d) {
      KeyHandle k = Must(KeyHandle::GenerateSoftware(d % 2 ? Alg::kEdDSA : Alg::kES256), "ds key");
      Certificate cert = issue(CertRole::kDocumentSigner, k, e.name_en + " DS " + std::to_string(d));
      e.document_signer_certs.push_back(cert.der());
      some_kid = cert.kid();
    }
    KeyHandle sk = Must(KeyHandle::GenerateSoftware(Alg::kES256), "status key");
    e.status_list_signer_certs.push_back(issue(CertRole::kStatusListSigner, sk, e.name_en + " status").der());
    e.status_prefixes = {"https://status.agency" + std::to_string(a) + ".example/lists"};
    e.aggregation_uri = "https://status.agency" + std::to_string(a) + ".example/";
    c.agencies.push_back(std::move(e));
  }
  Bytes signed_tl;
  double sign_ms = TimeMs([&] { signed_tl = Must(SignTrustList(c, tl_key, tl_cert), "sign trust list"); });
  TrustListPolicy p;
  p.now = now;
  std::vector<double> loads;
  std::shared_ptr<const TrustList> tl;
  for (int i = 0; i < 15; ++i) {
    loads.push_back(TimeMs([&] {
      auto r = TrustList::Load(signed_tl, root_cert, p);
      if (!r) {
        std::fprintf(stderr, "load: %s\n", r.error().ToString().c_str());
        std::exit(1);
      }
      tl = *r;
    }));
  }
  size_t certs = tl->signers().size();
  double find = bench::Rate([&] { (void)tl->FindByKid(some_kid, SignerRole::kDocumentSigner); }, 0.3, 3);
  std::printf("\nTrust list: %d agencies, %zu agency certificates, %zu bytes signed\n", agencies, certs, signed_tl.size());
  std::printf("  %-58s %12.1f ms\n", "build + sign (encode, ES256)", sign_ms);
  std::printf("  %-58s %12.1f ms  (%.0f us per certificate)\n", "load: verify, parse + validate every cert once (median)",
              MedianMs(loads), 1000.0 * MedianMs(loads) / static_cast<double>(certs + 1));
  bench::Row("FindByKid on the loaded list", find);
  const Bytes& der = c.agencies[0].document_signer_certs[0];
  Certificate one = Must(Certificate::FromDer(der), "parse");
  bench::Row("  of which: Certificate::FromDer (parse + extract once)", bench::Rate([&] { (void)Certificate::FromDer(der); }, 0.3, 3));
  bench::Row("  of which: ValidateCertificate (profile, issuer, signature)",
             bench::Rate([&] { (void)ValidateCertificate(one, CertRole::kDocumentSigner, root_cert, std::nullopt); }, 0.3, 3));
  bench::Row("  of which: MakeVerifier (import the key once)",
             bench::Rate([&] { (void)MakeVerifier(one.public_key()); }, 0.3, 3));
  bench::Row("IssueCertificate (TBS, ES256 sign, re-parse, self-check)", issue_rate);
}

void KeystoreFigures() {
  std::printf("\nSealed keystore open (Argon2id + XChaCha20-Poly1305 + rebuild + self-test), one shot each:\n");
  KeyHandle k = Must(KeyHandle::GenerateSoftware(Alg::kES256), "key");
  auto pass = SecretText::FromString("a passphrase of reasonable length");
  for (const char* preset : {"min", "interactive", "moderate"}) {
    SealOptions o;
    o.kdf = Must(KdfParams::FromName(preset), "kdf");
    Bytes sealed = Must(SealKey(k, pass, o), "seal");
    double ms = TimeMs([&] { (void)Must(UnsealKey(sealed, pass), "unseal"); });
    std::printf("  %-58s %12.1f ms\n", (std::string("open, ") + preset).c_str(), ms);
  }
}

void Pkcs11Figures(const Bytes& msg) {
  std::string dir = (std::filesystem::temp_directory_path() / "wathiq-bench-hsm-XXXXXX").string();
  if (!mkdtemp(dir.data())) return;
  std::filesystem::create_directory(dir + "/tokens");
  std::ofstream(dir + "/softhsm2.conf") << "directories.tokendir = " << dir << "/tokens\nobjectstore.backend = file\n"
                                        << "log.level = ERROR\n";
  setenv("SOFTHSM2_CONF", (dir + "/softhsm2.conf").c_str(), 1);
  {
    auto module = Pkcs11Module::Load(std::string(kSoftHsmModulePath));
    if (!module) {
      std::printf("  (PKCS#11 skipped: %s)\n", module.error().ToString().c_str());
    } else {
      auto pin = SecretText::FromString("123456");
      if (auto st = (*module)->InitToken("bench", SecretText::FromString("so-pin"), pin); !st) {
        std::fprintf(stderr, "keys_bench: init token: %s\n", st.error().ToString().c_str());
        std::exit(1);
      }
      auto token = Must((*module)->OpenToken("bench", pin), "open token");
      KeyHandle es = Must(token->GenerateKey({Alg::kES256, "bench-es256", {}}), "token ES256 key");
      KeyHandle ed = Must(token->GenerateKey({Alg::kEdDSA, "bench-ed25519", {}}), "token Ed25519 key");
      SignVerifyRows("KeyHandle PKCS#11 SoftHSM2 ES256", es, msg);
      SignVerifyRows("KeyHandle PKCS#11 SoftHSM2 Ed25519", ed, msg);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

int main() {
  if (sodium_init() < 0) return 1;
  std::printf("Wathiq keys benchmark (one thread; the machine is shared and noisy: compare ratios)\n\n");
  Bytes msg = RandomBytes(1024);  // about the size of an MSO Sig_structure
  std::printf("Sign / verify of a 1 KiB message (verify: core MakeVerifier on the handle's public key;\n"
              "PKCS#11 ES256 hashes here and signs with CKM_ECDSA, Ed25519 uses CKM_EDDSA):\n");
  KeyHandle es = Must(KeyHandle::GenerateSoftware(Alg::kES256), "ES256 key");
  KeyHandle ed = Must(KeyHandle::GenerateSoftware(Alg::kEdDSA), "Ed25519 key");
  SignVerifyRows("KeyHandle software ES256", es, msg);
  RawOpenSsl(msg);
  SignVerifyRows("KeyHandle software Ed25519", ed, msg);
  RawSodium(msg);
  Pkcs11Figures(msg);
  TrustListFigures(50, 2);
  KeystoreFigures();
  return 0;
}
