// Every validation error: its exact message, file, line and column.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "tests/config/validation_cases.h"

namespace registrar::config {
namespace cases {
// A case is shown by its name (found by argument-dependent lookup).
void PrintTo(const ValidationCase& c, std::ostream* os) { *os << c.name; }
}  // namespace cases

namespace {

std::vector<std::string> Errors(const std::string& yaml) {
  LoadResult result = ParseConfig(yaml, "config.yaml", "/nonexistent");
  std::vector<std::string> out;
  for (const ConfigError& e : result.errors) out.push_back(e.ToString());
  EXPECT_EQ(result.config.has_value(), out.empty());
  return out;
}

class ValidationTest : public ::testing::TestWithParam<cases::ValidationCase> {};

TEST_P(ValidationTest, ReportsExactlyTheseErrors) {
  EXPECT_EQ(Errors(GetParam().yaml), GetParam().errors) << GetParam().yaml;
}

INSTANTIATE_TEST_SUITE_P(Config, ValidationTest, ::testing::ValuesIn(cases::ValidationCases()),
                         [](const ::testing::TestParamInfo<cases::ValidationCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace registrar::config
