// The libcurl path: one target's probe as a transfer on the loop's curl
// multi handles (redirects to follow, IPv6 zones, tlsSocket probes to names;
// every probe when the direct path is off). Module-private; loop thread only.
//
// A `CurlPool` keeps idle easy handles for reuse and turns finished transfers
// back into their transports' verdicts; a `CurlTransport` configures a pooled
// handle for one probe through its `Check` (check.h). libcurl times the
// transfer itself too (CURLOPT_TIMEOUT_MS); whichever deadline comes first
// ends the probe with the same "timeout after …" reason. No free descriptor
// or local port is a local error (transport.h).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <vector>

#include "probes/transports/check.h"
#include "probes/transports/transport.h"

namespace registrar::probes {

class EventLoop;

class CurlPool final {
 public:
  explicit CurlPool(EventLoop& loop) : loop_(loop) {}
  ~CurlPool();
  CurlPool(const CurlPool&) = delete;
  CurlPool& operator=(const CurlPool&) = delete;

  // A freshly reset handle.
  CURL* Take();
  void Return(CURL* easy);
  // Hands every transfer that finished since the last call to its transport.
  void DrainCompleted();
  EventLoop& loop() { return loop_; }

 private:
  EventLoop& loop_;
  std::vector<CURL*> idle_;
};

class CurlTransport final : public Transport {
 public:
  static bool Supports(const Target&, const TransportEnv&) { return true; }
  static std::unique_ptr<Transport> Make(const Target& target, TransportEnv& env, Done done);

  CurlTransport(const Target& target, TransportEnv& env, Done done);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  void Start() override;
  void TimeOut() override;
  void Abort() override;
  Verdict TakeVerdict() override { return std::move(verdict_); }

  // The transfer on `easy` (one of ours) finished with `code`.
  void OnFinished(CURL* easy, CURLcode code);

 private:
  void Detach();
  void Finish(Verdict v);

  const ProbeSpec& spec_;
  TransportEnv& env_;
  Done done_;
  Check check_;
  int shard_ = 0;
  CURL* easy_ = nullptr;  // while a transfer is in flight
  Verdict verdict_;
};

}  // namespace registrar::probes
