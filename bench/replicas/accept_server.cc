#include "bench/replicas/accept_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/support/ports.h"

namespace registrar::bench {

AcceptServer::AcceptServer(int sockets) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error("AcceptServer: epoll/eventfd");
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  for (int i = 0; i < sockets; ++i) {
    int port = 0;
    const int fd = testing::ListenOnLoopback(4096, &port);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    fds_.push_back(fd);
    ports_.push_back(port);
  }
  thread_ = std::thread([this] { Run(); });
}

AcceptServer::~AcceptServer() {
  stop_.store(true);
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  thread_.join();
  for (int fd : fds_) ::close(fd);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void AcceptServer::Run() {
  epoll_event events[64];
  while (!stop_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events, 64, 200);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) continue;
      for (int c; (c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
        ::close(c);
        accepted_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
}

}  // namespace registrar::bench
