// The json log format: every line parses, whatever bytes a message carries.
#include "cmd/logging.h"

#include <grpc/support/log.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/log_fields.h"
#include "nlohmann/json.hpp"

namespace registrar {
namespace {

// What the logger wrote to stderr while `log` ran.
template <class F>
std::string CaptureStderr(F log) {
  char path[] = "/tmp/registrar-log-XXXXXX";
  const int fd = mkstemp(path);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  log();
  spdlog::default_logger()->flush();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path);
  return text.str();
}

// Each line of `out` parsed as JSON (discarded values where a line is not JSON).
std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> parsed;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    parsed.push_back(nlohmann::json::parse(line, nullptr, false));
  }
  return parsed;
}

TEST(JsonLogFormat, EveryLineParsesAndCarriesTheMessage) {
  SetUpLogging("info", "json");
  const std::string out = CaptureStderr([] {
    spdlog::info("quote \" backslash \\ newline \n tab \t bell \a z\xc3\xa9ro");
    spdlog::warn("key /services/a\xff/10.0.0.1:80 with \x89 bytes and a cut \xe2\x82");
  });
  const std::vector<nlohmann::json> lines = JsonLines(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  const nlohmann::json &a = lines[0], &b = lines[1];
  ASSERT_TRUE(a.is_object()) << out;
  ASSERT_TRUE(b.is_object()) << out;
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["msg"], "quote \" backslash \\ newline \n tab \t bell \a z\xc3\xa9ro");
  EXPECT_EQ(b["msg"],
            "key /services/a\xef\xbf\xbd/10.0.0.1:80 with \xef\xbf\xbd bytes and a cut "
            "\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(JsonLogFormat, LogFieldsBecomeMembersOnlyWhileTheyLive) {
  SetUpLogging("info", "json");
  const std::string out = CaptureStderr([] {
    {
      const LogFields fields("web", "web/10.0.0.5:80\"x");
      spdlog::info("probe web/10.0.0.5:80: healthy -> unhealthy");
    }
    spdlog::info("after");
  });
  const std::vector<nlohmann::json> lines = JsonLines(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  const nlohmann::json &a = lines[0], &b = lines[1];
  ASSERT_TRUE(a.is_object()) << out;
  ASSERT_TRUE(b.is_object()) << out;
  EXPECT_EQ(a["service"], "web");
  EXPECT_EQ(a["target"], "web/10.0.0.5:80\"x");
  EXPECT_EQ(a["msg"], "probe web/10.0.0.5:80: healthy -> unhealthy");
  EXPECT_FALSE(b.contains("service")) << out;
  EXPECT_FALSE(b.contains("target")) << out;
}

TEST(JsonLogFormat, GrpcsOwnLinesAreJsonToo) {
  gpr_log_verbosity_init();  // what grpc_init does: errors are logged
  SetUpLogging("info", "json");
  const std::string out = CaptureStderr([] { gpr_log(GPR_ERROR, "connect to %s failed", "a:1"); });
  const std::vector<nlohmann::json> lines = JsonLines(out);
  ASSERT_EQ(lines.size(), 1u) << out;
  ASSERT_TRUE(lines[0].is_object()) << out;
  EXPECT_EQ(lines[0]["level"], "error");
  EXPECT_NE(lines[0]["msg"].get<std::string>().find("grpc: connect to a:1 failed"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace registrar
