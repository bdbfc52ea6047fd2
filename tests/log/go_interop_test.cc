// Interop with an outside implementation: Go's golang.org/x/mod/sumdb/note and sumdb/tlog (tests/log/go).
// Both directions: Go verifies our signed checkpoint and proofs (and re-derives the same proofs), and we
// verify Go's signed checkpoint and proofs (and re-derive the same proofs).
#include <filesystem>
#include <fstream>

#include "test_util.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/proof_json.h"

using namespace wathiq;
using namespace wathiq::log;

namespace {

void Write(const std::filesystem::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
  REQUIRE(f.good());
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The peer binary, or empty (with a warning) when Go is not installed.
std::string Peer() {
  std::string peer = WATHIQ_LOG_GO_PEER;
  if (peer.empty()) {
    WARN("Go is not installed: the Go log interop test is skipped (scripts/bootstrap.sh installs golang-go)");
  } else {
    REQUIRE(std::filesystem::exists(peer));
  }
  return peer;
}

Hash RootOf(const MemoryTree& t, uint64_t n) {
  auto r = TreeRoot(t, n);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("Go (sumdb/note, sumdb/tlog) verifies our signed checkpoint and proofs", "[log][interop]") {
  std::string peer = Peer();
  if (peer.empty()) return;
  test::TempDir dir("logpeer");
  const std::string origin = "log.wathiq.example/interop";
  MemoryTree tree;
  std::string entries;
  const uint64_t n = 300;
  for (uint64_t i = 0; i < n; ++i) {
    Bytes e = {0x00, static_cast<uint8_t>(i), 0xff};
    std::string s = "wathiq entry " + std::to_string(i);
    e.insert(e.end(), s.begin(), s.end());
    tree.Append(LeafHash(e));
    entries += ToHex(e) + "\n";
  }
  auto key = GenerateSoftwareSigner(Alg::kEdDSA);
  REQUIRE(key);
  auto signer = NoteSigner::Create(origin, **key);
  REQUIRE(signer);
  Checkpoint cp{origin, n, RootOf(tree, n), {}};
  auto text = FormatCheckpoint(cp);
  REQUIRE(text);
  const NoteSigner* signers[] = {&*signer};
  auto note = SignNote(*text, signers);
  REQUIRE(note);

  std::string proofs;
  size_t count = 0;
  for (uint64_t idx = 0; idx < n; idx += 1 + idx / 5) {
    for (uint64_t size : {idx + 1, (idx + n + 1) / 2, n}) {
      auto p = InclusionProof(tree, idx, size);
      REQUIRE(p);
      auto leaf = tree.Node(0, idx);
      REQUIRE(leaf);
      proofs += InclusionProofJson(idx, size, *leaf, *p, RootOf(tree, size)) + "\n";
      ++count;
    }
  }
  for (uint64_t s1 = 1; s1 <= n; s1 += 1 + s1 / 6) {
    for (uint64_t s2 : {s1, (s1 + n) / 2, n}) {
      if (s2 < s1) continue;
      auto p = ConsistencyProof(tree, s1, s2);
      REQUIRE(p);
      proofs += ConsistencyProofJson(s1, s2, *p, RootOf(tree, s1), RootOf(tree, s2)) + "\n";
      ++count;
    }
  }
  Write(dir.path() / "vkey", signer->VerifierKey() + "\n");
  Write(dir.path() / "checkpoint.note", *note);
  Write(dir.path() / "entries.txt", entries);
  Write(dir.path() / "proofs.jsonl", proofs);
  auto run = test::RunShell("'" + peer + "' check '" + dir.path().string() + "'");
  INFO(run.text);
  CHECK(run.rc == 0);
  CHECK(run.text == "ok " + std::to_string(count) + " proofs\n");

  // And Go refuses what it should: a flipped proof hash, a signature by another key.
  std::string bad = proofs;
  size_t at = bad.find("\"proof\":[\"") + 10;
  bad[at] = bad[at] == '0' ? '1' : '0';
  Write(dir.path() / "proofs.jsonl", bad);
  auto run_bad = test::RunShell("'" + peer + "' check '" + dir.path().string() + "'");
  CHECK(run_bad.rc != 0);
  Write(dir.path() / "proofs.jsonl", proofs);
  auto other = GenerateSoftwareSigner(Alg::kEdDSA);
  REQUIRE(other);
  auto other_signer = NoteSigner::Create(origin, **other);
  REQUIRE(other_signer);
  const NoteSigner* others[] = {&*other_signer};
  Write(dir.path() / "checkpoint.note", *SignNote(*text, others));
  auto run_key = test::RunShell("'" + peer + "' check '" + dir.path().string() + "'");
  CHECK(run_key.rc != 0);
  CHECK_THAT(run_key.text, Catch::Contains("note.Open"));
}

TEST_CASE("we verify Go's signed checkpoint and proofs, and derive the same proofs", "[log][interop]") {
  std::string peer = Peer();
  if (peer.empty()) return;
  test::TempDir dir("logpeer");
  auto run = test::RunShell("'" + peer + "' make '" + dir.path().string() + "' 257");
  INFO(run.text);
  REQUIRE(run.rc == 0);

  auto vkey = Lines(test::ReadFile((dir.path() / "vkey").string()));
  REQUIRE(vkey.size() == 1);
  auto verifier = NoteVerifier::FromVerifierKey(vkey[0]);
  REQUIRE(verifier);
  auto cp = OpenCheckpoint(test::ReadFile((dir.path() / "checkpoint.note").string()), *verifier, "go.peer.example/log");
  REQUIRE(cp);
  CHECK(cp->size == 257);

  MemoryTree tree;
  for (const auto& line : Lines(test::ReadFile((dir.path() / "entries.txt").string())))
    tree.Append(LeafHash(test::Hex(line)));
  REQUIRE(tree.size() == 257);
  CHECK(RootOf(tree, 257) == cp->root);

  size_t inclusion = 0, consistency = 0;
  for (const auto& line : Lines(test::ReadFile((dir.path() / "proofs.jsonl").string()))) {
    INFO(line);
    auto check = CheckProofJson(line);
    REQUIRE(check);
    REQUIRE(check->valid);
    auto j = nlohmann::json::parse(line);
    std::vector<std::string> theirs = j["proof"];
    std::vector<Hash> ours;
    if (j["type"] == "inclusion") {
      auto p = InclusionProof(tree, j["leaf_index"].get<uint64_t>(), j["tree_size"].get<uint64_t>());
      REQUIRE(p);
      ours = *p;
      ++inclusion;
    } else {
      auto p = ConsistencyProof(tree, j["size1"].get<uint64_t>(), j["size2"].get<uint64_t>());
      REQUIRE(p);
      ours = *p;
      ++consistency;
    }
    REQUIRE(ours.size() == theirs.size());
    for (size_t i = 0; i < ours.size(); ++i) CHECK(ToHex(ours[i]) == theirs[i]);
  }
  CHECK(inclusion > 50);
  CHECK(consistency > 30);
}
