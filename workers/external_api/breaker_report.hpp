#pragma once
// Publishes this process's circuit-breaker state to PostgreSQL every few seconds, where the API's
// GET /metrics reads it (the breaker lives in each worker process; the metrics in the API).
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "workers/gateway/circuit_breaker.hpp"

namespace checkout {

class BreakerReport {
  public:
    BreakerReport(std::string database_url, std::string gateway, std::shared_ptr<CircuitBreaker> breaker);
    ~BreakerReport();

  private:
    void Loop();
    std::string database_url_, gateway_, worker_;
    std::shared_ptr<CircuitBreaker> breaker_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace checkout
