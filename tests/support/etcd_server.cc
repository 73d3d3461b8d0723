#include "tests/support/etcd_server.h"

#include <signal.h>

#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

absl::Status Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  int code = 0;
  RunCommand(argv, &code);
  if (code != 0) return absl::InternalError("openssl " + args[0] + " failed");
  return absl::OkStatus();
}

}  // namespace

EtcdServer::EtcdServer(Options options) : options_(std::move(options)) {
  data_dir_ = dir_.File("data");
}

EtcdServer::~EtcdServer() { Kill(); }

std::string EtcdServer::endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }

std::string EtcdServer::url() const {
  return std::string(options_.tls ? "https://" : "http://") + endpoint();
}

std::string EtcdServer::log() const { return process_ ? process_->Log() : ""; }

bool EtcdServer::Running() const { return process_ && process_->Running(); }

absl::Status EtcdServer::MakeCertificates() {
  const std::string d = dir_.path();
  const std::string ext = d + "/san.ext";
  WriteFile(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  WriteFile(d + "/client.ext", "extendedKeyUsage=clientAuth\n");
  for (const auto& s : std::vector<std::vector<std::string>>{
           {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", d + "/ca-key.pem", "-out", d + "/ca.pem"},
           {"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
            d + "/server-key.pem", "-out", d + "/server.csr"},
           {"x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem", "-CAkey",
            d + "/ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out",
            d + "/server.pem"},
           {"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=registrar", "-keyout",
            d + "/client-key.pem", "-out", d + "/client.csr"},
           {"x509", "-req", "-in", d + "/client.csr", "-CA", d + "/ca.pem", "-CAkey",
            d + "/ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", d + "/client.ext",
            "-out", d + "/client.pem"}}) {
    if (auto st = Openssl(s); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status EtcdServer::Start() {
  client_port_ = FreePort();
  peer_port_ = FreePort();
  if (options_.tls) {
    if (auto st = MakeCertificates(); !st.ok()) return st;
  }
  return Launch();
}

absl::Status EtcdServer::Launch() {
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> argv = {"etcd",
                                   "--name=test",
                                   "--data-dir=" + data_dir_,
                                   "--listen-client-urls=" + url(),
                                   "--advertise-client-urls=" + url(),
                                   "--listen-peer-urls=" + peer,
                                   "--initial-advertise-peer-urls=" + peer,
                                   "--initial-cluster=test=" + peer,
                                   "--initial-cluster-state=new",
                                   "--log-level=warn",
                                   "--logger=zap"};
  if (options_.tls) {
    argv.push_back("--cert-file=" + dir_.File("server.pem"));
    argv.push_back("--key-file=" + dir_.File("server-key.pem"));
    argv.push_back("--trusted-ca-file=" + dir_.File("ca.pem"));
    if (options_.client_cert_auth) argv.push_back("--client-cert-auth");
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  auto proc = Process::Start(argv, dir_.File("etcd.log"));
  if (!proc.ok()) return proc.status();
  process_ = std::move(*proc);
  return WaitHealthy();
}

absl::Status EtcdServer::WaitHealthy() {
  const bool healthy = WaitFor(
      [&] {
        if (!process_->Running()) return true;
        int code = 0;
        EtcdCtl({"endpoint", "health", "--command-timeout=1s"}, &code);
        return code == 0;
      },
      std::chrono::seconds(30));
  if (!process_->Running()) {
    return absl::InternalError("etcd exited during start: " + process_->Log());
  }
  if (!healthy) return absl::DeadlineExceededError("etcd not healthy after 30s: " + log());
  return absl::OkStatus();
}

void EtcdServer::Stop() {
  if (!process_) return;
  process_->Signal(SIGTERM);
  if (process_->Wait(std::chrono::seconds(10)) < 0) process_->Kill();
}

void EtcdServer::Kill() {
  if (process_) process_->Kill();
}

void EtcdServer::Pause() {
  if (process_) process_->Signal(SIGSTOP);
}

void EtcdServer::Resume() {
  if (process_) process_->Signal(SIGCONT);
}

absl::Status EtcdServer::Restart() {
  Stop();
  return Launch();
}

std::string EtcdServer::EtcdCtl(const std::vector<std::string>& args, int* exit_code) const {
  std::vector<std::string> argv = {"etcdctl", "--endpoints=" + url(), "--dial-timeout=2s"};
  if (options_.tls) {
    argv.push_back("--cacert=" + ca_file());
    argv.push_back("--cert=" + cert_file());
    argv.push_back("--key=" + key_file());
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, exit_code, std::chrono::seconds(30), {"ETCDCTL_API=3"});
}

}  // namespace registrar::testing
