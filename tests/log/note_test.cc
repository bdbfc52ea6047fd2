// C2SP signed notes and tlog checkpoints. Known answers from golang.org/x/mod/sumdb/note's tests
// (BSD-3-Clause, The Go Authors): Peter Neumann's and Enoch Root's keys and signatures.
#include "test_util.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/note.h"

using namespace wathiq;
using namespace wathiq::log;

namespace {

const std::string kPeterKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const std::string kPeterSeedB64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";  // 0x01 || seed
const std::string kEnochKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const std::string kText =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const std::string kPeterSig =
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const std::string kEnochSig =
    "\xE2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

NoteVerifier V(const std::string& vkey) {
  auto v = NoteVerifier::FromVerifierKey(vkey);
  REQUIRE(v);
  return *v;
}

std::unique_ptr<Signer> PeterSigner() {
  auto seed = Base64Decode(kPeterSeedB64);
  REQUIRE(seed);
  REQUIRE(seed->size() == 33);
  auto s = SoftwareSignerFromSecret(Alg::kEdDSA, ByteView(*seed).subspan(1));
  REQUIRE(s);
  return std::move(*s);
}

}  // namespace

TEST_CASE("note keys: key id, verifier key string, refusals", "[log][note][kat]") {
  NoteVerifier peter = V(kPeterKey);
  CHECK(peter.name() == "PeterNeumann");
  CHECK(peter.key_id() == 0xc74f20a3);
  CHECK(peter.VerifierKey() == kPeterKey);
  auto signer = PeterSigner();
  auto ns = NoteSigner::Create("PeterNeumann", *signer);
  REQUIRE(ns);
  CHECK(ns->VerifierKey() == kPeterKey);
  CHECK(ns->key_id() == 0xc74f20a3);

  // Go's own must-reject keys, and a few more.
  for (const char* bad : {"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
                          "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                          "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                          "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                          "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "PeterNeumann+c74f20a3",
                          "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", ""}) {
    INFO(bad);
    CHECK_FALSE(NoteVerifier::FromVerifierKey(bad));
  }
  auto es = GenerateSoftwareSigner(Alg::kES256);
  REQUIRE(es);
  CHECK_FALSE(NoteSigner::Create("x", **es));  // Ed25519 only
  CHECK_FALSE(NoteSigner::Create("a+b", *signer));
}

TEST_CASE("signing reproduces Go's signature for Peter Neumann's note", "[log][note][kat]") {
  auto signer = PeterSigner();
  auto ns = NoteSigner::Create("PeterNeumann", *signer);
  REQUIRE(ns);
  const NoteSigner* signers[] = {&*ns};
  auto msg = SignNote(kText, signers);
  REQUIRE(msg);
  CHECK(*msg == kText + "\n" + kPeterSig);
  CHECK_FALSE(SignNote("no newline", signers));
  CHECK_FALSE(SignNote("", signers));
  CHECK_FALSE(SignNote("control \x01 char\n", signers));
}

TEST_CASE("OpenNote follows Go's Open: known, unknown, duplicate and invalid signatures", "[log][note][kat]") {
  NoteVerifier peter = V(kPeterKey), enoch = V(kEnochKey);
  std::vector<NoteVerifier> just_peter = {peter}, both = {peter, enoch};

  auto n = OpenNote(kText + "\n" + kPeterSig + kEnochSig, just_peter);
  REQUIRE(n);
  CHECK(n->text == kText);
  REQUIRE(n->verified.size() == 1);
  CHECK(n->verified[0].name == "PeterNeumann");
  CHECK(n->verified[0].key_id == 0xc74f20a3);
  REQUIRE(n->unverified.size() == 1);
  CHECK(n->unverified[0].key_id == 0xaf0cfe78);

  auto n2 = OpenNote(kText + "\n" + kPeterSig + kEnochSig, both);
  REQUIRE(n2);
  CHECK(n2->verified.size() == 2);
  CHECK(n2->unverified.empty());

  auto none = OpenNote(kText + "\n" + kPeterSig + kEnochSig, std::vector<NoteVerifier>{});
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::kNotFound);

  // A known key's bad signature fails the whole note.
  std::string bad_sig = kPeterSig.substr(0, 60) + "ABCD" + kPeterSig.substr(60);
  auto bad = OpenNote(kText + "\n" + bad_sig, just_peter);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kBadSignature);

  // Duplicates count once; a bad signature by an unknown key is only unverified.
  std::string enoch_bad = kEnochSig.substr(0, 60) + "ABCD" + kEnochSig.substr(60);
  auto dup = OpenNote(kText + "\n" + kPeterSig + kPeterSig + kEnochSig + kEnochSig + enoch_bad, just_peter);
  REQUIRE(dup);
  CHECK(dup->verified.size() == 1);
  CHECK(dup->unverified.size() == 2);

  // Go's malformed notes.
  const std::string malformed[] = {
      kText,
      kText + "\n",
      kText + "\n" + kPeterSig.substr(0, kPeterSig.size() - 1),
      "\x01" + kText + "\n" + kPeterSig,
      "\xff" + kText + "\n" + kPeterSig,
      kText + "\n" + "\xE2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
      kText + "\n" + kPeterSig + "Unexpected line.\n",
      kText + "\n" + "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
      kText + "\n" + "\xE2\x80\x94 PeterNeumann AAAA\n",
      kText + "\n" + "\xE2\x80\x94 PeterNeumann\n",
  };
  for (const auto& m : malformed) {
    INFO(m);
    auto r = OpenNote(m, just_peter);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMalformed);
  }
}

