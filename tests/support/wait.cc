#include "tests/support/wait.h"

#include <thread>

namespace registrar::testing {

bool WaitFor(const std::function<bool()>& cond, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace registrar::testing
