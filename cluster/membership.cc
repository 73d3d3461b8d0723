#include "cluster/membership.h"

#include <algorithm>
#include <utility>

#include "common/json_text.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace registrar::controller {
namespace {

// Longest the membership thread waits without re-checking the session.
constexpr Duration kMembershipMaxSleep = std::chrono::milliseconds(200);

Member ParseMember(const std::string& prefix, const etcd::KeyValue& kv) {
  Member m;
  m.id = kv.key.substr(prefix.size());
  m.create_revision = kv.create_revision;
  auto json = nlohmann::json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    if (auto it = json.find("lease"); it != json.end() && it->is_number_integer()) {
      m.registration_lease = it->get<int64_t>();
    }
    if (auto it = json.find("config"); it != json.end() && it->is_string()) {
      m.config = it->get<std::string>();
    }
  }
  return m;
}

}  // namespace

Membership::Membership(etcd::Client& client, Clock& clock, Random& random,
                       MembershipOptions options, std::function<void()> on_change)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      session_("session", client, clock, random, options_.session_ttl_seconds, options_.backoff,
               {.granted = [this](const HeldLease&, bool) { cv_.notify_all(); },
                .lost =
                    [this](int64_t) {
                      std::lock_guard lock(mu_);
                      if (view_.joined) {
                        spdlog::warn("membership: session lost; left the cluster as {}",
                                     options_.member_id);
                        view_.joined = false;
                        Changed();
                      }
                    },
                .keepalive_failed = nullptr}),
      backoff_(options_.backoff, random) {
  view_.self_id = options_.member_id;
}

Membership::~Membership() { Stop(false); }

void Membership::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_ || stop_) return;
    started_ = true;
  }
  session_.Start();
  thread_ = std::thread([this] { Run(); });
}

void Membership::Stop(bool leave) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
    if (view_.joined) {
      view_.joined = false;
      Changed();
    }
  }
  cv_.notify_all();
  {
    std::lock_guard lock(watch_mu_);
    if (watch_stream_) watch_stream_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
  session_.Stop(/*revoke=*/leave);
  if (leave) spdlog::info("membership: left the cluster as {}", options_.member_id);
}

MembershipView Membership::View() const {
  std::lock_guard lock(mu_);
  return view_;
}

void Membership::SetValue(int64_t registration_lease, const std::string& config) {
  std::lock_guard lock(mu_);
  if (registration_lease == registration_lease_ && config == config_) return;
  registration_lease_ = registration_lease;
  config_ = config;
  republish_ = true;
  cv_.notify_all();
}

void Membership::Refresh() {
  std::lock_guard lock(mu_);
  refresh_ = true;
  cv_.notify_all();
}

std::vector<etcd::Compare> Membership::Fence(const MembershipView& view) const {
  if (!view.joined) return {};
  etcd::Compare self;
  self.key = SelfKey();
  self.target = etcd::Compare::Target::kCreateRevision;
  self.result = etcd::Compare::Result::kEqual;
  self.number = view.self_create_revision;
  etcd::Compare fresh;
  fresh.key = options_.members_prefix;
  fresh.range_end = etcd::PrefixEnd(options_.members_prefix);
  fresh.target = etcd::Compare::Target::kCreateRevision;
  fresh.result = etcd::Compare::Result::kLess;
  fresh.number = view.revision + 1;
  return {self, fresh};
}

std::string Membership::ValueLocked() const {
  return JsonText(nlohmann::json{{"lease", registration_lease_}, {"config", config_}});
}

void Membership::Changed() {
  ++view_.epoch;
  if (on_change_) on_change_();
}

