// Writes the files the wallet's C test (wallet_c_test.c) reads: a fresh test PKI's root certificate and
// signed trust list, a civil ID issued to a P-256 device key, that key (the platform keystore in the C test
// holds it, as a phone's keystore would after create_key), a civil ID issued to a key the wallet does not
// hold, and the clock. Run by CTest as the setup of the fixture `bridge_wallet_files`.
//   bridge_wallet_fixture <out-dir>
#include <cstdio>
#include <filesystem>
#include <string>

#include "mdoc/mdoc_test_util.h"
#include "wathiq/core/file.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/mdoc/mdoc.h"

using namespace wathiq;

namespace {

int Die(const std::string& what) {
  std::fprintf(stderr, "bridge_wallet_fixture: %s\n", what.c_str());
  return 1;
}

bool Write(const std::string& dir, const char* name, ByteView b) {
  return static_cast<bool>(WriteFileAtomically(dir + "/" + name, b, WriteMode::kReplace, 0600));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return Die("usage: bridge_wallet_fixture <out-dir>");
  std::string dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Die("cannot create " + dir);
  auto pki = test::MakeTestPki();
  if (!pki) return Die(pki.error().ToString());
  const auto& paci = pki->agency("paci");
  auto issuer = mdoc::DocumentSigner::Create(paci.ds_key, paci.ds_cert.der());
  if (!issuer) return Die(issuer.error().ToString());

  auto issue = [&](const PublicKey& device) -> Result<Bytes> {
    auto req = test::CivilIdRequest(*pki, device);
    // No status list, so valid for at most 72 h (the verifier's rule): a presentation verifies valid offline.
    req.status.reset();
    req.validity = {pki->now - 3600, pki->now - 3600, pki->now + 2 * test::kDay};
    return issuer->Issue(req);
  };
  auto dk = GenerateSoftwareSigner(Alg::kES256);
  auto other = GenerateSoftwareSigner(Alg::kES256);
  if (!dk || !other) return Die("key generation failed");
  auto dk_pub = (*dk)->public_key();
  auto other_pub = (*other)->public_key();
  auto secret = ExportSoftwareSecretForSealing(**dk);
  if (!dk_pub || !other_pub || !secret) return Die("key export failed");
  auto cred = issue(*dk_pub);
  auto foreign = issue(*other_pub);
  if (!cred || !foreign) return Die("issuance failed");

  std::string now = std::to_string(pki->now) + "\n";
  bool ok = Write(dir, "root.der", pki->root_cert.der()) && Write(dir, "trust_list.cose", pki->trust_list_bytes) &&
            Write(dir, "credential.cbor", *cred) && Write(dir, "foreign_credential.cbor", *foreign) &&
            Write(dir, "device_key.priv", *secret) && Write(dir, "device_key.pub", dk_pub->raw()) &&
            Write(dir, "now.txt", AsBytes(now));
  SecureWipe(*secret);
  if (!ok) return Die("cannot write the files into " + dir);
  std::printf("bridge_wallet_fixture: wrote %s\n", dir.c_str());
  return 0;
}
