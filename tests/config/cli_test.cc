// The command line: subcommands, exit codes, and flags > env > file.
#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <sstream>

#include "config/cli.h"
#include "tests/support/temp_dir.h"

namespace registrar::config {
namespace {

const VersionInfo kVersion{"1.2.3", "abc1234"};

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

struct Parsed {
  Command command;
  std::string out;
  std::string err;
};

Parsed Parse(std::vector<const char*> args, const CliHooks& hooks = {}) {
  args.insert(args.begin(), "etcd-registrar");
  std::ostringstream out, err;
  Parsed p;
  p.command =
      ParseCommandLine(static_cast<int>(args.size()), args.data(), kVersion, out, err, hooks);
  p.out = out.str();
  p.err = err.str();
  return p;
}

TEST(CommandLine, RunsWithAConfigFile) {
  Parsed p = Parse({"--config", "/etc/registrar.yaml"});
  EXPECT_EQ(p.command.kind, CommandKind::kRun);
  EXPECT_EQ(p.command.config_path, "/etc/registrar.yaml");
  EXPECT_FALSE(p.command.overrides.listen.has_value());
  EXPECT_FALSE(p.command.overrides.dry_run.has_value());
}

TEST(CommandLine, RunWithoutAConfigIsAUsageError) {
  Parsed p = Parse({});
  EXPECT_EQ(p.command.kind, CommandKind::kExit);
  EXPECT_EQ(p.command.exit_code, kExitUsage);
  EXPECT_EQ(p.err,
            "etcd-registrar: a config file is required: --config FILE (or REGISTRAR_CONFIG)\n"
            "Run with --help for more information.\n");
}

TEST(CommandLine, TakesTheConfigFromTheEnvironment) {
  ScopedEnv env("REGISTRAR_CONFIG", "/from/env.yaml");
  EXPECT_EQ(Parse({}).command.config_path, "/from/env.yaml");
  EXPECT_EQ(Parse({"--config=/from/flag.yaml"}).command.config_path, "/from/flag.yaml");
}

TEST(CommandLine, UnknownFlagIsAUsageError) {
  Parsed p = Parse({"--config", "c.yaml", "--no-such-flag"});
  EXPECT_EQ(p.command.kind, CommandKind::kExit);
  EXPECT_EQ(p.command.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("--no-such-flag"), std::string::npos) << p.err;
}

TEST(CommandLine, HelpListsFlagsWithTheirEnvironmentVariables) {
  Parsed p = Parse({"--help"});
  EXPECT_EQ(p.command.kind, CommandKind::kExit);
  EXPECT_EQ(p.command.exit_code, kExitOk);
  for (const char* word :
       {"--config", "REGISTRAR_CONFIG", "--etcd-endpoints", "REGISTRAR_ETCD_ENDPOINTS",
        "--lease-ttl", "REGISTRAR_DRY_RUN", "check-config", "Exit codes"}) {
    EXPECT_NE(p.out.find(word), std::string::npos) << word << " missing from:\n" << p.out;
  }
}

TEST(CommandLine, VersionPrintsTheBuildVersion) {
  Parsed p = Parse({"--version"});
  EXPECT_EQ(p.command.kind, CommandKind::kExit);
  EXPECT_EQ(p.command.exit_code, kExitOk);
  EXPECT_EQ(p.out, "etcd-registrar 1.2.3 (revision abc1234)\n");
}

TEST(CommandLine, FlagsBeatEnvironmentVariables) {
  ScopedEnv ttl("REGISTRAR_LEASE_TTL", "20s");
  ScopedEnv level("REGISTRAR_LOG_LEVEL", "warn");
  ScopedEnv endpoints("REGISTRAR_ETCD_ENDPOINTS", "10.0.0.1:2379,10.0.0.2:2379");
  Parsed p = Parse({"-c", "c.yaml", "--lease-ttl", "30s", "--listen=:1234"});
  ASSERT_EQ(p.command.kind, CommandKind::kRun) << p.err;
  const Overrides& o = p.command.overrides;
  ASSERT_TRUE(o.lease_ttl && o.log_level && o.etcd_endpoints && o.listen);
  EXPECT_EQ(o.lease_ttl->value, "30s");
  EXPECT_EQ(o.lease_ttl->source, "--lease-ttl");
  EXPECT_EQ(o.listen->value, ":1234");
  EXPECT_EQ(o.listen->source, "--listen");
  EXPECT_EQ(o.log_level->value, "warn");
  EXPECT_EQ(o.log_level->source, "REGISTRAR_LOG_LEVEL");
  EXPECT_EQ(o.etcd_endpoints->value, "10.0.0.1:2379,10.0.0.2:2379");
  EXPECT_FALSE(o.prefix.has_value());
}

TEST(CommandLine, DryRunFromFlagOrEnvironment) {
  EXPECT_EQ(Parse({"-c", "c.yaml", "--dry-run"}).command.overrides.dry_run, true);
  {
    ScopedEnv env("REGISTRAR_DRY_RUN", "true");
    EXPECT_EQ(Parse({"-c", "c.yaml"}).command.overrides.dry_run, true);
  }
  {
    ScopedEnv env("REGISTRAR_DRY_RUN", "false");
    EXPECT_EQ(Parse({"-c", "c.yaml"}).command.overrides.dry_run, false);
  }
}

TEST(CommandLine, OverridesWinOverTheFileAndEnvOverTheFile) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("c.yaml"),
                     "etcd: {endpoints: [\"a:1\"]}\nregistration: {leaseTTL: 5s, prefix: /f/}\n"
                     "log: {level: info}\n");
  ScopedEnv env_ttl("REGISTRAR_LEASE_TTL", "20s");
  ScopedEnv env_prefix("REGISTRAR_PREFIX", "/env/");
  Parsed p = Parse({"check-config", dir.File("c.yaml").c_str(), "--lease-ttl", "30s"});
  ASSERT_EQ(p.command.kind, CommandKind::kCheckConfig) << p.err;
  absl::StatusOr<Config> config = LoadConfig(p.command.config_path, p.command.overrides);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->registration.lease_ttl, std::chrono::seconds(30));  // flag > env > file
  EXPECT_EQ(config->registration.prefix, "/env/");                      // env > file
  EXPECT_EQ(config->log.level, "info");                                 // file
}