void Membership::Run() {
  std::unique_lock lock(mu_);
  MonoTime retry_at{};
  while (!stop_) {
    const MonoTime now = clock_.Now();
    const HeldLease session = session_.Current();
    if (now < retry_at || session.id == 0) {
      clock_.WaitUntil(cv_, lock, now + kMembershipMaxSleep);
      continue;
    }
    absl::Status status;
    if (!view_.joined || joined_session_ != session.generation || republish_) {
      lock.unlock();
      status = Join(session.id);
      if (status.ok()) status = List();
      lock.lock();
      if (status.ok()) joined_session_ = session.generation;
    } else if (refresh_) {
      refresh_ = false;
      lock.unlock();
      status = List();
      lock.lock();
    } else {
      lock.unlock();
      status = Watch();
      lock.lock();
    }
    if (status.ok()) {
      backoff_.Reset();
    } else if (!stop_) {
      const Duration wait = backoff_.Next();
      retry_at = clock_.Now() + wait;
      spdlog::warn("membership: {} (retry #{} in {}ms)", status.ToString(), backoff_.failures(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    }
  }
}

absl::Status Membership::Join(int64_t session) {
  std::string value;
  {
    std::lock_guard lock(mu_);
    value = ValueLocked();
    republish_ = false;
  }
  auto put = client_.Put(SelfKey(), value, session);
  if (!put.ok()) {
    std::lock_guard lock(mu_);
    republish_ = true;
    return put.status();
  }
  return absl::OkStatus();
}

absl::Status Membership::List() {
  {
    std::lock_guard lock(watch_mu_);
    watch_stream_.reset();
  }
  auto listed = etcd::ListPrefixes(client_, {options_.members_prefix});
  if (!listed.ok()) return listed.status();
  const HeldLease session = session_.Current();
  std::lock_guard lock(mu_);
  const size_t before = view_.members.size();
  const bool was_joined = view_.joined;
  view_.members.clear();
  view_.joined = false;
  for (const auto& kv : listed->kvs) {
    Member m = ParseMember(options_.members_prefix, kv);
    if (m.id == options_.member_id) {
      view_.joined = kv.lease == session.id && session.id != 0;
      view_.self_create_revision = kv.create_revision;
    }
    view_.members.push_back(std::move(m));
  }
  view_.revision = listed->revision;
  watch_from_ = listed->revision + 1;
  if (view_.joined && !was_joined) {
    spdlog::info("membership: joined as {} ({} members)", options_.member_id, view_.members.size());
  } else if (before != view_.members.size()) {
    spdlog::info("membership: {} members", view_.members.size());
  }
  Changed();
  return absl::OkStatus();
}

absl::Status Membership::Watch() {
  etcd::PrefixWatch* watch;
  {
    std::lock_guard lock(watch_mu_);
    if (!watch_stream_) {
      auto opened = etcd::PrefixWatch::Open(client_, {{options_.members_prefix}, watch_from_});
      if (!opened.ok()) return opened.status();
      watch_stream_ = std::move(*opened);
    }
    watch = watch_stream_.get();
  }
  etcd::WatchStep step = watch->Next(options_.watch_poll);
  switch (step.kind) {
    case etcd::WatchStep::Kind::kEvents:
      for (const auto& e : step.events) {
        Apply(e.kv, e.type == etcd::WatchEvent::Type::kDelete, e.kv.mod_revision);
      }
      return absl::OkStatus();
    case etcd::WatchStep::Kind::kQuiet:
    case etcd::WatchStep::Kind::kProgress:
      return absl::OkStatus();
    case etcd::WatchStep::Kind::kCompacted:
    case etcd::WatchStep::Kind::kCanceled:
      return List();  // read it all again
    case etcd::WatchStep::Kind::kBroken:
      break;
  }
  std::lock_guard lock(watch_mu_);
  watch_stream_.reset();
  return step.status;
}

void Membership::Apply(const etcd::KeyValue& kv, bool deleted, int64_t revision) {
  watch_from_ = std::max(watch_from_, revision + 1);
  std::lock_guard lock(mu_);
  const std::string id = kv.key.substr(options_.members_prefix.size());
  auto it = std::find_if(view_.members.begin(), view_.members.end(),
                         [&](const Member& m) { return m.id == id; });
  if (deleted) {
    if (it != view_.members.end()) view_.members.erase(it);
    spdlog::info("membership: {} left ({} members)", id, view_.members.size());
    if (id == options_.member_id && view_.joined) {
      view_.joined = false;  // deleted under us: join again as a new member
      spdlog::warn("membership: our member key was deleted; joining again");
    }
  } else {
    Member m = ParseMember(options_.members_prefix, kv);
    if (it == view_.members.end()) {
      spdlog::info("membership: {} joined ({} members)", id, view_.members.size() + 1);
      view_.members.push_back(std::move(m));
      std::sort(view_.members.begin(), view_.members.end(),
                [](const Member& a, const Member& b) { return a.id < b.id; });
    } else {
      *it = std::move(m);
    }
  }
  view_.revision = std::max(view_.revision, revision);
  Changed();
}

OwningMembers OwningMembersOf(const MembershipView& view) {
  OwningMembers out;
  const Member* newest = nullptr;
  for (const auto& m : view.members) {
    if (!newest || m.create_revision > newest->create_revision) newest = &m;
  }
  if (!newest) return out;
  out.digest = newest->config;
  for (const auto& m : view.members) {
    if (m.config == newest->config) out.ids.push_back(m.id);
  }
  return out;
}

}  // namespace registrar::controller
