#include <boost/test/unit_test.hpp>

#include <bit>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "passbook/proof/crypto.h"
#include "passbook/proof/merkle.h"
#include "passbook/schemas/encoding.h"

using namespace passbook;
using namespace passbook::proof;

namespace {

using Code = Status::Code;
using NodeId = std::pair<uint8_t, uint64_t>;  // (level, index)

Hash32 h(std::string_view hex) {
  const auto value = array_from_hex<32>(hex);
  BOOST_REQUIRE_MESSAGE(value, "not a 32-byte hex value: " << hex);
  return *value;
}

std::string hex(const Hash32& hash) {
  return to_hex(hash);
}

// A proof as one string, so that a mismatch prints readably.
std::string hex(const std::vector<Hash32>& hashes) {
  std::string out;
  for (const Hash32& hash : hashes) out += to_hex(hash) + " ";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reference implementation, written straight from the recursive definitions of RFC 9162: MTH in
// 2.1.1, PATH in 2.1.3.1, PROOF and SUBPROOF in 2.1.4.1. Slow and obviously right; the library's
// iterative, storage-reading versions must agree with it. Inputs are leaf hashes.

size_t largest_power_of_two_below(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash32 ref_mth(std::span<const Hash32> d) {
  if (d.empty()) return sha256("");
  if (d.size() == 1) return d[0];
  const size_t k = largest_power_of_two_below(d.size());
  return node_hash(ref_mth(d.first(k)), ref_mth(d.subspan(k)));
}

std::vector<Hash32> ref_path(size_t m, std::span<const Hash32> d) {
  if (d.size() == 1) return {};
  const size_t k = largest_power_of_two_below(d.size());
  std::vector<Hash32> path;
  if (m < k) {
    path = ref_path(m, d.first(k));
    path.push_back(ref_mth(d.subspan(k)));
  } else {
    path = ref_path(m - k, d.subspan(k));
    path.push_back(ref_mth(d.first(k)));
  }
  return path;
}

std::vector<Hash32> ref_subproof(size_t m, std::span<const Hash32> d, bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {ref_mth(d)};
  }
  const size_t k = largest_power_of_two_below(d.size());
  std::vector<Hash32> proof;
  if (m <= k) {
    proof = ref_subproof(m, d.first(k), b);
    proof.push_back(ref_mth(d.subspan(k)));
  } else {
    proof = ref_subproof(m - k, d.subspan(k), false);
    proof.push_back(ref_mth(d.first(k)));
  }
  return proof;
}

std::vector<Hash32> ref_proof(size_t m, std::span<const Hash32> d) {
  return ref_subproof(m, d, true);
}

// ---------------------------------------------------------------------------------------------
// Storage stand-ins.

// Every complete subtree of `leaves`, as the ledger stores them.
std::map<NodeId, Hash32> complete_subtrees(std::span<const Hash32> leaves) {
  std::map<NodeId, Hash32> nodes;
  for (uint8_t level = 0; (size_t{1} << level) <= leaves.size(); ++level) {
    const size_t width = size_t{1} << level;
    for (size_t index = 0; (index + 1) * width <= leaves.size(); ++index) {
      nodes[{level, index}] = ref_mth(leaves.subspan(index * width, width));
    }
  }
  return nodes;
}

// Serves stored nodes of the tree of `size` leaves, refuses any node outside that tree (a proof
// for size n must never look at entries >= n) and records every read.
struct StoredTree {
  const std::map<NodeId, Hash32>* nodes;
  uint64_t size;
  std::vector<NodeId>* reads = nullptr;

  Result<Hash32> operator()(uint8_t level, uint64_t index) const {
    if (reads != nullptr) reads->emplace_back(level, index);
    if (level >= 64 || index >= (size >> level)) {
      return not_found("node (" + std::to_string(level) + ", " + std::to_string(index) +
                       ") is outside the tree of " + std::to_string(size));
    }
    const auto found = nodes->find({level, index});
    if (found == nodes->end()) return not_found("node not stored");
    return found->second;
  }
};

std::vector<Hash32> numbered_leaves(size_t count) {
  std::vector<Hash32> leaves;
  for (size_t i = 0; i < count; ++i) leaves.push_back(leaf_hash("entry " + std::to_string(i)));
  return leaves;
}

// ---------------------------------------------------------------------------------------------
// Published test data: the 8-leaf tree used throughout transparency-dev/merkle, from
// https://github.com/transparency-dev/merkle/blob/417fb0c314750d94e53942e9f92e79b6d35915db/testonly/constants.go
// (LeafInputs, NodeHashes, RootHashes), the same values the RFC 6962 test suites of Certificate
// Transparency use.

const std::vector<std::string> kLeafInputsHex = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

// NodeHashes()[level][index].
const std::vector<std::vector<std::string>> kNodeHashes = {
    {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    },
    {
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    },
    {
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    },
    {
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    },
};

// RootHashes()[size] for size 0..8.
const std::vector<std::string> kRootHashes = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct PublishedProof {
  uint64_t a;  // inclusion: 1-based leaf number (as published); consistency: size1
  uint64_t b;  // tree size; consistency: size2
  std::vector<std::string> hashes;
};

// inclusionProofs and consistencyProofs from
// https://github.com/transparency-dev/merkle/blob/417fb0c314750d94e53942e9f92e79b6d35915db/cmd/proofgen/main.go
const std::vector<PublishedProof> kInclusionProofs = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {3, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {2,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

const std::vector<PublishedProof> kConsistencyProofs = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

// The published complete-subtree hashes, served as the ledger's storage would serve them: the
// library must reach the published roots and proofs from these alone.
std::map<NodeId, Hash32> published_nodes() {
  std::map<NodeId, Hash32> nodes;
  for (size_t level = 0; level < kNodeHashes.size(); ++level) {
    for (size_t index = 0; index < kNodeHashes[level].size(); ++index) {
      nodes[{static_cast<uint8_t>(level), index}] = h(kNodeHashes[level][index]);
    }
  }
  return nodes;
}

std::vector<Hash32> hashes_of(const std::vector<std::string>& hexes) {
  std::vector<Hash32> out;
  for (const std::string& value : hexes) out.push_back(h(value));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The probe files under tests/data/proof/: one probe per line, converted from the JSON files of
// transparency-dev/merkle testdata/ (see the header of each file).

struct Probe {
  std::string name;
  bool want_ok = false;
  uint64_t a = 0;                   // leaf index, or size1
  uint64_t b = 0;                   // tree size, or size2
  std::vector<std::string> values;  // raw bytes: leaf hash and root, or root1 and root2; then proof
};

std::vector<Probe> load_probes(const std::string& file) {
  std::ifstream in(std::string(PASSBOOK_TEST_DATA_DIR) + "/proof/" + file);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << file);
  std::vector<Probe> probes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Probe probe;
    std::string want;
    fields >> probe.name >> want >> probe.a >> probe.b;
    BOOST_REQUIRE_MESSAGE(fields && (want == "ok" || want == "err"), "bad probe line: " << line);
    probe.want_ok = want == "ok";
    for (std::string value; fields >> value;) {
      const auto raw = value == "-" ? std::optional<std::string>("") : from_hex(value);
      BOOST_REQUIRE_MESSAGE(raw, "bad hex in probe " << probe.name);
      probe.values.push_back(*raw);
    }
    BOOST_REQUIRE_MESSAGE(probe.values.size() >= 2, "probe " << probe.name << " lacks its roots");
    probes.push_back(std::move(probe));
  }
  return probes;
}

// The probes' values as hashes. A value that is not 32 bytes cannot be a SHA-256 hash: where
// bytes enter this library (a wire or storage decoder) it is refused before any verify_* call,
// because Hash32 cannot hold it. The Go verifier the probes were written for takes byte slices
// and refuses such values itself, except in one probe ("sizes are equal (one) and proof is
// empty", where two equal 12-byte strings stand for equal roots). For that case only, values are
// replaced by their SHA-256, which keeps equal values equal and different values different.
struct DecodedProbe {
  bool decodable = true;
  std::vector<Hash32> values;
};

DecodedProbe decode(const Probe& probe) {
  DecodedProbe out;
  for (const std::string& value : probe.values) {
    if (value.size() == 32) {
      Hash32 hash{};
      std::copy(value.begin(), value.end(), hash.begin());
      out.values.push_back(hash);
    } else {
      out.decodable = false;
      out.values.push_back(sha256(value));
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(merkle_test)

BOOST_AUTO_TEST_CASE(leaf_hashes_match_the_rfc6962_vectors) {
  // transparency-dev/merkle rfc6962/rfc6962_test.go, TestRFC6962Hasher.
  BOOST_TEST(hex(leaf_hash("")) ==
             "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  BOOST_TEST(hex(leaf_hash("L123456")) ==
             "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
  for (size_t i = 0; i < kLeafInputsHex.size(); ++i) {
    BOOST_TEST(hex(leaf_hash(*from_hex(kLeafInputsHex[i]))) == kNodeHashes[0][i]);
  }
}

BOOST_AUTO_TEST_CASE(standard_tree_roots_match_at_every_size) {
  const auto nodes = published_nodes();
  for (uint64_t size = 0; size <= 8; ++size) {
    BOOST_TEST_CONTEXT("size " << size) {
      const auto root = tree_root(size, StoredTree{&nodes, size});
      BOOST_REQUIRE(root.is_ok());
      BOOST_TEST(hex(*root) == kRootHashes[size]);
    }
  }
}

BOOST_AUTO_TEST_CASE(frontier_of_standard_tree_matches_published_nodes_and_roots) {
  const auto nodes = published_nodes();
  MerkleFrontier frontier;
  BOOST_TEST(hex(frontier.root()) == kRootHashes[0]);
  std::vector<StoredNode> written;
  for (size_t i = 0; i < kLeafInputsHex.size(); ++i) {
    frontier.append(leaf_hash(*from_hex(kLeafInputsHex[i])), written);
    BOOST_TEST(frontier.size() == i + 1);
    BOOST_TEST(hex(frontier.root()) == kRootHashes[i + 1]);
  }
  // Every complete subtree of the 8-leaf tree is written exactly once, with its published hash.
  BOOST_TEST(written.size() == nodes.size());
  for (const StoredNode& node : written) {
    BOOST_TEST_CONTEXT("node (" << int{node.level} << ", " << node.index << ")") {
      const auto found = nodes.find({node.level, node.index});
      BOOST_REQUIRE(found != nodes.end());
      BOOST_TEST(hex(node.hash) == hex(found->second));
    }
  }
}

BOOST_AUTO_TEST_CASE(inclusion_proofs_match_the_published_ones) {
  const auto nodes = published_nodes();
  for (const PublishedProof& published : kInclusionProofs) {
    const uint64_t index = published.a - 1;
    const uint64_t size = published.b;
    BOOST_TEST_CONTEXT("leaf " << index << " of " << size) {
      const auto proof = inclusion_proof(index, size, StoredTree{&nodes, size});
      BOOST_REQUIRE(proof.is_ok());
      BOOST_TEST(hex(*proof) == hex(hashes_of(published.hashes)));
      BOOST_TEST(
          verify_inclusion(h(kNodeHashes[0][index]), index, size, *proof, h(kRootHashes[size]))
              .is_ok());
    }
  }
}

BOOST_AUTO_TEST_CASE(consistency_proofs_match_the_published_ones) {
  const auto nodes = published_nodes();
  for (const PublishedProof& published : kConsistencyProofs) {
    BOOST_TEST_CONTEXT("from " << published.a << " to " << published.b) {
      const auto proof =
          consistency_proof(published.a, published.b, StoredTree{&nodes, published.b});
      BOOST_REQUIRE(proof.is_ok());
      BOOST_TEST(hex(*proof) == hex(hashes_of(published.hashes)));
      BOOST_TEST(verify_consistency(published.a, published.b, *proof, h(kRootHashes[published.a]),
                                    h(kRootHashes[published.b]))
                     .is_ok());
    }
  }
}

BOOST_AUTO_TEST_CASE(transparency_dev_inclusion_probes_give_the_published_verdicts) {
  const auto probes = load_probes("tdev_inclusion_probes.txt");
  BOOST_TEST(probes.size() == 98u);
  size_t verified = 0;
  for (const Probe& probe : probes) {
    BOOST_TEST_CONTEXT("inclusion probe " << probe.name) {
      const DecodedProbe decoded = decode(probe);
      if (!decoded.decodable && !probe.want_ok) continue;  // refused by the decoder, as wanted
      const std::span<const Hash32> path = std::span(decoded.values).subspan(2);
      const Status status =
          verify_inclusion(decoded.values[0], probe.a, probe.b, path, decoded.values[1]);
      BOOST_TEST(status.is_ok() == probe.want_ok, status.to_string());
      ++verified;
    }
  }
  // The probes that reach verify_inclusion (all but those with non-hash-sized values).
  BOOST_TEST(verified == 72u);
}

BOOST_AUTO_TEST_CASE(transparency_dev_consistency_probes_give_the_published_verdicts) {
  const auto probes = load_probes("tdev_consistency_probes.txt");
  BOOST_TEST(probes.size() == 98u);
  size_t verified = 0;
  for (const Probe& probe : probes) {
    BOOST_TEST_CONTEXT("consistency probe " << probe.name) {
      const DecodedProbe decoded = decode(probe);
      if (!decoded.decodable && !probe.want_ok) continue;  // refused by the decoder, as wanted
      const std::span<const Hash32> proof = std::span(decoded.values).subspan(2);
      const Status status =
          verify_consistency(probe.a, probe.b, proof, decoded.values[0], decoded.values[1]);
      BOOST_TEST(status.is_ok() == probe.want_ok, status.to_string());
      ++verified;
    }
  }
  BOOST_TEST(verified == 72u);
}

BOOST_AUTO_TEST_CASE(damaged_inclusion_proofs_are_refused_with_the_right_code) {
  const auto nodes = published_nodes();
  for (uint64_t size = 1; size <= 8; ++size) {
    const Hash32 root = h(kRootHashes[size]);
    for (uint64_t index = 0; index < size; ++index) {
      BOOST_TEST_CONTEXT("leaf " << index << " of " << size) {
        const Hash32 leaf = h(kNodeHashes[0][index]);
        const auto proof = inclusion_proof(index, size, StoredTree{&nodes, size});
        BOOST_REQUIRE(proof.is_ok());
        const std::vector<Hash32>& path = *proof;
        BOOST_TEST(verify_inclusion(leaf, index, size, path, root).is_ok());

        // Another leaf, another root.
        const Hash32 other_leaf = h(kNodeHashes[0][(index + 1) % 8]);
        BOOST_TEST(
            (verify_inclusion(other_leaf, index, size, path, root).code() == Code::kDataLoss));
        BOOST_TEST(
            (verify_inclusion(leaf, index, size, path, sha256("")).code() == Code::kDataLoss));
        // A wrong index or size either changes the needed length or leads elsewhere. (Sizes
        // one apart can share a proof shape: the root does not commit to the size, the signed
        // checkpoint does.)
        for (const auto& [i, n] : std::vector<std::pair<uint64_t, uint64_t>>{{index + 1, size},
                                                                             {index - 1, size},
                                                                             {index ^ 2, size},
                                                                             {index, size * 2},
                                                                             {index, size / 2}}) {
          const Status status = verify_inclusion(leaf, i, n, path, root);
          BOOST_TEST(!status.is_ok(), "index " << i << " size " << n);
        }
        // Every single flipped bit of every hash.
        for (size_t element = 0; element < path.size(); ++element) {
          for (size_t bit = 0; bit < 256; ++bit) {
            std::vector<Hash32> flipped = path;
            flipped[element][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            BOOST_TEST(
                (verify_inclusion(leaf, index, size, flipped, root).code() == Code::kDataLoss));
          }
        }
        // Truncated, extended at either end, an element swapped for the root.
        if (!path.empty()) {
          const std::vector<Hash32> truncated(path.begin(), path.end() - 1);
          BOOST_TEST((verify_inclusion(leaf, index, size, truncated, root).code() ==
                      Code::kInvalidArgument));
          std::vector<Hash32> replaced = path;
          replaced.back() = root;
          BOOST_TEST(
              (verify_inclusion(leaf, index, size, replaced, root).code() == Code::kDataLoss));
        }
        std::vector<Hash32> extended = path;
        extended.push_back(root);
        BOOST_TEST(
            (verify_inclusion(leaf, index, size, extended, root).code() == Code::kInvalidArgument));
        std::vector<Hash32> prepended = path;
        prepended.insert(prepended.begin(), Hash32{});
        BOOST_TEST((verify_inclusion(leaf, index, size, prepended, root).code() ==
                    Code::kInvalidArgument));
      }
    }
  }
  BOOST_TEST((verify_inclusion(Hash32{}, 0, 0, {}, sha256("")).code() == Code::kInvalidArgument));
  BOOST_TEST((verify_inclusion(Hash32{}, 8, 8, {}, Hash32{}).code() == Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(damaged_consistency_proofs_are_refused_with_the_right_code) {
  const auto nodes = published_nodes();
  for (uint64_t size2 = 1; size2 <= 8; ++size2) {
    const Hash32 root2 = h(kRootHashes[size2]);
    for (uint64_t size1 = 1; size1 <= size2; ++size1) {
      BOOST_TEST_CONTEXT("from " << size1 << " to " << size2) {
        const Hash32 root1 = h(kRootHashes[size1]);
        const auto proof = consistency_proof(size1, size2, StoredTree{&nodes, size2});
        BOOST_REQUIRE(proof.is_ok());
        const std::vector<Hash32>& p = *proof;
        BOOST_TEST(verify_consistency(size1, size2, p, root1, root2).is_ok());
        BOOST_TEST(p.empty() == (size1 == size2));

        // Swapped or wrong roots.
        if (size1 != size2) {
          BOOST_TEST((verify_consistency(size1, size2, p, root2, root1).code() == Code::kDataLoss));
        }
        BOOST_TEST(
            (verify_consistency(size1, size2, p, sha256("x"), root2).code() == Code::kDataLoss));
        BOOST_TEST(
            (verify_consistency(size1, size2, p, root1, sha256("x")).code() == Code::kDataLoss));
        // Wrong sizes.
        for (const auto& [m, n] : std::vector<std::pair<uint64_t, uint64_t>>{{size1 + 1, size2},
                                                                             {size1 - 1, size2},
                                                                             {size1 ^ 2, size2},
                                                                             {size1, size2 * 2},
                                                                             {size1, size2 / 2}}) {
          const Status status = verify_consistency(m, n, p, root1, root2);
          BOOST_TEST(!status.is_ok(), "sizes " << m << " and " << n);
        }
        // Every single flipped bit.
        for (size_t element = 0; element < p.size(); ++element) {
          for (size_t bit = 0; bit < 256; ++bit) {
            std::vector<Hash32> flipped = p;
            flipped[element][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            BOOST_TEST((verify_consistency(size1, size2, flipped, root1, root2).code() ==
                        Code::kDataLoss));
          }
        }
        // Truncated or extended.
        if (!p.empty()) {
          const std::vector<Hash32> truncated(p.begin(), p.end() - 1);
          BOOST_TEST((verify_consistency(size1, size2, truncated, root1, root2).code() ==
                      Code::kInvalidArgument));
        }
        std::vector<Hash32> extended = p;
        extended.push_back(root2);
        BOOST_TEST((verify_consistency(size1, size2, extended, root1, root2).code() ==
                    Code::kInvalidArgument));
        std::vector<Hash32> prepended = p;
        prepended.insert(prepended.begin(), root1);
        BOOST_TEST((verify_consistency(size1, size2, prepended, root1, root2).code() ==
                    Code::kInvalidArgument));
      }
    }
  }
  const Hash32 empty = sha256("");
  // RFC 9162 and transparency-dev/merkle: no consistency proofs from the empty tree, not even to
  // itself.
  BOOST_TEST((verify_consistency(0, 0, {}, empty, empty).code() == Code::kInvalidArgument));
  BOOST_TEST(
      (verify_consistency(0, 3, {}, empty, h(kRootHashes[3])).code() == Code::kInvalidArgument));
  BOOST_TEST((verify_consistency(4, 3, {}, h(kRootHashes[4]), h(kRootHashes[3])).code() ==
              Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(hostile_proof_lengths_are_refused_before_any_hashing) {
  // A million hashes: refused by the length check, whose cost does not depend on the proof.
  const std::vector<Hash32> huge(1'000'000);
  BOOST_TEST(
      (verify_inclusion(Hash32{}, 5, 1'000'000, huge, Hash32{}).code() == Code::kInvalidArgument));
  BOOST_TEST((verify_consistency(5, 1'000'000, huge, Hash32{}, Hash32{}).code() ==
              Code::kInvalidArgument));
  BOOST_TEST((verify_consistency(7, 7, huge, Hash32{}, Hash32{}).code() == Code::kInvalidArgument));
  const std::vector<Hash32> just_over(kMaxInclusionProofHashes + 1);
  BOOST_TEST((verify_inclusion(Hash32{}, 0, UINT64_MAX, just_over, Hash32{}).code() ==
              Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(inclusion_proofs_equal_the_rfc_reference_for_every_size_to_70) {
  const std::vector<Hash32> leaves = numbered_leaves(70);
  const auto nodes = complete_subtrees(leaves);
  for (uint64_t size = 1; size <= 70; ++size) {
    const std::span<const Hash32> tree = std::span(leaves).first(size);
    const Hash32 root = ref_mth(tree);
    const auto computed_root = tree_root(size, StoredTree{&nodes, size});
    BOOST_REQUIRE(computed_root.is_ok());
    BOOST_TEST(hex(*computed_root) == hex(root));
    for (uint64_t index = 0; index < size; ++index) {
      BOOST_TEST_CONTEXT("leaf " << index << " of " << size) {
        const auto proof = inclusion_proof(index, size, StoredTree{&nodes, size});
        BOOST_REQUIRE(proof.is_ok());
        BOOST_TEST(hex(*proof) == hex(ref_path(index, tree)));
        BOOST_TEST(verify_inclusion(leaves[index], index, size, *proof, root).is_ok());
        // The same proof does not place a neighbouring leaf at this index.
        const Hash32& other = leaves[(index + 1) % size];
        if (size > 1) BOOST_TEST(!verify_inclusion(other, index, size, *proof, root).is_ok());
      }
    }
  }
  const auto outside = inclusion_proof(5, 5, StoredTree{&nodes, 5});
  BOOST_TEST((outside.status().code() == Code::kInvalidArgument));
  BOOST_TEST(
      (inclusion_proof(0, 0, StoredTree{&nodes, 0}).status().code() == Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(consistency_proofs_equal_the_rfc_reference_for_every_size_to_70) {
  const std::vector<Hash32> leaves = numbered_leaves(70);
  const auto nodes = complete_subtrees(leaves);
  std::vector<Hash32> roots(71);
  for (size_t size = 1; size <= 70; ++size) roots[size] = ref_mth(std::span(leaves).first(size));
  for (uint64_t size2 = 1; size2 <= 70; ++size2) {
    const std::span<const Hash32> tree = std::span(leaves).first(size2);
    for (uint64_t size1 = 1; size1 <= size2; ++size1) {
      BOOST_TEST_CONTEXT("from " << size1 << " to " << size2) {
        const auto proof = consistency_proof(size1, size2, StoredTree{&nodes, size2});
        BOOST_REQUIRE(proof.is_ok());
        BOOST_TEST(hex(*proof) == hex(ref_proof(size1, tree)));
        BOOST_TEST(verify_consistency(size1, size2, *proof, roots[size1], roots[size2]).is_ok());
        // An old root from another size does not pass.
        const size_t other = size1 == 1 ? 2 : size1 - 1;
        if (other <= size2 && size1 != size2) {
          BOOST_TEST(!verify_consistency(size1, size2, *proof, roots[other], roots[size2]).is_ok());
        }
      }
    }
  }
  BOOST_TEST(
      (consistency_proof(0, 5, StoredTree{&nodes, 5}).status().code() == Code::kInvalidArgument));
  BOOST_TEST(
      (consistency_proof(0, 0, StoredTree{&nodes, 0}).status().code() == Code::kInvalidArgument));
  BOOST_TEST(
      (consistency_proof(6, 5, StoredTree{&nodes, 5}).status().code() == Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(frontier_equals_the_reference_and_reloads_for_every_size_to_300) {
  const std::vector<Hash32> leaves = numbered_leaves(300);
  const auto nodes = complete_subtrees(leaves);
  MerkleFrontier frontier;
  std::map<NodeId, Hash32> written;
  for (uint64_t size = 0; size <= 300; ++size) {
    BOOST_TEST_CONTEXT("size " << size) {
      BOOST_TEST(frontier.size() == size);
      BOOST_TEST(hex(frontier.root()) == hex(ref_mth(std::span(leaves).first(size))));
      // Rebuilding from storage gives the same frontier, from popcount(size) reads.
      std::vector<NodeId> reads;
      const auto loaded = MerkleFrontier::load(size, StoredTree{&nodes, size, &reads});
      BOOST_REQUIRE(loaded.is_ok());
      BOOST_TEST((*loaded == frontier));
      BOOST_TEST(reads.size() == static_cast<size_t>(std::popcount(size)));
      if (size == 300) break;

      std::vector<StoredNode> new_nodes;
      frontier.append(leaves[size], new_nodes);
      BOOST_REQUIRE(!new_nodes.empty());
      BOOST_TEST((new_nodes.front() == StoredNode{0, size, leaves[size]}));
      // Exactly the subtrees this leaf completes: one per trailing one bit of the old size.
      BOOST_TEST(new_nodes.size() == 1 + static_cast<size_t>(std::countr_one(size)));
      for (const StoredNode& node : new_nodes) {
        const auto expected = nodes.find({node.level, node.index});
        BOOST_REQUIRE(expected != nodes.end());
        BOOST_TEST(hex(node.hash) == hex(expected->second));
        BOOST_TEST(written.emplace(NodeId{node.level, node.index}, node.hash).second,
                   "node written twice");
      }
    }
  }
  // All complete subtrees of the 300-leaf tree were written, and nothing else.
  BOOST_TEST(written.size() == nodes.size());

  // A frontier loaded mid-way grows exactly like the one that was never reloaded.
  std::vector<StoredNode> from_memory;
  std::vector<StoredNode> from_loaded;
  MerkleFrontier original;
  for (size_t i = 0; i < 191; ++i) original.append(leaves[i], from_memory);
  auto reloaded = MerkleFrontier::load(191, StoredTree{&nodes, 191});
  BOOST_REQUIRE(reloaded.is_ok());
  from_memory.clear();
  for (size_t i = 191; i < 300; ++i) {
    original.append(leaves[i], from_memory);
    reloaded->append(leaves[i], from_loaded);
    BOOST_TEST(hex(original.root()) == hex(reloaded->root()));
  }
  BOOST_TEST((from_memory == from_loaded));
}

BOOST_AUTO_TEST_CASE(proofs_read_logarithmically_many_distinct_nodes) {
  // Synthetic storage: any node inside the tree has a made-up hash. Only the reads count.
  struct CountingReader {
    uint64_t size;
    std::vector<NodeId>* reads;
    Result<Hash32> operator()(uint8_t level, uint64_t index) const {
      reads->emplace_back(level, index);
      if (level >= 64 || index >= (size >> level)) return internal_error("read outside the tree");
      std::string id;
      id.push_back(static_cast<char>(level));
      put_u64_be(id, index);
      return sha256(id);
    }
  };
  const auto distinct = [](const std::vector<NodeId>& reads) {
    return std::set<NodeId>(reads.begin(), reads.end()).size() == reads.size();
  };

  for (const uint64_t n : {uint64_t{1'000'000}, uint64_t{1} << 40, UINT64_MAX}) {
    BOOST_TEST_CONTEXT("tree of " << n) {
      // Bounds: a path has one sibling per level, and at most one sibling is an incomplete
      // right-edge subtree, which costs one read per level below it.
      const size_t bound = 2 * static_cast<size_t>(std::bit_width(n));
      std::vector<NodeId> reads;
      BOOST_REQUIRE(tree_root(n, CountingReader{n, &reads}).is_ok());
      BOOST_TEST(reads.size() == static_cast<size_t>(std::popcount(n)));

      reads.clear();
      BOOST_REQUIRE(MerkleFrontier::load(n, CountingReader{n, &reads}).is_ok());
      BOOST_TEST(reads.size() == static_cast<size_t>(std::popcount(n)));

      for (const uint64_t index : {uint64_t{0}, uint64_t{1}, n / 3, n / 2, n - 2, n - 1}) {
        reads.clear();
        const auto proof = inclusion_proof(index, n, CountingReader{n, &reads});
        BOOST_REQUIRE(proof.is_ok());
        BOOST_TEST(proof->size() <= kMaxInclusionProofHashes);
        BOOST_TEST(reads.size() <= bound, "leaf " << index << ": " << reads.size() << " reads");
        BOOST_TEST(distinct(reads));
      }
      for (const uint64_t m : {uint64_t{1}, uint64_t{2}, n / 3, n / 2 + 1, n - 1, n}) {
        reads.clear();
        const auto proof = consistency_proof(m, n, CountingReader{n, &reads});
        BOOST_REQUIRE(proof.is_ok());
        BOOST_TEST(proof->size() <= kMaxConsistencyProofHashes);
        BOOST_TEST(reads.size() <= bound, "from " << m << ": " << reads.size() << " reads");
        BOOST_TEST(distinct(reads));
      }
    }
  }

  // The longest consistency proof a 64-bit tree can need: 65 hashes. Its length is accepted, and
  // with made-up hashes it then fails on the roots, not on the length.
  std::vector<NodeId> reads;
  const uint64_t m = (uint64_t{1} << 63) + 1;
  const auto longest = consistency_proof(m, UINT64_MAX, CountingReader{UINT64_MAX, &reads});
  BOOST_REQUIRE(longest.is_ok());
  BOOST_TEST(longest->size() == kMaxConsistencyProofHashes);
  BOOST_TEST(
      (verify_consistency(m, UINT64_MAX, *longest, Hash32{}, Hash32{}).code() == Code::kDataLoss));
}

BOOST_AUTO_TEST_CASE(storage_errors_are_passed_back_unchanged) {
  const NodeReader broken = [](uint8_t, uint64_t) -> Result<Hash32> {
    return unavailable("the disk is gone");
  };
  const Status expected = unavailable("the disk is gone");
  BOOST_TEST((tree_root(5, broken).status() == expected));
  BOOST_TEST((inclusion_proof(2, 5, broken).status() == expected));
  BOOST_TEST((consistency_proof(2, 5, broken).status() == expected));
  BOOST_TEST((MerkleFrontier::load(5, broken).status() == expected));
  // Nothing to read: the empty tree, a one-leaf tree's path, a proof between equal sizes.
  BOOST_TEST(hex(*tree_root(0, broken)) == kRootHashes[0]);
  BOOST_TEST(inclusion_proof(0, 1, broken)->empty());
  BOOST_TEST(consistency_proof(5, 5, broken)->empty());
  BOOST_TEST(MerkleFrontier::load(0, broken)->size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
