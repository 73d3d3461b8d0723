// Test support: this process's resident memory (VmRSS), for tests and
// benchmarks that bound or report it.
#pragma once

#include <cstdint>

namespace registrar::testing {

// VmRSS of the calling process in KiB; 0 when /proc cannot be read.
int64_t ResidentKb();

}  // namespace registrar::testing
