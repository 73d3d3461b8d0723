// One target source (see spec.h): asked for its current answer, it returns
// the endpoints it lists now, or why it cannot say.
//
// A Source is used by one thread at a time (the runner's thread for it), and
// Fetch() blocks for at most the source's own timeout. Cancel() may be called
// from any thread: a Fetch() running then returns soon with a failure.
//
// Failures are typed at the source that saw them (never guessed from text
// later): `failure` is one of the reasons below, `error` says the rest.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "sources/spec.h"

namespace registrar::sources {

// What a source lists: one target's address and what it carries.
struct Endpoint {
  std::string host;  // IPv4/IPv6 literal or name (no trailing dot); IPv6 without brackets
  int port = 0;
  int weight = 0;  // 0: none given
  std::map<std::string, std::string> metadata;
  bool operator==(const Endpoint&) const = default;
  bool operator<(const Endpoint& o) const;
  // "host:port" ("[v6]:port"), as probes::Target::Address().
  std::string Address() const;
};

// Why a refresh failed (the `reason` label of the failure counter).
enum class Failure {
  kNone,
  kTimeout,     // no answer in time (DNS, HTTP, a hung server)
  kServFail,    // DNS SERVFAIL / REFUSED / other server error
  kConnect,     // cannot connect (refused, unreachable)
  kTls,         // TLS handshake or certificate
  kHttpStatus,  // HTTP status other than 200
  kTooLarge,    // body above the limit
  kInvalid,     // not a valid answer (bad JSON/YAML, bad target, wrong content type)
  kVanished,    // a file that was read before is gone (kept until the next refresh)
  kIo,          // cannot read a file or a credentials file
};
// "timeout", "servfail", "connect", "tls", "http_status", "too_large",
// "invalid", "vanished", "io" ("" for kNone).
const char* FailureName(Failure failure);

struct Answer {
  Failure failure = Failure::kNone;  // kNone: `endpoints` is the whole answer
  std::string error;                 // for logs and the status page (no secrets)
  std::vector<Endpoint> endpoints;   // sorted, no duplicate address
  // DNS: the smallest TTL of the records (the runner refreshes at
  // max(ttl, refresh interval)); unset for other sources.
  std::optional<Duration> ttl;
  bool ok() const { return failure == Failure::kNone; }
};

class Source {
 public:
  virtual ~Source() = default;
  // The current answer (blocking, bounded by the source's timeout).
  virtual Answer Fetch() = 0;
  // Whether the source wants a refresh before its interval (fileSd: a file
  // changed and has stayed unchanged since, so it is complete). Cheap: the
  // runner calls it every `ChangePollInterval()`.
  virtual bool Changed() { return false; }
  // Makes a running or later Fetch() return soon (shutdown).
  void Cancel() { cancelled_.store(true); }

 protected:
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

// How often the runner asks Source::Changed().
inline constexpr Duration kChangePollInterval = std::chrono::milliseconds(500);

// The source a spec describes. Never null.
std::unique_ptr<Source> MakeSource(const SourceSpec& spec);

}  // namespace registrar::sources
