// Private to the discovery library: the consumer's view of a prefix and the
// rules that turn lists and watch events into EndpointEvents. Pure (no I/O,
// no clock, no locking), so it is unit-tested without etcd.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "discovery/discovery.h"
#include "etcd/client.h"

namespace registrar::etcd::discovery_internal {

class EndpointSet final {
 public:
  EndpointSet(std::string prefix, EndpointFormat format)
      : prefix_(std::move(prefix)), format_(format) {}

  // Replaces the set with a full list read at `revision` and returns the
  // difference from the previous set: added for new keys, updated for keys
  // whose mod_revision or value changed, removed (at `revision`) for keys that
  // are gone. Unchanged keys produce nothing. The first call reports every
  // key as added.
  std::vector<EndpointEvent> Reset(const std::vector<KeyValue>& kvs, int64_t revision);

  // Applies the events of one watch response. Events at or below revision()
  // were already applied (by a list or an earlier response) and are skipped;
  // a delete of an unknown key reports nothing.
  std::vector<EndpointEvent> Apply(const std::vector<WatchEvent>& events);

  // A progress notification: etcd has sent every event up to `revision`.
  void AdvanceTo(int64_t revision) {
    if (revision > revision_) revision_ = revision;
  }

  // Everything up to this revision is reflected (0 before the first list).
  int64_t revision() const { return revision_; }
  bool listed() const { return listed_; }
  const std::map<std::string, Endpoint>& endpoints() const { return endpoints_; }

 private:
  const std::string prefix_;
  const EndpointFormat format_;
  std::map<std::string, Endpoint> endpoints_;
  int64_t revision_ = 0;
  bool listed_ = false;
};

// Exponential backoff with jitter: the n-th delay is uniform in
// [d/2, d] with d = min(initial × 2^n, max).
class Backoff final {
 public:
  Backoff(Duration initial, Duration max, Random& random)
      : initial_(initial), max_(max), random_(random) {}
  Duration Next();
  void Reset() { attempt_ = 0; }

 private:
  const Duration initial_;
  const Duration max_;
  Random& random_;
  int attempt_ = 0;
};

}  // namespace registrar::etcd::discovery_internal
