#include "tests/support/fault_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "tests/support/ports.h"

namespace registrar::testing {
namespace {

// Moves what is readable on `from` to `to`; false when either side is done.
bool Relay(int from, int to) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0) return false;
  ssize_t off = 0;
  while (off < n) {  // blocking write: loopback peers drain quickly
    ssize_t w = write(to, buf + off, static_cast<size_t>(n - off));
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

}  // namespace

FaultRelay::FaultRelay(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ListenOnLoopback(64, &port_);
  if (pipe2(wake_, O_CLOEXEC) != 0) {
    std::perror("FaultRelay");
    std::abort();
  }
  thread_ = std::thread([this] { Run(); });
}

FaultRelay::~FaultRelay() {
  stop_ = true;
  Wake();
  thread_.join();
  CloseAll();
  close(listen_fd_);
  close(wake_[0]);
  close(wake_[1]);
}

std::string FaultRelay::endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

void FaultRelay::SetModes(Mode requests, Mode answers) {
  if (requests == Mode::kDrop || answers == Mode::kDrop) requests = answers = Mode::kDrop;
  requests_ = requests;
  answers_ = answers;
  Wake();
}

void FaultRelay::Wake() {
  char c = 0;
  (void)!write(wake_[1], &c, 1);
}

void FaultRelay::CloseAll() {
  for (Pair& p : pairs_) {
    close(p.client);
    if (p.upstream >= 0) close(p.upstream);
  }
  pairs_.clear();
}

void FaultRelay::Run() {
  while (!stop_) {
    const Mode requests = requests_;
    const Mode answers = answers_;
    if (requests == Mode::kDrop) CloseAll();
    // A connection accepted while requests held reaches the server once they
    // forward again (its SYN "retransmitted" after the heal).
    if (requests == Mode::kForward) {
      std::vector<Pair> connected;
      for (Pair& p : pairs_) {
        if (p.upstream < 0) p.upstream = ConnectToLoopback(upstream_port_);
        if (p.upstream < 0) {
          close(p.client);
        } else {
          connected.push_back(p);
        }
      }
      pairs_ = std::move(connected);
    }
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const Pair& p : pairs_) {
      // A held direction is not read: its bytes wait in the kernel.
      fds.push_back({p.client, static_cast<short>(requests == Mode::kForward ? POLLIN : 0), 0});
      fds.push_back({p.upstream, static_cast<short>(answers == Mode::kForward ? POLLIN : 0), 0});
    }
    if (poll(fds.data(), fds.size(), 1000) <= 0) continue;
    if (fds[0].revents != 0) {
      char buf[64];
      (void)!read(wake_[0], buf, sizeof(buf));
    }
    if (fds[1].revents & POLLIN) {
      int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        ++accepted_;
        if (requests == Mode::kDrop) {
          close(client);
        } else {
          const int upstream = requests == Mode::kForward ? ConnectToLoopback(upstream_port_) : -1;
          if (requests == Mode::kForward && upstream < 0) {
            close(client);
          } else {
            pairs_.push_back({client, upstream});
          }
        }
      }
    }
    // Pairs accepted in this round were not polled yet: they are kept as is.
    const size_t polled = (fds.size() - 2) / 2;
    std::vector<Pair> alive;
    for (size_t i = 0; i < polled; ++i) {
      const pollfd& c = fds[2 + 2 * i];
      const pollfd& u = fds[3 + 2 * i];
      bool ok = true;
      // POLLHUP/POLLERR are reported even when not asked for: a closed peer
      // ends the pair whatever the mode.
      if (c.revents != 0) {
        ok = requests == Mode::kForward ? Relay(pairs_[i].client, pairs_[i].upstream)
                                        : (c.revents & (POLLHUP | POLLERR)) == 0;
      }
      if (ok && u.revents != 0 && pairs_[i].upstream >= 0) {
        ok = answers == Mode::kForward ? Relay(pairs_[i].upstream, pairs_[i].client)
                                       : (u.revents & (POLLHUP | POLLERR)) == 0;
      }
      if (ok) {
        alive.push_back(pairs_[i]);
      } else {
        close(pairs_[i].client);
        if (pairs_[i].upstream >= 0) close(pairs_[i].upstream);
      }
    }
    for (size_t i = polled; i < pairs_.size(); ++i) alive.push_back(pairs_[i]);
    pairs_ = std::move(alive);
  }
}

}  // namespace registrar::testing
