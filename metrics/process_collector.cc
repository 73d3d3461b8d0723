#include "metrics/process_collector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#include "prometheus/client_metric.h"
#include "prometheus/metric_type.h"

namespace registrar::metrics {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Fields of /proc/self/stat we need (proc(5) numbering).
struct Stat {
  double utime_ticks = 0;      // 14
  double stime_ticks = 0;      // 15
  double starttime_ticks = 0;  // 22, since boot
  double vsize_bytes = 0;      // 23
  double rss_pages = 0;        // 24
};

std::optional<Stat> ReadStat() {
  const std::string text = ReadFile("/proc/self/stat");
  // The command name (field 2) may contain spaces and parentheses: skip to
  // the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  Stat stat;
  std::string field;
  for (int n = 3; fields >> field; ++n) {
    double value = 0;
    try {
      value = std::stod(field);
    } catch (const std::exception&) {
      value = 0;  // non-numeric fields (state) are not used
    }
    switch (n) {
      case 14:
        stat.utime_ticks = value;
        break;
      case 15:
        stat.stime_ticks = value;
        break;
      case 22:
        stat.starttime_ticks = value;
        break;
      case 23:
        stat.vsize_bytes = value;
        break;
      case 24:
        stat.rss_pages = value;
        return stat;
      default:
        break;
    }
  }
  return std::nullopt;
}

// Boot time in Unix seconds, from the "btime" line of /proc/stat.
std::optional<double> BootTime() {
  std::istringstream lines(ReadFile("/proc/stat"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("btime ", 0) == 0) {
      try {
        return std::stod(line.substr(6));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

std::optional<double> OpenFds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++count;
  }
  if (ec) return std::nullopt;
  return count;
}

prometheus::MetricFamily SingleSampleFamily(const char* name, const char* help,
                                            prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (std::optional<Stat> stat = ReadStat(); stat && ticks > 0) {
    out.push_back(SingleSampleFamily(
        "process_cpu_seconds_total", "Total user and system CPU time in seconds.",
        MetricType::Counter, (stat->utime_ticks + stat->stime_ticks) / ticks));
    out.push_back(SingleSampleFamily("process_resident_memory_bytes",
                                     "Resident memory size in bytes.", MetricType::Gauge,
                                     stat->rss_pages * page));
    out.push_back(SingleSampleFamily("process_virtual_memory_bytes",
                                     "Virtual memory size in bytes.", MetricType::Gauge,
                                     stat->vsize_bytes));
    if (std::optional<double> boot = BootTime()) {
      out.push_back(SingleSampleFamily("process_start_time_seconds",
                                       "Start time of the process since unix epoch in seconds.",
                                       MetricType::Gauge, *boot + stat->starttime_ticks / ticks));
    }
  }
  if (std::optional<double> fds = OpenFds()) {
    // The directory iterator's own descriptor is counted too; so do other
    // exporters, and it is open at scrape time.
    out.push_back(SingleSampleFamily("process_open_fds", "Number of open file descriptors.",
                                     MetricType::Gauge, *fds));
  }
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(SingleSampleFamily(
        "process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
        limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

}  // namespace registrar::metrics
