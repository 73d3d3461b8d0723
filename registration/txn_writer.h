// Writes a Plan to etcd as fenced Txns, and isolates the values etcd refuses.
//
// Every Txn carries `fence` (see Membership::Fence) and at most kMaxTxnOps
// operations, puts first. A Txn whose compares fail ran nothing: the writer
// stops and reports `fenced` (the caller's view of the cluster is stale). A
// Txn that etcd refuses for its content ("request is too large") is split in halves until the
// refused operation stands alone; that key is reported in `rejected` and every other operation is
// written. Only the request's own faults (etcd/errors.h IsRequestsOwnFault: too large, invalid)
// count: a cluster condition such as the NOSPACE alarm or "too many requests" refuses every key
// alike, so like any other error it stops the writer and the whole plan is retried later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "etcd/client.h"
#include "registration/reconcile.h"

namespace registrar::controller {

struct WriteResult {
  absl::Status status;   // the first error that stopped the writer (OK otherwise)
  bool fenced = false;   // a Txn's fence compares failed
  Plan done;             // what was written
  int64_t revision = 0;  // of the last Txn that succeeded
  std::map<std::string, std::string> rejected;  // key → why etcd refused it
  size_t txns = 0;
};

// `on_txn(ops, revision)` is called after each Txn that succeeded.
WriteResult WritePlan(etcd::Client& client, const Plan& plan, int64_t lease_id,
                      const std::vector<etcd::Compare>& fence,
                      const std::function<void(const std::vector<etcd::Op>&, int64_t)>& on_txn);

}  // namespace registrar::controller
