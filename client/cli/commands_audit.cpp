// export, prove, check-proof: what an auditor needs to check the ledger without trusting whoever
// runs it. export writes every entry's exact bytes and the signed checkpoints as JSON lines;
// prove writes an RFC 9162 inclusion or consistency proof with the C2SP checkpoint(s) it is
// checked against. Both read a data directory or, with --server, a passbookd (through the
// client, which checks every checkpoint it is sent). check-proof checks such a proof offline
// with nothing but the ledger's verifier key and the pure verification library
// (passbook::proof), never the engine.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <system_error>

#include "backend.h"
#include "cli.h"
#include "json.h"
#include "passbook/proof/merkle.h"
#include "passbook/proof/note.h"
#include "passbook/schemas/encoding.h"
#include "passbook/schemas/wire.h"

namespace passbook::cli {
namespace {

// check-proof reads at most this much; a real proof is a few kilobytes.
constexpr size_t kMaxProofFileBytes = 16 * 1024 * 1024;
constexpr size_t kMaxKeyFileBytes = 4096;
// How far prove looks on either side of a size without a checkpoint for ones that have one: in
// the data directory, and on a server (where each look is a request).
constexpr uint64_t kCheckpointSearch = 4096;
constexpr uint64_t kRemoteCheckpointSearch = 8;

std::vector<std::string> hex_list(const std::vector<Hash32>& hashes) {
  std::vector<std::string> out;
  out.reserve(hashes.size());
  for (const auto& h : hashes) out.push_back(to_hex(h));
  return out;
}

// "name+1234abcd": how a signer is named in messages.
std::string signer_name(const proof::NoteVerifier& verifier) {
  std::string id;
  put_u32_be(id, verifier.key_id);
  return verifier.name + "+" + to_hex(id);
}

// An option holding an entry number or tree size, with the ledger's extent in the error.
Result<uint64_t> size_option(const Args& args, const std::string& name, uint64_t min, uint64_t max,
                             std::optional<uint64_t> fallback, const std::string& extent) {
  if (min > max) {
    return invalid_argument("--" + name + " cannot be given for this ledger: " + extent);
  }
  std::optional<int64_t> fb;
  if (fallback) fb = static_cast<int64_t>(*fallback);
  auto value = args.integer(name, static_cast<int64_t>(min), static_cast<int64_t>(max), fb);
  if (!value.is_ok()) return invalid_argument(value.status().message() + " (" + extent + ")");
  return static_cast<uint64_t>(*value);
}

std::string extent_of(uint64_t size) {
  return "the ledger has " + std::to_string(size) + " entries, numbered 0 to " +
         std::to_string(size - 1);
}

// What to run when the ledger's own data does not add up.
std::string check_advice(const Backend& backend) {
  return backend.remote() ? "run passbook audit against the server" : "run passbook verify";
}

// The checkpoint for `size` (NotFound if the ledger signed none at that size); any other error
// is returned as it is.
Result<std::optional<std::string>> find_checkpoint(Backend& backend, uint64_t size) {
  auto note = backend.checkpoint(size);
  if (note.is_ok()) return std::optional<std::string>(std::move(note).value());
  if (note.status().code() == Status::Code::kNotFound) return std::optional<std::string>();
  return note.status();
}

// The stored checkpoint for `size`, or an error that names sizes which have one, looking up to
// `search` sizes on either side (a remote server is asked once per size, so it is asked less).
Result<std::string> checkpoint_for(Backend& backend, uint64_t size, uint64_t head,
                                   const std::string& option, uint64_t search) {
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> note, find_checkpoint(backend, size));
  if (note) return std::move(*note);
  std::optional<uint64_t> below;
  std::optional<uint64_t> above;
  for (uint64_t d = 1; d <= search && (!below || !above); ++d) {
    if (!below && d < size) {
      PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> found,
                                find_checkpoint(backend, size - d));
      if (found) below = size - d;
    }
    if (!above && size + d < head) {
      PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> found,
                                find_checkpoint(backend, size + d));
      if (found) above = size + d;
    }
  }
  std::string nearest;
  if (below) nearest = "--" + option + " " + std::to_string(*below);
  if (above) {
    nearest += (nearest.empty() ? "" : " or ") + ("--" + option + " " + std::to_string(*above));
  }
  std::string latest = "--" + option + " " + std::to_string(head);
  return not_found("there is no checkpoint for size " + std::to_string(size) +
                   " (the ledger signs one per commit, not one per entry); use a size that has "
                   "one: " +
                   (nearest.empty() ? "" : nearest + ", or ") + "the latest, " + latest);
}

