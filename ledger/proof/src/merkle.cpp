#include "passbook/proof/merkle.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>

#include "passbook/proof/crypto.h"

namespace passbook::proof {
namespace {

std::string str(uint64_t value) {
  return std::to_string(value);
}

// RFC 9162 splits a tree of n > 1 leaves at k, the largest power of two smaller than n.
uint64_t split_point(uint64_t n) {
  assert(n >= 2);
  return std::bit_floor(n - 1);
}

// Reads, left to right, the complete aligned subtrees that make up [begin, end). The RFC
// recursion only ever asks for ranges whose begin is a multiple of the smallest power of two
// >= end - begin, and such a range splits by the binary digits of its length, largest first.
Status read_complete_subtrees(uint64_t begin, uint64_t end, const NodeReader& read,
                              std::vector<Hash32>& out) {
  assert(begin <= end);
  const uint64_t length = end - begin;
  uint64_t at = begin;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((length & width) == 0) continue;
    assert(at % width == 0);
    PASSBOOK_ASSIGN_OR_RETURN(Hash32 hash, read(static_cast<uint8_t>(level), at >> level));
    out.push_back(hash);
    at += width;
  }
  return Status::ok();
}

// MTH of the run of adjacent subtrees, left to right. The RFC's incomplete subtree on the right
// edge nests to the right, so the fold runs from the last subtree back to the first.
Hash32 fold_right_edge(std::span<const Hash32> subtrees) {
  assert(!subtrees.empty());
  Hash32 hash = subtrees.back();
  for (size_t i = subtrees.size() - 1; i-- > 0;) hash = node_hash(subtrees[i], hash);
  return hash;
}

// MTH(D[begin:end]) for a non-empty range the RFC recursion produces; popcount(end - begin)
// reads.
Result<Hash32> range_hash(uint64_t begin, uint64_t end, const NodeReader& read) {
  assert(begin < end);
  std::vector<Hash32> subtrees;
  subtrees.reserve(static_cast<size_t>(std::popcount(end - begin)));
  PASSBOOK_RETURN_IF_ERROR(read_complete_subtrees(begin, end, read, subtrees));
  return fold_right_edge(subtrees);
}

// Walks PATH(index, D[0:size]) from the root down and calls visit(begin, end) for the subtree
// whose MTH the path lists at each level, root side first. Each step at least halves the
// subtree, so the walk takes at most 64 steps whatever the arguments.
template <class Visit>
Status walk_inclusion(uint64_t index, uint64_t size, Visit&& visit) {
  assert(index < size);
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    const uint64_t mid = begin + split_point(end - begin);
    if (index < mid) {
      PASSBOOK_RETURN_IF_ERROR(visit(mid, end));
      end = mid;
    } else {
      PASSBOOK_RETURN_IF_ERROR(visit(begin, mid));
      begin = mid;
    }
  }
  return Status::ok();
}

// Walks SUBPROOF(size1, D[0:size2], true) from the root down, calling visit(begin, end) for each
// MTH it lists, root side first (the RFC lists them deepest first). 0 < size1 <= size2.
template <class Visit>
Status walk_consistency(uint64_t size1, uint64_t size2, Visit&& visit) {
  assert(0 < size1 && size1 <= size2);
  uint64_t begin = 0;
  uint64_t end = size2;
  // The RFC's b: D[0:size1] is still a complete subtree whose hash the verifier holds, so the
  // proof need not repeat it. It stays true only while the walk keeps to the left edge.
  bool old_tree_is_subtree = true;
  while (size1 != end) {
    const uint64_t mid = begin + split_point(end - begin);
    if (size1 <= mid) {
      PASSBOOK_RETURN_IF_ERROR(visit(mid, end));
      end = mid;
    } else {
      PASSBOOK_RETURN_IF_ERROR(visit(begin, mid));
      begin = mid;
      old_tree_is_subtree = false;
    }
  }
  if (!old_tree_is_subtree) PASSBOOK_RETURN_IF_ERROR(visit(begin, end));
  return Status::ok();
}

