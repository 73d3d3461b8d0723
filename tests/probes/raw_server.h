// Test helper: a TCP server on 127.0.0.1 whose behaviour per connection is a
// function, for backends that misbehave in ways an HTTP library will not
// (garbage, slowloris, never replying, HTTP/1.0 without a length, ...).
//
// Each accepted connection runs `handler(fd, stopping)` on its own thread;
// handlers must return soon after `stopping` becomes true (poll it between
// writes or sleeps of at most ~50 ms). The destructor stops and joins all.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace registrar::probes::testing {

class RawServer final {
 public:
  using Handler = std::function<void(int fd, const std::atomic<bool>& stopping)>;

  explicit RawServer(Handler handler);
  ~RawServer();
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  // Connections whose handler has returned (e.g. the client closed).
  int finished() const { return finished_.load(); }

  // Helpers for handlers.
  // Reads until "\r\n\r\n" (one request head, stored in `head` if given);
  // false on EOF/error/stop.
  static bool ReadRequestHead(int fd, const std::atomic<bool>& stopping,
                              std::string* head = nullptr);
  static bool WriteAll(int fd, const std::string& data);
  // Sleeps up to `ms`, waking early when stopping.
  static void Pause(int ms, const std::atomic<bool>& stopping);

 private:
  void AcceptLoop();

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> finished_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> conn_threads_;  // guarded by mu_
  std::vector<int> conn_fds_;              // guarded by mu_
};

// A keep-alive HTTP/1.1 server answering every request "200 ok".
RawServer::Handler KeepAliveOk();

}  // namespace registrar::probes::testing
