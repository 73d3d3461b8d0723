// The registrar's runtime wired as main wires it, minus config: a real etcd,
// the etcd client, the Controller, the Prober probing real HTTP backends,
// Metrics observing all three and the AdminServer over a LiveStatus.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "controller/controller.h"
#include "etcd/client.h"
#include "metrics/metrics.h"
#include "probes/prober.h"
#include "status/live_status.h"
#include "tests/support/etcd_server.h"

namespace registrar::metrics::testing {

using admin::AdminServer;
using admin::AdminServerOptions;
using status::LiveStatus;

// Sends probe events to Metrics and health transitions to the Controller.
class Fanout final : public probes::ProbeObserver {
 public:
  Fanout(Metrics& metrics, controller::Controller& controller)
      : metrics_(metrics), controller_(controller) {}
  void OnResult(const probes::Target& target, const probes::ProbeResult& result,
                Duration schedule_lag) override {
    metrics_.OnResult(target, result, schedule_lag);
  }
  void OnTransition(const probes::Target& target, const probes::Transition& t) override {
    metrics_.OnTransition(target, t);
    controller_.OnHealth(target, t.to);
  }

 private:
  Metrics& metrics_;
  controller::Controller& controller_;
};

class FullStack {
 public:
  // Starts etcd and builds everything; the controller and prober start in
  // Run(), so a test can look at the server before.
  void SetUp();
  void Run(const std::vector<probes::Target>& targets);
  void TearDown();

  // Keys under /services/ as etcd holds them (key → value).
  std::map<std::string, std::string> EtcdKeys() const;

  registrar::testing::EtcdServer etcd;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<etcd::Client> client;
  std::unique_ptr<etcd::Client> reader;
  std::unique_ptr<controller::Controller> controller;
  std::unique_ptr<Fanout> fanout;
  std::unique_ptr<probes::Prober> prober;
  std::unique_ptr<LiveStatus> status;
  std::unique_ptr<AdminServer> server;

 private:
  SystemRandom controller_random_{7};
  SystemRandom prober_random_{11};
};

}  // namespace registrar::metrics::testing
