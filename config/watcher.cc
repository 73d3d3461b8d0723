#include "config/watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "spdlog/spdlog.h"

namespace registrar::config {
namespace {

constexpr uint32_t kDirEvents = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE |
                                IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;

std::optional<std::string> ReadContent(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// The directories whose events can change what `path` reads: its own, and
// the one it resolves to through symlinks (ConfigMap `..data/…`).
std::set<std::string> DirectoriesOf(const std::string& path) {
  namespace fs = std::filesystem;
  std::set<std::string> dirs;
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return dirs;
  dirs.insert(p.parent_path().string());
  fs::path resolved = fs::canonical(p, ec);
  if (!ec) dirs.insert(resolved.parent_path().string());
  return dirs;
}

}  // namespace

ConfigWatcher::ConfigWatcher(std::vector<std::string> files, std::function<void()> on_change,
                             Options options)
    : on_change_(std::move(on_change)), options_(options) {
  if (options_.use_inotify) inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (options_.use_inotify && inotify_fd_ < 0) {
    spdlog::warn("config watcher: inotify unavailable ({}); polling every {}s",
                 std::strerror(errno), ToSeconds(options_.poll_interval));
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  // Watch first, then read: a write in between is then seen as an event.
  for (const std::string& f : files) baseline_[f] = std::nullopt;
  SyncWatches();
  for (const std::string& f : files) baseline_[f] = ReadContent(f);
  thread_ = std::thread([this] { Run(); });
}

ConfigWatcher::~ConfigWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ConfigWatcher::SetFiles(std::vector<std::string> files) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::optional<std::string>> next;
    for (const std::string& f : files) {
      auto it = baseline_.find(f);
      next[f] = it != baseline_.end() ? it->second : ReadContent(f);
    }
    baseline_ = std::move(next);
  }
  Wake();
}

void ConfigWatcher::Wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void ConfigWatcher::SyncWatches() {
  if (inotify_fd_ < 0) return;
  std::set<std::string> wanted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [file, content] : baseline_) wanted.merge(DirectoriesOf(file));
  }
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (wanted.count(it->second) == 0) {
      inotify_rm_watch(inotify_fd_, it->first);
      it = watches_.erase(it);
    } else {
      wanted.erase(it->second);
      ++it;
    }
  }
  for (const std::string& dir : wanted) {
    int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kDirEvents | IN_ONLYDIR);
    if (wd >= 0) watches_[wd] = dir;  // a missing directory is retried next time
  }
}

bool ConfigWatcher::CheckForChanges() {
  std::vector<std::string> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [file, content] : baseline_) files.push_back(file);
  }
  bool changed = false;
  for (const std::string& file : files) {
    std::optional<std::string> now = ReadContent(file);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = baseline_.find(file);
    if (it == baseline_.end() || it->second == now) continue;
    it->second = std::move(now);
    changed = true;
  }
  return changed;
}

void ConfigWatcher::Run() {
  using SteadyClock = std::chrono::steady_clock;
  bool pending = false;  // a debounced check is due at `due`
  SteadyClock::time_point due = SteadyClock::now();
  SteadyClock::time_point next_poll = SteadyClock::now() + options_.poll_interval;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    SteadyClock::time_point now = SteadyClock::now();
    SteadyClock::time_point wake_at = pending ? std::min(due, next_poll) : next_poll;
    int timeout_ms = static_cast<int>(
        std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(wake_at - now).count()));
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    int n = poll(fds, inotify_fd_ >= 0 ? 2 : 1, timeout_ms);
    if (n < 0 && errno != EINTR) {
      spdlog::error("config watcher: poll: {}", std::strerror(errno));
      return;
    }
    if (n > 0 && (fds[0].revents & POLLIN)) {
      uint64_t value;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &value, sizeof value);
      // The file set may have changed: watch new directories, then check
      // once more, in case a new file changed before its watch existed.
      SyncWatches();
      pending = true;
      due = SteadyClock::now() + options_.debounce;
    }
    if (n > 0 && inotify_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      alignas(inotify_event) char buffer[16 * 1024];
      while (read(inotify_fd_, buffer, sizeof buffer) > 0) {
      }
      // Any event in a watched directory may be ours (a rename, a symlink
      // swap); the content comparison below filters out the rest.
      pending = true;
      due = SteadyClock::now() + options_.debounce;
    }
    now = SteadyClock::now();
    bool check = false;
    if (pending && now >= due) {
      pending = false;
      check = true;
    }
    if (now >= next_poll) {
      next_poll = now + options_.poll_interval;
      check = true;
    }
    if (!check) continue;
    SyncWatches();  // directories may have appeared, or a symlink now points elsewhere
    if (CheckForChanges()) on_change_();
  }
}

}  // namespace registrar::config
