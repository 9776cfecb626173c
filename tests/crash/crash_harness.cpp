// Crash harness (issue 7, "Crash safety"): runs the real passbookd under load from several
// clients, kills it with SIGKILL at random moments (under load, while it starts, while it shuts
// down), restarts it, and checks after every round that nothing acknowledged was lost and
// nothing was applied twice or in part.
//
//   crash_harness --passbookd BIN --passbook BIN [--rounds N] [--seed S] [--workers W]
//                 [--rounds-per-ledger N] [--max-seconds T] [--work DIR] [--keep]
//
// The clients (one per worker) are real passbook::client::Client sessions: every receipt comes
// with the entry, its inclusion proof and a signed checkpoint, checked by the client, and every
// client keeps a trust file across restarts, so a checkpoint that does not extend what it saw
// before is caught as a rewrite of history. Each worker owns a branch, a merchant and a few
// volunteers that nobody else touches, so its model of the balances does not depend on how the
// server orders the workers. It sends multi-operation envelopes (credits to several volunteers,
// redemptions from several), and now and then one whose last operation must fail, which must
// leave no trace.
//
// After every kill:
//   * `passbook verify` on the data directory (every round with --verify-every 1; by default on
//     about half of the rounds, so that the other half restart passbookd on the raw crash state);
//   * restart (sometimes killed again while it opens the ledger);
//   * a checker client (admin) proves the new checkpoint consistent with the last one it saw and
//     reads every entry added since the last round: each entry holds one known envelope, no
//     envelope is in two entries, every receipt a client was given is there with the same hash,
//     and the entries rebuild the checkpoint's Merkle root;
//   * balances (volunteers, branches, merchants) and reward counts equal the model of the
//     envelopes found in the chain: an envelope applied in part would break this;
//   * every envelope left without an answer is sent again with the same bytes: it must come back
//     as a duplicate with the original receipt if it was in the chain, and as a new entry if not;
//   * balances again, through the server and through `passbook accounts`.
//
// Exit status 0 when every round passed; 1 with the seed and the first problem otherwise.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crash/process.h"
#include "passbook/client/client.h"
#include "passbook/client/envelope.h"
#include "passbook/ledger/ledger.h"
#include "passbook/proof/crypto.h"
#include "passbook/proof/merkle.h"
#include "passbook/schemas/encoding.h"

namespace {

namespace fs = std::filesystem;
using namespace passbook;
using namespace std::chrono_literals;
using testing::Daemon;
using testing::ExitStatus;

constexpr int64_t kPrice = 7;  // of every merchant's reward "r"
constexpr int kVolunteersPerWorker = 6;
constexpr size_t kMaxBatch = 120;  // below passbookd's 256 requests in flight per connection

// ---- options -------------------------------------------------------------------------------

struct Config {
  fs::path passbookd;
  fs::path passbook;
  fs::path work;
  uint64_t seed = 0;
  int rounds = 20;
  int workers = 3;
  int rounds_per_ledger = 50;
  int verify_every =
      2;  // offline verify on average once in this many rounds (and always at the end)
  double max_seconds = 0;  // 0: no limit; else stop starting rounds after this long
  bool keep = false;
  // Whether the load clients ask for and check a proof with every receipt (the checker proves
  // every entry in any case).
  bool client_proofs = true;
  int load_ms = 0;  // 0: random per round, 5..305 ms
};

const char* kUsage =
    "usage: crash_harness --passbookd BIN --passbook BIN [--rounds N] [--seed S] [--workers W]\n"
    "                     [--rounds-per-ledger N] [--verify-every N] [--max-seconds T]\n"
    "                     [--work DIR] [--keep] [--no-client-proofs] [--load-ms MS]\n"
    "  --rounds N             kill/restart rounds (default 20)\n"
    "  --seed S               the kill schedule and envelopes (default: random, printed)\n"
    "  --workers W            clients, each with its own branch, merchant and volunteers (3)\n"
    "  --rounds-per-ledger N  start a fresh ledger every N rounds, to bound verify's cost (50)\n"
    "  --verify-every N       passbook verify after about one kill in N (2), and at the end\n"
    "  --max-seconds T        start no new round after T seconds (CI)\n"
    "  --work DIR             where the ledgers go (default: a temporary directory)\n"
    "  --keep                 keep the ledgers\n"
    "  --no-client-proofs     clients do not ask for receipt proofs\n"
    "  --load-ms MS           load for MS ms before each kill (default: random 5..305)\n";

std::optional<Config> parse(int argc, char** argv) {
  Config c;
  std::random_device device;
  c.seed = (uint64_t{device()} << 32) ^ device();
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") return std::nullopt;
    if (flag == "--passbookd")
      c.passbookd = value();
    else if (flag == "--passbook")
      c.passbook = value();
    else if (flag == "--work")
      c.work = value();
    else if (flag == "--seed")
      c.seed = std::stoull(value());
    else if (flag == "--rounds")
      c.rounds = std::stoi(value());
    else if (flag == "--workers")
      c.workers = std::stoi(value());
    else if (flag == "--rounds-per-ledger")
      c.rounds_per_ledger = std::stoi(value());
    else if (flag == "--verify-every")
      c.verify_every = std::stoi(value());
    else if (flag == "--max-seconds")
      c.max_seconds = std::stod(value());
    else if (flag == "--keep")
      c.keep = true;
    else if (flag == "--no-client-proofs")
      c.client_proofs = false;
    else if (flag == "--load-ms")
      c.load_ms = std::stoi(value());
    else
      throw std::runtime_error("unknown option " + flag);
  }
  if (c.passbookd.empty() || c.passbook.empty() || c.rounds < 1 || c.workers < 1 ||
      c.workers > 16 || c.rounds_per_ledger < 1 || c.verify_every < 1) {
    return std::nullopt;
  }
  return c;
}

