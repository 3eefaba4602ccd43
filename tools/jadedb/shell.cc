#include "shell.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "escaping.h"

namespace jadedb::cli {

int RunShell(CommandRunner* runner, std::FILE* in, std::FILE* out, bool interactive) {
  int result = kExitOk;
  char* buf = nullptr;
  size_t cap = 0;
  std::unique_ptr<char*, void (*)(char**)> owner(&buf, [](char** b) { std::free(*b); });
  while (true) {
    if (interactive) {
      std::fputs("jadedb> ", out);
      std::fflush(out);
    }
    ssize_t n = ::getline(&buf, &cap, in);
    if (n < 0) {
      if (interactive) std::fputc('\n', out);  // leave the terminal on a fresh line
      break;
    }
    std::string line(buf, static_cast<size_t>(n));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();

    std::vector<std::string> words;
    std::string error;
    if (!SplitWords(line, &words, &error)) {
      result = runner->UsageError(error);
      continue;
    }
    if (words.empty()) continue;
    if (words[0] == "quit" || words[0] == "exit") break;
    int code;
    if (words[0] == "help") {
      std::fputs(UsageText(), out);
      code = kExitOk;
    } else {
      code = runner->Run(words);
    }
    if (code == kExitError) result = kExitError;
    std::fflush(out);
  }
  std::fflush(out);
  return result;
}

}  // namespace jadedb::cli
