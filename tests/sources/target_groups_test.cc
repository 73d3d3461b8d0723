// Prometheus target groups in JSON and YAML: what becomes of targets and
// labels, which groups a service reads, and every way a text is refused.
#include "sources/target_groups.h"

#include <gtest/gtest.h>

namespace registrar::sources {
namespace {

SourceSpec Spec(std::string service = "billing", std::string service_label = "") {
  SourceSpec spec;
  spec.kind = SourceKind::kFileSd;
  spec.service = std::move(service);
  spec.service_label = std::move(service_label);
  return spec;
}

std::vector<Endpoint> Parse(const std::string& text, GroupsFormat format,
                            const SourceSpec& spec = Spec()) {
  auto parsed = ParseTargetGroups(text, format, spec);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : std::vector<Endpoint>{};
}

std::string Error(const std::string& text, GroupsFormat format, const SourceSpec& spec = Spec()) {
  auto parsed = ParseTargetGroups(text, format, spec);
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST(TargetGroups, JsonLabelsBecomeMetadataExceptReservedOnesAndTheWeight) {
  const auto got = Parse(R"([
    {"targets": ["10.0.0.2:80", "10.0.0.1:80"],
     "labels": {"zone": "a", "__meta_x": "dropped", "weight": "7"}},
    {"targets": ["db.example:5432"]}
  ])",
                         GroupsFormat::kJson);
  const std::vector<Endpoint> want = {
      {"10.0.0.1", 80, 7, {{"zone", "a"}}},
      {"10.0.0.2", 80, 7, {{"zone", "a"}}},
      {"db.example", 5432, 0, {}},
  };
  EXPECT_EQ(got, want);
}

TEST(TargetGroups, YamlReadsTheSameAsJson) {
  const auto got = Parse(R"(
- targets: ['10.0.0.2:80', 10.0.0.1:80]
  labels: {zone: a, __meta_x: dropped, weight: 7}
- targets:
    - db.example:5432
  labels:
)",
                         GroupsFormat::kYaml);
  const std::vector<Endpoint> want = {
      {"10.0.0.1", 80, 7, {{"zone", "a"}}},
      {"10.0.0.2", 80, 7, {{"zone", "a"}}},
      {"db.example", 5432, 0, {}},
  };
  EXPECT_EQ(got, want);
}

TEST(TargetGroups, ATargetListedTwiceKeepsItsFirstGroup) {
  const auto got = Parse(R"([
    {"targets": ["a:1", "a:1"], "labels": {"from": "first"}},
    {"targets": ["a:1", "b:1"], "labels": {"from": "second"}}
  ])",
                         GroupsFormat::kJson);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Address(), "a:1");
  EXPECT_EQ(got[0].metadata.at("from"), "first");
  EXPECT_EQ(got[1].Address(), "b:1");
}

TEST(TargetGroups, Ipv6TargetsAreBracketedAndCanonical) {
  const auto groups = Parse(R"([{"targets": ["[2001:db8:0::1]:443", "[0::1]:80", "[::1]:80"]}])",
                            GroupsFormat::kJson);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].host, "2001:db8::1");
  EXPECT_EQ(groups[0].Address(), "[2001:db8::1]:443");
  EXPECT_EQ(groups[1].host, "::1");  // "[0::1]" and "[::1]" are one address
}

TEST(TargetGroups, EmptyTargetListsAndAnEmptyListAreValid) {
  EXPECT_TRUE(Parse("[]", GroupsFormat::kJson).empty());
  EXPECT_TRUE(Parse("[]", GroupsFormat::kYaml).empty());
  EXPECT_TRUE(Parse(R"([{"targets": [], "labels": {"a": "b"}}])", GroupsFormat::kJson).empty());
}

