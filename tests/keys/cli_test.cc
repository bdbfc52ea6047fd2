// `wathiq keys …` end to end: the real binary, real files, real exit codes.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "keys_test_util.h"
#include "support/pki_fixture.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"

using namespace wathiq;
using namespace wathiq::keys;

namespace {

struct Run {
  int code = -1;
  bool signaled = false;  // killed by a signal (the shell reports 128+n, or the status says so)
  std::string out;
  std::string err;
  nlohmann::json Json() const {
    auto j = nlohmann::json::parse(out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j;
  }
};

class Cli {
 public:
  Cli() {
    test::WriteBytes(dir_ / "root.pass", AsBytes("root passphrase\n"));
    test::WriteBytes(dir_ / "agency.pass", AsBytes("agency passphrase\n"));
    test::WriteBytes(dir_ / "wrong.pass", AsBytes("not it\n"));
    // Sanitizer builds: SoftHSM2 leaks inside the module (see pkcs11_test.cc).
    test::WriteBytes(dir_ / ".lsan.supp", AsBytes("leak:libsofthsm2.so\n"));
  }
  // Runs `wathiq keys <args>` in the temp dir, with `env` prepended (e.g. "SOFTHSM2_CONF=..."), after the
  // shell commands in `shell` (e.g. "ulimit -v 300000 && ").
  Run operator()(const std::string& args, const std::string& env = "", const std::string& shell = "") const {
    std::string cmd = "cd '" + dir_.path().string() + "' && " + shell + "env -u WATHIQ_PASSPHRASE -u WATHIQ_PIN LSAN_OPTIONS=suppressions=.lsan.supp ASAN_OPTIONS=fast_unwind_on_malloc=0 " +
                      env + " '" +
                      WATHIQ_CLI_PATH + "' keys " + args + " > .out 2> .err";
    int status = std::system(cmd.c_str());
    Run r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.signaled = (WIFEXITED(status) && WEXITSTATUS(status) > 128) || WIFSIGNALED(status);
    Bytes o = test::FileBytes(dir_ / ".out");
    Bytes e = test::FileBytes(dir_ / ".err");
    r.out.assign(o.begin(), o.end());
    r.err.assign(e.begin(), e.end());
    return r;
  }
  std::string operator/(const std::string& f) const { return dir_ / f; }

