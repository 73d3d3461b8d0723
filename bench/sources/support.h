// Benchmark support for sources_bench: the targets' addresses, an http_sd
// endpoint whose answer can be swapped, a watch that tells when the keys
// under a prefix are exactly a wanted set, a dnsmasq on port 53 of its own
// loopback address (so a Prometheus reading /etc/resolv.conf can be pointed
// at it), and a Prometheus that only discovers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "etcd/client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace httplib {
class Server;
}

namespace registrar::bench {

// Target i: "10.a.b.c" (10.0.0.0 + i + 1) at kTargetPort. Nothing listens
// there: the registrar's tcpSocket probe goes to one accept socket instead
// (probe host/port override), Prometheus's scrapes to a dead port.
constexpr int kTargetPort = 9100;
std::string TargetHost(int i);
inline std::string TargetAddress(int i) {
  return TargetHost(i) + ":" + std::to_string(kTargetPort);
}

// utime + stime of a process, in seconds (0 when it cannot be read).
double CpuSeconds(int pid);

// GET http://127.0.0.1:port`path`: the body of a 200 answer, else nullopt.
std::optional<std::string> HttpGet(int port, const std::string& path, int timeout_ms = 5000);

// Prometheus target groups (one group) of the targets `ids`.
std::string TargetGroupsJson(const std::vector<int>& ids);

// GET /sd answers the body last Set() (application/json).
class SdServer final {
 public:
  SdServer();  // throws std::runtime_error
  ~SdServer();
  SdServer(const SdServer&) = delete;
  SdServer& operator=(const SdServer&) = delete;

  void Set(std::string body);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/sd"; }
  int64_t requests() const { return requests_.load(); }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int64_t> requests_{0};
  mutable std::mutex mu_;
  std::shared_ptr<const std::string> body_;  // guarded by mu_
};

// Every key under a prefix, kept by one watch from a listing's revision; how
// far it is from a wanted set, and when it last became exactly that set.
class KeyWatch final {
 public:
  KeyWatch(etcd::Client& client, std::string prefix);  // throws
  ~KeyWatch();
  KeyWatch(const KeyWatch&) = delete;
  KeyWatch& operator=(const KeyWatch&) = delete;

  void SetWant(std::set<std::string> want);
  bool matches() const;
  // When the keys last became the wanted set (nullopt: not since SetWant).
  std::optional<MonoTime> matched_at() const;
  // When the last key not wanted went (nullopt: not since SetWant).
  std::optional<MonoTime> extras_gone_at() const;
  size_t size() const;
  // "N keys, M wanted ones missing, K others" (for a failure report).
  std::string Describe() const;
  int64_t events() const;  // PUT + DELETE events applied
  bool broken() const { return broken_.load(); }

 private:
  void Run(std::unique_ptr<etcd::WatchStream> stream);

  const std::string prefix_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> broken_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  etcd::WatchStream* stream_ = nullptr;  // guarded by mu_
  std::set<std::string> keys_, want_;
  size_t missing_ = 0, extra_ = 0;
  int64_t events_ = 0;
  std::optional<MonoTime> matched_at_, extras_gone_at_;
};

// dnsmasq answering SRV records (lines "name,target,port,priority,weight")
// of the zone bench.test from a conf file, on <address>:53 (an address of
// 127/8 of its own; needs root or CAP_NET_BIND_SERVICE), TTL 1 s.
class DnsServer final {
 public:
  DnsServer();
  ~DnsServer() = default;
  void Start(const std::vector<std::string>& srv_records);  // throws
  void Restart(const std::vector<std::string>& srv_records) { Start(srv_records); }
  const std::string& address() const { return address_; }
  std::string server() const { return address_ + ":53"; }

 private:
  testing::TempDir dir_;
  std::string address_;
  int starts_ = 0;  // a log file per start: readiness is read from it
  std::unique_ptr<testing::Process> process_;
};

// Prometheus (the Debian binary) with `scrape_configs` (YAML under
// `scrape_configs:`); with `nameserver`, run in a mount namespace of its own
// where /etc/resolv.conf names only that server.
class PromPeer final {
 public:
  PromPeer(const std::string& scrape_configs, const std::string& nameserver);  // throws
  ~PromPeer();
  PromPeer(const PromPeer&) = delete;
  PromPeer& operator=(const PromPeer&) = delete;

  int pid() const { return process_->pid(); }
  int port() const { return port_; }
  std::string Metrics() const;
  // Instance labels of the active targets (nullopt: no answer).
  std::optional<std::set<std::string>> ActiveInstances() const;
  std::string LogTail() const;

 private:
  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<testing::Process> process_;
};

}  // namespace registrar::bench
