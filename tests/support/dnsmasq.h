// Test support: a real DNS server (Debian's dnsmasq, package dnsmasq-base) on
// a loopback port free for UDP and TCP, answering from records given on its
// command line.
//
// Names under kZone are answered from those records alone (NXDOMAIN for a
// name without any, NODATA for a name without records of the type asked);
// names under kServFailZone are forwarded to an upstream in this process that
// answers SERVFAIL to everything, which dnsmasq passes on; any other name is
// REFUSED (dnsmasq has no other upstream). dnsmasq does not reload its
// records on SIGHUP, so new records mean Restart() with them, on the same
// port.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "tests/support/process.h"

namespace registrar::testing {

class Dnsmasq final {
 public:
  static constexpr char kZone[] = "sd.test";
  static constexpr char kServFailZone[] = "fail.test";

  struct Records {
    // --srv-host values: "<name>,<target>,<port>,<priority>,<weight>".
    std::vector<std::string> srv_hosts;
    // --host-record values: "<name>,<address>[,<address>][,<ttl seconds>]".
    std::vector<std::string> host_records;
    // --local-ttl: the TTL of records without their own, in seconds.
    int local_ttl = 0;
    // Every name of kZone answers SERVFAIL (its records are left out).
    bool servfail_all = false;
  };

  Dnsmasq();  // starts the SERVFAIL upstream; dnsmasq itself waits for Start()
  ~Dnsmasq();
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  // Starts dnsmasq with `records` and waits (with a deadline) until it
  // answers a query. The first start picks the port; later ones reuse it.
  absl::Status Start(Records records);
  // Kill(), then Start(records) on the same port.
  absl::Status Restart(Records records);
  void Kill();    // SIGKILL: nothing listens on the port any more
  void Pause();   // SIGSTOP: the port stays bound, nothing answers
  void Resume();  // SIGCONT

  int port() const { return port_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const;  // what dnsmasq printed (queries included)

 private:
  void ServeServFail();
  bool Answers() const;  // one query, answered within a moment

  int port_ = 0;
  std::unique_ptr<Process> process_;
  int servfail_fd_ = -1;   // constant after construction
  int servfail_port_ = 0;  // constant after construction
  std::atomic<bool> stop_{false};
  std::thread servfail_thread_;
};

}  // namespace registrar::testing
