// Adapter for SQLite (Debian libsqlite3-dev): one WITHOUT ROWID table kv(k BLOB PRIMARY KEY,
// v BLOB), configured per sqlite.org's WAL documentation: journal_mode=WAL with
// synchronous=NORMAL for non-sync writes (a commit is written to the WAL file and survives a
// process crash; it may be lost on power loss) and synchronous=FULL for sync writes (the WAL
// is fsynced at each commit). Page cache per connection = the shared budget (cache_size
// pragma). One connection (with prepared statements) per thread. Each write is its own
// transaction; a batch is one BEGIN..COMMIT. No compression (SQLite has none).
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <system_error>

#include "adapter.h"

namespace jadedb::bench {
namespace {

Status SqlError(sqlite3* db, const char* what) {
  return Status::IOError(what, db != nullptr ? sqlite3_errmsg(db) : "no connection");
}

// A thread's connection and statements.
struct Conn {
  sqlite3* db = nullptr;
  sqlite3_stmt* put = nullptr;
  sqlite3_stmt* get = nullptr;
  sqlite3_stmt* del = nullptr;
  bool full_sync = false;

  ~Conn() {
    sqlite3_finalize(put);
    sqlite3_finalize(get);
    sqlite3_finalize(del);
    if (db != nullptr) sqlite3_close_v2(db);
  }
  bool Exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == 0; }
  // Switches the synchronous level when a write's sync flag differs from the last one.
  bool SetSync(bool sync) {
    if (sync == full_sync) return true;
    full_sync = sync;
    return Exec(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  }
};

bool StepDone(sqlite3_stmt* stmt) {
  int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  return rc == SQLITE_DONE;
}

class SqliteCursor : public Cursor {
 public:
  explicit SqliteCursor(sqlite3* db) {
    if (sqlite3_prepare_v2(db, "SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k", -1, &stmt_,
                           nullptr) != SQLITE_OK) {
      stmt_ = nullptr;
    }
  }
  ~SqliteCursor() override { sqlite3_finalize(stmt_); }
  void Seek(std::string_view target) override {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_bind_blob(stmt_, 1, target.data(), static_cast<int>(target.size()), SQLITE_STATIC);
    Next();
  }
  bool Valid() const override { return valid_; }
  void Next() override { valid_ = sqlite3_step(stmt_) == SQLITE_ROW; }
  std::string_view key() const override { return Column(0); }
  std::string_view value() const override { return Column(1); }

 private:
  std::string_view Column(int i) const {
    const void* p = sqlite3_column_blob(stmt_, i);
    return std::string_view(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, i));
  }
  sqlite3_stmt* stmt_ = nullptr;
  bool valid_ = false;
};

class SqliteAdapter : public Adapter {
 public:
  Status Open(const std::string& dir, const BenchSettings& settings) override {
    if (settings.compression != "none") {
      return Status::NotSupported("sqlite has no compression", settings.compression);
    }
    path_ = dir + "/bench.sqlite";
    cache_kib_ = settings.cache_bytes >> 10;
    // Creates the directory's database and table from this thread's connection.
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("mkdir " + dir, ec.message());
    Conn* c = State();
    if (c == nullptr) return Status::IOError("sqlite open", path_);
    return Status::OK();
  }

  Status Put(std::string_view key, std::string_view value, bool sync) override {
    Conn* c = State();
    if (c == nullptr || !c->SetSync(sync)) return SqlError(c ? c->db : nullptr, "pragma");
    sqlite3_bind_blob(c->put, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_blob(c->put, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return StepDone(c->put) ? Status::OK() : SqlError(c->db, "insert");
  }
  Status Get(std::string_view key, std::string* value) override {
    Conn* c = State();
    if (c == nullptr) return Status::IOError("sqlite connection");
    sqlite3_bind_blob(c->get, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    int rc = sqlite3_step(c->get);
    Status s;
    if (rc == SQLITE_ROW) {
      const void* p = sqlite3_column_blob(c->get, 0);
      value->assign(static_cast<const char*>(p), sqlite3_column_bytes(c->get, 0));
    } else if (rc == SQLITE_DONE) {
      s = Status::NotFound("sqlite");
    } else {
      s = SqlError(c->db, "select");
    }
    sqlite3_reset(c->get);
    return s;
  }
  Status Delete(std::string_view key, bool sync) override {
    Conn* c = State();
    if (c == nullptr || !c->SetSync(sync)) return SqlError(c ? c->db : nullptr, "pragma");
    sqlite3_bind_blob(c->del, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    return StepDone(c->del) ? Status::OK() : SqlError(c->db, "delete");
  }
  Status WriteBatch(const std::vector<KeyValue>& puts, bool sync) override {
    Conn* c = State();
    if (c == nullptr || !c->SetSync(sync)) return SqlError(c ? c->db : nullptr, "pragma");
    if (!c->Exec("BEGIN")) return SqlError(c->db, "begin");
    for (const auto& [key, value] : puts) {
      sqlite3_bind_blob(c->put, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
      sqlite3_bind_blob(c->put, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
      if (!StepDone(c->put)) {
        Status s = SqlError(c->db, "insert");
        c->Exec("ROLLBACK");
        return s;
      }
    }
    return c->Exec("COMMIT") ? Status::OK() : SqlError(c->db, "commit");
  }
  std::unique_ptr<Cursor> NewCursor() override {
    Conn* c = State();
    return std::make_unique<SqliteCursor>(c != nullptr ? c->db : nullptr);
  }
  Status Close() override {
    threads_.Clear();
    return Status::OK();
  }
  std::string Settings() const override {
    return "journal_mode=WAL cache_size=" + std::to_string(cache_kib_ >> 10) +
           "MiB per connection, page_size=4096, WITHOUT ROWID table, compression=none "
           "(unsupported); sync=false -> synchronous=NORMAL, sync=true -> synchronous=FULL";
  }

 private:
  Conn* State() {
    Conn* c = threads_.Get([this] {
      auto conn = std::make_unique<Conn>();
      std::string cache = "PRAGMA cache_size=-" + std::to_string(cache_kib_);
      bool ok = sqlite3_open_v2(path_.c_str(), &conn->db,
                                SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                nullptr) == SQLITE_OK;
      if (ok) {
        sqlite3_busy_timeout(conn->db, 10000);
        ok = conn->Exec("PRAGMA journal_mode=WAL") && conn->Exec("PRAGMA synchronous=NORMAL") &&
             conn->Exec(cache.c_str()) &&
             conn->Exec(
                 "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) "
                 "WITHOUT ROWID") &&
             sqlite3_prepare_v2(conn->db, "INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)", -1,
                                &conn->put, nullptr) == SQLITE_OK &&
             sqlite3_prepare_v2(conn->db, "SELECT v FROM kv WHERE k = ?1", -1, &conn->get,
                                nullptr) == SQLITE_OK &&
             sqlite3_prepare_v2(conn->db, "DELETE FROM kv WHERE k = ?1", -1, &conn->del, nullptr) ==
                 SQLITE_OK;
      }
      if (!ok) conn.reset(new Conn());
      return conn;
    });
    return c->db == nullptr || c->put == nullptr ? nullptr : c;
  }

  std::string path_;
  size_t cache_kib_ = 0;
  PerThread<Conn> threads_;
};

}  // namespace

std::unique_ptr<Adapter> NewSqliteAdapter() { return std::make_unique<SqliteAdapter>(); }

}  // namespace jadedb::bench
