// Test helper: certificates made in the test with OpenSSL's API — a CA and
// leaves it signs, with any validity window (also already expired) and any
// names, written as PEM files.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"

namespace registrar::probes::testing {

struct LeafSpec {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1"};
  Duration not_before = -std::chrono::hours(1);  // relative to now
  Duration not_after = std::chrono::hours(24 * 30);
};

class TestCa final {
 public:
  // A fresh CA key and self-signed certificate ("CN=<name>").
  explicit TestCa(const std::string& name = "registrar test CA");
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  void WriteCert(const std::string& path) const;
  // A leaf signed by this CA, written to `cert_path` and `key_path`.
  void Issue(const LeafSpec& spec, const std::string& cert_path, const std::string& key_path) const;

 private:
  void* key_;   // EVP_PKEY*
  void* cert_;  // X509*
};

// A file's whole content.
std::string ReadAll(const std::string& path);

}  // namespace registrar::probes::testing
