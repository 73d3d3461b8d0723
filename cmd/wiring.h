// Adapters between modules that must not know each other (private to cmd/).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "admin/drain_control.h"
#include "config/config.h"
#include "controller/controller.h"
#include "etcd/client.h"
#include "registration/drain_store.h"

namespace registrar {

// The admin API's drain endpoints on the etcd-backed store: only targets in
// the target set (configured or from a source) can be drained; undrain of a target that is not
// drained is OK.
class DrainApi final : public admin::DrainControl {
 public:
  DrainApi(controller::DrainStore& store, const controller::Controller& controller)
      : store_(store), controller_(controller) {}
  absl::Status Drain(const std::string& target_id, const std::string& reason,
                     std::optional<Duration> duration, const std::string& who) override;
  absl::Status Undrain(const std::string& target_id, const std::string& who) override;

 private:
  controller::DrainStore& store_;
  const controller::Controller& controller_;
};

// The per-service registration settings of a config.
std::vector<controller::ServiceRegistration> Registrations(const config::Config& config);
// The etcd client settings of a config.
etcd::ClientOptions EtcdClientOptions(const config::EtcdConfig& c,
                                      etcd::RequestObserver* observer = nullptr);

}  // namespace registrar
