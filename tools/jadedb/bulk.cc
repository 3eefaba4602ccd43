#include "bulk.h"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "escaping.h"

namespace jadedb::cli {
namespace {

void WritePair(std::FILE* out, std::string_view key, std::string_view value) {
  std::string line = Escape(key);
  line.push_back('\t');
  line.append(Escape(value));
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), out);
}

// Output errors (a full disk, a closed pipe) surface here rather than being lost.
Status CheckOutput(std::FILE* out) {
  if (std::fflush(out) != 0 || std::ferror(out)) return Status::IOError("writing output failed");
  return Status::OK();
}

// Reads one line without its '\n' (and without a '\r' before it, so files edited on Windows
// load too: a real CR byte is always written as \x0d). False at end of input.
bool ReadLine(std::FILE* in, std::string* line) {
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t n = ::getline(&buf, &cap, in);
  std::unique_ptr<char, decltype(&std::free)> owner(buf, &std::free);
  if (n < 0) return false;
  std::string_view s(buf, static_cast<size_t>(n));
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  line->assign(s);
  return true;
}

Status LineError(uint64_t line_no, std::string_view what) {
  return Status::InvalidArgument("input line " + std::to_string(line_no), what);
}

// Adds the update of one input line to *batch. *is_put tells which it was.
Status ParseLine(std::string_view line, uint64_t line_no, WriteBatch* batch, bool* is_put) {
  std::string key, value, error;
  size_t tab = line.find('\t');
  if (tab != std::string_view::npos) {
    std::string_view v = line.substr(tab + 1);
    if (v.find('\t') != std::string_view::npos) {
      return LineError(line_no, "more than one TAB (write TAB inside a value as \\x09)");
    }
    if (!Unescape(line.substr(0, tab), &key, &error) || !Unescape(v, &value, &error)) {
      return LineError(line_no, error);
    }
    batch->Put(key, value);
    *is_put = true;
    return Status::OK();
  }
  if (!line.empty() && line[0] == '-') {
    if (!Unescape(line.substr(1), &key, &error)) return LineError(line_no, error);
    batch->Delete(key);
    *is_put = false;
    return Status::OK();
  }
  return LineError(line_no, "expected KEY<TAB>VALUE or -KEY");
}

}  // namespace

Status Scan(DB* db, const ScanArgs& args, std::FILE* out) {
  ReadOptions ro;
  ro.lower_bound = args.from;
  ro.upper_bound = args.to;
  ro.fill_cache = false;  // a scan should not evict the working set
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  if (args.reverse) {
    it->SeekToLast();
  } else if (args.from) {
    it->Seek(*args.from);
  } else {
    it->SeekToFirst();
  }
  uint64_t printed = 0;
  while (it->Valid() && (!args.limit || printed < *args.limit)) {
    std::string_view key = it->key();
    // The iterator honours the bounds; checking them again costs little and keeps the output
    // right whatever the engine does with them.
    bool in_range = (!args.from || key >= std::string_view(*args.from)) &&
                    (!args.to || key < std::string_view(*args.to));
    if (in_range) {
      WritePair(out, key, it->value());
      ++printed;
    } else if (args.reverse ? (args.from && key < std::string_view(*args.from))
                            : (args.to && key >= std::string_view(*args.to))) {
      break;  // past the end of the range
    }
    if (args.reverse) {
      it->Prev();
    } else {
      it->Next();
    }
  }
  Status s = it->status();
  if (!s.ok()) return s;
  return CheckOutput(out);
}

Status Dump(DB* db, std::FILE* out) {
  ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) WritePair(out, it->key(), it->value());
  Status s = it->status();
  if (!s.ok()) return s;
  return CheckOutput(out);
}

Status Load(DB* db, const LoadArgs& args, std::FILE* in, LoadResult* result) {
  *result = LoadResult();
  auto start = std::chrono::steady_clock::now();
  WriteOptions wo;
  wo.sync = args.sync;
  WriteBatch batch;
  uint64_t lines_in_batch = 0, batch_puts = 0, line_no = 0;
  auto apply = [&]() -> Status {
    if (lines_in_batch == 0) return Status::OK();
    Status s = db->Write(wo, &batch);
    if (!s.ok()) return s;
    result->puts += batch_puts;
    result->deletes += lines_in_batch - batch_puts;
    batch.Clear();
    lines_in_batch = batch_puts = 0;
    return Status::OK();
  };
  Status s;
  std::string line;
  while (s.ok() && ReadLine(in, &line)) {
    ++line_no;
    if (line.empty()) continue;
    if (args.stop_at_dot && line == ".") break;
    bool is_put = false;
    s = ParseLine(line, line_no, &batch, &is_put);
    if (!s.ok()) break;
    ++lines_in_batch;
    if (is_put) ++batch_puts;
    // Applied before the next line is read, so `--sync --batch 1` makes each line durable
    // before the producer's next one is even looked at.
    if (lines_in_batch >= args.batch) s = apply();
  }
  if (s.ok() && std::ferror(in)) s = Status::IOError("reading input failed");
  if (s.ok()) s = apply();
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace jadedb::cli
