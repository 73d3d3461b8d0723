#include "probes/transports/resolver.h"

#include <arpa/inet.h>
#include <sys/epoll.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace registrar::probes {

// One c-ares socket in the loop's epoll set.
class Resolver::SocketWatch final : public FdHandler {
 public:
  SocketWatch(Resolver& r, int fd) : r_(r), fd_(fd) {}
  void OnFdEvents(uint32_t events) override {
    bool readable = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
    bool writable = (events & EPOLLOUT) != 0;
    ares_process_fd(r_.channel_, readable ? fd_ : ARES_SOCKET_BAD,
                    writable ? fd_ : ARES_SOCKET_BAD);
  }

 private:
  Resolver& r_;
  int fd_;
};

Resolver::Resolver(EventLoop& loop, Clock& clock, Duration min_ttl,
                   std::vector<std::string> servers)
    : loop_(loop), clock_(clock), min_ttl_(min_ttl), servers_(std::move(servers)) {}

Resolver::~Resolver() {
  if (channel_ != nullptr) {
    waiting_.clear();        // callbacks from ares_destroy find nobody
    ares_destroy(channel_);  // closes its sockets (OnSocketState forgets them)
  }
}

absl::Status Resolver::Init() {
  static const int kInit = ares_library_init(ARES_LIB_INIT_ALL);
  if (kInit != ARES_SUCCESS) return absl::InternalError("c-ares: cannot initialize");
  ares_options options{};
  options.sock_state_cb = &Resolver::OnSocketState;
  options.sock_state_cb_data = this;
  options.timeout = 1000;  // ms per try
  options.tries = 2;
  char lookups[] = "fb";  // /etc/hosts, then DNS
  options.lookups = lookups;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  if (int rc = ares_init_options(&channel_, &options, mask); rc != ARES_SUCCESS) {
    channel_ = nullptr;
    return absl::InternalError(std::string("c-ares: ") + ares_strerror(rc));
  }
  if (!servers_.empty()) {
    std::string csv;
    for (const auto& s : servers_) csv += (csv.empty() ? "" : ",") + s;
    if (int rc = ares_set_servers_ports_csv(channel_, csv.c_str()); rc != ARES_SUCCESS) {
      return absl::InvalidArgumentError("c-ares: bad DNS servers " + csv + ": " +
                                        ares_strerror(rc));
    }
  }
  return absl::OkStatus();
}

void Resolver::OnSocketState(void* self, ares_socket_t fd, int readable, int writable) {
  auto* r = static_cast<Resolver*>(self);
  if (!readable && !writable) {
    r->loop_.Forget(fd);
    r->sockets_.erase(fd);
    return;
  }
  auto& watch = r->sockets_[fd];
  if (!watch) watch = std::make_unique<SocketWatch>(*r, fd);
  r->loop_.Watch(fd, (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u), watch.get());
}

const Resolution* Resolver::Cached(const std::string& host) const {
  auto it = cache_.find(host);
  if (it == cache_.end() || it->second.expires <= clock_.Now()) return nullptr;
  return &it->second;
}

uint64_t Resolver::Resolve(const std::string& host, Done done) {
  uint64_t ticket = next_ticket_++;
  auto& waiters = waiting_[host];
  waiters.push_back({ticket, std::move(done)});
  if (waiters.size() > 1) return ticket;  // a query is out already
  if (channel_ == nullptr) {
    Finish(host, Resolution{{}, "dns: resolver not initialized", clock_.Now() + min_ttl_});
    return 0;
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  in_resolve_ = true;
  ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &Resolver::OnAddrInfo,
                   new Query{this, host});
  in_resolve_ = false;
  auto it = waiting_.find(host);
  if (it == waiting_.end() || it->second.empty()) return 0;  // answered at once
  if (Cached(host) != nullptr && it->second.size() == 1) {
    waiting_.erase(it);
    return 0;
  }
  return ticket;
}

void Resolver::Cancel(uint64_t ticket) {
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    auto& w = it->second;
    auto pos =
        std::find_if(w.begin(), w.end(), [&](const Waiter& x) { return x.ticket == ticket; });
    if (pos == w.end()) continue;
    pos->done = nullptr;  // the query stays out; its answer still fills the cache
    return;
  }
}

void Resolver::OnAddrInfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<Query> q(static_cast<Query*>(arg));
  Resolver& r = *q->resolver;
  MonoTime now = r.clock_.Now();
  Resolution res;
  if (status != ARES_SUCCESS || result == nullptr) {
    res.error = std::string("dns: ") + ares_strerror(status) + " (" + q->host + ")";
    res.expires = now + r.min_ttl_;
  } else {
    int ttl = INT_MAX;
    std::vector<ResolvedAddress> v6;
    for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
      if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
      ResolvedAddress a;
      a.length = static_cast<socklen_t>(n->ai_addrlen);
      std::memcpy(&a.address, n->ai_addr, std::min<size_t>(n->ai_addrlen, sizeof(a.address)));
      (n->ai_family == AF_INET ? res.addresses : v6).push_back(a);
      if (n->ai_ttl > 0) ttl = std::min(ttl, n->ai_ttl);
    }
    res.addresses.insert(res.addresses.end(), v6.begin(), v6.end());
    Duration life =
        ttl == INT_MAX ? r.min_ttl_ : std::max<Duration>(std::chrono::seconds(ttl), r.min_ttl_);
    res.expires = now + life;
    if (res.addresses.empty()) {
      res.error = "dns: no address (" + q->host + ")";
      res.expires = now + r.min_ttl_;
    }
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  r.Finish(q->host, std::move(res));
}

void Resolver::Finish(const std::string& host, Resolution r) {
  cache_[host] = r;
  if (in_resolve_) return;  // Resolve() sees the answer in the cache
  auto it = waiting_.find(host);
  if (it == waiting_.end()) return;
  std::vector<Waiter> waiters = std::move(it->second);
  waiting_.erase(it);
  for (auto& w : waiters) {
    if (w.done) w.done(r);
  }
}

void Resolver::ActOnTimers() {
  if (channel_ != nullptr) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

Duration Resolver::NextTimeout(Duration max_wait) const {
  if (channel_ == nullptr) return max_wait;
  timeval max_tv{};
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(max_wait).count();
  max_tv.tv_sec = us / 1000000;
  max_tv.tv_usec = us % 1000000;
  timeval tv{};
  timeval* t = ares_timeout(channel_, &max_tv, &tv);
  return std::chrono::seconds(t->tv_sec) + std::chrono::microseconds(t->tv_usec);
}

}  // namespace registrar::probes