 private:
  test::TempDir dir_;
};

std::string VerifierKey() {
  auto log = KeyHandle::GenerateSoftware(Alg::kEdDSA);
  REQUIRE(log);
  auto vk = test::NoteVerifierKey("wathiq.example/log", log->cached_public_key());
  REQUIRE(vk);
  return *vk;
}

}  // namespace

TEST_CASE("CLI: root with backup, agency keys, certificates, signed trust list", "[keys][cli]") {
  Cli cli;
  const std::string now = "--now 1767225600 ";
  const std::string root_pass = "--passphrase-file root.pass ";
  const std::string ag_pass = "--passphrase-file agency.pass ";

  Run r = cli(now + "--json create-root --key-out root.wqk --cert-out root.der --country KW --org Wathiq "
              "--cn 'Wathiq National Root' --ian-uri https://pki.wathiq.example --kdf min --split 2-of-3 "
              "--shares-dir . " + root_pass);
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto j = r.Json();
  CHECK(j["ok"] == true);
  CHECK(j["shares"].size() == 3);
  const std::string root_id = j["key_id"];
  CHECK(test::FileMode(cli / "root.wqk") == 0600);
  CHECK(test::FileMode(cli / "root-share-1-of-3.txt") == 0600);
  auto root_cert = Certificate::FromDer(test::FileBytes(cli / "root.der"));
  REQUIRE(root_cert);
  CHECK(CheckProfile(*root_cert, CertRole::kRoot));
  CHECK(root_cert->not_before() == 1767225600 - 60);

  REQUIRE(cli("create-key --key-out tl.wqk --label tl --kdf min " + ag_pass).code == 0);
  REQUIRE(cli("create-key --key-out ds.wqk --alg EdDSA --label paci-ds --kdf min --public-out ds.spki " + ag_pass).code == 0);
  REQUIRE(cli("create-key --key-out st.wqk --label paci-status --kdf min " + ag_pass).code == 0);
  const std::string issuer = now + "issue-cert --issuer-key root.wqk --issuer-cert root.der " + root_pass;
  REQUIRE(cli(issuer + "--subject-key tl.wqk --role tl --country KW --cn 'Trust List Signer' --cert-out tl.der").code == 0);
  r = cli(issuer + "--subject-key ds.spki --role ds --country KW --cn 'الهيئة العامة للمعلومات المدنية' --cert-out ds.pem");
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(cli(issuer + "--subject-key st.wqk --role status --country KW --cn 'PACI status' --cert-out st.der").code == 0);

  std::string desc = R"({"sequence": 5, "issued_at": 1767225500, "next_update": 1767830400,
    "log": {"origin": "wathiq.example/log", "verifier_key": ")" + VerifierKey() + R"("},
    "agencies": [{"id": "paci", "name_ar": "الهيئة العامة للمعلومات المدنية",
      "name_en": "Public Authority for Civil Information", "doc_types": ["kw.gov.paci.civil_id.1"],
      "document_signer_certs": ["ds.pem"], "status_list_signer_certs": ["st.der"],
      "status_prefixes": ["https://status.paci.example/lists"], "aggregation_uri": "https://status.paci.example/"}]})";
  test::WriteBytes(cli / "tl.json", AsBytes(desc));
  r = cli(now + "sign-trust-list --signer-key tl.wqk --signer-cert tl.der --description tl.json --out tl.cose "
                "--root root.der " + ag_pass);
  INFO(r.err);
  REQUIRE(r.code == 0);

  SECTION("the published list loads in the library exactly as described") {
    TrustListPolicy p;
    p.now = 1767225600;
    auto tl = TrustList::Load(test::FileBytes(cli / "tl.cose"), *root_cert, p);
    REQUIRE(tl);
    CHECK((*tl)->sequence() == 5);
    REQUIRE((*tl)->agencies().size() == 1);
    CHECK((*tl)->agencies()[0].name_ar == "الهيئة العامة للمعلومات المدنية");
    CHECK((*tl)->signers().size() == 2);
    CHECK((*tl)->signers()[0].public_key.curve() == Curve::kEd25519);
  }
  SECTION("verify-trust-list and inspect, with reasons and exit codes") {
    r = cli(now + "--json verify-trust-list tl.cose --root root.der");
    REQUIRE(r.code == 0);
    CHECK(r.Json()["agencies"][0]["name_ar"] == "الهيئة العامة للمعلومات المدنية");
    r = cli(now + "verify-trust-list tl.cose --root root.der --min-sequence 6 --json");
    CHECK(r.code == 1);
    CHECK(r.Json()["error"]["reason"] == "rollback");
    r = cli("--now 1768000000 verify-trust-list tl.cose --root root.der --json");
    CHECK(r.code == 1);
    CHECK(r.Json()["error"]["reason"] == "stale");
    r = cli(now + "verify-trust-list tl.cose --root tl.der --json");  // a leaf is no root
    CHECK(r.code == 1);

    r = cli("inspect root.wqk --json");
    REQUIRE(r.code == 0);
    CHECK(r.Json()["type"] == "sealed-key");
    CHECK(r.Json()["key_id"] == root_id);
    r = cli("inspect root-share-2-of-3.txt --json");
    REQUIRE(r.code == 0);
    CHECK(r.Json()["index"] == 2);
    r = cli(now + "inspect ds.pem --root root.der --json");
    REQUIRE(r.code == 0);
    CHECK(r.Json()["role"] == "document-signer");
    CHECK(r.Json()["validation"]["valid"] == true);
    r = cli("--now 1900000000 inspect ds.pem --root root.der --json");
    CHECK(r.code == 1);
    CHECK(r.Json()["validation"]["reason"] == "expired");
    r = cli("inspect tl.cose --json");
    REQUIRE(r.code == 0);
    CHECK(r.Json()["verified"] == false);
    r = cli("inspect ds.spki");
    CHECK(r.code == 0);
    test::WriteBytes(cli / "junk", AsBytes("hello"));
    CHECK(cli("inspect junk").code == 3);
    CHECK(cli("inspect absent").code == 3);
  }
  SECTION("root recovery from shares") {
    r = cli("recover-root --share root-share-3-of-3.txt --share root-share-1-of-3.txt --key-out rec.wqk --kdf min "
            "--cert root.der " + ag_pass + "--json");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.Json()["key_id"] == root_id);
    auto k = OpenSealedKeyFile(cli / "rec.wqk", SecretText::FromString("agency passphrase"));
    REQUIRE(k);
    CHECK(k->cached_public_key() == root_cert->public_key());
    r = cli("recover-root --share root-share-2-of-3.txt --key-out rec2.wqk --kdf min " + ag_pass);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("need 2 shares"));
  }
  SECTION("failures: wrong passphrase, overwrite, missing secret, secrets on argv") {
    const Bytes before = test::FileBytes(cli / "root.wqk");
    r = cli(issuer.substr(0, issuer.find("--passphrase-file")) +
            "--passphrase-file wrong.pass --subject-key st.wqk --role ds --country KW --cn X --cert-out x.der");
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("wrong passphrase"));
    CHECK(test::FileBytes(cli / "root.wqk") == before);
    r = cli("create-key --key-out tl.wqk --kdf min " + ag_pass);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("already exists"));
    CHECK(cli("create-key --key-out new.wqk --kdf min").code == 2);
    CHECK(cli("create-key --key-out new.wqk --kdf min --passphrase secret").code == 2);
    CHECK(cli("create-key --key-out env.wqk --kdf min", "WATHIQ_PASSPHRASE=from-env").code == 0);
    CHECK(cli("issue-cert --role ds").code == 2);
  }
}

