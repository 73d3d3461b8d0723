// The configs shipped in deploy/ stay valid as the schema evolves. Files that
// only exist where the config is deployed (mounted secrets, endpoints files)
// are allowed to be missing here; nothing else may be wrong.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config.h"

namespace registrar::config {
namespace {

std::vector<std::string> DeployConfigs() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::string(REGISTRAR_SOURCE_DIR) + "/deploy")) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && (name == "config.yaml" || name == "config.example.yaml")) {
      files.push_back(entry.path().string());
    }
  }
  return files;
}

TEST(DeployConfigs, AreValidApartFromFilesMountedAtDeployTime) {
  std::vector<std::string> files = DeployConfigs();
  ASSERT_FALSE(files.empty()) << "no config files under deploy/";
  for (const std::string& file : files) {
    LoadResult result = LoadConfigDetailed(file);
    for (const ConfigError& e : result.errors) {
      EXPECT_EQ(e.message.rfind("cannot read \"/", 0), 0u) << e.ToString();
    }
  }
}

}  // namespace
}  // namespace registrar::config
