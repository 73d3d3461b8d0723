// Test support: a real etcd (Debian etcd-server) on a free loopback port.
//
// Start() picks free client/peer ports on 127.0.0.1, a temp data dir, and
// waits until `etcdctl endpoint health` succeeds. With tls, it generates a CA,
// a server certificate for 127.0.0.1/localhost and a client certificate with
// openssl, and serves https (client_cert_auth additionally requires the
// client certificate). Restart() keeps the port and the data dir.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace registrar::testing {

class EtcdServer final {
 public:
  struct Options {
    bool tls = false;
    bool client_cert_auth = false;
    std::vector<std::string> extra_args;
  };

  explicit EtcdServer(Options options);
  EtcdServer() : EtcdServer(Options{}) {}
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  absl::Status Start();
  void Stop();    // SIGTERM, wait
  void Kill();    // SIGKILL
  void Pause();   // SIGSTOP: connections stay open, nothing answers
  void Resume();  // SIGCONT
  absl::Status Restart();
  bool Running() const;

  std::string endpoint() const;  // "127.0.0.1:PORT"
  std::string url() const;       // "http(s)://127.0.0.1:PORT"
  int port() const { return client_port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string ca_file() const { return dir_.File("ca.pem"); }
  std::string cert_file() const { return dir_.File("client.pem"); }
  std::string key_file() const { return dir_.File("client-key.pem"); }
  std::string log() const;

  // Runs etcdctl (v3 API) against this server; returns its stdout.
  std::string EtcdCtl(const std::vector<std::string>& args, int* exit_code = nullptr) const;

 private:
  absl::Status Launch();
  absl::Status WaitHealthy();
  absl::Status MakeCertificates();

  const Options options_;
  TempDir dir_;
  std::string data_dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace registrar::testing