TEST(TargetGroups, TheServiceLabelRoutesOneTextToSeveralServices) {
  const std::string text = R"(
- targets: [a:1, shared:1]
  labels: {service: billing, zone: a}
- targets: [b:1, shared:1]
  labels: {service: search}
- targets: [orphan:1]
)";
  const auto billing = Parse(text, GroupsFormat::kYaml, Spec("billing", "service"));
  ASSERT_EQ(billing.size(), 2u);
  EXPECT_EQ(billing[0].Address(), "a:1");
  EXPECT_EQ(billing[0].metadata, (std::map<std::string, std::string>{{"zone", "a"}}));
  EXPECT_EQ(billing[1].Address(), "shared:1");
  const auto search = Parse(text, GroupsFormat::kYaml, Spec("search", "service"));
  ASSERT_EQ(search.size(), 2u);
  EXPECT_EQ(search[0].Address(), "b:1");
  EXPECT_EQ(search[1].Address(), "shared:1");
  EXPECT_TRUE(search[1].metadata.empty());
  // Without a service label every group is the service's (the label is metadata then).
  EXPECT_EQ(Parse(text, GroupsFormat::kYaml, Spec("search")).size(), 4u);
}

TEST(TargetGroups, TheWeightLabelIsConfigurable) {
  SourceSpec spec = Spec();
  spec.weight_label = "__weight";
  const auto got =
      Parse(R"([{"targets": ["a:1"], "labels": {"__weight": "1000000", "weight": "x"}}])",
            GroupsFormat::kJson, spec);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].weight, 1'000'000);
  EXPECT_EQ(got[0].metadata.at("weight"), "x");
}

TEST(TargetGroups, RefusesWhatIsNotAListOfGroups) {
  EXPECT_EQ(Error("", GroupsFormat::kJson), "empty: expected a list of target groups");
  EXPECT_EQ(Error(" \n", GroupsFormat::kYaml), "empty: expected a list of target groups");
  EXPECT_EQ(Error("# nothing\n", GroupsFormat::kYaml),
            "expected a list of target groups, got null");
  EXPECT_EQ(Error(R"({"targets": []})", GroupsFormat::kJson),
            "expected a list of target groups, got a mapping");
  EXPECT_EQ(Error("[1]", GroupsFormat::kJson), "group 0: expected a mapping, got a number");
  EXPECT_EQ(Error("- a:1\n", GroupsFormat::kYaml),
            "group 0: expected a mapping, got a string (line 1)");
  EXPECT_EQ(Error("[]\n---\n[]\n", GroupsFormat::kYaml),
            "a second YAML document at line 2: expected one list of target groups");
  EXPECT_NE(Error("[{", GroupsFormat::kJson).find("not JSON: parse error at line 1"),
            std::string::npos);
  EXPECT_EQ(Error("[a", GroupsFormat::kYaml).substr(0, 17), "not YAML: line 1,");
}

TEST(TargetGroups, RefusesGroupsWithoutTargetsOrWithUnknownKeys) {
  EXPECT_EQ(Error(R"([{"labels": {}}])", GroupsFormat::kJson), "group 0: \"targets\" missing");
  EXPECT_EQ(Error(R"([{"targets": []}, {"targets": "a:1"}])", GroupsFormat::kJson),
            "group 1: \"targets\": expected a list of host:port strings, got a string");
  EXPECT_EQ(Error(R"([{"targets": [], "label": {}}])", GroupsFormat::kJson),
            "group 0: unknown key \"label\" (expected \"targets\" and \"labels\")");
  EXPECT_EQ(Error("- targets: []\n  extra: 1\n", GroupsFormat::kYaml),
            "group 0: unknown key \"extra\" (expected \"targets\" and \"labels\") (line 2)");
  EXPECT_EQ(Error(R"([{"targets": [80]}])", GroupsFormat::kJson),
            "group 0: target 0: expected a host:port string, got a number");
}

