#include "bench/probes/backends.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/ports.h"

namespace registrar::bench {
namespace {

bool CanConnect(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

bool WaitConnect(const std::string& host, int port) {
  for (int i = 0; i < 300; ++i) {
    if (CanConnect(host, port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// utime + stime of `pid` in seconds, and its RSS.
void ProcStat(int pid, double* cpu, double* rss_mb) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close_paren = s.rfind(')');
  if (close_paren == std::string::npos) return;
  std::istringstream fields(s.substr(close_paren + 2));
  std::string f;
  long long utime = 0, stime = 0, rss_pages = 0;
  for (int i = 3; fields >> f; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoll(f);
    if (i == 15) stime = std::stoll(f);
    if (i == 24) rss_pages = std::stoll(f);
  }
  double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (cpu) *cpu = static_cast<double>(utime + stime) / tick;
  if (rss_mb) *rss_mb = static_cast<double>(rss_pages * sysconf(_SC_PAGESIZE)) / (1 << 20);
}

}  // namespace

std::string Backends::Address(int i) {
  return "127." + std::to_string(1 + i / 62500) + "." + std::to_string(i / 250 % 250) + "." +
         std::to_string(i % 250 + 1);
}

std::string Backends::Url(int i) const {
  return "http://" + Address(i) + ":" + std::to_string(port_) + "/";
}

std::string Backends::BlackboxProbeUrl(int i) const {
  return "http://127.0.0.1:" + std::to_string(blackbox_port_) +
         "/probe?module=http_2xx&target=http%3A%2F%2F" + Address(i) + "%3A" +
         std::to_string(port_) + "%2F";
}

std::string Backends::BlackboxGrpcProbeUrl(int port) const {
  return "http://127.0.0.1:" + std::to_string(blackbox_port_) +
         "/probe?module=grpc&target=127.0.0.1%3A" + std::to_string(port);
}

double Backends::BlackboxCpuSeconds() const {
  double cpu = 0;
  if (blackbox_) ProcStat(blackbox_->pid(), &cpu, nullptr);
  return cpu;
}

double Backends::BlackboxRssMb() const {
  double rss = 0;
  if (blackbox_) ProcStat(blackbox_->pid(), nullptr, &rss);
  return rss;
}

absl::StatusOr<std::unique_ptr<Backends>> Backends::Start(int targets, bool blackbox,
                                                          int https_targets) {
  auto b = std::unique_ptr<Backends>(new Backends());
  b->port_ = registrar::testing::FreePort();
  const std::string& dir = b->dir_.path();
  if (https_targets > 0) {
    b->tls_port_ = registrar::testing::FreePort();
    int code = -1;
    registrar::testing::RunCommand(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost", "-keyout", b->KeyFile(), "-out", b->CertFile()},
        &code);
    if (code != 0) return absl::UnavailableError("openssl req failed");
  }
  // A worker holds every listening socket of its nginx plus its share of the
  // connections: one nginx (two workers) per kPerNginx addresses keeps each
  // under the 20k open-file limit even at 100k targets.
  for (int first = 0, k = 0; first < targets; first += kPerNginx, ++k) {
    int last = std::min(targets, first + kPerNginx);
    std::string sub = dir + "/n" + std::to_string(k);
    std::ostringstream conf;
    conf << "daemon off;\nuser root;\nworker_processes 2;\nworker_rlimit_nofile 19900;\n"
         << "pid " << sub << ".pid;\nerror_log " << sub << ".error.log warn;\n"
         << "events { worker_connections 19800; multi_accept on; }\n"
         << "http {\n  access_log off;\n  keepalive_timeout 600s;\n"
         << "  keepalive_requests 100000000;\n"
         << "  client_body_temp_path " << sub << ".body;\n"
         << "  server {\n";
    for (int i = first; i < last; ++i) {
      conf << "    listen " << Address(i) << ":" << b->port_ << ";\n";
      if (i < https_targets)
        conf << "    listen " << Address(i) << ":" << b->tls_port_ << " ssl;\n";
    }
    if (first < https_targets) {
      conf << "    ssl_certificate " << b->CertFile() << ";\n    ssl_certificate_key "
           << b->KeyFile() << ";\n    ssl_session_cache shared:tls:10m;\n";
    }
    conf << "    location / { return 200 \"ok\\n\"; }\n  }\n}\n";
    registrar::testing::WriteFile(sub + ".conf", conf.str());
    auto nginx = registrar::testing::Process::Start(
        {"nginx", "-p", dir, "-e", sub + ".error.log", "-c", sub + ".conf"});
    if (!nginx.ok()) return nginx.status();
    b->nginx_.push_back(std::move(*nginx));
    if (!WaitConnect(Address(last - 1), b->port_)) {
      return absl::UnavailableError("nginx did not start: " + b->nginx_.back()->Log() +
                                    registrar::testing::ReadFile(sub + ".error.log"));
    }
  }
  if (!blackbox) return b;

  b->blackbox_port_ = registrar::testing::FreePort();
  registrar::testing::WriteFile(b->dir_.File("blackbox.yml"),
                                "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n"
                                "    http:\n      preferred_ip_protocol: ip4\n"
                                "      ip_protocol_fallback: false\n"
                                "  grpc:\n    prober: grpc\n    timeout: 5s\n"
                                "    grpc:\n      preferred_ip_protocol: ip4\n"
                                "      ip_protocol_fallback: false\n");
  auto bb = registrar::testing::Process::Start(
      {"prometheus-blackbox-exporter", "--config.file=" + b->dir_.File("blackbox.yml"),
       "--web.listen-address=127.0.0.1:" + std::to_string(b->blackbox_port_), "--log.level=warn"});
  if (!bb.ok()) return bb.status();
  b->blackbox_ = std::move(*bb);
  if (!WaitConnect("127.0.0.1", b->blackbox_port_)) {
    return absl::UnavailableError("blackbox_exporter did not start: " + b->blackbox_->Log());
  }
  return b;
}

}  // namespace registrar::bench
