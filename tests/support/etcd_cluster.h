// Test support: a real 3-member etcd cluster (Debian etcd-server) on loopback.
//
// Start() picks free client/peer ports on 127.0.0.1 and a temp data dir per
// member, launches all members at once (they need each other for a quorum)
// and waits until every member is healthy and the cluster has a leader.
// Faults are real signals to the member's process: Kill() is SIGKILL, Pause()
// SIGSTOP (connections stay open, nothing answers), Resume() SIGCONT;
// Restart() keeps the member's ports and data dir, so it rejoins.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace registrar::testing {

class EtcdCluster final {
 public:
  explicit EtcdCluster(int size = 3);
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  absl::Status Start();
  int size() const { return static_cast<int>(members_.size()); }

  // "127.0.0.1:PORT" of every member, in member order.
  std::vector<std::string> endpoints() const;
  std::string endpoint(int member) const;
  // The member's client port.
  int port(int member) const { return members_[member].client_port; }
  // The member index of the current leader, asked of the running, unpaused
  // members; kUnavailable when none reports a leader within `timeout`.
  absl::StatusOr<int> Leader(Duration timeout = std::chrono::seconds(30)) const;
  // The member whose client port is in `endpoint` ("127.0.0.1:PORT"), or -1.
  int MemberOf(const std::string& endpoint) const;

  void Kill(int member);    // SIGKILL, reaped
  void Pause(int member);   // SIGSTOP
  void Resume(int member);  // SIGCONT
  void Stop(int member);    // SIGTERM, wait (SIGKILL after 10 s)
  // Stops (if running) and relaunches with the same ports and data; waits
  // until the member is healthy again.
  absl::Status Restart(int member);
  bool Running(int member) const;
  bool Paused(int member) const { return members_[member].paused; }
  // Waits until every member not killed or stopped on purpose is healthy
  // (paused ones are skipped) and a leader exists.
  absl::Status WaitHealthy(Duration timeout = std::chrono::seconds(60)) const;

  std::string log(int member) const;
  // Runs etcdctl (v3 API) against one member; returns its stdout.
  std::string EtcdCtl(int member, const std::vector<std::string>& args,
                      int* exit_code = nullptr) const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::string data_dir;
    std::unique_ptr<Process> process;
    bool paused = false;
    bool down = false;  // killed or stopped on purpose
    bool started_once = false;
  };
  absl::Status Launch(int member);
  bool MemberHealthy(int member) const;
  std::string InitialCluster() const;

  TempDir dir_;
  std::vector<Member> members_;
};

}  // namespace registrar::testing
