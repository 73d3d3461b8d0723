// The budget of connections kept alive between probes, and their
// least-recently-used retirement. Module-private; loop thread only.
//
// Every kept-alive connection holds a file descriptor, and the process's
// limit is shared with etcd, the admin server, config files and logs. The
// prober derives a capacity from the limit (prober.h); a transport asks
// Keep() before keeping a connection after a probe. Beyond the capacity a
// target is probed on fresh connections, so a target count above the fd
// limit costs connects, never false failures. When full, the
// least-recently-used idle connection is retired only if it has been idle
// for longer than twice its own period (its target is gone, slowed down or
// moved to a fresh path): a steady set of targets keeps its connections
// instead of all of them churning.
#pragma once

#include <cstddef>

#include "common/clock.h"

namespace registrar::probes {

class KeepAliveBudget;

// A transport's kept-alive connection, as the budget tracks it.
class KeptConnection {
 public:
  // Closes the idle connection now (the budget retires it); the next probe
  // connects afresh. Must not call back into the budget.
  virtual void Retire() = 0;

 protected:
  ~KeptConnection() = default;

 private:
  friend class KeepAliveBudget;
  KeptConnection* prev_ = nullptr;  // idle list, least recently used first
  KeptConnection* next_ = nullptr;
  bool counted_ = false;  // holds a place in the budget
  bool idle_ = false;     // on the idle list
  MonoTime idle_since_{};
  Duration period_{};
};

class KeepAliveBudget final {
 public:
  explicit KeepAliveBudget(size_t capacity) : capacity_(capacity) {}
  KeepAliveBudget(const KeepAliveBudget&) = delete;
  KeepAliveBudget& operator=(const KeepAliveBudget&) = delete;

  // After a probe: may `c` keep its connection (probed every `period`)? True
  // puts it on the idle list (retiring a stale idle one if needed); false:
  // close it.
  bool Keep(KeptConnection* c, MonoTime now, Duration period);
  // `c` starts a probe on its kept connection: off the idle list, still
  // counted.
  void Use(KeptConnection* c);
  // `c` closed its connection (or is going away): its place is free.
  void Release(KeptConnection* c);

  void set_capacity(size_t capacity) { capacity_ = capacity; }
  size_t capacity() const { return capacity_; }
  size_t kept() const { return kept_; }
  size_t retired() const { return retired_; }

 private:
  void Unlink(KeptConnection* c);

  size_t capacity_;
  size_t kept_ = 0;
  size_t retired_ = 0;
  KeptConnection* head_ = nullptr;  // least recently used idle
  KeptConnection* tail_ = nullptr;
};

}  // namespace registrar::probes
