// Micro benchmarks (Google Benchmark) of the pieces on the commit and verify paths: encoding,
// hashing, Ed25519 with OpenSSL and libsodium, prepare, commit of whole groups through the engine,
// Merkle proofs. Run: passbook-micro [--benchmark_filter=REGEX] [--benchmark_min_time=0.2]
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <unistd.h>

#include <filesystem>
#include <random>
#include <unordered_map>

#include "../load/workload.h"
#include "passbook/ledger/ledger.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"

namespace {

using namespace passbook;
using namespace passbook::bench;

proof::SigningKey key_or_die() {
  auto k = proof::SigningKey::generate();
  if (!k.is_ok()) std::abort();
  return std::move(k).value();
}

// A street with fresh keys and no ledger behind it, for encoding and signing.
Street make_street() {
  Street s{StreetNames{"micro"}, {}, 480, key_or_die(), key_or_die()};
  for (size_t i = 0; i < s.ledger.size(); ++i) s.ledger[i] = static_cast<uint8_t>(i);
  return s;
}

WorkloadOptions workload(uint32_t ops, double redeem_share = 0.0) {
  WorkloadOptions w;
  w.ops_per_envelope = ops;
  w.redeem_share = redeem_share;
  w.sign_threads = 1;
  return w;
}

BenchEnvelope one_envelope(uint32_t ops) {
  static Street street = make_street();
  return std::move(workload_envelopes(street, workload(ops), 0, 1).front());
}

// ---- encoding ---------------------------------------------------------------------------------

void BM_EncodeEnvelope(benchmark::State& state) {
  const BenchEnvelope e = one_envelope(static_cast<uint32_t>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = schemas::try_encode(e.envelope).value();
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_EncodeEnvelope)->Arg(1)->Arg(100);

void BM_DecodeEnvelope(benchmark::State& state) {
  const BenchEnvelope e = one_envelope(static_cast<uint32_t>(state.range(0)));
  for (auto _ : state) {
    auto decoded = schemas::decode<schemas::Envelope>(e.signed_envelope.envelope, "envelope");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeEnvelope)->Arg(1)->Arg(100);

schemas::Entry entry_of(const BenchEnvelope& e) {
  schemas::Entry entry;
  entry.seq = 123456789;
  entry.commit_ms = 1'700'000'000'000;
  entry.signed_envelope = e.signed_envelope;
  return entry;
}

void BM_EncodeEntry(benchmark::State& state) {
  const schemas::Entry entry = entry_of(one_envelope(static_cast<uint32_t>(state.range(0))));
  for (auto _ : state) {
    std::string out = schemas::try_encode(entry).value();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeEntry)->Arg(1)->Arg(100);

void BM_DecodeEntry(benchmark::State& state) {
  const std::string bytes = schemas::try_encode(entry_of(one_envelope(static_cast<uint32_t>(state.range(0))))).value();
  for (auto _ : state) {
    auto decoded = schemas::decode<schemas::Entry>(bytes, "entry");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeEntry)->Arg(1)->Arg(100);

// ---- hashing ----------------------------------------------------------------------------------

void BM_LeafHash(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(proof::leaf_hash(data));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LeafHash)->Arg(300)->Arg(8 * 1024);

void BM_NodeHash(benchmark::State& state) {
  Hash32 a{}, b{};
  b[0] = 1;
  for (auto _ : state) {
    a = proof::node_hash(a, b);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NodeHash);

// ---- Ed25519 ----------------------------------------------------------------------------------

struct Ed25519Fixture {
  unsigned char seed[32] = {7};
  unsigned char pk[32];
  unsigned char sk[64];
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY* pub = nullptr;
  Ed25519Fixture() {
    if (sodium_init() < 0) std::abort();
    crypto_sign_seed_keypair(pk, sk, seed);
    pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, 32);
    pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk, 32);
  }
  ~Ed25519Fixture() {
    EVP_PKEY_free(pkey);
    EVP_PKEY_free(pub);
  }
};

Ed25519Fixture& ed() {
  static Ed25519Fixture f;
  return f;
}

void BM_Ed25519Sign_OpenSSL(benchmark::State& state) {
  const std::string msg(static_cast<size_t>(state.range(0)), 'm');
  unsigned char sig[64];
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = sizeof sig;
    EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, ed().pkey);
    EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    EVP_MD_CTX_free(ctx);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign_OpenSSL)->Arg(250)->Arg(8 * 1024);

void BM_Ed25519Verify_OpenSSL(benchmark::State& state) {
  const std::string msg(static_cast<size_t>(state.range(0)), 'm');
  unsigned char sig[64];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), ed().sk);
  int ok = 0;
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, ed().pub);
    ok = EVP_DigestVerify(ctx, sig, sizeof sig, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    EVP_MD_CTX_free(ctx);
    benchmark::DoNotOptimize(ok);
  }
  if (ok != 1) state.SkipWithError("OpenSSL did not verify");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify_OpenSSL)->Arg(250)->Arg(8 * 1024);

