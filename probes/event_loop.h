// One epoll set driving several libcurl multi handles ("shards"): curl's
// sockets, curl's timers and an eventfd that other threads use to wake the
// loop.
//
// Why shards: libcurl before 8.10 walks the whole connection cache of a multi
// handle on every curl_multi_remove_handle() of a transfer whose connection
// was kept alive (close_connect_only), and keeps every resolved address in a
// 7-bucket DNS cache — both O(targets) per probe. With 10k kept-alive
// connections in one multi that alone costs ~1 ms per probe. Spreading
// targets over kShards multis keeps each cache small; one thread and one
// epoll set still serve them all.
//
// The prober thread calls Poll() in a loop; everything curl does (connect,
// TLS, send, receive, per-transfer timeouts) happens inside it. Only Wake()
// is thread-safe.
#pragma once

#include <curl/curl.h>
#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"

namespace registrar::probes {

// A socket the loop watches for someone other than curl (see Watch()).
class FdHandler {
 public:
  virtual void OnFdEvents(uint32_t events) = 0;

 protected:
  ~FdHandler() = default;
};

class EventLoop final {
 public:
  static constexpr int kShards = 64;

  EventLoop() = default;
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  absl::Status Init();
  CURLM* multi(int shard) const { return shards_[static_cast<size_t>(shard)]->multi; }
  // Cached connections each shard may keep (set when the target count changes).
  void SetMaxConnections(long per_shard);

  // Thread-safe: makes the current or next Poll() return at once.
  void Wake();

  // Lets curl run its expired timers (e.g. transfers just added). Call before
  // computing how long to Poll(): curl may finish transfers right here.
  void ActOnDueTimers();

  // Waits up to `max_wait` (less if curl has a timer due) for socket events
  // or a Wake(), then lets curl act on them and on its expired timers.
  void Poll(Duration max_wait);

  // Lets the loop see every socket `easy` opens (call after each reset).
  void Attach(CURL* easy);

  // Direct sockets (not curl's): delivers `fd`'s epoll `events` (level
  // triggered) to `handler`; call again to change the events. Forget() the fd
  // before closing it: events already fetched for it are then dropped, even
  // if its number is reused at once.
  void Watch(int fd, uint32_t events, FdHandler* handler);
  void Forget(int fd);

  // The errno of the oldest socket curl could not open (0: none left). curl
  // reports such a transfer as a bare "couldn't connect" without the errno.
  int TakeOpenError();

  // Closes every connection (cached or in use); the loop is unusable after.
  void Close();

  // Calls `done(shard, easy, result)` for every transfer that finished since
  // the last call.
  void DrainCompleted(const std::function<void(int, CURL*, CURLcode)>& done);

 private:
  struct Shard {
    EventLoop* loop = nullptr;
    CURLM* multi = nullptr;
    bool timer_armed = false;
    bool dirty = true;                               // curl ran since we last read its messages
    std::chrono::steady_clock::time_point deadline;  // curl keeps real time
  };
  struct FdState {
    Shard* shard = nullptr;        // whose curl waits on it
    uint32_t registered = 0;       // events in the epoll set; 0: not in it
    bool wanted = false;           // curl currently waits on this socket
    bool ours = false;             // opened (and will be closed) through our hooks
    FdHandler* handler = nullptr;  // a direct socket's owner
    uint32_t generation = 0;       // bumped on Forget(): tells stale events apart
  };

  static curl_socket_t OpenSocket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int CloseSocket(void* self, curl_socket_t fd);
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* shard, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* shard);
  static void ActOnTimer(Shard& shard);

  FdState& Track(int fd);
  void Register(int fd, uint32_t mask);
  void Dispatch(const epoll_event& event);

  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<FdState> fds_;     // by fd number
  std::deque<int> open_errors_;  // errnos of failed opens, oldest first
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
};

}  // namespace registrar::probes
