// Adapter for WiredTiger (Debian libwiredtiger-dev 3.2.1), configured per its "Durability"
// and "Cache and eviction tuning" docs: a row-store table with raw byte keys and values, the
// cache sized to the shared budget, write-ahead logging on. Non-sync writes commit with
// transaction_sync disabled (the log record is buffered and written by WiredTiger's log
// thread moments later); sync writes commit with sync=on (log fsynced). A checkpoint every
// 60 s bounds recovery. One session (with its cursor) per thread, as the docs require.
#include <wiredtiger.h>

#include <memory>

#include "adapter.h"

namespace jadedb::bench {
namespace {

constexpr char kTable[] = "table:bench";

Status FromWt(int rc, const char* what) {
  if (rc == 0) return Status::OK();
  if (rc == WT_NOTFOUND) return Status::NotFound(what);
  return Status::IOError(what, wiredtiger_strerror(rc));
}

WT_ITEM ToItem(std::string_view s) {
  WT_ITEM item{};
  item.data = s.data();
  item.size = s.size();
  return item;
}

class WtCursor : public Cursor {
 public:
  explicit WtCursor(WT_CURSOR* c) : c_(c) {}
  ~WtCursor() override {
    if (c_ != nullptr) c_->close(c_);
  }
  void Seek(std::string_view target) override {
    if (target.empty()) {
      c_->reset(c_);
      valid_ = c_->next(c_) == 0;
    } else {
      WT_ITEM k = ToItem(target);
      c_->set_key(c_, &k);
      int exact = 0;
      valid_ = c_->search_near(c_, &exact) == 0;
      if (valid_ && exact < 0) valid_ = c_->next(c_) == 0;
    }
    Load();
  }
  bool Valid() const override { return valid_; }
  void Next() override {
    valid_ = c_->next(c_) == 0;
    Load();
  }
  std::string_view key() const override {
    return std::string_view(static_cast<const char*>(key_.data), key_.size);
  }
  std::string_view value() const override {
    return std::string_view(static_cast<const char*>(value_.data), value_.size);
  }

 private:
  void Load() {
    if (valid_) valid_ = c_->get_key(c_, &key_) == 0 && c_->get_value(c_, &value_) == 0;
  }
  WT_CURSOR* c_;
  WT_ITEM key_{}, value_{};
  bool valid_ = false;
};

// A thread's session and its point-operation cursor; closed by WT_CONNECTION::close.
struct ThreadState {
  WT_SESSION* session = nullptr;
  WT_CURSOR* cursor = nullptr;
};

class WiredTigerAdapter : public Adapter {
 public:
  ~WiredTigerAdapter() override { Close(); }

  Status Open(const std::string& dir, const BenchSettings& settings) override {
    std::string config = "create,cache_size=" + std::to_string(settings.cache_bytes >> 20) +
                         "MB,log=(enabled=true),transaction_sync=(enabled=false)," +
                         "checkpoint=(wait=60),session_max=256";
    std::string table_config = "key_format=u,value_format=u";
    if (settings.compression == "snappy") {
      config += ",extensions=[/usr/lib/x86_64-linux-gnu/libwiredtiger_snappy.so]";
      table_config += ",block_compressor=snappy";
    } else if (settings.compression != "none") {
      return Status::NotSupported("wiredtiger package has no codec", settings.compression);
    }
    settings_ =
        "cache_size=" + std::to_string(settings.cache_bytes >> 20) +
        "MB row-store btree, log on, checkpoint every 60s, compression=" + settings.compression +
        "; sync=false -> commit with transaction_sync off (log buffered, written by "
        "the log thread), sync=true -> commit sync=on (log fsync)";
    int rc = wiredtiger_open(dir.c_str(), nullptr, config.c_str(), &conn_);
    if (rc != 0) {
      conn_ = nullptr;
      return FromWt(rc, "wiredtiger_open");
    }
    WT_SESSION* session = nullptr;
    rc = conn_->open_session(conn_, nullptr, nullptr, &session);
    if (rc != 0) return FromWt(rc, "open_session");
    rc = session->create(session, kTable, table_config.c_str());
    session->close(session, nullptr);
    return FromWt(rc, "create table");
  }

