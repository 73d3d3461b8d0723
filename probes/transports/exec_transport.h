// The exec path: a probe that runs a command (kubelet's exec probe,
// Consul's script check). Module-private; loop thread only.
//
// The command runs without a shell (posix_spawnp: argv as configured,
// command[0] looked up in PATH) in a new process group, with stdin from
// /dev/null, stdout and stderr into one pipe, and the target in its
// environment: TARGET_HOST, TARGET_PORT, TARGET_SERVICE, TARGET_ADDRESS (on
// top of the registrar's own). Exit status 0 is healthy; otherwise the reason
// is "exit status N" or "killed by signal N", followed by the first bytes of
// the output. The pipe is read on the event loop and only its first
// kOutputBytes are kept (the rest is read and dropped, so a chatty command
// never blocks on a full pipe). When the command exits its process group is
// killed, so a child it left behind does not outlive the probe; a timeout or
// abort kills the whole group at once. Exits are seen through a pidfd in the
// epoll set and every process is reaped (ExecRunner), so no zombie remains,
// even for a probe that was aborted. At most ExecRunner::limit() commands
// run at once; a probe beyond that (or one the kernel cannot fork for) is a
// local error ("fork"), retried by the prober.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "probes/event_loop.h"
#include "probes/transports/transport.h"

namespace registrar::probes {

// Running commands: their count, and reaping those whose probes ended first.
class ExecRunner final : public FdHandler {
 public:
  ExecRunner(EventLoop& loop, int limit) : loop_(loop), limit_(limit < 1 ? 1 : limit) {}
  ~ExecRunner() { KillAll(); }
  // Kills and reaps every process still known (before the loop closes).
  void KillAll();
  ExecRunner(const ExecRunner&) = delete;
  ExecRunner& operator=(const ExecRunner&) = delete;

  int limit() const { return limit_; }
  int running() const { return running_; }
  bool Full() const { return running_ >= limit_; }
  void Started() { ++running_; }
  void Ended() { --running_; }
  // Kills `pid`'s process group and reaps `pid` on the loop when it exits
  // (`pidfd` is handed over).
  void KillAndReap(pid_t pid, int pidfd);

  void OnFdEvents(uint32_t events) override;

 private:
  struct Dying {
    pid_t pid;
    int pidfd;
  };
  void ReapExited();

  EventLoop& loop_;
  int limit_;
  int running_ = 0;  // commands started and not yet reaped
  std::vector<Dying> dying_;
};

class ExecTransport final : public Transport, public FdHandler {
 public:
  static constexpr size_t kOutputBytes = 256;

  static bool Supports(const Target& target, const TransportEnv& env);
  static std::unique_ptr<Transport> Make(const Target& target, TransportEnv& env, Done done);

  ExecTransport(const Target& target, TransportEnv& env, Done done);
  ~ExecTransport() override;
  ExecTransport(const ExecTransport&) = delete;
  ExecTransport& operator=(const ExecTransport&) = delete;

  void Start() override;
  void TimeOut() override;
  void Abort() override;
  Verdict TakeVerdict() override { return std::move(verdict_); }

  void OnFdEvents(uint32_t events) override;

 private:
  // Events on the output pipe and the pidfd come through one handler each.
  struct PidfdEvents final : FdHandler {
    ExecTransport* owner = nullptr;
    void OnFdEvents(uint32_t /*events*/) override { owner->OnExit(); }
  };

  void ReadOutput();
  void OnExit();
  // Kills the group and hands the process to the runner to reap.
  void Kill();
  void ClosePipe();
  void Finish(Verdict v);

  const ProbeSpec& spec_;
  TransportEnv& env_;
  ExecRunner& runner_;
  Done done_;
  std::vector<std::string> argv_;
  std::vector<std::string> env_vars_;  // the process's environment plus TARGET_*

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;  // the pipe's read end
  PidfdEvents pidfd_events_;
  std::string output_;  // the first kOutputBytes
  Verdict verdict_;
};

}  // namespace registrar::probes
