// Test support: a child process with its output in a log file.
//
// The child runs in its own process group; the destructor kills the group, so
// a failing test never leaves an etcd or a registrar behind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"

namespace registrar::testing {

class Process final {
 public:
  // Starts argv[0] (looked up in PATH) with stdout and stderr appended to
  // `log_path` (a temp file when empty). `env` entries ("K=V") are added to
  // the inherited environment. With `stdout_only`, stderr goes to the test's
  // own stderr instead.
  static absl::StatusOr<std::unique_ptr<Process>> Start(std::vector<std::string> argv,
                                                        std::string log_path = "",
                                                        std::vector<std::string> env = {},
                                                        bool stdout_only = false);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return pid_; }
  // True until the child has exited (reaps it when it has).
  bool Running();
  void Signal(int sig);
  // Waits for exit: the exit code (128+signal when killed), or -1 on timeout.
  int Wait(Duration timeout);
  // SIGKILL to the group, then reap.
  void Kill();
  // Everything the child printed so far.
  std::string Log() const;
  const std::string& log_path() const { return log_path_; }

 private:
  Process(int pid, std::string log_path, bool own_log);

  int pid_;
  std::string log_path_;
  bool own_log_;
  bool exited_ = false;
  int exit_code_ = -1;
};

// Runs a command to completion (bounded by `timeout`); returns its stdout
// (stderr passes through to the test's stderr) and sets *exit_code when
// given. Throws nothing; on timeout kills and returns "".
std::string RunCommand(const std::vector<std::string>& argv, int* exit_code = nullptr,
                       Duration timeout = std::chrono::seconds(30),
                       const std::vector<std::string>& env = {});

}  // namespace registrar::testing
