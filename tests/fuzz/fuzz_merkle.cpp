// RFC 9162 Merkle trees (passbook/proof/merkle.h). The first input byte picks a mode:
//   0  verify_inclusion with every argument from the input (sizes, index, path, hashes)
//   1  verify_consistency likewise
//   2  a tree of any size up to 2^64 - 1 whose leaves are all one hash except a few: the
//      library's root, inclusion and consistency proofs must equal the RFC's recursive
//      definitions (MTH, PATH, SUBPROOF) computed here independently, must verify, and must
//      stop verifying once any bit of a hash changes; the node reader checks that the library
//      reads only nodes inside the tree, never one twice, and no more than O(log n)
//   3  up to 200 leaves appended to a MerkleFrontier: every node it reports is the hash of its
//      children, its root is tree_root over the stored nodes and the RFC's MTH, load() rebuilds
//      it, and proofs at any size check as in mode 2
// Refusals must be InvalidArgument (bad sizes or lengths) or DataLoss (hashes that do not
// agree); Internal or a crash is a finding.
#include <bit>
#include <functional>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_util.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/merkle.h"

using namespace passbook;
using namespace passbook::proof;
using passbook::fuzz::Bytes;

namespace {

std::string str(uint64_t v) { return std::to_string(v); }

bool expected_refusal(const Status& s) {
  return s.code() == Status::Code::kInvalidArgument || s.code() == Status::Code::kDataLoss;
}

std::vector<Hash32> hashes_from(Bytes& in, size_t max) {
  std::vector<Hash32> out;
  while (in.left() >= 32 && out.size() < max) out.push_back(in.array<32>());
  return out;
}

void raw_inclusion(Bytes& in) {
  const uint64_t index = in.u64();
  const uint64_t size = in.u64();
  const Hash32 leaf = in.array<32>();
  const Hash32 root = in.array<32>();
  const std::vector<Hash32> path = hashes_from(in, 80);
  const Status s = verify_inclusion(leaf, index, size, path, root);
  if (index >= size || path.size() > kMaxInclusionProofHashes) {
    FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument, s.to_string());
  }
  FUZZ_CHECK(s.is_ok() || expected_refusal(s), s.to_string());
}

void raw_consistency(Bytes& in) {
  const uint64_t size1 = in.u64();
  const uint64_t size2 = in.u64();
  const Hash32 root1 = in.array<32>();
  const Hash32 root2 = in.array<32>();
  const std::vector<Hash32> proof = hashes_from(in, 80);
  const Status s = verify_consistency(size1, size2, proof, root1, root2);
  if (size1 == 0 || size1 > size2 || proof.size() > kMaxConsistencyProofHashes) {
    FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument, s.to_string());
  }
  if (size1 == size2 && size1 != 0 && proof.empty()) {
    FUZZ_CHECK(s.is_ok() == (root1 == root2), s.to_string());
  }
  FUZZ_CHECK(s.is_ok() || expected_refusal(s), s.to_string());
}

// A tree whose leaves are `base` except those in `special`. Computes, without the library, the
// RFC 9162 definitions, shortcutting runs of base leaves (their subtree hashes depend only on
// the level).
class Model {
 public:
  Model(Hash32 base, std::map<uint64_t, Hash32> special) : base_(base), special_(std::move(special)) {
    uniform_.push_back(base_);
    for (int level = 1; level < 64; ++level) uniform_.push_back(node_hash(uniform_.back(), uniform_.back()));
  }

  [[nodiscard]] Hash32 leaf(uint64_t i) const {
    auto it = special_.find(i);
    return it == special_.end() ? base_ : it->second;
  }

  // The complete aligned subtree (level, index): what a NodeReader returns.
  // (For a complete subtree the RFC's split is the middle, so this is its MTH.)
  [[nodiscard]] Hash32 node(uint8_t level, uint64_t index) const {
    return mth(index << level, uint64_t{1} << level);
  }

