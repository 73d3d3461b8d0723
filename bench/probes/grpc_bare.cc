#include "bench/probes/grpc_bare.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "bench/probes/grpc_backend.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace registrar::bench {
namespace {

namespace health = grpc::health::v1;
using Clock = std::chrono::steady_clock;

struct Call {
  int target = 0;
  Clock::time_point planned;
  grpc::ClientContext context;
  health::HealthCheckRequest request;
  health::HealthCheckResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<health::HealthCheckResponse>> reader;
};

}  // namespace

Figures RunBareGrpc(const BareGrpcOptions& o) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per target, as the prober
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  std::string address = "127.0.0.1:" + std::to_string(o.port);
  std::vector<std::unique_ptr<health::Health::Stub>> stubs;
  for (int i = 0; i < o.targets; ++i) {
    stubs.push_back(health::Health::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
  }
  auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.period_s));
  auto timeout = std::chrono::duration<double>(o.timeout_s);
  // Due times: a min-heap of (due, target), each target at a random phase.
  using Due = std::pair<Clock::time_point, int>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due;
  std::mt19937_64 random(7);
  Clock::time_point start = Clock::now();
  for (int i = 0; i < o.targets; ++i) {
    due.emplace(start + Clock::duration(
                            static_cast<int64_t>(random() % static_cast<uint64_t>(period.count()))),
                i);
  }
  grpc::CompletionQueue cq;
  Clock::time_point window_start = start + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(o.warmup_s));
  Clock::time_point window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(o.measure_s));
  Figures f;
  std::vector<int64_t> lags;
  bool measuring = false;
  double cpu0 = 0;
  int in_flight = 0;
  for (;;) {
    Clock::time_point now = Clock::now();
    if (!measuring && now >= window_start) {
      measuring = true;
      cpu0 = ProcessCpuSeconds();
    }
    if (now >= window_end) break;
    while (!due.empty() && due.top().first <= now) {
      auto [planned, i] = due.top();
      due.pop();
      auto* call = new Call;
      call->target = i;
      call->planned = planned;
      call->context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
      if (measuring) lags.push_back((now - planned).count());
      call->reader =
          stubs[static_cast<size_t>(i)]->PrepareAsyncCheck(&call->context, call->request, &cq);
      call->reader->StartCall();
      call->reader->Finish(&call->response, &call->status, call);
      ++in_flight;
      due.emplace(planned + period, i);
    }
    Clock::time_point wake = due.empty() ? now + period : due.top().first;
    void* tag = nullptr;
    bool ok = false;
    // Deliver every finished call, then wait for the next due time.
    while (cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + (wake - Clock::now())) ==
           grpc::CompletionQueue::GOT_EVENT) {
      std::unique_ptr<Call> call(static_cast<Call*>(tag));
      --in_flight;
      bool serving =
          call->status.ok() && call->response.status() == health::HealthCheckResponse::SERVING;
      if (measuring && Clock::now() < window_end) {
        ++f.probes;
        f.failures += !serving;
      }
      if (Clock::now() >= wake) break;
    }
  }
  f.cpu_seconds = ProcessCpuSeconds() - cpu0;
  f.seconds = o.measure_s;
  f.rss_mb = RssMb();
  // Let the calls in flight end before the queue goes.
  while (in_flight > 0) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;
    delete static_cast<Call*>(tag);
    --in_flight;
  }
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  SetLags(f, lags);
  return f;
}

}  // namespace registrar::bench
