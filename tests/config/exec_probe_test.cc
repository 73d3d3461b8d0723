// exec probes in the config: off unless probes.allowExec, then parsed into
// the spec.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace registrar::config {
namespace {

constexpr char kHead[] =
    "etcd:\n"
    "  endpoints: [\"127.0.0.1:2379\"]\n";

std::string WithProbe(const std::string& probes_section, const std::string& probe) {
  return std::string(kHead) + probes_section +
         "services:\n"
         "  - name: db\n"
         "    probe: " +
         probe +
         "\n"
         "    endpoints: [\"127.0.0.1:5432\"]\n";
}

std::vector<std::string> Errors(const LoadResult& result) {
  std::vector<std::string> out;
  for (const ConfigError& e : result.errors) out.push_back(e.ToString());
  return out;
}

TEST(ExecProbeConfig, IsAnErrorUnlessAllowed) {
  LoadResult r =
      ParseConfig(WithProbe("", "{exec: {command: [pg_isready]}}"), "config.yaml", "/nonexistent");
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(Errors(r), std::vector<std::string>{
                           "config.yaml:5:19: services[0].probe.exec: exec probes are off: they "
                           "run commands as the registrar's user, so set probes.allowExec: true "
                           "to allow them"});
}

TEST(ExecProbeConfig, ParsesTheCommandWhenAllowed) {
  LoadResult r =
      ParseConfig(WithProbe("probes: {allowExec: true}\n",
                            "{exec: {command: [pg_isready, -h, db]}, timeoutSeconds: 2}"),
                  "config.yaml", "/nonexistent");
  ASSERT_TRUE(r.config.has_value()) << (Errors(r).empty() ? "" : Errors(r)[0]);
  const probes::ProbeSpec& spec = r.config->services.at(0).probe;
  EXPECT_EQ(spec.kind, probes::ProbeKind::kExec);
  EXPECT_EQ(spec.exec.command, (std::vector<std::string>{"pg_isready", "-h", "db"}));
  EXPECT_EQ(spec.timeout, std::chrono::seconds(2));
}

TEST(ExecProbeConfig, RejectsAnEmptyCommandAndTwoActions) {
  LoadResult empty = ParseConfig(WithProbe("probes: {allowExec: true}\n", "{exec: {command: []}}"),
                                 "config.yaml", "/nonexistent");
  EXPECT_EQ(Errors(empty),
            std::vector<std::string>{"config.yaml:6:29: services[0].probe.exec.command: expected "
                                     "a non-empty list (the command and its arguments)"});
  LoadResult two =
      ParseConfig(WithProbe("probes: {allowExec: true}\n", "{exec: {command: [x]}, tcpSocket: {}}"),
                  "config.yaml", "/nonexistent");
  EXPECT_EQ(two.errors.size(), 1u);
  EXPECT_FALSE(two.config.has_value());
}

}  // namespace
}  // namespace registrar::config
