#include "tests/support/resident_memory.h"

#include <fstream>
#include <string>

namespace registrar::testing {

int64_t ResidentKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

}  // namespace registrar::testing
