// The admin port under the attacks of issue 13: idle connections, slowloris
// clients (one header byte per second), a 1 GB POST body and a 300 MB
// request line, all at once, while /healthz is asked on fresh connections.
// Asserts outcomes (every /healthz answered 200 within a generous deadline,
// memory bounded, the hostile connections closed) and prints the figures
// (/healthz p50/p99, peak RSS) for the record.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "admin/admin_server.h"
#include "tests/metrics/test_util.h"
#include "tests/support/ports.h"
#include "tests/support/resident_memory.h"

namespace registrar::admin {
namespace {

using Clock = std::chrono::steady_clock;

// Sends all of `data` unless the peer closes or `deadline` passes.
bool SendAll(int fd, const std::string& data, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    if (Clock::now() > deadline) return false;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes or `deadline`; returns what was read.
std::string ReadUntilClose(int fd, Clock::time_point deadline, bool* closed) {
  std::string out;
  *closed = false;
  char buf[4096];
  while (Clock::now() < deadline && out.size() < (1 << 20)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One GET /healthz on a fresh connection; the latency, or -1 on failure.
double HealthzMillis(int port) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(2);
  const int fd = testing::ConnectToLoopback(port);
  if (fd < 0) return -1;
  bool closed = false;
  std::string got;
  if (SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", deadline)) {
    got = ReadUntilClose(fd, deadline, &closed);
  }
  close(fd);
  if (got.rfind("HTTP/1.1 200", 0) != 0 || got.find("\r\n\r\nok\n") == std::string::npos) {
    return -1;
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Streams `head` and then `filler` bytes (chunks of 'a') to the server until
// it closes or `deadline`; returns how many filler bytes it accepted.
int64_t Flood(int port, const std::string& head, int64_t filler, Clock::time_point deadline) {
  const int fd = testing::ConnectToLoopback(port);
  if (fd < 0) return -1;
  int64_t sent = 0;
  if (SendAll(fd, head, deadline)) {
    const std::string chunk(1 << 16, 'a');
    while (sent < filler && Clock::now() < deadline) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const size_t want = static_cast<size_t>(std::min<int64_t>(filler - sent, chunk.size()));
      const ssize_t n = send(fd, chunk.data(), want, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += n;
    }
  }
  close(fd);
  return sent;
}

TEST(AdminAttack, HealthzStaysFastAndMemoryBoundedUnderEveryAttackAtOnce) {
  metrics::testing::FakeStatus status;
  status.SetReady({true, ""});
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  const int64_t rss_before = testing::ResidentKb();

  std::vector<int> idle;
  for (int i = 0; i < 50; ++i) {
    const int fd = testing::ConnectToLoopback(port);
    if (fd >= 0) idle.push_back(fd);
  }
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) {
    const int fd = testing::ConnectToLoopback(port);
    if (fd >= 0 && send(fd, "GET / HTTP/1.1\r\nX-A: ", 21, MSG_NOSIGNAL) == 21) slow.push_back(fd);
  }

  std::atomic<bool> stop{false};
  std::atomic<int64_t> rss_peak{rss_before};
  const auto end = Clock::now() + std::chrono::seconds(20);
  std::thread sampler([&] {
    while (!stop.load()) {
      rss_peak.store(std::max(rss_peak.load(), testing::ResidentKb()));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::thread slowloris([&] {
    while (!stop.load() && Clock::now() < end) {
      for (const int fd : slow) send(fd, "a", 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
  std::atomic<int64_t> body_sent{0}, line_sent{0};
  std::thread body([&] {
    body_sent =
        Flood(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n",
              int64_t{1} << 30, end);
  });
  std::thread line([&] { line_sent = Flood(port, "GET /", int64_t{300} << 20, end); });

  std::vector<double> millis;
  int failed = 0;
  for (int i = 0; i < 60 && Clock::now() < end; ++i) {
    const double ms = HealthzMillis(port);
    if (ms < 0) {
      ++failed;
    } else {
      millis.push_back(ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  slowloris.join();
  body.join();
  line.join();
  sampler.join();
  for (const int fd : idle) close(fd);
  for (const int fd : slow) close(fd);

  std::sort(millis.begin(), millis.end());
  const auto pct = [&](double q) {
    return millis.empty() ? -1.0 : millis[static_cast<size_t>(q * (millis.size() - 1))];
  };
  std::printf(
      "attack: /healthz %zu ok, %d failed; p50 %.2f ms, p99 %.2f ms; RSS %lld kB before, "
      "peak %lld kB; body bytes accepted %lld, request-line bytes accepted %lld\n",
      millis.size(), failed, pct(0.5), pct(0.99), static_cast<long long>(rss_before),
      static_cast<long long>(rss_peak.load()), static_cast<long long>(body_sent.load()),
      static_cast<long long>(line_sent.load()));
  EXPECT_EQ(failed, 0);
  EXPECT_GE(millis.size(), 20u);
  // The server may read some of a hostile stream before it answers; it must
  // neither keep reading to the end nor buffer what it read.
  EXPECT_LT(body_sent.load(), int64_t{256} << 20);
  EXPECT_LT(line_sent.load(), int64_t{256} << 20);
  EXPECT_LT(rss_peak.load() - rss_before, 64 * 1024) << "kB of RSS growth";
}

TEST(AdminAttack, A1GBBodyAloneIsRefusedUnreadAndCostsNoMemory) {
  metrics::testing::FakeStatus status;
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok()) << server.status();
  const int64_t rss_before = testing::ResidentKb();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> rss_peak{rss_before};
  std::thread sampler([&] {
    while (!stop.load()) {
      rss_peak.store(std::max(rss_peak.load(), testing::ResidentKb()));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const int64_t sent = Flood(
      (*server)->port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n",
      int64_t{1} << 30, Clock::now() + std::chrono::seconds(30));
  stop = true;
  sampler.join();
  std::printf("1 GB body: %lld bytes accepted; RSS %lld kB before, peak %lld kB\n",
              static_cast<long long>(sent), static_cast<long long>(rss_before),
              static_cast<long long>(rss_peak.load()));
  EXPECT_LT(sent, int64_t{256} << 20);
  EXPECT_LT(rss_peak.load() - rss_before, 64 * 1024) << "kB of RSS growth";
}

TEST(AdminAttack, AnUnreadBodyIsNeverParsedAsASecondRequest) {
  metrics::testing::FakeStatus status;
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok()) << server.status();
  const int fd = testing::ConnectToLoopback((*server)->port());
  ASSERT_GE(fd, 0);
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string body = smuggled + std::string(100000, 'b');
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  // Larger than any body limit, so the server answers before reading it.
  SendAll(fd,
          "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n" + body,
          deadline);
  bool closed = false;
  const std::string got = ReadUntilClose(fd, deadline, &closed);
  close(fd);
  EXPECT_TRUE(closed) << "the connection must close after an error response";
  EXPECT_EQ(got.rfind("HTTP/1.1 4", 0), 0u) << got;
  size_t responses = 0;
  for (size_t at = got.find("HTTP/1."); at != std::string::npos; at = got.find("HTTP/1.", at + 1)) {
    ++responses;
  }
  EXPECT_EQ(responses, 1u) << got;
  EXPECT_EQ(got.find("Keep-Alive"), std::string::npos) << got;
}

}  // namespace
}  // namespace registrar::admin
