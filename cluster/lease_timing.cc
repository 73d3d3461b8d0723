#include "cluster/lease_timing.h"

namespace registrar::controller {

void LeaseTiming::Granted(MonoTime now, Duration ttl) {
  held_ = true;
  ttl_ = ttl;
  next_keepalive_ = now + ttl / 3;
  deadline_ = now + ttl;
}

void LeaseTiming::Renewed(MonoTime now, Duration remaining) {
  next_keepalive_ = now + ttl_ / 3;
  deadline_ = now + (remaining > Duration::zero() ? remaining : ttl_);
}

}  // namespace registrar::controller
