// The etcd-registrar binary against a real etcd: configuration in practice.
// Start with a config, change it on disk and by SIGHUP (add, remove, change
// targets), reject an invalid edit while the keys stay, follow a ConfigMap
// style symlink swap, check-config exit codes, flags and env over the file.
#include <gtest/gtest.h>
#include <httplib.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "nlohmann/json.hpp"
#include "tests/support/etcd_server.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

using std::chrono::seconds;

constexpr char kBinary[] = REGISTRAR_BINARY;

// Fast probes so that health settles in well under a second.
std::string ConfigYaml(const std::string& etcd, int admin_port,
                       const std::vector<std::string>& endpoints,
                       const std::string& probe = "{httpGet: {path: /}}",
                       const std::string& prefix = "/e2e/") {
  std::string list;
  for (const std::string& e : endpoints) list += (list.empty() ? "\"" : ", \"") + e + "\"";
  return "etcd:\n  endpoints: [\"" + etcd + "\"]\n" + "registration:\n  prefix: " + prefix +
         "\n  leaseTTL: 5s\n" + "server:\n  listen: 127.0.0.1:" + std::to_string(admin_port) +
         "\n" + "defaults: {periodSeconds: 0.2, timeoutSeconds: 0.1, failureThreshold: 1}\n" +
         "services:\n  - name: web\n    probe: " + probe + "\n    endpoints: [" + list + "]\n";
}

class ConfigE2E : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(etcd_.Start().ok()); }

  // Keys under `prefix`.
  std::set<std::string> Keys(const std::string& prefix = "/e2e/") {
    std::istringstream out(etcd_.EtcdCtl({"get", "--prefix", prefix, "--keys-only"}));
    std::set<std::string> keys;
    for (std::string line; std::getline(out, line);) {
      if (!line.empty()) keys.insert(line);
    }
    return keys;
  }
  bool HasKeys(const std::set<std::string>& want, const std::string& prefix = "/e2e/") {
    return Keys(prefix) == want;
  }
  // The key's mod_revision (0 if absent): unchanged means no flap.
  int64_t ModRevision(const std::string& key) {
    auto j = nlohmann::json::parse(etcd_.EtcdCtl({"get", key, "-w", "json"}), nullptr, false);
    if (!j.is_object() || !j.contains("kvs")) return 0;
    return j["kvs"][0].value("mod_revision", int64_t{0});
  }
  std::string Metrics() {
    httplib::Client client("127.0.0.1", admin_port_);
    auto res = client.Get("/metrics");
    return res && res->status == 200 ? res->body : "";
  }
  void StartRegistrar(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), kBinary);
    auto proc = Process::Start(args, "", env);
    ASSERT_TRUE(proc.ok()) << proc.status();
    registrar_ = std::move(*proc);
  }
  std::string Key(const HttpBackend& b, const std::string& prefix = "/e2e/") {
    return prefix + "web/" + b.address();
  }

  EtcdServer etcd_;
  TempDir dir_;
  int admin_port_ = FreePort();
  std::unique_ptr<Process> registrar_;
};

TEST_F(ConfigE2E, AnEditOnDiskAddsAndRemovesTargetsWithoutFlappingTheOthers) {
  HttpBackend a, b, c;
  std::string config = dir_.File("config.yaml");
  WriteFile(config, ConfigYaml(etcd_.endpoint(), admin_port_, {a.address(), b.address()}));
  StartRegistrar({"--config", config});
  ASSERT_TRUE(WaitFor([&] { return HasKeys({Key(a), Key(b)}); })) << registrar_->Log();
  const int64_t a_revision = ModRevision(Key(a));

  WriteFile(config, ConfigYaml(etcd_.endpoint(), admin_port_, {a.address(), c.address()}));
  EXPECT_TRUE(WaitFor([&] { return HasKeys({Key(a), Key(c)}); })) << registrar_->Log();
  EXPECT_EQ(ModRevision(Key(a)), a_revision) << "the unchanged target's key was rewritten";
  EXPECT_TRUE(registrar_->Running());
}

TEST_F(ConfigE2E, SighupAppliesAChangedProbe) {
  HttpBackend a;
  a.SetStatus(503);
  std::string config = dir_.File("config.yaml");
  WriteFile(config, ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()}));
  StartRegistrar({"--config", config});
  ASSERT_TRUE(WaitFor([&] { return a.hits() >= 3; })) << registrar_->Log();
  EXPECT_TRUE(Keys().empty());

  WriteFile(config, ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()},
                               "{httpGet: {path: /, expectedStatuses: [503]}}"));
  registrar_->Signal(SIGHUP);
  EXPECT_TRUE(WaitFor([&] { return HasKeys({Key(a)}); })) << registrar_->Log();
  EXPECT_NE(registrar_->Log().find("SIGHUP"), std::string::npos) << registrar_->Log();
}