// ---- failures ------------------------------------------------------------------------------

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& what) {
  throw Failure(what);
}

void require(bool condition, const std::string& what) {
  if (!condition) fail(what);
}

template <class T>
T must(Result<T> result, const std::string& what) {
  if (!result.is_ok()) fail(what + ": " + result.status().to_string());
  return std::move(result).value();
}

// ---- dates ---------------------------------------------------------------------------------

// YYYYMMDD of yesterday in UTC+8 (the ledger's zone): inside the back-dating window whatever the
// hour, even when midnight passes during a run.
uint32_t yesterday_utc8() {
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const int64_t days = (now_s + 8 * 3600) / 86400 - 1;
  // civil_from_days (Howard Hinnant)
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return static_cast<uint32_t>(y * 10000 + m * 100 + d);
}

// ---- the model -----------------------------------------------------------------------------

// Accounts as "v:<id>", "b:<branch>", "m:<merchant>"; rewards as "r:<merchant>".
using Deltas = std::map<std::string, int64_t>;

struct Record {
  schemas::SignedEnvelope envelope;
  Deltas deltas;           // what the envelope does to balances (and reward counts) if applied
  bool must_fail = false;  // its last operation is refused: it must never be in the chain
  bool is_redeem = false;
  enum class State { kInFlight, kAcked, kRefused } state = State::kInFlight;
  std::optional<schemas::Receipt> receipt;  // the receipt a client was given
  std::optional<uint64_t> chain_seq;        // where the checker found it
  Hash32 chain_hash{};
};

struct Worker {
  int index = 0;
  proof::SigningKey branch_key = proof::SigningKey::generate().value();
  proof::SigningKey merchant_key = proof::SigningKey::generate().value();
  std::string branch;
  std::string merchant;
  std::vector<std::string> volunteers;
  fs::path trust_file;
  std::mt19937_64 rng;
  std::deque<Record> records;  // a deque: the checker keeps pointers into it
  uint64_t acked = 0;          // receipts during load phases
  uint64_t refused = 0;        // expected refusals during load phases
  // Points surely available to redeem: credits known to be in the chain minus every redemption
  // sent (answered or not). A redemption sent only when this covers it can never be refused,
  // whatever order the server commits this worker's envelopes in.
  std::map<std::string, int64_t> spendable;
  std::string error;  // set by the load thread on a failure
};

struct Stats {
  uint64_t envelopes_acked = 0;    // receipts given during load phases
  uint64_t refusals_expected = 0;  // envelopes whose last operation failed, refused whole
  uint64_t in_flight_at_kill = 0;  // sent, no answer when the server died
  uint64_t committed_unanswered =
      0;  // of those: in the chain (killed after the write, before the reply)
  uint64_t lost_unanswered = 0;     // of those: not in the chain
  uint64_t retried_duplicates = 0;  // resends answered with the original receipt
  uint64_t retried_fresh = 0;       // resends recorded now
  uint64_t entries_checked = 0;
  uint64_t verifies = 0;
  uint64_t startup_kills = 0;
  uint64_t shutdown_kills = 0;
  uint64_t clean_stops = 0;
  uint64_t load_kills = 0;
  uint64_t ledgers = 0;
};

class Harness {
 public:
  explicit Harness(Config config) : c_(std::move(config)), rng_(c_.seed) {}

