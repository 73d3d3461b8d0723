#include "common/heap.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tests/support/resident_memory.h"

namespace registrar {
namespace {

using namespace std::chrono_literals;

TEST(HeapTrimmer, TrimsOncePerIntervalAndAtOnceAfterABurst) {
  SimulatedClock clock;
  int trims = 0;
  HeapTrimmer trimmer(clock, 30s, [&] { ++trims; });
  trimmer.Tick();
  EXPECT_EQ(trims, 0);
  clock.Advance(29s);
  trimmer.Tick();
  EXPECT_EQ(trims, 0);
  clock.Advance(1s);
  trimmer.Tick();
  trimmer.Tick();
  EXPECT_EQ(trims, 1);
  clock.Advance(20s);
  trimmer.AfterBurst();
  EXPECT_EQ(trims, 2);
  clock.Advance(29s);  // the interval restarted at the burst
  trimmer.Tick();
  EXPECT_EQ(trims, 2);
  clock.Advance(1s);
  trimmer.Tick();
  EXPECT_EQ(trims, 3);
}

int64_t ResidentBytes() { return testing::ResidentKb() * 1024; }

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define REGISTRAR_OWN_MALLOC 1
#endif
#endif

TEST(ReleaseFreeHeap, GivesAFreedBurstBackToTheKernel) {
#ifdef REGISTRAR_OWN_MALLOC
  GTEST_SKIP() << "the sanitizer's allocator replaces glibc's, which this test is about";
#endif
  // 192 MiB in 4 KiB blocks (below the mmap threshold, so from the heap),
  // touched, then freed while the last block pins the top of the heap: glibc
  // keeps the freed pages resident until they are trimmed. (A separate small
  // pin could come from a hole lower in the heap, and then the frees trim.)
  constexpr int kBlocks = 48 * 1024;
  std::vector<char*> blocks(kBlocks);
  for (auto& b : blocks) {
    b = static_cast<char*>(std::malloc(4000));
    std::memset(b, 1, 4000);
  }
  char* pin = blocks.back();
  blocks.pop_back();
  const int64_t before = ResidentBytes();
  for (char* b : blocks) std::free(b);
  const int64_t freed = ResidentBytes();
  ReleaseFreeHeap();
  const int64_t after = ResidentBytes();
  std::free(pin);
  EXPECT_GT(freed, before - (16L << 20)) << "glibc gave the burst back by itself";
  EXPECT_LT(after, freed - (128L << 20)) << "resident " << freed << " -> " << after;
}

}  // namespace
}  // namespace registrar
