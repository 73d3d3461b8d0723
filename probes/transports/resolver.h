// Host names, resolved off the prober's thread of control: c-ares on the
// prober's own epoll loop (its sockets and timers are the loop's), so a slow
// or dead DNS server never blocks a probe. Module-private; loop thread only.
//
// A name's addresses are cached for the smallest TTL of its records, but at
// least `min_ttl` (names from /etc/hosts have no TTL: they get `min_ttl`). A
// failed lookup is cached for `min_ttl` too, so a dead name costs one query
// per `min_ttl`, not one per probe. Concurrent lookups of one name share one
// query. Errors read "dns: <c-ares error> (<name>)".
#pragma once

#include <ares.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "probes/event_loop.h"

namespace registrar::probes {

struct ResolvedAddress {
  sockaddr_storage address{};  // port unset
  socklen_t length = 0;
};

struct Resolution {
  std::vector<ResolvedAddress> addresses;  // IPv4 first; empty: `error` says why
  std::string error;
  MonoTime expires{};
};

class Resolver final {
 public:
  using Done = std::function<void(const Resolution&)>;

  // `servers`: "ip:port" of the DNS servers to ask; empty: /etc/resolv.conf.
  Resolver(EventLoop& loop, Clock& clock, Duration min_ttl, std::vector<std::string> servers);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  absl::Status Init();

  // The cached resolution of `host` if still fresh, else null.
  const Resolution* Cached(const std::string& host) const;
  // Starts (or joins) a lookup of `host`; `done` runs later on the loop
  // thread. Returns a ticket for Cancel(), or 0 when the answer came at once
  // (e.g. from /etc/hosts): then `done` never runs, read Cached().
  uint64_t Resolve(const std::string& host, Done done);
  // `done` of that ticket will not run.
  void Cancel(uint64_t ticket);

  // Lets c-ares act on its due timers (called by the loop's owner each turn).
  void ActOnTimers();
  // How long until c-ares wants ActOnTimers() (max_wait if never).
  Duration NextTimeout(Duration max_wait) const;

 private:
  struct Waiter {
    uint64_t ticket;
    Done done;
  };
  struct Query {
    Resolver* resolver;
    std::string host;
  };
  class SocketWatch;

  static void OnSocketState(void* self, ares_socket_t fd, int readable, int writable);
  static void OnAddrInfo(void* arg, int status, int timeouts, ares_addrinfo* result);
  void Finish(const std::string& host, Resolution r);

  EventLoop& loop_;
  Clock& clock_;
  Duration min_ttl_;
  std::vector<std::string> servers_;
  ares_channel channel_ = nullptr;
  std::map<std::string, Resolution> cache_;
  std::map<std::string, std::vector<Waiter>> waiting_;  // names with a query out
  std::map<int, std::unique_ptr<SocketWatch>> sockets_;
  uint64_t next_ticket_ = 1;
  bool in_resolve_ = false;  // inside ares_getaddrinfo: answers wait for Resolve()
};

}  // namespace registrar::probes
