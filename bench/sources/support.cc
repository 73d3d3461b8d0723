#include "bench/sources/support.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::bench {

std::string TargetHost(int i) {
  const uint32_t ip = (10u << 24) + static_cast<uint32_t>(i) + 1;
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

double CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  // After "pid (comm) ": state is field 3; utime and stime are fields 14, 15.
  for (int i = 3; i < 14 && fields >> f; ++i) {
  }
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::optional<std::string> HttpGet(int port, const std::string& path, int timeout_ms) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::milliseconds(timeout_ms));
  client.set_read_timeout(std::chrono::milliseconds(timeout_ms));
  auto res = client.Get(path);
  if (!res || res->status != 200) return std::nullopt;
  return res->body;
}

std::string TargetGroupsJson(const std::vector<int>& ids) {
  nlohmann::json targets = nlohmann::json::array();
  for (int i : ids) targets.push_back(TargetAddress(i));
  nlohmann::json group = {{"targets", std::move(targets)}, {"labels", {{"zone", "bench"}}}};
  return nlohmann::json::array({std::move(group)}).dump();
}

SdServer::SdServer() : server_(std::make_unique<httplib::Server>()) {
  body_ = std::make_shared<const std::string>("[]");
  server_->Get("/sd", [this](const httplib::Request&, httplib::Response& res) {
    requests_.fetch_add(1);
    std::shared_ptr<const std::string> body;
    {
      std::lock_guard lock(mu_);
      body = body_;
    }
    res.set_content(*body, "application/json");
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("SdServer: cannot bind");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  testing::WaitFor([this] { return server_->is_running(); }, std::chrono::seconds(5));
}

SdServer::~SdServer() {
  server_->stop();
  thread_.join();
}

void SdServer::Set(std::string body) {
  auto next = std::make_shared<const std::string>(std::move(body));
  std::lock_guard lock(mu_);
  body_ = std::move(next);
}

KeyWatch::KeyWatch(etcd::Client& client, std::string prefix) : prefix_(std::move(prefix)) {
  etcd::RangeOptions range;
  range.prefix = true;
  range.keys_only = true;
  auto listed = client.Range(prefix_, range);
  if (!listed.ok()) throw std::runtime_error("KeyWatch: " + listed.status().ToString());
  for (const auto& kv : listed->kvs) keys_.insert(kv.key);
  extra_ = keys_.size();
  etcd::WatchOptions w;
  w.key = prefix_;
  w.prefix = true;
  w.start_revision = listed->revision + 1;
  auto stream = client.OpenWatch(w);
  if (!stream.ok()) throw std::runtime_error("KeyWatch: " + stream.status().ToString());
  thread_ = std::thread([this, s = std::move(*stream)]() mutable { Run(std::move(s)); });
}

KeyWatch::~KeyWatch() {
  stop_.store(true);
  {
    std::lock_guard lock(mu_);
    if (stream_) stream_->Cancel();
  }
  thread_.join();
}

void KeyWatch::Run(std::unique_ptr<etcd::WatchStream> stream) {
  {
    std::lock_guard lock(mu_);
    stream_ = stream.get();
  }
  while (!stop_.load()) {
    auto r = stream->Next(std::chrono::milliseconds(200));
    if (!r.ok() && r.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
    if (!r.ok() || r->canceled) {
      if (!stop_.load()) broken_.store(true);  // the figures would be wrong: say so
      break;
    }
    const MonoTime now = RealClock().Now();
    std::lock_guard lock(mu_);
    for (const auto& e : r->events) {
      ++events_;
      const bool wanted = want_.contains(e.kv.key);
      if (e.type == etcd::WatchEvent::Type::kDelete) {
        if (keys_.erase(e.kv.key) == 0) continue;
        wanted ? ++missing_ : --extra_;
      } else if (keys_.insert(e.kv.key).second) {
        wanted ? --missing_ : ++extra_;
      }
    }
    if (r->events.empty()) continue;
    if (extra_ == 0) extras_gone_at_ = extras_gone_at_.value_or(now);
    if (missing_ == 0 && extra_ == 0) matched_at_ = now;
  }
  std::lock_guard lock(mu_);
  stream_ = nullptr;
}

void KeyWatch::SetWant(std::set<std::string> want) {
  std::lock_guard lock(mu_);
  want_ = std::move(want);
  missing_ = extra_ = 0;
  for (const auto& k : want_) missing_ += keys_.contains(k) ? 0 : 1;
  for (const auto& k : keys_) extra_ += want_.contains(k) ? 0 : 1;
  matched_at_.reset();
  extras_gone_at_.reset();
  if (extra_ == 0) extras_gone_at_ = RealClock().Now();
  if (missing_ == 0 && extra_ == 0) matched_at_ = RealClock().Now();
}

bool KeyWatch::matches() const {
  std::lock_guard lock(mu_);
  return missing_ == 0 && extra_ == 0;
}
std::optional<MonoTime> KeyWatch::matched_at() const {
  std::lock_guard lock(mu_);
  return matched_at_;
}
std::optional<MonoTime> KeyWatch::extras_gone_at() const {
  std::lock_guard lock(mu_);
  return extras_gone_at_;
}
size_t KeyWatch::size() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}
std::string KeyWatch::Describe() const {
  std::lock_guard lock(mu_);
  return std::to_string(keys_.size()) + " keys, " + std::to_string(missing_) +
         " wanted ones missing, " + std::to_string(extra_) + " others";
}
int64_t KeyWatch::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

DnsServer::DnsServer() {
  // An address of 127/8 of its own (53 is taken on 127.0.0.1 by nothing we
  // own); random so two runs on one machine do not meet.
  std::random_device rd;
  address_ = "127.53." + std::to_string(rd() % 250 + 1) + "." + std::to_string(rd() % 250 + 1);
}

void DnsServer::Start(const std::vector<std::string>& srv_records) {
  if (process_) process_->Kill();
  const std::string conf = dir_.File("dnsmasq.conf");
  std::string lines;
  for (const auto& r : srv_records) lines += "srv-host=" + r + "\n";
  testing::WriteFile(conf, lines);
  auto p = testing::Process::Start(
      {"dnsmasq", "--keep-in-foreground", "--conf-file=" + conf, "--no-resolv", "--no-hosts",
       "--listen-address=" + address_, "--bind-interfaces", "--port=53", "--user=root",
       "--pid-file=", "--log-facility=-", "--local-ttl=1", "--local=/bench.test/"},
      dir_.File("dnsmasq-" + std::to_string(++starts_) + ".log"));
  if (!p.ok()) throw std::runtime_error("dnsmasq: " + p.status().ToString());
  process_ = std::move(*p);
  // Ready once it logs that it has read its records (it answers from then on).
  const bool up = testing::WaitFor(
      [&] {
        return !process_->Running() || process_->Log().find("cleared cache") != std::string::npos;
      },
      std::chrono::seconds(10));
  if (!up || !process_->Running()) throw std::runtime_error("dnsmasq: " + process_->Log());
}

PromPeer::PromPeer(const std::string& scrape_configs, const std::string& nameserver) {
  const std::string config = dir_.File("prometheus.yml");
  testing::WriteFile(config,
                     "global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n"
                     "scrape_configs:\n" +
                         scrape_configs);
  port_ = testing::FreePort();
  std::string cmd = "exec prometheus --config.file=" + config +
                    " --storage.tsdb.path=" + dir_.File("data") +
                    " --web.listen-address=127.0.0.1:" + std::to_string(port_);
  std::vector<std::string> argv = {"sh", "-c", cmd};
  if (!nameserver.empty()) {
    const std::string resolv = dir_.File("resolv.conf");
    testing::WriteFile(resolv, "nameserver " + nameserver + "\noptions timeout:2 attempts:2\n");
    // A private mount namespace: the bind mount is seen by Prometheus alone.
    argv = {"unshare", "-m", "sh", "-c", "mount --bind " + resolv + " /etc/resolv.conf && " + cmd};
  }
  auto p = testing::Process::Start(argv, dir_.File("prometheus.log"));
  if (!p.ok()) throw std::runtime_error("prometheus: " + p.status().ToString());
  process_ = std::move(*p);
  const bool ready = testing::WaitFor(
      [&] { return !process_->Running() || HttpGet(port_, "/-/ready", 500).has_value(); },
      std::chrono::seconds(30));
  if (!ready || !process_->Running()) throw std::runtime_error("prometheus: " + LogTail());
}

PromPeer::~PromPeer() {
  process_->Signal(SIGTERM);
  if (process_->Wait(std::chrono::seconds(10)) < 0) process_->Kill();
}

std::string PromPeer::Metrics() const { return HttpGet(port_, "/metrics").value_or(""); }

std::optional<std::set<std::string>> PromPeer::ActiveInstances() const {
  auto body = HttpGet(port_, "/api/v1/targets?state=active", 10000);
  if (!body) return std::nullopt;
  auto j = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("data")) return std::nullopt;
  std::set<std::string> out;
  for (const auto& t : j["data"]["activeTargets"]) {
    out.insert(t["labels"].value("instance", std::string()));
  }
  return out;
}

std::string PromPeer::LogTail() const {
  const std::string log = process_->Log();
  return log.size() > 3000 ? log.substr(log.size() - 3000) : log;
}

}  // namespace registrar::bench