  int run() {
    start_ = std::chrono::steady_clock::now();
    std::cout << "crash_harness: seed " << c_.seed << ", " << c_.rounds << " rounds, " << c_.workers
              << " workers, work dir " << c_.work.string() << std::endl;
    int round = 0;
    try {
      for (round = 1; round <= c_.rounds; ++round) {
        if (c_.max_seconds > 0 && elapsed() > c_.max_seconds) {
          std::cout << "time budget of " << c_.max_seconds << " s used after " << round - 1
                    << " rounds" << std::endl;
          break;
        }
        if (!daemon_ || (round - 1) % c_.rounds_per_ledger == 0) new_ledger();
        one_round(round);
      }
      finish_ledger();
    } catch (const Failure& e) {
      std::cout << "\nFAILED in round " << round << " (seed " << c_.seed << "): " << e.what()
                << "\n";
      if (daemon_)
        std::cout << "--- passbookd log (end)\n" << testing::tail(daemon_->new_log(), 20) << "\n";
      std::cout << "rerun: crash_harness --seed " << c_.seed << " --rounds " << c_.rounds
                << " --workers " << c_.workers << " --rounds-per-ledger " << c_.rounds_per_ledger
                << "\n"
                << "data kept in " << c_.work.string() << std::endl;
      if (daemon_) daemon_->kill_now();
      return 1;
    }
    print_stats(round - 1);
    return 0;
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  // ---- a ledger ----------------------------------------------------------------------------

  void new_ledger() {
    if (daemon_) finish_ledger();
    ++stats_.ledgers;
    ledger_dir_ = c_.work / ("ledger-" + std::to_string(stats_.ledgers));
    std::error_code ec;
    fs::remove_all(ledger_dir_, ec);
    fs::create_directories(c_.work, ec);
    create_ledger(ledger_dir_ / "data", "crash.test/passbook-" + std::to_string(stats_.ledgers));

    daemon_ =
        std::make_unique<Daemon>(c_.passbookd, ledger_dir_ / "data", ledger_dir_ / "passbookd.log");
    if (snapshot_option()) {
      // Frequent state snapshots, so that kills also land while one is being written.
      daemon_->set_extra_args({"--snapshot-every-postings", "500"});
    }
    if (auto failed = daemon_->start()) fail(*failed);

    workers_.clear();
    records_by_bytes_.clear();
    scanned_ = {};
    last_hash_ = {};
    scanned_size_ = 0;
    model_.clear();
    checker_trust_ = ledger_dir_ / "trust-checker";
    for (int w = 0; w < c_.workers; ++w) {
      auto worker = std::make_unique<Worker>();
      worker->index = w;
      worker->branch = "b" + std::to_string(w);
      worker->merchant = "m" + std::to_string(w);
      for (int v = 0; v < kVolunteersPerWorker; ++v) {
        worker->volunteers.push_back("v" + std::to_string(w) + "-" + std::to_string(v));
      }
      worker->trust_file = ledger_dir_ / ("trust-w" + std::to_string(w));
      worker->rng.seed(rng_());
      workers_.push_back(std::move(worker));
    }
    set_up_street();
  }

  // Whether this passbookd takes --snapshot-every-postings (a test option).
  bool snapshot_option() {
    if (!snapshot_option_) {
      auto help = testing::run({c_.passbookd.string(), "--help"}, c_.work);
      snapshot_option_ = help.out.find("--snapshot-every-postings") != std::string::npos;
      std::cout
          << (*snapshot_option_
                  ? "passbookd snapshots every 500 postings\n"
                  : "passbookd has no --snapshot-every-postings: snapshots only at clean stops\n");
    }
    return *snapshot_option_;
  }

  // What `passbook init` does, through the engine: keys in data/keys, genesis with a long
  // time window (a resend after a restart must still be inside it).
  void create_ledger(const fs::path& data, const std::string& origin) {
    std::error_code ec;
    fs::create_directories(data / "keys", ec);
    ::chmod((data / "keys").c_str(), 0700);
    admin_ = must(proof::SigningKey::generate(), "a key");
    const auto ledger_key = must(proof::SigningKey::generate(), "a key");
    require(admin_.save(data / "keys" / "admin.key").is_ok(), "cannot save the admin key");
    require(ledger_key.save(data / "keys" / "ledger.key").is_ok(), "cannot save the ledger key");
    LedgerId id{};
    require(proof::random_bytes(id).is_ok(), "no random bytes");
    schemas::Genesis genesis;
    genesis.origin = origin;
    genesis.admin_key = admin_.public_key();
    genesis.admin_name = "street office";
    genesis.ledger_key = ledger_key.public_key();
    genesis.time_window_s = 3600;
    ledger::Options options;
    options.data_dir = data;
    auto created = ledger::Ledger::create(
        options, must(client::sign_envelope(id, admin_, {genesis}), "signing"));
    require(created.is_ok(), "creating the ledger: " + created.status().to_string());
    verifier_key_ = (*created)->info().verifier_key;
    require((*created)->close().is_ok(), "closing the new ledger");
  }

  // Registers the workers' keys, the rule, the accounts and the rewards. Not part of the model.
  void set_up_street() {
    auto admin = connect(admin_, checker_trust_, 6);
    ledger_id_ = admin->hello().ledger;
    std::vector<schemas::Operation> ops;
    for (const auto& w : workers_) {
      ops.push_back(schemas::RegisterActor{w->branch_key.public_key(), schemas::Role::kBranch,
                                           w->branch, "branch " + w->branch});
      ops.push_back(schemas::RegisterActor{w->merchant_key.public_key(), schemas::Role::kMerchant,
                                           w->merchant, "merchant " + w->merchant});
    }
    ops.push_back(schemas::SetRule{"", "service", 60, 0});
    submit_setup(*admin, admin_, std::move(ops));
    for (const auto& w : workers_) {
      std::vector<schemas::Operation> accounts;
      for (const auto& v : w->volunteers)
        accounts.push_back(schemas::OpenAccount{v, std::nullopt, std::nullopt});
      submit_setup(*admin, w->branch_key, std::move(accounts));
      submit_setup(
          *admin, w->merchant_key,
          {schemas::ListReward{"r", "a reward", kPrice, schemas::ListReward::kUnlimitedStock, 0,
                               schemas::LimitPeriod::kEver}});
    }
    scanned_size_ = must(admin->info(), "info").size;
    // The checker will rebuild the Merkle root from entry 0: feed it the setup entries.
    read_entries(*admin, 0, scanned_size_, /*setup=*/true);
  }

  void submit_setup(client::Client& client, const proof::SigningKey& signer,
                    std::vector<schemas::Operation> ops) {
    auto envelope = must(client::sign_envelope(ledger_id_, signer, std::move(ops)), "signing");
    auto done = client.submit(std::move(envelope));
    require(done.is_ok(), "setting up the street: " + done.status().to_string());
  }

  std::unique_ptr<client::Client> connect(const proof::SigningKey& key, const fs::path& trust_file,
                                          int attempts, bool proofs = true) {
    client::ClientOptions options;
    options.check_receipts = proofs;
    options.port = daemon_->port();
    options.key = &key;
    options.verifier_key = verifier_key_;
    options.state_file = trust_file;
    options.timeout = 20s;
    options.max_attempts = attempts;
    return must(client::Client::connect(options), "connecting to passbookd");
  }

  // Stops the ledger's passbookd cleanly and checks the data directory offline.
  void finish_ledger() {
    if (!daemon_) return;
    if (daemon_->running()) {
      daemon_->signal(SIGTERM);
      auto ended = daemon_->wait(60s);
      require(ended.has_value(), "passbookd did not stop within 60 s of SIGTERM");
      require(ended->ok(),
              "passbookd " + ended->describe() + " after SIGTERM:\n" + daemon_->new_log());
    }
    verify_offline();
    check_accounts_cli({"--data", (ledger_dir_ / "data").string()});
    daemon_.reset();
    if (!c_.keep) {
      std::error_code ec;
      fs::remove_all(ledger_dir_, ec);
    }
  }

  // ---- one round ---------------------------------------------------------------------------

  enum class Kill { kLoad, kShutdown, kClean };

  void one_round(int round) {
    const int roll = static_cast<int>(rng_() % 100);
    const Kill kill = roll < 80 ? Kill::kLoad : roll < 92 ? Kill::kShutdown : Kill::kClean;
    auto load_ms = std::chrono::milliseconds(5 + rng_() % 300);
    if (c_.load_ms > 0) load_ms = std::chrono::milliseconds(c_.load_ms);
    const auto after_term_ms = std::chrono::milliseconds(rng_() % 30);

    // Load: every worker submits batches until its connection dies.
    std::vector<std::thread> threads;
    for (auto& w : workers_) threads.emplace_back([this, &w] { load(*w); });
    std::this_thread::sleep_for(load_ms);
    ExitStatus ended;
    if (kill == Kill::kLoad) {
      ++stats_.load_kills;
      ended = daemon_->kill_now();
      require(!ended.exited && ended.signal == SIGKILL,
              "passbookd had already stopped by itself (" + ended.describe() + "):\n" +
                  daemon_->new_log());
    } else {
      daemon_->signal(SIGTERM);
      if (kill == Kill::kShutdown) {
        ++stats_.shutdown_kills;
        std::this_thread::sleep_for(after_term_ms);
        ended = daemon_->kill_now();
      } else {
        ++stats_.clean_stops;
        auto stopped = daemon_->wait(60s);
        require(stopped.has_value(), "passbookd did not stop within 60 s of SIGTERM");
        ended = *stopped;
      }
      require(ended.ok() || (!ended.exited && ended.signal == SIGKILL),
              "passbookd " + ended.describe() + " while stopping:\n" + daemon_->new_log());
    }
    for (auto& t : threads) t.join();
    for (auto& w : workers_) {
      require(w->error.empty(), "worker " + std::to_string(w->index) + ": " + w->error);
      stats_.envelopes_acked += std::exchange(w->acked, 0);
      stats_.refusals_expected += std::exchange(w->refused, 0);
    }

    uint64_t in_flight = 0;
    for (auto& w : workers_) {
      for (auto& r : w->records) in_flight += r.state == Record::State::kInFlight ? 1 : 0;
    }
    stats_.in_flight_at_kill += in_flight;

    if (rng_() % static_cast<uint64_t>(c_.verify_every) == 0) verify_offline();

    // Sometimes kill it again while it opens the ledger.
    if (rng_() % 8 == 0) {
      ++stats_.startup_kills;
      require(daemon_->spawn_only(), "cannot start passbookd");
      std::this_thread::sleep_for(std::chrono::milliseconds(rng_() % 60));
      ExitStatus early = daemon_->kill_now();
      require(!early.exited || early.code == 0, "passbookd " + early.describe() +
                                                    " while opening the ledger after a crash:\n" +
                                                    daemon_->new_log());
    }
    if (auto failed = daemon_->start()) fail("restarting after the kill: " + *failed);

    check_chain_and_balances("after restart");
    retry_unanswered();
    check_chain_and_balances("after resending");
    // Its own trust file: the default one is named after host and port, and a port the kernel
    // hands out again may have served another harness's ledger (a CI failure, 2026-11-22).
    check_accounts_cli({"--server", "127.0.0.1:" + std::to_string(daemon_->port()), "--key",
                        (ledger_dir_ / "data" / "keys" / "admin.key").string(), "--ledger-vkey",
                        verifier_key_, "--trust-file", (ledger_dir_ / "trust-cli").string()});

    std::cout << "round " << round << ": "
              << (kill == Kill::kLoad       ? "SIGKILL under load"
                  : kill == Kill::kShutdown ? "SIGKILL during shutdown"
                                            : "clean stop")
              << " after " << load_ms.count() << " ms, " << in_flight << " unanswered, chain "
              << scanned_size_ << " entries: ok" << std::endl;
  }

  // ---- load --------------------------------------------------------------------------------

  // One envelope of worker w: credits to some of its volunteers, or (when they can pay)
  // redemptions from some of them; sometimes with a last operation that must fail.
  Record make_envelope(Worker& w, uint32_t day) {
    Record r;
    std::vector<std::string> pool = w.volunteers;
    std::shuffle(pool.begin(), pool.end(), w.rng);
    const size_t ops = 1 + w.rng() % 4;
    std::vector<std::string> payers;
    for (const auto& v : pool) {
      if (payers.size() < ops && w.spendable[v] >= 2 * kPrice) payers.push_back(v);
    }
    std::vector<schemas::Operation> list;
    const proof::SigningKey* signer = &w.branch_key;
    if (!payers.empty() && w.rng() % 3 == 0) {
      r.is_redeem = true;
      signer = &w.merchant_key;
      for (const auto& v : payers) {
        const uint32_t quantity = 1 + static_cast<uint32_t>(w.rng() % 2);
        const int64_t points = kPrice * quantity;
        list.push_back(schemas::Redeem{v, "r", quantity});
        r.deltas["v:" + v] -= points;
        r.deltas["m:" + w.merchant] += points;
        r.deltas["r:" + w.merchant] += quantity;
        w.spendable[v] -= points;
      }
    } else {
      for (size_t i = 0; i < ops; ++i) {
        const uint32_t minutes = 1 + static_cast<uint32_t>(w.rng() % 300);
        Hash32 evidence{};
        for (auto& b : evidence) b = static_cast<uint8_t>(w.rng());
        list.push_back(
            schemas::Credit{schemas::ServiceRecord{pool[i], "service", minutes, day, evidence}});
        r.deltas["v:" + pool[i]] += minutes;  // 60 points an hour: a point a minute
        r.deltas["b:" + w.branch] -= minutes;
      }
      if (w.rng() % 20 == 0) {
        // Refused as a whole: no such account. The credits before it must not stay.
        r.must_fail = true;
        list.push_back(schemas::Credit{schemas::ServiceRecord{"nobody", "service", 10, day, {}}});
      }
    }
    if (r.is_redeem && w.rng() % 20 == 0) {
      r.must_fail = true;
      list.push_back(schemas::Redeem{pool[0], "no-such-reward", 1});
      // A refused redemption gives its points back to what may be spent.
      for (const auto& [account, delta] : r.deltas) {
        if (account.starts_with("v:")) w.spendable[account.substr(2)] -= delta;
      }
    }
    r.envelope = must(client::sign_envelope(ledger_id_, *signer, std::move(list)), "signing");
    return r;
  }

  void load(Worker& w) {
    try {
      client::ClientOptions options;
      options.port = daemon_->port();
      options.key = &w.branch_key;
      options.verifier_key = verifier_key_;
      options.state_file = w.trust_file;
      options.timeout = 20s;
      options.max_attempts = 1;  // the round ends at the first lost connection
      options.check_receipts = c_.client_proofs;
      auto connected = client::Client::connect(options);
      if (!connected.is_ok()) {
        // The kill may come before this worker got in.
        if (connected.status().code() != Status::Code::kUnavailable)
          w.error = connected.status().to_string();
        return;
      }
      auto& client = **connected;
      const uint32_t day = yesterday_utc8();
      for (;;) {
        const size_t first = w.records.size();
        const size_t count = 1 + w.rng() % kMaxBatch;
        std::vector<schemas::SignedEnvelope> batch;
        for (size_t i = 0; i < count; ++i) {
          w.records.push_back(make_envelope(w, day));
          batch.push_back(w.records.back().envelope);
        }
        auto results = client.submit_all(std::move(batch));
        if (results.size() != count) {
          w.error = "submit_all gave " + std::to_string(results.size()) + " results for " +
                    std::to_string(count);
          return;
        }
        bool lost = false;
        for (size_t i = 0; i < count; ++i) {
          Record& r = w.records[first + i];
          if (results[i].is_ok()) {
            const auto& done = *results[i];
            if (r.must_fail) {
              w.error = "an envelope whose last operation must fail was accepted as entry " +
                        std::to_string(done.receipt.seq);
              return;
            }
            if (done.duplicate || done.proven != c_.client_proofs) {
              w.error =
                  "a new envelope was answered as a duplicate or without a checked proof (entry " +
                  std::to_string(done.receipt.seq) + ")";
              return;
            }
            r.state = Record::State::kAcked;
            r.receipt = done.receipt;
            ++w.acked;
            credit_spendable(w, r);
            continue;
          }
          const Status& s = results[i].status();
          if (s.code() == Status::Code::kUnavailable ||
              s.code() == Status::Code::kResourceExhausted) {
            lost = true;  // unknown: resolved by the checker after the restart
            continue;
          }
          if (r.must_fail && s.code() == Status::Code::kNotFound) {
            r.state = Record::State::kRefused;
            ++w.refused;
            continue;
          }
          w.error = "an envelope was refused: " + s.to_string();
          return;
        }
        if (lost) return;
      }
    } catch (const std::exception& e) {
      w.error = std::string("exception: ") + e.what();
    }
  }

  // Credits known to be in the chain may be spent.
  static void credit_spendable(Worker& w, const Record& r) {
    if (r.is_redeem || r.must_fail) return;
    for (const auto& [account, delta] : r.deltas) {
      if (account.starts_with("v:")) w.spendable[account.substr(2)] += delta;
    }
  }

  // ---- checks ------------------------------------------------------------------------------

  // Reads entries [from, to) through `client`, checks that each holds one known envelope (or a
  // setup envelope), at most once, and that they rebuild the checkpoint root.
  void read_entries(client::Client& client, uint64_t from, uint64_t to, bool setup) {
    for (uint64_t seq = from; seq < to;) {
      const uint32_t count =
          static_cast<uint32_t>(std::min<uint64_t>(to - seq, schemas::kMaxEntriesPage));
      auto page = must(client.entries(seq, count), "reading entries from " + std::to_string(seq));
      require(!page.empty(), "the server returned no entries from " + std::to_string(seq));
      for (const std::string& bytes : page) {
        auto entry = must(schemas::decode<schemas::Entry>(bytes, "entry"),
                          "decoding entry " + std::to_string(seq));
        require(entry.seq == seq,
                "entry " + std::to_string(seq) + " says it is " + std::to_string(entry.seq));
        require(entry.prev_hash == last_hash_,
                "entry " + std::to_string(seq) + " does not link to the one before");
        const Hash32 leaf = proof::leaf_hash(bytes);
        std::vector<proof::StoredNode> ignored;
        scanned_.append(leaf, ignored);
        last_hash_ = leaf;
        ++stats_.entries_checked;
        if (!setup) {
          auto it = records_by_bytes_.find(entry.signed_envelope.envelope);
          require(it != records_by_bytes_.end(),
                  "entry " + std::to_string(seq) + " holds an envelope no client sent");
          Record& r = *it->second;
          require(!r.chain_seq, "the envelope of entry " + std::to_string(seq) + " is also entry " +
                                    std::to_string(r.chain_seq.value_or(0)) + ": recorded twice");
          require(!r.must_fail, "entry " + std::to_string(seq) +
                                    " holds an envelope whose last operation must fail");
          r.chain_seq = seq;
          r.chain_hash = leaf;
          for (const auto& [account, delta] : r.deltas) model_[account] += delta;
        }
        ++seq;
      }
    }
  }

  void index_records() {
    for (auto& w : workers_) {
      for (auto& r : w->records) records_by_bytes_.emplace(r.envelope.envelope, &r);
    }
  }

  void check_chain_and_balances(const std::string& when) {
    index_records();
    // The admin's trust file carries the last checkpoint it saw across restarts: connecting
    // proves the new one consistent with it.
    auto checker = connect(admin_, checker_trust_, 6);
    const uint64_t size = must(checker->info(), "info").size;
    require(size >= scanned_size_, when + ": the chain shrank from " +
                                       std::to_string(scanned_size_) + " to " +
                                       std::to_string(size) + " entries");
    read_entries(*checker, scanned_size_, size, false);
    scanned_size_ = size;
    const auto head = must(checker->refresh(), "refreshing the checkpoint");
    require(head.size == size, when + ": the latest checkpoint covers " +
                                   std::to_string(head.size) + " entries, the chain has " +
                                   std::to_string(size));
    require(head.root == scanned_.root(),
            when + ": the entries do not rebuild the signed checkpoint's root");

    for (auto& w : workers_) {
      for (auto& r : w->records) {
        if (r.state == Record::State::kAcked) {
          require(r.chain_seq.has_value(),
                  when + ": entry " + std::to_string(r.receipt->seq) +
                      " was acknowledged to a client and is not in the chain");
          require(*r.chain_seq == r.receipt->seq && r.chain_hash == r.receipt->entry_hash,
                  when + ": the receipt for entry " + std::to_string(r.receipt->seq) +
                      " does not match the chain (found at " + std::to_string(*r.chain_seq) + ")");
        }
        if (r.state == Record::State::kRefused) {
          require(!r.chain_seq, when + ": a refused envelope is in the chain");
        }
      }
    }
    check_balances(*checker, when);
  }

  void check_balances(client::Client& checker, const std::string& when) {
    std::map<std::string, int64_t> seen;
    for (const auto& a : must(checker.accounts(""), "listing accounts"))
      seen["v:" + a.id] = a.available;
    for (const auto& w : workers_) {
      auto branch = checker.account(schemas::AccountKind::kBranch, w->branch);
      seen["b:" + w->branch] = branch.is_ok() ? branch->available : 0;
      auto merchant = checker.account(schemas::AccountKind::kMerchant, w->merchant);
      seen["m:" + w->merchant] = merchant.is_ok() ? merchant->available : 0;
    }
    for (const auto& reward : must(checker.rewards(""), "listing rewards")) {
      seen["r:" + reward.merchant] = static_cast<int64_t>(reward.redeemed);
    }
    for (const auto& [account, value] : seen) {
      const auto it = model_.find(account);
      const int64_t expected = it == model_.end() ? 0 : it->second;
      require(value == expected, when + ": " + account + " is " + std::to_string(value) +
                                     ", the envelopes in the chain make it " +
                                     std::to_string(expected) +
                                     " (an envelope applied in part, twice, or lost?)");
    }
    for (const auto& [account, expected] : model_) {
      require(seen.count(account) > 0 || expected == 0, when + ": " + account + " is missing");
    }
  }

  // Compares `passbook accounts` (remote or local) with the model's volunteer balances.
  void check_accounts_cli(const std::vector<std::string>& where) {
    std::vector<std::string> argv = {c_.passbook.string(), "accounts"};
    argv.insert(argv.end(), where.begin(), where.end());
    auto listed = testing::run(argv, c_.work);
    require(listed.ok(), "passbook accounts failed: " + listed.describe());
    std::istringstream lines(listed.out);
    std::string line;
    std::getline(lines, line);  // the header
    size_t rows = 0;
    while (std::getline(lines, line)) {
      std::istringstream cells(line);
      std::string id, branch;
      int64_t available = 0;
      if (!(cells >> id >> branch >> available)) continue;
      ++rows;
      const auto it = model_.find("v:" + id);
      const int64_t expected = it == model_.end() ? 0 : it->second;
      require(available == expected, "passbook accounts shows " + id + " with " +
                                         std::to_string(available) + ", the model " +
                                         std::to_string(expected));
    }
    require(rows == workers_.size() * kVolunteersPerWorker,
            "passbook accounts listed " + std::to_string(rows) + " volunteers:\n" + listed.out);
  }

  // Sends every unanswered envelope again, with the same bytes.
  void retry_unanswered() {
    for (auto& w : workers_) {
      std::vector<Record*> pending;
      for (auto& r : w->records) {
        if (r.state != Record::State::kInFlight) continue;
        pending.push_back(&r);
        if (r.chain_seq) {
          ++stats_.committed_unanswered;
        } else {
          ++stats_.lost_unanswered;
        }
      }
      if (pending.empty()) continue;
      auto client = connect(w->branch_key, w->trust_file, 6, c_.client_proofs);
      for (size_t first = 0; first < pending.size(); first += kMaxBatch) {
        const size_t end = std::min(pending.size(), first + kMaxBatch);
        std::vector<schemas::SignedEnvelope> batch;
        for (size_t i = first; i < end; ++i) batch.push_back(pending[i]->envelope);
        auto results = client->submit_all(std::move(batch));
        require(results.size() == end - first, "submit_all lost results");
        for (size_t i = first; i < end; ++i) {
          Record& r = *pending[i];
          const auto& result = results[i - first];
          if (r.must_fail) {
            require(!result.is_ok() && result.status().code() == Status::Code::kNotFound,
                    "a resent envelope whose last operation must fail was not refused: " +
                        (result.is_ok() ? "accepted as entry " + std::to_string(result->receipt.seq)
                                        : result.status().to_string()));
            require(!r.chain_seq, "an envelope whose last operation must fail is in the chain");
            r.state = Record::State::kRefused;
            ++stats_.refusals_expected;
            continue;
          }
          require(result.is_ok(),
                  "resending an unanswered envelope failed: " + result.status().to_string());
          require(result->proven == c_.client_proofs,
                  "a resend was answered without a checked proof");
          if (r.chain_seq) {
            require(result->duplicate,
                    "an envelope already in the chain (entry " + std::to_string(*r.chain_seq) +
                        ") was recorded again as entry " + std::to_string(result->receipt.seq));
            require(
                result->receipt.seq == *r.chain_seq && result->receipt.entry_hash == r.chain_hash,
                "the resend of entry " + std::to_string(*r.chain_seq) +
                    " got another receipt (entry " + std::to_string(result->receipt.seq) + ")");
            ++stats_.retried_duplicates;
          } else {
            require(!result->duplicate,
                    "an envelope not in the chain was answered as a duplicate of entry " +
                        std::to_string(result->receipt.seq));
            ++stats_.retried_fresh;
          }
          r.state = Record::State::kAcked;
          r.receipt = result->receipt;
          credit_spendable(*w, r);
        }
      }
    }
  }

  void verify_offline() {
    ++stats_.verifies;
    auto verified = testing::run(
        {c_.passbook.string(), "verify", "--data", (ledger_dir_ / "data").string()}, c_.work);
    require(verified.ok() && verified.out.find("The ledger verifies") != std::string::npos,
            "passbook verify after the kill: " + verified.describe());
  }

  void print_stats(int rounds) const {
    std::cout << "\ncrash_harness: " << rounds << " rounds passed (seed " << c_.seed << ", "
              << elapsed() << " s)\n"
              << "  ledgers                      " << stats_.ledgers << "\n"
              << "  SIGKILL under load           " << stats_.load_kills << "\n"
              << "  SIGKILL during shutdown      " << stats_.shutdown_kills << "\n"
              << "  clean stops under load       " << stats_.clean_stops << "\n"
              << "  SIGKILL while opening        " << stats_.startup_kills << "\n"
              << "  receipts during load         " << stats_.envelopes_acked << "\n"
              << "  refused whole (as meant)     " << stats_.refusals_expected << "\n"
              << "  unanswered at the kill       " << stats_.in_flight_at_kill << "\n"
              << "    in the chain (resent: dup) " << stats_.committed_unanswered << "\n"
              << "    not in the chain (resent)  " << stats_.lost_unanswered << "\n"
              << "  entries checked              " << stats_.entries_checked << "\n"
              << "  offline verifies             " << stats_.verifies << "\n"
              << "  nothing lost, nothing applied twice or in part" << std::endl;
  }

  Config c_;
  std::mt19937_64 rng_;
  std::chrono::steady_clock::time_point start_;
  Stats stats_;
  fs::path ledger_dir_;
  std::unique_ptr<Daemon> daemon_;
  std::string verifier_key_;
  proof::SigningKey admin_ = proof::SigningKey::generate().value();
  LedgerId ledger_id_{};
  fs::path checker_trust_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unordered_map<std::string, Record*> records_by_bytes_;
  proof::MerkleFrontier scanned_;
  Hash32 last_hash_{};
  uint64_t scanned_size_ = 0;
  std::map<std::string, int64_t> model_;  // of the envelopes found in the chain
  std::optional<bool> snapshot_option_;
};

}  // namespace

int main(int argc, char** argv) {
  std::optional<Config> config;
  try {
    config = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "crash_harness: " << e.what() << "\n" << kUsage;
    return 2;
  }
  if (!config) {
    std::cerr << kUsage;
    return 2;
  }
  if (config->work.empty()) {
    config->work = fs::temp_directory_path() / ("passbook-crash-" + std::to_string(::getpid()));
  }
  ::signal(SIGPIPE, SIG_IGN);
  Harness harness(*config);
  const int status = harness.run();
  if (status == 0 && !config->keep) {
    std::error_code ec;
    fs::remove_all(config->work, ec);
  }
  return status;
}