TEST_F(ConfigE2E, AnInvalidEditIsRejectedCountedAndTheKeysStay) {
  HttpBackend a;
  std::string config = dir_.File("config.yaml");
  WriteFile(config, ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()}));
  StartRegistrar({"--config", config});
  ASSERT_TRUE(WaitFor([&] { return HasKeys({Key(a)}); })) << registrar_->Log();
  const int64_t revision = ModRevision(Key(a));

  WriteFile(config,
            ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()}, "{httpGet: {port: abc}}"));
  EXPECT_TRUE(WaitFor([&] {
    return Metrics().find("registrar_config_reloads_total{result=\"failure\"} 1") !=
           std::string::npos;
  })) << Metrics();
  EXPECT_NE(registrar_->Log().find("services[0].probe.httpGet.port: expected an integer 1-65535"),
            std::string::npos)
      << registrar_->Log();
  registrar_->Signal(SIGHUP);  // a second rejected reload, also counted
  EXPECT_TRUE(WaitFor([&] {
    return Metrics().find("registrar_config_reloads_total{result=\"failure\"} 2") !=
           std::string::npos;
  })) << Metrics();
  EXPECT_TRUE(HasKeys({Key(a)}));
  EXPECT_EQ(ModRevision(Key(a)), revision);
  EXPECT_TRUE(registrar_->Running());
}

// An edit that yaml-cpp's document loop never finished reading (a flow
// entry after the document): the reload is refused at once and the daemon
// keeps serving.
TEST_F(ConfigE2E, AnEditYamlCppCouldNotFinishReadingIsRefusedAndTheDaemonAnswers) {
  HttpBackend a;
  std::string config = dir_.File("config.yaml");
  const std::string good = ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()});
  WriteFile(config, good);
  StartRegistrar({"--config", config});
  ASSERT_TRUE(WaitFor([&] { return HasKeys({Key(a)}); })) << registrar_->Log();

  WriteFile(config, "{services: []}\n,\n");
  EXPECT_TRUE(WaitFor([&] {
    return Metrics().find("registrar_config_reloads_total{result=\"failure\"} 1") !=
           std::string::npos;
  })) << registrar_->Log();
  EXPECT_NE(registrar_->Log().find("invalid YAML: unexpected ','"), std::string::npos)
      << registrar_->Log();
  EXPECT_TRUE(HasKeys({Key(a)}));
  EXPECT_TRUE(registrar_->Running());
}

// kubelet's ConfigMap volume: config.yaml -> ..data/config.yaml, ..data ->
// ..<timestamp>/; an update renames a new ..data symlink over the old one.
TEST_F(ConfigE2E, AConfigMapStyleSymlinkSwapIsPickedUp) {
  namespace fs = std::filesystem;
  HttpBackend a, b;
  fs::create_directory(dir_.File("..v1"));
  WriteFile(dir_.File("..v1/config.yaml"),
            ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()}));
  fs::create_directory_symlink("..v1", dir_.File("..data"));
  fs::create_symlink("..data/config.yaml", dir_.File("config.yaml"));
  StartRegistrar({"--config", dir_.File("config.yaml")});
  ASSERT_TRUE(WaitFor([&] { return HasKeys({Key(a)}); })) << registrar_->Log();

  fs::create_directory(dir_.File("..v2"));
  WriteFile(dir_.File("..v2/config.yaml"),
            ConfigYaml(etcd_.endpoint(), admin_port_, {a.address(), b.address()}));
  fs::create_directory_symlink("..v2", dir_.File("..data_tmp"));
  ASSERT_EQ(std::rename(dir_.File("..data_tmp").c_str(), dir_.File("..data").c_str()), 0);
  fs::remove_all(dir_.File("..v1"));
  EXPECT_TRUE(WaitFor([&] { return HasKeys({Key(a), Key(b)}); })) << registrar_->Log();
}

TEST_F(ConfigE2E, FlagsBeatEnvironmentWhichBeatsTheFile) {
  HttpBackend a;
  std::string config = dir_.File("config.yaml");
  WriteFile(config, ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()}));
  StartRegistrar({"--config", config, "--prefix", "/from-flag/"},
                 {"REGISTRAR_PREFIX=/from-env/", "REGISTRAR_LEASE_TTL=7s"});
  ASSERT_TRUE(WaitFor([&] { return HasKeys({Key(a, "/from-flag/")}, "/from-flag/"); }))
      << registrar_->Log();
  EXPECT_TRUE(Keys("/from-env/").empty());
  EXPECT_TRUE(Keys("/e2e/").empty());
  // The lease carries the TTL from the environment (the file says 5s).
  std::string leases = etcd_.EtcdCtl({"lease", "list"});
  std::istringstream in(leases);
  std::string line, lease_id;
  while (std::getline(in, line)) {
    if (!line.empty() && line.find("found") == std::string::npos) lease_id = line;
  }
  ASSERT_FALSE(lease_id.empty()) << leases;
  EXPECT_NE(etcd_.EtcdCtl({"lease", "timetolive", lease_id}).find("granted with TTL(7s)"),
            std::string::npos);
}

