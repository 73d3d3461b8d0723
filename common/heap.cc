#include "common/heap.h"

#include <malloc.h>

#include <utility>

namespace registrar {

void ReleaseFreeHeap() { malloc_trim(0); }

HeapTrimmer::HeapTrimmer(const Clock& clock, Duration interval, Trim trim)
    : clock_(clock), interval_(interval), trim_(std::move(trim)), last_(clock.Now()) {}

void HeapTrimmer::Tick() {
  if (clock_.Now() - last_ >= interval_) AfterBurst();
}

void HeapTrimmer::AfterBurst() {
  trim_();
  last_ = clock_.Now();
}

}  // namespace registrar
