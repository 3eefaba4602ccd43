#include "jadedb-crashtest/runner.h"

#include "util/random.h"

namespace jadedb::crashtest {

Status BuildWriteBatch(const Batch& b, WriteBatch* wb) {
  wb->Clear();
  for (const BatchOp& op : b.ops) {
    switch (op.kind) {
      case BatchOp::kPut:
        wb->Put(KeyOf(op.key), Value(b.stamp, op.key));
        break;
      case BatchOp::kDelete:
        wb->Delete(KeyOf(op.key));
        break;
      case BatchOp::kDeleteRange:
        // The hook for range deletes: the verifier models them already; the writer can emit
        // them once WriteBatch has DeleteRange. Until then the tool never generates them.
        return Status::NotSupported("crash test", "WriteBatch has no DeleteRange");
    }
  }
  return Status::OK();
}

WorkloadRunner::WorkloadRunner(DB* db, const IterationParams& params, AckSink* sink)
    : db_(db), params_(params), sink_(sink) {}

WorkloadRunner::~WorkloadRunner() { Stop(); }

void WorkloadRunner::Start() {
  for (int t = 0; t < params_.threads; t++) threads_.emplace_back([this, t] { Run(t); });
}

void WorkloadRunner::Stop() {
  stop_.store(true);
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::string WorkloadRunner::first_error() const {
  std::lock_guard<std::mutex> l(mu_);
  return first_error_;
}

void WorkloadRunner::Fail(const std::string& what) {
  std::lock_guard<std::mutex> l(mu_);
  if (first_error_.empty()) first_error_ = what;
  failed_.store(true);
}

void WorkloadRunner::Run(int thread) {
  Random rnd(Mix64(params_.seed ^ (0x7a3d + static_cast<uint64_t>(thread))));
  WriteBatch wb;
  for (uint32_t seq = 0; !stop_.load(std::memory_order_relaxed); seq++) {
    const Batch b = GenerateBatch(params_, thread, seq);
    Status s = BuildWriteBatch(b, &wb);
    if (!s.ok()) return Fail("thread " + std::to_string(thread) + ": " + s.ToString());
    WriteOptions wo;
    wo.sync = b.sync;
    Ack ack;
    ack.stamp = b.stamp;
    ack.sync = b.sync;
    ack.start_tick = ticks_.fetch_add(1);
    s = db_->Write(wo, &wb);
    ack.ack_tick = ticks_.fetch_add(1);
    if (!s.ok()) {
      return Fail("thread " + std::to_string(thread) + " batch " + StampString(b.stamp) + ": " +
                  s.ToString());
    }
    sink_->Acked(ack);
    acked_.fetch_add(1);

    if (rnd.Uniform(1000) < static_cast<uint64_t>(params_.flush_per_mille)) {
      if (rnd.OneIn(2)) {
        FlushOptions fo;
        fo.wait = rnd.OneIn(2);
        s = db_->Flush(fo);
      } else {
        const uint32_t span = params_.End(thread) - params_.Begin(thread);
        const uint32_t a = params_.Begin(thread) + static_cast<uint32_t>(rnd.Uniform(span + 1));
        const std::string lo = KeyOf(a);
        const std::string hi = KeyOf(a + static_cast<uint32_t>(rnd.Uniform(span / 4 + 1)));
        std::string_view lo_view(lo), hi_view(hi);
        s = db_->CompactRange(&lo_view, &hi_view);
      }
      if (!s.ok())
        return Fail("thread " + std::to_string(thread) + " flush/compact: " + s.ToString());
    }
  }
}

}  // namespace jadedb::crashtest
