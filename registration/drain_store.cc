#include "registration/drain_store.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/json_text.h"
#include "discovery/discovery.h"
#include "etcd/list_watch.h"
#include "registration/keys.h"

namespace registrar::controller {
namespace {

std::optional<WallTime> ParseDrainTime(const std::string& text) {
  std::tm tm{};
  char z = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z') {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

int64_t LeaseSeconds(Duration d) {
  // Rounded up: a drain never ends before its duration.
  const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return s < 1 ? 1 : s;
}

}  // namespace

std::string DrainRecordJson(const DrainRecord& r) {
  nlohmann::ordered_json v;
  v["reason"] = r.reason;
  v["by"] = r.by;
  v["at"] = FormatRfc3339(r.at);
  v["until"] = r.until ? nlohmann::ordered_json(FormatRfc3339(*r.until)) : nullptr;
  return JsonText(v);
}

absl::StatusOr<DrainRecord> ParseDrainRecord(const std::string& json) {
  const nlohmann::json v = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!v.is_object()) return absl::InvalidArgumentError("drain record is not a JSON object");
  DrainRecord r;
  if (auto it = v.find("reason"); it != v.end() && it->is_string()) r.reason = *it;
  if (auto it = v.find("by"); it != v.end() && it->is_string()) r.by = *it;
  if (auto it = v.find("at"); it != v.end() && it->is_string()) {
    if (auto t = ParseDrainTime(*it)) r.at = *t;
  }
  if (auto it = v.find("until"); it != v.end() && it->is_string()) r.until = ParseDrainTime(*it);
  return r;
}

DrainStore::DrainStore(etcd::Client& client, Clock& clock, std::string coordination_prefix)
    : client_(client), clock_(clock), prefix_(std::move(coordination_prefix) + "drain/") {}

DrainStore::~DrainStore() { Stop(); }

std::string DrainStore::Key(const std::string& target_id) const { return prefix_ + target_id; }

absl::Status DrainStore::Drain(const std::string& target_id, const std::string& reason,
                               Duration duration, const std::string& who) {
  DrainRecord record{reason, who, clock_.WallNow(), std::nullopt};
  int64_t lease = 0;
  if (duration > Duration::zero()) {
    auto granted = client_.LeaseGrant(LeaseSeconds(duration));
    if (!granted.ok()) return granted.status();
    lease = granted->id;
    record.until = record.at + std::chrono::seconds(granted->ttl_seconds);
  }
  // The lease of an earlier drain of the same target, revoked after the put
  // so the old expiry cannot end the new drain.
  int64_t previous_lease = 0;
  if (auto old = client_.Range(Key(target_id), {}); old.ok() && !old->kvs.empty()) {
    previous_lease = old->kvs.front().lease;
  }
  auto put = client_.Put(Key(target_id), DrainRecordJson(record), lease);
  if (!put.ok()) {
    if (lease != 0) (void)client_.LeaseRevoke(lease);
    return put.status();
  }
  if (previous_lease != 0 && previous_lease != lease) (void)client_.LeaseRevoke(previous_lease);
  return absl::OkStatus();
}

absl::Status DrainStore::Undrain(const std::string& target_id) {
  auto deleted = client_.Delete(Key(target_id));
  if (!deleted.ok()) return deleted.status();
  if (deleted->deleted == 0) return absl::NotFoundError(target_id + " is not drained");
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, DrainRecord>> DrainStore::List() {
  auto listed = etcd::ListPrefixes(client_, {prefix_});
  if (!listed.ok()) return listed.status();
  std::map<std::string, DrainRecord> out;
  for (const etcd::KeyValue& kv : listed->kvs) {
    auto record = ParseDrainRecord(kv.value);
    out[kv.key.substr(prefix_.size())] = record.ok() ? *record : DrainRecord{.reason = kv.value};
  }
  return out;
}

absl::Status DrainStore::Start(Listener listener) {
  std::lock_guard lock(mu_);
  if (watch_ != nullptr) return absl::OkStatus();
  etcd::DiscoveryOptions options;
  options.prefix = prefix_;
  options.format = etcd::EndpointFormat::kPlain;  // only the raw value is read
  options.clock = &clock_;                        // its backoff waits on our clock
  auto watch = etcd::Discovery::Start(
      client_, options, [this, listener = std::move(listener)](const etcd::DiscoveryUpdate& u) {
        std::set<std::string> ids;
        {
          std::lock_guard lock(mu_);
          for (const etcd::EndpointEvent& e : u.events) {
            std::string id = e.endpoint.key.substr(prefix_.size());
            if (e.type == etcd::EndpointEvent::Type::kRemoved) {
              drained_.erase(id);
              continue;
            }
            auto record = ParseDrainRecord(e.endpoint.value);
            drained_[std::move(id)] =
                record.ok() ? *record : DrainRecord{.reason = e.endpoint.value};
          }
          for (const auto& [id, record] : drained_) ids.insert(id);
        }
        if (!u.events.empty()) spdlog::info("drain: {} target(s) drained now", ids.size());
        if (listener) listener(ids);
      });
  if (!watch.ok()) return watch.status();
  watch_ = std::move(*watch);
  return absl::OkStatus();
}

void DrainStore::Stop() {
  etcd::Discovery* watch = nullptr;
  {
    std::lock_guard lock(mu_);
    watch = watch_.get();
  }
  if (watch != nullptr) watch->Stop();
}

std::map<std::string, DrainRecord> DrainStore::Drained() const {
  std::lock_guard lock(mu_);
  return drained_;
}

}  // namespace registrar::controller