  // MTH(D[begin : begin + n]), RFC 9162 2.1.1, n >= 1. Remembered: PATH and SUBPROOF ask for
  // the same right-edge subtrees at every level.
  [[nodiscard]] Hash32 mth(uint64_t begin, uint64_t n) const {
    if (n == 1) return leaf(begin);
    if (std::has_single_bit(n) && plain(begin, n)) return uniform_[static_cast<size_t>(std::countr_zero(n))];
    if (auto it = mth_.find({begin, n}); it != mth_.end()) return it->second;
    const uint64_t k = std::bit_floor(n - 1);
    const Hash32 hash = node_hash(mth(begin, k), mth(begin + k, n - k));
    mth_.emplace(std::make_pair(begin, n), hash);
    return hash;
  }

  // PATH(m, D[begin : begin + n]), RFC 9162 2.1.3.1.
  [[nodiscard]] std::vector<Hash32> path(uint64_t m, uint64_t begin, uint64_t n) const {
    if (n == 1) return {};
    const uint64_t k = std::bit_floor(n - 1);
    std::vector<Hash32> out;
    if (m < k) {
      out = path(m, begin, k);
      out.push_back(mth(begin + k, n - k));
    } else {
      out = path(m - k, begin + k, n - k);
      out.push_back(mth(begin, k));
    }
    return out;
  }

  // SUBPROOF(m, D[begin : begin + n], b), RFC 9162 2.1.4.1.
  [[nodiscard]] std::vector<Hash32> subproof(uint64_t m, uint64_t begin, uint64_t n, bool b) const {
    if (m == n) {
      if (b) return {};
      return {mth(begin, n)};
    }
    const uint64_t k = std::bit_floor(n - 1);
    std::vector<Hash32> out;
    if (m <= k) {
      out = subproof(m, begin, k, b);
      out.push_back(mth(begin + k, n - k));
    } else {
      out = subproof(m - k, begin + k, n - k, false);
      out.push_back(mth(begin, k));
    }
    return out;
  }

 private:
  // No special leaf in [begin, begin + width).
  [[nodiscard]] bool plain(uint64_t begin, uint64_t width) const {
    auto it = special_.lower_bound(begin);
    return it == special_.end() || it->first - begin >= width;
  }

  Hash32 base_;
  std::map<uint64_t, Hash32> special_;
  std::vector<Hash32> uniform_;
  mutable std::map<std::pair<uint64_t, uint64_t>, Hash32> mth_;
};

// A NodeReader over `nodes` for the tree of `size` leaves that checks the library's side of the
// contract: only nodes inside the tree, none twice in one call, at most `max_reads`.
class CheckedReader {
 public:
  CheckedReader(std::function<Hash32(uint8_t, uint64_t)> nodes, uint64_t size, size_t max_reads)
      : nodes_(std::move(nodes)), size_(size), max_reads_(max_reads) {}

  NodeReader reader() {
    return [this](uint8_t level, uint64_t index) -> Result<Hash32> {
      FUZZ_CHECK(level < 64 && index < (size_ >> level),
                 "the library read node (" + str(level) + ", " + str(index) + ") outside a tree of " + str(size_));
      FUZZ_CHECK(seen_.insert({level, index}).second,
                 "the library read node (" + str(level) + ", " + str(index) + ") twice in one call");
      FUZZ_CHECK(seen_.size() <= max_reads_, "the library read more than " + str(max_reads_) + " nodes");
      return nodes_(level, index);
    };
  }

 private:
  std::function<Hash32(uint8_t, uint64_t)> nodes_;
  uint64_t size_;
  size_t max_reads_;
  std::set<std::pair<uint8_t, uint64_t>> seen_;
};

// One bit of one hash changed.
void flip(std::vector<Hash32>& hashes, Bytes& in) {
  const size_t which = in.u8() % hashes.size();
  const uint8_t bit = in.u8();
  hashes[which][bit % 32] = static_cast<uint8_t>(hashes[which][bit % 32] ^ (1u << (bit / 32 % 8)));
}
Hash32 flipped(Hash32 h) {
  h[0] ^= 0x80;
  return h;
}

