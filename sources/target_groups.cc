#include "sources/target_groups.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include "absl/status/status.h"
#include "common/utf8.h"
#include "common/yaml_document.h"

namespace registrar::sources {
namespace {

constexpr size_t kGroupsMaxTargets = 100'000;
// Bytes of strings looked at plus a per-item cost (about what a map node of
// a target's metadata takes): bounds time and memory also when YAML aliases
// repeat one big label set or value across many groups.
constexpr size_t kGroupsMaxWork = size_t{256} << 20;
constexpr size_t kGroupsItemCost = 64;
constexpr size_t kGroupsMaxHost = 253;
constexpr size_t kGroupsMaxQuoted = 80;

// `s` quoted for an error message: cut, control bytes (and bytes of text
// that is not UTF-8) escaped, so a hostile text cannot forge a log line.
std::string GroupsQuote(std::string_view s) {
  const bool utf8 = FirstInvalidUtf8(s) == std::string_view::npos;
  const bool cut = s.size() > kGroupsMaxQuoted;
  if (cut) s = s.substr(0, utf8 ? CharacterBoundary(s, kGroupsMaxQuoted) : kGroupsMaxQuoted);
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || (!utf8 && c >= 0x80)) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (cut ? "\"…" : "\"");
}

bool GroupsIsPlainText(std::string_view s) {
  if (FirstInvalidUtf8(s) != std::string_view::npos) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// "host:port" / "[v6]:port" → Endpoint (host and port only), or why not.
absl::StatusOr<Endpoint> GroupsParseTarget(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError("target " + GroupsQuote(text) + ": " + why);
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("expected host:port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  Endpoint e;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("expected host:port");
  }
  std::from_chars(port_text.data(), port_text.data() + port_text.size(), e.port);
  if (e.port < 1 || e.port > 65535) return bad("the port must be 1-65535");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    const std::string literal(host.substr(1, host.size() - 2));
    in6_addr addr;
    char canonical[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET6, literal.c_str(), &addr) != 1 ||
        inet_ntop(AF_INET6, &addr, canonical, sizeof canonical) == nullptr) {
      return bad("expected an IPv6 address in [ ]");
    }
    e.host = canonical;
    return e;
  }
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);  // a rooted name
  if (host.empty()) return bad("expected host:port");
  if (host.size() > kGroupsMaxHost) return bad("the host is longer than 253 bytes");
  if (!GroupsIsPlainText(host) || host.find_first_of(" /?#@[]\\:") != std::string_view::npos) {
    return bad("expected host:port (an IPv6 address needs [ ])");
  }
  e.host = std::string(host);
  return e;
}

// Builds the answer from the groups as either format's reader walks them:
// per group, its labels first and then its targets. Checks each against the
// spec and bounds the work.
class GroupsBuilder {
 public:
  explicit GroupsBuilder(const SourceSpec& spec) : spec_(spec) {}

  void BeginGroup(size_t index) {
    index_ = index;
    weight_ = 0;
    service_.reset();
    metadata_.clear();
    targets_.clear();
  }

