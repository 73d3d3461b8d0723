#include "bench/probes/curl_driver.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace registrar::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Request {
  CURL* easy = nullptr;
  Clock::time_point due;
  bool in_flight = false;
  std::string body;
};

size_t Keep(char* data, size_t size, size_t n, void* self) {
  auto* r = static_cast<Request*>(self);
  if (r->body.size() < 64 * 1024) r->body.append(data, size * n);
  return size * n;
}

int LingerZero(void*, curl_socket_t fd, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) {
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  return CURL_SOCKOPT_OK;
}

}  // namespace

Figures RunCurlDriver(const DriverOptions& o) {
  clockid_t cpu_clock;
  pthread_getcpuclockid(pthread_self(), &cpu_clock);
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(o.urls.size() + 64));
  auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.period_s));
  std::vector<Request> reqs(o.urls.size());
  std::mt19937_64 rng(1);
  auto start = Clock::now();
  for (size_t i = 0; i < reqs.size(); ++i) {
    auto& r = reqs[i];
    r.easy = curl_easy_init();
    curl_easy_setopt(r.easy, CURLOPT_URL, o.urls[i].c_str());
    curl_easy_setopt(r.easy, CURLOPT_PRIVATE, &r);
    curl_easy_setopt(r.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r.easy, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_s * 1000));
    curl_easy_setopt(r.easy, CURLOPT_WRITEFUNCTION, &Keep);
    curl_easy_setopt(r.easy, CURLOPT_WRITEDATA, &r);
    if (!o.reuse) {
      curl_easy_setopt(r.easy, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(r.easy, CURLOPT_FORBID_REUSE, 1L);
      curl_easy_setopt(r.easy, CURLOPT_SOCKOPTFUNCTION, &LingerZero);
    }
    r.due = start + std::chrono::duration_cast<Clock::duration>(
                        period * std::uniform_real_distribution<double>(0, 1)(rng));
  }
  // Same period for all: walking the targets in phase order is the schedule.
  std::vector<Request*> order;
  for (auto& r : reqs) order.push_back(&r);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->due < b->due; });

  auto window_start = start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o.warmup_s));
  auto window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(o.measure_s));
  bool measuring = false;
  double cpu_at_start = 0;
  Figures f;
  std::vector<int64_t> lags;
  lags.reserve(
      static_cast<size_t>(static_cast<double>(reqs.size()) * o.measure_s / o.period_s * 1.2) + 16);
  size_t next = 0;
  while (true) {
    auto now = Clock::now();
    if (!measuring && now >= window_start) {
      measuring = true;
      cpu_at_start = ThreadCpuSeconds(cpu_clock);
      if (o.on_window_start) o.on_window_start();
    }
    if (now >= window_end) {
      if (o.on_window_end) o.on_window_end();
      break;
    }
    while (order[next]->due <= now) {
      Request* r = order[next];
      if (!r->in_flight) {  // never doubled
        if (measuring) lags.push_back((now - r->due).count());
        r->body.clear();
        r->in_flight = true;
        curl_multi_add_handle(multi, r->easy);
      }
      r->due += period;
      next = (next + 1) % order.size();
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      CURLcode code = msg->data.result;
      Request* r = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &r);
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      curl_multi_remove_handle(multi, easy);
      r->in_flight = false;
      if (!measuring) continue;
      ++f.probes;
      bool ok = code == CURLE_OK && status >= 200 && status < 400 &&
                (o.must_contain.empty() || r->body.find(o.must_contain) != std::string::npos);
      if (!ok) ++f.failures;
    }
    auto wait =
        std::chrono::ceil<std::chrono::milliseconds>(order[next]->due - Clock::now()).count();
    wait = std::clamp<long>(wait, 0, 1000);
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait), nullptr);
  }
  f.cpu_seconds = ThreadCpuSeconds(cpu_clock) - cpu_at_start;
  // An overloaded loop notices the window's end late: divide by the real span.
  f.seconds = std::chrono::duration<double>(Clock::now() - window_start).count();
  f.rss_mb = RssMb();
  f.time_wait = NewTimeWaitSockets(o.measure_s);
  SetLags(f, lags);
  for (auto& r : reqs) {
    if (r.in_flight) curl_multi_remove_handle(multi, r.easy);
    curl_easy_cleanup(r.easy);
  }
  curl_multi_cleanup(multi);
  return f;
}

}  // namespace registrar::bench