// Checks a checkpoint of the ledger itself (stored, or sent by its server), so that export and
// prove never hand out one that does not hold. size 0: any size.
Result<proof::Checkpoint> own_checkpoint(const Backend& backend, const schemas::LedgerInfo& info,
                                         const std::string& note, uint64_t size) {
  PASSBOOK_ASSIGN_OR_RETURN(proof::NoteVerifier verifier,
                            proof::parse_verifier_key(info.verifier_key));
  auto checkpoint = proof::verify_checkpoint(note, verifier, info.origin);
  if (!checkpoint.is_ok() || (size != 0 && checkpoint->size != size)) {
    const std::string why = checkpoint.is_ok() ? "it names size " + std::to_string(checkpoint->size)
                                               : checkpoint.status().message();
    return data_loss(std::string(backend.remote() ? "the server's" : "the stored") +
                     " checkpoint for size " + (size == 0 ? "latest" : std::to_string(size)) +
                     " does not verify (" + why + "); " + check_advice(backend));
  }
  return checkpoint;
}

// An entry's exact bytes, as the backend has them.
Result<std::string> entry_bytes(Backend& backend, uint64_t seq) {
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<std::string> found, backend.entries(seq, 1));
  if (found.empty()) return not_found("there is no entry " + std::to_string(seq));
  return std::move(found.front());
}

// ---- export --------------------------------------------------------------------------------
//
// Locally, every checkpoint the ledger stored is written after the entry that completes it.
// Remotely that would take a request per entry, so the export carries the checkpoints that cost
// at most a request or two per page of entries: the latest (which the client has proven
// consistent with what this user saw before), the one at --to + 1 if the ledger signed one, and
// in each page of entries the last commit boundary (entries of one commit share their commit
// time, and every commit is signed).

struct ExportPlan {
  uint64_t size = 0;                      // the ledger's size the export describes
  std::map<uint64_t, std::string> notes;  // remote: checkpoints known so far, by size
};

// Writes one entry line and, if there is one, the checkpoint it completes.
Status write_entry(Backend& backend, const ExportPlan& plan, uint64_t seq,
                   const std::string& bytes) {
  std::cout << json::ObjectWriter()
                   .number("seq", seq)
                   .string("entry", to_base64(bytes))
                   .string("leaf_hash", to_hex(proof::leaf_hash(bytes)))
                   .finish()
            << '\n';
  std::optional<std::string> note;
  if (backend.remote()) {
    if (auto it = plan.notes.find(seq + 1); it != plan.notes.end()) note = it->second;
  } else {
    PASSBOOK_ASSIGN_OR_RETURN(note, find_checkpoint(backend, seq + 1));
  }
  if (note) std::cout << json::ObjectWriter().string("checkpoint", *note).finish() << '\n';
  if (!std::cout) return unavailable("cannot write the export to standard output");
  return Status::ok();
}

// Remote: the size of the last commit boundary among page[0..n) (entries first, first + 1, ...)
// that falls inside the page, or nothing. Entries that do not decode give no boundary; the
// export passes them on for the checker to refuse.
std::optional<uint64_t> last_boundary(const std::vector<std::string>& page, uint64_t first) {
  std::optional<int64_t> next_commit;
  for (size_t i = page.size(); i-- > 0;) {
    auto entry = schemas::decode<schemas::Entry>(page[i], "an entry");
    if (!entry.is_ok()) return std::nullopt;
    if (next_commit && *next_commit != entry->commit_ms) return first + i + 1;
    next_commit = entry->commit_ms;
  }
  return std::nullopt;
}

