// Process logging: spdlog's default logger to stderr, as text or JSON lines;
// gRPC's own log lines are routed through it.
#pragma once

#include <string>

namespace registrar {

// level: trace | debug | info | warn | error; format: text | json. Config
// validation has already checked both.
void SetUpLogging(const std::string& level, const std::string& format);

}  // namespace registrar
