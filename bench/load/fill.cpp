#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <random>

#include "modes.h"
#include "passbook/ledger/ledger.h"
#include "passbook/proof/merkle.h"
#include "stats.h"

namespace passbook::bench {
namespace {

double since_s(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double pct_ms(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<size_t>(std::llround(p * static_cast<double>(v.size() - 1))))];
}

Status commit_all(ledger::Ledger& ledger, std::vector<BenchEnvelope>& envelopes, size_t group_size) {
  for (size_t first = 0; first < envelopes.size(); first += group_size) {
    std::vector<ledger::Prepared> group;
    const size_t end = std::min(envelopes.size(), first + group_size);
    for (size_t i = first; i < end; ++i) {
      ledger::Prepared p;
      p.signed_envelope = std::move(envelopes[i].signed_envelope);
      p.envelope = std::move(envelopes[i].envelope);
      group.push_back(std::move(p));
    }
    for (auto& outcome : ledger.commit(std::move(group))) {
      if (!outcome.status.is_ok()) return outcome.status.with_context("fill");
    }
  }
  return Status::ok();
}

}  // namespace

namespace {

struct Created {
  std::unique_ptr<ledger::Ledger> ledger;
  proof::SigningKey admin;
  LedgerId id{};
};

Result<Created> create_ledger(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (std::filesystem::exists(data_dir / "db", ec)) {
    return already_exists("a ledger already exists in " + data_dir.string());
  }
  const auto keys = data_dir / "keys";
  std::filesystem::create_directories(keys, ec);
  if (ec) return unavailable("cannot create " + keys.string());
  ::chmod(data_dir.c_str(), 0700);
  ::chmod(keys.c_str(), 0700);
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey admin, proof::SigningKey::generate());
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey ledger_key, proof::SigningKey::generate());
  PASSBOOK_RETURN_IF_ERROR(admin.save(keys / "admin.key"));
  PASSBOOK_RETURN_IF_ERROR(ledger_key.save(keys / "ledger.key"));

  LedgerId id{};
  PASSBOOK_RETURN_IF_ERROR(proof::random_bytes(id));
  schemas::Genesis genesis;
  genesis.origin = "bench.example/passbook";
  genesis.admin_key = admin.public_key();
  genesis.admin_name = "benchmark street office";
  genesis.ledger_key = ledger_key.public_key();
  genesis.utc_offset_minutes = 480;
  genesis.time_window_s = 3600;
  PASSBOOK_ASSIGN_OR_RETURN(BenchEnvelope genesis_envelope, sign(id, admin, {genesis}, now_ms()));
  ledger::Options options;
  options.data_dir = data_dir;
  PASSBOOK_ASSIGN_OR_RETURN(auto ledger, ledger::Ledger::create(options, std::move(genesis_envelope.signed_envelope)));
  return Created{std::move(ledger), std::move(admin), id};
}

}  // namespace

Status run_init(const std::filesystem::path& data_dir) {
  PASSBOOK_ASSIGN_OR_RETURN(Created created, create_ledger(data_dir));
  return created.ledger->close();
}

Status run_fill(const FillOptions& fill, const WorkloadOptions& workload) {
  PASSBOOK_ASSIGN_OR_RETURN(Created created, create_ledger(fill.data_dir));
  auto& ledger = created.ledger;
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey branch, proof::SigningKey::generate());
  PASSBOOK_ASSIGN_OR_RETURN(proof::SigningKey merchant, proof::SigningKey::generate());
  Street street{StreetNames{"fill"}, created.id, 480, std::move(branch), std::move(merchant)};
  PASSBOOK_ASSIGN_OR_RETURN(auto setup, setup_envelopes(street, created.admin, workload));
  PASSBOOK_RETURN_IF_ERROR(commit_all(*ledger, setup, 1));

  const auto t0 = std::chrono::steady_clock::now();
  auto next = std::async(std::launch::async, [&] {
    return workload_envelopes(street, workload, 0, std::min<uint64_t>(fill.chunk, fill.entries));
  });
  uint64_t done = 0;
  uint64_t reported = 0;
  while (done < fill.entries) {
    std::vector<BenchEnvelope> chunk = next.get();
    const uint64_t after = done + chunk.size();
    if (after < fill.entries) {
      next = std::async(std::launch::async, [&, after] {
        return workload_envelopes(street, workload, after, std::min<uint64_t>(fill.chunk, fill.entries - after));
      });
    }
    PASSBOOK_RETURN_IF_ERROR(commit_all(*ledger, chunk, fill.group));
    done = after;
    if (done - reported >= 1'000'000 || done == fill.entries) {
      reported = done;
      std::printf("fill: %llu entries in %.0f s (%.0f entries/s), RSS %.0f MiB\n", static_cast<unsigned long long>(done),
                  since_s(t0), static_cast<double>(done) / since_s(t0),
                  static_cast<double>(process_rss_kib(0)) / 1024);
      std::fflush(stdout);
    }
  }
  const auto info = ledger->info();
  PASSBOOK_RETURN_IF_ERROR(ledger->close());
  std::printf("fill: done, the ledger has %llu entries\n", static_cast<unsigned long long>(info.size));
  return Status::ok();
}