Status run_export(const Args& args) {
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_backend(args, false));
  PASSBOOK_ASSIGN_OR_RETURN(schemas::LedgerInfo info, backend->info());
  ExportPlan plan;
  plan.size = info.size;
  if (backend->remote()) {
    // The export describes the ledger as of its latest checkpoint, however much it grows while
    // the export runs.
    PASSBOOK_ASSIGN_OR_RETURN(std::string note, backend->checkpoint(0));
    PASSBOOK_ASSIGN_OR_RETURN(proof::Checkpoint latest, own_checkpoint(*backend, info, note, 0));
    plan.size = latest.size;
    plan.notes[plan.size] = std::move(note);
  }
  if (plan.size == 0) return failed_precondition("the ledger has no entries to export");
  const std::string extent = extent_of(plan.size);
  PASSBOOK_ASSIGN_OR_RETURN(uint64_t from, size_option(args, "from", 0, plan.size - 1, 0, extent));
  PASSBOOK_ASSIGN_OR_RETURN(uint64_t to,
                            size_option(args, "to", 0, plan.size - 1, plan.size - 1, extent));
  if (from > to) {
    return invalid_argument("--from " + std::to_string(from) + " is after --to " +
                            std::to_string(to));
  }
  if (backend->remote() && to + 1 < plan.size) {
    PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> end, find_checkpoint(*backend, to + 1));
    if (end) plan.notes[to + 1] = std::move(*end);
  }

  json::ObjectWriter header;
  header.string("origin", info.origin)
      .string("ledger_key", info.verifier_key)
      .number("size", plan.size)
      .number("from", from)
      .number("to", to);
  if (from > 0) {
    // Where the range starts: entry from-1's leaf hash and its inclusion proof in the tree of
    // `from` entries. From those a checker rebuilds that tree's right edge, so that it can
    // recompute the roots of the checkpoints in the range; the first one it reaches confirms
    // the start (a wrong start cannot produce a signed root).
    PASSBOOK_ASSIGN_OR_RETURN(std::string before, entry_bytes(*backend, from - 1));
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<Hash32> path, backend->inclusion_proof(from - 1, from));
    header.raw("start", json::ObjectWriter()
                            .number("size", from)
                            .string("leaf_hash", to_hex(proof::leaf_hash(before)))
                            .strings("path", hex_list(path))
                            .finish());
  }
  std::cout << header.finish() << '\n';

  for (uint64_t seq = from; seq <= to;) {
    // One page of entries in memory at a time: the export's size does not matter.
    const uint64_t left = to - seq + 1;
    const auto count = static_cast<uint32_t>(std::min<uint64_t>(left, schemas::kMaxEntriesPage));
    PASSBOOK_ASSIGN_OR_RETURN(std::vector<std::string> page, backend->entries(seq, count));
    if (page.empty()) {
      return data_loss("the ledger stopped giving entries at " + std::to_string(seq) + " of " +
                       std::to_string(plan.size));
    }
    if (page.size() > count) page.resize(count);
    if (backend->remote()) {
      if (auto boundary = last_boundary(page, seq); boundary && plan.notes.count(*boundary) == 0) {
        PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> note,
                                  find_checkpoint(*backend, *boundary));
        if (note) plan.notes[*boundary] = std::move(*note);
      }
    }
    for (const std::string& bytes : page) {
      PASSBOOK_RETURN_IF_ERROR(write_entry(*backend, plan, seq, bytes));
      plan.notes.erase(seq + 1);
      ++seq;
    }
  }
  std::cout.flush();
  if (!std::cout) return unavailable("cannot write the export to standard output");
  return backend->close();
}

// ---- prove ---------------------------------------------------------------------------------

// How many sizes prove asks about on either side of one without a checkpoint.
uint64_t checkpoint_search(const Backend& backend) {
  return backend.remote() ? kRemoteCheckpointSearch : kCheckpointSearch;
}

Status prove_inclusion(const Args& args, Backend& backend, const schemas::LedgerInfo& info) {
  const std::string extent = extent_of(info.size);
  PASSBOOK_ASSIGN_OR_RETURN(uint64_t seq,
                            size_option(args, "seq", 0, info.size - 1, std::nullopt, extent));
  PASSBOOK_ASSIGN_OR_RETURN(uint64_t size,
                            size_option(args, "size", seq + 1, info.size, info.size,
                                        "entry " + std::to_string(seq) + " is in trees of size " +
                                            std::to_string(seq + 1) + " and larger; " + extent));
  PASSBOOK_ASSIGN_OR_RETURN(std::string note, checkpoint_for(backend, size, info.size, "size",
                                                             checkpoint_search(backend)));
  PASSBOOK_ASSIGN_OR_RETURN(std::string bytes, entry_bytes(backend, seq));
  const Hash32 leaf = proof::leaf_hash(bytes);
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<Hash32> path, backend.inclusion_proof(seq, size));
  PASSBOOK_ASSIGN_OR_RETURN(proof::Checkpoint checkpoint,
                            own_checkpoint(backend, info, note, size));
  if (Status s = proof::verify_inclusion(leaf, seq, size, path, checkpoint.root); !s.is_ok()) {
    return data_loss(std::string(backend.remote() ? "the server's" : "the stored") +
                     " tree does not prove entry " + std::to_string(seq) +
                     " against its own checkpoint (" + s.message() + "); " + check_advice(backend));
  }
  std::cout << json::ObjectWriter(true)
                   .string("kind", "inclusion")
                   .string("origin", info.origin)
                   .number("index", seq)
                   .number("size", size)
                   .string("leaf_hash", to_hex(leaf))
                   .string("entry", to_base64(bytes))
                   .strings("path", hex_list(path))
                   .string("checkpoint", note)
                   .finish()
            << '\n';
  return Status::ok();
}

