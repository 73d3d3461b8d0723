#include "sources/dns_sd.h"

#include <ares.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sources/dns_message.h"

namespace registrar::sources {
namespace {

// A running Fetch looks at Cancel() at least this often.
constexpr Duration kDnsSdPollSlice = std::chrono::milliseconds(100);
// c-ares tries each server twice, the second try with twice the wait, so a
// try waits a third of the lookup's timeout (one server: both tries fit).
constexpr int kDnsSdTries = 2;
constexpr Duration kDnsSdMinTryTimeout = std::chrono::milliseconds(50);
constexpr int kDnsSdClassIn = 1;

// One name's query; c-ares's callback fills it.
struct DnsSdQuery {
  std::string name;
  DnsRecordType type = DnsRecordType::kSrv;
  bool done = false;
  int status = ARES_SUCCESS;
  DnsAnswer parsed;
};

void DnsSdOnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* q = static_cast<DnsSdQuery*>(arg);
  q->done = true;
  q->status = status;
  if (status == ARES_SUCCESS) q->parsed = ParseDnsAnswer(abuf, alen, q->type);
}

// The sockets c-ares wants watched, and for what (POLLIN/POLLOUT).
using DnsSdSockets = std::map<ares_socket_t, short>;

void DnsSdOnSocketState(void* data, ares_socket_t fd, int readable, int writable) {
  auto& sockets = *static_cast<DnsSdSockets*>(data);
  if (!readable && !writable) {
    sockets.erase(fd);
    return;
  }
  sockets[fd] = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
}

// Owns a channel; destroying it ends its queries (their callbacks run then).
struct DnsSdChannel {
  ares_channel channel = nullptr;
  DnsSdChannel() = default;
  DnsSdChannel(const DnsSdChannel&) = delete;
  DnsSdChannel& operator=(const DnsSdChannel&) = delete;
  ~DnsSdChannel() {
    if (channel != nullptr) ares_destroy(channel);
  }
};

// How a query that c-ares ended without records fails the refresh
// (kNone: no records for the name, not a failure).
Failure DnsSdFailureOf(int status) {
  switch (status) {
    case ARES_SUCCESS:
    case ARES_ENODATA:    // NOERROR without records of the type
    case ARES_ENOTFOUND:  // NXDOMAIN
      return Failure::kNone;
    case ARES_ETIMEOUT:
      return Failure::kTimeout;
    case ARES_ECONNREFUSED:
      return Failure::kConnect;
    case ARES_EBADRESP:
    case ARES_EBADNAME:
    case ARES_EBADQUERY:
      return Failure::kInvalid;
    default:  // SERVFAIL, REFUSED, FORMERR, NOTIMP, and what else c-ares says
      return Failure::kServFail;
  }
}

int DnsSdMillis(Duration d) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1000 * 1000));
}

class DnsSdSource final : public Source {
 public:
  explicit DnsSdSource(const SourceSpec& spec) : spec_(spec.dns) {
    for (const auto& s : spec_.servers) servers_ += (servers_.empty() ? "" : ",") + s;
    what_ = std::string("dnsSd ") + DnsRecordTypeName(spec_.type) + " via " +
            (servers_.empty() ? "/etc/resolv.conf" : servers_);
  }

  Answer Fetch() override;

 private:
  Answer Failed(Failure failure, const std::string& error) const {
    return Answer{.failure = failure, .error = what_ + ": " + error};
  }
  // Asks for `queries` on a new channel with c-ares `flags` and runs them to
  // their end, the deadline or Cancel(): a failed answer, or nullopt when
  // every query ended (with what it ended with).
  std::optional<Answer> Ask(const std::vector<DnsSdQuery*>& queries, int flags, MonoTime deadline);
  std::optional<Answer> Drive(ares_channel channel, DnsSdSockets& sockets,
                              const std::vector<DnsSdQuery*>& queries, MonoTime deadline);
  Answer Collect(const std::vector<DnsSdQuery>& queries) const;

  const DnsSdSpec spec_;  // constant after construction
  std::string servers_;   // constant after construction: "ip:port,..."
  std::string what_;      // constant after construction: for errors
};

Answer DnsSdSource::Fetch() {
  static const int kInit = ares_library_init(ARES_LIB_INIT_ALL);
  if (kInit != ARES_SUCCESS) return Failed(Failure::kInvalid, "c-ares: cannot initialize");
  if (cancelled()) return Failed(Failure::kTimeout, "cancelled");
  const MonoTime deadline = std::chrono::steady_clock::now() + spec_.timeout;
  std::vector<DnsSdQuery> queries(spec_.names.size());
  std::vector<DnsSdQuery*> all;
  for (size_t i = 0; i < queries.size(); ++i) {
    queries[i].name = spec_.names[i];
    queries[i].type = spec_.type;
    all.push_back(&queries[i]);
  }
  // Default flags: a truncated UDP answer is asked again over TCP, and a
  // server answering SERVFAIL, REFUSED or NOTIMP makes c-ares try the next.
  if (auto failed = Ask(all, 0, deadline)) return *failed;
  // c-ares 1.18 ends a query that every server answered so exactly as one no
  // server could be reached for ("could not contact DNS servers"). Asking
  // those names again, taking an answer as it is, tells the two apart.
  std::vector<DnsSdQuery*> again;
  for (DnsSdQuery& q : queries) {
    if (q.status != ARES_ECONNREFUSED) continue;
    q.done = false;
    again.push_back(&q);
  }
  if (!again.empty()) {
    if (auto failed = Ask(again, ARES_FLAG_NOCHECKRESP, deadline)) return *failed;
  }
  return Collect(queries);
}

