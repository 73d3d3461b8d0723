// Private to the etcd module: a gRPC bidirectional stream whose responses are
// read by a dedicated thread into a queue, so callers can wait for the next
// response with a timeout and any thread can cancel.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "common/clock.h"

namespace registrar::etcd::internal {

template <typename Request, typename Response>
class BidiStream final {
 public:
  using Opener = std::function<std::unique_ptr<grpc::ClientReaderWriter<Request, Response>>(
      grpc::ClientContext*)>;

  // Opens the stream with `context` (metadata already set) and starts reading.
  BidiStream(std::unique_ptr<grpc::ClientContext> context, const Opener& open)
      : context_(std::move(context)), stream_(open(context_.get())) {
    reader_ = std::thread([this] { ReadLoop(); });
  }
  ~BidiStream() {
    Cancel();
    reader_.join();
  }
  BidiStream(const BidiStream&) = delete;
  BidiStream& operator=(const BidiStream&) = delete;

  // False when the stream is closed or broken.
  bool Write(const Request& request) {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (finished_) return false;
    return stream_->Write(request);
  }

  enum class ReadResult { kOk, kTimeout, kClosed };
  // Queued responses are delivered before kClosed.
  ReadResult Read(Response* out, Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return !queue_.empty() || closed_; });
    if (!queue_.empty()) {
      *out = std::move(queue_.front());
      queue_.pop_front();
      return ReadResult::kOk;
    }
    return closed_ ? ReadResult::kClosed : ReadResult::kTimeout;
  }

  // Ends the stream; wakes Read(). Any thread.
  void Cancel() { context_->TryCancel(); }

  // After a failed Write(): waits up to `timeout` for gRPC to end the stream
  // (cancelling it if it does not) and returns the final status, so the
  // caller reports gRPC's reason rather than its own cancellation.
  grpc::Status WaitClosed(Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return closed_; })) {
      lock.unlock();
      Cancel();
      lock.lock();
      cv_.wait(lock, [this] { return closed_; });
    }
    queue_.clear();
    return status_;
  }

  // The final status once Read() returned kClosed.
  grpc::Status status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  void ReadLoop() {
    Response response;
    while (stream_->Read(&response)) {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(response));
      cv_.notify_all();
    }
    grpc::Status status;
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      finished_ = true;
      status = stream_->Finish();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_ = std::move(status);
      closed_ = true;
    }
    cv_.notify_all();
  }

  const std::unique_ptr<grpc::ClientContext> context_;  // constant after construction
  const std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream_;
  std::mutex write_mu_;    // serialises Write() with Finish()
  bool finished_ = false;  // guarded by write_mu_
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Response> queue_;  // guarded by mu_
  bool closed_ = false;         // guarded by mu_
  grpc::Status status_;         // guarded by mu_
  std::thread reader_;          // started last, joined in the destructor
};

}  // namespace registrar::etcd::internal