Status prove_consistency(const Args& args, Backend& backend, const schemas::LedgerInfo& info) {
  const std::string sizes =
      "sizes run from 1 to the ledger's " + std::to_string(info.size) + " entries";
  PASSBOOK_ASSIGN_OR_RETURN(uint64_t size1,
                            size_option(args, "from", 1, info.size, std::nullopt, sizes));
  PASSBOOK_ASSIGN_OR_RETURN(uint64_t size2, size_option(args, "to", size1, info.size, info.size,
                                                        "--to must be at least --from; " + sizes));
  const uint64_t search = checkpoint_search(backend);
  PASSBOOK_ASSIGN_OR_RETURN(std::string note1,
                            checkpoint_for(backend, size1, info.size, "from", search));
  PASSBOOK_ASSIGN_OR_RETURN(std::string note2,
                            checkpoint_for(backend, size2, info.size, "to", search));
  PASSBOOK_ASSIGN_OR_RETURN(std::vector<Hash32> proof_hashes,
                            backend.consistency_proof(size1, size2));
  PASSBOOK_ASSIGN_OR_RETURN(proof::Checkpoint checkpoint1,
                            own_checkpoint(backend, info, note1, size1));
  PASSBOOK_ASSIGN_OR_RETURN(proof::Checkpoint checkpoint2,
                            own_checkpoint(backend, info, note2, size2));
  if (Status s =
          proof::verify_consistency(size1, size2, proof_hashes, checkpoint1.root, checkpoint2.root);
      !s.is_ok()) {
    return data_loss(std::string(backend.remote() ? "the server's" : "the stored") +
                     " tree does not prove its own checkpoints consistent (" + s.message() + "); " +
                     check_advice(backend));
  }
  std::cout << json::ObjectWriter(true)
                   .string("kind", "consistency")
                   .string("origin", info.origin)
                   .number("size1", size1)
                   .number("size2", size2)
                   .strings("proof", hex_list(proof_hashes))
                   .string("checkpoint1", note1)
                   .string("checkpoint2", note2)
                   .finish()
            << '\n';
  return Status::ok();
}

Status run_prove(const Args& args) {
  const bool inclusion = args.has("seq");
  const bool consistency = args.has("from") || args.has("to");
  if (inclusion == consistency) {
    return invalid_argument(
        "give either --seq N [--size M] for an inclusion proof or --from M [--to N] for a "
        "consistency proof");
  }
  if (consistency && args.has("size")) {
    return invalid_argument("--size goes with --seq; a consistency proof takes --from and --to");
  }
  if (consistency && !args.has("from")) return invalid_argument("--from is required with --to");
  PASSBOOK_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_backend(args, false));
  PASSBOOK_ASSIGN_OR_RETURN(schemas::LedgerInfo info, backend->info());
  if (info.size == 0) return failed_precondition("the ledger has no entries to prove");
  PASSBOOK_RETURN_IF_ERROR(inclusion ? prove_inclusion(args, *backend, info)
                                     : prove_consistency(args, *backend, info));
  return backend->close();
}

// ---- check-proof ---------------------------------------------------------------------------
//
// Status codes inside: InvalidArgument means the command line or the file is malformed (exit
// 2); DataLoss means the proof does not hold (exit 4).

class FileCloser {
 public:
  void operator()(std::FILE* f) const {
    if (f != nullptr && f != stdin) std::fclose(f);
  }
};

// The whole of `file` ("-": standard input), refused beyond `limit` bytes.
Result<std::string> read_bounded(const std::string& file, size_t limit, const std::string& what) {
  const std::string name = file == "-" ? "standard input" : file;
  std::unique_ptr<std::FILE, FileCloser> f(file == "-" ? stdin : std::fopen(file.c_str(), "rb"));
  if (!f) {
    const int error = errno;
    return invalid_argument("cannot read " + name + ": " + std::generic_category().message(error));
  }
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof buffer, f.get());
    out.append(buffer, n);
    if (out.size() > limit) {
      std::string message = name;
      message += " is larger than " + std::to_string(limit) + " bytes; ";
      message += what;
      message += " is never that large";
      return invalid_argument(message);
    }
    if (n < sizeof buffer) break;
  }
  if (std::ferror(f.get()) != 0) return invalid_argument("cannot read " + name);
  return out;
}