Status run_probe(const std::filesystem::path& data_dir, uint64_t proofs, uint64_t seed) {
  ledger::Options options;
  options.data_dir = data_dir;
  const auto t_open = std::chrono::steady_clock::now();
  PASSBOOK_ASSIGN_OR_RETURN(auto ledger, ledger::Ledger::open(options));
  const double open_s = since_s(t_open);
  const auto info = ledger->info();
  std::printf("probe: opened %llu entries in %.3f s (RSS after open %.1f MiB)\n",
              static_cast<unsigned long long>(info.size), open_s, static_cast<double>(process_rss_kib(0)) / 1024);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint64_t> pick(0, info.size - 1);
  std::vector<double> proof_ms, bundle_ms, consistency_ms;
  for (uint64_t i = 0; i < proofs; ++i) {
    const uint64_t index = pick(rng);
    const auto t0 = std::chrono::steady_clock::now();
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<Hash32> path, ledger->inclusion_proof(index, info.size));
    proof_ms.push_back(since_s(t0) * 1e3);
    // What a receipt with a proof costs the server: the entry, its path, the checkpoint.
    const auto t1 = std::chrono::steady_clock::now();
    PASSBOOK_ASSIGN_OR_RETURN(ledger::StoredEntry entry, ledger->entry(index));
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<Hash32> again, ledger->inclusion_proof(index, info.size));
    PASSBOOK_ASSIGN_OR_RETURN(std::string note, ledger->checkpoint(info.size));
    bundle_ms.push_back(since_s(t1) * 1e3);
    PASSBOOK_RETURN_IF_ERROR(proof::verify_inclusion(entry.leaf_hash, index, info.size, path, info.root));
    const uint64_t old_size = 1 + pick(rng);
    const auto t2 = std::chrono::steady_clock::now();
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<Hash32> consistency, ledger->consistency_proof(old_size, info.size));
    consistency_ms.push_back(since_s(t2) * 1e3);
  }
  std::printf("probe: inclusion proof at size %llu: p50 %.3f ms, p99 %.3f ms, max %.3f ms (%llu proofs, each checked)\n",
              static_cast<unsigned long long>(info.size), pct_ms(proof_ms, 0.5), pct_ms(proof_ms, 0.99),
              pct_ms(proof_ms, 1.0), static_cast<unsigned long long>(proofs));
  std::printf("probe: entry + inclusion proof + checkpoint (a receipt's bundle): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
              pct_ms(bundle_ms, 0.5), pct_ms(bundle_ms, 0.99), pct_ms(bundle_ms, 1.0));
  std::printf("probe: consistency proof: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", pct_ms(consistency_ms, 0.5),
              pct_ms(consistency_ms, 0.99), pct_ms(consistency_ms, 1.0));
  std::printf("probe: RSS %.1f MiB, peak %.1f MiB\n", static_cast<double>(process_rss_kib(0)) / 1024,
              static_cast<double>(process_hwm_kib(0)) / 1024);
  const auto t_close = std::chrono::steady_clock::now();
  PASSBOOK_RETURN_IF_ERROR(ledger->close());
  std::printf("probe: closed in %.3f s\n", since_s(t_close));
  return Status::ok();
}

}  // namespace passbook::bench
