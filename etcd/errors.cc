#include "etcd/errors.h"

namespace registrar::etcd {
namespace {

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool Says(const absl::Status& status, std::string_view text) {
  const absl::string_view message = status.message();
  return Contains(std::string_view(message.data(), message.size()), text);
}

}  // namespace

EtcdError ClassifyEtcdError(const absl::Status& status) {
  using Code = absl::StatusCode;
  switch (status.code()) {
    case Code::kOk:
      return EtcdError::kNone;
    case Code::kDeadlineExceeded:
    case Code::kCancelled:
      return EtcdError::kUnreachable;
    case Code::kUnavailable:
      if (Says(status, "etcdserver: no leader") || Says(status, "etcdserver: leader changed") ||
          Says(status, "etcdserver: request timed out") ||
          Says(status, "etcdserver: unhealthy cluster")) {
        return EtcdError::kNoLeader;
      }
      return EtcdError::kUnreachable;
    case Code::kResourceExhausted:
      if (Says(status, "database space exceeded")) return EtcdError::kNoSpace;
      if (Says(status, "too many requests")) return EtcdError::kTooManyRequests;
      // gRPC's own limit on a message's size ("received message larger than
      // max", "trying to send message larger than max").
      if (Says(status, "larger than max")) return EtcdError::kRequestTooLarge;
      return EtcdError::kTooManyRequests;
    case Code::kDataLoss:
      return Says(status, "corrupt") ? EtcdError::kCorrupt : EtcdError::kOther;
    case Code::kInvalidArgument:
      if (Says(status, "request is too large")) return EtcdError::kRequestTooLarge;
      if (Says(status, "authentication failed")) return EtcdError::kAuthFailed;
      if (Says(status, "user name is empty")) return EtcdError::kInvalidToken;
      return EtcdError::kInvalidRequest;
    case Code::kNotFound:
      return Says(status, "lease not found") ? EtcdError::kLeaseNotFound : EtcdError::kOther;
    case Code::kOutOfRange:
      if (Says(status, "compacted")) return EtcdError::kCompacted;
      if (Says(status, "future revision")) return EtcdError::kFutureRevision;
      return EtcdError::kOther;
    case Code::kUnauthenticated:
      return EtcdError::kInvalidToken;
    case Code::kPermissionDenied:
      return EtcdError::kPermissionDenied;
    case Code::kFailedPrecondition:
      if (Says(status, "auth store is old")) return EtcdError::kInvalidToken;
      if (Says(status, "authentication is not enabled")) return EtcdError::kAuthNotEnabled;
      return EtcdError::kOther;
    default:
      return ClassifyEtcdErrorText(
          std::string_view(status.message().data(), status.message().size()));
  }
}

EtcdError ClassifyEtcdErrorText(std::string_view text) {
  struct Known {
    std::string_view text;
    EtcdError error;
  };
  static constexpr Known kKnown[] = {
      {"permission denied", EtcdError::kPermissionDenied},
      {"invalid auth token", EtcdError::kInvalidToken},
      {"auth store is old", EtcdError::kInvalidToken},
      {"authentication failed", EtcdError::kAuthFailed},
      {"required revision has been compacted", EtcdError::kCompacted},
      {"required revision is a future revision", EtcdError::kFutureRevision},
      {"database space exceeded", EtcdError::kNoSpace},
      {"corrupt cluster", EtcdError::kCorrupt},
      {"requested lease not found", EtcdError::kLeaseNotFound},
      {"request is too large", EtcdError::kRequestTooLarge},
      {"too many requests", EtcdError::kTooManyRequests},
      {"no leader", EtcdError::kNoLeader},
      {"leader changed", EtcdError::kNoLeader},
  };
  for (const Known& known : kKnown) {
    if (Contains(text, known.text)) return known.error;
  }
  return EtcdError::kOther;
}

std::string_view EtcdErrorName(EtcdError error) {
  switch (error) {
    case EtcdError::kNone:
      return "none";
    case EtcdError::kUnreachable:
      return "unreachable";
    case EtcdError::kNoLeader:
      return "no_leader";
    case EtcdError::kTooManyRequests:
      return "too_many_requests";
    case EtcdError::kNoSpace:
      return "no_space";
    case EtcdError::kCorrupt:
      return "corrupt";
    case EtcdError::kRequestTooLarge:
      return "request_too_large";
    case EtcdError::kInvalidRequest:
      return "invalid_request";
    case EtcdError::kLeaseNotFound:
      return "lease_not_found";
    case EtcdError::kCompacted:
      return "compacted";
    case EtcdError::kFutureRevision:
      return "future_revision";
    case EtcdError::kInvalidToken:
      return "invalid_token";
    case EtcdError::kPermissionDenied:
      return "permission_denied";
    case EtcdError::kAuthFailed:
      return "auth_failed";
    case EtcdError::kAuthNotEnabled:
      return "auth_not_enabled";
    case EtcdError::kOther:
      return "other";
  }
  return "other";
}

bool IsRequestsOwnFault(EtcdError error) {
  return error == EtcdError::kRequestTooLarge || error == EtcdError::kInvalidRequest;
}

bool IsClusterAlarm(EtcdError error) {
  return error == EtcdError::kNoSpace || error == EtcdError::kCorrupt;
}

}  // namespace registrar::etcd