// Everything the library computes about the tree of `size` leaves read through `nodes`, checked
// against `model`.
void check_tree(const Model& model, const std::function<Hash32(uint8_t, uint64_t)>& nodes, uint64_t size,
                Bytes& in) {
  if (size == 0) {
    CheckedReader none(nodes, 0, 0);
    FUZZ_CHECK(tree_root(0, none.reader()).value() == sha256(""), "the empty tree's root");
    FUZZ_CHECK(inclusion_proof(0, 0, none.reader()).status().code() == Status::Code::kInvalidArgument,
               "an inclusion proof in the empty tree");
    return;
  }
  CheckedReader root_reads(nodes, size, static_cast<size_t>(std::popcount(size)));
  const Hash32 root = tree_root(size, root_reads.reader()).value();
  FUZZ_CHECK(root == model.mth(0, size), "tree_root differs from the RFC's MTH for size " + str(size));

  // Inclusion.
  const uint64_t index = in.u64() % size;
  // At most one sibling lies on the tree's right edge (up to 63 reads); the others are complete.
  CheckedReader path_reads(nodes, size, 2 * 64 + 2);
  std::vector<Hash32> path = inclusion_proof(index, size, path_reads.reader()).value();
  FUZZ_CHECK(path == model.path(index, 0, size),
             "inclusion_proof differs from the RFC's PATH for entry " + str(index) + " of " + str(size));
  FUZZ_CHECK(path.size() <= kMaxInclusionProofHashes, "an inclusion proof over its maximum length");
  const Hash32 leaf = model.leaf(index);
  Status s = verify_inclusion(leaf, index, size, path, root);
  FUZZ_CHECK(s.is_ok(), "a correct inclusion proof does not verify: " + s.to_string());
  s = verify_inclusion(flipped(leaf), index, size, path, root);
  FUZZ_CHECK(s.code() == Status::Code::kDataLoss, "another leaf verifies: " + s.to_string());
  s = verify_inclusion(leaf, index, size, path, flipped(root));
  FUZZ_CHECK(s.code() == Status::Code::kDataLoss, "another root verifies: " + s.to_string());
  if (!path.empty()) {
    std::vector<Hash32> bad = path;
    flip(bad, in);
    s = verify_inclusion(leaf, index, size, bad, root);
    FUZZ_CHECK(s.code() == Status::Code::kDataLoss, "an altered inclusion proof verifies: " + s.to_string());
    bad = path;
    bad.pop_back();
    s = verify_inclusion(leaf, index, size, bad, root);
    FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument, "a short inclusion proof: " + s.to_string());
  }
  std::vector<Hash32> longer = path;
  longer.push_back(root);
  s = verify_inclusion(leaf, index, size, longer, root);
  FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument, "a long inclusion proof: " + s.to_string());

  // Consistency with an older tree.
  const uint64_t size1 = 1 + in.u64() % size;
  CheckedReader old_reads(nodes, size1, static_cast<size_t>(std::popcount(size1)));
  const Hash32 root1 = tree_root(size1, old_reads.reader()).value();
  CheckedReader proof_reads(nodes, size, 3 * 64);
  std::vector<Hash32> proof = consistency_proof(size1, size, proof_reads.reader()).value();
  FUZZ_CHECK(proof == model.subproof(size1, 0, size, true),
             "consistency_proof differs from the RFC's PROOF for " + str(size1) + " -> " + str(size));
  FUZZ_CHECK(proof.size() <= kMaxConsistencyProofHashes, "a consistency proof over its maximum length");
  s = verify_consistency(size1, size, proof, root1, root);
  FUZZ_CHECK(s.is_ok(), "a correct consistency proof does not verify: " + s.to_string());
  s = verify_consistency(size1, size, proof, flipped(root1), root);
  FUZZ_CHECK(s.code() == Status::Code::kDataLoss, "another old root is consistent: " + s.to_string());
  s = verify_consistency(size1, size, proof, root1, flipped(root));
  FUZZ_CHECK(s.code() == Status::Code::kDataLoss, "another new root is consistent: " + s.to_string());
  if (!proof.empty()) {
    std::vector<Hash32> bad = proof;
    flip(bad, in);
    s = verify_consistency(size1, size, bad, root1, root);
    FUZZ_CHECK(s.code() == Status::Code::kDataLoss, "an altered consistency proof verifies: " + s.to_string());
    bad = proof;
    bad.pop_back();
    s = verify_consistency(size1, size, bad, root1, root);
    FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument, "a short consistency proof: " + s.to_string());
  }
}

