// Adapter for LMDB (Debian liblmdb-dev). LMDB reads through its memory map, so it has no
// cache setting: the OS page cache holds its pages (the --cache-mb budget does not apply).
// Per LMDB's documentation for write-heavy use: MDB_NOSYNC, with an explicit mdb_env_sync
// after each sync=true write. Without MDB_WRITEMAP, LMDB writes pages with write(2) at
// commit, so a non-sync commit survives a process crash and is lost only on an OS crash or
// power loss, the same guarantee the other engines' non-sync writes give. Each write is one
// write transaction; each Get one read-only transaction. No compression (LMDB has none).
#include <lmdb.h>

#include <memory>

#include "adapter.h"

namespace jadedb::bench {
namespace {

Status FromMdb(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return Status::OK();
  if (rc == MDB_NOTFOUND) return Status::NotFound(what);
  return Status::IOError(what, mdb_strerror(rc));
}

MDB_val ToVal(std::string_view s) {
  MDB_val v;
  v.mv_size = s.size();
  v.mv_data = const_cast<char*>(s.data());
  return v;
}

std::string_view FromVal(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

class LmdbCursor : public Cursor {
 public:
  LmdbCursor(MDB_env* env, MDB_dbi dbi) {
    if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_) != MDB_SUCCESS) {
      txn_ = nullptr;
      return;
    }
    if (mdb_cursor_open(txn_, dbi, &cursor_) != MDB_SUCCESS) cursor_ = nullptr;
  }
  ~LmdbCursor() override {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  void Seek(std::string_view target) override {
    if (cursor_ == nullptr) return;
    if (target.empty()) {
      valid_ = mdb_cursor_get(cursor_, &key_, &value_, MDB_FIRST) == MDB_SUCCESS;
    } else {
      key_ = ToVal(target);
      valid_ = mdb_cursor_get(cursor_, &key_, &value_, MDB_SET_RANGE) == MDB_SUCCESS;
    }
  }
  bool Valid() const override { return valid_; }
  void Next() override { valid_ = mdb_cursor_get(cursor_, &key_, &value_, MDB_NEXT) == 0; }
  std::string_view key() const override { return FromVal(key_); }
  std::string_view value() const override { return FromVal(value_); }

 private:
  MDB_txn* txn_ = nullptr;
  MDB_cursor* cursor_ = nullptr;
  MDB_val key_{}, value_{};
  bool valid_ = false;
};

class LmdbAdapter : public Adapter {
 public:
  ~LmdbAdapter() override { Close(); }

  Status Open(const std::string& dir, const BenchSettings& settings) override {
    if (settings.compression != "none") {
      return Status::NotSupported("lmdb has no compression", settings.compression);
    }
    int rc = mdb_env_create(&env_);
    if (rc != 0) return FromMdb(rc, "mdb_env_create");
    // The map only reserves address space; the file grows as pages are used.
    mdb_env_set_mapsize(env_, size_t{64} << 30);
    mdb_env_set_maxreaders(env_, 256);
    // MDB_NOTLS: read transactions are not bound to a thread's slot, so a cursor may outlive
    // per-op transactions of the same thread. MDB_NORDAHEAD: random reads, per the docs.
    rc = mdb_env_open(env_, dir.c_str(), MDB_NOSYNC | MDB_NOTLS | MDB_NORDAHEAD, 0644);
    if (rc != 0) return FromMdb(rc, "mdb_env_open");
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return FromMdb(rc, "mdb_txn_begin");
    rc = mdb_dbi_open(txn, nullptr, 0, &dbi_);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return FromMdb(rc, "mdb_dbi_open");
    }
    return FromMdb(mdb_txn_commit(txn), "mdb_txn_commit");
  }

  Status Put(std::string_view key, std::string_view value, bool sync) override {
    return WriteTxn(sync, [&](MDB_txn* txn) {
      MDB_val k = ToVal(key), v = ToVal(value);
      return mdb_put(txn, dbi_, &k, &v, 0);
    });
  }
  Status Get(std::string_view key, std::string* value) override {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return FromMdb(rc, "mdb_txn_begin");
    MDB_val k = ToVal(key), v;
    rc = mdb_get(txn, dbi_, &k, &v);
    if (rc == 0) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    mdb_txn_abort(txn);
    return FromMdb(rc, "mdb_get");
  }
  Status Delete(std::string_view key, bool sync) override {
    return WriteTxn(sync, [&](MDB_txn* txn) {
      MDB_val k = ToVal(key);
      int rc = mdb_del(txn, dbi_, &k, nullptr);
      return rc == MDB_NOTFOUND ? 0 : rc;
    });
  }
  Status WriteBatch(const std::vector<KeyValue>& puts, bool sync) override {
    return WriteTxn(sync, [&](MDB_txn* txn) {
      for (const auto& [key, value] : puts) {
        MDB_val k = ToVal(key), v = ToVal(value);
        int rc = mdb_put(txn, dbi_, &k, &v, 0);
        if (rc != 0) return rc;
      }
      return 0;
    });
  }
  std::unique_ptr<Cursor> NewCursor() override { return std::make_unique<LmdbCursor>(env_, dbi_); }
  Status Close() override {
    if (env_ != nullptr) {
      mdb_env_sync(env_, 1);
      mdb_env_close(env_);
      env_ = nullptr;
    }
    return Status::OK();
  }
  std::string Settings() const override {
    return "no cache setting (reads via mmap + OS page cache; --cache-mb not applicable) "
           "mapsize=64GiB MDB_NOSYNC|MDB_NOTLS|MDB_NORDAHEAD compression=none (unsupported); "
           "sync=false -> commit written with write(2), sync=true -> commit + mdb_env_sync";
  }

 private:
  // One write transaction running fn; LMDB serializes writers itself.
  template <typename Fn>
  Status WriteTxn(bool sync, Fn fn) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return FromMdb(rc, "mdb_txn_begin");
    rc = fn(txn);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return FromMdb(rc, "mdb_put");
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return FromMdb(rc, "mdb_txn_commit");
    if (sync) return FromMdb(mdb_env_sync(env_, 1), "mdb_env_sync");
    return Status::OK();
  }

  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace

std::unique_ptr<Adapter> NewLmdbAdapter() { return std::make_unique<LmdbAdapter>(); }

}  // namespace jadedb::bench