// --key: a verifier key, or a file that holds one.
Result<proof::NoteVerifier> verifier_from(const std::string& text) {
  auto parsed = proof::parse_verifier_key(text);
  if (parsed.is_ok()) return parsed;
  std::error_code ec;
  if (text.find('+') == std::string::npos && std::filesystem::is_regular_file(text, ec)) {
    PASSBOOK_ASSIGN_OR_RETURN(std::string content,
                              read_bounded(text, kMaxKeyFileBytes, "a verifier key"));
    const size_t begin = content.find_first_not_of(" \t\r\n");
    const size_t end = content.find_last_not_of(" \t\r\n");
    const std::string key =
        begin == std::string::npos ? "" : content.substr(begin, end - begin + 1);
    auto from_file = proof::parse_verifier_key(key);
    if (from_file.is_ok()) return from_file;
    return invalid_argument("the file " + text +
                            " does not hold a verifier key: " + from_file.status().message());
  }
  return invalid_argument(
      "--key must be the ledger's verifier key (passbook info prints it, e.g. "
      "example.org/passbook+1a2b3c4d+AX…) or a file that holds it: " +
      parsed.status().message());
}

struct ProofFile {
  bool inclusion = true;
  std::optional<std::string> origin;
  // inclusion
  uint64_t index = 0;
  uint64_t size = 0;
  Hash32 leaf{};
  std::optional<std::string> entry;  // the entry's bytes, when the proof carries them
  std::string checkpoint;
  // consistency
  uint64_t size1 = 0;
  uint64_t size2 = 0;
  std::string checkpoint2;
  // path (inclusion) or proof (consistency)
  std::vector<Hash32> hashes;
};

class FieldReader {
 public:
  explicit FieldReader(const json::Value& object) : object_(object) {}

  Result<const json::Value*> get(const std::string& key, json::Value::Kind kind,
                                 bool required) const {
    const json::Value* value = object_.find(key);
    if (value == nullptr) {
      if (required) return invalid_argument("the proof has no \"" + key + "\" field");
      return static_cast<const json::Value*>(nullptr);
    }
    if (value->kind != kind) {
      return invalid_argument("the proof's \"" + key + "\" must be " +
                              std::string(json::kind_name(kind)) + ", not " +
                              std::string(json::kind_name(value->kind)));
    }
    return value;
  }
  Result<std::string> string(const std::string& key) const {
    PASSBOOK_ASSIGN_OR_RETURN(const json::Value* value, get(key, json::Value::Kind::kString, true));
    return value->text;
  }
  Result<std::optional<std::string>> optional_string(const std::string& key) const {
    PASSBOOK_ASSIGN_OR_RETURN(const json::Value* value,
                              get(key, json::Value::Kind::kString, false));
    if (value == nullptr) return std::optional<std::string>();
    return std::optional<std::string>(value->text);
  }
  Result<uint64_t> number(const std::string& key) const {
    PASSBOOK_ASSIGN_OR_RETURN(const json::Value* value, get(key, json::Value::Kind::kNumber, true));
    return json::to_u64(*value, "the proof's \"" + key + "\"");
  }
  static Result<Hash32> hash(const std::string& text, const std::string& what) {
    auto hash = text.size() == 64 ? array_from_hex<32>(text) : std::nullopt;
    if (!hash) return invalid_argument(what + " must be 64 hex digits (a SHA-256 hash)");
    return *hash;
  }
  Result<std::vector<Hash32>> hashes(const std::string& key, size_t max) const {
    PASSBOOK_ASSIGN_OR_RETURN(const json::Value* value, get(key, json::Value::Kind::kArray, true));
    if (value->array.size() > max) {
      return invalid_argument("the proof's \"" + key + "\" has " +
                              std::to_string(value->array.size()) +
                              " hashes; no proof has more than " + std::to_string(max));
    }
    std::vector<Hash32> out;
    for (size_t i = 0; i < value->array.size(); ++i) {
      const json::Value& element = value->array[i];
      const std::string what = "\"" + key + "\"[" + std::to_string(i) + "]";
      if (element.kind != json::Value::Kind::kString) {
        return invalid_argument("the proof's " + what + " must be a string");
      }
      PASSBOOK_ASSIGN_OR_RETURN(Hash32 h, hash(element.text, "the proof's " + what));
      out.push_back(h);
    }
    return out;
  }

