// VersionSet::Recover: reading CURRENT and replaying the MANIFEST it names.

#include <cstdio>

#include "lsm/base/filename.h"
#include "lsm/version/version_builder.h"
#include "lsm/version/version_set.h"
#include "lsm/wal/log_reader.h"

namespace jadedb::lsm {
namespace {

// Keeps the first mid-file corruption (fatal) and counts torn-tail bytes (tolerated).
class ManifestReporter final : public log::Reader::Reporter {
 public:
  void Corruption(size_t /*bytes*/, const Status& status) override {
    if (status_.ok()) status_ = status;
  }
  void TornTail(size_t bytes) override { torn_bytes_ += bytes; }

  const Status& status() const { return status_; }
  size_t torn_bytes() const { return torn_bytes_; }

 private:
  Status status_;
  size_t torn_bytes_ = 0;
};

std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

Status VersionSet::Recover(bool* save_manifest) {
  *save_manifest = false;
  const std::string current_path = CurrentFileName(dbname_);
  if (!env_->FileExists(current_path)) {
    return Status::NotFound(current_path,
                            "does not exist (not an LSM database, or not created yet)");
  }
  std::string current;
  Status s = ReadFileToString(env_, current_path, &current);
  if (!s.ok()) return s;
  if (current.empty() || current.back() != '\n') {
    return Status::Corruption(current_path, "does not end with a newline");
  }
  current.pop_back();
  uint64_t manifest_number = 0;
  FileType type;
  if (!ParseFileName(current, &manifest_number, &type) || type != FileType::kManifestFile) {
    return Status::Corruption(current_path,
                              "does not name a manifest: '" + Printable(current) + "'");
  }

  const std::string manifest_path = dbname_ + "/" + current;
  std::unique_ptr<SequentialFile> file;
  s = env_->NewSequentialFile(manifest_path, &file);
  if (!s.ok()) {
    if (!env_->FileExists(manifest_path)) {
      return Status::Corruption(manifest_path, "named by CURRENT but does not exist");
    }
    return s;
  }

  bool have_log_number = false, have_prev_log_number = false;
  bool have_next_file = false, have_last_sequence = false;
  uint64_t log_number = 0, prev_log_number = 0, next_file = 0;
  SequenceNumber last_sequence = 0;
  std::string compact_pointers[kNumLevels];
  int records = 0;

  VersionBuilder builder(icmp_, current_);
  ManifestReporter reporter;
  log::Reader reader(file.get(), manifest_path, log::LogKind::kManifest, &reporter,
                     /*verify_checksums=*/true);
  std::string_view record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch) && reporter.status().ok()) {
    auto fail = [&](std::string_view what) {
      return Status::Corruption(
          manifest_path,
          "offset " + std::to_string(reader.LastRecordOffset()) + ": " + std::string(what));
    };
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (!s.ok()) return fail(s.message());
    if (records++ == 0 && !edit.has_format_version()) {
      return fail("first record carries no format version: not a JadeDB manifest");
    }
    if (edit.has_format_version() && edit.format_version() > kManifestFormatVersion) {
      return Status::NotSupported(manifest_path, "format version " +
                                                     std::to_string(edit.format_version()) +
                                                     " is newer than this build reads (" +
                                                     std::to_string(kManifestFormatVersion) + ")");
    }
    if (edit.has_comparator() && edit.comparator() != icmp_->user_comparator()->Name()) {
      return Status::InvalidArgument(
          manifest_path, "DB was created with comparator '" + Printable(edit.comparator()) +
                             "' but is opened with '" + icmp_->user_comparator()->Name() + "'");
    }
    s = builder.Apply(edit);
    if (!s.ok()) return fail(s.message());
    for (const auto& [level, key] : edit.compact_pointers()) {
      compact_pointers[level].assign(key.Encode());
    }
    if (edit.has_log_number()) {
      have_log_number = true;
      log_number = edit.log_number();
    }
    if (edit.has_prev_log_number()) {
      have_prev_log_number = true;
      prev_log_number = edit.prev_log_number();
    }
    if (edit.has_next_file_number()) {
      have_next_file = true;
      next_file = edit.next_file_number();
    }
    if (edit.has_last_sequence()) {
      have_last_sequence = true;
      last_sequence = edit.last_sequence();
    }
  }
  if (!reporter.status().ok()) return reporter.status();
  if (!reader.status().ok()) return reader.status();
  if (records == 0) return Status::Corruption(manifest_path, "holds no complete record");
  if (!have_next_file) return Status::Corruption(manifest_path, "no next-file-number entry");
  if (!have_log_number) return Status::Corruption(manifest_path, "no log-number entry");
  if (!have_last_sequence) return Status::Corruption(manifest_path, "no last-sequence entry");
  if (!have_prev_log_number) prev_log_number = 0;
  if (reporter.torn_bytes() > 0) {
    // A crash in the middle of an append: that edit was never acknowledged.
    Log(options_->info_log.get(), "%s: dropped a torn tail of %zu bytes", manifest_path.c_str(),
        reporter.torn_bytes());
  }

  auto* v = new Version(this);
  s = builder.SaveTo(v);
  if (!s.ok()) {
    delete v;
    return Status::Corruption(manifest_path, s.message());
  }
  Finalize(v);
  AppendVersion(v);

  manifest_file_number_ = manifest_number;
  next_file_number_ = next_file;
  // Defensive: never hand out a number that is already on disk, whatever next_file says.
  MarkFileNumberUsed(manifest_number);
  MarkFileNumberUsed(log_number);
  MarkFileNumberUsed(prev_log_number);
  for (int level = 0; level < kNumLevels; level++) {
    for (const FileMetaData* f : v->files(level)) MarkFileNumberUsed(f->number);
    compact_pointer_[level] = std::move(compact_pointers[level]);
  }
  last_sequence_ = last_sequence;
  log_number_ = log_number;
  prev_log_number_ = prev_log_number;

  // Always write a fresh manifest on the next LogAndApply rather than appending to this one,
  // whose tail may be torn.
  *save_manifest = true;
  return Status::OK();
}

}  // namespace jadedb::lsm
