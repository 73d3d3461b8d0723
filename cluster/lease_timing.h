// When to renew a lease and when to presume it lost (for LeaseKeeper: the
// registration lease and the member session alike).
//
// Pure bookkeeping over injected time: a keepalive is due TTL/3 after the last
// renewal (as etcd's clientv3 does); the lease is presumed lost once the
// remaining TTL etcd last reported has run out without a renewal. Not
// thread-safe; owned by one LeaseKeeper, under its lock.
#pragma once

#include <cstdint>

#include "common/clock.h"

namespace registrar::controller {

class LeaseTiming {
 public:
  // A lease was granted at `now` with `ttl`: renewals due every ttl/3.
  void Granted(MonoTime now, Duration ttl);
  // etcd renewed the lease at `now`; `remaining` is the TTL it answered.
  void Renewed(MonoTime now, Duration remaining);
  // No lease any more.
  void Clear() { held_ = false; }

  bool held() const { return held_; }
  Duration ttl() const { return ttl_; }
  MonoTime next_keepalive() const { return next_keepalive_; }
  MonoTime deadline() const { return deadline_; }
  bool KeepAliveDue(MonoTime now) const { return held_ && now >= next_keepalive_; }
  // True once `deadline` passed: etcd has certainly expired the lease unless
  // it renewed it behind our back (a restarted etcd renews every lease).
  bool PresumedLost(MonoTime now) const { return held_ && now >= deadline_; }

 private:
  bool held_ = false;
  Duration ttl_{};
  MonoTime next_keepalive_{};
  MonoTime deadline_{};
};

}  // namespace registrar::controller
