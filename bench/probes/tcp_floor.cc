#include "bench/probes/tcp_floor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace registrar::bench {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in AddressOf(const Backends& backends, int i) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(backends.port()));
  inet_pton(AF_INET, Backends::Address(i).c_str(), &a.sin_addr);
  return a;
}

int Connect(const sockaddr_in& a) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void CloseWithReset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

// The response (nginx's short 200 arrives in one segment).
bool ReadResponse(int fd) {
  char buffer[2048];
  ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
  return got > 12 && std::memcmp(buffer, "HTTP/1.1 200", 12) == 0;
}

}  // namespace

Figures RunTcpFloor(const Backends& backends, const TcpFloorOptions& o) {
  const std::string request = "GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: floor\r\n\r\n";
  const int kept = o.reuse ? std::min(o.targets, kMaxKept) : 0;
  std::vector<int> fds(static_cast<size_t>(kept), -1);
  // Requests go out in batches, one every kTick, and then their responses
  // are read: the thread sleeps once per batch, not once per probe.
  constexpr auto kTick = std::chrono::milliseconds(5);
  const auto batch = static_cast<int64_t>(
      std::max(1.0, o.targets / o.period_s * std::chrono::duration<double>(kTick).count()));
  const Clock::time_point start = Clock::now();
  const Clock::time_point window_start = start + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(o.warmup_s));
  const Clock::time_point window_end =
      window_start +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.measure_s));
  Figures f;
  std::vector<int64_t> lags;
  bool measuring = false;
  double cpu0 = 0;
  std::vector<int> open(static_cast<size_t>(batch), -1);
  std::vector<bool> ok(static_cast<size_t>(batch));
  int64_t k = 0;
  for (int64_t tick = 0;; ++tick) {
    const Clock::time_point planned = start + tick * kTick;
    Clock::time_point now = Clock::now();
    if (now < planned) {
      std::this_thread::sleep_until(planned);
      now = Clock::now();
    }
    if (!measuring && now >= window_start) {
      measuring = true;
      cpu0 = ThreadCpuSeconds(CLOCK_THREAD_CPUTIME_ID);
    }
    if (now >= window_end) break;
    for (int64_t b = 0; b < batch; ++b, ++k) {
      int& fd = o.reuse ? fds[static_cast<size_t>(k % kept)] : open[static_cast<size_t>(b)];
      if (fd < 0)
        fd = Connect(AddressOf(backends, static_cast<int>(o.reuse ? k % kept : k % o.targets)));
      ok[static_cast<size_t>(b)] =
          fd >= 0 && send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                         static_cast<ssize_t>(request.size());
    }
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t at = k - batch + b;
      int& fd = o.reuse ? fds[static_cast<size_t>(at % kept)] : open[static_cast<size_t>(b)];
      bool good = ok[static_cast<size_t>(b)] && ReadResponse(fd);
      if (!o.reuse && fd >= 0) {
        CloseWithReset(fd);
        fd = -1;
      } else if (!good && fd >= 0) {
        close(fd);
        fd = -1;
      }
      if (measuring) {
        ++f.probes;
        f.failures += !good;
        lags.push_back((now - planned).count());
      }
    }
  }
  f.cpu_seconds = ThreadCpuSeconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
  f.seconds = o.measure_s;
  f.rss_mb = RssMb();
  f.open_sockets = OpenSockets();
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
  SetLags(f, lags);
  return f;
}

}  // namespace registrar::bench
