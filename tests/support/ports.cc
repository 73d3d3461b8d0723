#include "tests/support/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace registrar::testing {

namespace {

// Binds a new TCP (or UDP) socket to host:`want` (0: the kernel picks) and
// reports the port; -1 on failure.
int BindPort(const std::string& host, int want, int* port, int type = SOCK_STREAM) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(want));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// The kernel's ephemeral range, from which it picks the local port of every
// outgoing connection and of bind(port 0).
std::pair<int, int> EphemeralRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768, high = 60999;
  in >> low >> high;
  return {low, high};
}

}  // namespace

// A port handed out here is bound later by someone else, so two hazards lie
// between: the kernel giving the same port to an outgoing connection or to
// the next bind(0) (it reuses a just-closed port readily), and this process
// handing it out twice. So the port comes from below the ephemeral range, at
// random (parallel test processes rarely meet), and never twice per process.
int FreePort(const std::string& host) {
  static std::mutex mu;
  static std::set<int> given;
  static std::mt19937 rng(std::random_device{}());
  const std::lock_guard<std::mutex> lock(mu);
  const auto [low, high] = EphemeralRange();
  const bool below = low > 11000;
  std::uniform_int_distribution<int> pick(below ? 10000 : high + 1, below ? low - 1 : 65535);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int want = pick(rng);
    if (given.count(want) != 0) continue;
    int port = 0;
    const int fd = BindPort(host, want, &port);
    if (fd < 0) continue;
    ::close(fd);
    // Free for UDP too, so a DNS server can take both.
    int udp_port = 0;
    const int udp = BindPort(host, want, &udp_port, SOCK_DGRAM);
    if (udp < 0) continue;
    ::close(udp);
    given.insert(port);
    return port;
  }
  throw std::runtime_error("FreePort: no free port on " + host);
}

int ListenOnLoopback(int backlog, int* port) {
  const int fd = BindPort("127.0.0.1", 0, port);
  if (fd < 0 || ::listen(fd, backlog) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("ListenOnLoopback: cannot listen on 127.0.0.1");
  }
  return fd;
}

int ConnectToLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool CanConnect(int port) {
  const int fd = ConnectToLoopback(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace registrar::testing