  Status Put(std::string_view key, std::string_view value, bool sync) override {
    ThreadState* t = State();
    if (t == nullptr) return Status::IOError("wiredtiger session");
    WT_ITEM k = ToItem(key), v = ToItem(value);
    if (!sync) {
      t->cursor->set_key(t->cursor, &k);
      t->cursor->set_value(t->cursor, &v);
      return FromWt(t->cursor->insert(t->cursor), "insert");
    }
    int rc = t->session->begin_transaction(t->session, nullptr);
    if (rc != 0) return FromWt(rc, "begin_transaction");
    t->cursor->set_key(t->cursor, &k);
    t->cursor->set_value(t->cursor, &v);
    rc = t->cursor->insert(t->cursor);
    if (rc != 0) {
      t->session->rollback_transaction(t->session, nullptr);
      return FromWt(rc, "insert");
    }
    return FromWt(t->session->commit_transaction(t->session, "sync=on"), "commit");
  }
  Status Get(std::string_view key, std::string* value) override {
    ThreadState* t = State();
    if (t == nullptr) return Status::IOError("wiredtiger session");
    WT_ITEM k = ToItem(key);
    t->cursor->set_key(t->cursor, &k);
    int rc = t->cursor->search(t->cursor);
    if (rc == 0) {
      WT_ITEM v{};
      rc = t->cursor->get_value(t->cursor, &v);
      if (rc == 0) value->assign(static_cast<const char*>(v.data), v.size);
    }
    t->cursor->reset(t->cursor);
    return FromWt(rc, "search");
  }
  Status Delete(std::string_view key, bool sync) override {
    ThreadState* t = State();
    if (t == nullptr) return Status::IOError("wiredtiger session");
    WT_ITEM k = ToItem(key);
    if (sync) {
      int rc = t->session->begin_transaction(t->session, nullptr);
      if (rc != 0) return FromWt(rc, "begin_transaction");
    }
    t->cursor->set_key(t->cursor, &k);
    int rc = t->cursor->remove(t->cursor);
    if (rc == WT_NOTFOUND) rc = 0;
    if (sync) {
      if (rc != 0) {
        t->session->rollback_transaction(t->session, nullptr);
        return FromWt(rc, "remove");
      }
      rc = t->session->commit_transaction(t->session, "sync=on");
    }
    return FromWt(rc, "remove");
  }
  Status WriteBatch(const std::vector<KeyValue>& puts, bool sync) override {
    ThreadState* t = State();
    if (t == nullptr) return Status::IOError("wiredtiger session");
    int rc = t->session->begin_transaction(t->session, nullptr);
    if (rc != 0) return FromWt(rc, "begin_transaction");
    for (const auto& [key, value] : puts) {
      WT_ITEM k = ToItem(key), v = ToItem(value);
      t->cursor->set_key(t->cursor, &k);
      t->cursor->set_value(t->cursor, &v);
      rc = t->cursor->insert(t->cursor);
      if (rc != 0) {
        t->session->rollback_transaction(t->session, nullptr);
        return FromWt(rc, "insert");
      }
    }
    return FromWt(t->session->commit_transaction(t->session, sync ? "sync=on" : nullptr), "commit");
  }
  std::unique_ptr<Cursor> NewCursor() override {
    ThreadState* t = State();
    WT_CURSOR* c = nullptr;
    if (t == nullptr || t->session->open_cursor(t->session, kTable, nullptr, nullptr, &c) != 0) {
      c = nullptr;
    }
    return std::make_unique<WtCursor>(c);
  }
  Status Close() override {
    threads_.Clear();
    if (conn_ == nullptr) return Status::OK();
    int rc = conn_->close(conn_, nullptr);
    conn_ = nullptr;
    return FromWt(rc, "close");
  }
  std::string Settings() const override { return settings_; }

 private:
  ThreadState* State() {
    ThreadState* t = threads_.Get([this] {
      auto s = std::make_unique<ThreadState>();
      if (conn_->open_session(conn_, nullptr, nullptr, &s->session) != 0 ||
          s->session->open_cursor(s->session, kTable, nullptr, nullptr, &s->cursor) != 0) {
        s->session = nullptr;
      }
      return s;
    });
    return t->session == nullptr ? nullptr : t;
  }

  WT_CONNECTION* conn_ = nullptr;
  PerThread<ThreadState> threads_;
  std::string settings_;
};

}  // namespace

std::unique_ptr<Adapter> NewWiredTigerAdapter() { return std::make_unique<WiredTigerAdapter>(); }

}  // namespace jadedb::bench
