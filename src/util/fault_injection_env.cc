// FaultInjectionEnv: fault rules, the file wrappers that consult them, and the power-loss model
// (see the header for what is durable when).
#include "util/fault_injection_env.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string_view>
#include <utility>

namespace jadedb {

const char* FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kCreate:
      return "create";
    case FaultOp::kOpenRead:
      return "open";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kAppend:
      return "append";
    case FaultOp::kFlush:
      return "flush";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kSyncDir:
      return "syncdir";
    case FaultOp::kRemove:
      return "remove";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kNumOps:
      break;
  }
  return "?";
}

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kIOError:
      return "eio";
    case FaultKind::kNoSpace:
      return "enospc";
    case FaultKind::kShortWrite:
      return "short-write";
    case FaultKind::kTornWrite:
      return "torn-write";
    case FaultKind::kCorruptRead:
      return "corrupt-read";
    case FaultKind::kNumKinds:
      break;
  }
  return "?";
}

namespace {

class FaultSequentialFile final : public SequentialFile {
 public:
  FaultSequentialFile(FaultInjectionEnv* env, std::string path,
                      std::unique_ptr<SequentialFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    FaultKind kind = FaultKind::kIOError;
    const bool fail = env_->ShouldFail(FaultOp::kRead, path_, &kind);
    if (fail && kind != FaultKind::kCorruptRead) {
      *result = {};
      return env_->FaultStatus(FaultOp::kRead, path_, kind);
    }
    Status s = base_->Read(n, result, scratch);
    if (s.ok() && fail && !result->empty()) {
      if (result->data() != scratch) std::memmove(scratch, result->data(), result->size());
      env_->FlipRandomBit(scratch, result->size());
      *result = std::string_view(scratch, result->size());
    }
    return s;
  }
  Status Skip(uint64_t n) override { return base_->Skip(n); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<SequentialFile> base_;
};

// A read through a faulty file: an injected error instead of the read, or (kCorruptRead) the
// real data with one bit flipped. Shared by the read-only and the read/write file.
template <typename BaseFile>
Status ReadWithFaults(FaultInjectionEnv* env, const std::string& path, const BaseFile& base,
                      uint64_t offset, size_t n, std::string_view* result, char* scratch) {
  FaultKind kind = FaultKind::kIOError;
  const bool fail = env->ShouldFail(FaultOp::kRead, path, &kind);
  if (fail && kind != FaultKind::kCorruptRead) {
    *result = {};
    return env->FaultStatus(FaultOp::kRead, path, kind);
  }
  Status s = base.Read(offset, n, result, scratch);
  if (s.ok() && fail && !result->empty()) {
    if (result->data() != scratch) std::memmove(scratch, result->data(), result->size());
    env->FlipRandomBit(scratch, result->size());
    *result = std::string_view(scratch, result->size());
  }
  return s;
}

class FaultRandomAccessFile final : public RandomAccessFile {
 public:
  FaultRandomAccessFile(FaultInjectionEnv* env, std::string path,
                        std::unique_ptr<RandomAccessFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    return ReadWithFaults(env_, path_, *base_, offset, n, result, scratch);
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<RandomAccessFile> base_;
};

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base,
                    std::shared_ptr<FaultInjectionEnv::Node> node)
      : env_(env), path_(std::move(path)), base_(std::move(base)), node_(std::move(node)) {}

  Status Append(std::string_view data) override {
    if (!env_->IsFilesystemActive()) return env_->InactiveStatus(path_);
    FaultKind kind = FaultKind::kIOError;
    if (env_->ShouldFail(FaultOp::kAppend, path_, &kind)) {
      if (kind != FaultKind::kShortWrite && kind != FaultKind::kTornWrite) {
        return env_->FaultStatus(FaultOp::kAppend, path_, kind);
      }
      // Part of the data reaches the file before the error (or the "crash").
      const uint64_t len = env_->RandomLength(data.size());
      Status s = base_->Append(data.substr(0, len));
      if (s.ok()) s = base_->Flush();
      if (s.ok()) env_->OnAppended(node_, len);
      if (kind == FaultKind::kTornWrite) env_->SetFilesystemActive(false);
      return env_->FaultStatus(FaultOp::kAppend, path_, kind);
    }
    Status s = base_->Append(data);
    if (s.ok()) env_->OnAppended(node_, data.size());
    return s;
  }

