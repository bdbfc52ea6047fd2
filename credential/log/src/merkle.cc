#include "wathiq/log/merkle.h"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <string>

#include "wathiq/core/crypto.h"

namespace wathiq::log {
namespace {

// The RFC's k: the largest power of two strictly below n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

Status CheckSize(uint64_t size, const char* what) {
  if (size >= kTreeSizeLimit) return Fail(Errc::kLimit, std::string(what) + " is 2^63 or more");
  return Ok();
}

Status CheckProofLength(size_t n) {
  if (n > kMaxProofHashes) {
    return Fail(Errc::kLimit, "proof of " + std::to_string(n) + " hashes is longer than " +
                                  std::to_string(kMaxProofHashes));
  }
  return Ok();
}

// MTH(D[a:b]) for a range that is a node of the RFC tree (a is a multiple of a power of two >= b - a):
// its left part is a perfect subtree and its right part is again such a range.
Result<Hash> RangeHash(const NodeSource& src, uint64_t a, uint64_t b) {
  uint64_t n = b - a;
  if (std::has_single_bit(n) && a % n == 0) {
    return src.Node(static_cast<unsigned>(std::countr_zero(n)), a >> std::countr_zero(n));
  }
  uint64_t k = SplitPoint(n);
  WQ_ASSIGN(Hash left, RangeHash(src, a, a + k));
  WQ_ASSIGN(Hash right, RangeHash(src, a + k, b));
  return NodeHash(left, right);
}

Status Path(const NodeSource& src, uint64_t m, uint64_t a, uint64_t b, std::vector<Hash>& out) {
  uint64_t n = b - a;
  if (n == 1) return Ok();
  uint64_t k = SplitPoint(n);
  if (m < a + k) {
    WQ_TRY(Path(src, m, a, a + k, out));
    WQ_ASSIGN(Hash h, RangeHash(src, a + k, b));
    out.push_back(h);
  } else {
    WQ_TRY(Path(src, m, a + k, b, out));
    WQ_ASSIGN(Hash h, RangeHash(src, a, a + k));
    out.push_back(h);
  }
  return Ok();
}

// SUBPROOF(m, D[a:b], flag) with m an absolute leaf count (the old tree size).
Status SubProof(const NodeSource& src, uint64_t m, uint64_t a, uint64_t b, bool flag, std::vector<Hash>& out) {
  uint64_t n = b - a;
  if (m - a == n) {
    if (!flag) {
      WQ_ASSIGN(Hash h, RangeHash(src, a, b));
      out.push_back(h);
    }
    return Ok();
  }
  uint64_t k = SplitPoint(n);
  if (m - a <= k) {
    WQ_TRY(SubProof(src, m, a, a + k, flag, out));
    WQ_ASSIGN(Hash h, RangeHash(src, a + k, b));
    out.push_back(h);
  } else {
    WQ_TRY(SubProof(src, m, a + k, b, false, out));
    WQ_ASSIGN(Hash h, RangeHash(src, a, a + k));
    out.push_back(h);
  }
  return Ok();
}

bool Equal(const Hash& a, const Hash& b) { return std::memcmp(a.data(), b.data(), a.size()) == 0; }

}  // namespace

Hash LeafHash(ByteView entry) {
  Bytes buf;
  buf.reserve(entry.size() + 1);
  buf.push_back(0x00);
  buf.insert(buf.end(), entry.begin(), entry.end());
  Hash h;
  Sha256(buf, h.data());
  return h;
}

Hash NodeHash(const Hash& left, const Hash& right) {
  uint8_t buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  Hash h;
  Sha256(ByteView(buf, sizeof buf), h.data());
  return h;
}

Hash EmptyRoot() {
  Hash h;
  Sha256(ByteView{}, h.data());
  return h;
}

void MemoryTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Each completed pair at one level completes a node at the next.
  for (size_t l = 0; levels_[l].size() % 2 == 0; ++l) {
    if (levels_.size() == l + 1) levels_.emplace_back();
    const auto& row = levels_[l];
    levels_[l + 1].push_back(NodeHash(row[row.size() - 2], row[row.size() - 1]));
  }
}

