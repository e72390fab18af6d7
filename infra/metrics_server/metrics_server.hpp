#pragma once
// The /metrics listener of a worker, relay, keeper or scheduler process: serves ProcessMetrics()
// (plus process_cpu_seconds_total, process_resident_memory_bytes and process_start_time_seconds) on
// METRICS_PORT, so that Prometheus scrapes every process by itself and nothing is counted twice.
#include <memory>
#include <string>

#include "infra/core/config.hpp"

namespace checkout {

class MetricsServer {
  public:
    // nullptr when METRICS_PORT is "off". Port 0 picks a free one; the port is logged and written to
    // METRICS_PORT_FILE (scripts/prometheus_config.sh reads those files). Throws std::runtime_error
    // naming METRICS_PORT when the port cannot be bound.
    static std::unique_ptr<MetricsServer> Start(const Environment& env);
    ~MetricsServer();
    int port() const { return port_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int port_ = 0;
};

}  // namespace checkout
