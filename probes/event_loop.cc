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
EventLoop::~EventLoop() {
  Close();
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
  for (int i = 0; i < kShards; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->loop = this;
    shard->multi = curl_multi_init();
    if (shard->multi == nullptr) return absl::InternalError("curl_multi_init failed");
    curl_multi_setopt(shard->multi, CURLMOPT_SOCKETFUNCTION, &EventLoop::OnSocket);
    curl_multi_setopt(shard->multi, CURLMOPT_SOCKETDATA, shard.get());
    curl_multi_setopt(shard->multi, CURLMOPT_TIMERFUNCTION, &EventLoop::OnTimer);
    curl_multi_setopt(shard->multi, CURLMOPT_TIMERDATA, shard.get());
    shards_.push_back(std::move(shard));
  }
  return absl::OkStatus();
}

void EventLoop::SetMaxConnections(long per_shard) {
  for (auto& shard : shards_) curl_multi_setopt(shard->multi, CURLMOPT_MAXCONNECTS, per_shard);
}

void EventLoop::Wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof(one));
}

// Sockets curl opens and closes through these two hooks are "ours": their
// epoll records are exact, so idle ones may stay in the set (see OnSocket).
curl_socket_t EventLoop::OpenSocket(void* self, curlsocktype /*purpose*/, curl_sockaddr* address) {
  auto* loop = static_cast<EventLoop*>(self);
  int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) {
    loop->open_errors_.push_back(errno);
    return CURL_SOCKET_BAD;
  }
  FdState& st = loop->Track(fd);
  st = FdState{nullptr, 0, false, true, nullptr, st.generation + 1};
  return fd;
}

int EventLoop::TakeOpenError() {
  if (open_errors_.empty()) return 0;
  int err = open_errors_.front();
  open_errors_.pop_front();
  return err;
}

int EventLoop::CloseSocket(void* self, curl_socket_t fd) {
  auto* loop = static_cast<EventLoop*>(self);
  loop->Forget(fd);
  return close(fd);
}

EventLoop::FdState& EventLoop::Track(int fd) {
  if (static_cast<size_t>(fd) >= fds_.size()) fds_.resize(static_cast<size_t>(fd) * 2 + 64);
  return fds_[static_cast<size_t>(fd)];
}

void EventLoop::Register(int fd, uint32_t mask) {
  FdState& st = Track(fd);
  if (st.registered == mask) return;
  epoll_event ev{};
  ev.events = mask;
  ev.data.u64 = (uint64_t{st.generation} << 32) | static_cast<uint32_t>(fd);
  int op = mask == 0 ? EPOLL_CTL_DEL : st.registered != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(epoll_fd_, op, fd, &ev) != 0 && mask != 0) {
    // Our record was stale (e.g. a socket not opened through OpenSocket).
    epoll_ctl(epoll_fd_, errno == EEXIST ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
  }
  st.registered = mask;
}

int EventLoop::OnSocket(CURL* /*easy*/, curl_socket_t fd, int what, void* shard_ptr,
                        void* /*socketp*/) {
  auto* shard = static_cast<Shard*>(shard_ptr);
  EventLoop* loop = shard->loop;
  FdState& st = loop->Track(fd);
  st.shard = shard;
  if (what == CURL_POLL_REMOVE) {
    // Kept-alive connections go idle between probes: leave ours in the epoll
    // set (saves two epoll_ctl calls per probe); an event on an idle socket
    // (peer closed it) removes it then. Others (e.g. resolver pipes) go now.
    st.wanted = false;
    if (!st.ours) loop->Register(fd, 0);
    return 0;
  }
  st.wanted = true;
  uint32_t mask = 0;
  if (what & CURL_POLL_IN) mask |= EPOLLIN;
  if (what & CURL_POLL_OUT) mask |= EPOLLOUT;
  loop->Register(fd, mask);
  return 0;
}