void BM_Ed25519Sign_Sodium(benchmark::State& state) {
  const std::string msg(static_cast<size_t>(state.range(0)), 'm');
  unsigned char sig[64];
  for (auto _ : state) {
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), ed().sk);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign_Sodium)->Arg(250)->Arg(8 * 1024);

void BM_Ed25519Verify_Sodium(benchmark::State& state) {
  const std::string msg(static_cast<size_t>(state.range(0)), 'm');
  unsigned char sig[64];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), ed().sk);
  int rc = 0;
  for (auto _ : state) {
    rc = crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), ed().pk);
    benchmark::DoNotOptimize(rc);
  }
  if (rc != 0) state.SkipWithError("libsodium did not verify");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify_Sodium)->Arg(250)->Arg(8 * 1024);

// What the project calls: SigningKey::sign (OpenSSL) and proof::ed25519_verify (libsodium).
void BM_Ed25519Verify_Project(benchmark::State& state) {
  const BenchEnvelope e = one_envelope(1);
  bool ok = false;
  for (auto _ : state) {
    ok = proof::ed25519_verify(e.envelope.signer, e.signed_envelope.envelope, e.signed_envelope.signature);
    benchmark::DoNotOptimize(ok);
  }
  if (!ok) state.SkipWithError("did not verify");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify_Project);

