#include "sources/file_sd.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sources/target_groups.h"

namespace registrar::sources {
namespace {

constexpr int64_t kFileSdMaxFileBytes = int64_t{64} << 20;

// What Changed() compares: a file's identity, size and modification time.
struct FileSdStat {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  bool regular = true;
  bool operator==(const FileSdStat&) const = default;
};
using FileSdStats = std::map<std::string, FileSdStat>;  // path → stat, in path order

FileSdStat FileSdStatOf(const struct stat& st) {
  return {st.st_dev,         st.st_ino,          st.st_size,
          st.st_mtim.tv_sec, st.st_mtim.tv_nsec, S_ISREG(st.st_mode) != 0};
}

// The pattern for glob(3): only the last part globs, so the directory's
// metacharacters are escaped.
std::string FileSdPattern(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return path;
  std::string out;
  for (size_t i = 0; i < slash; ++i) {
    if (std::strchr("*?[\\", path[i]) != nullptr) out += '\\';
    out += path[i];
  }
  return out + path.substr(slash);
}

std::string FileSdDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::optional<GroupsFormat> FileSdFormat(const std::string& path) {
  const auto ends_with = [&](std::string_view ext) {
    return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends_with(".json")) return GroupsFormat::kJson;
  if (ends_with(".yml") || ends_with(".yaml")) return GroupsFormat::kYaml;
  return std::nullopt;
}

std::string FileSdErrno(const std::string& path, const char* what, int err) {
  return path + ": " + what + ": " + std::strerror(err);
}

// A whole regular file, at most kFileSdMaxFileBytes.
Answer FileSdRead(const std::string& path, std::string* text) {
  // O_NONBLOCK: a FIFO put in the file's place must not block the refresh.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {.failure = Failure::kIo, .error = FileSdErrno(path, "cannot open", errno)};
  Answer out;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out = {.failure = Failure::kIo, .error = path + ": not a regular file"};
  } else {
    char buf[64 * 1024];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        out = {.failure = Failure::kIo, .error = FileSdErrno(path, "cannot read", errno)};
        break;
      }
      if (n == 0) break;
      if (static_cast<int64_t>(text->size()) + n > kFileSdMaxFileBytes) {
        out = {
            .failure = Failure::kTooLarge,
            .error = path + ": larger than " + std::to_string(kFileSdMaxFileBytes >> 20) + " MiB"};
        break;
      }
      text->append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

class FileSdSource final : public Source {
 public:
  explicit FileSdSource(const SourceSpec& spec) : spec_(spec) {}

  Answer Fetch() override {
    std::string list_error;
    const FileSdStats now = StatAll(&list_error);
    if (!list_error.empty()) return {.failure = Failure::kIo, .error = list_error};
    std::map<std::string, std::pair<Failure, std::string>> failures;  // by path
    std::vector<Endpoint> endpoints;
    std::unordered_set<std::string> addresses;
    const auto add = [&](const std::vector<Endpoint>& from) {
      for (const Endpoint& e : from) {
        if (addresses.insert(e.Address()).second) endpoints.push_back(e);
      }
    };
    FileSdStats read;
    for (const auto& [path, stat] : now) {
      auto known = known_.find(path);
      if (known != known_.end()) known->second.missed = false;
      if (!Settled(path, stat)) {
        // Being written: its last good parse stands in until it settles.
        if (auto f = fetched_.find(path); f != fetched_.end()) read.insert(*f);
        if (known != known_.end()) add(known->second.endpoints);
        continue;
      }
      read[path] = stat;
      Answer file = ReadFile(path, stat);
      if (!file.ok()) {
        failures[path] = {file.failure, std::move(file.error)};
        continue;
      }
      add(file.endpoints);
      known_[path] = {std::move(file.endpoints), false};
    }
    for (auto it = known_.begin(); it != known_.end();) {
      if (now.count(it->first)) {
        ++it;
      } else if (!it->second.missed) {
        it->second.missed = true;
        failures[it->first] = {Failure::kVanished,
                               it->first + ": vanished; kept until the next refresh"};
        ++it;
      } else {
        it = known_.erase(it);  // missed twice: gone
      }
    }
    fetched_ = std::move(read);
    if (!failures.empty()) {
      auto& [failure, error] = failures.begin()->second;
      if (failures.size() > 1) {
        error += " (and " + std::to_string(failures.size() - 1) + " more files failed)";
      }
      return {.failure = failure, .error = std::move(error)};
    }
    std::sort(endpoints.begin(), endpoints.end());
    return {.endpoints = std::move(endpoints)};
  }

