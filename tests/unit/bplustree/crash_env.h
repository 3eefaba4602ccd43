// CrashEnv: a test Env over the real file system that can simulate a power failure. It
// remembers what was written since each file's last Sync; Crash() throws that away (append
// files are cut back to their synced length, page writes are undone, optionally with the
// last unsynced page write torn in half) and makes every later write fail until Revive(),
// so the engine object can be destroyed without touching the "crashed" files.
// The B+tree's page files (Env::NewRandomRWFile) go through it like every other file.
//
// Thread safety: all methods are thread-safe (one mutex).
#pragma once

#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/env.h"

namespace jadedb::bplustree::test {

class CrashEnv final : public EnvWrapper {
 public:
  CrashEnv() : EnvWrapper(Env::Default()), base_(Env::Default()) {}

  // Simulates power loss. With tear_last, the newest unsynced page write keeps its first
  // 512 bytes (a torn sector-level write) instead of vanishing.
  void Crash(bool tear_last = false) {
    std::lock_guard<std::mutex> l(mu_);
    dead_ = true;
    for (auto& [path, synced] : append_synced_) {
      if (::truncate(path.c_str(), static_cast<off_t>(synced)) != 0) {
        // The file may be gone (deleted segment): nothing to cut.
      }
    }
    // Undo page writes newest first.
    for (size_t i = undo_.size(); i-- > 0;) {
      Undo& u = undo_[i];
      std::unique_ptr<RandomRWFile> f;
      if (!base_->NewRandomRWFile(u.path, &f).ok()) continue;
      const bool tear = tear_last && i + 1 == undo_.size() && u.fresh.size() > 512;
      f->Write(u.offset, u.old);
      if (u.old.size() < u.fresh.size()) {
        // The write went past the old end of the file: cut it back.
        if (::truncate(u.path.c_str(), static_cast<off_t>(u.offset + u.old.size())) != 0) {
        }
      }
      if (tear) f->Write(u.offset, std::string_view(u.fresh).substr(0, 512));
    }
    undo_.clear();
  }
  void Revive() {
    std::lock_guard<std::mutex> l(mu_);
    dead_ = false;
    append_synced_.clear();
    writes_left_ = -1;
  }
  // After n more writes/syncs (of any file), every write fails as if the machine died.
  void FailAfter(int n) {
    std::lock_guard<std::mutex> l(mu_);
    writes_left_ = n;
  }
  bool dead() const {
    std::lock_guard<std::mutex> l(mu_);
    return dead_;
  }
  uint64_t page_writes() const { return page_writes_; }

