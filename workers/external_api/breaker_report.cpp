#include "workers/external_api/breaker_report.hpp"

#include <unistd.h>

#include <chrono>

#include "infra/core/log.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout {

BreakerReport::BreakerReport(std::string database_url, std::string gateway,
                             std::shared_ptr<CircuitBreaker> breaker)
    : database_url_(std::move(database_url)), gateway_(std::move(gateway)), breaker_(std::move(breaker)) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    worker_ = std::string(host) + ":" + std::to_string(getpid());
    thread_ = std::thread([this] { Loop(); });
}

BreakerReport::~BreakerReport() {
    stop_ = true;
    thread_.join();
}

void BreakerReport::Loop() {
    std::unique_ptr<PgConnection> conn;
    int tick = 0;
    while (!stop_) {
        if (tick++ % 20 == 0) {  // every 2 s
            try {
                if (!conn || !conn->healthy()) conn = std::make_unique<PgConnection>(database_url_);
                conn->exec(
                    "INSERT INTO gateway_breakers (worker, host, state, updated_at) VALUES ($1, $2, $3, "
                    "now()) "
                    "ON CONFLICT (worker) DO UPDATE SET state = EXCLUDED.state, host = EXCLUDED.host, "
                    "updated_at = now()",
                    {worker_, gateway_,
                     std::string(StateName(breaker_->state(CircuitBreaker::Clock::now())))});
            } catch (const std::exception& e) {
                spdlog::debug("cannot report the breaker state: {}", e.what());
                conn.reset();
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace checkout
