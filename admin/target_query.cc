#include "admin/target_query.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace registrar::admin {
namespace {

constexpr const char* kStates[] = {"healthy", "unhealthy",  "unknown",
                                   "drained", "registered", "unregistered"};
constexpr const char* kColumns[] = {"service", "address", "state", "since",
                                    "result",  "latency", "key",   "owner"};

template <size_t N>
bool OneOf(const std::string& value, const char* const (&set)[N]) {
  return std::find(std::begin(set), std::end(set), value) != std::end(set);
}

// Unhealthy first: the order an operator reads in.
int StateRank(probes::Health h) {
  switch (h) {
    case probes::Health::kUnhealthy:
      return 0;
    case probes::Health::kUnknown:
      return 1;
    case probes::Health::kHealthy:
      return 2;
  }
  return 3;
}

template <typename Map>
const std::string& Lookup(const Map& map, const std::string& id) {
  static const std::string kEmpty;
  auto it = map.find(id);
  return it == map.end() ? kEmpty : it->second;
}

bool Matches(const probes::TargetStatus& t, const std::string& id,
             const status::RegistrationView& reg, const TargetQuery& q) {
  if (!q.service.empty() && t.target.service != q.service) return false;
  const bool registered = reg.keys_by_target.count(id) > 0;
  if (!q.state.empty()) {
    if (q.state == "drained") {
      if (reg.drained.count(id) == 0) return false;
    } else if (q.state == "registered" || q.state == "unregistered") {
      if (registered != (q.state == "registered")) return false;
    } else if (q.state != probes::HealthName(t.health)) {
      return false;
    }
  }
  if (!q.text.empty()) {
    static const std::string kNone;
    const std::string& reason = t.recent.empty() ? kNone : t.recent.back().reason;
    if (id.find(q.text) == std::string::npos &&
        Lookup(reg.keys_by_target, id).find(q.text) == std::string::npos &&
        reason.find(q.text) == std::string::npos &&
        Lookup(reg.owner_by_target, id).find(q.text) == std::string::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<TargetQuery> ParseTargetQuery(const QueryArgs& args, int64_t default_limit) {
  TargetQuery q;
  q.limit = default_limit;
  for (const auto& [key, value] : args) {
    if (key == "state") {
      if (!value.empty() && !OneOf(value, kStates)) {
        return absl::InvalidArgumentError(absl::StrCat("state: expected one of ",
                                                       absl::StrJoin(kStates, ", "), " (got \"",
                                                       value.substr(0, 32), "\")"));
      }
      q.state = value;
    } else if (key == "service") {
      q.service = value;
    } else if (key == "q") {
      q.text = value;
    } else if (key == "sort") {
      if (!value.empty() && !OneOf(value, kColumns)) {
        return absl::InvalidArgumentError(
            absl::StrCat("sort: expected one of ", absl::StrJoin(kColumns, ", ")));
      }
      q.sort = value;
    } else if (key == "order") {
      if (value != "" && value != "asc" && value != "desc") {
        return absl::InvalidArgumentError("order: expected asc or desc");
      }
      q.descending = value == "desc";
    } else if (key == "limit" || key == "offset") {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 0 || (key == "limit" && (n < 1 || n > 10000))) {
        return absl::InvalidArgumentError(
            absl::StrCat(key, ": expected ", key == "limit" ? "1..10000" : "a number >= 0"));
      }
      (key == "limit" ? q.limit : q.offset) = n;
    }
  }
  return q;
}

std::string FormatTargetQuery(const TargetQuery& q) {
  std::vector<std::string> parts;
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    std::string escaped;
    for (unsigned char c : v) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '/') {
        escaped += static_cast<char>(c);
      } else {
        absl::StrAppend(&escaped, "%", absl::Hex(c, absl::kZeroPad2));
      }
    }
    parts.push_back(absl::StrCat(k, "=", escaped));
  };
  add("state", q.state);
  add("service", q.service);
  add("q", q.text);
  add("sort", q.sort);
  if (q.descending) add("order", "desc");
  if (q.limit != 100) add("limit", absl::StrCat(q.limit));
  if (q.offset != 0) add("offset", absl::StrCat(q.offset));
  return absl::StrJoin(parts, "&");
}

QueryResult RunTargetQuery(const std::vector<probes::TargetStatus>& targets,
                           const status::RegistrationView& reg, const TargetQuery& q) {
  QueryResult out;
  std::map<std::string, ServiceSummary> services;
  std::vector<std::pair<std::string, const probes::TargetStatus*>> matching;
  for (const probes::TargetStatus& t : targets) {
    std::string id = t.target.Id();
    ServiceSummary& s = services[t.target.service];
    ++s.total;
    s.healthy += t.health == probes::Health::kHealthy;
    s.unhealthy += t.health == probes::Health::kUnhealthy;
    s.unknown += t.health == probes::Health::kUnknown;
    s.registered += reg.keys_by_target.count(id) > 0;
    s.drained += reg.drained.count(id) > 0;
    if (Matches(t, id, reg, q)) matching.emplace_back(std::move(id), &t);
  }
  for (auto& [name, s] : services) {
    s.service = name;
    out.services.push_back(s);
  }
  out.total = static_cast<int64_t>(matching.size());

  using Entry = std::pair<std::string, const probes::TargetStatus*>;
  auto last_reason = [](const probes::TargetStatus& t) {
    return t.recent.empty() ? std::string() : t.recent.back().reason;
  };
  auto last_latency = [](const probes::TargetStatus& t) {
    return t.recent.empty() ? Duration::min() : t.recent.back().latency;
  };
  auto less = [&](const Entry& a, const Entry& b) {
    const probes::TargetStatus& x = *a.second;
    const probes::TargetStatus& y = *b.second;
    if (q.sort == "service")
      return std::tie(x.target.service, a.first) < std::tie(y.target.service, b.first);
    if (q.sort == "address") {
      const std::string ax = x.target.Address(), ay = y.target.Address();
      return std::tie(ax, a.first) < std::tie(ay, b.first);
    }
    if (q.sort == "since") return std::tie(x.since, a.first) < std::tie(y.since, b.first);
    if (q.sort == "result") {
      const std::string rx = last_reason(x), ry = last_reason(y);
      return std::tie(rx, a.first) < std::tie(ry, b.first);
    }
    if (q.sort == "latency") {
      const Duration lx = last_latency(x), ly = last_latency(y);
      return std::tie(lx, a.first) < std::tie(ly, b.first);
    }
    if (q.sort == "key") {
      return std::tie(Lookup(reg.keys_by_target, a.first), a.first) <
             std::tie(Lookup(reg.keys_by_target, b.first), b.first);
    }
    if (q.sort == "owner") {
      return std::tie(Lookup(reg.owner_by_target, a.first), a.first) <
             std::tie(Lookup(reg.owner_by_target, b.first), b.first);
    }
    // "" and "state": unhealthy first, then by id.
    return std::make_pair(StateRank(x.health), a.first) <
           std::make_pair(StateRank(y.health), b.first);
  };
  const int64_t end = std::min<int64_t>(out.total, q.offset + q.limit);
  if (q.offset < end) {
    // Only the page needs ordering among itself: partial_sort up to `end`.
    auto cmp = [&](const Entry& a, const Entry& b) {
      return q.descending ? less(b, a) : less(a, b);
    };
    std::partial_sort(matching.begin(), matching.begin() + end, matching.end(), cmp);
    for (int64_t i = q.offset; i < end; ++i)
      out.page.push_back(matching[static_cast<size_t>(i)].second);
  }
  return out;
}

}  // namespace registrar::admin
