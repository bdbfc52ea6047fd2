// The wallet against a real issuer deployment (SQLCipher registry, publication to a public folder): the
// status of the citizen's own documents from the published tokens (valid, suspended, revoked, unknown and
// why; refusals to present, offline), and the move to a new phone: issue to wallet A, encrypted backup,
// restore in wallet B, the issuer re-issues to B's new device key and revokes the old credentials as
// device_replaced, B imports, and after publication A's credentials read revoked and B's valid. Real files
// throughout: SQLCipher wallets, file keystores, the issuer's deployment folder.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include <catch2/catch.hpp>

#include "issuer/issuer_fixture.h"
#include "test_util.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/status_uri.h"
#include "wathiq/wallet/backup.h"
#include "wathiq/wallet/keystore.h"
#include "wathiq/wallet/store.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;

namespace {

#define REQUIRE_OK(expr)                                      \
  do {                                                        \
    auto&& wq_r_ = (expr);                                    \
    INFO((wq_r_ ? std::string() : wq_r_.error().ToString())); \
    REQUIRE(wq_r_.has_value());                               \
  } while (0)

keys::SecretText Pin() { return keys::SecretText::FromString("123456"); }

bool Contains(ByteView hay, ByteView needle) {
  return !needle.empty() && std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}
bool Contains(ByteView hay, std::string_view needle) { return Contains(hay, AsBytes(needle)); }

// One phone: an app-data folder, a file keystore beside it, the wallet.
struct Phone {
  std::unique_ptr<wallet::FileKeystore> ks;
  std::optional<wallet::Wallet> w;
  std::string ks_dir;

  Phone(const IssuerTempDir& tmp, const std::string& name) : ks_dir(tmp.at(name + "-keystore")) {
    wallet::FileKeystoreOptions o;
    o.kdf = keys::KdfParams::Min();  // the PIN's cost is not under test here
    auto k = wallet::FileKeystore::Open(ks_dir, o);
    REQUIRE_OK(k);
    ks = std::move(*k);
    auto made = wallet::Wallet::Create(tmp.at(name + "-app-data"), *ks, Pin());
    REQUIRE_OK(made);
    w.emplace(std::move(*made));
  }
  wallet::Wallet& operator*() { return *w; }
  wallet::Wallet* operator->() { return &*w; }
};

struct Fixture {
  TestPki pki = MustMakeTestPki();
  IssuerTempDir tmp;
  keys::SecretText pass = keys::SecretText::FromString(kTestPassphrase);
  std::optional<issuer::Deployment> dep;
  int64_t now = pki.now;
  std::string public_dir = tmp.at("public");

  Fixture() {
    InitTestDeployment(pki, tmp, tmp.at("dep"), pass);
    auto d = issuer::Deployment::Open(tmp.at("dep"), pass, issuer::SealedFileOpener(pass));
    REQUIRE_OK(d);
    dep.emplace(std::move(*d));
  }
  // Civil ID n issued by PACI to a fresh device key of `phone` and imported there.
  issuer::IssuedRecord IssueTo(Phone& phone, uint64_t n, const std::string& batch = "") {
    auto key = phone->NewDeviceKey();
    REQUIRE_OK(key);
    issuer::IssueInput in;
    in.agency = "paci";
    in.doc_type = kCivilId;
    in.claims_json = CivilRecord(CivilIdFor(n));
    in.device_key = key->public_key;
    auto r = dep->Issue(in, "staff-1", now);
    REQUIRE_OK(r);
    auto imported = phone->Import(r->credential, *pki.trust_list, now, {.batch = batch});
    REQUIRE_OK(imported);
    return *r;
  }
  void Publish() {
    issuer::PublishOptions po;
    po.public_dir = public_dir;
    po.audit_dir = tmp.at("audit");
    po.now = now;
    REQUIRE_OK(dep->Publish(po));
  }
  std::vector<wallet::StatusCheck> Status(Phone& phone, int64_t at) {
    auto r = phone->UpdateStatus(public_dir, *pki.trust_list, at);
    REQUIRE_OK(r);
    return *r;
  }
  struct Counts {
    uint64_t log, credentials;
    bool operator==(const Counts&) const = default;
  };
  Counts Snapshot() { return {*dep->registry().LogSize(), *dep->registry().CredentialCount()}; }
};

std::string Reason(const Error& e) { return std::string(e.reason_code()); }

Result<wallet::PresentedQr> PresentId(Phone& p, int64_t id, int64_t now) {
  return p->Present(id, {"checkpoint_identity", {}}, {.catalogue = nullptr, .now = now, .challenge_text = {}});
}

const wallet::StatusCheck& For(const std::vector<wallet::StatusCheck>& checks, int64_t id) {
  auto it = std::find_if(checks.begin(), checks.end(), [&](const wallet::StatusCheck& c) { return c.id == id; });
  REQUIRE(it != checks.end());
  return *it;
}

}  // namespace