size_t inclusion_proof_length(uint64_t index, uint64_t size) {
  size_t count = 0;
  const Status counted = walk_inclusion(index, size, [&](uint64_t, uint64_t) {
    ++count;
    return Status::ok();
  });
  assert(counted.is_ok() && count <= kMaxInclusionProofHashes);
  (void)counted;
  return count;
}

size_t consistency_proof_length(uint64_t size1, uint64_t size2) {
  size_t count = 0;
  const Status counted = walk_consistency(size1, size2, [&](uint64_t, uint64_t) {
    ++count;
    return Status::ok();
  });
  assert(counted.is_ok() && count <= kMaxConsistencyProofHashes);
  (void)counted;
  return count;
}

// Collects the MTH of each subtree a walk visits, then puts them in RFC order (deepest first).
class ProofBuilder {
 public:
  explicit ProofBuilder(const NodeReader& read) : read_(read) {}

  Status operator()(uint64_t begin, uint64_t end) {
    PASSBOOK_ASSIGN_OR_RETURN(Hash32 hash, range_hash(begin, end, read_));
    hashes_.push_back(hash);
    return Status::ok();
  }

  std::vector<Hash32> take() && {
    std::reverse(hashes_.begin(), hashes_.end());
    return std::move(hashes_);
  }

 private:
  const NodeReader& read_;
  std::vector<Hash32> hashes_;
};