Hash32 leaf_from(uint8_t seed, uint64_t position) {
  std::string data(1, static_cast<char>(seed));
  data += std::to_string(position);
  return leaf_hash(data);
}

void sparse_tree(Bytes& in) {
  const uint64_t size = in.u64();
  std::map<uint64_t, Hash32> special;
  const int count = in.u8() % 5;
  for (int i = 0; i < count && size > 0; ++i) {
    const uint64_t at = in.u64() % size;
    special[at] = leaf_from(in.u8(), at);
  }
  const Model model(leaf_hash("base"), special);
  check_tree(model, [&model](uint8_t level, uint64_t index) { return model.node(level, index); }, size, in);
}

void frontier(Bytes& in) {
  const uint64_t n = in.u16() % 200 + 1;
  const uint8_t seed = in.u8();
  std::map<uint64_t, Hash32> leaves;
  std::map<std::pair<uint8_t, uint64_t>, Hash32> stored;
  MerkleFrontier tree;
  for (uint64_t i = 0; i < n; ++i) {
    const Hash32 leaf = leaf_from(seed, i);
    leaves[i] = leaf;
    std::vector<StoredNode> added;
    tree.append(leaf, added);
    FUZZ_CHECK(tree.size() == i + 1, "the frontier's size");
    FUZZ_CHECK(!added.empty() && added.front() == (StoredNode{0, i, leaf}), "the first new node is the leaf");
    for (const StoredNode& node : added) {
      if (node.level > 0) {
        const auto down = static_cast<uint8_t>(node.level - 1);
        const auto left = stored.find({down, 2 * node.index});
        const auto right = stored.find({down, 2 * node.index + 1});
        FUZZ_CHECK(left != stored.end() && right != stored.end() &&
                       node.hash == node_hash(left->second, right->second),
                   "node (" + str(node.level) + ", " + str(node.index) + ") is not the hash of its children");
      }
      FUZZ_CHECK(stored.emplace(std::make_pair(node.level, node.index), node.hash).second,
                 "node (" + str(node.level) + ", " + str(node.index) + ") reported twice");
    }
    // Every small size, then every 8th (each check costs a reader and its bookkeeping).
    if (i >= 16 && (i + 1) % 8 != 0 && i + 1 != n) continue;
    const auto read = [&stored](uint8_t level, uint64_t index) { return stored.at({level, index}); };
    CheckedReader reads(read, i + 1, static_cast<size_t>(std::popcount(i + 1)));
    FUZZ_CHECK(tree.root() == tree_root(i + 1, reads.reader()).value(),
               "the frontier's root differs from tree_root at size " + str(i + 1));
  }
  const Model model(leaf_hash("unused"), leaves);
  FUZZ_CHECK(tree.root() == model.mth(0, n), "the frontier's root differs from the RFC's MTH");
  const auto read = [&stored](uint8_t level, uint64_t index) { return stored.at({level, index}); };
  CheckedReader load_reads(read, n, static_cast<size_t>(std::popcount(n)));
  FUZZ_CHECK(MerkleFrontier::load(n, load_reads.reader()).value() == tree, "load() does not rebuild the frontier");
  const uint64_t size = 1 + in.u64() % n;
  check_tree(model, read, size, in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  switch (in.u8() % 4) {
    case 0: raw_inclusion(in); break;
    case 1: raw_consistency(in); break;
    case 2: sparse_tree(in); break;
    case 3: frontier(in); break;
  }
  return 0;
}
