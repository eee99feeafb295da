#include "storage/state_store.h"

#include <algorithm>
#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <fmt/format.h>

#include "storage/data_dir_lock.h"

namespace tideway::storage {
namespace {

// Bumped when the meaning of stored keys or values changes incompatibly; a daemon
// refuses a store written in a format it does not know instead of misreading it.
constexpr std::string_view kFormatVersionKey = "tideway.format_version";
constexpr std::string_view kFormatVersion = "1";

constexpr const char* kFamilyNames[kFamilyCount] = {"tasks", "checkpoints", "progress",
                                                    "journal", "schemas"};

Error to_error(const rocksdb::Status& s, const std::string& context) {
  ErrorCode code = ErrorCode::kIo;
  if (s.IsCorruption()) code = ErrorCode::kCorruption;
  if (s.IsInvalidArgument()) code = ErrorCode::kInvalidArgument;
  if (s.IsNotFound()) code = ErrorCode::kNotFound;
  return make_error(code, fmt::format("{}: {}", context, s.ToString()));
}

rocksdb::WriteOptions write_options(Durability d) {
  rocksdb::WriteOptions o;
  o.sync = d == Durability::kSynced;
  return o;
}

// Small, bounded memory: the store holds positions and progress, not table data.
rocksdb::ColumnFamilyOptions family_options() {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = 4 << 20;
  o.max_write_buffer_number = 2;
  return o;
}

}  // namespace

const char* family_name(Family family) { return kFamilyNames[static_cast<int>(family)]; }

WriteSet::WriteSet() = default;
WriteSet::~WriteSet() = default;
WriteSet::WriteSet(WriteSet&&) noexcept = default;

void WriteSet::put(Family family, std::string_view key, std::string_view value) {
  ops_.push_back({family, false, std::string(key), std::string(value)});
}

void WriteSet::remove(Family family, std::string_view key) {
  ops_.push_back({family, true, std::string(key), {}});
}

StateStore::StateStore(std::string data_dir, std::unique_ptr<DataDirLock> lock)
    : data_dir_(std::move(data_dir)), lock_(std::move(lock)) {}

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& data_dir) {
  auto lock = DataDirLock::acquire(data_dir);
  if (!lock.ok()) return std::move(lock).error();
  std::unique_ptr<StateStore> store(new StateStore(data_dir, std::move(lock).value()));
  if (Status s = store->open_db(false); !s.ok()) return std::move(s).error();
  if (Status s = store->check_format_version(); !s.ok()) return std::move(s).error();
  return store;
}

Result<std::unique_ptr<StateStore>> StateStore::open_read_only(const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir + "/state", ec)) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("no state store in {} (no {}/state directory)", data_dir,
                                  data_dir));
  }
  std::unique_ptr<StateStore> store(new StateStore(data_dir, nullptr));
  if (Status s = store->open_db(true); !s.ok()) return std::move(s).error();
  return store;
}

Status StateStore::open_db(bool read_only) {
  const std::string path = data_dir_ + "/state";
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  db_options.max_open_files = 256;
  db_options.keep_log_file_num = 5;
  db_options.max_total_wal_size = 64 << 20;

  // Open every family the store has, ours and any a newer version added, so RocksDB does
  // not refuse the open; families we do not know are left alone.
  std::vector<std::string> existing;
  // A new store lists nothing, and a damaged one is reported by Open below, so a failed
  // listing needs no handling of its own.
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, path, &existing);
  if (!listed.ok()) existing.clear();
  std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName};
  for (const char* n : kFamilyNames) names.emplace_back(n);
  for (const auto& n : existing) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, family_options());

  rocksdb::Status s =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles_, &db_)
                : rocksdb::DB::Open(db_options, path, descriptors, &handles_, &db_);
  if (!s.ok()) {
    db_ = nullptr;
    handles_.clear();
    if (s.IsCorruption()) {
      return make_error(ErrorCode::kCorruption,
                        fmt::format("state store {} is corrupt ({}); restore it from a backup, or "
                                    "move it aside to start with no tasks (their positions are "
                                    "then lost and each task needs a new full load)",
                                    path, s.ToString()));
    }
    return to_error(s, fmt::format("cannot open state store {}", path));
  }
  return {};
}

