// ConfigWatcher: tells when the config file (or an endpoints file) changed on
// disk, so the daemon can reload it.
//
// It watches each file's DIRECTORY with inotify (and the directory the file
// resolves to through symlinks), so every way a file gets replaced is seen:
// an in-place write, an editor's write-to-temp-and-rename, and the Kubernetes
// ConfigMap volume update, where `config.yaml -> ..data/config.yaml` and the
// `..data` symlink is swapped atomically to a new timestamped directory.
// Events are debounced (a burst of writes gives one callback), and the callback
// fires only when a file's content really changed (or it appeared or went
// away). As a safety net, contents are also re-checked every `poll_interval`,
// which also covers file systems without inotify.
//
// The callback runs on the watcher's own thread; it may call SetFiles(). It
// must not destroy the watcher.
//
// Time: this object waits on a kernel file descriptor, so it uses real time
// (std::chrono::steady_clock) rather than an injected Clock.
//
// Thread-safety: SetFiles() may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace registrar::config {

class ConfigWatcher final {
 public:
  struct Options {
    Duration debounce = std::chrono::milliseconds(100);
    Duration poll_interval = std::chrono::seconds(5);
    bool use_inotify = true;  // false: polling only (tests, exotic file systems)
  };

  // Starts watching `files` (their current contents are the baseline).
  ConfigWatcher(std::vector<std::string> files, std::function<void()> on_change, Options options);
  ConfigWatcher(std::vector<std::string> files, std::function<void()> on_change)
      : ConfigWatcher(std::move(files), std::move(on_change), Options{}) {}
  ~ConfigWatcher();  // stops the thread; no callback runs after it returns
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // Replaces the watched files, e.g. after a reload added an endpointsFile.
  // Files already watched keep their baseline; new ones start from their
  // current content.
  void SetFiles(std::vector<std::string> files);

  // Whether inotify is in use (false: polling only).
  bool using_inotify() const { return inotify_fd_ >= 0; }

 private:
  void Run();
  // Adds/removes directory watches to match the current files. Thread only.
  void SyncWatches();
  // True if some file's content differs from its baseline (and updates it).
  bool CheckForChanges();
  void Wake();

  const std::function<void()> on_change_;
  const Options options_;
  int inotify_fd_ = -1;  // constant after construction
  int wake_fd_ = -1;     // eventfd; constant after construction

  std::mutex mu_;
  std::map<std::string, std::optional<std::string>> baseline_;  // guarded by mu_: file → content
  bool stopping_ = false;                                       // guarded by mu_

  std::map<int, std::string> watches_;  // watcher thread only: wd → directory

  std::thread thread_;  // last: starts after everything above is set
};

}  // namespace registrar::config
