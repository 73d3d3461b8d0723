// The process heap, given back to the kernel.
//
// glibc's malloc keeps what a thread frees in that thread's arena for reuse.
// After a burst of allocation (a reload of thousands of targets, a
// /api/v1/targets page of megabytes) the process keeps the burst's peak as
// resident memory, and over hours of bursts on different threads the arenas
// fragment and RSS creeps up although the live heap does not. HeapTrimmer
// returns the free pages of every arena (malloc_trim) at most once per
// interval, and at once after a burst the caller knows of.
//
// Thread-safety: one owner thread (the daemon's main loop). The trim itself is
// safe against allocation on other threads (glibc locks each arena in turn).
#pragma once

#include <functional>

#include "common/clock.h"

namespace registrar {

// malloc_trim(0): every arena's free pages back to the kernel.
void ReleaseFreeHeap();

class HeapTrimmer {
 public:
  using Trim = std::function<void()>;
  HeapTrimmer(const Clock& clock, Duration interval, Trim trim = ReleaseFreeHeap);

  // Trims when `interval` has passed since the last trim.
  void Tick();
  // Trims now (after a known burst), and the interval starts again.
  void AfterBurst();

 private:
  const Clock& clock_;
  const Duration interval_;
  const Trim trim_;
  MonoTime last_;
};

}  // namespace registrar
