#include "tests/support/etcd_cluster.h"

#include <signal.h>

#include <nlohmann/json.hpp>

#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

std::string PeerUrl(int port) { return "http://127.0.0.1:" + std::to_string(port); }

}  // namespace

EtcdCluster::EtcdCluster(int size) : members_(static_cast<size_t>(size)) {
  for (int i = 0; i < size; ++i) {
    members_[i].name = "m" + std::to_string(i);
    members_[i].data_dir = dir_.File(members_[i].name);
  }
}

EtcdCluster::~EtcdCluster() {
  for (Member& m : members_) {
    if (m.process) m.process->Kill();
  }
}

std::string EtcdCluster::endpoint(int member) const {
  return "127.0.0.1:" + std::to_string(members_[member].client_port);
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(endpoint(i));
  return out;
}

int EtcdCluster::MemberOf(const std::string& ep) const {
  for (int i = 0; i < size(); ++i) {
    if (ep == endpoint(i) || ep == "http://" + endpoint(i)) return i;
  }
  return -1;
}

std::string EtcdCluster::InitialCluster() const {
  std::string out;
  for (const Member& m : members_) {
    if (!out.empty()) out += ",";
    out += m.name + "=" + PeerUrl(m.peer_port);
  }
  return out;
}

std::string EtcdCluster::log(int member) const {
  return members_[member].process ? members_[member].process->Log() : "";
}

bool EtcdCluster::Running(int member) const {
  const Member& m = members_[member];
  return m.process && m.process->Running();
}

absl::Status EtcdCluster::Start() {
  for (Member& m : members_) {
    m.client_port = FreePort();
    m.peer_port = FreePort();
  }
  for (int i = 0; i < size(); ++i) {
    if (auto st = Launch(i); !st.ok()) return st;
  }
  return WaitHealthy();
}

absl::Status EtcdCluster::Launch(int member) {
  Member& m = members_[member];
  const std::string client = "http://" + endpoint(member);
  // Short heartbeat / election timeouts: a killed leader is replaced within
  // about a second, and tests of failover do not wait on etcd's defaults.
  std::vector<std::string> argv = {
      "etcd",
      "--name=" + m.name,
      "--data-dir=" + m.data_dir,
      "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client,
      "--listen-peer-urls=" + PeerUrl(m.peer_port),
      "--initial-advertise-peer-urls=" + PeerUrl(m.peer_port),
      "--initial-cluster=" + InitialCluster(),
      "--initial-cluster-token=registrar-test",
      std::string("--initial-cluster-state=") + (m.started_once ? "existing" : "new"),
      "--heartbeat-interval=100",
      "--election-timeout=1000",
      "--log-level=warn",
      "--logger=zap"};
  auto proc = Process::Start(argv, dir_.File(m.name + ".log"));
  if (!proc.ok()) return proc.status();
  m.process = std::move(*proc);
  m.paused = false;
  m.down = false;
  m.started_once = true;
  return absl::OkStatus();
}

bool EtcdCluster::MemberHealthy(int member) const {
  int code = 0;
  EtcdCtl(member, {"endpoint", "health", "--command-timeout=1s"}, &code);
  return code == 0;
}

absl::Status EtcdCluster::WaitHealthy(Duration timeout) const {
  std::string exited;
  const bool healthy = WaitFor(
      [&] {
        for (int i = 0; i < size(); ++i) {
          const Member& m = members_[i];
          if (!m.process || m.down) continue;
          if (!m.process->Running()) {
            exited = m.name;
            return true;
          }
          if (m.paused) continue;
          if (!MemberHealthy(i)) return false;
        }
        return true;
      },
      timeout);
  if (!exited.empty()) {
    for (int i = 0; i < size(); ++i) {
      if (members_[i].name == exited) {
        return absl::InternalError("etcd member " + exited + " exited: " + log(i));
      }
    }
  }
  if (!healthy) return absl::DeadlineExceededError("etcd cluster not healthy in time");
  if (auto leader = Leader(timeout); !leader.ok()) return leader.status();
  return absl::OkStatus();
}

absl::StatusOr<int> EtcdCluster::Leader(Duration timeout) const {
  int leader = -1;
  WaitFor(
      [&] {
        for (int i = 0; i < size(); ++i) {
          if (!Running(i) || members_[i].paused) continue;
          int code = 0;
          const std::string out =
              EtcdCtl(i, {"endpoint", "status", "-w", "json", "--command-timeout=1s"}, &code);
          if (code != 0) continue;
          const nlohmann::json status = nlohmann::json::parse(out, nullptr, false);
          if (!status.is_array() || status.empty()) continue;
          const nlohmann::json& s = status[0]["Status"];
          const uint64_t leader_id = s.value("leader", uint64_t{0});
          if (leader_id == 0) continue;
          if (s["header"].value("member_id", uint64_t{0}) == leader_id) {
            leader = i;
            return true;
          }
        }
        return false;
      },
      timeout);
  if (leader < 0) return absl::UnavailableError("no etcd member reports itself as leader");
  return leader;
}

void EtcdCluster::Kill(int member) {
  Member& m = members_[member];
  if (m.process) m.process->Kill();
  m.paused = false;
  m.down = true;
}

void EtcdCluster::Pause(int member) {
  Member& m = members_[member];
  if (m.process) m.process->Signal(SIGSTOP);
  m.paused = true;
}

void EtcdCluster::Resume(int member) {
  Member& m = members_[member];
  if (m.process) m.process->Signal(SIGCONT);
  m.paused = false;
}

void EtcdCluster::Stop(int member) {
  Member& m = members_[member];
  if (!m.process) return;
  if (m.paused) Resume(member);
  m.process->Signal(SIGTERM);
  if (m.process->Wait(std::chrono::seconds(10)) < 0) m.process->Kill();
  m.down = true;
}

absl::Status EtcdCluster::Restart(int member) {
  if (Running(member)) Stop(member);
  if (auto st = Launch(member); !st.ok()) return st;
  const bool healthy =
      WaitFor([&] { return !Running(member) || MemberHealthy(member); }, std::chrono::seconds(60));
  if (!Running(member)) {
    return absl::InternalError("etcd member " + members_[member].name +
                               " exited on restart: " + log(member));
  }
  if (!healthy) return absl::DeadlineExceededError("restarted etcd member not healthy in time");
  return absl::OkStatus();
}

std::string EtcdCluster::EtcdCtl(int member, const std::vector<std::string>& args,
                                 int* exit_code) const {
  std::vector<std::string> argv = {"etcdctl", "--endpoints=http://" + endpoint(member),
                                   "--dial-timeout=2s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, exit_code, std::chrono::seconds(30), {"ETCDCTL_API=3"});
}

}  // namespace registrar::testing