 private:
  const json::Value& object_;
};

Result<ProofFile> parse_proof_file(std::string_view text) {
  json::Limits limits;
  limits.max_bytes = kMaxProofFileBytes;
  auto parsed = json::parse(text, limits);
  if (!parsed.is_ok()) {
    return invalid_argument("the proof file is not valid JSON: " + parsed.status().message());
  }
  const json::Value& root = *parsed;
  if (root.kind != json::Value::Kind::kObject) {
    return invalid_argument("the proof file must hold a JSON object, not " +
                            std::string(json::kind_name(root.kind)));
  }
  FieldReader fields(root);
  ProofFile p;
  PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> kind, fields.optional_string("kind"));
  if (kind) {
    if (*kind != "inclusion" && *kind != "consistency") {
      return invalid_argument(
          "the proof's \"kind\" must be \"inclusion\" or \"consistency\", not " +
          json::quote(*kind));
    }
    p.inclusion = *kind == "inclusion";
  } else if (root.find("index") != nullptr) {
    p.inclusion = true;
  } else if (root.find("size1") != nullptr) {
    p.inclusion = false;
  } else {
    return invalid_argument(
        "the file is neither an inclusion proof (no \"index\") nor a consistency proof (no "
        "\"size1\")");
  }
  const std::vector<std::string> allowed =
      p.inclusion ? std::vector<std::string>{"kind",      "origin", "index", "size",
                                             "leaf_hash", "entry",  "path",  "checkpoint"}
                  : std::vector<std::string>{"kind",  "origin",      "size1",      "size2",
                                             "proof", "checkpoint1", "checkpoint2"};
  for (const auto& member : root.object) {
    if (std::find(allowed.begin(), allowed.end(), member.key) == allowed.end()) {
      return invalid_argument(std::string("an ") + (p.inclusion ? "inclusion" : "consistency") +
                              " proof has no field " + json::quote(member.key));
    }
  }
  PASSBOOK_ASSIGN_OR_RETURN(p.origin, fields.optional_string("origin"));
  if (p.inclusion) {
    PASSBOOK_ASSIGN_OR_RETURN(p.index, fields.number("index"));
    PASSBOOK_ASSIGN_OR_RETURN(p.size, fields.number("size"));
    PASSBOOK_ASSIGN_OR_RETURN(std::string leaf, fields.string("leaf_hash"));
    PASSBOOK_ASSIGN_OR_RETURN(p.leaf, FieldReader::hash(leaf, "the proof's \"leaf_hash\""));
    PASSBOOK_ASSIGN_OR_RETURN(std::optional<std::string> entry, fields.optional_string("entry"));
    if (entry) {
      p.entry = from_base64(*entry);
      if (!p.entry) return invalid_argument("the proof's \"entry\" is not base64");
    }
    PASSBOOK_ASSIGN_OR_RETURN(p.hashes, fields.hashes("path", proof::kMaxInclusionProofHashes));
    PASSBOOK_ASSIGN_OR_RETURN(p.checkpoint, fields.string("checkpoint"));
  } else {
    PASSBOOK_ASSIGN_OR_RETURN(p.size1, fields.number("size1"));
    PASSBOOK_ASSIGN_OR_RETURN(p.size2, fields.number("size2"));
    PASSBOOK_ASSIGN_OR_RETURN(p.hashes, fields.hashes("proof", proof::kMaxConsistencyProofHashes));
    PASSBOOK_ASSIGN_OR_RETURN(p.checkpoint, fields.string("checkpoint1"));
    PASSBOOK_ASSIGN_OR_RETURN(p.checkpoint2, fields.string("checkpoint2"));
  }
  return p;
}

// What check-proof found to hold, printed before the failure when the proof as a whole fails.
using Findings = std::vector<std::string>;