TEST(TargetGroups, RefusesBadAddresses) {
  const auto bad = [](const std::string& target) {
    return Error(R"([{"targets": ["ok:1"]}, {"targets": [")" + target + R"("]}])",
                 GroupsFormat::kJson);
  };
  EXPECT_EQ(bad("x"), "group 1: target \"x\": expected host:port");
  EXPECT_EQ(bad("x:"), "group 1: target \"x:\": expected host:port");
  EXPECT_EQ(bad(":80"), "group 1: target \":80\": expected host:port");
  EXPECT_EQ(bad("x:0"), "group 1: target \"x:0\": the port must be 1-65535");
  EXPECT_EQ(bad("x:65536"), "group 1: target \"x:65536\": the port must be 1-65535");
  EXPECT_EQ(bad("x:8a"), "group 1: target \"x:8a\": expected host:port");
  EXPECT_EQ(bad("a b:80"),
            "group 1: target \"a b:80\": expected host:port (an IPv6 address needs [ ])");
  EXPECT_EQ(bad("a\\tb:80"),
            "group 1: target \"a\\x09b:80\": expected host:port (an IPv6 address needs [ ])");
  EXPECT_EQ(bad("::1:80"),
            "group 1: target \"::1:80\": expected host:port (an IPv6 address needs [ ])");
  EXPECT_EQ(bad("[10.0.0.1]:80"),
            "group 1: target \"[10.0.0.1]:80\": expected an IPv6 address in [ ]");
  EXPECT_EQ(bad(std::string(254, 'a') + ":80").substr(0, 20), "group 1: target \"aaa");
}

TEST(TargetGroups, RefusesBadWeightsAndLabelValuesThatAreNotStrings) {
  const auto weight = [](const std::string& w) {
    return Error(R"([{"targets": ["a:1"], "labels": {"weight": ")" + w + R"("}}])",
                 GroupsFormat::kJson);
  };
  for (const std::string w : {"0", "1000001", "-1", "+1", "1.5", "x", "", " 1"}) {
    EXPECT_EQ(weight(w),
              "group 0: label \"weight\": expected an integer weight 1-1000000, got \"" + w + "\"");
  }
  EXPECT_EQ(Error(R"([{"targets": [], "labels": {"zone": 1}}])", GroupsFormat::kJson),
            "group 0: label \"zone\": expected a string, got a number");
  EXPECT_EQ(Error("- targets: []\n  labels: {zone: [a]}\n", GroupsFormat::kYaml),
            "group 0: label \"zone\": expected a string, got a list (line 2)");
  EXPECT_EQ(Error("- targets: []\n  labels: {zone: }\n", GroupsFormat::kYaml),
            "group 0: label \"zone\": expected a string, got null (line 2)");
  EXPECT_EQ(Error("- targets: []\n  labels: [a]\n", GroupsFormat::kYaml),
            "group 0: \"labels\": expected a mapping of strings, got a list (line 2)");
  EXPECT_EQ(Error("- targets: []\n  labels: {zone: \xff}\n", GroupsFormat::kYaml),
            "group 0: label \"zone\": the value is not UTF-8");
  // A skipped group (another service's) is still checked: the text is one.
  EXPECT_EQ(Error(R"([{"targets": ["a:1"], "labels": {"service": "x", "weight": "0"}}])",
                  GroupsFormat::kJson, Spec("billing", "service")),
            "group 0: label \"weight\": expected an integer weight 1-1000000, got \"0\"");
}

TEST(TargetGroups, RefusesMoreThan100000Targets) {
  std::string many = "[{\"targets\": [";
  for (int i = 0; i <= 100'000; ++i)
    many += (i ? ",\"h:" : "\"h:") + std::to_string(i % 9 + 1) + "\"";
  many += "]}]";
  EXPECT_EQ(Error(many, GroupsFormat::kJson), "more than 100000 targets");
}

TEST(TargetGroups, BoundsTheWorkOnAliasedYaml) {
  // One big label set repeated through aliases into every group.
  std::string aliased = "- targets: [a:1]\n  labels: &l {";
  for (int i = 0; i < 20; ++i)
    aliased += "k" + std::to_string(i) + ": " + std::string(10'000, 'v') + ",";
  aliased += "}\n";
  for (int i = 0; i < 1000; ++i)
    aliased += "- {targets: [b" + std::to_string(i) + ":1], labels: *l}\n";
  EXPECT_NE(Error(aliased, GroupsFormat::kYaml).find("MiB of targets and labels"),
            std::string::npos);
}

}  // namespace
}  // namespace registrar::sources