  bool Changed() override {
    std::string ignored;  // Fetch reports it
    FileSdStats now = StatAll(&ignored);
    const bool stable = last_poll_ && *last_poll_ == now;
    const bool changed = stable && now != fetched_;
    previous_poll_ = std::move(last_poll_);
    last_poll_ = std::move(now);
    return changed;
  }

 private:
  struct Known {
    std::vector<Endpoint> endpoints;  // the file's last good parse
    bool missed = false;              // a Fetch found it gone (reported vanished)
  };

  // Every file matching the spec now (directories left out), with its stat.
  FileSdStats StatAll(std::string* error) const {
    FileSdStats out;
    for (const std::string& path : spec_.file.files) {
      glob_t g{};
      const int rc = ::glob(FileSdPattern(path).c_str(), GLOB_NOSORT, nullptr, &g);
      if (rc == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) {
          struct stat st;
          if (::stat(g.gl_pathv[i], &st) == 0 && !S_ISDIR(st.st_mode)) {
            out[g.gl_pathv[i]] = FileSdStatOf(st);
          }
        }
      } else if (rc == GLOB_NOMATCH) {
        // Nothing matches; a directory that exists but cannot be listed is an error.
        const std::string dir = FileSdDirectory(path);
        DIR* d = ::opendir(dir.c_str());
        if (d != nullptr) {
          ::closedir(d);
        } else if (errno != ENOENT && errno != ENOTDIR && error->empty()) {
          *error = FileSdErrno(dir, "cannot list", errno);
        }
      } else if (error->empty()) {
        *error = path + ": cannot match the pattern";
      }
      ::globfree(&g);
    }
    return out;
  }

  // Whether `path` has kept `stat` through the last two polls (before the
  // first poll, every file counts as settled: nothing is known).
  bool Settled(const std::string& path, const FileSdStat& stat) const {
    if (!last_poll_) return true;
    for (const auto* poll : {&previous_poll_, &last_poll_}) {
      if (!*poll) return false;
      const auto it = (*poll)->find(path);
      if (it == (*poll)->end() || !(it->second == stat)) return false;
    }
    return true;
  }

  Answer ReadFile(const std::string& path, const FileSdStat& stat) const {
    const std::optional<GroupsFormat> format = FileSdFormat(path);
    if (!format) {
      return {.failure = Failure::kInvalid, .error = path + ": not a .json, .yml or .yaml file"};
    }
    if (!stat.regular) return {.failure = Failure::kIo, .error = path + ": not a regular file"};
    std::string text;
    if (Answer a = FileSdRead(path, &text); !a.ok()) return a;
    auto parsed = ParseTargetGroups(text, *format, spec_);
    if (!parsed.ok()) {
      return {.failure = Failure::kInvalid,
              .error = path + ": " + std::string(parsed.status().message())};
    }
    return {.endpoints = *std::move(parsed)};
  }

  const SourceSpec spec_;
  // Everything below: the runner's thread for this source only.
  std::map<std::string, Known> known_;        // files read well at least once
  FileSdStats fetched_;                       // the stat of each file as the last Fetch used it
  std::optional<FileSdStats> last_poll_;      // the last Changed()'s stats
  std::optional<FileSdStats> previous_poll_;  // the one before
};

}  // namespace

std::unique_ptr<Source> MakeFileSdSource(const SourceSpec& spec) {
  return std::make_unique<FileSdSource>(spec);
}

}  // namespace registrar::sources