  Status Flush() override {
    if (!env_->IsFilesystemActive()) return env_->InactiveStatus(path_);
    FaultKind kind = FaultKind::kIOError;
    if (env_->ShouldFail(FaultOp::kFlush, path_, &kind)) {
      return env_->FaultStatus(FaultOp::kFlush, path_, kind);
    }
    return base_->Flush();
  }

  Status Sync() override {
    if (!env_->IsFilesystemActive()) return env_->InactiveStatus(path_);
    FaultKind kind = FaultKind::kIOError;
    if (env_->ShouldFail(FaultOp::kSync, path_, &kind)) {
      return env_->FaultStatus(FaultOp::kSync, path_, kind);  // the data stays not durable
    }
    Status s = env_->SkipRealSync() ? base_->Flush() : base_->Sync();
    if (s.ok()) env_->OnSynced(node_);
    return s;
  }

  // Closing is always allowed (it releases the descriptor); whatever it writes beyond the last
  // Sync is not durable in the model anyway.
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> base_;
  std::shared_ptr<FaultInjectionEnv::Node> node_;
};

// Page writes and reads at offsets. A write records, in the node, the bytes it overwrote below
// the durable size, which SimulatePowerLoss puts back unless a Sync came in between.
class FaultRandomRWFile final : public RandomRWFile {
 public:
  FaultRandomRWFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<RandomRWFile> base,
                    std::shared_ptr<FaultInjectionEnv::Node> node)
      : env_(env), path_(std::move(path)), base_(std::move(base)), node_(std::move(node)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    return ReadWithFaults(env_, path_, *base_, offset, n, result, scratch);
  }

  Status Write(uint64_t offset, std::string_view data) override {
    if (!env_->IsFilesystemActive()) return env_->InactiveStatus(path_);
    FaultKind kind = FaultKind::kIOError;
    const bool fail = env_->ShouldFail(FaultOp::kWrite, path_, &kind);
    const bool partial = fail && (kind == FaultKind::kShortWrite || kind == FaultKind::kTornWrite);
    if (fail && !partial) return env_->FaultStatus(FaultOp::kWrite, path_, kind);
    // A short or torn write gets a prefix of the data to the file before it fails.
    const std::string_view written =
        partial ? data.substr(0, env_->RandomLength(data.size())) : data;
    Status s;
    {
      std::lock_guard<std::mutex> l(node_->rw_mu);
      const bool torn = partial && kind == FaultKind::kTornWrite;
      std::string old;
      const uint64_t durable = env_->SyncedSize(node_);
      if (!torn && offset < durable) {
        // Keep what the write replaces within the durable size: a power loss puts it back.
        old.resize(std::min<uint64_t>(written.size(), durable - offset));
        std::string_view got;
        s = base_->Read(offset, old.size(), &got, old.data());
        if (s.ok()) old = std::string(got);
      }
      if (s.ok()) s = base_->Write(offset, written);
      if (s.ok()) env_->OnWritten(node_, offset, std::move(old), written, torn);
    }
    if (!partial) return s;
    if (kind == FaultKind::kTornWrite) env_->SetFilesystemActive(false);
    return env_->FaultStatus(FaultOp::kWrite, path_, kind);
  }

  Status Sync() override {
    if (!env_->IsFilesystemActive()) return env_->InactiveStatus(path_);
    FaultKind kind = FaultKind::kIOError;
    if (env_->ShouldFail(FaultOp::kSync, path_, &kind)) {
      return env_->FaultStatus(FaultOp::kSync, path_, kind);  // the writes stay not durable
    }
    std::lock_guard<std::mutex> l(node_->rw_mu);
    Status s = env_->SkipRealSync() ? Status::OK() : base_->Sync();
    if (s.ok()) env_->OnSynced(node_);
    return s;
  }

