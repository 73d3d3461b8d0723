// Test support: free loopback ports.
#pragma once

#include <string>

namespace registrar::testing {

// A TCP port on `host` (default 127.0.0.1) that was free a moment ago.
int FreePort(const std::string& host = "127.0.0.1");

}  // namespace registrar::testing
