// The admin API's hook for drain (maintenance mode): POST and DELETE
// /api/v1/targets/{id}/drain call these. The admin module only parses,
// authenticates and answers; the store (in etcd, seen by every replica) is
// the implementer's.
//
// Contract for implementations:
//  - `target_id` is Target::Id() ("service/host:port"). kNotFound when no
//    such target is configured; kInvalidArgument for a bad reason/duration.
//  - Drain: `duration` empty means until undrained; otherwise it expires by
//    itself after that long. `who` says who asked ("basic-auth user alice",
//    "admin api from 127.0.0.1"). Draining a drained target replaces the
//    reason/expiry (idempotent, 200 either way).
//  - Undrain of a target that is not drained is OK (idempotent).
//  - Errors of the store (etcd unreachable) are kUnavailable; the API answers
//    503 and nothing changed.
//  - Thread-safety: called from the admin server's render threads,
//    concurrently; may block on the store for a bounded time (a few seconds).
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/clock.h"

namespace registrar::admin {

class DrainControl {
 public:
  virtual ~DrainControl() = default;
  virtual absl::Status Drain(const std::string& target_id, const std::string& reason,
                             std::optional<Duration> duration, const std::string& who) = 0;
  virtual absl::Status Undrain(const std::string& target_id, const std::string& who) = 0;
};

}  // namespace registrar::admin
