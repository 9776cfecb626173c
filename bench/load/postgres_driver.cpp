// PostgreSQL with the schema a careful developer would write for the same ledger: entries in a
// SHA-256 hash chain (computed in SQL with sha256()), a unique idempotency key (signer, nonce),
// one row per operation, balances with CHECK (balance >= 0) for volunteers, and one transaction
// per envelope: a single call of a PL/pgSQL function, so one round trip per envelope.
//
// Asymmetries, all in PostgreSQL's favour: no Ed25519 signature is checked; balances are updated
// once per account per envelope (net of its operations), so the non-negative check is on the net,
// not after each operation; no Merkle tree and no signed checkpoint are kept.
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "drivers.h"
#include "passbook/schemas/encoding.h"

namespace passbook::bench {
namespace {

constexpr const char* kSchema = R"SQL(
DROP TABLE IF EXISTS operations, entries, chain_head, rewards, accounts CASCADE;
DROP FUNCTION IF EXISTS apply_envelope;
CREATE TABLE accounts (
  id      text PRIMARY KEY,
  kind    char(1) NOT NULL,                 -- v volunteer, b branch, m merchant
  balance bigint NOT NULL DEFAULT 0,
  CHECK (kind <> 'v' OR balance >= 0)
);
CREATE TABLE rewards (
  merchant text NOT NULL REFERENCES accounts(id),
  reward   text NOT NULL,
  price    bigint NOT NULL CHECK (price > 0),
  redeemed bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (merchant, reward)
);
CREATE TABLE chain_head (id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash bytea NOT NULL);
CREATE TABLE entries (
  seq        bigint PRIMARY KEY,
  committed  timestamptz NOT NULL DEFAULT clock_timestamp(),
  prev_hash  bytea NOT NULL,
  hash       bytea NOT NULL,
  signer     bytea NOT NULL,
  nonce      bytea NOT NULL,
  body       bytea NOT NULL,               -- the exact envelope bytes
  UNIQUE (signer, nonce)                    -- idempotency key
);
CREATE TABLE operations (
  seq     bigint NOT NULL REFERENCES entries(seq),
  op      int NOT NULL,
  kind    char(1) NOT NULL,                 -- c credit, r redemption
  account text NOT NULL REFERENCES accounts(id),
  points  bigint NOT NULL,
  PRIMARY KEY (seq, op)
);
INSERT INTO chain_head VALUES (1, -1, sha256(''::bytea));

-- One envelope, one transaction. A resend (same signer and nonce) returns the first seq.
CREATE FUNCTION apply_envelope(p_signer bytea, p_nonce bytea, p_body bytea, p_kind char,
                               p_counterparty text, p_accounts text[], p_points bigint[])
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  head chain_head;
  new_seq bigint;
  new_hash bytea;
  existing bigint;
  total bigint;
BEGIN
  SELECT seq INTO existing FROM entries WHERE signer = p_signer AND nonce = p_nonce;
  IF FOUND THEN RETURN existing; END IF;
  -- The chain has one head: every writer takes it in turn (as passbookd's single writer does).
  SELECT * INTO head FROM chain_head WHERE id = 1 FOR UPDATE;
  new_seq := head.seq + 1;
  new_hash := sha256('\x00'::bytea || int8send(new_seq) || head.hash || p_body);
  INSERT INTO entries (seq, prev_hash, hash, signer, nonce, body)
    VALUES (new_seq, head.hash, new_hash, p_signer, p_nonce, p_body);
  INSERT INTO operations (seq, op, kind, account, points)
    SELECT new_seq, o.i - 1, p_kind, o.a, o.p FROM unnest(p_accounts, p_points) WITH ORDINALITY AS o(a, p, i);
  SELECT sum(p) INTO total FROM unnest(p_points) AS p;
  IF p_kind = 'c' THEN
    UPDATE accounts a SET balance = a.balance + d.delta
      FROM (SELECT u.a AS id, sum(u.p) AS delta FROM unnest(p_accounts, p_points) AS u(a, p) GROUP BY u.a) d
      WHERE a.id = d.id AND a.kind = 'v';
    UPDATE accounts SET balance = balance - total WHERE id = p_counterparty;
  ELSE
    UPDATE accounts a SET balance = a.balance - d.delta
      FROM (SELECT u.a AS id, sum(u.p) AS delta FROM unnest(p_accounts, p_points) AS u(a, p) GROUP BY u.a) d
      WHERE a.id = d.id AND a.kind = 'v';
    UPDATE accounts SET balance = balance + total WHERE id = p_counterparty;
    UPDATE rewards SET redeemed = redeemed + array_length(p_points, 1)
      WHERE merchant = p_counterparty AND reward = 'bench-item';
  END IF;
  UPDATE chain_head SET seq = new_seq, hash = new_hash WHERE id = 1;
  RETURN new_seq;
END $$;
)SQL";

struct ConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnFree>;
struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultFree>;

Result<ConnPtr> connect(const std::string& conninfo) {
  ConnPtr conn(PQconnectdb(conninfo.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    return unavailable(std::string("cannot connect to PostgreSQL: ") + (conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  return conn;
}

Status exec(PGconn* conn, const std::string& sql) {
  ResultPtr r(PQexec(conn, sql.c_str()));
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return unavailable(std::string("PostgreSQL: ") + PQerrorMessage(conn));
  }
  return Status::ok();
}

std::string hex_bytea(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (const char byte : bytes) {
    const auto c = static_cast<unsigned char>(byte);
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// The parameters of apply_envelope for one envelope, as text, built before the clock starts.
struct Call {
  std::string signer, nonce, body, kind, counterparty, accounts, points;
  uint32_t ops = 0;
};

Call make_call(const Street& street, const BenchEnvelope& e) {
  Call call;
  const auto& env = e.envelope;
  call.signer = hex_bytea(std::string_view(reinterpret_cast<const char*>(env.signer.data()), env.signer.size()));
  call.nonce = hex_bytea(std::string_view(reinterpret_cast<const char*>(env.nonce.data()), env.nonce.size()));
  call.body = hex_bytea(e.signed_envelope.envelope);
  // (assign/append rather than = "..." and +: GCC 12 warns falsely (-Wrestrict) at -O3 otherwise)
  call.kind.assign(1, e.redemption ? 'r' : 'c');
  call.counterparty = e.redemption ? street.names.merchant() : street.names.branch();
  call.accounts.assign(1, '{');
  call.points.assign(1, '{');
  for (const auto& op : env.ops) {
    if (call.accounts.size() > 1) {
      call.accounts += ',';
      call.points += ',';
    }
    if (const auto* credit = std::get_if<schemas::Credit>(&op)) {
      call.accounts += credit->service.account;
      call.points += std::to_string(uint64_t{credit->service.minutes} * kPointsPerHour / 60);
    } else if (const auto* redeem = std::get_if<schemas::Redeem>(&op)) {
      call.accounts += redeem->account;
      call.points += std::to_string(kRewardPrice * redeem->quantity);
    }
  }
  call.accounts += '}';
  call.points += '}';
  call.ops = e.ops;
  return call;
}

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<RunResult> run_postgres_load(const std::string& conninfo, const Street& street, const WorkloadOptions& workload,
                                    const std::vector<BenchEnvelope>& envelopes, const LoadOptions& options) {
  if (options.rate > 0) return invalid_argument("the PostgreSQL driver runs closed loop only");
  PASSBOOK_ASSIGN_OR_RETURN(ConnPtr admin, connect(conninfo));
  PASSBOOK_RETURN_IF_ERROR(exec(admin.get(), "SET client_min_messages = warning"));
  PASSBOOK_RETURN_IF_ERROR(exec(admin.get(), kSchema));
  // The same street: branch, merchant, reward, and volunteers with their starting balances.
  const std::string branch = street.names.branch();
  const std::string merchant = street.names.merchant();
  const std::string tag = street.names.tag;
  char sql[1024];
  std::snprintf(sql, sizeof sql,
                "INSERT INTO accounts VALUES ('%s', 'b', %lld), ('%s', 'm', 0);"
                "INSERT INTO rewards VALUES ('%s', 'bench-item', %lld, 0);"
                "INSERT INTO accounts SELECT '%s-v' || lpad(i::text, 7, '0'), 'v', %lld "
                "FROM generate_series(0, %u) AS i;",
                branch.c_str(), -static_cast<long long>(kStartingPoints) * workload.volunteers, merchant.c_str(),
                merchant.c_str(), static_cast<long long>(kRewardPrice), tag.c_str(),
                static_cast<long long>(kStartingPoints), workload.volunteers - 1);
  PASSBOOK_RETURN_IF_ERROR(exec(admin.get(), sql));
  PASSBOOK_RETURN_IF_ERROR(exec(admin.get(), "VACUUM ANALYZE"));

  std::vector<Call> calls;
  calls.reserve(envelopes.size());
  for (const auto& e : envelopes) calls.push_back(make_call(street, e));
  std::vector<ConnPtr> conns;
  for (unsigned i = 0; i < options.connections; ++i) {
    PASSBOOK_ASSIGN_OR_RETURN(ConnPtr c, connect(conninfo));
    ResultPtr prepared(PQprepare(c.get(), "apply",
                                 "SELECT apply_envelope($1::bytea, $2::bytea, $3::bytea, $4::char, $5::text, "
                                 "$6::text[], $7::bigint[])",
                                 7, nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return unavailable(std::string("PostgreSQL: ") + PQerrorMessage(c.get()));
    }
    conns.push_back(std::move(c));
  }

  RunResult result;
  result.target = "postgres";
  std::atomic<size_t> next{0};
  std::mutex mutex;
  const int64_t start = mono_ns();
  const int64_t window_start = start + static_cast<int64_t>(options.warmup_s * 1e9);
  const int64_t deadline = window_start + static_cast<int64_t>(options.duration_s * 1e9);
  std::atomic<int64_t> exhausted_at{0};
  const double cpu_start = process_cpu_seconds(0);
  std::vector<std::thread> threads;
  threads.reserve(conns.size());
  for (auto& conn : conns) {
    threads.emplace_back([&, c = conn.get()] {
      std::vector<int64_t> latencies;
      std::map<std::string, uint64_t> refused;
      uint64_t acked = 0, ops = 0, sent = 0, acked_all = 0;
      for (;;) {
        const int64_t t0 = mono_ns();
        if (t0 >= deadline) break;
        const size_t i = next.fetch_add(1);
        if (i >= calls.size()) {
          int64_t zero = 0;
          exhausted_at.compare_exchange_strong(zero, t0);
          break;
        }
        const Call& call = calls[i];
        const char* values[7] = {call.signer.c_str(), call.nonce.c_str(), call.body.c_str(), call.kind.c_str(),
                                 call.counterparty.c_str(), call.accounts.c_str(), call.points.c_str()};
        ++sent;
        ResultPtr r(PQexecPrepared(c, "apply", 7, values, nullptr, nullptr, 0));
        const int64_t t1 = mono_ns();
        if (PQresultStatus(r.get()) == PGRES_TUPLES_OK) {
          ++acked_all;
          if (t1 >= window_start && t1 <= deadline) {
            ++acked;
            ops += call.ops;
          }
          if (t0 >= window_start && t0 <= deadline) latencies.push_back(t1 - t0);
        } else {
          const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
          const char* message = PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY);
          ++refused[std::string("sqlstate ") + (state ? state : "?") + ": " + (message ? message : "?")];
        }
      }
      std::lock_guard lock(mutex);
      result.latencies_ns.insert(result.latencies_ns.end(), latencies.begin(), latencies.end());
      for (auto& [k, v] : refused) result.refused[k] += v;
      result.envelopes += acked;
      result.ops += ops;
      result.sent += sent;
      result.acked_total += acked_all;
    });
  }
  for (auto& t : threads) t.join();
  const int64_t end = exhausted_at.load() != 0 ? std::min(exhausted_at.load(), deadline) : deadline;
  result.pool_exhausted = exhausted_at.load() != 0 && exhausted_at.load() < deadline;
  result.seconds = static_cast<double>(end - window_start) * 1e-9;
  result.client_cpu_s = process_cpu_seconds(0) - cpu_start;

  // The chain as PostgreSQL holds it must be whole: as many entries as acknowledged envelopes,
  // each linked to the one before.
  ResultPtr check(PQexec(admin.get(),
                         "SELECT count(*), count(*) FILTER (WHERE e.prev_hash <> coalesce(p.hash, sha256(''::bytea))) "
                         "FROM entries e LEFT JOIN entries p ON p.seq = e.seq - 1"));
  if (PQresultStatus(check.get()) != PGRES_TUPLES_OK) {
    return unavailable(std::string("PostgreSQL: ") + PQerrorMessage(admin.get()));
  }
  const uint64_t rows = std::stoull(PQgetvalue(check.get(), 0, 0));
  const uint64_t broken = std::stoull(PQgetvalue(check.get(), 0, 1));
  std::printf("postgres check: %llu entries (%llu acknowledged), %llu broken links\n",
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(result.acked_total),
              static_cast<unsigned long long>(broken));
  if (rows != result.acked_total || broken != 0) return data_loss("the PostgreSQL chain does not check");
  return result;
}

}  // namespace passbook::bench
