#include "probes/transports/curl_transport.h"

#include <functional>
#include <string>

#include "probes/event_loop.h"

namespace registrar::probes {

CurlPool::~CurlPool() {
  for (CURL* easy : idle_) curl_easy_cleanup(easy);
}

CURL* CurlPool::Take() {
  if (idle_.empty()) return curl_easy_init();
  CURL* easy = idle_.back();
  idle_.pop_back();
  curl_easy_reset(easy);
  return easy;
}

void CurlPool::Return(CURL* easy) { idle_.push_back(easy); }

void CurlPool::DrainCompleted() {
  loop_.DrainCompleted([](int /*shard*/, CURL* easy, CURLcode code) {
    // Only live transports have handles in a multi (Abort and the destructor
    // take theirs out), so the owner is alive.
    void* owner = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
    static_cast<CurlTransport*>(owner)->OnFinished(easy, code);
  });
}

std::unique_ptr<Transport> CurlTransport::Make(const Target& target, TransportEnv& env, Done done) {
  return std::make_unique<CurlTransport>(target, env, std::move(done));
}

CurlTransport::CurlTransport(const Target& target, TransportEnv& env, Done done)
    : spec_(target.probe), env_(env), done_(std::move(done)), check_(target, env.trust) {
  shard_ = static_cast<int>(std::hash<std::string>{}(target.Id()) % EventLoop::kShards);
}

CurlTransport::~CurlTransport() { Detach(); }

void CurlTransport::Start() {
  CURL* easy = env_.curl.Take();
  if (easy == nullptr) {
    Verdict v = FailedVerdict(FailureClass::kLocalResource, "cannot start probe: out of memory");
    v.local_error = "enomem";
    Finish(std::move(v));
    return;
  }
  check_.Configure(easy, this);
  env_.loop.Attach(easy);
  CURLMcode rc = curl_multi_add_handle(env_.loop.multi(shard_), easy);
  if (rc != CURLM_OK) {
    env_.curl.Return(easy);
    Verdict v = FailedVerdict(FailureClass::kLocalResource,
                              std::string("cannot start probe: ") + curl_multi_strerror(rc));
    v.local_error = "other";
    Finish(std::move(v));
    return;
  }
  easy_ = easy;
}

void CurlTransport::OnFinished(CURL* easy, CURLcode code) {
  Verdict v = check_.Judge(easy, code);
  if (code == CURLE_COULDNT_CONNECT && v.local_error.empty()) {
    long os_errno = 0;
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
    int open_errno = os_errno == 0 ? env_.loop.TakeOpenError() : 0;
    if (IsLocalError(open_errno)) v = LocalFailure("cannot open socket", open_errno);
  }
  Detach();
  Finish(std::move(v));
}

void CurlTransport::TimeOut() {
  if (easy_ == nullptr) return;
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  Detach();
  Finish(FailedVerdict(FailureClass::kTimeout, TimeoutReason(spec_), static_cast<int>(status)));
}

void CurlTransport::Abort() { Detach(); }

void CurlTransport::Detach() {
  if (easy_ == nullptr) return;
  curl_multi_remove_handle(env_.loop.multi(shard_), easy_);
  env_.curl.Return(easy_);
  easy_ = nullptr;
}

void CurlTransport::Finish(Verdict v) {
  verdict_ = std::move(v);
  done_();
}

}  // namespace registrar::probes