TEST_CASE("CLI: a root and an agency key inside a SoftHSM2 token", "[keys][cli][pkcs11]") {
  Cli cli;
  std::filesystem::create_directory(cli / "tokens");
  test::WriteBytes(cli / "softhsm2.conf",
                   AsBytes("directories.tokendir = " + (cli / "tokens") + "\nobjectstore.backend = file\nlog.level = ERROR\n"));
  test::WriteBytes(cli / "pin", AsBytes("1234\n"));
  test::WriteBytes(cli / "so-pin", AsBytes("5678\n"));
  const std::string env = "SOFTHSM2_CONF='" + (cli / "softhsm2.conf") + "'";
  const std::string p11 = "--pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token-label national-hsm --pin-file pin ";

  REQUIRE(cli("init-token " + p11 + "--so-pin-file so-pin", env).code == 0);
  Run r = cli("create-root " + p11 + "--key-label root --cert-out root.der --country KW --cn 'HSM Root' --json", env);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.Json()["key_source"] == "pkcs11");
  REQUIRE(cli("create-key " + p11 + "--key-label paci-ds --alg EdDSA --public-out ds.spki", env).code == 0);
  r = cli("issue-cert " + p11 + "--key-label root --issuer-cert root.der --subject-key ds.spki --role ds --country KW "
          "--cn 'HSM DS' --cert-out ds.der",
          env);
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto root = Certificate::FromDer(test::FileBytes(cli / "root.der"));
  auto ds = Certificate::FromDer(test::FileBytes(cli / "ds.der"));
  REQUIRE(root);
  REQUIRE(ds);
  CHECK(ValidateCertificate(*ds, CertRole::kDocumentSigner, *root, ds->not_before() + 10));
  CHECK(ds->public_key().curve() == Curve::kEd25519);

  test::WriteBytes(cli / "bad-pin", AsBytes("0000\n"));
  r = cli("issue-cert --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token-label national-hsm --pin-file bad-pin "
          "--key-label root --issuer-cert root.der --subject-key ds.spki --role ds --country KW --cn X --cert-out x.der",
          env);
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("wrong PIN"));
  r = cli("issue-cert " + p11 + "--key-label missing --issuer-cert root.der --subject-key ds.spki --role ds "
          "--country KW --cn X --cert-out x.der", env);
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("no private key labelled 'missing'"));
  r = cli("create-root " + p11 + "--key-label r2 --cert-out r2.der --country KW --cn R --split 2-of-3 --shares-dir .", env);
  CHECK(r.code == 2);  // a token key cannot be split
}

