// Benchmark support: command-line values.
#pragma once

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace registrar::bench {

// "100,1000,10000" → {100, 1000, 10000}.
inline std::vector<int> ParseIntList(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace registrar::bench