  Status Close() override { return base_->Close(); }
  Status GetSize(uint64_t* size) const override { return base_->GetSize(size); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<RandomRWFile> base_;
  std::shared_ptr<FaultInjectionEnv::Node> node_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(Env* base, uint64_t seed) : base_(base), rnd_(seed) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

// ---- Rules and counters ----

std::string FaultInjectionEnv::DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

bool FaultInjectionEnv::Matches(const std::string& filter, const std::string& path) {
  if (filter.empty()) return true;
  if (filter[0] == '.') return path.ends_with(filter);
  const size_t slash = path.rfind('/');
  std::string_view name(path);
  if (slash != std::string::npos) name.remove_prefix(slash + 1);
  return name.find(filter) != std::string_view::npos;
}

int FaultInjectionEnv::AddFault(const FaultRule& rule) {
  std::lock_guard<std::mutex> l(mu_);
  const int id = next_rule_id_++;
  rules_.push_back(Rule{id, rule, 0, Random(rule.seed)});
  return id;
}

int FaultInjectionEnv::FailAlways(FaultOp op, const std::string& file_filter, FaultKind kind) {
  FaultRule rule;
  rule.op = op;
  rule.file_filter = file_filter;
  rule.kind = kind;
  rule.trigger = FaultTrigger::kAlways;
  return AddFault(rule);
}

void FaultInjectionEnv::RemoveFault(int id) {
  std::lock_guard<std::mutex> l(mu_);
  std::erase_if(rules_, [id](const Rule& r) { return r.id == id; });
}

void FaultInjectionEnv::ClearFaults() {
  std::lock_guard<std::mutex> l(mu_);
  rules_.clear();
}

bool FaultInjectionEnv::ShouldFail(FaultOp op, const std::string& path, FaultKind* kind) {
  std::lock_guard<std::mutex> l(mu_);
  bool fired = false;
  // Every matching rule counts the call, so "the n-th call" does not depend on other rules.
  for (Rule& r : rules_) {
    if (r.rule.op != op || !Matches(r.rule.file_filter, path)) continue;
    ++r.calls;
    bool fire = false;
    switch (r.rule.trigger) {
      case FaultTrigger::kAlways:
        fire = true;
        break;
      case FaultTrigger::kNthCall:
        fire = r.calls == r.rule.n;
        break;
      case FaultTrigger::kFromNthCall:
        fire = r.calls >= r.rule.n;
        break;
      case FaultTrigger::kProbability:
        fire = static_cast<double>(r.rnd.Next64() >> 11) * 0x1.0p-53 < r.rule.p;
        break;
    }
    if (fire && !fired) {
      fired = true;
      *kind = r.rule.kind;
    }
  }
  if (fired) {
    ++kind_counts_[static_cast<int>(*kind)];
    ++op_counts_[static_cast<int>(op)];
  }
  return fired;
}

Status FaultInjectionEnv::FaultStatus(FaultOp op, const std::string& path, FaultKind kind) const {
  const std::string context = std::string(FaultOpName(op)) + " " + path;
  switch (kind) {
    case FaultKind::kNoSpace:
      return Status::IOError(context, "No space left on device (injected fault)");
    case FaultKind::kShortWrite:
      return Status::IOError(context, "short write: Input/output error (injected fault)");
    case FaultKind::kTornWrite:
      return Status::IOError(context, "torn write, filesystem now inactive (injected fault)");
    default:
      return Status::IOError(context, "Input/output error (injected fault)");
  }
}

Status FaultInjectionEnv::InactiveStatus(const std::string& path) const {
  return Status::IOError(path, "filesystem inactive (simulated crash)");
}

uint64_t FaultInjectionEnv::FaultCount(FaultKind kind) const {
  std::lock_guard<std::mutex> l(mu_);
  return kind_counts_[static_cast<int>(kind)];
}

uint64_t FaultInjectionEnv::FaultCount(FaultOp op) const {
  std::lock_guard<std::mutex> l(mu_);
  return op_counts_[static_cast<int>(op)];
}

uint64_t FaultInjectionEnv::TotalFaults() const {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t total = 0;
  for (uint64_t c : kind_counts_) total += c;
  return total;
}

std::string FaultInjectionEnv::FaultCountsString() const {
  std::lock_guard<std::mutex> l(mu_);
  std::string out;
  for (int k = 0; k < static_cast<int>(FaultKind::kNumKinds); ++k) {
    if (kind_counts_[k] == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::string(FaultKindName(static_cast<FaultKind>(k))) + "=" +
           std::to_string(kind_counts_[k]);
  }
  for (int o = 0; o < static_cast<int>(FaultOp::kNumOps); ++o) {
    if (op_counts_[o] == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::string("on-") + FaultOpName(static_cast<FaultOp>(o)) + "=" +
           std::to_string(op_counts_[o]);
  }
  return out;
}

void FaultInjectionEnv::ResetFaultCounts() {
  std::lock_guard<std::mutex> l(mu_);
  kind_counts_.fill(0);
  op_counts_.fill(0);
}

uint64_t FaultInjectionEnv::RandomLength(uint64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  return n == 0 ? 0 : rnd_.Uniform(n);
}

void FaultInjectionEnv::FlipRandomBit(char* data, size_t n) {
  std::lock_guard<std::mutex> l(mu_);
  const uint64_t bit = rnd_.Uniform(uint64_t{n} * 8);
  data[bit / 8] = static_cast<char>(data[bit / 8] ^ (1 << (bit % 8)));
}

// ---- Crash state ----

void FaultInjectionEnv::SetFilesystemActive(bool active) {
  std::lock_guard<std::mutex> l(mu_);
  active_ = active;
}

bool FaultInjectionEnv::IsFilesystemActive() const {
  std::lock_guard<std::mutex> l(mu_);
  return active_;
}

void FaultInjectionEnv::SetUnsyncedTail(UnsyncedTail mode) {
  std::lock_guard<std::mutex> l(mu_);
  tail_mode_ = mode;
}

void FaultInjectionEnv::SetSkipRealSync(bool skip) {
  std::lock_guard<std::mutex> l(mu_);
  skip_real_sync_ = skip;
}

bool FaultInjectionEnv::SkipRealSync() const {
  std::lock_guard<std::mutex> l(mu_);
  return skip_real_sync_;
}

void FaultInjectionEnv::OnAppended(const std::shared_ptr<Node>& node, uint64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  node->size += n;
}

void FaultInjectionEnv::OnSynced(const std::shared_ptr<Node>& node) {
  std::lock_guard<std::mutex> l(mu_);
  node->synced = node->size;
  node->overwrites.clear();
  node->torn.clear();
}

uint64_t FaultInjectionEnv::SyncedSize(const std::shared_ptr<Node>& node) const {
  std::lock_guard<std::mutex> l(mu_);
  return node->synced;
}

void FaultInjectionEnv::OnWritten(const std::shared_ptr<Node>& node, uint64_t offset,
                                  std::string old, std::string_view written, bool torn) {
  std::lock_guard<std::mutex> l(mu_);
  node->size = std::max<uint64_t>(node->size, offset + written.size());
  if (torn) {
    if (!written.empty()) node->torn.emplace_back(offset, std::string(written));
  } else if (!old.empty()) {
    // Bytes past the durable size need no record: the file is cut back to it.
    node->overwrites.push_back({offset, std::move(old), written.size()});
  }
}

uint64_t FaultInjectionEnv::UnsyncedBytes(const std::string& path) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = current_.find(path);
  if (it == current_.end()) return 0;
  const Node& node = *it->second;
  uint64_t bytes = node.size > node.synced ? node.size - node.synced : 0;
  for (const Node::Overwrite& w : node.overwrites) bytes += w.old.size();
  return bytes;
}

size_t FaultInjectionEnv::PendingDirEntries() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t pending = 0;
  for (const auto& [path, node] : durable_) {
    auto it = current_.find(path);
    if ((it == current_.end() ? nullptr : it->second) != node) ++pending;
  }
  return pending;
}

// ---- Power-loss model ----

void FaultInjectionEnv::TrackExistingLocked(const std::string& path) {
  if (current_.count(path) || durable_.count(path)) return;
  uint64_t size = 0;
  if (base_->FileExists(path) && base_->GetFileSize(path, &size).ok()) {
    auto node = std::make_shared<Node>();
    node->size = node->synced = size;
    current_[path] = node;
    durable_[path] = node;
  } else {
    durable_[path] = nullptr;
  }
}

Status FaultInjectionEnv::ReadPrefix(const std::string& path, uint64_t n, std::string* out) {
  out->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = base_->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  std::string scratch(64 << 10, '\0');
  while (out->size() < n) {
    std::string_view got;
    s = file->Read(std::min<uint64_t>(scratch.size(), n - out->size()), &got, scratch.data());
    if (!s.ok() || got.empty()) break;
    out->append(got);
  }
  return s;
}

void FaultInjectionEnv::SaveIfDurablyNamedLocked(const std::string& path,
                                                 const std::shared_ptr<Node>& node) {
  if (node == nullptr || node->saved_valid) return;
  for (const auto& [name, durable_node] : durable_) {
    if (durable_node == node) {
      // Best effort: a read error leaves the saved contents empty.
      ReadPrefix(path, node->synced, &node->saved);
      UndoOverwritesLocked(*node, UnsyncedTail::kDrop, &node->saved);
      node->saved_valid = true;
      return;
    }
  }
}

Status FaultInjectionEnv::DurableContentsLocked(const std::shared_ptr<Node>& node,
                                                std::string* out) {
  std::string current_name;
  for (const auto& [name, n] : current_) {
    if (n == node) {
      current_name = name;
      break;
    }
  }
  if (current_name.empty()) {
    *out = node->saved;
    return Status::OK();
  }
  const uint64_t unsynced = node->size > node->synced ? node->size - node->synced : 0;
  const uint64_t tail =
      unsynced == 0 || tail_mode_ == UnsyncedTail::kDrop ? 0 : rnd_.Uniform(unsynced + 1);
  const uint64_t keep = node->synced + (tail_mode_ == UnsyncedTail::kRandomPrefix ? tail : 0);
  Status s = ReadPrefix(current_name, keep, out);
  if (!s.ok()) return s;
  if (tail_mode_ == UnsyncedTail::kZeros) out->append(tail, '\0');
  if (tail_mode_ == UnsyncedTail::kGarbage) {
    for (uint64_t i = 0; i < tail; ++i) out->push_back(static_cast<char>(rnd_.Next()));
  }
  UndoOverwritesLocked(*node, tail_mode_, out);
  return Status::OK();
}

void FaultInjectionEnv::UndoOverwritesLocked(const Node& node, UnsyncedTail mode,
                                             std::string* contents) {
  // Newest first, so that where writes overlap the oldest one's saved bytes (the durable
  // ones) end up in place when all are undone.
  for (auto it = node.overwrites.rbegin(); it != node.overwrites.rend(); ++it) {
    if (it->offset >= contents->size()) continue;
    const size_t n = std::min<uint64_t>(it->old.size(), contents->size() - it->offset);
    size_t kept = 0;  // leading bytes of the write that reached the disk
    if (mode != UnsyncedTail::kDrop) {
      switch (rnd_.Uniform(3)) {
        case 0:
          break;  // undone
        case 1:
          kept = n;  // written back by the OS before the power went
          break;
        default:
          kept = rnd_.Uniform(n);  // torn part-way
          break;
      }
    }
    if (kept == n) continue;
    char* dst = contents->data() + it->offset + kept;
    const size_t rest = n - kept;
    if (kept == 0 || mode == UnsyncedTail::kRandomPrefix || mode == UnsyncedTail::kDrop) {
      std::memcpy(dst, it->old.data() + kept, rest);
    } else if (mode == UnsyncedTail::kZeros) {
      std::memset(dst, 0, rest);
    } else {
      for (size_t i = 0; i < rest; ++i) dst[i] = static_cast<char>(rnd_.Next());
    }
  }
  for (const auto& [offset, bytes] : node.torn) {
    if (contents->size() < offset + bytes.size()) contents->resize(offset + bytes.size(), '\0');
    contents->replace(offset, bytes.size(), bytes);
  }
}

Status FaultInjectionEnv::SimulatePowerLoss() {
  std::lock_guard<std::mutex> l(mu_);
  // First read every durable content (renamed files are read under their current names), then
  // rewrite, so that no rewrite clobbers a file another durable name still needs.
  std::vector<std::pair<std::string, std::unique_ptr<std::string>>> plan;
  for (const auto& [path, node] : durable_) {
    auto cur = current_.find(path);
    const bool same = cur != current_.end() && cur->second == node;
    if (node == nullptr) {
      if (cur != current_.end()) plan.emplace_back(path, nullptr);  // creation not durable
      continue;
    }
    if (same && node->size == node->synced && node->overwrites.empty() && node->torn.empty()) {
      continue;  // nothing to undo
    }
    auto contents = std::make_unique<std::string>();
    Status s = DurableContentsLocked(node, contents.get());
    if (!s.ok()) return s;
    plan.emplace_back(path, std::move(contents));
  }
  for (const auto& [path, contents] : plan) {
    Status s;
    if (contents == nullptr) {
      s = base_->RemoveFile(path);
    } else {
      s = WriteStringToFile(base_, *contents, path, /*sync=*/!skip_real_sync_);
    }
    if (!s.ok()) return s;
  }
  current_.clear();
  durable_.clear();
  active_ = true;
  return Status::OK();
}

// ---- Env ----

Status FaultInjectionEnv::NewSequentialFile(const std::string& path,
                                            std::unique_ptr<SequentialFile>* result) {
  FaultKind kind = FaultKind::kIOError;
  if (ShouldFail(FaultOp::kOpenRead, path, &kind)) {
    return FaultStatus(FaultOp::kOpenRead, path, kind);
  }
  std::unique_ptr<SequentialFile> file;
  Status s = base_->NewSequentialFile(path, &file);
  if (s.ok()) *result = std::make_unique<FaultSequentialFile>(this, path, std::move(file));
  return s;
}

Status FaultInjectionEnv::NewRandomAccessFile(const std::string& path,
                                              std::unique_ptr<RandomAccessFile>* result) {
  FaultKind kind = FaultKind::kIOError;
  if (ShouldFail(FaultOp::kOpenRead, path, &kind)) {
    return FaultStatus(FaultOp::kOpenRead, path, kind);
  }
  std::unique_ptr<RandomAccessFile> file;
  Status s = base_->NewRandomAccessFile(path, &file);
  if (s.ok()) *result = std::make_unique<FaultRandomAccessFile>(this, path, std::move(file));
  return s;
}

Status FaultInjectionEnv::NewWritableFile(const std::string& path,
                                          std::unique_ptr<WritableFile>* result) {
  if (!IsFilesystemActive()) return InactiveStatus(path);
  FaultKind kind = FaultKind::kIOError;
  if (ShouldFail(FaultOp::kCreate, path, &kind)) return FaultStatus(FaultOp::kCreate, path, kind);
  std::lock_guard<std::mutex> l(mu_);
  TrackExistingLocked(path);
  std::shared_ptr<Node> old = current_.count(path) ? current_[path] : nullptr;
  if (old != nullptr && durable_[path] != old) SaveIfDurablyNamedLocked(path, old);
  std::unique_ptr<WritableFile> file;
  Status s = base_->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  auto node = std::make_shared<Node>();
  // Truncating a file keeps its inode: a durable name for it now names the empty new contents.
  if (old != nullptr && durable_[path] == old) durable_[path] = node;
  current_[path] = node;
  *result = std::make_unique<FaultWritableFile>(this, path, std::move(file), node);
  return s;
}

Status FaultInjectionEnv::NewAppendableFile(const std::string& path,
                                            std::unique_ptr<WritableFile>* result) {
  if (!IsFilesystemActive()) return InactiveStatus(path);
  FaultKind kind = FaultKind::kIOError;
  if (ShouldFail(FaultOp::kCreate, path, &kind)) return FaultStatus(FaultOp::kCreate, path, kind);
  std::lock_guard<std::mutex> l(mu_);
  TrackExistingLocked(path);
  std::unique_ptr<WritableFile> file;
  Status s = base_->NewAppendableFile(path, &file);
  if (!s.ok()) return s;
  std::shared_ptr<Node>& node = current_[path];
  if (node == nullptr) node = std::make_shared<Node>();
  *result = std::make_unique<FaultWritableFile>(this, path, std::move(file), node);
  return s;
}

Status FaultInjectionEnv::NewRandomRWFile(const std::string& path,
                                          std::unique_ptr<RandomRWFile>* result) {
  // After the "crash" an existing file may still be opened (for reading); none is created.
  if (!IsFilesystemActive() && !base_->FileExists(path)) return InactiveStatus(path);
  FaultKind kind = FaultKind::kIOError;
  if (ShouldFail(FaultOp::kCreate, path, &kind)) return FaultStatus(FaultOp::kCreate, path, kind);
  std::lock_guard<std::mutex> l(mu_);
  TrackExistingLocked(path);
  std::unique_ptr<RandomRWFile> file;
  Status s = base_->NewRandomRWFile(path, &file);
  if (!s.ok()) return s;
  std::shared_ptr<Node>& node = current_[path];
  if (node == nullptr) node = std::make_shared<Node>();
  *result = std::make_unique<FaultRandomRWFile>(this, path, std::move(file), node);
  return s;
}

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Status FaultInjectionEnv::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  return base_->GetChildren(dir, names);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  if (!IsFilesystemActive()) return InactiveStatus(path);
  FaultKind kind = FaultKind::kIOError;
  if (ShouldFail(FaultOp::kRemove, path, &kind)) return FaultStatus(FaultOp::kRemove, path, kind);
  std::lock_guard<std::mutex> l(mu_);
  TrackExistingLocked(path);
  auto it = current_.find(path);
  if (it != current_.end()) SaveIfDurablyNamedLocked(path, it->second);
  Status s = base_->RemoveFile(path);
  if (s.ok()) current_.erase(path);
  return s;
}

Status FaultInjectionEnv::CreateDirIfMissing(const std::string& dir) {
  if (!IsFilesystemActive()) return InactiveStatus(dir);
  return base_->CreateDirIfMissing(dir);
}

Status FaultInjectionEnv::RemoveDir(const std::string& dir) {
  if (!IsFilesystemActive()) return InactiveStatus(dir);
  return base_->RemoveDir(dir);
}

Status FaultInjectionEnv::GetFileSize(const std::string& path, uint64_t* size) {
  return base_->GetFileSize(path, size);
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (!IsFilesystemActive()) return InactiveStatus(to);
  FaultKind kind = FaultKind::kIOError;
  if (ShouldFail(FaultOp::kRename, to, &kind)) return FaultStatus(FaultOp::kRename, to, kind);
  std::lock_guard<std::mutex> l(mu_);
  TrackExistingLocked(from);
  TrackExistingLocked(to);
  auto old_to = current_.find(to);
  if (old_to != current_.end()) SaveIfDurablyNamedLocked(to, old_to->second);
  Status s = base_->RenameFile(from, to);
  if (!s.ok()) return s;
  auto moved = current_.find(from);
  if (moved != current_.end()) {
    current_[to] = moved->second;
    current_.erase(moved);
  } else {
    current_.erase(to);  // not tracked (cannot happen after TrackExistingLocked)
  }
  return s;
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  if (!IsFilesystemActive()) return InactiveStatus(dir);
  FaultKind kind = FaultKind::kIOError;
  if (ShouldFail(FaultOp::kSyncDir, dir, &kind)) return FaultStatus(FaultOp::kSyncDir, dir, kind);
  Status s = SkipRealSync() ? Status::OK() : base_->SyncDir(dir);
  if (!s.ok()) return s;
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = durable_.begin(); it != durable_.end();) {
    if (DirOf(it->first) != d) {
      ++it;
      continue;
    }
    auto cur = current_.find(it->first);
    if (cur == current_.end()) {
      it = durable_.erase(it);  // durably absent, the same as untracked
    } else {
      it->second = cur->second;
      ++it;
    }
  }
  return s;
}

Status FaultInjectionEnv::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  return base_->LockFile(path, lock);
}

Status FaultInjectionEnv::NewLogger(const std::string& path, std::shared_ptr<Logger>* result) {
  return base_->NewLogger(path, result);
}

uint64_t FaultInjectionEnv::NowMicros() { return base_->NowMicros(); }

void FaultInjectionEnv::SleepForMicroseconds(uint64_t micros) {
  base_->SleepForMicroseconds(micros);
}

}  // namespace jadedb
