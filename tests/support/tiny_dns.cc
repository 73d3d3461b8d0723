#include "tests/support/tiny_dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace registrar::testing {

TinyDns::TinyDns() {
  fd_ = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

TinyDns::~TinyDns() {
  stop_.store(true);
  thread_.join();
  close(fd_);
}

void TinyDns::SetAnswer(uint32_t ipv4, uint32_t ttl_seconds) {
  address_.store(ipv4);
  ttl_.store(ttl_seconds);
}

std::vector<MonoTime> TinyDns::AQueryTimes() const {
  std::lock_guard lock(mu_);
  return a_queries_;
}

void TinyDns::Serve() {
  unsigned char q[512];
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    sockaddr_in from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(fd_, q, sizeof(q), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 17) continue;
    queries.fetch_add(1);
    size_t end = 12;  // the question's name, then type and class
    while (end < static_cast<size_t>(n) && q[end] != 0) end += q[end] + 1u;
    end += 5;
    if (end > static_cast<size_t>(n)) continue;
    int type = q[end - 4] << 8 | q[end - 3];
    if (type == 1) {
      std::lock_guard lock(mu_);
      a_queries_.push_back(RealClock().Now());
    }
    bool a = type == 1 && answering.load();
    std::vector<unsigned char> r(q, q + end);
    r[2] = 0x81;                            // QR, RD
    r[3] = answering.load() ? 0x80 : 0x83;  // RA; NXDOMAIN when not answering
    r[4] = 0, r[5] = 1;                     // one question
    r[6] = 0, r[7] = a ? 1 : 0;             // answers
    r[8] = r[9] = r[10] = r[11] = 0;
    if (a) {
      // The name (a pointer to the question's), type A, class IN, TTL, the address.
      const unsigned char head[] = {0xc0, 0x0c, 0, 1, 0, 1};
      r.insert(r.end(), head, head + sizeof(head));
      auto put32 = [&r](uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
          r.push_back(static_cast<unsigned char>(v >> shift));
      };
      put32(ttl_.load());
      r.push_back(0), r.push_back(4);
      put32(address_.load());
    }
    sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

}  // namespace registrar::testing
