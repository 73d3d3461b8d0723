// Structured fields of the log lines a thread is writing: while a LogFields
// lives, the json log format (cmd/logging.h) adds them to every line this
// thread logs as members of their own ({"service":"web","target":"web/
// 10.0.0.5:8080"}), so a log pipeline can filter by them without parsing
// "msg". The text format leaves them out (the message names the target).
//
// Thread-safety: the fields belong to the constructing thread; the logger
// formats on the calling thread (a synchronous sink), so it sees them.
#pragma once

#include <string_view>

namespace registrar {

class LogFields final {
 public:
  // `service` and `target` must outlive this object; empty means absent.
  LogFields(std::string_view service, std::string_view target)
      : service_(service), target_(target), outer_(current_) {
    current_ = this;
  }
  ~LogFields() { current_ = outer_; }
  LogFields(const LogFields&) = delete;
  LogFields& operator=(const LogFields&) = delete;

  // The innermost fields of this thread, or nullptr.
  static const LogFields* Current() { return current_; }
  std::string_view service() const { return service_; }
  std::string_view target() const { return target_; }

 private:
  const std::string_view service_;
  const std::string_view target_;
  const LogFields* const outer_;
  static inline thread_local const LogFields* current_ = nullptr;
};

}  // namespace registrar