  absl::Status Label(std::string_view name, std::string_view value) {
    if (absl::Status s = Charge(name.size() + value.size()); !s.ok()) return s;
    if (name.empty() || !GroupsIsPlainText(name)) {
      return Error("label " + GroupsQuote(name) + ": not a label name");
    }
    if (FirstInvalidUtf8(value) != std::string_view::npos) {
      return Error("label " + GroupsQuote(name) + ": the value is not UTF-8");
    }
    if (!spec_.weight_label.empty() && name == spec_.weight_label) {
      int weight = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), weight);
      if (value.empty() || value.size() > 7 || value.front() == '-' || ec != std::errc() ||
          end != value.data() + value.size() || weight < 1 || weight > 1'000'000) {
        return Error("label " + GroupsQuote(name) + ": expected an integer weight 1-1000000, got " +
                     GroupsQuote(value));
      }
      weight_ = weight;
    } else if (!spec_.service_label.empty() && name == spec_.service_label) {
      service_ = std::string(value);
    } else if (name.substr(0, 2) != "__") {
      metadata_[std::string(name)] = std::string(value);
    }
    return absl::OkStatus();
  }

  absl::Status Target(std::string_view text) {
    if (++total_targets_ > kGroupsMaxTargets) {
      return absl::InvalidArgumentError("more than " + std::to_string(kGroupsMaxTargets) +
                                        " targets");
    }
    if (absl::Status s = Charge(text.size()); !s.ok()) return s;
    absl::StatusOr<Endpoint> e = GroupsParseTarget(text);
    if (!e.ok()) return Error(std::string(e.status().message()));
    targets_.push_back(*std::move(e));
    return absl::OkStatus();
  }

  // Keeps the group's targets when the group is the spec's service's.
  absl::Status EndGroup() {
    if (!spec_.service_label.empty() && service_ != spec_.service) return absl::OkStatus();
    size_t metadata_bytes = 0;
    for (const auto& [k, v] : metadata_) metadata_bytes += k.size() + v.size() + kGroupsItemCost;
    for (Endpoint& e : targets_) {
      if (!seen_.insert(e.Address()).second) continue;  // listed before: the first stays
      if (absl::Status s = Charge(metadata_bytes); !s.ok()) return s;
      e.weight = weight_;
      e.metadata = metadata_;
      out_.push_back(std::move(e));
    }
    return absl::OkStatus();
  }

  std::vector<Endpoint> Take() {
    std::sort(out_.begin(), out_.end());
    return std::move(out_);
  }

  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError("group " + std::to_string(index_) + ": " + what);
  }

 private:
  absl::Status Charge(size_t bytes) {
    work_ += bytes + kGroupsItemCost;
    if (work_ <= kGroupsMaxWork) return absl::OkStatus();
    return absl::InvalidArgumentError("more than " + std::to_string(kGroupsMaxWork >> 20) +
                                      " MiB of targets and labels (YAML aliases expanded)");
  }

  const SourceSpec& spec_;
  size_t total_targets_ = 0;
  size_t work_ = 0;
  std::unordered_set<std::string> seen_;  // addresses kept so far
  std::vector<Endpoint> out_;
  // The current group.
  size_t index_ = 0;
  int weight_ = 0;
  std::optional<std::string> service_;
  std::map<std::string, std::string> metadata_;
  std::vector<Endpoint> targets_;
};

constexpr const char* kGroupsKeys = "(expected \"targets\" and \"labels\")";

