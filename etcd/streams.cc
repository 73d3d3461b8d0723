#include "etcd/streams.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "etcd/bidi_stream.h"
#include "etcd/convert.h"
#include "etcd/errors.h"

namespace registrar::etcd::internal {
namespace {

using KeepAliveBidi =
    BidiStream<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>;
using WatchBidi = BidiStream<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;

std::unique_ptr<grpc::ClientContext> StreamContext(const StreamTarget& target) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!target.token.empty()) context->AddMetadata("token", target.token);
  return context;
}

// Why a stream ended, as kUnavailable (the caller opens a new one).
absl::Status Closed(const grpc::Status& status, const std::string& what) {
  if (status.error_code() == grpc::StatusCode::CANCELLED) {
    return absl::UnavailableError(absl::StrCat(what, ": stream cancelled"));
  }
  return absl::UnavailableError(absl::StrCat(what, ": stream closed: ", status.error_message(),
                                             " (code ", static_cast<int>(status.error_code()),
                                             ")"));
}

class KeepAliveStreamImpl final : public KeepAliveStream {
 public:
  KeepAliveStreamImpl(etcdserverpb::Lease::Stub& stub, const StreamTarget& target, int64_t lease_id)
      : channel_(target.channel),
        what_(Describe("KeepAlive", absl::StrCat("lease ", lease_id), target.endpoint)),
        lease_id_(lease_id),
        timeout_(target.request_timeout),
        stream_(StreamContext(target),
                [&stub](grpc::ClientContext* context) { return stub.LeaseKeepAlive(context); }) {}

  absl::StatusOr<int64_t> KeepAliveOnce() override {
    if (broken_) return absl::UnavailableError(absl::StrCat(what_, ": stream already broken"));
    etcdserverpb::LeaseKeepAliveRequest request;
    request.set_id(lease_id_);
    etcdserverpb::LeaseKeepAliveResponse response;
    KeepAliveBidi::ReadResult result = KeepAliveBidi::ReadResult::kClosed;
    if (stream_.Write(request)) result = stream_.Read(&response, timeout_);
    switch (result) {
      case KeepAliveBidi::ReadResult::kOk:
        if (response.ttl() <= 0) {
          return absl::NotFoundError(absl::StrCat(what_, ": lease not found (expired or revoked)"));
        }
        return response.ttl();
      case KeepAliveBidi::ReadResult::kTimeout:
        // A late answer would be taken for the next request's: drop the stream.
        broken_ = true;
        stream_.Cancel();
        return absl::DeadlineExceededError(absl::StrCat(what_, ": no answer in time"));
      case KeepAliveBidi::ReadResult::kClosed:
        break;
    }
    broken_ = true;
    return Closed(stream_.WaitClosed(timeout_), what_);
  }

  void Cancel() override { stream_.Cancel(); }

 private:
  // The stream may outlive the Client; the call needs its channel.
  const std::shared_ptr<grpc::Channel> channel_;
  const std::string what_;
  const int64_t lease_id_;
  const Duration timeout_;
  bool broken_ = false;  // used by the one calling thread only
  KeepAliveBidi stream_;
};

class WatchStreamImpl final : public MemberWatchStream {
 public:
  WatchStreamImpl(etcdserverpb::Watch::Stub& stub, const StreamTarget& target,
                  const WatchOptions& options)
      : channel_(target.channel),
        key_(options.key),
        endpoint_(target.endpoint),
        what_(Describe("Watch", options.key, target.endpoint)),
        stream_(StreamContext(target),
                [&stub](grpc::ClientContext* context) { return stub.Watch(context); }) {}

