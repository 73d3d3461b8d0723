#include "tests/probes/raw_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "tests/support/ports.h"

namespace registrar::probes::testing {

RawServer::RawServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = registrar::testing::ListenOnLoopback(128, &port_);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

RawServer::~RawServer() {
  stopping_.store(true);
  shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : conn_fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(conn_threads_);
  }
  for (auto& t : threads) t.join();
  std::lock_guard lock(mu_);
  for (int fd : conn_fds_) close(fd);
}

void RawServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    accepted_.fetch_add(1);
    std::lock_guard lock(mu_);
    conn_fds_.push_back(fd);
    conn_threads_.emplace_back([this, fd] {
      handler_(fd, stopping_);
      finished_.fetch_add(1);
      shutdown(fd, SHUT_RDWR);  // closed in the destructor: fd numbers stay unique
    });
  }
}

bool RawServer::ReadRequestHead(int fd, const std::atomic<bool>& stopping, std::string* head) {
  std::string data;
  char buf[4096];
  while (!stopping.load()) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
    if (data.find("\r\n\r\n") != std::string::npos) {
      if (head != nullptr) *head = data;
      return true;
    }
  }
  return false;
}

bool RawServer::WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void RawServer::Pause(int ms, const std::atomic<bool>& stopping) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stopping.load() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 20)));
  }
}

RawServer::Handler KeepAliveOk() {
  return [](int fd, const std::atomic<bool>& stopping) {
    while (RawServer::ReadRequestHead(fd, stopping)) {
      if (!RawServer::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
    }
  };
}

}  // namespace registrar::probes::testing