void BM_SignCheckpoint(benchmark::State& state) {
  static const proof::SigningKey key = key_or_die();
  const proof::Checkpoint cp{"bench.example/passbook", 10'000'000, Hash32{}, {}};
  for (auto _ : state) {
    std::string note = proof::sign_note(proof::format_checkpoint(cp), cp.origin, key);
    benchmark::DoNotOptimize(note);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignCheckpoint);

// ---- prepare (decode + signature check), as the server's worker pool does ---------------------

void BM_Prepare(benchmark::State& state) {
  const BenchEnvelope e = one_envelope(static_cast<uint32_t>(state.range(0)));
  for (auto _ : state) {
    ledger::Prepared p = ledger::Ledger::prepare(e.signed_envelope);
    if (!p.status.is_ok()) state.SkipWithError("prepare failed");
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Prepare)->Arg(1)->Arg(100);

// ---- commit through the engine ----------------------------------------------------------------

// A fresh ledger with the benchmark street in `dir`; removed by the destructor.
struct TempLedger {
  std::filesystem::path dir;
  std::unique_ptr<ledger::Ledger> ledger;
  Street street = make_street();

  TempLedger(const std::filesystem::path& parent, uint32_t volunteers) {
    dir = parent / ("passbook-micro-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "keys");
    proof::SigningKey admin = key_or_die();
    proof::SigningKey ledger_key = key_or_die();
    if (!ledger_key.save(dir / "keys" / "ledger.key").is_ok()) std::abort();
    schemas::Genesis genesis;
    genesis.origin = "bench.example/micro";
    genesis.admin_key = admin.public_key();
    genesis.admin_name = "micro";
    genesis.ledger_key = ledger_key.public_key();
    genesis.time_window_s = 3600;
    auto g = sign(street.ledger, admin, {genesis}, now_ms());
    ledger::Options options;
    options.data_dir = dir;
    auto created = ledger::Ledger::create(options, std::move(g.value().signed_envelope));
    if (!created.is_ok()) std::abort();
    ledger = std::move(created).value();
    WorkloadOptions w;
    w.volunteers = volunteers;
    auto setup = setup_envelopes(street, admin, w);
    if (!setup.is_ok()) std::abort();
    std::vector<BenchEnvelope> envelopes = std::move(setup).value();
    for (auto& e : envelopes) {
      if (!ledger->submit(std::move(e.signed_envelope)).status.is_ok()) std::abort();
    }
  }
  ~TempLedger() {
    ledger.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

// One group commit per iteration: args (operations per envelope, envelopes per group, on tmpfs).
// The envelopes are signed and prepared (decoded, signatures checked) before the timed loop.
void BM_Commit(benchmark::State& state) {
  const auto ops = static_cast<uint32_t>(state.range(0));
  const auto group = static_cast<size_t>(state.range(1));
  const bool tmpfs = state.range(2) != 0;
  TempLedger t(tmpfs ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path(), 10'000);
  WorkloadOptions w = workload(ops, 0.2);
  w.volunteers = 10'000;
  w.sign_threads = 2;
  const uint64_t iterations = static_cast<uint64_t>(state.max_iterations);
  auto envelopes = workload_envelopes(t.street, w, 0, iterations * group);
  std::vector<std::vector<ledger::Prepared>> groups(iterations);
  for (uint64_t i = 0; i < iterations * group; ++i) {
    groups[i / group].push_back(ledger::Ledger::prepare(std::move(envelopes[i].signed_envelope)));
  }
  envelopes.clear();
  size_t g = 0;
  for (auto _ : state) {
    auto outcomes = t.ledger->commit(std::move(groups[g++]));
    for (const auto& o : outcomes) {
      if (!o.status.is_ok()) {
        state.SkipWithError(o.status.message().c_str());
        break;
      }
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(ops * group));
  state.counters["envelopes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(group),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Commit)
    ->ArgNames({"ops", "group", "tmpfs"})
    ->Args({100, 1, 0})
    ->Args({100, 20, 0})
    ->Args({100, 20, 1})
    ->Args({1, 2048, 0})
    ->Args({1, 2048, 1})
    ->Iterations(60)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// ---- Merkle proofs ----------------------------------------------------------------------------

// A real tree of 2^20 leaves held in memory (every complete subtree), as the ledger stores it.
struct MemoryTree {
  uint64_t size = 0;
  std::unordered_map<uint64_t, Hash32> nodes;  // key: level << 56 | index
  Hash32 root{};
  explicit MemoryTree(uint64_t n) {
    proof::MerkleFrontier frontier;
    std::vector<proof::StoredNode> fresh;
    nodes.reserve(2 * n);
    for (uint64_t i = 0; i < n; ++i) {
      Hash32 leaf{};
      for (size_t b = 0; b < 8; ++b) leaf[b] = static_cast<uint8_t>(i >> (8 * b));
      fresh.clear();
      frontier.append(proof::leaf_hash(std::string_view(reinterpret_cast<const char*>(leaf.data()), leaf.size())),
                      fresh);
      for (const auto& node : fresh) nodes.emplace(uint64_t{node.level} << 56 | node.index, node.hash);
    }
    size = n;
    root = frontier.root();
  }
  [[nodiscard]] proof::NodeReader reader() const {
    return [this](uint8_t level, uint64_t index) -> Result<Hash32> {
      auto it = nodes.find(uint64_t{level} << 56 | index);
      if (it == nodes.end()) return not_found("node");
      return it->second;
    };
  }
};

MemoryTree& tree() {
  static MemoryTree t((1u << 20) + 12345);
  return t;
}

void BM_FrontierAppend(benchmark::State& state) {
  proof::MerkleFrontier frontier;
  std::vector<proof::StoredNode> fresh;
  Hash32 leaf{};
  for (auto _ : state) {
    fresh.clear();
    leaf[0]++;
    frontier.append(leaf, fresh);
    benchmark::DoNotOptimize(fresh);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrontierAppend);

void BM_InclusionProof_Memory(benchmark::State& state) {
  const MemoryTree& t = tree();
  const auto reader = t.reader();
  // NOLINTNEXTLINE(cert-msc51-cpp): a fixed seed, so that every run measures the same positions
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto path = proof::inclusion_proof(rng() % t.size, t.size, reader);
    benchmark::DoNotOptimize(path);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProof_Memory);

void BM_VerifyInclusion(benchmark::State& state) {
  const MemoryTree& t = tree();
  const auto reader = t.reader();
  const uint64_t index = t.size / 3;
  const auto path = proof::inclusion_proof(index, t.size, reader).value();
  const Hash32 leaf = t.nodes.at(index);
  for (auto _ : state) {
    Status s = proof::verify_inclusion(leaf, index, t.size, path, t.root);
    if (!s.is_ok()) state.SkipWithError("proof does not verify");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["path"] = static_cast<double>(path.size());
}
BENCHMARK(BM_VerifyInclusion);

void BM_ConsistencyProof_Memory(benchmark::State& state) {
  const MemoryTree& t = tree();
  const auto reader = t.reader();
  // NOLINTNEXTLINE(cert-msc51-cpp): a fixed seed, so that every run measures the same positions
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    auto p = proof::consistency_proof(1 + rng() % (t.size - 1), t.size, reader);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProof_Memory);

// Through the engine on RocksDB: a ledger of 100k entries (single-operation envelopes).
void BM_InclusionProof_Ledger(benchmark::State& state) {
  // Destroyed (and its directory removed) at exit.
  static std::unique_ptr<TempLedger> t = [] {
    auto l = std::make_unique<TempLedger>(std::filesystem::temp_directory_path(), 1000);
    WorkloadOptions w = workload(1, 0.2);
    w.volunteers = 1000;
    w.sign_threads = 2;
    auto envelopes = workload_envelopes(l->street, w, 0, 100'000);
    for (size_t first = 0; first < envelopes.size(); first += 2048) {
      std::vector<ledger::Prepared> group;
      for (size_t i = first; i < std::min(envelopes.size(), first + 2048); ++i) {
        ledger::Prepared p;
        p.signed_envelope = std::move(envelopes[i].signed_envelope);
        p.envelope = std::move(envelopes[i].envelope);
        group.push_back(std::move(p));
      }
      l->ledger->commit(std::move(group));
    }
    return l;
  }();
  const uint64_t size = t->ledger->info().size;
  // NOLINTNEXTLINE(cert-msc51-cpp): a fixed seed, so that every run measures the same positions
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    auto path = t->ledger->inclusion_proof(rng() % size, size);
    if (!path.is_ok()) state.SkipWithError("no proof");
    benchmark::DoNotOptimize(path);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["size"] = static_cast<double>(size);
}
BENCHMARK(BM_InclusionProof_Ledger)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