// Opens a checkpoint note of the proof with the verifier key. Every failure is DataLoss: the
// file parsed, but what it claims does not hold.
Result<proof::Checkpoint> open_checkpoint(const std::string& note,
                                          const proof::NoteVerifier& verifier,
                                          const std::string& which, uint64_t claimed_size,
                                          Findings& held) {
  const std::string signer = signer_name(verifier);
  auto text = proof::open_note(note, verifier);
  if (!text.is_ok()) {
    switch (text.status().code()) {
      case Status::Code::kUnauthenticated:
        return data_loss(which + " carries no signature by " + signer +
                         ", the key given with --key; it was signed by another key, or --key is "
                         "not this ledger's verifier key");
      case Status::Code::kDataLoss:
        return data_loss(which + "'s signature by " + signer +
                         " does not verify: its text was altered or the signature forged");
      default:
        return data_loss(which + " is not a valid signed note: " + text.status().message());
    }
  }
  auto checkpoint = proof::parse_checkpoint(*text);
  if (!checkpoint.is_ok()) {
    return data_loss(which +
                     " is signed but is not a valid checkpoint: " + checkpoint.status().message());
  }
  if (checkpoint->origin != verifier.name) {
    return data_loss(which + " is for the log \"" + checkpoint->origin + "\", not for \"" +
                     verifier.name + "\" whose key was given");
  }
  held.push_back(which + " is genuine: " + verifier.name + " at size " +
                 std::to_string(checkpoint->size) + ", root " + to_hex(checkpoint->root) +
                 ", signed by " + signer);
  if (checkpoint->size != claimed_size) {
    return data_loss(which + " is for size " + std::to_string(checkpoint->size) +
                     ", but the proof is for size " + std::to_string(claimed_size));
  }
  return checkpoint;
}

Status check_origin(const ProofFile& p, const proof::NoteVerifier& verifier) {
  if (p.origin && *p.origin != verifier.name) {
    return data_loss("the proof names the log \"" + *p.origin + "\", but its checkpoint is for \"" +
                     verifier.name + "\"");
  }
  return Status::ok();
}

Status check_inclusion(const ProofFile& p, const proof::NoteVerifier& verifier, Findings& held) {
  PASSBOOK_ASSIGN_OR_RETURN(
      proof::Checkpoint checkpoint,
      open_checkpoint(p.checkpoint, verifier, "the checkpoint", p.size, held));
  PASSBOOK_RETURN_IF_ERROR(check_origin(p, verifier));
  const std::string name = "entry " + std::to_string(p.index);
  std::string entry_note = "The proof carries only the entry's leaf hash, not its bytes.";
  if (p.entry) {
    if (proof::leaf_hash(*p.entry) != p.leaf) {
      return data_loss("the entry bytes in the proof do not hash to its leaf_hash " +
                       to_hex(p.leaf) + ": the entry or the hash was altered");
    }
    auto entry = schemas::decode<schemas::Entry>(*p.entry, "the entry in the proof");
    if (!entry.is_ok()) return data_loss(entry.status().message());
    if (entry->seq != p.index) {
      return data_loss("the entry in the proof is entry " + std::to_string(entry->seq) +
                       ", but the proof is for index " + std::to_string(p.index));
    }
    held.push_back("the entry bytes in the proof hash to its leaf_hash and decode as " + name);
    entry_note = "The entry's bytes are in the proof: they hash to its leaf hash and decode as " +
                 name + ", committed " + format_time(entry->commit_ms, 0) + " UTC.";
  }
  if (Status s = proof::verify_inclusion(p.leaf, p.index, p.size, p.hashes, checkpoint.root);
      !s.is_ok()) {
    return data_loss(
        s.message() +
        (s.code() == Status::Code::kDataLoss
             ? " signed in the checkpoint; the path or the leaf hash was altered, or the "
               "ledger's tree does not contain this entry"
             : ""));
  }
  std::cout << "Entry " << p.index << " is included in the ledger " << verifier.name << " at size "
            << p.size << ", signed by " << signer_name(verifier) << ".\n"
            << "  leaf hash  " << to_hex(p.leaf) << "\n"
            << "  root       " << to_hex(checkpoint.root) << "\n"
            << entry_note << "\n";
  return Status::ok();
}

Status check_consistency(const ProofFile& p, const proof::NoteVerifier& verifier, Findings& held) {
  PASSBOOK_ASSIGN_OR_RETURN(
      proof::Checkpoint checkpoint1,
      open_checkpoint(p.checkpoint, verifier, "the old checkpoint (checkpoint1)", p.size1, held));
  PASSBOOK_ASSIGN_OR_RETURN(
      proof::Checkpoint checkpoint2,
      open_checkpoint(p.checkpoint2, verifier, "the new checkpoint (checkpoint2)", p.size2, held));
  PASSBOOK_RETURN_IF_ERROR(check_origin(p, verifier));
  if (Status s =
          proof::verify_consistency(p.size1, p.size2, p.hashes, checkpoint1.root, checkpoint2.root);
      !s.is_ok()) {
    return data_loss(
        s.message() +
        (s.code() == Status::Code::kDataLoss
             ? "; the proof was altered, or the ledger rewrote its history between the "
               "two checkpoints"
             : ""));
  }
  std::cout << "The ledger " << verifier.name << " at size " << p.size2
            << " extends its checkpoint at size " << p.size1 << ": the first " << p.size1
            << " entries are unchanged. Both checkpoints are signed by " << signer_name(verifier)
            << ".\n"
            << "  root at " << p.size1 << "  " << to_hex(checkpoint1.root) << "\n"
            << "  root at " << p.size2 << "  " << to_hex(checkpoint2.root) << "\n";
  return Status::ok();
}

