// One epoll set driving a libcurl multi handle: curl's sockets, curl's timer
// and an eventfd that other threads use to wake the loop.
//
// The prober thread calls Poll() in a loop; everything curl does (connect,
// TLS, send, receive, per-transfer timeouts) happens inside it. Only Wake() is
// thread-safe.
#pragma once

#include <curl/curl.h>
#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"

namespace registrar::probes {

class EventLoop final {
 public:
  EventLoop() = default;
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  absl::Status Init();
  CURLM* multi() const { return multi_; }

  // Thread-safe: makes the current or next Poll() return at once.
  void Wake();

  // Lets curl run its expired timers (e.g. transfers just added). Call before
  // computing how long to Poll(): curl may finish transfers right here.
  void ActOnDueTimer();

  // Waits up to `max_wait` (less if curl has a timer due) for socket events
  // or a Wake(), then lets curl act on them and on its expired timers.
  void Poll(Duration max_wait);

  // Lets the loop see every socket `easy` opens (call after each reset).
  void Attach(CURL* easy);

  // Closes every connection (cached or in use); the loop is unusable after.
  void Close();

  // Calls `done` for every transfer that finished since the last call.
  void DrainCompleted(const std::function<void(CURL*, CURLcode)>& done);

 private:
  struct FdState {
    uint32_t registered = 0;  // events in the epoll set; 0: not in it
    bool wanted = false;      // curl currently waits on this socket
    bool ours = false;        // opened (and will be closed) through our hooks
  };

  static curl_socket_t OpenSocket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int CloseSocket(void* self, curl_socket_t fd);
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);

  FdState& Track(int fd);
  void Register(int fd, uint32_t mask);
  void Dispatch(const epoll_event& event);

  std::vector<FdState> fds_;  // by fd number
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  CURLM* multi_ = nullptr;
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point curl_deadline_;  // curl keeps real time
};

}  // namespace registrar::probes
