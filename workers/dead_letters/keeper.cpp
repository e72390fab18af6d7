// dead-letter-keeper: consumes every queue's dead-letter queue and records each message's job as
// `dead` in PostgreSQL, where operators list and replay dead letters (common/dead_letters.hpp).
//
// Most dead jobs are already marked by the worker that gave up on them (retries exhausted, malformed
// message). This process catches the rest: messages RabbitMQ dead-lettered itself because they were
// delivered `delivery_limit` times without an outcome, i.e. a job that kills its worker every time.
// Safe to run as several copies: marking is idempotent and each message goes to one consumer.
#include <iostream>
#include <thread>

#include "infra/amqp/amqp_connection.hpp"
#include "infra/core/log.hpp"
#include "infra/core/metrics.hpp"
#include "infra/core/reconnect_backoff.hpp"
#include "infra/core/service.hpp"
#include "infra/core/uuid.hpp"
#include "infra/metrics_server/metrics_server.hpp"
#include "jobs/store/dead_letters.hpp"
#include "jobs/store/fleet_heartbeat.hpp"
#include "jobs/store/job_stats.hpp"

using namespace checkout;

int main() {
    auto service = StartService("dead-letter-keeper", {.database = true, .amqp = true});
    if (!service) return 2;
    const Environment& env = service->env;
    const QueuesConfig& cfg = service->queues;
    const std::atomic<bool>& stop = service->stop;
    std::unique_ptr<MetricsServer> metrics;
    if (!ReportConfigError([&] { metrics = MetricsServer::Start(env); })) return 2;
    std::atomic<long long> recorded{0};
    FleetHeartbeat heartbeat(
        env.database_url, "dead-letter-keeper", "", metrics ? metrics->port() : 0,
        [&recorded, n = cfg.queues.size()] {
            return ProcessReport{recorded.load(), 0, "watching " + std::to_string(n) + " dead-letter queues"};
        });
    auto& reconnects = ProcessMetrics().Counter("checkout_reconnects_total",
                                                "Connections opened again after one was lost.", "");
    service->StopOnSignal();

    ReconnectBackoff backoff;
    for (bool first = true; !stop; first = false) {
        if (!first) reconnects.fetch_add(1, std::memory_order_relaxed);
        try {
            PgConnection db(env.database_url);
            AmqpConnection mq(env.amqp);
            mq.DeclareTopology(cfg);
            for (const auto& q : cfg.queues) mq.Consume(q.dead_letter_queue, 50);
            spdlog::info("watching {} dead-letter queues", cfg.queues.size());
            backoff.Reset();
            while (!stop) {
                auto d = mq.Next(std::chrono::milliseconds(500));
                if (!d) continue;
                auto job = ParseEnvelope(d->body);
                if (!job || !IsUuid(job->id)) {
                    // Not a job: nothing to record it against. Keep it visible in the log, then drop it.
                    spdlog::error("dropping a dead-lettered message that is not a job envelope: {:.300}",
                                  d->body);
                    mq.Ack(d->tag);
                    continue;
                }
                const std::string reason =
                    "POISON: delivered " + std::to_string(d->delivery_count) +
                    " times without an outcome (the worker died or lost its connection each time)";
                if (MarkDeadLettered(db, job->id, reason)) {
                    spdlog::warn("job={} type={} is dead: {}", job->id, job->type, reason);
                    ++recorded;
                    RecordFinishedJob(job->queue, job->type, JobOutcome::kDead, 0, job->created_at,
                                      job->attempt);
                    ProcessMetrics()
                        .Counter("checkout_dead_letters_recorded_total",
                                 "Jobs this keeper found in a dead-letter queue and marked dead (the worker "
                                 "could not).",
                                 Label("queue", job->queue) + "," + Label("type", job->type))
                        .fetch_add(1, std::memory_order_relaxed);
                }
                mq.Ack(d->tag);
            }
        } catch (const std::exception& e) {
            backoff.WaitAfter("PostgreSQL or RabbitMQ", e, stop);
        }
    }
    spdlog::info("stopped");
    return 0;
}
