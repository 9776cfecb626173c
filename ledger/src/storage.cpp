#include "storage.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <vector>

namespace passbook::ledger {
namespace {

constexpr std::array<const char*, kColumnCount> kColumnNames = {
    "entries", "merkle", "checkpoints", "nonces", "state", "index", "meta"};

Status from_rocksdb(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::ok();
  const std::string detail = s.ToString();
  if (s.IsIOError() && detail.find("lock") != std::string::npos) {
    return unavailable("the data directory is in use by another passbook process (" + detail + ")");
  }
  if (s.IsCorruption()) return data_loss(std::string(what) + ": the database is damaged: " + detail);
  if (s.IsNoSpace() || detail.find("No space") != std::string::npos) {
    return resource_exhausted(std::string(what) + ": the disk is full: " + detail);
  }
  return unavailable(std::string(what) + ": " + detail);
}

rocksdb::ColumnFamilyOptions column_options(Column column) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  // Point lookups (nonces, state, merkle nodes) mostly miss or hit one key: bloom filters make
  // the misses cheap.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (column == Column::kEntries) {
    options.write_buffer_size = 64 << 20;
  }
  return options;
}

}  // namespace

struct Storage::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // [0] default, then one per Column

  rocksdb::ColumnFamilyHandle* cf(Column column) const {
    return handles[static_cast<size_t>(column) + 1];
  }
  ~Impl() {
    for (auto* handle : handles) {
      if (db && handle) db->DestroyColumnFamilyHandle(handle);
    }
    if (db) db->Close();
  }
};

struct Storage::Batch::Impl {
  rocksdb::WriteBatch batch;
};

Storage::Batch::Batch(Storage& storage) : impl_(std::make_unique<Impl>()), owner_(&storage) {}
Storage::Batch::~Batch() = default;

void Storage::Batch::put(Column column, std::string_view key, std::string_view value) {
  impl_->batch.Put(owner_->impl_->cf(column), rocksdb::Slice(key.data(), key.size()),
                   rocksdb::Slice(value.data(), value.size()));
}

void Storage::Batch::erase(Column column, std::string_view key) {
  impl_->batch.Delete(owner_->impl_->cf(column), rocksdb::Slice(key.data(), key.size()));
}

size_t Storage::Batch::byte_size() const { return impl_->batch.GetDataSize(); }
size_t Storage::Batch::count() const { return static_cast<size_t>(impl_->batch.Count()); }

Storage::Storage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Storage::~Storage() = default;

Result<std::unique_ptr<Storage>> Storage::open(const std::filesystem::path& dir, Mode mode) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir / "CURRENT", ec);
  if (mode == Mode::kCreate && exists) {
    return already_exists("a ledger already exists in " + dir.string());
  }
  if (mode != Mode::kCreate && !exists) {
    return not_found("there is no ledger in " + dir.string() + " (run passbook init first)");
  }
  rocksdb::DBOptions options;
  options.create_if_missing = mode == Mode::kCreate;
  options.create_missing_column_families = mode == Mode::kCreate;
  options.max_background_jobs = 2;
  options.paranoid_checks = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> columns;
  columns.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kColumnCount; ++i) {
    columns.emplace_back(kColumnNames[static_cast<size_t>(i)], column_options(static_cast<Column>(i)));
  }
  auto impl = std::make_unique<Impl>();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      mode == Mode::kReadOnly
          ? rocksdb::DB::OpenForReadOnly(options, dir.string(), columns, &impl->handles, &raw)
          : rocksdb::DB::Open(options, dir.string(), columns, &impl->handles, &raw);
  if (!s.ok()) {
    if (s.IsInvalidArgument() && s.ToString().find("olumn famil") != std::string::npos) {
      return data_loss("the database in " + dir.string() +
                       " does not have the column families of a passbook ledger: " + s.ToString());
    }
    return from_rocksdb(s, "opening " + dir.string());
  }
  impl->db.reset(raw);
  return std::unique_ptr<Storage>(new Storage(std::move(impl)));
}

Result<std::optional<std::string>> Storage::get(Column column, std::string_view key) const {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(column),
                                     rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(s, "reading"));
  return std::optional<std::string>(std::move(value));
}

Status Storage::write(Batch& batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return from_rocksdb(impl_->db->Write(options, &batch.impl_->batch), "writing");
}

Status Storage::scan(Column column, std::string_view start, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) const {
  rocksdb::ReadOptions options;
  options.fill_cache = false;  // scans (verify, export, history) should not evict hot rows
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(options, impl_->cf(column)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    const std::string_view k(key.data(), key.size());
    if (k.substr(0, prefix.size()) != prefix) break;
    const rocksdb::Slice value = it->value();
    if (!fn(k, std::string_view(value.data(), value.size()))) break;
  }
  return from_rocksdb(it->status(), "scanning");
}

Result<std::optional<std::pair<std::string, std::string>>> Storage::last(Column column) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(column)));
  it->SeekToLast();
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading"));
  if (!it->Valid()) return std::optional<std::pair<std::string, std::string>>();
  return std::optional(std::make_pair(it->key().ToString(), it->value().ToString()));
}

Result<std::optional<std::pair<std::string, std::string>>> Storage::last_before(
    Column column, std::string_view before) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(column)));
  it->SeekForPrev(rocksdb::Slice(before.data(), before.size()));
  if (it->Valid() && it->key() == rocksdb::Slice(before.data(), before.size())) it->Prev();
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading"));
  if (!it->Valid()) return std::optional<std::pair<std::string, std::string>>();
  return std::optional(std::make_pair(it->key().ToString(), it->value().ToString()));
}

Status Storage::clear(Column column) {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(column)));
  it->SeekToFirst();
  if (!it->Valid()) return from_rocksdb(it->status(), "clearing");
  const std::string first = it->key().ToString();
  it->SeekToLast();
  std::string end = it->key().ToString();
  end.push_back('\0');  // DeleteRange's end is exclusive
  PASSBOOK_RETURN_IF_ERROR(from_rocksdb(it->status(), "clearing"));
  batch.DeleteRange(impl_->cf(column), first, end);
  rocksdb::WriteOptions options;
  options.sync = true;
  return from_rocksdb(impl_->db->Write(options, &batch), "clearing");
}

}  // namespace passbook::ledger
