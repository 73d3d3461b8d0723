// Test support: a headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: no port, no WebSocket), so a test can click
// and type in a page like a person and read the result.
//
// Each BrowserPage runs a fresh browser with a throwaway profile; every call
// is bounded by its timeout; the destructor kills the browser.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "tests/support/temp_dir.h"

namespace registrar::testing {

class BrowserPage {
 public:
  // Starts Chromium with one page (about:blank).
  static absl::StatusOr<std::unique_ptr<BrowserPage>> Open(
      Duration timeout = std::chrono::seconds(60));
  ~BrowserPage();
  BrowserPage(const BrowserPage&) = delete;
  BrowserPage& operator=(const BrowserPage&) = delete;

  // Loads `url` and waits until document.readyState is "complete".
  absl::Status Navigate(const std::string& url, Duration timeout = std::chrono::seconds(60));
  // Evaluates a JavaScript expression (promises awaited); the result as JSON
  // text ("3", "\"text\"", "true").
  absl::StatusOr<std::string> Evaluate(const std::string& expression,
                                       Duration timeout = std::chrono::seconds(30));
  // Polls `expression` until it evaluates to true or `timeout`.
  bool WaitUntil(const std::string& expression, Duration timeout = std::chrono::seconds(30));

 private:
  BrowserPage() = default;
  absl::StatusOr<std::string> Call(const std::string& method, const std::string& params_json,
                                   bool in_session, Duration timeout);

  TempDir dir_;
  pid_t pid_ = -1;
  int to_browser_ = -1;    // our end of the browser's fd 3
  int from_browser_ = -1;  // our end of the browser's fd 4
  std::string buffer_;     // bytes read, not yet a whole message
  std::string session_;    // the page's flat session id
  int next_id_ = 1;
};

}  // namespace registrar::testing
