// A main() for the fuzz targets when libFuzzer is not available (the normal gcc build): replays
// every file of the seed corpus, then runs deterministic mutations of them (bit flips, byte
// edits, insertions, deletions, splices, interesting 32-bit values), so `make test` exercises
// every target cheaply and the same way every time.
//
// Usage: <target> [--mutations=N] [--seed=S] [--only=K] [--save=FILE] CORPUS_DIR_OR_FILE...
// A crash or sanitizer report saves the failing input to ./fuzz-failure-<pid>.bin (the path is
// printed); --only=K --save=FILE replays or extracts mutation K alone.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Called by the sanitizer runtime just before it exits with a report (weak: absent without a
// sanitizer).
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace {

// The input being run, for the crash handlers (which may only use async-signal-safe calls).
const std::string* g_current = nullptr;
char g_failure_path[64];

void SaveCurrentInput() {
  if (g_current == nullptr) return;
  const int fd = open(g_failure_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  size_t done = 0;
  while (done < g_current->size()) {
    const ssize_t n = write(fd, g_current->data() + done, g_current->size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  const char msg[] = "\nstandalone fuzz driver: failing input saved to ";
  (void)!write(2, msg, sizeof(msg) - 1);
  (void)!write(2, g_failure_path, std::strlen(g_failure_path));
  (void)!write(2, "\n", 1);
}

void OnSignal(int sig) {
  SaveCurrentInput();
  signal(sig, SIG_DFL);
  raise(sig);
}

// splitmix64: small, fast, and the same sequence everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// One to four random edits of a seed (libFuzzer's basic mutators, simplified).
std::string Mutate(const std::vector<std::string>& seeds, Rng* rng) {
  std::string s = seeds[rng->Below(seeds.size())];
  const int edits = 1 + static_cast<int>(rng->Below(4));
  static const uint32_t kInteresting[] = {0,          1,          0x7f,       0x80,      0xff,
                                          0x100,      0x7fff,     0x8000,     0xffff,    0x10000,
                                          0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};
  for (int e = 0; e < edits; e++) {
    const size_t pos = rng->Below(s.size() + 1);
    switch (rng->Below(8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pos % s.size()] ^= static_cast<char>(1u << rng->Below(8));
        break;
      case 1:  // set a byte
        if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng->Next());
        break;
      case 2:  // insert bytes
        s.insert(pos, 1 + rng->Below(8), static_cast<char>(rng->Next()));
        break;
      case 3:  // erase bytes
        if (pos < s.size()) s.erase(pos, 1 + rng->Below(std::min<size_t>(s.size() - pos, 64)));
        break;
      case 4:  // truncate
        s.resize(pos);
        break;
      case 5: {  // overwrite 1, 2 or 4 bytes with an interesting little-endian value
        const uint32_t v = kInteresting[rng->Below(std::size(kInteresting))];
        const size_t width = size_t{1} << rng->Below(3);
        for (size_t i = 0; i < width && pos + i < s.size(); i++) {
          s[pos + i] = static_cast<char>(v >> (8 * i));
        }
        break;
      }
      case 6: {  // copy a chunk of the input elsewhere in it
        if (s.empty()) break;
        const size_t from = rng->Below(s.size());
        const size_t len = 1 + rng->Below(std::min<size_t>(s.size() - from, 32));
        const std::string chunk = s.substr(from, len);
        s.replace(pos, std::min(len, s.size() - pos), chunk);
        break;
      }
      default: {  // splice: head of this input, tail of another seed
        const std::string& other = seeds[rng->Below(seeds.size())];
        const size_t cut = rng->Below(other.size() + 1);
        s = s.substr(0, pos) + other.substr(cut);
        break;
      }
    }
  }
  return s;
}

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

void Run(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 3000;
  uint64_t seed = 1;
  long only = -1;
  std::string save;
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    if (arg.rfind("--mutations=", 0) == 0) {
      mutations = std::strtol(arg.c_str() + 12, nullptr, 10);
    } else if (arg.rfind("--seed=", 0) == 0) {
      seed = std::strtoull(arg.c_str() + 7, nullptr, 10);
    } else if (arg.rfind("--only=", 0) == 0) {
      only = std::strtol(arg.c_str() + 7, nullptr, 10);
    } else if (arg.rfind("--save=", 0) == 0) {
      save = arg.substr(7);
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "unknown option %s\n", arg.c_str());
      return 2;
    } else {
      paths.emplace_back(arg);
    }
  }

  std::vector<std::string> seeds;
  for (const auto& path : paths) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());  // directory order is not deterministic
    } else {
      files.push_back(path);
    }
    for (const auto& file : files) {
      std::string data;
      if (!ReadFile(file, &data)) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 2;
      }
      seeds.push_back(std::move(data));
    }
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seed inputs (pass corpus directories or files)\n");
    return 2;
  }

  std::snprintf(g_failure_path, sizeof(g_failure_path), "fuzz-failure-%d.bin",
                static_cast<int>(getpid()));
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, OnSignal);
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(SaveCurrentInput);

  Rng rng(seed);
  if (only >= 0) {
    std::string input;
    for (long k = 0; k <= only; k++) input = Mutate(seeds, &rng);
    if (!save.empty()) {
      std::ofstream(save, std::ios::binary) << input;
      std::printf("mutation %ld (%zu bytes) saved to %s\n", only, input.size(), save.c_str());
    }
    Run(input);
    return 0;
  }
  for (const std::string& s : seeds) Run(s);
  for (long k = 0; k < mutations; k++) Run(Mutate(seeds, &rng));
  std::printf("%zu seed inputs and %ld mutations (seed %llu): no failure\n", seeds.size(),
              mutations, static_cast<unsigned long long>(seed));
  return 0;
}
