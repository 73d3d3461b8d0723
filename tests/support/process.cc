#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "absl/status/status.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace registrar::testing {
namespace {

std::string TempLogPath() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/registrar-proc-XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd >= 0) ::close(fd);
  return tmpl;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Process>> Process::Start(std::vector<std::string> argv,
                                                        std::string log_path,
                                                        std::vector<std::string> env,
                                                        bool stdout_only) {
  if (argv.empty()) return absl::InvalidArgumentError("Process::Start: empty argv");
  const bool own_log = log_path.empty();
  if (own_log) log_path = TempLogPath();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  if (!stdout_only) posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (auto& e : env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return absl::InternalError("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return std::unique_ptr<Process>(new Process(pid, std::move(log_path), own_log));
}

Process::Process(int pid, std::string log_path, bool own_log)
    : pid_(pid), log_path_(std::move(log_path)), own_log_(own_log) {}

Process::~Process() {
  Kill();
  if (own_log_) ::unlink(log_path_.c_str());
}

bool Process::Running() {
  if (exited_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    exit_code_ = DecodeStatus(status);
    return false;
  }
  return r == 0;
}

void Process::Signal(int sig) {
  if (!exited_) ::kill(pid_, sig);
}

int Process::Wait(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

void Process::Kill() {
  if (exited_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) exit_code_ = DecodeStatus(status);
  exited_ = true;
}

std::string Process::Log() const { return ReadFile(log_path_); }

std::string RunCommand(const std::vector<std::string>& argv, int* exit_code, Duration timeout,
                       const std::vector<std::string>& env) {
  const std::string out_path = TempLogPath();
  auto proc = Process::Start(argv, out_path, env, /*stdout_only=*/true);
  if (!proc.ok()) {
    if (exit_code) *exit_code = -1;
    ::unlink(out_path.c_str());
    return "";
  }
  const int code = (*proc)->Wait(timeout);
  if (code < 0) (*proc)->Kill();
  if (exit_code) *exit_code = code;
  std::string out = ReadFile(out_path);
  ::unlink(out_path.c_str());
  return code < 0 ? "" : out;
}

}  // namespace registrar::testing
