// Test support: a loopback TCP relay in front of one server (an etcd member)
// whose path a test can break and heal, with no privileges.
//
// Each direction is switched on its own: kForward relays bytes; kHold keeps
// the connections open and forwards nothing (what was sent waits in the
// kernel's buffers and arrives late once the direction forwards again, as TCP
// retransmission delivers it after a partition heals); new connections are
// accepted but answered by nobody while the client→server direction holds.
// kDrop closes every connection and refuses new ones at once (a killed
// process, or an ICMP-rejecting firewall).
//
//   Partition()     both directions hold (iptables DROP both ways)
//   DropAnswers()   requests pass, answers wait (an asymmetric partition)
//   Heal()          both forward
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace registrar::testing {

class FaultRelay final {
 public:
  enum class Mode { kForward, kHold, kDrop };

  // Listens on 127.0.0.1:<free port> and relays to 127.0.0.1:`upstream_port`.
  explicit FaultRelay(int upstream_port);
  ~FaultRelay();
  FaultRelay(const FaultRelay&) = delete;
  FaultRelay& operator=(const FaultRelay&) = delete;

  std::string endpoint() const;  // "127.0.0.1:PORT"
  int port() const { return port_; }

  // Sets both directions (kDrop always applies to both).
  void SetMode(Mode mode) { SetModes(mode, mode); }
  // `requests`: client → server; `answers`: server → client.
  void SetModes(Mode requests, Mode answers);
  void Partition() { SetMode(Mode::kHold); }
  void DropAnswers() { SetModes(Mode::kForward, Mode::kHold); }
  void Heal() { SetMode(Mode::kForward); }

  // Connections accepted so far (a client that reconnects opens new ones).
  uint64_t accepted() const { return accepted_.load(); }

 private:
  struct Pair {
    int client = -1;
    int upstream = -1;  // -1 until connected (held accepts connect on heal)
  };
  void Run();
  void CloseAll();
  void Wake();

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<Mode> requests_{Mode::kForward};
  std::atomic<Mode> answers_{Mode::kForward};
  std::atomic<uint64_t> accepted_{0};
  std::vector<Pair> pairs_;  // used by the relay thread only
  std::thread thread_;
};

}  // namespace registrar::testing
