#include "engine/engine_marker.h"

#include <charconv>
#include <cstdio>
#include <string_view>

#include "util/crc32c.h"

namespace jadedb {
namespace {

constexpr std::string_view kMagic = "jadedb-engine";
constexpr int kFormatVersion = 1;

// "jadedb-engine 1 <engine> <crc32c hex>\n": the CRC covers everything before its field.
std::string EncodeMarker(EngineType engine) {
  std::string body = std::string(kMagic) + " " + std::to_string(kFormatVersion) + " " +
                     EngineTypeName(engine) + " ";
  char crc[16];
  std::snprintf(crc, sizeof(crc), "%08x", crc32c::Value(body));
  return body + crc + "\n";
}

}  // namespace

std::string EngineMarkerPath(const std::string& dbpath) { return dbpath + "/ENGINE"; }

Status WriteEngineMarker(Env* env, const std::string& dbpath, EngineType engine) {
  std::string path = EngineMarkerPath(dbpath);
  std::string tmp = path + ".tmp";
  Status s = WriteStringToFile(env, EncodeMarker(engine), tmp, /*sync=*/true);
  if (s.ok()) s = env->RenameFile(tmp, path);
  if (s.ok()) s = env->SyncDir(dbpath);
  return s;
}

Status ReadEngineMarker(Env* env, const std::string& dbpath, EngineType* engine) {
  std::string path = EngineMarkerPath(dbpath);
  if (!env->FileExists(path)) return Status::NotFound(path, "no engine marker");
  std::string contents;
  Status s = ReadFileToString(env, path, &contents);
  if (!s.ok()) return s;
  auto bad = [&](const char* why) { return Status::Corruption(path, why); };

  if (contents.size() > 128 || contents.empty() || contents.back() != '\n') {
    return bad("malformed engine marker");
  }
  std::string_view text(contents.data(), contents.size() - 1);
  size_t crc_pos = text.rfind(' ');
  if (crc_pos == std::string_view::npos) return bad("malformed engine marker");
  std::string_view body = text.substr(0, crc_pos + 1);
  std::string_view crc_text = text.substr(crc_pos + 1);
  uint32_t stored_crc = 0;
  auto [ptr, ec] =
      std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), stored_crc, 16);
  if (ec != std::errc() || ptr != crc_text.data() + crc_text.size() || crc_text.size() != 8) {
    return bad("malformed engine marker checksum");
  }
  if (crc32c::Value(body) != stored_crc) return bad("engine marker checksum mismatch");

  std::string_view rest = body;
  if (!rest.starts_with(kMagic) || rest.size() <= kMagic.size() || rest[kMagic.size()] != ' ') {
    return bad("not a JadeDB engine marker");
  }
  rest.remove_prefix(kMagic.size() + 1);
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos) return bad("malformed engine marker");
  if (rest.substr(0, sp) != std::to_string(kFormatVersion)) {
    return Status::NotSupported(path, "engine marker format version " +
                                          std::string(rest.substr(0, sp)) + " is not supported");
  }
  rest.remove_prefix(sp + 1);
  rest.remove_suffix(1);  // the space before the crc
  if (!ParseEngineType(rest, engine)) {
    return bad("engine marker names an unknown engine");
  }
  return Status::OK();
}

}  // namespace jadedb
