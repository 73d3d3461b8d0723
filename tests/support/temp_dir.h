// Test support: a temporary directory removed on destruction.
#pragma once

#include <string>

namespace registrar::testing {

class TempDir final {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name (not created).
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;  // constant after construction
};

// Writes `contents` to `path` (truncating); throws on failure (tests only).
void WriteFile(const std::string& path, const std::string& contents);
// Reads a whole file; empty when missing.
std::string ReadFile(const std::string& path);

}  // namespace registrar::testing
