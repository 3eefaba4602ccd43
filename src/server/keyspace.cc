#include "server/keyspace.h"

#include <algorithm>
#include <functional>

namespace jadedb::server {

Keyspace::Keyspace(DB* db, SyncPolicy sync, ServerStats* stats)
    : db_(db),
      sync_(sync),
      stats_(stats),
      max_batch_records_(db->engine() == EngineType::kBPlusTree ? 16 : 1024) {}

size_t Keyspace::StripeOf(std::string_view key) {
  return std::hash<std::string_view>{}(key) % kStripes;
}

Status Keyspace::SyncWal() {
  WriteBatch empty;
  WriteOptions wo;
  wo.sync = true;
  stats_->syncs.fetch_add(1, std::memory_order_relaxed);
  return db_->Write(wo, &empty);
}

bool Keyspace::range_deletes() {
  std::call_once(range_probe_, [this] {
    range_deletes_ = !db_->DeleteRange(WriteOptions(), "", "").IsNotSupported();
  });
  return range_deletes_;
}

size_t Keyspace::SweepExpired(size_t limit) {
  std::lock_guard<std::mutex> sweep(sweep_mu_);
  const int64_t now = NowMs();
  std::vector<std::string> expired;
  size_t examined = 0;
  {
    ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    if (restart_pass_.exchange(false, std::memory_order_relaxed)) sweep_cursor_.clear();
    it->Seek(sweep_cursor_);
    if (it->Valid() && !sweep_cursor_.empty() && it->key() == sweep_cursor_) it->Next();
    if (sweep_cursor_.empty()) pass_keys_ = pass_expires_ = 0;  // a pass begins
    for (; it->Valid() && examined < limit; it->Next(), examined++) {
      ValueView v;
      if (DecodeValue(it->value(), &v)) {
        if (v.expire_at_ms > 0 && v.expire_at_ms <= now) {
          expired.emplace_back(it->key());
        } else {
          pass_keys_++;
          if (v.expire_at_ms > 0) pass_expires_++;
        }
      }
      sweep_cursor_ = it->key();
    }
    if (!it->Valid() && it->status().ok()) {  // the pass is complete: publish, wrap around
      // Unless a FLUSHDB committed meanwhile: then these counts predate it.
      if (!restart_pass_.load(std::memory_order_relaxed)) {
        est_expires_.store(pass_expires_, std::memory_order_relaxed);
        est_keys_.store(pass_keys_, std::memory_order_relaxed);
      }
      sweep_cursor_.clear();
    } else if (!it->Valid()) {
      sweep_cursor_.clear();  // an engine error: start over next tick, publish nothing
    }
  }
  for (const std::string& key : expired) {
    std::lock_guard<StripeLock> lock(stripes_[StripeOf(key)]);
    // Re-check under the lock: the key may have been rewritten since the scan.
    std::string raw;
    if (!db_->Get(ReadOptions(), key, &raw).ok()) continue;
    ValueView v;
    if (!DecodeValue(raw, &v) || v.expire_at_ms == 0 || v.expire_at_ms > NowMs()) continue;
    if (db_->Delete(WriteOptions(), key).ok()) {
      stats_->expired_keys.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return examined;
}

bool Keyspace::KeyEstimate(int64_t* keys, int64_t* expires) const {
  const int64_t k = est_keys_.load(std::memory_order_relaxed);
  if (k < 0) return false;
  *keys = k;
  *expires = std::min(k, est_expires_.load(std::memory_order_relaxed));
  return true;
}

void Keyspace::OnFlushed() {
  // Called with every stripe locked: taking sweep_mu_ here would invert the sweeper's order
  // (sweep_mu_, then a stripe). The sweeper restarts its pass when it sees the flag.
  restart_pass_.store(true, std::memory_order_relaxed);
  est_expires_.store(0, std::memory_order_relaxed);
  est_keys_.store(0, std::memory_order_relaxed);
}

Status Keyspace::CountLiveKeys(int64_t* keys) {
  ReadOptions ro;
  ro.fill_cache = false;  // a full scan must not evict the working set
  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  const int64_t now = NowMs();
  int64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ValueView v;
    if (DecodeValue(it->value(), &v) && (v.expire_at_ms == 0 || v.expire_at_ms > now)) n++;
  }
  if (!it->status().ok()) return it->status();
  *keys = n;
  return Status::OK();
}

WriteContext::~WriteContext() {
  // Pending writes were never acknowledged; dropping them is correct.
  ReleaseLocks();
}

void WriteContext::ReleaseLocks() {
  if (all_locked_) {
    for (size_t i = Keyspace::kStripes; i-- > 0;) ks_->stripe(i).unlock();
    all_locked_ = false;
  }
  for (uint16_t s : held_) ks_->stripe(s).unlock();
  held_.clear();
  held_bits_.reset();
}

Status WriteContext::LockKey(std::string_view key) {
  if (all_locked_) return Status::OK();
  if (held_bits_.test(Keyspace::StripeOf(key))) return Status::OK();
  return LockKeys({key});
}

Status WriteContext::LockKeys(const std::vector<std::string_view>& keys) {
  if (all_locked_) return Status::OK();
  std::vector<uint16_t> want;
  want.reserve(keys.size());
  for (std::string_view k : keys) {
    uint16_t s = static_cast<uint16_t>(Keyspace::StripeOf(k));
    if (!held_bits_.test(s)) want.push_back(s);
  }
  if (want.empty()) return Status::OK();
  lock_events_++;
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());

  Status status;
  if (!held_.empty()) {
    // Holding stripes: only try-lock, never wait, or two contexts could wait on each other.
    size_t got = 0;
    for (; got < want.size(); got++) {
      if (!ks_->stripe(want[got]).try_lock()) break;
    }
    if (got == want.size()) {
      for (uint16_t s : want) {
        held_.push_back(s);
        held_bits_.set(s);
      }
      return Status::OK();
    }
    for (size_t i = 0; i < got; i++) ks_->stripe(want[i]).unlock();
    status = Commit();  // releases everything; now waiting is safe
  }
  for (uint16_t s : want) {
    ks_->stripe(s).lock();  // ascending order
    held_bits_.set(s);
  }
  held_ = std::move(want);
  return status;
}

Status WriteContext::LockAll() {
  Status status = Commit();
  lock_events_++;
  for (size_t i = 0; i < Keyspace::kStripes; i++) ks_->stripe(i).lock();
  all_locked_ = true;
  return status;
}

void WriteContext::EnsureOverlay() {
  if (overlay_built_) return;
  struct Builder final : WriteBatch::Handler {
    WriteContext* wc;
    void Put(std::string_view key, std::string_view value) override {
      wc->overlay_[std::string(key)] = std::string(value);
    }
    void Delete(std::string_view key) override { wc->overlay_[std::string(key)] = std::nullopt; }
    void DeleteRange(std::string_view, std::string_view) override {
      // Only DeleteAll writes ranges, and it keeps the overlay built; kept for completeness.
      wc->overlay_.clear();
      wc->all_deleted_ = true;
    }
  } builder;
  builder.wc = this;
  overlay_.clear();
  // Our own serialized batch: Iterate cannot fail on it.
  (void)batch_.Iterate(&builder);
  overlay_built_ = true;
}

Status WriteContext::GetRaw(std::string_view key, std::string* encoded, const ReadOptions& read) {
  if (batch_.Count() > 0) {
    EnsureOverlay();
    auto it = overlay_.find(std::string(key));
    if (it != overlay_.end()) {
      overlay_reads_++;
      if (!it->second) return Status::NotFound("key");
      *encoded = *it->second;
      return Status::OK();
    }
    if (all_deleted_) {
      overlay_reads_++;
      return Status::NotFound("key");
    }
  }
  return ks_->db()->Get(read, key, encoded);
}

Status WriteContext::Lookup(std::string_view key, std::string* raw, ValueView* value, bool* found,
                            const ReadOptions& read) {
  *found = false;
  Status s = GetRaw(key, raw, read);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  if (!DecodeValue(*raw, value)) {
    return Status::Corruption("value of key is not in jadedb-server format", key);
  }
  *found = value->expire_at_ms == 0 || value->expire_at_ms > NowMs();
  return Status::OK();
}

Status WriteContext::Get(std::string_view key, StoredValue* out, const ReadOptions& read) {
  std::string raw;
  ValueView v;
  Status s = Lookup(key, &raw, &v, &out->found, read);
  if (!s.ok() || !out->found) return s;
  out->type = v.type;
  out->expire_at_ms = v.expire_at_ms;
  out->payload.assign(v.payload);
  return Status::OK();
}

void WriteContext::Put(std::string_view key, std::string_view payload, int64_t expire_at_ms) {
  std::string encoded;
  EncodeValue(ValueType::kString, expire_at_ms, payload, &encoded);
  batch_.Put(key, encoded);
  if (overlay_built_) overlay_[std::string(key)] = std::move(encoded);
}

void WriteContext::Delete(std::string_view key) {
  batch_.Delete(key);
  if (overlay_built_) overlay_[std::string(key)] = std::nullopt;
}

Status WriteContext::DeleteAll() {
  if (!ks_->range_deletes()) return Status::NotSupported("DeleteRange");
  // The range must end past the largest key, stored or pending. [first, last) plus a point
  // deletion of `last` covers everything without a successor key that could exceed the key
  // size limit.
  std::string last;
  bool any = false;
  {
    ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<Iterator> it = ks_->db()->NewIterator(ro);
    it->SeekToLast();
    if (it->Valid()) {
      last.assign(it->key());
      any = true;
    }
    if (!it->status().ok()) return it->status();
  }
  for (const std::string& k : PendingKeys()) {
    if (!any || k > last) last = k;
    any = true;
  }
  if (!any) return Status::OK();
  batch_.DeleteRange("", last);
  batch_.Delete(last);
  overlay_.clear();
  overlay_built_ = true;
  all_deleted_ = true;
  return Status::OK();
}

std::vector<std::string> WriteContext::PendingKeys() {
  EnsureOverlay();
  std::vector<std::string> keys;
  keys.reserve(overlay_.size());
  for (const auto& [k, v] : overlay_) keys.push_back(k);
  return keys;
}

Status WriteContext::Commit() {
  Status s;
  if (batch_.Count() > 0) {
    WriteOptions wo;
    wo.sync = ks_->sync_policy() == SyncPolicy::kAlways;
    s = ks_->db()->Write(wo, &batch_);
    ServerStats* st = ks_->stats();
    st->batches_committed.fetch_add(1, std::memory_order_relaxed);
    if (wo.sync) st->syncs.fetch_add(1, std::memory_order_relaxed);
    if (!s.ok()) st->write_errors.fetch_add(1, std::memory_order_relaxed);
    lock_events_++;
    batch_.Clear();
  }
  if (s.ok() && flushed_all_) ks_->OnFlushed();
  flushed_all_ = false;
  overlay_.clear();
  overlay_built_ = false;
  all_deleted_ = false;
  ReleaseLocks();
  if (listener_ != nullptr) listener_->OnCommit(s);
  return s;
}

}  // namespace jadedb::server
