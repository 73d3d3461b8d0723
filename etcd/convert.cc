#include "etcd/convert.h"

#include "etcd/errors.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace registrar::etcd::internal {
namespace {

bool ValidPort(absl::string_view port) {
  int value = 0;
  return !port.empty() && absl::SimpleAtoi(port, &value) && value > 0 && value <= 65535;
}

}  // namespace

absl::StatusOr<ParsedEndpoint> ParseEndpoint(absl::string_view endpoint) {
  ParsedEndpoint parsed;
  absl::string_view rest = endpoint;
  if (absl::StartsWith(rest, "https://")) {
    parsed.https = true;
    rest.remove_prefix(8);
  } else if (absl::StartsWith(rest, "http://")) {
    rest.remove_prefix(7);
  } else if (absl::StrContains(rest, "://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd endpoint \"", endpoint, "\": scheme must be http:// or https://"));
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 || !ValidPort(rest.substr(colon + 1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd endpoint \"", endpoint, "\": want host:port or http(s)://host:port"));
  }
  absl::string_view host = rest.substr(0, colon);
  if (host.front() == '[' ? host.back() != ']'
                          : absl::StrContains(host, ':') || absl::StrContains(host, '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd endpoint \"", endpoint, "\": bad host \"", host, "\""));
  }
  parsed.address = std::string(rest);
  return parsed;
}

std::string Describe(absl::string_view op, absl::string_view subject, absl::string_view endpoint) {
  std::string text = absl::StrCat("etcd ", op);
  if (!subject.empty()) absl::StrAppend(&text, " ", subject);
  if (!endpoint.empty()) absl::StrAppend(&text, " on ", endpoint);
  return text;
}

absl::Status FromGrpc(const grpc::Status& status, absl::string_view op, absl::string_view subject,
                      absl::string_view endpoint) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(Describe(op, subject, endpoint), ": ", status.error_message()));
}

bool IsTokenRejected(const grpc::Status& status) {
  if (status.ok()) return false;
  return ClassifyEtcdError(absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                        status.error_message())) == EtcdError::kInvalidToken;
}

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  KeyValue out;
  out.key = kv.key();
  out.value = kv.value();
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.version = kv.version();
  out.lease = kv.lease();
  return out;
}

WatchResponse FromProto(const etcdserverpb::WatchResponse& response) {
  WatchResponse out;
  out.header_revision = response.header().revision();
  out.canceled = response.canceled();
  out.compact_revision = response.compact_revision();
  out.cancel_reason = response.cancel_reason();
  out.events.reserve(response.events_size());
  for (const mvccpb::Event& event : response.events()) {
    WatchEvent& e = out.events.emplace_back();
    e.type =
        event.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
    e.kv = FromProto(event.kv());
    if (event.has_prev_kv()) e.prev_kv = FromProto(event.prev_kv());
  }
  return out;
}

etcdserverpb::Compare ToProto(const Compare& compare) {
  etcdserverpb::Compare out;
  out.set_key(compare.key);
  if (!compare.range_end.empty()) out.set_range_end(compare.range_end);
  switch (compare.result) {
    case Compare::Result::kEqual:
      out.set_result(etcdserverpb::Compare::EQUAL);
      break;
    case Compare::Result::kGreater:
      out.set_result(etcdserverpb::Compare::GREATER);
      break;
    case Compare::Result::kLess:
      out.set_result(etcdserverpb::Compare::LESS);
      break;
    case Compare::Result::kNotEqual:
      out.set_result(etcdserverpb::Compare::NOT_EQUAL);
      break;
  }
  switch (compare.target) {
    case Compare::Target::kVersion:
      out.set_target(etcdserverpb::Compare::VERSION);
      out.set_version(compare.number);
      break;
    case Compare::Target::kCreateRevision:
      out.set_target(etcdserverpb::Compare::CREATE);
      out.set_create_revision(compare.number);
      break;
    case Compare::Target::kModRevision:
      out.set_target(etcdserverpb::Compare::MOD);
      out.set_mod_revision(compare.number);
      break;
    case Compare::Target::kValue:
      out.set_target(etcdserverpb::Compare::VALUE);
      out.set_value(compare.value);
      break;
    case Compare::Target::kLease:
      out.set_target(etcdserverpb::Compare::LEASE);
      out.set_lease(compare.number);
      break;
  }
  return out;
}

etcdserverpb::RequestOp ToProto(const Op& op) {
  etcdserverpb::RequestOp out;
  if (op.type == Op::Type::kPut) {
    etcdserverpb::PutRequest* put = out.mutable_request_put();
    put->set_key(op.key);
    put->set_value(op.value);
    put->set_lease(op.lease);
  } else {
    etcdserverpb::DeleteRangeRequest* del = out.mutable_request_delete_range();
    del->set_key(op.key);
    if (op.prefix) del->set_range_end(PrefixEnd(op.key));
  }
  return out;
}

}  // namespace registrar::etcd::internal
