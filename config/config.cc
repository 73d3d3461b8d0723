// Config's own methods, Diff, and the check-config summary.
#include "config/config.h"

#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "config/services.h"
#include "controller/controller.h"
#include "registration/keys.h"

namespace registrar::config {

std::string ConfigError::ToString() const {
  std::string out;
  if (!file.empty()) {
    out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
  }
  if (!path.empty()) out += path + ": ";
  return out + message;
}

std::string CoordinationPrefix(const controller::RegistrationOptions& registration) {
  return controller::EffectiveCluster(registration).coordination_prefix;
}

std::vector<probes::Target> Config::Targets() const {
  std::vector<probes::Target> targets;
  for (const ServiceConfig& service : services) {
    targets.insert(targets.end(), service.targets.begin(), service.targets.end());
  }
  return targets;
}

std::vector<sources::SourceSpec> Config::SourceSpecs() const {
  std::vector<sources::SourceSpec> specs;
  for (const ServiceConfig& service : services) {
    specs.insert(specs.end(), service.sources.begin(), service.sources.end());
  }
  return specs;
}

std::vector<probes::Target> TargetsWithSources(const Config& config,
                                               const std::vector<sources::Runner::Listed>& listed) {
  std::vector<probes::Target> targets;
  for (const ServiceConfig& service : config.services) {
    std::set<std::string> seen;
    for (const probes::Target& t : service.targets) {
      seen.insert(t.Address());
      targets.push_back(t);
    }
    for (const sources::Runner::Listed& l : listed) {
      if (l.spec.service != service.registration.service) continue;
      const std::string name = l.spec.Name();
      for (const sources::Endpoint& e : l.endpoints) {
        if (!seen.insert(e.Address()).second) continue;
        probes::Target t;
        t.service = service.registration.service;
        t.host = e.host;
        t.port = e.port;
        t.probe = service.probe;
        t.weight = e.weight;
        t.metadata = e.metadata;
        t.source = name;
        t.dynamic = true;
        targets.push_back(std::move(t));
      }
    }
  }
  return targets;
}

std::vector<std::string> Config::WatchedFiles() const {
  std::vector<std::string> files;
  if (!source_path.empty()) files.push_back(source_path);
  if (!server.web_config_file.empty()) files.push_back(server.web_config_file);
  for (const ServiceConfig& service : services) {
    if (!service.endpoints_file.empty()) files.push_back(service.endpoints_file);
  }
  return files;
}

TargetDiff Diff(const std::vector<probes::Target>& before,
                const std::vector<probes::Target>& after) {
  std::map<std::string, const probes::Target*> old_by_id;
  for (const probes::Target& t : before) old_by_id[t.Id()] = &t;
  std::map<std::string, const probes::Target*> new_by_id;
  for (const probes::Target& t : after) new_by_id[t.Id()] = &t;
  TargetDiff diff;
  for (const auto& [id, target] : new_by_id) {
    auto it = old_by_id.find(id);
    if (it == old_by_id.end()) {
      diff.added.push_back(*target);
    } else if (!(*it->second == *target)) {
      diff.changed.push_back(*target);
    }
  }
  for (const auto& [id, target] : old_by_id) {
    if (!new_by_id.count(id)) diff.removed.push_back(*target);
  }
  return diff;
}

std::vector<std::string> ChangesNeedingRestart(const Config& before, const Config& after) {
  std::vector<std::string> changed;
  const EtcdConfig& a = before.etcd;
  const EtcdConfig& b = after.etcd;
  if (a.endpoints != b.endpoints) changed.push_back("etcd.endpoints");
  if (a.dial_timeout != b.dial_timeout) changed.push_back("etcd.dialTimeout");
  if (a.username != b.username) changed.push_back("etcd.username");
  if (a.password != b.password) changed.push_back("etcd.passwordFile");
  if (a.tls != b.tls) changed.push_back("etcd.tls");
  if (before.registration.prefix != after.registration.prefix) {
    changed.push_back("registration.prefix");
  }
  if (before.registration.skydns_prefix != after.registration.skydns_prefix) {
    changed.push_back("registration.skydnsPrefix");
  }
  if (before.registration.layout_prefixes != after.registration.layout_prefixes) {
    changed.push_back("registration.layoutPrefixes");
  }
  if (before.registration.lease_ttl != after.registration.lease_ttl) {
    changed.push_back("registration.leaseTTL");
  }
  if (before.registration.resync_period != after.registration.resync_period) {
    changed.push_back("registration.resyncPeriod");
  }
  if (before.registration.owns_prefix != after.registration.owns_prefix) {
    changed.push_back("registration.ownsPrefix");
  }
  if (before.server.listen != after.server.listen) changed.push_back("server.listen");
  if (before.log.level != after.log.level) changed.push_back("log.level");
  if (before.log.format != after.log.format) changed.push_back("log.format");
  if (before.probes.dns_min_ttl != after.probes.dns_min_ttl) changed.push_back("probes.dnsMinTTL");
  if (before.probes.dns_servers != after.probes.dns_servers) {
    changed.push_back("probes.dnsServers");
  }
  return changed;
}

std::string Summary(const Config& config) {
  std::ostringstream out;
  out << "etcd: ";
  for (size_t i = 0; i < config.etcd.endpoints.size(); ++i) {
    out << (i ? ", " : "") << config.etcd.endpoints[i];
  }
  if (config.etcd.tls) out << " (TLS)";
  if (!config.etcd.username.empty()) out << " as " << config.etcd.username;
  out << "\nregistration: prefix " << config.registration.prefix
      << " (skydns: " << config.registration.skydns_prefix << "), lease TTL "
      << FormatDuration(config.registration.lease_ttl)
      << (config.registration.dry_run ? ", dry run" : "") << "\n";
  out << "server: " << config.server.listen << "\n";
  size_t total = 0;
  for (const ServiceConfig& s : config.services) total += s.targets.size();
  out << "services: " << config.services.size() << ", endpoints: " << total << "\n";
  for (const ServiceConfig& s : config.services) {
    const probes::ProbeSpec& p = s.probe;
    out << "  " << s.registration.service << ": " << s.targets.size()
        << (s.targets.size() == 1 ? " endpoint" : " endpoints");
    if (!s.endpoints_file.empty()) out << " (" << s.endpoints_file << ")";
    for (const sources::SourceSpec& spec : s.sources) {
      out << " + " << spec.Name() << " every " << FormatDuration(spec.refresh_interval);
    }
    out << ", format";
    for (controller::ValueFormat f : s.registration.Formats()) out << " " << ValueFormatName(f);
    out << ", keys under";
    for (controller::ValueFormat f : s.registration.Formats()) {
      out << " " << controller::LayoutDirectory(f, s.registration, config.registration);
    }
    out << ", probe ";
    if (p.kind == probes::ProbeKind::kHttpGet) {
      out << "httpGet " << p.http_get.scheme << " " << p.http_get.path;
    } else {
      out << "tcpSocket";
    }
    out << " every " << FormatDuration(p.period) << " (timeout " << FormatDuration(p.timeout)
        << ")\n";
    // Every key a healthy target gets (the values' registeredAt aside).
    for (const probes::Target& t : s.targets) {
      for (const controller::LayoutKey& k :
           controller::RegistrationKeys(t, s.registration, config.registration, {})) {
        out << "    " << ValueFormatName(k.format) << ": " << k.key << "\n";
      }
    }
  }
  return out.str();
}

namespace {

// check-config --resolve: each source once, what it lists now.
int ResolveSources(const Config& config, std::ostream& out, std::ostream& err) {
  constexpr size_t kShown = 20;
  int code = 0;
  for (const sources::SourceSpec& spec : config.SourceSpecs()) {
    const sources::Answer answer = sources::MakeSource(spec)->Fetch();
    if (!answer.ok()) {
      err << "source " << spec.Name() << " (service " << spec.service << "): failed ("
          << sources::FailureName(answer.failure) << "): " << answer.error << "\n";
      code = 1;
      continue;
    }
    out << "source " << spec.Name() << " (service " << spec.service
        << "): " << answer.endpoints.size()
        << (answer.endpoints.size() == 1 ? " target" : " targets");
    if (answer.ttl) out << ", TTL " << FormatDuration(*answer.ttl);
    out << "\n";
    for (size_t i = 0; i < answer.endpoints.size() && i < kShown; ++i) {
      const sources::Endpoint& e = answer.endpoints[i];
      out << "    " << e.Address();
      if (e.weight > 0) out << " weight " << e.weight;
      for (const auto& [k, v] : e.metadata) out << " " << k << "=" << v;
      out << "\n";
    }
    if (answer.endpoints.size() > kShown) {
      out << "    … and " << answer.endpoints.size() - kShown << " more\n";
    }
  }
  return code;
}

}  // namespace

int RunCheckConfig(const std::string& path, const Overrides& overrides, std::ostream& out,
                   std::ostream& err, bool resolve) {
  LoadResult result = LoadConfigDetailed(path, overrides);
  if (!result.config) {
    for (const ConfigError& e : result.errors) err << e.ToString() << "\n";
    err << path << ": " << result.errors.size()
        << (result.errors.size() == 1 ? " error" : " errors") << "\n";
    return 2;
  }
  for (const ConfigError& w : result.warnings) err << "warning: " << w.ToString() << "\n";
  out << path << ": valid\n" << Summary(*result.config);
  if (resolve) return ResolveSources(*result.config, out, err);
  return 0;
}

}  // namespace registrar::config
