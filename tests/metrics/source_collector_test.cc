// SourceCollector: one set of series per target source, from the status
// model, with every failure reason present (at 0) so rate() works at once.
#include "metrics/source_collector.h"

#include <gtest/gtest.h>

#include <memory>

#include "tests/metrics/test_util.h"

namespace registrar::metrics {
namespace {

using testing::FakeStatus;
using testing::Sample;

TEST(SourceCollector, ExportsEachSourceWithItsFailuresAndHeldChanges) {
  FakeStatus status;
  SourceCollector collector(status);
  auto text = [&] {
    return testing::Exposition(
        {std::shared_ptr<prometheus::Collectable>(&collector, [](auto*) {})});
  };
  EXPECT_EQ(text().find("registrar_source_"), std::string::npos) << "no source, no series";

  sources::SourceState s;
  s.spec.kind = sources::SourceKind::kHttpSd;
  s.spec.service = "orders";
  s.name = "httpSd http://cmdb.example/sd";
  s.targets = 12;
  s.answered = true;
  s.last_success = WallTime(std::chrono::seconds(1700000000));
  s.last_error = "HTTP 500";
  s.failures = {{"http_status", 4}};
  s.refreshes = 30;
  s.changes_applied = 2;
  s.changes_held = 1;
  s.held_removals = 9;
  status.SetSources({s});
  const std::string out = text();
  const std::map<std::string, std::string> labels = {
      {"service", "orders"}, {"kind", "httpSd"}, {"source", s.name}};
  auto with = [&](const char* k, const char* v) {
    auto l = labels;
    l[k] = v;
    return l;
  };
  EXPECT_EQ(Sample(out, "registrar_source_up", labels), 0) << "the last refresh failed";
  EXPECT_EQ(Sample(out, "registrar_source_targets", labels), 12);
  EXPECT_EQ(Sample(out, "registrar_source_last_success_timestamp_seconds", labels), 1.7e9);
  EXPECT_EQ(Sample(out, "registrar_source_refreshes_total", labels), 30);
  EXPECT_EQ(Sample(out, "registrar_source_refresh_failures_total", with("reason", "http_status")),
            4);
  EXPECT_EQ(Sample(out, "registrar_source_refresh_failures_total", with("reason", "timeout")), 0);
  EXPECT_EQ(Sample(out, "registrar_source_changes_total", with("outcome", "applied")), 2);
  EXPECT_EQ(Sample(out, "registrar_source_changes_total", with("outcome", "held")), 1);
  EXPECT_EQ(Sample(out, "registrar_source_held_removals", labels), 9);

  s.last_error.clear();
  status.SetSources({s});
  EXPECT_EQ(Sample(text(), "registrar_source_up", labels), 1);
}

}  // namespace
}  // namespace registrar::metrics