TEST_CASE("CLI: create-root checks every output before creating anything", "[keys][cli][negative]") {
  Cli cli;
  const std::string base = "--now 1767225600 create-root --country KW --cn Root --kdf min --passphrase-file root.pass ";
  // Before: the root key and certificate were written, then the shares failed, leaving a root without backup.
  Run r = cli(base + "--key-out root.wqk --cert-out root.der --split 2-of-3 --shares-dir missing-folder");
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("missing-folder"));
  CHECK_FALSE(std::filesystem::exists(cli / "root.wqk"));
  CHECK_FALSE(std::filesystem::exists(cli / "root.der"));

  // A share file already there, a certificate folder missing, a shares "folder" that is a file.
  std::filesystem::create_directory(cli / "shares");
  test::WriteBytes(cli / "shares/root-share-2-of-3.txt", AsBytes("old share\n"));
  r = cli(base + "--key-out root.wqk --cert-out root.der --split 2-of-3 --shares-dir shares");
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("root-share-2-of-3.txt already exists"));
  r = cli(base + "--key-out root.wqk --cert-out nowhere/root.der");
  CHECK(r.code == 3);
  test::WriteBytes(cli / "afile", AsBytes("x"));
  r = cli(base + "--key-out root.wqk --cert-out root.der --split 2-of-3 --shares-dir afile");
  CHECK(r.code == 2);
  if (geteuid() != 0) {  // root ignores the permission bits
    std::filesystem::create_directory(cli / "ro");
    std::filesystem::permissions(cli / "ro", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    r = cli(base + "--key-out root.wqk --cert-out root.der --split 2-of-3 --shares-dir ro");
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("not writable"));
    std::filesystem::permissions(cli / "ro", std::filesystem::perms::owner_all);
  }
  CHECK_FALSE(std::filesystem::exists(cli / "root.wqk"));
  CHECK_FALSE(std::filesystem::exists(cli / "root.der"));

  // With every output usable, all of them are written.
  std::filesystem::remove(cli / "shares/root-share-2-of-3.txt");
  r = cli(base + "--key-out root.wqk --cert-out root.der --split 2-of-3 --shares-dir shares");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(std::filesystem::exists(cli / "root.wqk"));
  CHECK(std::filesystem::exists(cli / "shares/root-share-3-of-3.txt"));
}

TEST_CASE("CLI: inspect --root calls an expired trust list stale and fails", "[keys][cli][negative]") {
  Cli cli;
  auto pki = test::MustMakeTestPki();
  test::WriteBytes(cli / "tl.cose", pki.trust_list_bytes);
  test::WriteBytes(cli / "root.der", pki.root_cert.der());
  Run r = cli("--now " + std::to_string(pki.now) + " inspect tl.cose --root root.der");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("valid trust list"));
  const std::string later = "--now " + std::to_string(pki.content.next_update + 3600) + " ";
  // Before: "valid trust list ..." and exit 0.
  r = cli(later + "inspect tl.cose --root root.der");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, !Catch::Contains("valid"));
  CHECK_THAT(r.out, Catch::Contains("EXPIRED"));
  CHECK_THAT(r.err, Catch::Contains("stale"));
  r = cli(later + "inspect tl.cose --root root.der --json");
  CHECK(r.code == 1);
  auto j = r.Json();
  CHECK(j["ok"] == false);
  CHECK(j["verified"] == true);  // the signature is fine; the list is out of date
  CHECK(j["fresh"] == false);
  CHECK(j["error"]["reason"] == "stale");
}

#if defined(__SANITIZE_ADDRESS__)
#define WATHIQ_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WATHIQ_TEST_ASAN 1
#endif
#endif

