// Wathiq log: RFC 9162 Merkle tree hashing, inclusion and consistency proofs (generation and verification).
//
// Guarantees:
//  - Hashing is RFC 9162 §2.1.1: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), the
//    split at the largest power of two below n; the root of the empty tree is SHA-256("").
//  - Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) step by step, and the
//    edge cases of transparency-dev/merkle (size1 == size2 needs an empty proof and equal roots; size1 == 0
//    is consistent with anything given an empty proof).
//  - Bounded: proofs longer than 64 hashes, tree sizes of 2^63 or more and index >= size are refused
//    before any hashing.
//  - Generation reads only complete subtrees through NodeSource, so a tile-backed store (tiles.h) serves
//    proofs from the published hash tiles; a proof costs O(log^2 n) node reads at most.
// Thread-safety: free functions are reentrant; MemoryTree is not safe for concurrent Append.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "wathiq/core/result.h"

namespace wathiq::log {

using Hash = std::array<uint8_t, 32>;

inline constexpr size_t kMaxProofHashes = 64;
inline constexpr uint64_t kTreeSizeLimit = uint64_t{1} << 63;  // sizes must be below this

Hash LeafHash(ByteView entry);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyRoot();

// A source of complete-subtree hashes: Node(level, index) is the root of the perfect subtree over leaves
// [index << level, (index + 1) << level). Callers only ask for nodes that lie entirely inside the tree
// size they are working on.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual Result<Hash> Node(unsigned level, uint64_t index) const = 0;
};

// Every complete subtree hash of an append-only tree, in memory (about 64 bytes per leaf).
class MemoryTree final : public NodeSource {
 public:
  void Append(const Hash& leaf_hash);
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  Result<Hash> Node(unsigned level, uint64_t index) const override;

 private:
  std::vector<std::vector<Hash>> levels_;
};

// The root of the first `size` leaves of `source`.
Result<Hash> TreeRoot(const NodeSource& source, uint64_t size);
// The root over leaf hashes, for tests and small trees.
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// RFC 9162 §2.1.3.1 PATH(index, D[size]), leaf side first.
Result<std::vector<Hash>> InclusionProof(const NodeSource& source, uint64_t index, uint64_t size);
// RFC 9162 §2.1.4.1 PROOF(size1, D[size2]); empty when size1 == size2 or size1 == 0.
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& source, uint64_t size1, uint64_t size2);

// kInvalidArgument for out-of-range arguments, kLimit for an oversized proof or tree, kBadSignature (the
// vocabulary's "does not verify") when the proof does not lead to the root(s).
Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash, std::span<const Hash> proof,
                       const Hash& root);
Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof, const Hash& root1,
                         const Hash& root2);

}  // namespace wathiq::log
