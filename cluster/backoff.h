// Exponential backoff with jitter, capped: how long to wait before retrying
// etcd after a failure.
//
// The n-th consecutive failure waits a random duration in
// [(1 - jitter) × base_n, base_n] with base_n = min(max, initial × multiplier^n),
// so retries from many registrars spread out and never exceed `max`. Reset()
// after a success. Not thread-safe; uses the injected Random on the calling
// thread.
#pragma once

#include "common/clock.h"

namespace registrar::controller {

struct BackoffOptions {
  Duration initial = std::chrono::milliseconds(100);
  Duration max = std::chrono::seconds(5);
  double multiplier = 2.0;
  double jitter = 0.5;  // fraction of the base that is randomised, in [0, 1]
};

class Backoff {
 public:
  Backoff(BackoffOptions options, Random& random);

  // The wait before the next retry; counts one more failure.
  Duration Next();
  // After a success: the next failure waits about `initial` again.
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  const BackoffOptions options_;
  Random& random_;
  int failures_ = 0;
};

}  // namespace registrar::controller
