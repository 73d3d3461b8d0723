// Benchmark support: reading counters out of the Prometheus text format.
#pragma once

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace registrar::bench {

// Sums the samples of `family` whose labels contain every string in `with`.
inline double SumSamples(const std::string& text, const std::string& family,
                         const std::vector<std::string>& with = {}) {
  double total = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(family, 0) != 0) continue;
    const char next = line.size() > family.size() ? line[family.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    bool match = true;
    for (const auto& w : with) match = match && line.find(w) != std::string::npos;
    if (!match) continue;
    total += std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
  }
  return total;
}

}  // namespace registrar::bench
