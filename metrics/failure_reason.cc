#include "metrics/failure_reason.h"

namespace registrar::metrics {

std::string_view FailureReason(std::string_view reason) {
  auto starts = [reason](std::string_view prefix) { return reason.starts_with(prefix); };
  auto has = [reason](std::string_view part) {
    return reason.find(part) != std::string_view::npos;
  };
  if (starts("timeout") || has("timed out")) return "timeout";
  if (starts("connection refused")) return "refused";
  if (starts("connection reset")) return "reset";
  if (starts("status ")) return "status";
  if (starts("body ") || starts("invalid body regex")) return "body";
  if (starts("TLS") || has("certificate") || has("SSL")) return "tls";
  if (has("resolve")) return "dns";
  return "other";
}

}  // namespace registrar::metrics