int EventLoop::OnTimer(CURLM* /*multi*/, long timeout_ms, void* shard_ptr) {
  auto* shard = static_cast<Shard*>(shard_ptr);
  shard->timer_armed = timeout_ms >= 0;
  if (timeout_ms >= 0) {
    shard->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void EventLoop::ActOnTimer(Shard& shard) {
  int running = 0;
  shard.timer_armed = false;  // curl re-arms it from inside the call if needed
  shard.dirty = true;
  curl_multi_socket_action(shard.multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

void EventLoop::ActOnDueTimers() {
  auto now = std::chrono::steady_clock::now();
  for (auto& shard : shards_) {
    if (shard->timer_armed && shard->deadline <= now) ActOnTimer(*shard);
  }
}

void EventLoop::Poll(Duration max_wait) {
  auto now = std::chrono::steady_clock::now();
  Duration wait = std::max(max_wait, Duration::zero());
  for (const auto& shard : shards_) {
    if (shard->timer_armed)
      wait = std::min<Duration>(wait, std::max<Duration>(shard->deadline - now, {}));
  }
  // Round up: waking a little late is harmless, waking early spins.
  int wait_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());

  // Dispatch every ready socket before curl's timers run, so a response that
  // has arrived is never judged a timeout because it waited in the queue.
  std::array<epoll_event, 512> events;
  for (int round = 0;; ++round) {
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                       round == 0 ? wait_ms : 0);
    for (int i = 0; i < n; ++i) Dispatch(events[i]);
    if (n < static_cast<int>(events.size())) break;
  }
  ActOnDueTimers();
}

void EventLoop::Watch(int fd, uint32_t events, FdHandler* handler) {
  Track(fd).handler = handler;
  Register(fd, events);
}

// Closing the fd drops it from the epoll set; events of the old socket that
// were already fetched no longer match the generation.
void EventLoop::Forget(int fd) {
  FdState& st = Track(fd);
  uint32_t generation = st.generation + 1;
  st = FdState{};
  st.generation = generation;
}

void EventLoop::Dispatch(const epoll_event& event) {
  int fd = static_cast<int>(event.data.u64 & 0xffffffffu);
  if (fd == wake_fd_) {
    uint64_t count;
    [[maybe_unused]] auto r = read(wake_fd_, &count, sizeof(count));
    return;
  }
  FdState& st = Track(fd);
  if (st.handler != nullptr) {
    if (static_cast<uint32_t>(event.data.u64 >> 32) == st.generation) {
      st.handler->OnFdEvents(event.events);
    }
    return;
  }
  if (!st.wanted || st.shard == nullptr) {  // an idle kept-alive socket: curl checks it on reuse
    Register(fd, 0);
    return;
  }
  int flags = 0;
  if (event.events & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
  if (event.events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
  if (event.events & EPOLLERR) flags |= CURL_CSELECT_ERR;
  int running = 0;
  st.shard->dirty = true;
  curl_multi_socket_action(st.shard->multi, fd, flags, &running);
}

void EventLoop::Attach(CURL* easy) {
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &EventLoop::OpenSocket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &EventLoop::CloseSocket);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
}

void EventLoop::Close() {
  for (auto& shard : shards_) {
    if (shard->multi != nullptr) curl_multi_cleanup(shard->multi);  // closes via CloseSocket
    shard->multi = nullptr;
    shard->timer_armed = false;
  }
}

void EventLoop::DrainCompleted(const std::function<void(int, CURL*, CURLcode)>& done) {
  for (size_t i = 0; i < shards_.size(); ++i) {
    Shard& shard = *shards_[i];
    if (!shard.dirty || shard.multi == nullptr) continue;
    shard.dirty = false;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(shard.multi, &left)) {
      if (msg->msg == CURLMSG_DONE) done(static_cast<int>(i), msg->easy_handle, msg->data.result);
    }
  }
}

}  // namespace registrar::probes
