// The mobile bridge's C ABI v1, through the shared library the apps load, called from C (bridge_c.c) and
// directly: status codes, trust state and rollback, staleness, replay, challenges, hostile input.
#include <dlfcn.h>

#include <cstring>

#include "mdoc/mdoc_test_util.h"
#include "support/status_fixture.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/zlib.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/wathiq.h"

extern "C" int bridge_c_session(const uint8_t* tl, size_t tl_len, const uint8_t* root, size_t root_len,
                                uint64_t held_seq, const uint8_t* held_sha, int64_t open_at, const char* qr,
                                const int64_t* at, int count, int* statuses, uint64_t* seq_out, uint8_t* sha_out,
                                char* out, size_t out_cap);

extern "C" int bridge_c_status(const uint8_t* tl, size_t tl_len, const uint8_t* root, size_t root_len, int64_t now,
                               const uint8_t* const* tokens, const size_t* token_lens, int count,
                               const char* const* qrs, const int64_t* at, int* add_statuses, int* verify_statuses,
                               char* out, size_t out_cap);

using namespace wathiq;
using namespace wathiq::test;

namespace {

nlohmann::json Parse(const char* s) {
  auto j = nlohmann::json::parse(s, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

struct Cred {
  IssuedCredential cred;
  mdoc::ParsedIssuerSigned parsed;
};

Cred ShortLived(const TestPki& pki) {
  Cred c;
  c.cred = IssueCivilId(pki, [&](mdoc::IssueRequest& r) {
    r.status.reset();
    r.validity = {pki.now, pki.now, pki.now + 2 * kDay};
  });
  auto parsed = mdoc::ParseIssuerSigned(c.cred.issuer_signed);
  REQUIRE(parsed);
  c.parsed = std::move(*parsed);
  return c;
}

std::string Qr(const Cred& c, int64_t at, std::optional<Bytes> nonce = std::nullopt) {
  mdoc::qr::PresentationRequest r{&c.parsed, kCivilIdDocType, {"full_name_ar", "civil_id_number"},
                                  c.cred.device_key.get(), at, std::move(nonce)};
  auto p = mdoc::qr::BuildPresentation(r);
  REQUIRE(p);
  return p->text;
}

struct Session {
  int open = 0;
  std::vector<int> statuses;
  uint64_t seq = 0;
  uint8_t sha[32] = {};
  std::string last;
};

Session Run(const TestPki& pki, const Bytes& tl, uint64_t held_seq, const uint8_t* held_sha, int64_t open_at,
            const std::string& qr, std::vector<int64_t> at) {
  Session s;
  s.statuses.assign(at.size(), 99);
  std::string out(64 * 1024, '\0');
  const Bytes& root = pki.root_cert.der();
  s.open = bridge_c_session(tl.data(), tl.size(), root.data(), root.size(), held_seq, held_sha, open_at, qr.c_str(),
                            at.data(), static_cast<int>(at.size()), s.statuses.data(), &s.seq, s.sha, out.data(),
                            out.size());
  s.last = out.c_str();
  return s;
}

}  // namespace

TEST_CASE("mobile bridge: versions, and only wathiq_* leave the shared library", "[bridge]") {
  CHECK(wathiq_abi_version() == WATHIQ_ABI_VERSION);
  CHECK(std::string(wathiq_version()) == "0.2.0");
  Dl_info info;
  REQUIRE(dladdr(reinterpret_cast<void*>(&wathiq_abi_version), &info) != 0);
  INFO(info.dli_fname);
  CHECK(std::string(info.dli_fname).find("libwathiq.so") != std::string::npos);
  void* lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(lib);
  CHECK(dlsym(lib, "wathiq_verify_qr") != nullptr);
  // Internal C++ symbols stay hidden: an app cannot bind to (and break on) them.
  CHECK(dlsym(lib, "_ZN6wathiq8ErrcNameENS_4ErrcE") == nullptr);
  dlclose(lib);
}

TEST_CASE("mobile bridge: a C caller branches on the verdict, and a second showing is a replay", "[bridge]") {
  auto pki = MustMakeTestPki();
  Cred c = ShortLived(pki);
  std::string qr = Qr(c, pki.now);
  auto s = Run(pki, pki.trust_list_bytes, 0, nullptr, pki.now, qr, {pki.now + 5, pki.now + 6, pki.now + 600});
  INFO(s.last);
  REQUIRE(s.open == 0);
  CHECK(s.seq == pki.content.sequence);
  CHECK(Bytes(s.sha, s.sha + 32) == pki.trust_list->payload_sha256());
  CHECK(s.statuses[0] == WATHIQ_VALID);
  CHECK(s.statuses[1] == WATHIQ_INVALID);  // replayed
  CHECK(s.statuses[2] == WATHIQ_INVALID);  // stale
  auto j = Parse(s.last.c_str());
  CHECK(j["verdict"] == "invalid");
  CHECK(j.dump().find("presentation_stale") != std::string::npos);

  wathiq_verifier* v = nullptr;
  const Bytes& root = pki.root_cert.der();
  REQUIRE(wathiq_verifier_open(pki.trust_list_bytes.data(), pki.trust_list_bytes.size(), root.data(), root.size(), 0,
                               nullptr, pki.now, &v, nullptr) == WATHIQ_OK);
  char* report = nullptr;
  char* err = nullptr;
  REQUIRE(wathiq_verify_qr(v, Qr(c, pki.now).c_str(), pki.now + 1, &report, &err) == WATHIQ_VALID);
  CHECK(err == nullptr);
  j = Parse(report);
  CHECK(j["checks"].size() == 10);
  CHECK(j["documents"][0]["issuer"]["id"] == "paci");
  bool seen = false;
  for (const auto& e : j["documents"][0]["elements"]) {
    if (e["id"] == "full_name_ar") seen = e["value"] == "محمد عبدالله العلي" && e["nameSpace"] == kCivilIdDocType;
  }
  CHECK(seen);
  wathiq_string_free(report);
  wathiq_verifier_free(v);
}

TEST_CASE("mobile bridge: rollback to an older trust list and a stale one are refused", "[bridge][negative]") {
  auto pki = MustMakeTestPki({.now = kPkiNow, .sequence = 12, .agencies = {}});
  Cred c = ShortLived(pki);
  std::string qr = Qr(c, pki.now);
  auto current = Run(pki, pki.trust_list_bytes, 0, nullptr, pki.now, qr, {});
  REQUIRE(current.open == 0);

  // An older, unexpired list that still lists a document signer the current one removed after its key was
  // stolen: refused once the app passes what it holds.
  keys::TrustListContent older = pki.content;
  older.sequence = 11;
  auto old_bytes = pki.Sign(older);
  REQUIRE(old_bytes);
  auto rolled = Run(pki, *old_bytes, current.seq, current.sha, pki.now, qr, {pki.now});
  CHECK(rolled.open == WATHIQ_ERR_ROLLBACK);
  CHECK(Parse(rolled.last.c_str())["error"] == "trust_list_rollback");
  // The same sequence with different content.
  keys::TrustListContent forked = pki.content;
  forked.agencies.pop_back();
  auto forked_bytes = pki.Sign(forked);
  REQUIRE(forked_bytes);
  CHECK(Run(pki, *forked_bytes, current.seq, current.sha, pki.now, qr, {}).open == WATHIQ_ERR_ROLLBACK);
  // Held state round-trips: the same list again is fine.
  CHECK(Run(pki, pki.trust_list_bytes, current.seq, current.sha, pki.now, qr, {}).open == 0);

  // Weeks past next_update: no verdict at all, from an open handle or a new one.
  int64_t late = pki.content.next_update + 21 * kDay;
  std::string late_qr = Qr(c, late);
  auto stale = Run(pki, pki.trust_list_bytes, 0, nullptr, pki.now, late_qr, {late});
  REQUIRE(stale.open == 0);
  CHECK(stale.statuses[0] == WATHIQ_ERR_TRUST_LIST_STALE);
  CHECK(Parse(stale.last.c_str())["error"] == "trust_list_stale");
  CHECK(Run(pki, pki.trust_list_bytes, 0, nullptr, late, late_qr, {}).open == WATHIQ_ERR_TRUST_LIST_STALE);
}

TEST_CASE("mobile bridge: challenges are answered once, within their lifetime", "[bridge]") {
  auto pki = MustMakeTestPki();
  Cred c = ShortLived(pki);
  const Bytes& root = pki.root_cert.der();
  wathiq_verifier* v = nullptr;
  REQUIRE(wathiq_verifier_open(pki.trust_list_bytes.data(), pki.trust_list_bytes.size(), root.data(), root.size(), 0,
                               nullptr, pki.now, &v, nullptr) == WATHIQ_OK);
  char* wqc = nullptr;
  REQUIRE(wathiq_verifier_challenge(v, "نقطة تفتيش 7", pki.now, &wqc, nullptr) == WATHIQ_OK);
  auto challenge = mdoc::qr::ParseChallenge(wqc);
  wathiq_string_free(wqc);
  REQUIRE(challenge);
  CHECK(challenge->verifier_name == "نقطة تفتيش 7");
  std::string answer = Qr(c, pki.now - 7200, challenge->nonce);  // a wrong phone clock does no harm
  char* report = nullptr;
  CHECK(wathiq_verify_qr(v, answer.c_str(), pki.now + 20, &report, nullptr) == WATHIQ_VALID);
  wathiq_string_free(report);
  CHECK(wathiq_verify_qr(v, answer.c_str(), pki.now + 21, &report, nullptr) == WATHIQ_INVALID);
  CHECK(std::string(report).find("replayed") != std::string::npos);
  wathiq_string_free(report);
  // A second challenge, answered too late.
  REQUIRE(wathiq_verifier_challenge(v, "x", pki.now, &wqc, nullptr) == WATHIQ_OK);
  auto second = mdoc::qr::ParseChallenge(wqc);
  wathiq_string_free(wqc);
  REQUIRE(second);
  CHECK(wathiq_verify_qr(v, Qr(c, pki.now, second->nonce).c_str(), pki.now + 301, &report, nullptr) == WATHIQ_INVALID);
  CHECK(std::string(report).find("presentation_stale") != std::string::npos);
  wathiq_string_free(report);
  wathiq_verifier_free(v);
}

TEST_CASE("mobile bridge: bad handles, null pointers and hostile text give errors, never a crash", "[bridge][negative]") {
  auto pki = MustMakeTestPki();
  const Bytes& tl = pki.trust_list_bytes;
  const Bytes& root = pki.root_cert.der();
  wathiq_verifier* v = nullptr;
  char* err = nullptr;
  CHECK(wathiq_verifier_open(nullptr, 0, root.data(), root.size(), 0, nullptr, pki.now, &v, &err) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  REQUIRE(err);
  CHECK(Parse(err)["error"] == "invalid_argument");
  wathiq_string_free(err);
  CHECK(wathiq_verifier_open(tl.data(), tl.size(), root.data(), root.size(), 0, nullptr, pki.now, nullptr, nullptr) ==
        WATHIQ_ERR_INVALID_ARGUMENT);
  Bytes flipped = tl;
  flipped[flipped.size() - 3] ^= 1;
  CHECK(wathiq_verifier_open(flipped.data(), flipped.size(), root.data(), root.size(), 0, nullptr, pki.now, &v, &err) < 0);
  CHECK(v == nullptr);
  REQUIRE(err);
  CHECK(std::string(Parse(err)["error"]).rfind("trust_list_", 0) == 0);
  wathiq_string_free(err);
  Bytes junk_root(100, 0x30);
  CHECK(wathiq_verifier_open(tl.data(), tl.size(), junk_root.data(), junk_root.size(), 0, nullptr, pki.now, &v, &err) ==
        WATHIQ_ERR_REJECTED);
  wathiq_string_free(err);

  REQUIRE(wathiq_verifier_open(tl.data(), tl.size(), root.data(), root.size(), 0, nullptr, pki.now, &v, nullptr) == WATHIQ_OK);
  char* report = nullptr;
  CHECK(wathiq_verify_qr(v, nullptr, pki.now, &report, nullptr) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(report == nullptr);
  CHECK(wathiq_verify_qr(v, "x", pki.now, nullptr, nullptr) == WATHIQ_ERR_INVALID_ARGUMENT);
  for (const char* text : {"", "WQ1:", "WQ1:%%%%", "\xff\xfe\x1b[2J"}) {
    REQUIRE(wathiq_verify_qr(v, text, pki.now, &report, nullptr) == WATHIQ_INVALID);
    CHECK(Parse(report)["verdict"] == "invalid");
    CHECK(std::string(report).find('\x1b') == std::string::npos);
    wathiq_string_free(report);
  }
  std::string huge(100000, 'A');
  CHECK(wathiq_verify_qr(v, huge.c_str(), pki.now, &report, nullptr) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(wathiq_verify_qr(v, "WQ1:", INT64_MAX, &report, &err) == WATHIQ_ERR_TRUST_LIST_STALE);
  wathiq_string_free(err);
  CHECK(wathiq_verify_qr(v, "WQ1:", -1, &report, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  wathiq_string_free(err);
  uint64_t seq = 0;
  uint8_t sha[32];
  CHECK(wathiq_verifier_trust_state(v, nullptr, sha, nullptr) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(wathiq_verifier_trust_state(v, &seq, sha, nullptr) == WATHIQ_OK);
  char* wqc = nullptr;
  std::string long_name(300, 'n');
  CHECK(wathiq_verifier_challenge(v, long_name.c_str(), pki.now, &wqc, nullptr) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(wathiq_verifier_challenge(v, nullptr, pki.now, &wqc, nullptr) == WATHIQ_ERR_INVALID_ARGUMENT);

  // A handle that is not one: refused by its magic, not dereferenced as a verifier.
  alignas(16) unsigned char fake[64] = {};
  auto* bogus = reinterpret_cast<wathiq_verifier*>(fake);
  CHECK(wathiq_verify_qr(bogus, "WQ1:", pki.now, &report, &err) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(Parse(err)["error"] == "bad_handle");
  wathiq_string_free(err);
  CHECK(wathiq_verifier_trust_state(bogus, &seq, sha, nullptr) == WATHIQ_ERR_BAD_HANDLE);
  CHECK(wathiq_verifier_challenge(bogus, "x", pki.now, &wqc, nullptr) == WATHIQ_ERR_BAD_HANDLE);
  wathiq_verifier_free(bogus);  // not ours: ignored
  wathiq_verifier_free(v);
  wathiq_verifier_free(nullptr);
  wathiq_string_free(nullptr);
}

TEST_CASE("mobile bridge: status-list tokens from C: valid, a foreign signer refused, then revoked", "[bridge][status]") {
  auto pki = MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  Cred c;
  c.cred = IssueCivilId(pki);  // paci.status_list_uri, index 7
  auto parsed = mdoc::ParseIssuerSigned(c.cred.issuer_signed);
  REQUIRE(parsed);
  c.parsed = std::move(*parsed);
  auto list = MustStatusList();
  Bytes valid = MustSignStatusToken(paci, list, paci.status_list_uri, pki.now - 60);
  Bytes foreign = MustSignStatusToken(pki.agency("moi-traffic"), list, paci.status_list_uri, pki.now - 30);
  REQUIRE(list.Set(7, status::kStatusInvalid));
  Bytes revoked = MustSignStatusToken(paci, list, paci.status_list_uri, pki.now - 20);
  std::vector<const uint8_t*> tokens{valid.data(), foreign.data(), revoked.data()};
  std::vector<size_t> lens{valid.size(), foreign.size(), revoked.size()};
  std::vector<std::string> texts{Qr(c, pki.now + 1), Qr(c, pki.now + 2), Qr(c, pki.now + 3)};
  std::vector<const char*> qrs{texts[0].c_str(), texts[1].c_str(), texts[2].c_str()};
  std::vector<int64_t> at{pki.now + 1, pki.now + 2, pki.now + 3};
  int adds[3] = {99, 99, 99}, verdicts[3] = {99, 99, 99};
  std::string out(4096, '\0');
  const Bytes& root = pki.root_cert.der();
  REQUIRE(bridge_c_status(pki.trust_list_bytes.data(), pki.trust_list_bytes.size(), root.data(), root.size(), pki.now,
                          tokens.data(), lens.data(), 3, qrs.data(), at.data(), adds, verdicts, out.data(),
                          out.size()) == 0);
  CHECK(adds[0] == WATHIQ_OK);
  CHECK(verdicts[0] == WATHIQ_VALID);
  CHECK(adds[1] == WATHIQ_ERR_REJECTED);  // MoI's status signer cannot answer for PACI's list
  CHECK(verdicts[1] == WATHIQ_VALID);
  CHECK(adds[2] == WATHIQ_OK);
  CHECK(verdicts[2] == WATHIQ_INVALID);
  CHECK(Parse(out.c_str())["error"] == "signer_not_authorized");
}

TEST_CASE("mobile bridge: status tokens: expired, hostile and misused calls give errors", "[bridge][status][negative]") {
  auto pki = MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  const Bytes& tl = pki.trust_list_bytes;
  const Bytes& root = pki.root_cert.der();
  wathiq_verifier* v = nullptr;
  REQUIRE(wathiq_verifier_open(tl.data(), tl.size(), root.data(), root.size(), 0, nullptr, pki.now, &v, nullptr) == WATHIQ_OK);
  Cred c;
  c.cred = IssueCivilId(pki);
  auto parsed = mdoc::ParseIssuerSigned(c.cred.issuer_signed);
  REQUIRE(parsed);
  c.parsed = std::move(*parsed);
  char* err = nullptr;
  char* report = nullptr;
  // No token: cannot confirm.
  CHECK(wathiq_verify_qr(v, Qr(c, pki.now).c_str(), pki.now, &report, nullptr) == WATHIQ_CANNOT_CONFIRM_STATUS);
  wathiq_string_free(report);
  auto list = MustStatusList();
  Bytes token = MustSignStatusToken(paci, list, paci.status_list_uri, pki.now - 60, pki.now + 100);
  REQUIRE(wathiq_verifier_add_status_token(v, token.data(), token.size(), pki.now, &err) == WATHIQ_OK);
  CHECK(err == nullptr);
  CHECK(wathiq_verify_qr(v, Qr(c, pki.now + 50).c_str(), pki.now + 50, &report, nullptr) == WATHIQ_VALID);
  wathiq_string_free(report);
  // Past exp the token says nothing: cannot confirm again, not the old "valid".
  CHECK(wathiq_verify_qr(v, Qr(c, pki.now + 101).c_str(), pki.now + 101, &report, nullptr) == WATHIQ_CANNOT_CONFIRM_STATUS);
  CHECK(std::string(report).find("expired") != std::string::npos);
  wathiq_string_free(report);
  // An expired token is refused when added.
  CHECK(wathiq_verifier_add_status_token(v, token.data(), token.size(), pki.now + 200, &err) == WATHIQ_ERR_REJECTED);
  REQUIRE(err);
  CHECK(Parse(err)["error"] == "expired");
  wathiq_string_free(err);
  Bytes tampered = token;
  tampered[tampered.size() - 1] ^= 0x80;
  CHECK(wathiq_verifier_add_status_token(v, tampered.data(), tampered.size(), pki.now, &err) == WATHIQ_ERR_REJECTED);
  CHECK(Parse(err)["error"] == "bad_signature");
  wathiq_string_free(err);
  Bytes deep(5000, 0x9f);  // 5,000 nested indefinite arrays: the depth cap
  CHECK(wathiq_verifier_add_status_token(v, deep.data(), deep.size(), pki.now, &err) == WATHIQ_ERR_REJECTED);
  CHECK(Parse(err)["error"] == "limit");
  wathiq_string_free(err);
  Bytes junk(5000, 0xff);
  CHECK(wathiq_verifier_add_status_token(v, junk.data(), junk.size(), pki.now, &err) == WATHIQ_ERR_REJECTED);
  CHECK(Parse(err)["error"] == "malformed");
  wathiq_string_free(err);
  CHECK(wathiq_verifier_add_status_token(v, nullptr, 10, pki.now, &err) == WATHIQ_ERR_INVALID_ARGUMENT);
  wathiq_string_free(err);
  CHECK(wathiq_verifier_add_status_token(v, token.data(), 0, pki.now, nullptr) == WATHIQ_ERR_INVALID_ARGUMENT);
  CHECK(wathiq_verifier_add_status_token(v, token.data(), token.size(), INT64_MAX, &err) == WATHIQ_ERR_TRUST_LIST_STALE);
  wathiq_string_free(err);
  alignas(16) unsigned char fake[64] = {};
  CHECK(wathiq_verifier_add_status_token(reinterpret_cast<wathiq_verifier*>(fake), token.data(), token.size(), pki.now,
                                         &err) == WATHIQ_ERR_BAD_HANDLE);
  wathiq_string_free(err);
  wathiq_verifier_free(v);
}