Status check_proof(const Args& args) {
  if (args.positionals().size() != 1) {
    return invalid_argument(
        "name the proof file (as passbook prove writes it), or - for standard input");
  }
  PASSBOOK_ASSIGN_OR_RETURN(std::string key, args.required("key"));
  PASSBOOK_ASSIGN_OR_RETURN(proof::NoteVerifier verifier, verifier_from(key));
  PASSBOOK_ASSIGN_OR_RETURN(std::string text,
                            read_bounded(args.positionals()[0], kMaxProofFileBytes, "a proof"));
  PASSBOOK_ASSIGN_OR_RETURN(ProofFile p, parse_proof_file(text));
  Findings held;
  Status status =
      p.inclusion ? check_inclusion(p, verifier, held) : check_consistency(p, verifier, held);
  if (status.code() != Status::Code::kDataLoss) return status;
  if (!held.empty()) {
    std::cout << "What holds:\n";
    for (const auto& fact : held) std::cout << "  - " << fact << "\n";
  }
  return data_loss("the proof does NOT hold: " + status.message());
}

Status run_check_proof(const Args& args) {
  Status status = check_proof(args);
  if (status.code() != Status::Code::kInvalidArgument) return status;
  // A malformed file or command line: exit 2, not the 3 (refused by the ledger) that
  // exit_code_for gives InvalidArgument. Everything but `status` is already destroyed.
  std::cout.flush();
  std::cerr << "passbook check-proof: " << status.message() << "\n";
  std::exit(kExitUsage);  // NOLINT(concurrency-mt-unsafe): the CLI is single-threaded here
}

// The backend's options (--data, or --server and its --key), then the command's own.
std::vector<OptionSpec> with_backend(std::vector<OptionSpec> options,
                                     const std::string& server_help = "") {
  std::vector<OptionSpec> all = backend_options();
  for (auto& option : all) {
    if (option.name == "server" && !server_help.empty()) option.help = server_help;
  }
  all.push_back(
      {"key", true, "with --server: the auditor's (or admin's) key file that opens the session"});
  all.insert(all.end(), options.begin(), options.end());
  return all;
}

}  // namespace

std::vector<Command> audit_commands() {
  return {
      {"export", "[--data DIR | --server HOST:PORT --key FILE] [--from SEQ] [--to SEQ]",
       "write entries and signed checkpoints as JSON lines, for independent checking",
       with_backend(
           {{"from", true, "the first entry to export (default: 0)"},
            {"to", true, "the last entry to export (default: the newest)"}},
           "HOST:PORT of a passbookd. A remote export has every entry but, to spare the server a "
           "request per entry, only some checkpoints: the latest (it covers them all), the one "
           "--to completes and at most one more per " +
               std::to_string(schemas::kMaxEntriesPage) + " entries; a local export has every one"),
       0, run_export},
      {"prove",
       "[--data DIR | --server HOST:PORT --key FILE] (--seq SEQ [--size SIZE] | --from SIZE "
       "[--to SIZE])",
       "write an inclusion or consistency proof with its signed checkpoint(s) as JSON",
       with_backend(
           {{"seq", true, "prove that this entry is in the ledger"},
            {"size", true,
             "... in the tree of this size (default: the latest; it needs a checkpoint)"},
            {"from", true, "prove that the tree of this size ..."},
            {"to", true, "... is contained in the tree of this size (default: the latest)"}}),
       0, run_prove},
      {"check-proof",
       "FILE --key VKEY",
       "check a proof offline: exit 0 it holds, 4 it does not, 2 malformed (FILE - is stdin)",
       {{"key", true, "the ledger's verifier key (passbook info prints it), or a file holding it"}},
       1,
       run_check_proof},
  };
}

}  // namespace passbook::cli
