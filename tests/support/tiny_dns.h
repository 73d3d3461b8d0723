// Test support: a tiny DNS server on a free UDP port of 127.0.0.1, so tests
// of host names depend on neither /etc/resolv.conf nor /etc/hosts. It answers
// A queries for every name with `address()` and `ttl_seconds()` while
// `answering`, NXDOMAIN otherwise; AAAA queries get no records. It counts
// queries and remembers when each A query came.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace registrar::testing {

class TinyDns final {
 public:
  TinyDns();
  ~TinyDns();
  TinyDns(const TinyDns&) = delete;
  TinyDns& operator=(const TinyDns&) = delete;

  // "127.0.0.1:<port>", as a prober's DNS server.
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  // The IPv4 address (host order) and TTL of the answers; 127.0.0.1 and 1 s at first.
  void SetAnswer(uint32_t ipv4, uint32_t ttl_seconds);
  // When each A query arrived (RealClock), oldest first.
  std::vector<MonoTime> AQueryTimes() const;

  std::atomic<bool> answering{true};
  std::atomic<int> queries{0};  // of every type

 private:
  void Serve();

  int fd_ = -1;
  int port_ = 0;  // constant after construction
  std::atomic<uint32_t> address_{0x7f000001};
  std::atomic<uint32_t> ttl_{1};
  mutable std::mutex mu_;
  std::vector<MonoTime> a_queries_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace registrar::testing
