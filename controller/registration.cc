#include "controller/registration.h"

namespace registrar::controller {

const char* ValueFormatName(ValueFormat format) {
  switch (format) {
    case ValueFormat::kPlain:
      return "plain";
    case ValueFormat::kJson:
      return "json";
    case ValueFormat::kGrpcNaming:
      return "grpc-naming";
    case ValueFormat::kSkyDns:
      return "skydns";
  }
  return "plain";
}

}  // namespace registrar::controller