TEST_CASE("wallet status: the citizen's documents from the published tokens, refusals offline", "[wallet][status]") {
  Fixture f;
  Phone phone(f.tmp, "a");
  auto first = f.IssueTo(phone, 1);
  auto second = f.IssueTo(phone, 2);
  auto list = phone->List();
  REQUIRE_OK(list);
  REQUIRE(list->size() == 2);
  const int64_t id1 = (*list)[0].id, id2 = (*list)[1].id;
  CHECK((*list)[0].held_status == wallet::HeldStatus::kUnchecked);

  // Nothing published yet: unknown, and it says why.
  auto none = f.Status(phone, f.now);
  CHECK(For(none, id1).outcome == "unknown");
  CHECK(For(none, id1).reason == "no_token");
  CHECK(For(none, id1).held == wallet::HeldStatus::kUnchecked);
  REQUIRE_OK(PresentId(phone, id1, f.now));  // unchecked is not a refusal: the verifier checks anyway

  f.Publish();
  auto valid = f.Status(phone, f.now + 1);
  CHECK(For(valid, id1).outcome == "valid");
  CHECK(For(valid, id2).outcome == "valid");
  CHECK(For(valid, id1).held == wallet::HeldStatus::kValid);

  // Suspended: refused with its reason; reinstated: valid again.
  f.now += 10;
  REQUIRE_OK(f.dep->Suspend("paci", second.document_number, status::RevocationReason::kCourtOrder, "staff-2", f.now));
  f.Publish();
  auto suspended = f.Status(phone, f.now + 1);
  CHECK(For(suspended, id2).outcome == "suspended");
  auto refused = PresentId(phone, id2, f.now + 1);
  REQUIRE_FALSE(refused);
  CHECK(Reason(refused.error()) == "credential_suspended");
  f.now += 10;
  REQUIRE_OK(f.dep->Reinstate("paci", second.document_number, "staff-2", f.now));
  f.Publish();
  CHECK(For(f.Status(phone, f.now + 1), id2).held == wallet::HeldStatus::kValid);
  REQUIRE_OK(PresentId(phone, id2, f.now + 1));

  // Revoked: refused, and still refused offline (no token folder at all) and after a restart.
  f.now += 10;
  REQUIRE_OK(f.dep->Revoke("paci", first.document_number, status::RevocationReason::kStolen, "staff-2", f.now));
  f.Publish();
  auto revoked = f.Status(phone, f.now + 1);
  CHECK(For(revoked, id1).outcome == "revoked");
  CHECK(For(revoked, id2).outcome == "valid");
  auto refused_revoked = PresentId(phone, id1, f.now + 1);
  REQUIRE_FALSE(refused_revoked);
  CHECK(Reason(refused_revoked.error()) == "credential_revoked");
  const Bytes good_token = *ReadFileBytes(keys::StatusUriPath(f.public_dir, first.status_uri)->string());
  fs::remove_all(f.public_dir);
  auto offline = f.Status(phone, f.now + 2);
  CHECK(For(offline, id1).reason == "no_token");
  CHECK(For(offline, id1).held == wallet::HeldStatus::kRevoked);
  auto shown = phone->Show(id1);
  REQUIRE_OK(shown);
  CHECK(shown->summary.held_status == wallet::HeldStatus::kRevoked);
  CHECK(Reason(PresentId(phone, id1, f.now + 2).error()) == "credential_revoked");

  // Unknown, each with its reason: a changed byte (bad signature), a token past exp (stale), an older token.
  const std::string path = keys::StatusUriPath(f.public_dir, first.status_uri)->string();
  fs::create_directories(fs::path(path).parent_path());
  Bytes tampered = good_token;
  tampered[tampered.size() - 5] ^= 0x01;  // inside the signature
  REQUIRE(WriteFileAtomically(path, tampered, WriteMode::kReplace));
  auto bad = f.Status(phone, f.now + 3);
  CHECK(For(bad, id2).outcome == "unknown");
  CHECK(For(bad, id2).reason == "bad_signature");
  CHECK(For(bad, id2).held == wallet::HeldStatus::kValid);  // the last known state stands
  REQUIRE(WriteFileAtomically(path, good_token, WriteMode::kReplace));
  auto stale = f.Status(phone, f.now + 86400 + 10);
  CHECK(For(stale, id2).reason == "stale");
  // An older token (the first publication's, from the audit history) does not move the held state back.
  // Audit history files are <size>-<iat>.cwt: the oldest is the one with the smallest iat.
  std::optional<std::pair<uint64_t, fs::path>> oldest;
  for (const auto& e : fs::recursive_directory_iterator(f.tmp.at("audit") + "/tokens")) {
    if (!e.is_regular_file()) continue;
    std::string stem = e.path().stem().string();
    uint64_t iat = std::stoull(stem.substr(stem.find('-') + 1));
    if (!oldest || iat < oldest->first) oldest = {iat, e.path()};
  }
  REQUIRE(oldest);
  REQUIRE(WriteFileAtomically(path, *ReadFileBytes(oldest->second.string()), WriteMode::kReplace));
  auto older = f.Status(phone, f.now + 4);
  CHECK(For(older, id1).reason == "older_token");
  CHECK(For(older, id1).held == wallet::HeldStatus::kRevoked);
}