Status StateStore::check_format_version() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[0], std::string(kFormatVersionKey),
                               &value);
  if (s.IsNotFound()) {
    s = db_->Put(write_options(Durability::kSynced), handles_[0], std::string(kFormatVersionKey),
                 std::string(kFormatVersion));
    if (!s.ok()) return to_error(s, "cannot initialise state store");
    return {};
  }
  if (!s.ok()) return to_error(s, "cannot read state store format version");
  if (value != kFormatVersion) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("state store {}/state has format version {}, this tideway "
                                  "understands {}; run the tideway version that wrote it",
                                  data_dir_, value, kFormatVersion));
  }
  return {};
}

StateStore::~StateStore() { close().ignore_error(); }

Status StateStore::close() {
  if (db_ == nullptr) return {};
  Status result;
  rocksdb::Status s = lock_ ? db_->FlushWAL(true) : rocksdb::Status::OK();
  if (!s.ok()) result = to_error(s, "cannot flush state store WAL on close");
  for (auto* h : handles_) {
    rocksdb::Status ds = db_->DestroyColumnFamilyHandle(h);
    (void)ds;  // Only fails for the default handle, which it does not destroy.
  }
  handles_.clear();
  s = db_->Close();
  if (!s.ok() && result.ok()) result = to_error(s, "cannot close state store");
  delete db_;
  db_ = nullptr;
  return result;
}

rocksdb::ColumnFamilyHandle* StateStore::handle(Family family) const {
  return handles_[1 + static_cast<std::size_t>(family)];
}

Status StateStore::put(Family family, std::string_view key, std::string_view value,
                       Durability durability) {
  if (db_ == nullptr) return make_error(ErrorCode::kUnavailable, "state store is closed");
  rocksdb::Status s = db_->Put(write_options(durability), handle(family),
                               rocksdb::Slice(key.data(), key.size()),
                               rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) return to_error(s, fmt::format("cannot write {} key", family_name(family)));
  return {};
}

Result<std::optional<std::string>> StateStore::get(Family family, std::string_view key) const {
  if (db_ == nullptr) return make_error(ErrorCode::kUnavailable, "state store is closed");
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(family),
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return to_error(s, fmt::format("cannot read {} key", family_name(family)));
  return std::optional<std::string>(std::move(value));
}

Status StateStore::remove(Family family, std::string_view key, Durability durability) {
  if (db_ == nullptr) return make_error(ErrorCode::kUnavailable, "state store is closed");
  rocksdb::Status s = db_->Delete(write_options(durability), handle(family),
                                  rocksdb::Slice(key.data(), key.size()));
  if (!s.ok()) return to_error(s, fmt::format("cannot delete {} key", family_name(family)));
  return {};
}

Status StateStore::write(const WriteSet& writes, Durability durability) {
  if (db_ == nullptr) return make_error(ErrorCode::kUnavailable, "state store is closed");
  rocksdb::WriteBatch batch;
  for (const auto& op : writes.ops_) {
    rocksdb::Status s = op.is_delete ? batch.Delete(handle(op.family), op.key)
                                     : batch.Put(handle(op.family), op.key, op.value);
    if (!s.ok()) return to_error(s, "cannot build state store batch");
  }
  rocksdb::Status s = db_->Write(write_options(durability), &batch);
  if (!s.ok()) return to_error(s, "cannot write state store batch");
  return {};
}

Status StateStore::scan_prefix(
    Family family, std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& visit,
    std::string_view from) const {
  if (db_ == nullptr) return make_error(ErrorCode::kUnavailable, "state store is closed");
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(family)));
  // A `from` outside the prefix would skip or leave it: start at the prefix then.
  const std::string_view start = from.substr(0, prefix.size()) == prefix && from > prefix
                                     ? from
                                     : prefix;
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) break;
    rocksdb::Slice v = it->value();
    if (!visit(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
  if (!it->status().ok()) {
    return to_error(it->status(), fmt::format("cannot scan {}", family_name(family)));
  }
  return {};
}

Result<std::optional<std::string>> StateStore::last_key(Family family,
                                                       std::string_view prefix) const {
  if (db_ == nullptr) return make_error(ErrorCode::kUnavailable, "state store is closed");
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(family)));
  // Every key with the prefix sorts below prefix + 0xff... as long as no key byte after
  // the prefix is 0xff; ours are printable. Seek there, then step back.
  std::string upper(prefix);
  upper.append(8, '\xff');
  it->SeekForPrev(upper);
  if (!it->status().ok()) {
    return to_error(it->status(), fmt::format("cannot read the last key of {}", family_name(family)));
  }
  if (!it->Valid()) return std::optional<std::string>();
  rocksdb::Slice k = it->key();
  if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(k.ToString());
}

}  // namespace tideway::storage
