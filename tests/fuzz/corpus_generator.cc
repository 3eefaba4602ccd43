// fuzz_corpus_generator OUT_DIR: writes the seed corpus of every fuzz target into
// OUT_DIR/<target>/, through the real writers (log::Writer, BlockBuilder, TableBuilder,
// VersionSet, the value-log and B+tree page encoders), so the seeds are valid files the fuzzer
// mutates from. `make fuzz-corpus` runs it into tests/fuzz/corpus/. The first byte of every
// seed is the target's options byte (see the comment at the top of each <target>_fuzz.cc).
// Deterministic: the same build writes the same bytes.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bplustree/node.h"
#include "bplustree/page.h"
#include "bplustree/page_file.h"
#include "fuzz_env.h"
#include "jadedb/options.h"
#include "jadedb/write_batch.h"
#include "lsm/base/comparator.h"
#include "lsm/base/dbformat.h"
#include "lsm/base/filename.h"
#include "lsm/sstable/block_builder.h"
#include "lsm/sstable/bloom.h"
#include "lsm/sstable/table_builder.h"
#include "lsm/sstable/table_cache.h"
#include "lsm/version/version_edit.h"
#include "lsm/version/version_set.h"
#include "lsm/vlog/vlog_format.h"
#include "lsm/wal/log_writer.h"
#include "util/write_batch_internal.h"

namespace jadedb {
namespace {

namespace fs = std::filesystem;

class CorpusWriter {
 public:
  explicit CorpusWriter(fs::path root) : root_(std::move(root)) {}

  // Writes options byte + payload as OUT_DIR/target/name.
  bool Write(const std::string& target, const std::string& name, uint8_t options,
             std::string_view payload) {
    const fs::path dir = root_ / target;
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.put(static_cast<char>(options));
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    out.close();
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      ok_ = false;
    }
    files_++;
    return ok_;
  }
  bool ok() const { return ok_; }
  int files() const { return files_; }