std::optional<Answer> DnsSdSource::Ask(const std::vector<DnsSdQuery*>& queries, int flags,
                                       MonoTime deadline) {
  // Declared before the channel: destroying it closes its sockets.
  DnsSdSockets sockets;
  DnsSdChannel ch;
  ares_options options{};
  options.flags = flags;
  options.sock_state_cb = &DnsSdOnSocketState;
  options.sock_state_cb_data = &sockets;
  options.timeout = DnsSdMillis(std::max(spec_.timeout / 3, kDnsSdMinTryTimeout));
  options.tries = kDnsSdTries;
  const int mask = ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (int rc = ares_init_options(&ch.channel, &options, mask); rc != ARES_SUCCESS) {
    ch.channel = nullptr;
    return Failed(Failure::kInvalid, std::string("c-ares: ") + ares_strerror(rc));
  }
  if (!servers_.empty()) {
    if (int rc = ares_set_servers_ports_csv(ch.channel, servers_.c_str()); rc != ARES_SUCCESS) {
      return Failed(Failure::kInvalid, std::string("bad DNS servers: ") + ares_strerror(rc));
    }
  }
  for (DnsSdQuery* q : queries) {
    ares_query(ch.channel, q->name.c_str(), kDnsSdClassIn, DnsQueryType(q->type), &DnsSdOnAnswer,
               q);
  }
  return Drive(ch.channel, sockets, queries, deadline);
}

std::optional<Answer> DnsSdSource::Drive(ares_channel channel, DnsSdSockets& sockets,
                                         const std::vector<DnsSdQuery*>& queries,
                                         MonoTime deadline) {
  auto pending = [&] {
    std::string names;
    for (const DnsSdQuery* q : queries) {
      if (!q->done) names += (names.empty() ? "" : ", ") + q->name;
    }
    return names;
  };
  while (!pending().empty()) {
    if (cancelled()) return Failed(Failure::kTimeout, "cancelled while asking for " + pending());
    const MonoTime now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Failed(Failure::kTimeout, "no answer within " +
                                           std::to_string(DnsSdMillis(spec_.timeout)) + " ms for " +
                                           pending());
    }
    Duration wait = std::min(deadline - now, kDnsSdPollSlice);
    timeval max_tv{0, static_cast<suseconds_t>(DnsSdMillis(wait) * 1000)};
    timeval tv{};
    if (const timeval* t = ares_timeout(channel, &max_tv, &tv)) {
      wait = std::min<Duration>(
          wait, std::chrono::seconds(t->tv_sec) + std::chrono::microseconds(t->tv_usec));
    }
    std::vector<pollfd> fds;
    for (const auto& [fd, events] : sockets) fds.push_back({fd, events, 0});
    const int n = ::poll(fds.data(), fds.size(), DnsSdMillis(wait));
    if (n < 0 && errno != EINTR) return Failed(Failure::kInvalid, "poll failed");
    bool any = false;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      any = true;
      const bool readable = (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool writable = (p.revents & POLLOUT) != 0;
      ares_process_fd(channel, readable ? p.fd : ARES_SOCKET_BAD,
                      writable ? p.fd : ARES_SOCKET_BAD);
    }
    if (!any) ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
  }
  return std::nullopt;
}

Answer DnsSdSource::Collect(const std::vector<DnsSdQuery>& queries) const {
  for (const DnsSdQuery& q : queries) {
    if (const Failure f = DnsSdFailureOf(q.status); f != Failure::kNone) {
      return Failed(f, q.name + ": " + ares_strerror(q.status));
    }
    if (!q.parsed.ok()) return Failed(Failure::kInvalid, q.name + ": " + q.parsed.error);
  }
  Answer out;
  std::set<std::string> seen;
  for (const DnsSdQuery& q : queries) {
    for (const DnsRecord& r : q.parsed.records) {
      Endpoint e;
      e.host = r.host;
      if (spec_.type == DnsRecordType::kSrv) {
        e.port = r.port;
        e.weight = r.weight;
        e.metadata["priority"] = std::to_string(r.priority);
      } else {
        e.port = spec_.port;
      }
      // The first record of an address wins (names in the spec's order).
      if (seen.insert(e.Address()).second) out.endpoints.push_back(std::move(e));
    }
    if (q.parsed.min_ttl) {
      const Duration ttl = std::chrono::seconds(*q.parsed.min_ttl);
      out.ttl = out.ttl ? std::min(*out.ttl, ttl) : ttl;
    }
  }
  std::sort(out.endpoints.begin(), out.endpoints.end());
  return out;
}

}  // namespace

std::unique_ptr<Source> MakeDnsSdSource(const SourceSpec& spec) {
  return std::make_unique<DnsSdSource>(spec);
}

}  // namespace registrar::sources
