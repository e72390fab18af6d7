// outbox-relay: publishes the transactional outbox to RabbitMQ (see relay.hpp).
#include <thread>

#include "infra/core/log.hpp"
#include "infra/core/metrics.hpp"
#include "infra/core/service.hpp"
#include "infra/metrics_server/metrics_server.hpp"
#include "jobs/store/fleet_heartbeat.hpp"
#include "workers/outbox_relay/relay.hpp"

int main() {
    using namespace checkout;
    auto service = StartService("outbox-relay", {.database = true, .amqp = true});
    if (!service) return 2;
    const Environment& env = service->env;
    RelayStats stats;
    ProcessMetrics().AddCollector([&stats](std::string& out) {
        MetricHeader(out, "checkout_relay_published_total", "counter",
                     "Messages published to RabbitMQ and confirmed by it.");
        MetricLine(out, "checkout_relay_published_total", "", static_cast<double>(stats.published.load()));
        MetricHeader(out, "checkout_relay_rounds_total", "counter", "Reads of what is due to publish.");
        MetricLine(out, "checkout_relay_rounds_total", "", static_cast<double>(stats.rounds.load()));
        MetricHeader(out, "checkout_relay_leader", "gauge",
                     "1 while this relay holds the lock and publishes.");
        MetricLine(out, "checkout_relay_leader", "", stats.leader ? 1 : 0);
        MetricHeader(out, "checkout_reconnects_total", "counter",
                     "Connections opened again after one was lost.");
        MetricLine(out, "checkout_reconnects_total", Label("peer", "postgresql"),
                   static_cast<double>(stats.pg_reconnects.load()));
        MetricLine(out, "checkout_reconnects_total", Label("peer", "rabbitmq"),
                   static_cast<double>(stats.amqp_reconnects.load()));
    });
    std::unique_ptr<MetricsServer> metrics;  // after `stats`, which it reads: destroyed first
    if (!ReportConfigError([&] { metrics = MetricsServer::Start(env); })) return 2;
    FleetHeartbeat heartbeat(env.database_url, "outbox-relay", "", metrics ? metrics->port() : 0, [&stats] {
        return ProcessReport{
            stats.published.load(), 0,
            stats.leader ? "publishing (the leader)" : "standing by (another relay publishes)"};
    });
    std::thread worker([&] { RunRelay(env, service->queues, service->stop, stats); });
    service->WaitForSignal();  // then the relay stops after its current batch
    worker.join();
    spdlog::info("stopped; published {} messages", stats.published.load());
    return 0;
}
