#include "tests/support/browser.h"

#include <sys/stat.h>

#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace registrar::testing {
std::vector<std::string> ChromiumArgs(const std::string& profile_dir) {
  return {"chromium",
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-dev-shm-usage",
          "--user-data-dir=" + profile_dir};
}

namespace {

// Runs chromium with stdout into `out_path`; its stderr (noisy: D-Bus,
// GPU) goes to a side file that is only shown when it fails.
absl::Status Run(const std::vector<std::string>& chromium, const TempDir& dir,
                 const std::string& out_path, Duration timeout) {
  const std::string err_path = dir.File("chromium.stderr");
  std::vector<std::string> argv = {"sh", "-c", "f=$1; shift; exec \"$@\" 2>\"$f\"", "sh", err_path};
  argv.insert(argv.end(), chromium.begin(), chromium.end());
  // HOME inside the temp dir: chromium writes caches and crash reports there.
  auto proc = Process::Start(argv, out_path, {"HOME=" + dir.path()}, /*stdout_only=*/true);
  if (!proc.ok()) return proc.status();
  const int code = (*proc)->Wait(timeout);
  if (code < 0) {
    (*proc)->Kill();
    return absl::DeadlineExceededError("chromium did not finish in time; stderr:\n" +
                                       ReadFile(err_path));
  }
  if (code != 0) {
    return absl::InternalError("chromium exited with " + std::to_string(code) + "; stderr:\n" +
                               ReadFile(err_path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> DumpDom(const std::string& url, Duration timeout) {
  TempDir dir;
  std::vector<std::string> argv = ChromiumArgs(dir.File("profile"));
  argv.push_back("--dump-dom");
  argv.push_back(url);
  const std::string out = dir.File("dom.html");
  if (absl::Status s = Run(argv, dir, out, timeout); !s.ok()) return s;
  return ReadFile(out);
}

absl::Status Screenshot(const std::string& url, const std::string& png_path, int width, int height,
                        Duration timeout) {
  TempDir dir;
  std::vector<std::string> argv = ChromiumArgs(dir.File("profile"));
  argv.push_back("--hide-scrollbars");
  argv.push_back("--screenshot=" + png_path);
  argv.push_back("--window-size=" + std::to_string(width) + "," + std::to_string(height));
  argv.push_back(url);
  if (absl::Status s = Run(argv, dir, dir.File("out.log"), timeout); !s.ok()) return s;
  struct stat st {};
  if (::stat(png_path.c_str(), &st) != 0 || st.st_size == 0) {
    return absl::InternalError("chromium wrote no screenshot to " + png_path);
  }
  return absl::OkStatus();
}

}  // namespace registrar::testing
