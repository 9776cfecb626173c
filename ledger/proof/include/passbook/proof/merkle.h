// RFC 9162 section 2.1 Merkle trees over the ledger's entries: tree heads, inclusion and
// consistency proofs, their verification, and the incremental appender the commit path uses.
//
// Leaves are leaf hashes (leaf_hash() in crypto.h), never raw entries: the ledger already holds
// the leaf hash of every entry, because the hash chain uses the same value.
//
// Storage model. The ledger stores the hash of every complete, aligned subtree: node (level,
// index) covers leaves [index << level, (index + 1) << level), level 0 being the leaf hashes
// themselves. Any subtree the RFC needs that is not complete (it lies on the right edge of a tree
// whose size is not a power of two) is folded here from at most 64 complete ones. Every function
// below reads O(log n) nodes and never reads the same node twice in one call.
//
// All functions are pure apart from calling the reader; they are thread safe if the reader is.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "passbook/schemas/status.h"
#include "passbook/schemas/types.h"

namespace passbook::proof {

// Returns the hash of the complete subtree (level, index). Called only for nodes that lie
// entirely inside the tree the caller asked about; an error it returns is passed back unchanged.
using NodeReader = std::function<Result<Hash32>(uint8_t level, uint64_t index)>;

// A tree of n leaves is never deeper than 64 levels, so no inclusion proof is longer than this.
// A consistency proof may carry one hash more (the old tree's own right edge).
inline constexpr size_t kMaxInclusionProofHashes = 64;
inline constexpr size_t kMaxConsistencyProofHashes = 65;

// MTH(D[0:size]). The empty tree's hash is SHA-256 of the empty string. Reads popcount(size)
// nodes.
Result<Hash32> tree_root(uint64_t size, const NodeReader& read);

// PATH(index, D[0:size]) of RFC 9162 2.1.3.1, in RFC order: the leaf's sibling first, the
// root's child last. InvalidArgument when index >= size.
Result<std::vector<Hash32>> inclusion_proof(uint64_t index, uint64_t size, const NodeReader& read);

// PROOF(size1, D[0:size2]) of RFC 9162 2.1.4.1, in RFC order (deepest node first). Empty when
// size1 == size2. InvalidArgument when size1 > size2, and when size1 == 0: the RFC defines
// consistency proofs only for 0 < m, and transparency-dev/merkle (proof.Consistency and
// proof.VerifyConsistency) refuses m == 0 on both sides. Any tree extends the empty tree, so a
// client whose last checkpoint was empty has nothing to prove and needs no proof.
Result<std::vector<Hash32>> consistency_proof(uint64_t size1, uint64_t size2,
                                              const NodeReader& read);

// RFC 9162 2.1.3.2: ok when `path` proves that `leaf` (a leaf hash) is entry `index` of the tree
// of `size` leaves whose root is `root`.
//   InvalidArgument  index >= size, or the path does not have the length the position needs
//                    (checked before any hashing, so a huge hostile path costs nothing)
//   DataLoss         the path does not lead from the leaf to the root
[[nodiscard]] Status verify_inclusion(const Hash32& leaf, uint64_t index, uint64_t size,
                                      std::span<const Hash32> path, const Hash32& root);

// RFC 9162 2.1.4.2: ok when `proof` shows that the tree of size2 with root2 extends the tree of
// size1 with root1. For size1 == size2 the proof must be empty and the roots equal.
//   InvalidArgument  size1 == 0, size1 > size2, or the proof does not have the length the sizes
//                    need (checked before any hashing)
//   DataLoss         the proof does not reproduce root1 or root2: the two trees disagree
[[nodiscard]] Status verify_consistency(uint64_t size1, uint64_t size2,
                                        std::span<const Hash32> proof, const Hash32& root1,
                                        const Hash32& root2);

// A complete subtree that an append has just finished, to be written to storage.
struct StoredNode {
  uint8_t level = 0;
  uint64_t index = 0;
  Hash32 hash{};

  friend bool operator==(const StoredNode&, const StoredNode&) = default;
};

// The right edge of the tree: one complete subtree hash per set bit of size(), largest first.
// That is all an append-only tree needs to grow and to name its root, so the commit path keeps
// one of these in memory instead of reading the tree. A value type; not synchronised.
class MerkleFrontier {
 public:
  // The empty tree.
  MerkleFrontier() = default;

  // Rebuilds the frontier of the tree of `size` leaves from stored nodes: popcount(size) reads.
  static Result<MerkleFrontier> load(uint64_t size, const NodeReader& read);

  [[nodiscard]] uint64_t size() const { return size_; }
  // MTH(D[0:size()]); costs popcount(size()) - 1 hashes.
  [[nodiscard]] Hash32 root() const;

  // Adds `leaf` (a leaf hash) as entry size() and appends to `new_nodes` (without clearing it,
  // so that one group commit can collect many appends) every complete subtree this append
  // finishes: the leaf itself at level 0, then each parent it completes, lowest first.
  void append(const Hash32& leaf, std::vector<StoredNode>& new_nodes);

  friend bool operator==(const MerkleFrontier&, const MerkleFrontier&) = default;

 private:
  uint64_t size_ = 0;
  std::vector<Hash32> hashes_;  // largest (leftmost) subtree first
};

}  // namespace passbook::proof
