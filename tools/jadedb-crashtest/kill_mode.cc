// The kill mode: a writer child process (this binary, exec'ed with --child) runs the workload
// and the parent SIGKILLs it at a moment chosen by crash_moment.h.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "jadedb-crashtest/crash_moment.h"
#include "jadedb-crashtest/crash_test.h"
#include "jadedb/db.h"
#include "util/random.h"

namespace jadedb::crashtest {

Status EngineCrashTest::RunKill(const IterationParams& params, std::vector<Ack>* acks) {
  ::unlink(ack_path_.c_str());
  Random rnd(Mix64(params.seed ^ 0x6b696c6cull));
  const CrashMoment moment = ChooseCrashMoment(&rnd, config_.min_ms, config_.max_ms, true);

  const std::vector<std::string> args = {config_.self_exe, "--child",
                                         "--db",           db_path_,
                                         "--ack-log",      ack_path_,
                                         "--engines",      EngineTypeName(engine_),
                                         "--seed",         std::to_string(params.seed),
                                         "--epoch",        std::to_string(params.epoch),
                                         "--key-space",    std::to_string(params.key_space),
                                         "--max-threads",  std::to_string(config_.max_threads)};
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  if (params.range_deletes) argv.push_back(const_cast<char*>("--range-deletes"));
  argv.push_back(nullptr);

  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return Status::IOError("fork", std::strerror(errno));
  if (pid == 0) {
    // The child must not outlive a parent that died (or was itself killed).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }

  int status = 0;
  const WaitResult waited = WaitForCrashMoment(
      moment, db_path_, &rnd, [&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
  if (!waited.done_early) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    return Status::Corruption(
        "writer child",
        "ended on its own before the kill (" +
            (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                               : "signal " + std::to_string(WTERMSIG(status))) +
            "); see its message above");
  }
  totals_.kills++;
  CountCrash(moment, waited);
  const bool watching =
      moment.plan == CrashPlan::kOnNewTable || moment.plan == CrashPlan::kOnNewLog;
  Say("killed after " + std::to_string(waited.waited_ms) +
      " ms (plan: " + CrashPlanName(moment.plan) +
      (watching && !waited.triggered ? ", no new file in time" : "") + ")");
  return ReadAckLog(ack_path_, acks);
}

int RunWriterChild(const std::string& db_path, const std::string& ack_path, EngineType engine,
                   const IterationParams& params) {
  AckLogWriter acks;
  Status s = acks.Open(ack_path);
  if (!s.ok()) {
    std::fprintf(stderr, "writer child: %s\n", s.ToString().c_str());
    return 2;
  }
  std::unique_ptr<DB> db;
  s = DB::Open(CrashTestOptions(params, engine), db_path, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "writer child: cannot open %s: %s\n", db_path.c_str(),
                 s.ToString().c_str());
    return 2;
  }
  WorkloadRunner runner(db.get(), params, &acks);
  runner.Start();
  while (!runner.failed()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::fprintf(stderr, "writer child: %s\n", runner.first_error().c_str());
  std::fflush(stderr);
  ::_exit(3);  // not a clean close: the DB must not get a chance to tidy up
}

}  // namespace jadedb::crashtest
