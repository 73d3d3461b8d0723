// Test support: free loopback ports.
#pragma once

#include <string>

namespace registrar::testing {

// A port on `host` (default 127.0.0.1) that was free for TCP and UDP a moment
// ago.
int FreePort(const std::string& host = "127.0.0.1");

// A listening TCP socket (close-on-exec, SO_REUSEADDR) on 127.0.0.1 and a
// port the kernel picked; returns the fd and sets *port. Throws on failure.
int ListenOnLoopback(int backlog, int* port);

// A blocking TCP connection to 127.0.0.1:`port` (close-on-exec): its fd,
// or -1 when nothing accepts it.
int ConnectToLoopback(int port);

// Whether something accepts TCP connections on 127.0.0.1:`port` now.
bool CanConnect(int port);

}  // namespace registrar::testing