TEST_CASE("backup and restore: A -> backup -> B, re-issued to B's new key, A's revoked as device_replaced",
          "[wallet][backup]") {
  Fixture f;
  Phone a(f.tmp, "a");
  const CivilIdentity who = CivilIdFor(7);
  auto card = f.IssueTo(a, 7);
  f.IssueTo(a, 7, "commute");  // two single-use credentials of the same document
  f.IssueTo(a, 7, "commute");
  f.Publish();
  for (const auto& c : f.Status(a, f.now + 1)) CHECK(c.outcome == "valid");

  auto docs = a->BackupDocuments();
  REQUIRE_OK(docs);
  REQUIRE(docs->size() == 1);
  CHECK((*docs)[0].document_number == who.number);
  CHECK((*docs)[0].agency == "paci");
  REQUIRE((*docs)[0].credentials.size() == 3);
  const keys::SecretText code = wallet::GenerateRecoveryCode();
  CHECK(code.size() == 29);
  auto sealed = wallet::SealBackup({f.now, *docs}, code);  // the default cost (Argon2id, 256 MiB)
  REQUIRE_OK(sealed);
  const Bytes& backup = *sealed;
  WARN("backup: " << backup.size() << " bytes for " << (*docs)[0].credentials.size() << " credentials");

  // No device private key, no device public key, no claim value in plaintext.
  auto device_keys = a.ks->DeviceKeys();
  REQUIRE_OK(device_keys);
  REQUIRE(device_keys->size() == 3);
  for (const auto& k : *device_keys) {
    auto signer = a.ks->DeviceSigner(k.key_id);
    REQUIRE_OK(signer);
    const auto* handle = dynamic_cast<const keys::KeyHandle*>(signer->get());
    REQUIRE(handle);
    auto secret = ExportSoftwareSecretForSealing(*handle->inner());
    REQUIRE_OK(secret);
    CHECK_FALSE(Contains(backup, *secret));
    CHECK_FALSE(Contains(backup, k.public_key.raw()));
    CHECK_FALSE(Contains(backup, k.key_id));
  }
  for (std::string_view claim :
       {std::string_view(who.number), std::string_view(who.birth_date), std::string_view("Mohammad Abdullah Al-Ali"),
        std::string_view("محمد عبدالله العلي"), std::string_view("KW1234567"), std::string_view("paci"),
        std::string_view("status.paci")}) {
    INFO(claim);
    CHECK_FALSE(Contains(backup, claim));
  }

  // The new phone. Every bad backup is a clear error and creates nothing.
  Phone b(f.tmp, "b");
  const std::string state_file = b.ks_dir + "/keystore.state";
  const Bytes state_before = *ReadFileBytes(state_file);
  auto refuse = [&](ByteView file, const keys::SecretText& secret, std::string_view reason) {
    auto opened = wallet::OpenBackup(file, secret);
    REQUIRE_FALSE(opened);
    INFO(opened.error().ToString());
    CHECK(Reason(opened.error()) == reason);
  };
  refuse(backup, keys::SecretText::FromString("wrong passphrase, long enough"), "wrong_passphrase");
  refuse(backup, wallet::GenerateRecoveryCode(), "wrong_passphrase");
  for (size_t cut : {size_t{0}, size_t{5}, size_t{12}, backup.size() / 2, backup.size() - 1}) {
    INFO("truncated to " << cut);
    refuse(ByteView(backup).first(cut), code, "backup_damaged");
  }
  Bytes longer = backup;
  longer.push_back(0);
  refuse(longer, code, "backup_damaged");
  for (size_t at : {size_t{20}, size_t{100}, backup.size() - 40, backup.size() - 1}) {
    INFO("byte " << at << " changed");
    Bytes t = backup;
    t[at] ^= 0x20;
    refuse(t, code, "backup_damaged");
  }
  Bytes v2 = backup;
  v2[7] = 2;
  refuse(v2, code, "backup_unsupported");
  CHECK(*ReadFileBytes(state_file) == state_before);  // no device key was created by any of them
  CHECK(b->List()->empty());

  // Restore: the code as typed (lower case, spaces instead of dashes, O for 0) opens it.
  std::string typed(code.text());
  for (char& ch : typed) {
    if (ch == '-') ch = ' ';
    else if (ch == '0') ch = 'o';
    else ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  auto start = std::chrono::steady_clock::now();
  auto opened = wallet::OpenBackup(backup, keys::SecretText::FromString(typed));
  REQUIRE_OK(opened);
  auto requests = wallet::RestoreFromBackup(*b, *opened);
  REQUIRE_OK(requests);
  const double restore_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("restore (open the backup at the default Argon2id cost + new device key): " << restore_s << " s");
  REQUIRE(requests->size() == 1);
  const wallet::ReissueRequest& req = (*requests)[0];
  CHECK(req.document_number == who.number);
  CHECK(req.old_mso_digests.size() == 3);
  CHECK(b.ks->DeviceKeys()->size() == 1);
  // A wallet that already holds credentials is not a restore target.
  auto again = wallet::RestoreFromBackup(*a, *opened);
  REQUIRE_FALSE(again);
  CHECK(Reason(again.error()) == "wallet_not_empty");

  // The issuer: refusals write nothing.
  const auto before = f.Snapshot();
  issuer::DeviceReplacement dr{"paci", req.document_number, req.old_mso_digests, req.device_key.public_key};
  auto other = dr;
  other.old_mso_digests = {Bytes(32, 0x42)};
  auto unknown = f.dep->ReplaceDevice(other, "staff-3", f.now + 30);
  REQUIRE_FALSE(unknown);
  CHECK(Reason(unknown.error()) == "unknown_credential");
  other = dr;
  other.agency = "moi";
  auto foreign = f.dep->ReplaceDevice(other, "staff-3", f.now + 30);
  REQUIRE_FALSE(foreign);
  CHECK(Reason(foreign.error()) == "other_agency");
  other = dr;
  other.document_number = CivilIdFor(8).number;
  CHECK(Reason(f.dep->ReplaceDevice(other, "staff-3", f.now + 30).error()) == "unknown_document");
  CHECK(f.Snapshot() == before);

  // Re-issue to B's new key; A's three credentials revoked as device_replaced, in one step.
  f.now += 30;
  auto replaced = f.dep->ReplaceDevice(dr, "staff-3", f.now);
  REQUIRE_OK(replaced);
  CHECK(replaced->revoked.credentials.size() == 3);
  CHECK(replaced->issued.document_number == who.number);
  CHECK(replaced->issued.valid_until >= card.valid_until);
  auto view = f.dep->Show(who.number);
  REQUIRE_OK(view);
  int device_replaced = 0;
  for (const auto& h : view->history) {
    for (const auto& e : h) device_replaced += e.reason == "device_replaced" ? 1 : 0;
  }
  CHECK(device_replaced == 3);
  // The same request again names only revoked credentials now: nothing is re-issued.
  auto replay = f.dep->ReplaceDevice(dr, "staff-3", f.now + 1);
  REQUIRE_FALSE(replay);
  CHECK(Reason(replay.error()) == "nothing_to_replace");

  auto imported = b->Import(replaced->issued.credential, *f.pki.trust_list, f.now);
  REQUIRE_OK(imported);
  f.now += 30;
  f.Publish();
  for (const auto& c : f.Status(a, f.now + 1)) {
    CHECK(c.outcome == "revoked");
    CHECK(c.held == wallet::HeldStatus::kRevoked);
  }
  auto list_a = a->List();
  REQUIRE_OK(list_a);
  CHECK(Reason(PresentId(a, list_a->front().id, f.now + 1).error()) == "credential_revoked");
  auto checks_b = f.Status(b, f.now + 1);
  REQUIRE(checks_b.size() == 1);
  CHECK(checks_b[0].outcome == "valid");
  REQUIRE_OK(PresentId(b, imported->id, f.now + 1));
}

TEST_CASE("backup secrets: recovery codes are canonical, short passphrases refused, suspended not re-issued",
          "[wallet][backup]") {
  auto code = wallet::GenerateRecoveryCode();
  auto norm = wallet::NormalizeBackupSecret(code);
  REQUIRE_OK(norm);
  CHECK(norm->Equals(code));
  CHECK(code.text().find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ-") == std::string_view::npos);
  CHECK(code.text() != wallet::GenerateRecoveryCode().text());
  auto weak = wallet::NormalizeBackupSecret(keys::SecretText::FromString("hunter2"));
  REQUIRE_FALSE(weak);
  CHECK(Reason(weak.error()) == "weak_passphrase");
  auto passphrase = keys::SecretText::FromString("a long passphrase, chosen by the citizen");
  wallet::BackupOptions cheap;
  cheap.kdf = keys::KdfParams::Min();
  auto sealed = wallet::SealBackup({1, {}}, passphrase, cheap);
  REQUIRE_OK(sealed);
  auto opened = wallet::OpenBackup(*sealed, passphrase);
  REQUIRE_OK(opened);
  CHECK(opened->documents.empty());
  CHECK(opened->created_at == 1);

  // A suspended document is not re-issued to a new device.
  Fixture f;
  Phone a(f.tmp, "a");
  auto r = f.IssueTo(a, 3);
  auto docs = a->BackupDocuments();
  REQUIRE_OK(docs);
  REQUIRE_OK(f.dep->Suspend("paci", r.document_number, status::RevocationReason::kCourtOrder, "staff-2", f.now));
  auto key = a->NewDeviceKey();
  REQUIRE_OK(key);
  auto refused = f.dep->ReplaceDevice(
      {"paci", r.document_number, {(*docs)[0].credentials[0].mso_digest}, key->public_key}, "staff-3", f.now);
  REQUIRE_FALSE(refused);
  CHECK(Reason(refused.error()) == "document_suspended");
}

// Figures for wallet/README.md: backup size per credential and per document (real fields from an issued
// credential), and restore time at the default Argon2id cost. Run with "[.figures]".
TEST_CASE("backup figures: size per credential, restore time", "[.figures]") {
  Fixture f;
  Phone a(f.tmp, "a");
  f.IssueTo(a, 11);
  auto docs = a->BackupDocuments();
  REQUIRE_OK(docs);
  const wallet::BackupDocument one = (*docs)[0];
  wallet::BackupOptions cheap;
  cheap.kdf = keys::KdfParams::Min();
  const auto code = wallet::GenerateRecoveryCode();
  auto size_of = [&](size_t documents, size_t per_document) {
    wallet::WalletBackup b{f.now, {}};
    for (size_t d = 0; d < documents; ++d) {
      wallet::BackupDocument doc = one;
      doc.document_number = CivilIdFor(100 + d).number;
      doc.credentials.assign(per_document, one.credentials[0]);
      b.documents.push_back(doc);
    }
    auto sealed = wallet::SealBackup(b, code, cheap);
    REQUIRE_OK(sealed);
    return sealed->size();
  };
  const size_t empty = size_of(0, 1), d1 = size_of(1, 1), d10 = size_of(10, 1), c10 = size_of(1, 10);
  WARN("backup bytes: empty " << empty << ", 1 document/1 credential " << d1 << ", 10 documents " << d10 << " ("
                              << (d10 - empty) / 10 << " per document with one credential), 1 document with 10 "
                              << "credentials " << c10 << " (" << (c10 - d1) / 9 << " per extra credential)");
  auto sealed = wallet::SealBackup({f.now, *docs}, code);
  REQUIRE_OK(sealed);
  for (int run = 0; run < 3; ++run) {
    Phone b(f.tmp, "b" + std::to_string(run));
    auto start = std::chrono::steady_clock::now();
    auto opened = wallet::OpenBackup(*sealed, code);
    REQUIRE_OK(opened);
    REQUIRE_OK(wallet::RestoreFromBackup(*b, *opened));
    WARN("restore at opslimit 3, 256 MiB: "
         << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s");
  }
}