Result<Hash> MemoryTree::Node(unsigned level, uint64_t index) const {
  if (level >= levels_.size() || index >= levels_[level].size()) {
    return Fail(Errc::kNotFound, "merkle: node (" + std::to_string(level) + ", " + std::to_string(index) +
                                     ") is not in a tree of " + std::to_string(size()) + " leaves");
  }
  return levels_[level][index];
}

Result<Hash> TreeRoot(const NodeSource& source, uint64_t size) {
  WQ_TRY(CheckSize(size, "tree size"));
  if (size == 0) return EmptyRoot();
  return RangeHash(source, 0, size);
}

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  MemoryTree t;
  for (const Hash& h : leaf_hashes) t.Append(h);
  auto r = TreeRoot(t, leaf_hashes.size());
  if (!r) std::abort();  // the tree holds every node it is asked for
  return *r;
}

Result<std::vector<Hash>> InclusionProof(const NodeSource& source, uint64_t index, uint64_t size) {
  WQ_TRY(CheckSize(size, "tree size"));
  if (index >= size) {
    return Fail(Errc::kInvalidArgument, "inclusion proof: index " + std::to_string(index) + " is not below size " +
                                            std::to_string(size));
  }
  std::vector<Hash> out;
  WQ_TRY(Path(source, index, 0, size, out));
  return out;
}

Result<std::vector<Hash>> ConsistencyProof(const NodeSource& source, uint64_t size1, uint64_t size2) {
  WQ_TRY(CheckSize(size2, "tree size"));
  if (size1 > size2) {
    return Fail(Errc::kInvalidArgument, "consistency proof: size1 " + std::to_string(size1) + " exceeds size2 " +
                                            std::to_string(size2));
  }
  std::vector<Hash> out;
  if (size1 == 0 || size1 == size2) return out;
  WQ_TRY(SubProof(source, size1, 0, size2, true, out));
  return out;
}

Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash, std::span<const Hash> proof,
                       const Hash& root) {
  WQ_TRY(CheckSize(size, "tree size"));
  WQ_TRY(CheckProofLength(proof.size()));
  if (index >= size) {
    return Fail(Errc::kInvalidArgument, "inclusion: index " + std::to_string(index) + " is not below size " +
                                            std::to_string(size));
  }
  // RFC 9162 §2.1.3.2.
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Fail(Errc::kBadSignature, "inclusion: proof is longer than the path to the root");
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail(Errc::kBadSignature, "inclusion: proof is shorter than the path to the root");
  if (!Equal(r, root)) return Fail(Errc::kBadSignature, "inclusion: the proof does not lead to the root");
  return Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof, const Hash& root1,
                         const Hash& root2) {
  WQ_TRY(CheckSize(size2, "tree size"));
  WQ_TRY(CheckProofLength(proof.size()));
  if (size1 > size2) {
    return Fail(Errc::kInvalidArgument, "consistency: size1 " + std::to_string(size1) + " exceeds size2 " +
                                            std::to_string(size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) return Fail(Errc::kBadSignature, "consistency: equal sizes need an empty proof");
    if (!Equal(root1, root2)) return Fail(Errc::kBadSignature, "consistency: equal sizes but different roots");
    return Ok();
  }
  if (size1 == 0) {
    if (!proof.empty()) return Fail(Errc::kBadSignature, "consistency: from the empty tree the proof is empty");
    return Ok();
  }
  if (proof.empty()) return Fail(Errc::kBadSignature, "consistency: empty proof");
  // RFC 9162 §2.1.4.2.
  size_t i = 0;
  Hash fr, sr;
  if (std::has_single_bit(size1)) {
    fr = sr = root1;  // the old root is itself the first node of the path
  } else {
    fr = sr = proof[0];
    i = 1;
  }
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  for (; i < proof.size(); ++i) {
    const Hash& c = proof[i];
    if (sn == 0) return Fail(Errc::kBadSignature, "consistency: proof is too long");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail(Errc::kBadSignature, "consistency: proof is too short");
  if (!Equal(fr, root1)) return Fail(Errc::kBadSignature, "consistency: the proof does not lead to the old root");
  if (!Equal(sr, root2)) return Fail(Errc::kBadSignature, "consistency: the proof does not lead to the new root");
  return Ok();
}

}  // namespace wathiq::log
