// The json log format: every line parses, whatever bytes a message carries.
#include "cmd/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

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

TEST(JsonLogFormat, EveryLineParsesAndCarriesTheMessage) {
  SetUpLogging("info", "json");
  const std::string out = CaptureStderr([] {
    spdlog::info("quote \" backslash \\ newline \n tab \t bell \a z\xc3\xa9ro");
    spdlog::warn("key /services/a\xff/10.0.0.1:80 with \x89 bytes and a cut \xe2\x82");
  });
  std::istringstream lines(out);
  std::string first, second;
  ASSERT_TRUE(std::getline(lines, first)) << out;
  ASSERT_TRUE(std::getline(lines, second)) << out;
  const auto a = nlohmann::json::parse(first, nullptr, false);
  const auto b = nlohmann::json::parse(second, nullptr, false);
  ASSERT_FALSE(a.is_discarded()) << first;
  ASSERT_FALSE(b.is_discarded()) << second;
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["msg"], "quote \" backslash \\ newline \n tab \t bell \a z\xc3\xa9ro");
  EXPECT_EQ(b["msg"],
            "key /services/a\xef\xbf\xbd/10.0.0.1:80 with \xef\xbf\xbd bytes and a cut "
            "\xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace registrar
