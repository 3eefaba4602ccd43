// Helpers for the CLI tests: run the built jadedb binary (JADEDB_CLI_PATH) as a child process
// with given stdin, and collect its stdout, stderr and exit code. CliProcess keeps a child
// running (e.g. the shell holding a DB open) while the test does other things.
//
// Header-only because cli_test links only jadedb_util and the test utilities. Not
// thread-safe; one test thread drives one process.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#ifndef JADEDB_CLI_PATH
#error "JADEDB_CLI_PATH must name the jadedb binary"
#endif

namespace jadedb::test {

struct CliResult {
  int exit_code = -1;  // -1 when the child did not exit normally (killed, timed out)
  std::string out;
  std::string err;
};

class CliProcess {
 public:
  // Starts `jadedb args...`. stdin is a pipe written with Write() unless stdin_fd >= 0, in
  // which case the child reads that descriptor (the caller keeps and closes its copy).
  explicit CliProcess(const std::vector<std::string>& args, int stdin_fd = -1) {
    int in[2] = {-1, -1}, out[2], err[2];
    if (stdin_fd < 0 && ::pipe2(in, O_CLOEXEC) != 0) return;
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv_store{JADEDB_CLI_PATH};
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(stdin_fd >= 0 ? stdin_fd : in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (stdin_fd < 0) {
      ::close(in[0]);
      in_ = in[1];
    }
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
    // Writing to a child that exited must fail with EPIPE, not kill the test.
    ::signal(SIGPIPE, SIG_IGN);
  }
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;
  ~CliProcess() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {in_, out_, err_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  bool started() const { return pid_ > 0; }

  // Writes data to the child's stdin while draining its output (so neither side blocks).
  bool Write(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      if (!Pump(/*timeout_ms=*/100, data, &done)) return false;
    }
    return true;
  }
  void CloseStdin() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }

  // Reads output until stdout contains `text` or the timeout passes; true when found.
  bool WaitForOutput(const std::string& text, int timeout_seconds = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (result_.out.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || (out_ < 0 && err_ < 0)) return false;
      size_t none = 0;
      Pump(100, "", &none);
    }
    return true;
  }

  // Closes stdin, reads all output and waits for the exit (killing the child after the
  // timeout).
  CliResult Finish(int timeout_seconds = 300) {
    CloseStdin();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (out_ >= 0 || err_ >= 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        break;
      }
      size_t none = 0;
      Pump(100, "", &none);
    }
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) {
      waited_ = true;
      result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return result_;
  }

 private:
  // One poll round: writes what it can of data[*done..] and reads what is there. False when
  // the write end is gone.
  bool Pump(int timeout_ms, const std::string& data, size_t* done) {
    pollfd fds[3];
    int n = 0;
    bool writing = *done < data.size() && in_ >= 0;
    if (writing) fds[n++] = {in_, POLLOUT, 0};
    int out_idx = out_ >= 0 ? n : -1;
    if (out_ >= 0) fds[n++] = {out_, POLLIN, 0};
    int err_idx = err_ >= 0 ? n : -1;
    if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
    if (n == 0) return !writing;
    if (::poll(fds, n, timeout_ms) < 0) return errno == EINTR;
    if (writing && fds[0].revents != 0) {
      ssize_t w = ::write(in_, data.data() + *done, data.size() - *done);
      if (w < 0 && errno != EINTR && errno != EAGAIN) return false;
      if (w > 0) *done += static_cast<size_t>(w);
    }
    Drain(out_idx >= 0 ? fds[out_idx].revents : 0, &out_, &result_.out);
    Drain(err_idx >= 0 ? fds[err_idx].revents : 0, &err_, &result_.err);
    return true;
  }
  static void Drain(short revents, int* fd, std::string* sink) {
    if (revents == 0) return;
    char buf[65536];
    ssize_t r = ::read(*fd, buf, sizeof(buf));
    if (r > 0) {
      sink->append(buf, static_cast<size_t>(r));
    } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
      ::close(*fd);
      *fd = -1;
    }
  }

  pid_t pid_ = -1;
  bool waited_ = false;
  int in_ = -1, out_ = -1, err_ = -1;
  CliResult result_;
};

// Runs `jadedb args...` with `input` on stdin to completion.
inline CliResult RunCli(const std::vector<std::string>& args, const std::string& input = "") {
  CliProcess p(args);
  if (!p.started()) return CliResult();
  p.Write(input);
  return p.Finish();
}

// The lines of text, without their '\n'.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace jadedb::test