  // Sends the create request and waits for etcd's confirmation.
  absl::Status Create(const WatchOptions& options, Duration timeout) {
    etcdserverpb::WatchRequest request;
    etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
    create->set_key(options.key);
    if (options.prefix) create->set_range_end(PrefixEnd(options.key));
    create->set_start_revision(options.start_revision);
    create->set_progress_notify(options.progress_notify);
    create->set_prev_kv(options.prev_kv);
    etcdserverpb::WatchResponse response;
    WatchBidi::ReadResult result = WatchBidi::ReadResult::kClosed;
    if (stream_.Write(request)) result = stream_.Read(&response, timeout);
    if (result == WatchBidi::ReadResult::kTimeout) {
      stream_.Cancel();
      return absl::DeadlineExceededError(absl::StrCat(what_, ": not confirmed in time"));
    }
    if (result == WatchBidi::ReadResult::kClosed) {
      const grpc::Status status = stream_.WaitClosed(timeout);
      // Keep gRPC's code (UNAVAILABLE drives failover) and its message.
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
        return FromGrpc(status, "Watch", key_, endpoint_);
      }
      return absl::UnavailableError(
          absl::StrCat(what_, ": stream closed before creation (", status.error_message(), ")"));
    }
    if (response.canceled()) {
      if (response.compact_revision() > 0) {
        pending_ = FromProto(response);
        return absl::OkStatus();
      }
      const std::string& reason = response.cancel_reason();
      // etcd names the cause only in the reason: a refusal of the caller's
      // credentials (or a stale token) is reported as such.
      const EtcdError error = ClassifyEtcdErrorText(reason);
      const absl::StatusCode code =
          error == EtcdError::kPermissionDenied || error == EtcdError::kInvalidToken
              ? absl::StatusCode::kPermissionDenied
              : absl::StatusCode::kFailedPrecondition;
      return absl::Status(code, absl::StrCat(what_, ": refused: ", reason));
    }
    created_revision_ = response.header().revision();
    if (!response.created() || response.events_size() > 0) pending_ = FromProto(response);
    return absl::OkStatus();
  }

  bool RequestProgress() override {
    etcdserverpb::WatchRequest request;
    request.mutable_progress_request();
    return stream_.Write(request);
  }

  int64_t created_revision() const override { return created_revision_; }

  absl::StatusOr<WatchResponse> Next(Duration timeout) override {
    if (pending_) {
      WatchResponse response = std::move(*pending_);
      pending_.reset();
      done_ = response.canceled;
      return response;
    }
    if (done_) return absl::UnavailableError(absl::StrCat(what_, ": watch ended"));
    etcdserverpb::WatchResponse response;
    switch (stream_.Read(&response, timeout)) {
      case WatchBidi::ReadResult::kOk: {
        WatchResponse out = FromProto(response);
        if (out.canceled) done_ = true;  // etcd sends nothing more on this watch
        return out;
      }
      case WatchBidi::ReadResult::kTimeout:
        return absl::DeadlineExceededError(absl::StrCat(what_, ": no response in time"));
      case WatchBidi::ReadResult::kClosed:
        break;
    }
    done_ = true;
    return Closed(stream_.status(), what_);
  }

  void Cancel() override { stream_.Cancel(); }

 private:
  const std::shared_ptr<grpc::Channel> channel_;  // as in KeepAliveStreamImpl
  const std::string key_;
  const std::string endpoint_;
  const std::string what_;                // "etcd Watch KEY on ENDPOINT"
  std::optional<WatchResponse> pending_;  // delivered by the first Next()
  bool done_ = false;                     // used by the one reading thread only
  int64_t created_revision_ = 0;          // set by Create()
  WatchBidi stream_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KeepAliveStream>> OpenKeepAliveStream(
    etcdserverpb::Lease::Stub& stub, const StreamTarget& target, int64_t lease_id) {
  return std::make_unique<KeepAliveStreamImpl>(stub, target, lease_id);
}

absl::StatusOr<std::unique_ptr<MemberWatchStream>> OpenWatchStream(etcdserverpb::Watch::Stub& stub,
                                                                   const StreamTarget& target,
                                                                   const WatchOptions& options) {
  auto stream = std::make_unique<WatchStreamImpl>(stub, target, options);
  absl::Status created = stream->Create(options, target.request_timeout);
  if (!created.ok()) return created;
  return stream;
}

}  // namespace registrar::etcd::internal
