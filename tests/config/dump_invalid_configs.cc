// Writes every invalid config of the validation cases to DIR/NAME.yaml, with
// the errors the binary must report in DIR/NAME.errors, for checks that run
// them through other validators (the Helm chart's schema).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/config/validation_cases.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: dump_invalid_configs DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int written = 0;
  for (const auto& c : registrar::config::cases::ValidationCases()) {
    if (c.errors.empty()) continue;
    std::ofstream(dir / (std::string(c.name) + ".yaml")) << c.yaml;
    std::ofstream errors(dir / (std::string(c.name) + ".errors"));
    for (const std::string& e : c.errors) errors << e << "\n";
    ++written;
  }
  std::cout << written << " invalid configs written to " << dir.string() << "\n";
  return written > 0 ? 0 : 1;
}
