// Shared fixture of the controller's integration tests: a real etcd on a free
// loopback port, a client for the controller, a second client for the test's
// own reads, and an observer that counts what the controller did.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "controller/controller.h"
#include "etcd/client.h"
#include "tests/controller/test_client.h"
#include "tests/support/etcd_server.h"
#include "tests/support/wait.h"

namespace registrar::controller {

class CountingObserver final : public ControllerObserver {
 public:
  void OnReconcile(ReconcileOutcome outcome, Duration) override {
    ++reconciles;
    if (outcome == ReconcileOutcome::kError) ++reconcile_errors;
  }
  void OnRegisteredKeys(size_t keys) override { registered = static_cast<int64_t>(keys); }
  void OnLease(int64_t id, int64_t) override { lease = id; }
  void OnLeaseRegrant() override { ++regrants; }
  void OnKeepAliveFailure() override { ++keepalive_failures; }
  void OnDriftRepair(size_t repaired) override { drift_repairs += static_cast<int64_t>(repaired); }
  void OnTxn(size_t ops) override {
    ++txns;
    txn_ops += static_cast<int64_t>(ops);
  }

  void OnEtcdAlarm(std::string_view alarm) override {
    std::lock_guard lock(alarm_mu_);
    alarm_ = std::string(alarm);
  }
  std::string Alarm() {
    std::lock_guard lock(alarm_mu_);
    return alarm_;
  }

  std::atomic<int64_t> reconciles{0};
  std::atomic<int64_t> reconcile_errors{0};
  std::atomic<int64_t> registered{0};
  std::atomic<int64_t> lease{0};
  std::atomic<int64_t> regrants{0};
  std::atomic<int64_t> keepalive_failures{0};
  std::atomic<int64_t> drift_repairs{0};
  std::atomic<int64_t> txns{0};
  std::atomic<int64_t> txn_ops{0};

 private:
  std::mutex alarm_mu_;
  std::string alarm_;  // guarded by alarm_mu_
};

inline probes::Target MakeTarget(const std::string& service, int port,
                                 const std::string& host = "127.0.0.1") {
  probes::Target t;
  t.service = service;
  t.host = host;
  t.port = port;
  return t;
}

// Every key under `prefix` as `client` reads it now (empty map on error).
inline std::map<std::string, etcd::KeyValue> KeysIn(etcd::Client& client,
                                                    const std::string& prefix) {
  etcd::RangeOptions options;
  options.prefix = true;
  auto result = client.Range(prefix, options);
  std::map<std::string, etcd::KeyValue> out;
  if (!result.ok()) return out;
  for (auto& kv : result->kvs) out[kv.key] = kv;
  return out;
}

// Whether `key` is in etcd (with `value`, when one is given).
inline bool HasKeyIn(etcd::Client& client, const std::string& key, const std::string& value) {
  auto keys = KeysIn(client, key);
  auto it = keys.find(key);
  return it != keys.end() && (value.empty() || it->second.value == value);
}

// A controller as the tests build it: etcd retries capped at 500 ms.
inline std::unique_ptr<Controller> NewTestController(etcd::Client& client, Clock& clock,
                                                     Random& random,
                                                     const RegistrationOptions& options,
                                                     std::vector<ServiceRegistration> services,
                                                     ControllerObserver* observer) {
  ControllerTuning tuning;
  tuning.backoff.max = std::chrono::milliseconds(500);
  return std::make_unique<Controller>(client, clock, random, options, std::move(services), observer,
                                      tuning);
}

class ControllerTest : public ::testing::Test {
 protected:
  explicit ControllerTest(testing::EtcdServer::Options etcd_options = {})
      : etcd_(std::move(etcd_options)) {}

  void SetUp() override {
    ASSERT_TRUE(etcd_.Start().ok()) << etcd_.log();
    auto client = testing::ConnectTestClient(etcd_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    auto reader = testing::ConnectTestClient(etcd_);
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_ = *std::move(reader);
    options_.lease_ttl = std::chrono::seconds(2);
  }

  void TearDown() override {
    if (controller_) controller_->Stop(true);
    controller_.reset();
  }

  Controller& MakeController(std::vector<ServiceRegistration> services = {}) {
    controller_ = NewTestController(*client_, RealClock(), random_, options_, std::move(services),
                                    &observer_);
    return *controller_;
  }

  // Every key under `prefix` as etcd holds it now (empty map on error).
  std::map<std::string, etcd::KeyValue> Keys(const std::string& prefix = "/services/") {
    return KeysIn(*reader_, prefix);
  }

  bool HasKey(const std::string& key, const std::string& value = "") {
    return HasKeyIn(*reader_, key, value);
  }

  bool KeyCountIs(size_t n, const std::string& prefix = "/services/") {
    return Keys(prefix).size() == n;
  }

  testing::EtcdServer etcd_;
  std::unique_ptr<etcd::Client> client_;
  std::unique_ptr<etcd::Client> reader_;
  SystemRandom random_{1};
  RegistrationOptions options_;
  CountingObserver observer_;
  std::unique_ptr<Controller> controller_;
};

}  // namespace registrar::controller
