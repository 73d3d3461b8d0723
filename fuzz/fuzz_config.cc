// Fuzzes the config loader: any YAML text gives either a Config or errors
// that each name the file — never a crash, an exception, a hang or a leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Larger documents only measure yaml-cpp's speed.
  if (size > 16 * 1024) return 0;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  // A base dir that does not exist: relative file references fail cleanly.
  const registrar::config::LoadResult result =
      registrar::config::ParseConfig(yaml, "fuzz.yaml", "/nonexistent-fuzz-dir");
  if (result.config.has_value() == !result.errors.empty()) __builtin_trap();
  for (const registrar::config::ConfigError& error : result.errors) {
    if (error.message.empty() || error.ToString().find("fuzz.yaml") == std::string::npos) {
      __builtin_trap();
    }
  }
  return 0;
}
