#include "probes/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace registrar::probes {
namespace {
constexpr uintptr_t kRegistered = 1;  // curl_multi_assign marker: fd is in the epoll set
}

EventLoop::~EventLoop() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

absl::Status EventLoop::Init() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0)
    return absl::InternalError(std::string("epoll_create1: ") + std::strerror(errno));
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return absl::InternalError(std::string("eventfd: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    return absl::InternalError(std::string("epoll_ctl(eventfd): ") + std::strerror(errno));
  }
  multi_ = curl_multi_init();
  if (multi_ == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &EventLoop::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &EventLoop::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  return absl::OkStatus();
}

void EventLoop::Wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof(one));
}

int EventLoop::OnSocket(CURL* /*easy*/, curl_socket_t fd, int what, void* self, void* socketp) {
  auto* loop = static_cast<EventLoop*>(self);
  bool registered = reinterpret_cast<uintptr_t>(socketp) == kRegistered;
  if (what == CURL_POLL_REMOVE) {
    if (registered) {
      epoll_ctl(loop->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      curl_multi_assign(loop->multi_, fd, nullptr);
    }
    return 0;
  }
  epoll_event ev{};
  ev.data.fd = fd;
  if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
  if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
  // curl's per-socket marker can be lost when a cached connection is reused,
  // so fall back between ADD and MOD instead of trusting it blindly.
  int op = registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(loop->epoll_fd_, op, fd, &ev) != 0) {
    op = errno == EEXIST ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    epoll_ctl(loop->epoll_fd_, op, fd, &ev);
  }
  if (!registered) curl_multi_assign(loop->multi_, fd, reinterpret_cast<void*>(kRegistered));
  return 0;
}

int EventLoop::OnTimer(CURLM* /*multi*/, long timeout_ms, void* self) {
  auto* loop = static_cast<EventLoop*>(self);
  if (timeout_ms < 0) {
    loop->timer_armed_ = false;
  } else {
    loop->timer_armed_ = true;
    loop->curl_deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void EventLoop::ActOnDueTimer() {
  if (!timer_armed_ || curl_deadline_ > std::chrono::steady_clock::now()) return;
  int running = 0;
  timer_armed_ = false;  // curl re-arms it from inside the call if needed
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
}

void EventLoop::Poll(Duration max_wait) {
  auto now = std::chrono::steady_clock::now();
  Duration wait = std::max(max_wait, Duration::zero());
  if (timer_armed_) wait = std::min<Duration>(wait, std::max<Duration>(curl_deadline_ - now, {}));
  // Round up: waking a little late is harmless, waking early spins.
  int wait_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());

  std::array<epoll_event, 256> events;
  int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == wake_fd_) {
      uint64_t count;
      [[maybe_unused]] auto r = read(wake_fd_, &count, sizeof(count));
      continue;
    }
    int flags = 0;
    if (events[i].events & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
    if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (events[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
    int running = 0;
    curl_multi_socket_action(multi_, fd, flags, &running);
  }
  ActOnDueTimer();
}

void EventLoop::Close() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  multi_ = nullptr;
  timer_armed_ = false;
}

void EventLoop::DrainCompleted(const std::function<void(CURL*, CURLcode)>& done) {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg == CURLMSG_DONE) done(msg->easy_handle, msg->data.result);
  }
}

}  // namespace registrar::probes