 private:
  const fs::path root_;
  bool ok_ = true;
  int files_ = 0;
};

// ---- LSM log (WAL and MANIFEST framing) ----

std::string Log(lsm::log::LogKind kind, const std::vector<std::string>& records) {
  fuzz::MemEnv env;
  std::unique_ptr<WritableFile> f;
  env.NewWritableFile("log", &f);
  lsm::log::Writer writer(f.get(), kind);
  for (const std::string& r : records) writer.AddRecord(r);
  return env.files()["log"];
}

std::string Batch(uint64_t sequence, int variant) {
  WriteBatch b;
  b.Put("apple", "red");
  b.Put("banana", std::string(40, 'y'));
  b.Delete("cherry");
  if (variant & 1) b.DeleteRange("d", "f");
  if (variant & 2) {
    std::string pointer;
    lsm::vlog::ValuePointer{12, 16, 300}.EncodeTo(&pointer);
    WriteBatchInternal::PutValuePointer(&b, "large", pointer);
  }
  WriteBatchInternal::SetSequence(&b, sequence);
  return std::string(WriteBatchInternal::Contents(&b));
}

std::string BigBatch(uint64_t sequence) {
  WriteBatch b;
  b.Put("big", std::string(40000, 'F'));
  WriteBatchInternal::SetSequence(&b, sequence);
  return std::string(WriteBatchInternal::Contents(&b));
}

// ---- VersionEdit / MANIFEST ----

lsm::InternalKey IKey(std::string_view user_key, uint64_t seq) {
  return lsm::InternalKey(user_key, seq, lsm::kTypeValue);
}

std::string EditBytes() {
  lsm::VersionEdit e;
  e.SetFormatVersion(lsm::kManifestFormatVersion);
  e.SetComparatorName(lsm::BytewiseComparator()->Name());
  e.SetLogNumber(4);
  e.SetPrevLogNumber(0);
  e.SetNextFile(9);
  e.SetLastSequence(120);
  e.SetCompactPointer(1, IKey("m", 50));
  e.RemoveFile(0, 3);
  e.AddFile(0, 7, 2048, IKey("a", 100), IKey("k", 90));
  e.AddFile(1, 8, 4096, IKey("l", 20), IKey("z", 10));
  std::string out;
  e.EncodeTo(&out);
  return out;
}

// A MANIFEST as VersionSet writes it: a snapshot record, then two edits.
std::string Manifest() {
  fuzz::MemEnv env;
  Options options;
  options.env = &env;
  const lsm::InternalKeyComparator icmp(lsm::BytewiseComparator());
  lsm::TableOptions topts;
  topts.comparator = &icmp;
  lsm::TableCache cache("db", topts, &env, 10);
  lsm::VersionSet vs("db", &options, &cache, &icmp);
  std::mutex mu;
  std::lock_guard<std::mutex> l(mu);
  lsm::VersionEdit e1;
  e1.SetLogNumber(vs.NewFileNumber());
  e1.AddFile(0, vs.NewFileNumber(), 1500, IKey("a", 10), IKey("f", 5));
  vs.SetLastSequence(10);
  vs.LogAndApply(&e1, &mu);
  lsm::VersionEdit e2;
  e2.AddFile(1, vs.NewFileNumber(), 3000, IKey("g", 20), IKey("p", 12));
  e2.SetCompactPointer(1, IKey("h", 15));
  vs.SetLastSequence(20);
  vs.LogAndApply(&e2, &mu);
  lsm::VersionEdit e3;
  e3.RemoveFile(0, 2);
  e3.SetLogNumber(vs.NewFileNumber());
  vs.LogAndApply(&e3, &mu);
  return env.files()[lsm::ManifestFileName("db", vs.ManifestFileNumber())];
}

// ---- sstable blocks and tables ----

std::string BlockBytes(bool internal_keys) {
  lsm::BlockBuilder b(4);
  for (int i = 0; i < 24; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%04d", i * 7);
    std::string k = key;
    if (internal_keys) k = std::string(IKey(key, 1000 - i).Encode());
    b.Add(k, std::string(i % 5, 'v'));
  }
  return std::string(b.Finish());
}

// Pairs in the block target's round-trip encoding: [klen][key][vlen][value].
std::string PairBytes() {
  std::string out;
  for (int i = 0; i < 12; i++) {
    const std::string key = "pair" + std::to_string(i * 3);
    const std::string value(static_cast<size_t>(i), 'x');
    out.push_back(static_cast<char>(key.size()));
    out += key;
    out.push_back(static_cast<char>(value.size()));
    out += value;
  }
  return out;
}

struct TableSpec {
  bool internal_keys = false;
  bool bloom = false;
  bool range_tombstones = false;
  lsm::CompressionType compression = lsm::CompressionType::kNone;
};

std::string Table(const TableSpec& spec) {
  fuzz::MemEnv env;
  const lsm::InternalKeyComparator icmp(lsm::BytewiseComparator());
  std::unique_ptr<lsm::FilterPolicy> bloom = lsm::NewBloomFilterPolicy(10);
  lsm::InternalFilterPolicy internal_bloom(bloom.get());
  lsm::TableOptions options;
  options.comparator =
      spec.internal_keys ? static_cast<const lsm::Comparator*>(&icmp) : lsm::BytewiseComparator();
  if (spec.bloom) {
    options.filter_policy =
        spec.internal_keys ? static_cast<const lsm::FilterPolicy*>(&internal_bloom) : bloom.get();
  }
  options.block_size = 256;
  options.block_restart_interval = 4;
  options.compression = spec.compression;
  std::unique_ptr<WritableFile> f;
  env.NewWritableFile("t", &f);
  lsm::TableBuilder builder(options, f.get());
  for (int i = 0; i < 40; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "row%05d", i * 11);
    const std::string value(20 + i % 7, static_cast<char>('a' + i % 3));
    if (spec.internal_keys) {
      builder.Add(IKey(key, 500 - i).Encode(), value);
    } else {
      builder.Add(key, value);
    }
  }
  if (spec.range_tombstones) {
    builder.AddRangeTombstone("row00100", "row00150", 600);
    builder.AddRangeTombstone("row00300", "row00320", 601);
  }
  builder.Finish();
  return env.files()["t"];
}

