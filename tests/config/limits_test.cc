// Hostile configs stay bounded: aliases cannot expand a config past its
// budget, error text quotes only a prefix of a value, and a key etcd cannot
// take in one request is an error. Also: the key table's reload column is
// what ChangesNeedingRestart does.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config/keys.h"

namespace registrar::config {
namespace {

constexpr char kHead[] =
    "etcd:\n"
    "  endpoints: [\"127.0.0.1:2379\"]\n"
    "services:\n";

LoadResult Parse(const std::string& yaml) { return ParseConfig(yaml, "c.yaml", "/nonexistent"); }

TEST(ConfigLimits, AliasesCannotExpandPastTheBudget) {
  // 1 MiB used 100 times: 100 MiB expanded from a 1 MiB file.
  std::string yaml = std::string(kHead) +
                     "  - name: s\n"
                     "    format: json\n"
                     "    probe: {tcpSocket: {}}\n"
                     "    metadata: {a: &big \"" +
                     std::string(1 << 20, 'x') +
                     "\"}\n"
                     "    endpoints: [\"127.0.0.1:1\"]\n";
  for (int i = 0; i < 100; ++i) {
    yaml += "  - name: s" + std::to_string(i) +
            "\n    format: json\n    probe: {tcpSocket: {}}\n    metadata: {a: *big}\n"
            "    endpoints: [\"127.0.0.1:1\"]\n";
  }
  LoadResult r = Parse(yaml);
  ASSERT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  // Stopped at the 64th alias (each use counts 1 MiB); the mark is the anchor's.
  EXPECT_EQ(r.errors[0].ToString(),
            "c.yaml:7:19: services[63].metadata.a: the config expands to more than 64 MiB (YAML "
            "aliases repeat their value at every use); stopped here");
}

TEST(ConfigLimits, ErrorsQuoteOnlyAPrefixOfAValue) {
  std::string value(10 << 20, 'y');
  LoadResult r = Parse(std::string(kHead) + "  - name: s\n    probe: {tcpSocket: {}}\n" +
                       "    endpoints: [\"" + value + "\"]\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(),
            "c.yaml:6:17: services[0].endpoints[0]: expected host:port (IPv6 as [address]:port), "
            "got \"" +
                std::string(80, 'y') + "…\" (10485760 bytes)");
}

TEST(ConfigLimits, AHugeUnknownKeyGivesAShortError) {
  // An explicit key ("? …") may be longer than YAML's 1024 for a plain key.
  LoadResult r = Parse(std::string(kHead) + "? " + std::string(1 << 20, 'k') + "\n: 1\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_LT(r.errors[0].ToString().size(), 400u) << r.errors[0].ToString().substr(0, 400);
  EXPECT_NE(r.errors[0].ToString().find("unknown key"), std::string::npos);
}

TEST(ConfigLimits, AValueEtcdCannotTakeInOneRequestIsAnError) {
  std::string service =
      "  - name: s\n    format: json\n    probe: {tcpSocket: {}}\n    metadata: {a: \"" +
      std::string(2 << 20, 'm') + "\"}\n    endpoints: [\"127.0.0.1:1\"]\n";
  LoadResult r = Parse(std::string(kHead) + service);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(),
            "c.yaml:7:15: services[0].metadata: a key of this service takes 2097784 bytes to "
            "write, more than etcd accepts in one request (1572864 bytes, etcd.maxRequestBytes = "
            "etcd's --max-request-bytes)");
  // A larger limit (etcd started with a larger --max-request-bytes) accepts it.
  LoadResult raised = Parse(
      "etcd:\n  endpoints: [\"127.0.0.1:2379\"]\n"
      "  maxRequestBytes: 4194304\nservices:\n" +
      service);
  EXPECT_TRUE(raised.config.has_value()) << raised.errors[0].ToString();
}

// For each key of the sections that have no list above them, a config that
// sets it to its example differs from the base config in exactly that key:
// ChangesNeedingRestart names it iff the table says "restart".
TEST(KeyTable, ReloadColumnIsWhatChangesNeedingRestartDoes) {
  const std::string base = "etcd:\n  endpoints: [\"127.0.0.1:2379\"]\nservices: []\n";
  LoadResult before = Parse(base);
  ASSERT_TRUE(before.config.has_value());
  int checked = 0;
  for (const Key& k : AllKeys()) {
    bool scalar = k.child.empty() && k.type != KeyType::kPath;
    if (!scalar || (k.block != "etcd" && k.block != "registration" && k.block != "server" &&
                    k.block != "log" && k.block != "probes")) {
      continue;
    }
    std::string path = std::string(k.block) + "." + std::string(k.name);
    std::string yaml = base + std::string(k.block) + ":\n  " + std::string(k.name) + ": " +
                       std::string(k.example) + "\n";
    if (k.block == "etcd") {
      yaml = "etcd:\n  endpoints: [\"127.0.0.2:2379\"]\n  " + std::string(k.name) + ": " +
             std::string(k.example) + "\nservices: []\n";
      if (k.name == "endpoints") yaml = "etcd:\n  endpoints: " + std::string(k.example) + "\n";
    }
    if (k.name == "username") continue;  // needs passwordFile (a file)
    LoadResult after = Parse(yaml);
    ASSERT_TRUE(after.config.has_value()) << path << ": " << after.errors[0].ToString();
    std::vector<std::string> changed = ChangesNeedingRestart(*before.config, *after.config);
    if (k.block == "etcd" && k.name != "endpoints") {
      std::erase(changed, "etcd.endpoints");  // the base differs there too
    }
    bool named = std::find(changed.begin(), changed.end(), path) != changed.end();
    EXPECT_EQ(named, k.reload == Reload::kNeedsRestart) << path;
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(CheckConfigSummary, SaysWhereEachServicesKeysGo) {
  LoadResult r = Parse(std::string(kHead) +
                       "  - {name: web, probe: {tcpSocket: {}}, endpoints: [\"127.0.0.1:1\"]}\n"
                       "  - {name: db, format: skydns, dnsDomain: svc.example.com,\n"
                       "     probe: {tcpSocket: {}}, endpoints: [\"127.0.0.1:2\"]}\n");
  ASSERT_TRUE(r.config.has_value());
  std::string summary = Summary(*r.config);
  EXPECT_NE(summary.find("prefix /services/ (skydns: /skydns/)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("web: 1 endpoint, format plain, keys under /services/web/"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("db: 1 endpoint, format skydns, keys under /skydns/com/example/svc/db/"),
            std::string::npos)
      << summary;
}

// Issue 23: check-config prints, per service, every key it will write.
TEST(CheckConfigSummary, ListsEveryKeyOfEveryLayout) {
  LoadResult r =
      Parse(std::string(kHead) +
            "  - {name: web, format: [grpc-naming, kratos, go-zero],\n"
            "     probe: {tcpSocket: {}}, endpoints: [\"127.0.0.1:1\", \"127.0.0.1:2\"]}\n");
  ASSERT_TRUE(r.config.has_value());
  std::string summary = Summary(*r.config);
  EXPECT_NE(summary.find("format grpc-naming kratos go-zero, keys under /services/web/ "
                         "/microservices/web/ web/"),
            std::string::npos)
      << summary;
  for (const char* line : {"    grpc-naming: /services/web/127.0.0.1:1\n",
                           "    grpc-naming: /services/web/127.0.0.1:2\n",
                           "    kratos: /microservices/web/127.0.0.1:1\n",
                           "    kratos: /microservices/web/127.0.0.1:2\n", "    go-zero: web/"}) {
    EXPECT_NE(summary.find(line), std::string::npos) << line << " missing in\n" << summary;
  }
}

// The table's format choices are the controller's names, in order.
TEST(KeyTable, FormatChoicesAreTheControllersNames) {
  std::vector<std::string_view> names;
  for (auto f : kValueFormats) names.push_back(controller::ValueFormatName(f));
  EXPECT_EQ(Choices(KeyAt("service", "format")), names);
  EXPECT_EQ(Choices(KeyAt("registration", "format")), names);
}

TEST(KeyTable, EveryKeyHasADocAndEveryExampleParses) {
  for (const Key& k : AllKeys()) {
    EXPECT_FALSE(k.doc.empty()) << k.block << "." << k.name;
    if (k.type == KeyType::kEnum || k.type == KeyType::kEnumList) {
      EXPECT_FALSE(Choices(k).empty()) << k.name;
    }
  }
}

}  // namespace
}  // namespace registrar::config
