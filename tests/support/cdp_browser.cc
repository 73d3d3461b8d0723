#include "tests/support/cdp_browser.h"

#include "tests/support/browser.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

extern char** environ;

namespace registrar::testing {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

}  // namespace

absl::StatusOr<std::unique_ptr<BrowserPage>> BrowserPage::Open(Duration timeout) {
  std::unique_ptr<BrowserPage> page(new BrowserPage());
  int in[2], out[2];  // in: we write, browser reads fd 3; out: browser writes fd 4
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 3);
  posix_spawn_file_actions_adddup2(&actions, out[1], 4);
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  posix_spawn_file_actions_adddup2(&actions, devnull, 1);
  posix_spawn_file_actions_adddup2(&actions, devnull, 2);
  std::vector<std::string> args = ChromiumArgs(page->dir_.File("profile"));
  args.insert(args.end(), {"--remote-debugging-pipe", "--window-size=1280,900", "about:blank"});
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = {"HOME=" + page->dir_.path()};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("HOME=", 0) != 0) env_strings.push_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = posix_spawnp(&page->pid_, "chromium", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(devnull);
  close(in[0]);
  close(out[1]);
  page->to_browser_ = in[1];
  page->from_browser_ = out[0];
  if (rc != 0) return absl::InternalError("cannot start chromium");

  // A page of our own, attached as a flat session.
  auto created = page->Call("Target.createTarget", R"({"url":"about:blank"})", false, timeout);
  if (!created.ok()) return created.status();
  const std::string target_id = json::parse(*created)["targetId"].get<std::string>();
  auto attached =
      page->Call("Target.attachToTarget", json({{"targetId", target_id}, {"flatten", true}}).dump(),
                 false, timeout);
  if (!attached.ok()) return attached.status();
  page->session_ = json::parse(*attached)["sessionId"].get<std::string>();
  return page;
}

BrowserPage::~BrowserPage() {
  if (to_browser_ >= 0) close(to_browser_);
  if (from_browser_ >= 0) close(from_browser_);
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

absl::StatusOr<std::string> BrowserPage::Call(const std::string& method,
                                              const std::string& params_json, bool in_session,
                                              Duration timeout) {
  const int id = next_id_++;
  json message = {{"id", id}, {"method", method}, {"params", json::parse(params_json)}};
  if (in_session) message["sessionId"] = session_;
  std::string wire = message.dump();
  wire.push_back('\0');
  for (size_t sent = 0; sent < wire.size();) {
    const ssize_t n = write(to_browser_, wire.data() + sent, wire.size() - sent);
    if (n <= 0) return absl::UnavailableError("chromium closed its pipe");
    sent += static_cast<size_t>(n);
  }
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    for (size_t end = buffer_.find('\0'); end != std::string::npos; end = buffer_.find('\0')) {
      const json reply = json::parse(buffer_.substr(0, end), nullptr, false);
      buffer_.erase(0, end + 1);
      if (reply.is_discarded() || reply.value("id", -1) != id) continue;  // events
      if (reply.contains("error")) {
        return absl::InternalError(method + ": " + reply["error"].dump());
      }
      return reply["result"].dump();
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError(method + ": no answer in time");
    pollfd p{from_browser_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 200))) <= 0) continue;
    char chunk[65536];
    const ssize_t n = read(from_browser_, chunk, sizeof(chunk));
    if (n <= 0) return absl::UnavailableError("chromium closed its pipe");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::Status BrowserPage::Navigate(const std::string& url, Duration timeout) {
  auto r = Call("Page.navigate", json({{"url", url}}).dump(), true, timeout);
  if (!r.ok()) return r.status();
  // The old document may still answer "complete" right after navigate:
  // wait for the new URL too.
  const std::string check =
      "document.readyState === 'complete' && location.href === " + json(url).dump();
  if (!WaitUntil(check, timeout)) {
    auto where = Evaluate("location.href + ' ' + document.readyState", std::chrono::seconds(5));
    return absl::DeadlineExceededError("page did not load: " + url + "; page is at " +
                                       (where.ok() ? *where : where.status().ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BrowserPage::Evaluate(const std::string& expression, Duration timeout) {
  auto r = Call(
      "Runtime.evaluate",
      json({{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}).dump(),
      true, timeout);
  if (!r.ok()) return r.status();
  const json result = json::parse(*r);
  if (result.contains("exceptionDetails")) {
    return absl::InvalidArgumentError("script threw: " + result["exceptionDetails"].dump());
  }
  return result["result"].contains("value") ? result["result"]["value"].dump() : "null";
}

bool BrowserPage::WaitUntil(const std::string& expression, Duration timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    auto v = Evaluate(expression, std::chrono::seconds(10));
    if (v.ok() && *v == "true") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace registrar::testing
