// More targets than file descriptors: the prober stays within its budget
// (kept-alive connections for some, fresh ones for the rest) and a shortage
// of descriptors is a local error, retried, never a target's failure. Its own
// executable: it lowers the process's RLIMIT_NOFILE.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "tests/probes/prober_fixture.h"
#include "tests/support/descriptor_hog.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

constexpr char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// The child's whole life: answer every request on every connection with 200.
[[noreturn]] void Serve(int listen_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  std::vector<std::string> pending(1 << 16);
  epoll_event events[256];
  char buf[16384];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_fd) {
        for (;;) {
          int c = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        pending[static_cast<size_t>(fd)].clear();
        close(fd);
        continue;
      }
      std::string& in = pending[static_cast<size_t>(fd)];
      in.append(buf, static_cast<size_t>(r));
      for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
        in.erase(0, end + 4);
        [[maybe_unused]] ssize_t w = write(fd, kResponse, sizeof(kResponse) - 1);
      }
    }
  }
}

// An HTTP server in a child process, so its connections do not count against
// this process's lowered limit.
class ChildServer {
 public:
  ChildServer() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 4096) != 0) {
      ADD_FAILURE() << "cannot listen: " << errno;
    }
    socklen_t len = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    pid_ = fork();
    if (pid_ == 0) Serve(fd);
    close(fd);
  }
  ~ChildServer() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
};

class FdBudgetTest : public ProberTest {
 protected:
  void SetUp() override {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = kLimit;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  }
  void TearDown() override {
    if (prober_) prober_->Stop();
    hog_.Release();
    setrlimit(RLIMIT_NOFILE, &saved_);
  }

  static constexpr rlim_t kLimit = 512;
  rlimit saved_{};
  testing::DescriptorHog hog_;  // descriptors taken to starve the prober
};

// 1200 healthy targets, a 512-descriptor limit: every probe succeeds.
TEST_P(FdBudgetTest, MoreTargetsThanFileDescriptorsGiveNoFalseFailures) {
  ChildServer server;
  std::vector<Target> targets;
  for (int i = 0; i < 1200; ++i) {
    Target t = HttpTarget("s" + std::to_string(i), server.port());
    t.probe.http_get.path = "/";
    t.probe.period = std::chrono::milliseconds(300);
    t.probe.timeout = std::chrono::seconds(5);  // a shared machine: no false timeouts
    t.probe.failure_threshold = 1;
    targets.push_back(std::move(t));
  }
  Start(targets);
  EXPECT_TRUE(testing::WaitFor([&] { return observer_.TargetsWithResults(3) == 1200; },
                               std::chrono::seconds(60)))
      << observer_.TargetsWithResults(3) << " targets have 3 results; "
      << observer_.TargetsWithResults(1) << " have one; local errors " << observer_.LocalErrors();
  EXPECT_EQ(observer_.Failures(), 0) << observer_.AnyFailureReason();
  for (const auto& t : targets) ASSERT_EQ(observer_.HealthOf(t.Id()), Health::kHealthy) << t.Id();
  prober_->Stop();  // before the server goes
}

// Someone else in the process takes nearly every descriptor: probes hit
// EMFILE, which is counted and retried, and no target is blamed; when the
// descriptors come back every target is probed again.
TEST_P(FdBudgetTest, RunningOutOfDescriptorsIsALocalErrorNotATargetFailure) {
  ChildServer server;
  std::vector<Target> targets;
  for (int i = 0; i < 100; ++i) {
    Target t = HttpTarget("s" + std::to_string(i), server.port());
    t.probe.period = std::chrono::milliseconds(200);
    t.probe.timeout = std::chrono::seconds(5);
    t.probe.failure_threshold = 1;
    t.probe.reuse_connections = false;  // every probe needs a new descriptor
    targets.push_back(std::move(t));
  }
  Start(targets);
  ASSERT_TRUE(testing::WaitFor([&] { return observer_.TargetsWithResults(1) == 100; },
                               std::chrono::seconds(60)));
  // Take every free descriptor (bounded by the limit), and again at each
  // poll: a probe that ends frees its socket, and on a slow machine the next
  // probe would otherwise find it free and never meet EMFILE.
  hog_.TakeFree();
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        hog_.TakeFree();
        return observer_.LocalErrors("emfile") >= 20;
      },
      std::chrono::seconds(30)))
      << observer_.LocalErrors("emfile") << " EMFILE errors";
  size_t before = 0;
  for (const auto& t : targets) before += observer_.ResultCount(t.Id());
  hog_.Release();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        size_t after = 0;
        for (const auto& t : targets) after += observer_.ResultCount(t.Id());
        return after >= before + 300;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(observer_.Failures(), 0) << observer_.AnyFailureReason();
  for (const auto& t : targets) ASSERT_EQ(observer_.HealthOf(t.Id()), Health::kHealthy) << t.Id();
  prober_->Stop();  // before the server goes
}

INSTANTIATE_TEST_SUITE_P(BothPaths, FdBudgetTest, ::testing::Bool(), PathName);

}  // namespace
}  // namespace registrar::probes
