#include "probes/transports/exec_transport.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace registrar::probes {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// The first bytes of a command's output as a reason reads: one line,
// printable ASCII, trimmed.
std::string OutputForReason(const std::string& out) {
  std::string s;
  for (char c : out) {
    auto u = static_cast<unsigned char>(c);
    s += (u == '\n' || u == '\r' || u == '\t') ? ' ' : (u < 0x20 || u >= 0x7f ? '?' : c);
  }
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

}  // namespace

void ExecRunner::KillAll() {
  for (const auto& d : dying_) {
    kill(-d.pid, SIGKILL);
    waitpid(d.pid, nullptr, 0);  // already killed: returns at once
    loop_.Forget(d.pidfd);
    close(d.pidfd);
    Ended();
  }
  dying_.clear();
}

void ExecRunner::KillAndReap(pid_t pid, int pidfd) {
  kill(-pid, SIGKILL);  // not reaped yet, so the group id cannot have been reused
  dying_.push_back({pid, pidfd});
  loop_.Watch(pidfd, EPOLLIN, this);
  ReapExited();
}

void ExecRunner::OnFdEvents(uint32_t /*events*/) { ReapExited(); }

void ExecRunner::ReapExited() {
  for (size_t i = 0; i < dying_.size();) {
    if (waitpid(dying_[i].pid, nullptr, WNOHANG) == 0) {
      ++i;
      continue;
    }
    loop_.Forget(dying_[i].pidfd);
    close(dying_[i].pidfd);
    dying_[i] = dying_.back();
    dying_.pop_back();
    Ended();
  }
}

bool ExecTransport::Supports(const Target& target, const TransportEnv& env) {
  return target.probe.kind == ProbeKind::kExec && env.exec != nullptr;
}

std::unique_ptr<Transport> ExecTransport::Make(const Target& target, TransportEnv& env, Done done) {
  return std::make_unique<ExecTransport>(target, env, std::move(done));
}

ExecTransport::ExecTransport(const Target& target, TransportEnv& env, Done done)
    : spec_(target.probe),
      env_(env),
      runner_(*env.exec),
      done_(std::move(done)),
      argv_(target.probe.exec.command) {
  pidfd_events_.owner = this;
  static constexpr std::array<const char*, 4> kOurs = {
      "TARGET_HOST=", "TARGET_PORT=", "TARGET_SERVICE=", "TARGET_ADDRESS="};
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    bool ours = false;
    for (const char* k : kOurs) ours = ours || std::strncmp(*e, k, std::strlen(k)) == 0;
    if (!ours) env_vars_.emplace_back(*e);
  }
  env_vars_.push_back("TARGET_HOST=" + target.host);
  env_vars_.push_back("TARGET_PORT=" + std::to_string(target.port));
  env_vars_.push_back("TARGET_SERVICE=" + target.service);
  env_vars_.push_back("TARGET_ADDRESS=" + target.Address());
}

ExecTransport::~ExecTransport() { Abort(); }

void ExecTransport::Start() {
  verdict_ = Verdict{};
  output_.clear();
  if (argv_.empty()) {
    Finish(FailedVerdict(FailureClass::kExec, "exec: no command"));
    return;
  }
  if (runner_.Full()) {
    Verdict v = FailedVerdict(FailureClass::kLocalResource, "exec: too many commands running");
    v.local_error = "fork";
    Finish(std::move(v));
    return;
  }
  int fds[2];
  // Only our end is non-blocking: the command writes as to any pipe.
  if (pipe2(fds, O_CLOEXEC) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
    Finish(LocalFailure("exec: cannot open pipe", errno));
    return;
  }
  std::vector<char*> argv;
  for (auto& a : argv_) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_vars_) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A new process group (to kill it whole), no signal blocked (the daemon
  // blocks its shutdown signals in every thread) and none ignored.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    if (rc == EAGAIN || rc == ENOMEM || IsLocalError(rc)) {
      Verdict v = FailedVerdict(FailureClass::kLocalResource,
                                std::string("exec: cannot fork: ") + std::strerror(rc));
      v.local_error = "fork";
      Finish(std::move(v));
    } else {
      Finish(FailedVerdict(FailureClass::kExec,
                           "exec: cannot run " + argv_[0] + ": " + std::strerror(rc)));
    }
    return;
  }
  int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {  // cannot watch it: do not leave it running
    int err = errno;
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(fds[0]);
    Finish(LocalFailure("exec: cannot watch the command", err));
    return;
  }
  runner_.Started();
  pid_ = pid;
  pidfd_ = pidfd;
  out_fd_ = fds[0];
  env_.loop.Watch(out_fd_, EPOLLIN, this);
  env_.loop.Watch(pidfd_, EPOLLIN, &pidfd_events_);
}

void ExecTransport::OnFdEvents(uint32_t /*events*/) { ReadOutput(); }

void ExecTransport::ReadOutput() {
  thread_local std::array<char, 65536> buffer;
  for (int rounds = 0; out_fd_ >= 0 && rounds < 16; ++rounds) {
    ssize_t n = read(out_fd_, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {  // EOF (every writer gone) or an error: wait for the exit
      ClosePipe();
      return;
    }
    size_t room = kOutputBytes - std::min(kOutputBytes, output_.size());
    output_.append(buffer.data(), std::min(room, static_cast<size_t>(n)));
  }
}

void ExecTransport::OnExit() {
  if (pid_ < 0) return;
  // Kill what it left in its group before reaping it (then the group id
  // cannot be reused), and read what is already in the pipe.
  kill(-pid_, SIGKILL);
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return;  // not exited after all
  env_.loop.Forget(pidfd_);
  close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
  runner_.Ended();
  ReadOutput();
  ClosePipe();
  std::string out = OutputForReason(output_);
  Verdict v = FailedVerdict(FailureClass::kExec, "");
  if (r < 0) {
    v.reason = std::string("exec: wait failed: ") + std::strerror(errno);
    v.failure = FailureClass::kOther;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    v = {true, out.empty() ? "exit status 0" : "exit status 0: " + out, 0, {}};
  } else if (WIFEXITED(status)) {
    v.reason = "exit status " + std::to_string(WEXITSTATUS(status));
  } else {
    v.reason = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  if (!v.ok && !out.empty()) v.reason += ": " + out;
  Finish(std::move(v));
}

void ExecTransport::TimeOut() {
  if (pid_ < 0) return;
  std::string out = OutputForReason(output_);
  Kill();
  Finish(FailedVerdict(FailureClass::kTimeout,
                       TimeoutReason(spec_) + (out.empty() ? "" : ": " + out)));
}

void ExecTransport::Abort() { Kill(); }

void ExecTransport::Kill() {
  ClosePipe();
  if (pid_ < 0) return;
  env_.loop.Forget(pidfd_);
  runner_.KillAndReap(pid_, pidfd_);  // counted as running until reaped
  pid_ = -1;
  pidfd_ = -1;
}

void ExecTransport::ClosePipe() {
  if (out_fd_ < 0) return;
  env_.loop.Forget(out_fd_);
  close(out_fd_);
  out_fd_ = -1;
}

void ExecTransport::Finish(Verdict v) {
  verdict_ = std::move(v);
  done_();
}

}  // namespace registrar::probes