TEST_CASE("a note with 10,000 signature lines is refused before any signature is checked", "[log][note][negative]") {
  NoteVerifier peter = V(kPeterKey);
  // 10,000 short lines fit in 1 MiB: the line count is what refuses them, after one scan.
  std::string sigs = kPeterSig;
  for (int i = 1; i < 10000; ++i) sigs += "\xE2\x80\x94 x" + std::to_string(i) + " AAAAAAA=\n";
  REQUIRE(sigs.size() < kMaxNoteBytes);
  auto r = OpenNote(kText + "\n" + sigs, std::vector<NoteVerifier>{peter});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kLimit);
  CHECK_THAT(r.error().message, Catch::Contains("10000 signature lines"));
  // 10,000 full Ed25519 signature lines exceed 1 MiB and are refused on size alone.
  std::string full;
  for (int i = 0; i < 10000; ++i) full += kPeterSig;
  auto r2 = OpenNote(kText + "\n" + full, std::vector<NoteVerifier>{peter});
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == Errc::kLimit);
  CHECK_THAT(r2.error().message, Catch::Contains("1 MiB"));
  // 100 is the limit, 101 is over it (as in Go).
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += kPeterSig;
  CHECK(OpenNote(kText + "\n" + hundred, std::vector<NoteVerifier>{peter}));
  CHECK(OpenNote(kText + "\n" + hundred + kPeterSig, std::vector<NoteVerifier>{peter}).error().code == Errc::kLimit);
  // Over 1 MiB.
  std::string huge(kMaxNoteBytes, 'a');
  huge.back() = '\n';
  CHECK(OpenNote(huge + "\n" + kPeterSig, std::vector<NoteVerifier>{peter}).error().code == Errc::kLimit);
}

TEST_CASE("checkpoints: strict parse, format round trip", "[log][checkpoint]") {
  Checkpoint cp;
  cp.origin = "log.wathiq.example/issuer";
  cp.size = 5000000;
  for (size_t i = 0; i < 32; ++i) cp.root[i] = static_cast<uint8_t>(i * 7);
  auto text = FormatCheckpoint(cp);
  REQUIRE(text);
  CHECK(*text == "log.wathiq.example/issuer\n5000000\n" + Base64Encode(cp.root) + "\n");
  auto back = ParseCheckpoint(*text);
  REQUIRE(back);
  CHECK(*back == cp);
  cp.extensions = {"— witness extension line", "Timestamp: 1767225600"};
  auto text2 = FormatCheckpoint(cp);
  REQUIRE(text2);
  auto back2 = ParseCheckpoint(*text2);
  REQUIRE(back2);
  CHECK(*back2 == cp);

  const std::string root = Base64Encode(Bytes(32, 1));
  auto max_ok = ParseCheckpoint("o\n9223372036854775807\n" + root + "\n");
  REQUIRE(max_ok);
  CHECK(max_ok->size == 9223372036854775807ull);
  for (const std::string& bad : {
           "o\n9223372036854775808\n" + root + "\n",   // 2^63
           "o\n18446744073709551615\n" + root + "\n",  // 2^64 - 1
           "o\n99999999999999999999999\n" + root + "\n",
       }) {
    auto r = ParseCheckpoint(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kLimit);
    CHECK_THAT(r.error().message, Catch::Contains("2^63"));
  }
  for (const std::string& bad : {
           "o\n10\n" + root,                       // no final newline
           "\n10\n" + root + "\n",                 // empty origin
           "o\n010\n" + root + "\n",               // leading zero
           "o\n+10\n" + root + "\n", "o\n-1\n" + root + "\n", "o\n\n" + root + "\n", "o\n1 0\n" + root + "\n",
           "o\n10\n" + Base64Encode(Bytes(31, 1)) + "\n",  // short root
           "o\n10\n" + root.substr(0, 43) + "\n",           // no padding
           "o\n10\n" + root + "\n\n",                      // empty extension line
           std::string("o\n10\n"),
       }) {
    INFO(bad);
    CHECK_FALSE(ParseCheckpoint(bad));
  }
  Checkpoint too_big;
  too_big.origin = "o";
  too_big.size = uint64_t{1} << 63;
  CHECK_FALSE(FormatCheckpoint(too_big));
}

TEST_CASE("OpenCheckpoint: the log's key and the expected origin", "[log][checkpoint]") {
  auto key = GenerateSoftwareSigner(Alg::kEdDSA);
  REQUIRE(key);
  auto ns = NoteSigner::Create("log.wathiq.example/issuer", **key);
  REQUIRE(ns);
  Checkpoint cp;
  cp.origin = "log.wathiq.example/issuer";
  cp.size = 42;
  cp.root[0] = 9;
  auto text = FormatCheckpoint(cp);
  REQUIRE(text);
  const NoteSigner* signers[] = {&*ns};
  auto note = SignNote(*text, signers);
  REQUIRE(note);
  auto v = NoteVerifier::FromVerifierKey(ns->VerifierKey());
  REQUIRE(v);
  auto opened = OpenCheckpoint(*note, *v, "log.wathiq.example/issuer");
  REQUIRE(opened);
  CHECK(*opened == cp);
  CHECK_FALSE(OpenCheckpoint(*note, *v, "log.wathiq.example/other"));
  auto other = GenerateSoftwareSigner(Alg::kEdDSA);
  REQUIRE(other);
  auto ons = NoteSigner::Create("log.wathiq.example/issuer", **other);
  REQUIRE(ons);
  auto ov = NoteVerifier::FromVerifierKey(ons->VerifierKey());
  REQUIRE(ov);
  CHECK_FALSE(OpenCheckpoint(*note, *ov, "log.wathiq.example/issuer"));
}