TEST_F(ConfigE2E, SigtermRemovesTheKeysAndExitsZero) {
  HttpBackend a;
  std::string config = dir_.File("config.yaml");
  WriteFile(config, ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()}));
  StartRegistrar({"--config", config});
  ASSERT_TRUE(WaitFor([&] { return HasKeys({Key(a)}); })) << registrar_->Log();
  registrar_->Signal(SIGTERM);
  EXPECT_EQ(registrar_->Wait(seconds(10)), 0) << registrar_->Log();
  EXPECT_TRUE(Keys().empty());
}

// Runs the binary to completion: (exit code, stdout + stderr).
std::pair<int, std::string> RunBinary(std::vector<std::string> args,
                                      std::vector<std::string> env = {}) {
  args.insert(args.begin(), kBinary);
  auto proc = Process::Start(args, "", env);
  if (!proc.ok()) return {-1, ""};
  int code = (*proc)->Wait(seconds(10));
  return {code, (*proc)->Log()};
}

TEST_F(ConfigE2E, CheckConfigExitsZeroWithASummaryOrTwoWithEveryError) {
  HttpBackend a;
  std::string good = dir_.File("good.yaml");
  WriteFile(good, ConfigYaml(etcd_.endpoint(), admin_port_, {a.address()}));
  auto [code, out] = RunBinary({"check-config", good});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("services: 1, endpoints: 1"), std::string::npos) << out;

  std::string bad = dir_.File("bad.yaml");
  WriteFile(bad,
            "etcd: {endpoints: [\"127.0.0.1:2379\"]}\nregistration: {leaseTTL: 1s}\n"
            "services:\n  - name: web\n    probe: {httpGet: {port: abc}}\n"
            "    endpoints: [\"x\"]\n");
  std::tie(code, out) = RunBinary({"check-config", bad});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find(bad + ":2:26: registration.leaseTTL: expected at least 2s"), std::string::npos)
      << out;
  EXPECT_NE(out.find(bad + ":5:29: services[0].probe.httpGet.port: expected an integer 1-65535, "
                           "got the named port \"abc\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(bad + ":6:17: services[0].endpoints[0]"), std::string::npos) << out;
}

TEST_F(ConfigE2E, UsageAndConfigErrorsExitTwo) {
  EXPECT_EQ(RunBinary({}).first, 2);
  EXPECT_EQ(RunBinary({"--no-such-flag"}).first, 2);
  std::string config = dir_.File("config.yaml");
  WriteFile(config, ConfigYaml(etcd_.endpoint(), admin_port_, {"127.0.0.1:1"}));
  auto [code, out] = RunBinary({"--config", config, "--lease-ttl", "1s"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--lease-ttl: expected at least 2s"), std::string::npos) << out;
  std::tie(code, out) = RunBinary({"--config", config}, {"REGISTRAR_LOG_LEVEL=loud"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("REGISTRAR_LOG_LEVEL: expected trace, debug, info, warn or error"),
            std::string::npos)
      << out;
}

TEST_F(ConfigE2E, HelpAndVersionExitZero) {
  auto [code, out] = RunBinary({"--help"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("REGISTRAR_ETCD_ENDPOINTS"), std::string::npos) << out;
  std::tie(code, out) = RunBinary({"--version"});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.rfind("etcd-registrar ", 0), 0u) << out;
}

// An alias bomb: 300 uses of a 1 MiB scalar (300 MiB expanded from a 1 MiB
// file). check-config refuses it at the use that passes the budget, and its
// peak memory stays small (before the budget: exit 0 and 330 MB).
TEST(ConfigLimitsE2E, AliasBombIsRefusedWithBoundedMemory) {
  TempDir dir;
  const std::string path = dir.File("bomb.yaml");
  {
    std::ofstream out(path);
    out << "etcd: {endpoints: [\"127.0.0.1:2379\"]}\ndefaults: {tcpSocket: {}}\nservices:\n"
        << "  - name: s0\n    format: json\n    metadata: {a: &big \"" << std::string(1 << 20, 'x')
        << "\"}\n    endpoints: [\"127.0.0.1:1\"]\n";
    for (int i = 1; i < 300; ++i) {
      out << "  - name: s" << i << "\n    format: json\n    metadata: {a: *big}\n"
          << "    endpoints: [\"127.0.0.1:1\"]\n";
    }
  }
  const std::string err_path = dir.File("stderr");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen(err_path.c_str(), "w", stderr)) _exit(127);
    execl(kBinary, kBinary, "check-config", path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  ASSERT_EQ(wait4(pid, &status, 0, &usage), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream err(err_path);
  std::string first;
  std::getline(err, first);
  EXPECT_EQ(first, path +
                       ":6:19: services[63].metadata.a: the config expands to more than 64 MiB "
                       "(YAML aliases repeat their value at every use); stopped here");
  EXPECT_LT(usage.ru_maxrss, 200 * 1024) << "peak RSS in KiB";
}

}  // namespace
}  // namespace registrar::testing
