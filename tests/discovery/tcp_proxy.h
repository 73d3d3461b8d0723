// Test helper: a loopback TCP proxy in front of etcd that a test can cut.
//
// kForward relays bytes both ways. kDrop closes every connection and closes
// new ones at once (the client sees its connection reset, then refused).
// (A silent peer is tested with EtcdServer::Pause().)
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace registrar::testing {

class TcpProxy final {
 public:
  enum class Mode { kForward, kDrop };

  // Listens on 127.0.0.1:<free port> and relays to `upstream_port` on 127.0.0.1.
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::string endpoint() const;  // "127.0.0.1:PORT"
  void SetMode(Mode mode);

 private:
  struct Pair {
    int client = -1;
    int upstream = -1;
  };
  void Run();
  void CloseAll();

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<Mode> mode_{Mode::kForward};
  std::vector<Pair> pairs_;  // used by the proxy thread only
  std::thread thread_;
};

}  // namespace registrar::testing