TEST_CASE("CLI: a hostile 2 MB trust list under an address-space limit exits cleanly", "[keys][cli][negative]") {
#ifdef WATHIQ_TEST_ASAN
  SUCCEED("skipped under AddressSanitizer: its shadow memory does not fit an address-space limit");
#else
  Cli cli;
  auto pki = test::MustMakeTestPki();
  test::WriteBytes(cli / "root.der", pki.root_cert.der());
  // COSE_Sign1-shaped: tag 18, [h'', {unprotected: maps nested as deep as the trust list's limits allow,
  // each declaring as many pairs as the bytes after it could hold}], filler. The old decoder reserved
  // 64 bytes per declared pair at every level (~450 MB) before reading any of them.
  Bytes f = {0xd2, 0x84, 0x40};
  const size_t total = 2u << 20;
  for (int level = 0; level < 7; ++level) {
    size_t left = total - f.size() - 5;
    uint32_t pairs = static_cast<uint32_t>(std::min<size_t>(left / 2, 1u << 20));
    f.push_back(0xba);
    for (int i = 3; i >= 0; --i) f.push_back(static_cast<uint8_t>(pairs >> (8 * i)));
  }
  f.resize(total, 0x00);
  test::WriteBytes(cli / "hostile.cose", f);
  const std::string limit = "ulimit -v 300000 && ";  // 300 MB of address space
  // The limit leaves room for an honest run: the real trust list verifies under it.
  test::WriteBytes(cli / "tl.cose", pki.trust_list_bytes);
  Run ok = cli("--now " + std::to_string(pki.now) + " inspect tl.cose --root root.der", "", limit);
  INFO(ok.err);
  REQUIRE(ok.code == 0);

  Run r = cli("--now " + std::to_string(pki.now) + " inspect hostile.cose --root root.der", "", limit);
  INFO(r.err);
  CHECK_FALSE(r.signaled);  // before: std::bad_alloc escaped main and the process died of SIGABRT
  CHECK(r.code == 3);       // malformed input
  CHECK_THAT(r.err, Catch::Contains("trust list malformed"));
  // One line on stderr, nothing else.
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  // And whatever still runs out of memory is caught at the top: find the smallest address-space limit the
  // honest run needs, then read a 15 MB file under it (a std::vector that cannot be allocated).
  auto runs_under = [&](size_t kib) {
    return cli("--now " + std::to_string(pki.now) + " inspect tl.cose --root root.der", "",
               "ulimit -v " + std::to_string(kib) + " && ").code == 0;
  };
  size_t lo = 8 * 1024, hi = 300000;  // KiB: fails at lo (the libraries alone need more), works at hi
  REQUIRE_FALSE(runs_under(lo));
  while (hi - lo > 2048) {
    size_t mid = (lo + hi) / 2;
    (runs_under(mid) ? hi : lo) = mid;
  }
  test::WriteBytes(cli / "big.bin", Bytes(15u << 20, 0x42));
  Run oom = cli("inspect big.bin", "", "ulimit -v " + std::to_string(hi) + " && ");
  INFO("limit " << hi << " KiB: " << oom.err);
  CHECK_FALSE(oom.signaled);  // before: terminate, SIGABRT
  CHECK(oom.code == 4);       // internal error
  CHECK_THAT(oom.err, Catch::Contains("out of memory"));
#endif
}

TEST_CASE("CLI: create-log-key seals the log key and prints the verifier key a trust list names", "[keys][cli]") {
  Cli cli;
  Run r = cli("create-log-key --key-out log.wqkey --name log.paci.gov.kw --kdf min --passphrase-file root.pass --json");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  auto j = r.Json();
  std::string vkey = j["verifier_key"];
  CHECK(vkey.rfind("log.paci.gov.kw+", 0) == 0);
  CHECK(CheckNoteVerifierKey(vkey));
  // The verifier key is the sealed key's: open it and derive it again.
  auto pass = SecretText::FromString("root passphrase");
  auto key = OpenSealedKeyFile(cli / "log.wqkey", pass);
  REQUIRE(key);
  CHECK(key->alg() == Alg::kEdDSA);
  auto again = test::NoteVerifierKey("log.paci.gov.kw", key->cached_public_key());
  REQUIRE(again);
  CHECK(*again == vkey);
  // Never over an existing file; a name that would break the note format is refused.
  CHECK(cli("create-log-key --key-out log.wqkey --name log.paci.gov.kw --kdf min --passphrase-file root.pass").code != 0);
  CHECK(cli("create-log-key --key-out log2.wqkey --name 'two words' --kdf min --passphrase-file root.pass").code == 2);
}
