// Test support: a real HTTP backend (cpp-httplib) whose answer can be changed.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace registrar::testing {

class HttpBackend final {
 public:
  // Listens on host:port (port 0: a free one) and answers every GET/HEAD with
  // the current status (200 at first) and body "ok".
  explicit HttpBackend(std::string host = "127.0.0.1", int port = 0);
  ~HttpBackend();
  HttpBackend(const HttpBackend&) = delete;
  HttpBackend& operator=(const HttpBackend&) = delete;

  int port() const { return port_; }
  std::string address() const { return host_ + ":" + std::to_string(port_); }
  void SetStatus(int code) { status_.store(code); }
  int64_t hits() const { return hits_.load(); }
  // Requests by "<path> <X-Replica header>" (the header names the prober).
  std::map<std::string, int64_t> HitsByPathAndReplica() const;
  void ResetHits();
  void Stop();

 private:
  const std::string host_;
  int port_ = 0;  // constant after construction
  std::atomic<int> status_{200};
  std::atomic<int64_t> hits_{0};
  mutable std::mutex mu_;
  std::map<std::string, int64_t> by_path_and_replica_;  // guarded by mu_
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace registrar::testing
