#pragma once
// The daemon's own endpoints: liveness, readiness, metrics and version. Task endpoints
// are registered by the task manager's routes.

#include <atomic>

#include "api/router.h"
#include "daemon/daemon_metrics.h"

namespace tideway::daemon {

/// What the service endpoints read; owned by the Daemon, shared with I/O threads.
struct ServiceState {
  std::atomic<bool> store_open{false};
  std::atomic<bool> stopping{false};
};

/// Registers GET /healthz (public), /readyz, /metrics (public when `metrics_auth` is
/// false), /v1/version. The references must outlive the router.
void add_service_routes(api::Router& router, const ServiceState& state,
                        const DaemonMetrics& metrics, bool metrics_auth);

}  // namespace tideway::daemon
