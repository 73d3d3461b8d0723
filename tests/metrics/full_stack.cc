#include "tests/metrics/full_stack.h"

namespace registrar::metrics::testing {

void FullStack::SetUp() {
  ASSERT_TRUE(etcd.Start().ok()) << etcd.log();
  MetricsOptions metrics_options;
  metrics_options.version = "0.1.0";
  metrics_options.revision = "test";
  auto m = Metrics::Create(metrics_options);
  ASSERT_TRUE(m.ok()) << m.status();
  metrics = std::move(*m);

  etcd::ClientOptions options;
  options.endpoints = {etcd.endpoint()};
  options.request_timeout = std::chrono::seconds(3);
  options.observer = metrics.get();
  auto c = etcd::Client::Create(options);
  ASSERT_TRUE(c.ok()) << c.status();
  client = std::move(*c);
  options.observer = nullptr;
  auto r = etcd::Client::Create(options);
  ASSERT_TRUE(r.ok()) << r.status();
  reader = std::move(*r);

  controller::RegistrationOptions registration;
  registration.lease_ttl = std::chrono::seconds(10);
  controller::ControllerTuning tuning;
  tuning.backoff.max = std::chrono::milliseconds(500);
  controller = std::make_unique<controller::Controller>(
      *client, RealClock(), controller_random_, registration,
      std::vector<controller::ServiceRegistration>{}, metrics.get(), tuning);
  fanout = std::make_unique<Fanout>(*metrics, *controller);
  prober = probes::Prober::Create(RealClock(), prober_random_, {}, fanout.get());
  status = std::make_unique<LiveStatus>(*prober, *controller);

  AdminServerOptions server_options;
  server_options.listen_address = "127.0.0.1:0";
  server_options.collectables = metrics->Collectables();
  auto s = AdminServer::Start(server_options, *status);
  ASSERT_TRUE(s.ok()) << s.status();
  server = std::move(*s);
}

void FullStack::Run(const std::vector<probes::Target>& targets) {
  metrics->SetTargets(targets);
  prober->SetTargets(targets);
  status->SetConfigLoaded(true);
  controller->Start();
  prober->Start();
}

void FullStack::TearDown() {
  if (server) server->Stop();
  if (prober) prober->Stop();
  if (controller) controller->Stop(true);
}

std::map<std::string, std::string> FullStack::EtcdKeys() const {
  etcd::RangeOptions options;
  options.prefix = true;
  std::map<std::string, std::string> out;
  auto result = reader->Range("/services/", options);
  if (!result.ok()) return out;
  for (const auto& kv : result->kvs) out[kv.key] = kv.value;
  return out;
}

}  // namespace registrar::metrics::testing