TEST(CommandLine, CheckConfigTakesAFileOrFallsBackToConfig) {
  Parsed p = Parse({"check-config", "/a.yaml"});
  EXPECT_EQ(p.command.kind, CommandKind::kCheckConfig);
  EXPECT_EQ(p.command.config_path, "/a.yaml");
  p = Parse({"--config", "/b.yaml", "check-config"});
  EXPECT_EQ(p.command.kind, CommandKind::kCheckConfig);
  EXPECT_EQ(p.command.config_path, "/b.yaml");
  p = Parse({"check-config"});
  EXPECT_EQ(p.command.kind, CommandKind::kExit);
  EXPECT_EQ(p.command.exit_code, kExitUsage);
  EXPECT_NE(p.err.find("check-config FILE"), std::string::npos) << p.err;
}

TEST(CommandLine, DiscoverSubcommandExistsOnlyWithItsHook) {
  EXPECT_EQ(Parse({"discover"}).command.exit_code, kExitUsage);
  std::string prefix;
  CliHooks hooks;
  hooks.add_discover_options = [&](CLI::App& app) { app.add_option("--prefix", prefix); };
  Parsed p = Parse({"discover", "--prefix", "/services/orders/"}, hooks);
  EXPECT_EQ(p.command.kind, CommandKind::kDiscover) << p.err;
  EXPECT_EQ(prefix, "/services/orders/");
}

}  // namespace
}  // namespace registrar::config