// If the LSB of fn is not set, shifts fn and sn right until it is or fn is 0 (RFC 9162 2.1.3.2
// step 4.b.ii and 2.1.4.2 step 6.b.iii). At most 64 shifts.
void skip_left_edge_levels(uint64_t& fn, uint64_t& sn) {
  while (fn != 0 && (fn & 1) == 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Result<Hash32> tree_root(uint64_t size, const NodeReader& read) {
  if (size == 0) return sha256("");
  return range_hash(0, size, read);
}

Result<std::vector<Hash32>> inclusion_proof(uint64_t index, uint64_t size, const NodeReader& read) {
  if (index >= size) {
    return invalid_argument("entry " + str(index) + " is not in a tree of " + str(size) +
                            " entries");
  }
  ProofBuilder builder(read);
  PASSBOOK_RETURN_IF_ERROR(walk_inclusion(index, size, builder));
  return std::move(builder).take();
}

Result<std::vector<Hash32>> consistency_proof(uint64_t size1, uint64_t size2,
                                              const NodeReader& read) {
  if (size1 > size2) {
    return invalid_argument("cannot prove that a tree of " + str(size2) +
                            " entries extends a larger one of " + str(size1));
  }
  if (size1 == 0) {
    return invalid_argument(
        "a consistency proof needs an old tree of at least one entry; every tree extends the "
        "empty one");
  }
  ProofBuilder builder(read);
  PASSBOOK_RETURN_IF_ERROR(walk_consistency(size1, size2, builder));
  return std::move(builder).take();
}

Status verify_inclusion(const Hash32& leaf, uint64_t index, uint64_t size,
                        std::span<const Hash32> path, const Hash32& root) {
  // RFC 9162 2.1.3.2 step 1.
  if (index >= size) {
    return invalid_argument("entry " + str(index) + " cannot be in a tree of " + str(size) +
                            " entries");
  }
  // The RFC loop would also catch a wrong length, but only after hashing; checking first bounds
  // the work by the tree, not by what the peer sent.
  const size_t needed = inclusion_proof_length(index, size);
  if (path.size() != needed) {
    return invalid_argument("the inclusion proof has " + str(path.size()) + " hashes, but entry " +
                            str(index) + " of a tree of " + str(size) + " entries needs " +
                            str(needed));
  }
  // Steps 2 to 5.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash32 r = leaf;
  for (const Hash32& p : path) {
    if (sn == 0) return internal_error("the inclusion proof is longer than its checked length");
    if ((fn & 1) == 1 || fn == sn) {
      r = node_hash(p, r);
      skip_left_edge_levels(fn, sn);
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return internal_error("the inclusion proof is shorter than its checked length");
  if (r != root) {
    return data_loss("the inclusion proof for entry " + str(index) +
                     " does not lead to the root of the tree of " + str(size) + " entries");
  }
  return Status::ok();
}

Status verify_consistency(uint64_t size1, uint64_t size2, std::span<const Hash32> proof,
                          const Hash32& root1, const Hash32& root2) {
  if (size1 > size2) {
    return invalid_argument("a tree of " + str(size2) + " entries cannot extend a larger one of " +
                            str(size1));
  }
  if (size1 == 0) {
    return invalid_argument(
        "a consistency proof needs an old tree of at least one entry; every tree extends the "
        "empty one");
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return invalid_argument("two trees of the same size need an empty consistency proof, but " +
                              str(proof.size()) + " hashes were given");
    }
    if (root1 != root2) {
      return data_loss("two trees of " + str(size1) + " entries have different roots");
    }
    return Status::ok();
  }
  const size_t needed = consistency_proof_length(size1, size2);
  if (proof.size() != needed) {
    return invalid_argument("the consistency proof has " + str(proof.size()) +
                            " hashes, but a tree of " + str(size1) + " entries grown to " +
                            str(size2) + " needs " + str(needed));
  }
  // RFC 9162 2.1.4.2. Step 1 (an empty proof fails) holds: needed >= 1 whenever size1 < size2.
  // Step 2: when the old tree is a complete subtree its root is the proof's first hash.
  const bool prepend_root1 = std::has_single_bit(size1);
  const size_t count = proof.size() + (prepend_root1 ? 1 : 0);
  auto at = [&](size_t i) -> const Hash32& {
    if (prepend_root1) return i == 0 ? root1 : proof[i - 1];
    return proof[i];
  };
  // Steps 3 and 4.
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  // Steps 5 and 6.
  Hash32 fr = at(0);
  Hash32 sr = at(0);
  for (size_t i = 1; i < count; ++i) {
    const Hash32& c = at(i);
    if (sn == 0) return internal_error("the consistency proof is longer than its checked length");
    if ((fn & 1) == 1 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      skip_left_edge_levels(fn, sn);
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  if (sn != 0) return internal_error("the consistency proof is shorter than its checked length");
  if (fr != root1) {
    return data_loss("the consistency proof from " + str(size1) + " to " + str(size2) +
                     " entries does not reproduce the old tree's root");
  }
  if (sr != root2) {
    return data_loss("the consistency proof from " + str(size1) + " to " + str(size2) +
                     " entries does not reproduce the new tree's root");
  }
  return Status::ok();
}

Result<MerkleFrontier> MerkleFrontier::load(uint64_t size, const NodeReader& read) {
  MerkleFrontier frontier;
  frontier.size_ = size;
  frontier.hashes_.reserve(static_cast<size_t>(std::popcount(size)));
  PASSBOOK_RETURN_IF_ERROR(read_complete_subtrees(0, size, read, frontier.hashes_));
  return frontier;
}

Hash32 MerkleFrontier::root() const {
  if (size_ == 0) return sha256("");
  return fold_right_edge(hashes_);
}

void MerkleFrontier::append(const Hash32& leaf, std::vector<StoredNode>& new_nodes) {
  // 2^64 - 1 entries is the most a uint64 size can count.
  assert(size_ != UINT64_MAX);
  assert(hashes_.size() == static_cast<size_t>(std::popcount(size_)));
  new_nodes.push_back({0, size_, leaf});
  Hash32 hash = leaf;
  uint8_t level = 0;
  uint64_t index = size_;
  // Each set bit of the old size, from the lowest up, is a complete subtree of that level waiting
  // on the left for a right sibling; the run stops at the lowest clear bit, which exists (and is
  // at most bit 63) because size_ < 2^64 - 1.
  while (((size_ >> level) & 1) != 0) {
    hash = node_hash(hashes_.back(), hash);
    hashes_.pop_back();
    ++level;
    index >>= 1;
    new_nodes.push_back({level, index, hash});
  }
  hashes_.push_back(hash);
  ++size_;
}

}  // namespace passbook::proof
