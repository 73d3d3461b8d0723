// The validation cases of the config test suite, one table shared by the
// validation test (exact errors) and by the chart-schema parity check
// (dump_invalid_configs writes the invalid ones out as files).
#pragma once

#include <string>
#include <vector>

namespace registrar::config::cases {

struct ValidationCase {
  const char* name;
  std::string yaml;                 // a config.yaml
  std::vector<std::string> errors;  // exactly these, in order; empty = valid
};

const std::vector<ValidationCase>& ValidationCases();

}  // namespace registrar::config::cases
