#include "jadedb-crashtest/ack_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "jadedb/env.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::crashtest {

AckLogWriter::~AckLogWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status AckLogWriter::Open(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::IOError(path, std::strerror(errno));
  return Status::OK();
}

void AckLogWriter::Acked(const Ack& ack) {
  std::string rec;
  PutFixed64(&rec, ack.stamp);
  PutFixed32(&rec, ack.sync ? 1 : 0);
  PutFixed32(&rec, crc32c::Mask(crc32c::Value(rec)));
  // One write(2) per record: O_APPEND makes concurrent records land whole and in order of
  // the calls. A failure here would make the log miss an acknowledgement, which only weakens
  // the check (the batch then counts as in flight), so it is not fatal.
  ssize_t n;
  do {
    n = ::write(fd_, rec.data(), rec.size());
  } while (n < 0 && errno == EINTR);
}

Status ReadAckLog(const std::string& path, std::vector<Ack>* acks) {
  acks->clear();
  std::string data;
  Status s = ReadFileToString(Env::Default(), path, &data);
  if (s.IsNotFound()) return Status::OK();  // the child died before its first ack
  if (!s.ok()) return s;
  const size_t records = data.size() / kAckRecordSize;
  for (size_t i = 0; i < records; i++) {
    const char* p = data.data() + i * kAckRecordSize;
    const uint32_t crc = crc32c::Unmask(DecodeFixed32(p + 12));
    if (crc != crc32c::Value(p, 12)) {
      if (i + 1 == records && data.size() == records * kAckRecordSize) break;  // torn tail
      return Status::Corruption(path, "bad record at offset " + std::to_string(i * 16));
    }
    Ack ack;
    ack.stamp = DecodeFixed64(p);
    ack.sync = (DecodeFixed32(p + 8) & 1) != 0;
    acks->push_back(ack);
  }
  return Status::OK();
}

Status ComputeBounds(const IterationParams& params, const std::vector<Ack>& acks, bool power_loss,
                     std::vector<StreamBounds>* bounds) {
  bounds->assign(params.threads, StreamBounds{});
  std::vector<std::vector<const Ack*>> by_thread(params.threads);
  uint64_t last_sync_start = 0;
  for (const Ack& a : acks) {
    const uint32_t t = StampThread(a.stamp);
    if (StampEpoch(a.stamp) != params.epoch || t >= static_cast<uint32_t>(params.threads)) {
      return Status::Corruption("ack log",
                                "acknowledgement of a foreign batch " + StampString(a.stamp));
    }
    by_thread[t].push_back(&a);
    if (a.sync) last_sync_start = std::max(last_sync_start, a.start_tick);
  }
  for (int t = 0; t < params.threads; t++) {
    auto& v = by_thread[t];
    std::sort(v.begin(), v.end(),
              [](const Ack* a, const Ack* b) { return StampSeq(a->stamp) < StampSeq(b->stamp); });
    StreamBounds& b = (*bounds)[t];
    for (size_t i = 0; i < v.size(); i++) {
      if (StampSeq(v[i]->stamp) != i) {
        return Status::Corruption("ack log", "thread " + std::to_string(t) + " acknowledged " +
                                                 StampString(v[i]->stamp) + " as its batch #" +
                                                 std::to_string(i));
      }
      if (!power_loss || v[i]->sync || v[i]->ack_tick < last_sync_start) {
        b.min_batches = static_cast<uint32_t>(i + 1);
      }
    }
    b.acked = static_cast<uint32_t>(v.size());
    b.max_batches = b.acked + 1;
  }
  return Status::OK();
}

}  // namespace jadedb::crashtest
