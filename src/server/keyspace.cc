#include "server/keyspace.h"

#include <algorithm>
#include <functional>

namespace jadedb::server {

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

size_t Keyspace::SweepExpired(size_t limit) {
  std::lock_guard<std::mutex> sweep(sweep_mu_);
  const int64_t now = NowMs();
  std::vector<std::string> expired;
  size_t examined = 0;
  {
    ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    it->Seek(sweep_cursor_);
    if (it->Valid() && !sweep_cursor_.empty() && it->key() == sweep_cursor_) it->Next();
    for (; it->Valid() && examined < limit; it->Next(), examined++) {
      ValueView v;
      if (DecodeValue(it->value(), &v) && v.expire_at_ms > 0 && v.expire_at_ms <= now) {
        expired.emplace_back(it->key());
      }
      sweep_cursor_ = it->key();
    }
    if (!it->Valid()) sweep_cursor_.clear();  // wrap around
  }
  for (const std::string& key : expired) {
    std::lock_guard<std::mutex> lock(stripes_[StripeOf(key)]);
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
}

Status WriteContext::LockKeys(const std::vector<std::string_view>& keys) {
  if (all_locked_) return Status::OK();
  std::vector<uint16_t> want;
  want.reserve(keys.size());
  for (std::string_view k : keys) {
    uint16_t s = static_cast<uint16_t>(Keyspace::StripeOf(k));
    if (!std::binary_search(held_.begin(), held_.end(), s)) want.push_back(s);
  }
  if (want.empty()) return Status::OK();
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
      held_.insert(held_.end(), want.begin(), want.end());
      std::sort(held_.begin(), held_.end());
      return Status::OK();
    }
    for (size_t i = 0; i < got; i++) ks_->stripe(want[i]).unlock();
    status = Commit();  // releases everything; now waiting is safe
  }
  for (uint16_t s : want) ks_->stripe(s).lock();  // ascending order
  held_ = std::move(want);
  return status;
}

Status WriteContext::LockAll() {
  Status status = Commit();
  for (size_t i = 0; i < Keyspace::kStripes; i++) ks_->stripe(i).lock();
  all_locked_ = true;
  return status;
}

Status WriteContext::GetRaw(std::string_view key, std::string* encoded, const ReadOptions& read) {
  if (!overlay_.empty()) {
    auto it = overlay_.find(std::string(key));
    if (it != overlay_.end()) {
      if (!it->second) return Status::NotFound("key");
      *encoded = *it->second;
      return Status::OK();
    }
  }
  return ks_->db()->Get(read, key, encoded);
}

Status WriteContext::Get(std::string_view key, StoredValue* out, const ReadOptions& read) {
  out->found = false;
  std::string raw;
  Status s = GetRaw(key, &raw, read);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  ValueView v;
  if (!DecodeValue(raw, &v)) {
    return Status::Corruption("value of key is not in jadedb-server format", key);
  }
  if (v.expire_at_ms > 0 && v.expire_at_ms <= NowMs()) return Status::OK();
  out->found = true;
  out->type = v.type;
  out->expire_at_ms = v.expire_at_ms;
  out->payload.assign(v.payload);
  return Status::OK();
}

void WriteContext::Put(std::string_view key, std::string_view payload, int64_t expire_at_ms) {
  std::string encoded;
  EncodeValue(ValueType::kString, expire_at_ms, payload, &encoded);
  batch_.Put(key, encoded);
  overlay_[std::string(key)] = std::move(encoded);
}

void WriteContext::Delete(std::string_view key) {
  batch_.Delete(key);
  overlay_[std::string(key)] = std::nullopt;
}

std::vector<std::string> WriteContext::PendingKeys() const {
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
    batch_.Clear();
    overlay_.clear();
  }
  ReleaseLocks();
  return s;
}

}  // namespace jadedb::server
