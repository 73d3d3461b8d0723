// Benchmark support: N listening loopback sockets served by one epoll thread
// that accepts every connection and closes it at once — what a tcpSocket
// probe needs to succeed (the connect), at the least cost to the benchmark.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace registrar::bench {

class AcceptServer final {
 public:
  explicit AcceptServer(int sockets);  // throws std::runtime_error
  ~AcceptServer();
  AcceptServer(const AcceptServer&) = delete;
  AcceptServer& operator=(const AcceptServer&) = delete;

  const std::vector<int>& ports() const { return ports_; }
  int64_t accepted() const { return accepted_.load(); }

 private:
  void Run();

  std::vector<int> fds_;
  std::vector<int> ports_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<int64_t> accepted_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace registrar::bench