  // ---- Env ----
  Status NewWritableFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    if (Dead()) return Status::IOError("crashed: " + p);
    std::unique_ptr<WritableFile> f;
    Status s = base_->NewWritableFile(p, &f);
    if (!s.ok()) return s;
    {
      std::lock_guard<std::mutex> l(mu_);
      append_synced_[p] = 0;
    }
    *r = std::make_unique<AppendFile>(this, p, std::move(f), 0);
    return Status::OK();
  }
  Status NewAppendableFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    if (Dead()) return Status::IOError("crashed: " + p);
    uint64_t size = 0;
    if (base_->FileExists(p)) base_->GetFileSize(p, &size);
    std::unique_ptr<WritableFile> f;
    Status s = base_->NewAppendableFile(p, &f);
    if (!s.ok()) return s;
    {
      std::lock_guard<std::mutex> l(mu_);
      append_synced_[p] = size;
    }
    *r = std::make_unique<AppendFile>(this, p, std::move(f), size);
    return Status::OK();
  }
  Status RemoveFile(const std::string& p) override {
    if (Dead()) return Status::IOError("crashed: " + p);
    std::lock_guard<std::mutex> l(mu_);
    append_synced_.erase(p);
    return base_->RemoveFile(p);
  }
  Status RenameFile(const std::string& f, const std::string& t) override {
    if (Dead()) return Status::IOError("crashed");
    return base_->RenameFile(f, t);
  }
  Status SyncDir(const std::string& d) override {
    if (Dead()) return Status::IOError("crashed");
    return base_->SyncDir(d);
  }
  Status NewRandomRWFile(const std::string& p, std::unique_ptr<RandomRWFile>* r) override {
    std::unique_ptr<RandomRWFile> f;
    Status s = base_->NewRandomRWFile(p, &f);
    if (!s.ok()) return s;
    *r = std::make_unique<PageRWFile>(this, p, std::move(f));
    return Status::OK();
  }

 private:
  struct Undo {
    std::string path;
    uint64_t offset;
    std::string old;  // bytes before the write (empty with old_size_known: past the end)
    std::string fresh;
    bool old_size_known = false;
  };

  // Consumes one write credit; false when the "machine" is dead.
  bool Dead() {
    std::lock_guard<std::mutex> l(mu_);
    if (!dead_ && writes_left_ == 0) dead_ = true;
    if (!dead_ && writes_left_ > 0) writes_left_--;
    return dead_;
  }

  class AppendFile final : public WritableFile {
   public:
    AppendFile(CrashEnv* env, std::string path, std::unique_ptr<WritableFile> f, uint64_t size)
        : env_(env), path_(std::move(path)), f_(std::move(f)), size_(size) {}
    Status Append(std::string_view d) override {
      if (env_->Dead()) return Status::IOError("crashed: " + path_);
      size_ += d.size();
      return f_->Append(d);
    }
    Status Flush() override {
      if (env_->Dead()) return Status::IOError("crashed: " + path_);
      return f_->Flush();
    }
    Status Sync() override {
      if (env_->Dead()) return Status::IOError("crashed: " + path_);
      Status s = f_->Sync();
      if (s.ok()) {
        std::lock_guard<std::mutex> l(env_->mu_);
        if (env_->append_synced_.count(path_)) env_->append_synced_[path_] = size_;
      }
      return s;
    }
    Status Close() override { return f_->Close(); }

   private:
    CrashEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> f_;
    uint64_t size_;
  };

  class PageRWFile final : public RandomRWFile {
   public:
    PageRWFile(CrashEnv* env, std::string path, std::unique_ptr<RandomRWFile> f)
        : env_(env), path_(std::move(path)), f_(std::move(f)) {}
    Status Read(uint64_t o, size_t n, std::string_view* r, char* scratch) const override {
      return f_->Read(o, n, r, scratch);
    }
    Status Write(uint64_t o, std::string_view d) override {
      if (env_->Dead()) return Status::IOError("crashed: " + path_);
      Undo u;
      u.path = path_;
      u.offset = o;
      u.fresh.assign(d);
      uint64_t size = 0;
      f_->GetSize(&size);
      if (o >= size) {
        u.old_size_known = true;
      } else {
        u.old.resize(std::min<uint64_t>(d.size(), size - o));
        std::string_view got;
        f_->Read(o, u.old.size(), &got, u.old.data());
        u.old = std::string(got);
      }
      Status s = f_->Write(o, d);
      if (s.ok()) {
        std::lock_guard<std::mutex> l(env_->mu_);
        env_->undo_.push_back(std::move(u));
        env_->page_writes_++;
      }
      return s;
    }
    Status Sync() override {
      if (env_->Dead()) return Status::IOError("crashed: " + path_);
      Status s = f_->Sync();
      if (s.ok()) {
        std::lock_guard<std::mutex> l(env_->mu_);
        std::vector<Undo> keep;
        for (Undo& u : env_->undo_) {
          if (u.path != path_) keep.push_back(std::move(u));
        }
        env_->undo_.swap(keep);
      }
      return s;
    }
    Status Close() override { return f_->Close(); }
    Status GetSize(uint64_t* s) const override { return f_->GetSize(s); }

   private:
    CrashEnv* env_;
    std::string path_;
    std::unique_ptr<RandomRWFile> f_;
  };

  Env* const base_;
  mutable std::mutex mu_;
  bool dead_ = false;
  int writes_left_ = -1;
  std::map<std::string, uint64_t> append_synced_;
  std::vector<Undo> undo_;
  std::atomic<uint64_t> page_writes_{0};
};

}  // namespace jadedb::bplustree::test
