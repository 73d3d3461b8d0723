// The kernel's floor under a plain HTTP probe on loopback: one thread,
// blocking sockets, no event loop, no timers, no parsing beyond the status
// line, at the prober's rate (n / period per second) in batches every 5 ms
// (each batch's requests are sent, then their responses read). `reuse`: up to
// kMaxKept connections kept open, one request each in turn; fresh: socket,
// connect, request, response, close with RST, as the prober closes a fresh
// connection. On loopback the thread that connects also runs the handshake
// and the teardown of the server's side in its softirqs, so this is most of
// what a fresh probe costs whatever the prober does in user space.
#pragma once

#include "bench/probes/backends.h"
#include "bench/probes/figures.h"

namespace registrar::bench {

struct TcpFloorOptions {
  int targets = 0;  // addresses Backends::Address(0 .. targets-1), in turn
  bool reuse = true;
  double period_s = 1;
  double warmup_s = 3;
  double measure_s = 10;
};

constexpr int kMaxKept = 4000;

Figures RunTcpFloor(const Backends& backends, const TcpFloorOptions& options);

}  // namespace registrar::bench