// ---- value log ----

std::string Segment() {
  std::string s;
  lsm::vlog::AppendSegmentHeader(&s);
  for (int i = 0; i < 5; i++) {
    lsm::vlog::AppendRecord(&s, "vkey" + std::to_string(i), std::string(30 + i * 10, 'V'));
  }
  return s;
}

// ---- B+tree pages ----

using bplustree::kPageHeaderSize;
using bplustree::Node;
using bplustree::OverflowRef;
using bplustree::PageId;
using bplustree::PageType;
using bplustree::PayloadSize;

std::string Ref(uint64_t page, uint32_t length) {
  char buf[OverflowRef::kEncodedSize];
  OverflowRef{page, length}.EncodeTo(buf);
  return std::string(buf, sizeof(buf));
}

std::string LeafPage(size_t page_size, PageId id) {
  std::string page(page_size, '\0');
  bplustree::InitPage(page.data(), page_size, id, PageType::kLeaf, 0, 77);
  Node node(page.data() + kPageHeaderSize, PayloadSize(page_size));
  Node::Init(node.data(), node.size(), /*leaf=*/true);
  int n = 0;
  for (int i = 0; i < 20; i++) {
    const std::string key = "leafkey" + std::to_string(100 + i);
    node.InsertCell(n++, Node::EncodeCell(0, key, std::string(static_cast<size_t>(i), 'w')));
  }
  // A value in an overflow chain, and a key too long to stay inline.
  node.InsertCell(n++, Node::EncodeCell(bplustree::kValueOverflow, "leafkey200", Ref(40, 9000)));
  const std::string long_key = "leafkey3" + std::string(bplustree::kInlineKeyPrefix - 8, 'z');
  node.InsertCell(n++, Node::EncodeCell(bplustree::kKeyOverflow, long_key + Ref(41, 300), "v"));
  node.RemoveCell(3);  // leaves a fragment in the heap
  bplustree::PageMutator m(page.data(), page_size);
  m.set_record_count(static_cast<uint16_t>(node.count()));
  m.set_prev(5);
  m.set_next(9);
  bplustree::SealPage(page.data(), page_size);
  return page;
}

std::string InternalPage(size_t page_size, PageId id) {
  std::string page(page_size, '\0');
  bplustree::InitPage(page.data(), page_size, id, PageType::kInternal, 1, 78);
  Node node(page.data() + kPageHeaderSize, PayloadSize(page_size));
  Node::Init(node.data(), node.size(), /*leaf=*/false);
  node.InsertCell(0, Node::EncodeInternalCell(0, "", 10));
  for (int i = 1; i < 12; i++) {
    node.InsertCell(i, Node::EncodeInternalCell(0, "sep" + std::to_string(i * 5), 10 + i));
  }
  bplustree::PageMutator(page.data(), page_size).set_record_count(static_cast<uint16_t>(12));
  bplustree::SealPage(page.data(), page_size);
  return page;
}

std::string MetaPageBytes(size_t page_size) {
  bplustree::MetaPage meta;
  meta.page_size = static_cast<uint32_t>(page_size);
  meta.sequence = 3;
  meta.root = 2;
  meta.page_count = 12;
  meta.checkpoint_lsn = 40;
  meta.redo_start = 41;
  std::string page(page_size, '\0');
  bplustree::EncodeMetaPage(meta, 0, page.data());
  return page;
}

// ---- RESP requests (the server's parser; first byte = split point) ----

const std::vector<std::string>& RespSeeds() {
  static const std::vector<std::string> seeds = {
      std::string("*2\r\n$3\r\nGET\r\n$1\r\na\r\n"),
      std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n"),
      std::string("PING\r\nset a \"b c\" 'd'\r\n"),
      std::string("*0\r\n*-1\r\n"),
      std::string("*1\r\n$99999999\r\n"),
      std::string("*3\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nEXEC\r\n"),
  };
  return seeds;
}