std::string GroupsDescribe(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "a mapping";
    case nlohmann::json::value_t::array:
      return "a list";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

absl::Status GroupsFromJson(std::string_view text, GroupsBuilder& b) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at …"
    if (const size_t end = what.find("] "); what[0] == '[' && end != std::string::npos) {
      what.erase(0, end + 2);
    }
    return absl::InvalidArgumentError("not JSON: " + what);
  }
  if (!root.is_array()) {
    return absl::InvalidArgumentError("expected a list of target groups, got " +
                                      GroupsDescribe(root));
  }
  for (size_t i = 0; i < root.size(); ++i) {
    const nlohmann::json& group = root[i];
    b.BeginGroup(i);
    if (!group.is_object()) return b.Error("expected a mapping, got " + GroupsDescribe(group));
    for (const auto& [key, value] : group.items()) {
      if (key != "targets" && key != "labels") {
        return b.Error("unknown key " + GroupsQuote(key) + " " + kGroupsKeys);
      }
    }
    if (const auto labels = group.find("labels"); labels != group.end() && !labels->is_null()) {
      if (!labels->is_object()) {
        return b.Error("\"labels\": expected a mapping of strings, got " + GroupsDescribe(*labels));
      }
      for (const auto& [name, value] : labels->items()) {
        if (!value.is_string()) {
          return b.Error("label " + GroupsQuote(name) + ": expected a string, got " +
                         GroupsDescribe(value));
        }
        if (absl::Status s = b.Label(name, value.get_ref<const std::string&>()); !s.ok()) return s;
      }
    }
    const auto targets = group.find("targets");
    if (targets == group.end()) return b.Error("\"targets\" missing");
    if (!targets->is_array()) {
      return b.Error("\"targets\": expected a list of host:port strings, got " +
                     GroupsDescribe(*targets));
    }
    for (size_t t = 0; t < targets->size(); ++t) {
      const nlohmann::json& target = (*targets)[t];
      if (!target.is_string()) {
        return b.Error("target " + std::to_string(t) + ": expected a host:port string, got " +
                       GroupsDescribe(target));
      }
      if (absl::Status s = b.Target(target.get_ref<const std::string&>()); !s.ok()) return s;
    }
    if (absl::Status s = b.EndGroup(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string GroupsDescribe(const YAML::Node& n) {
  if (n.IsScalar()) return "a string";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "null";
}

std::string GroupsAt(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return "";
  return " (line " + std::to_string(m.line + 1) + ")";
}

absl::Status GroupsFromYaml(std::string_view text, GroupsBuilder& b) {
  const YamlDocument doc = ReadYamlDocument(std::string(text));
  if (doc.error) {
    return absl::InvalidArgumentError("not YAML: line " + std::to_string(doc.error->mark.line + 1) +
                                      ", column " + std::to_string(doc.error->mark.column + 1) +
                                      ": " + doc.error->message);
  }
  if (doc.documents > 1) {
    return absl::InvalidArgumentError("a second YAML document at line " +
                                      std::to_string(doc.second.line + 1) +
                                      ": expected one list of target groups");
  }
  const YAML::Node& root = doc.root;
  if (!root.IsSequence()) {
    return absl::InvalidArgumentError("expected a list of target groups, got " +
                                      GroupsDescribe(root));
  }
  size_t index = 0;
  for (auto g = root.begin(); g != root.end(); ++g) {
    const YAML::Node group = *g;
    b.BeginGroup(index++);
    if (!group.IsMap()) {
      return b.Error("expected a mapping, got " + GroupsDescribe(group) + GroupsAt(group));
    }
    YAML::Node labels;
    YAML::Node targets;
    for (auto it = group.begin(); it != group.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      if (key == "targets") {
        targets = it->second;
      } else if (key == "labels") {
        labels = it->second;
      } else {
        return b.Error("unknown key " + GroupsQuote(key) + " " + kGroupsKeys + GroupsAt(it->first));
      }
    }
    if (labels && !labels.IsNull()) {
      if (!labels.IsMap()) {
        return b.Error("\"labels\": expected a mapping of strings, got " + GroupsDescribe(labels) +
                       GroupsAt(labels));
      }
      for (auto it = labels.begin(); it != labels.end(); ++it) {
        const std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
        if (!it->second.IsScalar()) {
          return b.Error("label " + GroupsQuote(name) + ": expected a string, got " +
                         GroupsDescribe(it->second) + GroupsAt(it->first));
        }
        if (absl::Status s = b.Label(name, it->second.Scalar()); !s.ok()) return s;
      }
    }
    if (!targets) return b.Error("\"targets\" missing" + GroupsAt(group));
    if (!targets.IsSequence()) {
      return b.Error("\"targets\": expected a list of host:port strings, got " +
                     GroupsDescribe(targets) + GroupsAt(targets));
    }
    size_t t = 0;
    for (auto it = targets.begin(); it != targets.end(); ++it, ++t) {
      const YAML::Node target = *it;
      if (!target.IsScalar()) {
        return b.Error("target " + std::to_string(t) + ": expected a host:port string, got " +
                       GroupsDescribe(target) + GroupsAt(target));
      }
      if (absl::Status s = b.Target(target.Scalar()); !s.ok()) return s;
    }
    if (absl::Status s = b.EndGroup(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Endpoint>> ParseTargetGroups(std::string_view text, GroupsFormat format,
                                                        const SourceSpec& spec) {
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; })) {
    return absl::InvalidArgumentError("empty: expected a list of target groups");
  }
  GroupsBuilder b(spec);
  absl::Status s =
      format == GroupsFormat::kJson ? GroupsFromJson(text, b) : GroupsFromYaml(text, b);
  if (!s.ok()) return s;
  return b.Take();
}

}  // namespace registrar::sources
