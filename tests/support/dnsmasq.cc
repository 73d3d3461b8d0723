#include "tests/support/dnsmasq.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

constexpr Duration kDnsmasqStartTimeout = std::chrono::seconds(10);

// A UDP socket on 127.0.0.1 and a port the kernel picked; -1 on failure.
int DnsmasqUdpSocket(int* port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

// The end of the first question of the DNS message `m` (`n` bytes), or 0.
size_t DnsmasqQuestionEnd(const unsigned char* m, size_t n) {
  size_t end = 12;
  while (end < n && m[end] != 0) {
    if ((m[end] & 0xc0) != 0) return 0;  // queries carry no compression
    end += m[end] + 1u;
  }
  end += 5;  // the root label, type, class
  return end <= n ? end : 0;
}

// The name dnsmasq runs as: this process's user (root in the tests' image),
// since the default user need not exist.
std::string DnsmasqUser() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

}  // namespace

Dnsmasq::Dnsmasq() {
  servfail_fd_ = DnsmasqUdpSocket(&servfail_port_);
  if (servfail_fd_ < 0) throw std::runtime_error("Dnsmasq: no UDP socket on 127.0.0.1");
  servfail_thread_ = std::thread([this] { ServeServFail(); });
}

Dnsmasq::~Dnsmasq() {
  Kill();
  stop_.store(true);
  servfail_thread_.join();
  ::close(servfail_fd_);
}

absl::Status Dnsmasq::Start(Records records) {
  if (process_ && process_->Running()) return absl::FailedPreconditionError("dnsmasq is running");
  if (port_ == 0) port_ = FreePort();
  std::vector<std::string> argv = {
      "/usr/sbin/dnsmasq",
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--port=" + std::to_string(port_),
      "--user=" + DnsmasqUser(),
      "--pid-file=",
      "--log-facility=-",
      "--log-queries",
      "--local-ttl=" + std::to_string(records.local_ttl),
  };
  const std::string servfail = "/127.0.0.1#" + std::to_string(servfail_port_);
  argv.push_back(std::string("--server=/") + kServFailZone + servfail);
  if (records.servfail_all) {
    argv.push_back(std::string("--server=/") + kZone + servfail);
  } else {
    argv.push_back(std::string("--local=/") + kZone + "/");
    for (const auto& s : records.srv_hosts) argv.push_back("--srv-host=" + s);
    for (const auto& h : records.host_records) argv.push_back("--host-record=" + h);
  }
  auto started = Process::Start(argv);
  if (!started.ok()) return started.status();
  process_ = std::move(*started);
  bool exited = false;
  const bool ready = WaitFor(
      [&] {
        exited = !process_->Running();
        return exited || Answers();
      },
      kDnsmasqStartTimeout);
  if (ready && !exited) return absl::OkStatus();
  const std::string log = process_->Log();
  process_->Kill();
  return absl::UnavailableError("dnsmasq on port " + std::to_string(port_) +
                                (exited ? " exited" : " did not answer") + ": " + log);
}

absl::Status Dnsmasq::Restart(Records records) {
  Kill();
  return Start(std::move(records));
}

void Dnsmasq::Kill() {
  if (process_) process_->Kill();
}

void Dnsmasq::Pause() {
  if (process_) process_->Signal(SIGSTOP);
}

void Dnsmasq::Resume() {
  if (process_) process_->Signal(SIGCONT);
}

std::string Dnsmasq::log() const { return process_ ? process_->Log() : ""; }

bool Dnsmasq::Answers() const {
  int unused = 0;
  const int fd = DnsmasqUdpSocket(&unused);
  if (fd < 0) return false;
  // "ready.sd.test" A: NXDOMAIN once dnsmasq serves.
  const unsigned char query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0, 0,   0,   0,
                                 0,    5,    'r',  'e',  'a', 'd', 'y', 2, 's', 'd', 4,
                                 't',  'e',  's',  't',  0,   0,   1,   0, 1};
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port_));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool answered = false;
  if (::sendto(fd, query, sizeof(query), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
      static_cast<ssize_t>(sizeof(query))) {
    pollfd p{fd, POLLIN, 0};
    unsigned char reply[512];
    answered = ::poll(&p, 1, 100) == 1 && ::recv(fd, reply, sizeof(reply), 0) >= 12 &&
               reply[0] == 0x12 && reply[1] == 0x34;
  }
  ::close(fd);
  return answered;
}

void Dnsmasq::ServeServFail() {
  unsigned char m[4096];
  while (!stop_.load()) {
    pollfd p{servfail_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    sockaddr_in from{};
    socklen_t from_len = sizeof(from);
    const ssize_t n =
        ::recvfrom(servfail_fd_, m, sizeof(m), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 12) continue;
    const size_t end = DnsmasqQuestionEnd(m, static_cast<size_t>(n));
    if (end == 0) continue;
    m[2] = static_cast<unsigned char>(0x80 | (m[2] & 0x01));  // QR, the query's RD
    m[3] = 0x82;                                              // RA, SERVFAIL
    m[4] = 0, m[5] = 1;                                       // the question, no records
    for (int i = 6; i < 12; ++i) m[i] = 0;
    ::sendto(servfail_fd_, m, end, 0, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

}  // namespace registrar::testing