bool Generate(const fs::path& root) {
  CorpusWriter w(root);
  using lsm::log::LogKind;
  // wal_reader: byte 0 = kind (bit 0), no-verify (bit 1), read chunk (bits 2-7).
  const std::string wal = Log(LogKind::kWal, {Batch(1, 0), Batch(4, 1), Batch(8, 3)});
  w.Write("wal_reader", "wal", 0x00, wal);
  w.Write("wal_reader", "wal_short_reads", 0x00 | (5 << 2), wal);
  w.Write("wal_reader", "wal_no_verify", 0x02, wal);
  w.Write("wal_reader", "wal_empty", 0x00, "");
  // One record of 40 KB: FIRST and LAST fragments across a block boundary.
  w.Write("wal_reader", "wal_fragmented", 0x00, Log(LogKind::kWal, {Batch(20, 0), BigBatch(30)}));
  w.Write("wal_reader", "manifest", 0x01, Manifest());

  // block: byte 0 = round trip (bit 0), internal keys (bit 1), restart interval (bits 2-6).
  w.Write("block", "bytewise", 0x00, BlockBytes(false));
  w.Write("block", "internal_keys", 0x02, BlockBytes(true));
  w.Write("block", "round_trip", 0x01 | (3 << 2), PairBytes());

  // table: byte 0 = verify (1), paranoid (2), cache (4), pin (8), bloom (16), internal (32),
  // reseal (64).
  using lsm::CompressionType;
  w.Write("table", "plain", 0x00, Table({}));
  w.Write("table", "internal_bloom_range_del", 32 | 16 | 4 | 8,
          Table({true, true, true, CompressionType::kNone}));
  w.Write("table", "snappy", 32 | 16 | 64, Table({true, true, false, CompressionType::kSnappy}));
  w.Write("table", "lz4", 32 | 4 | 64, Table({true, false, true, CompressionType::kLz4}));
  w.Write("table", "zstd", 1 | 2 | 64, Table({false, false, false, CompressionType::kZstd}));

  // manifest: byte 0 = mode (0 edit, 1 MANIFEST file).
  w.Write("manifest", "edit", 0x00, EditBytes());
  w.Write("manifest", "manifest", 0x01, Manifest());

  // vlog_record: byte 0 = mode (0 pointer, 1 record, 2 segment).
  std::string pointer;
  lsm::vlog::ValuePointer{9, 16, 46}.EncodeTo(&pointer);
  w.Write("vlog_record", "pointer", 0x00, pointer);
  std::string record;
  lsm::vlog::AppendRecord(&record, "key", "a value of the value log");
  w.Write("vlog_record", "record", 0x01, record);
  w.Write("vlog_record", "segment", 0x02, Segment());
  // Regression (docs/reliability.md, Bugs found): a torn tail whose record header claims a value
  // of 3 GiB; the scan used to allocate and zero-fill that much before finding the end.
  std::string torn = Segment();
  torn += std::string("\x11\x22\x33\x44\x03\x00\x00\x00\x00\x00\x00\xc0", 12) + "abc";
  w.Write("vlog_record", "regress_torn_tail_huge_length", 0x02, torn);

  // bplustree_page: byte 0 = 8 KiB (bit 0), reseal (bit 1), meta decode (bit 2). Without
  // reseal the target expects page id 5.
  w.Write("bplustree_page", "leaf", 0x00, LeafPage(4096, 5));
  w.Write("bplustree_page", "leaf_reseal", 0x02, LeafPage(4096, 12));
  w.Write("bplustree_page", "internal_reseal", 0x02, InternalPage(4096, 13));
  w.Write("bplustree_page", "leaf_8k", 0x01 | 0x02, LeafPage(8192, 14));
  w.Write("bplustree_page", "meta", 0x04 | 0x02, MetaPageBytes(4096));

  // resp_parser: byte 0 = where the input is split in two reads.
  for (size_t i = 0; i < RespSeeds().size(); i++) {
    w.Write("resp_parser", "request" + std::to_string(i), static_cast<uint8_t>(3 * i + 1),
            RespSeeds()[i]);
  }
  std::printf("wrote %d seed files under %s\n", w.files(), root.c_str());
  return w.ok();
}

}  // namespace
}  // namespace jadedb

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  return jadedb::Generate(argv[1]) ? 0 : 1;
}
