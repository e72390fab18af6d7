#include "workers/outbox_relay/relay.hpp"

#include <memory>
#include <thread>

#include "common/amqp_connection.hpp"
#include "common/log.hpp"
#include "common/pg_connection.hpp"
#include "common/reconnect_backoff.hpp"

namespace checkout {

namespace {

constexpr long long kRelayLockKey = 727274002;
constexpr int kBatch = 500;

// Publishes due rows until none are left. Returns the milliseconds until the next row falls due
// (capped), or throws when PostgreSQL or RabbitMQ fails.
long long PublishDue(PgConnection& db, std::unique_ptr<AmqpConnection>& mq, const Environment& env,
                     const QueuesConfig& cfg, RelayStats& stats) {
    while (true) {
        auto rows = db.exec("SELECT id, routing_key, job_id, body FROM outbox WHERE available_at <= now() "
                            "ORDER BY id LIMIT $1",
                            {kBatch});
        if (rows.rows() == 0) break;
        if (!mq || mq->broken()) {
            mq = std::make_unique<AmqpConnection>(env.amqp);
            mq->DeclareTopology(cfg);
            spdlog::info("connected to RabbitMQ");
        }
        std::vector<AmqpMessage> batch;
        std::string ids = "{";
        for (int i = 0; i < rows.rows(); ++i) {
            batch.push_back({rows.str(i, 1), rows.str(i, 2), rows.str(i, 3)});
            if (i) ids += ",";
            ids += rows.str(i, 0);
        }
        ids += "}";
        mq->PublishConfirmed(cfg.exchange, batch, std::chrono::milliseconds(5000));
        db.exec("DELETE FROM outbox WHERE id = ANY($1::bigint[])", {ids});
        stats.published += rows.rows();
        spdlog::debug("published {} messages", rows.rows());
        if (rows.rows() < kBatch) break;
    }
    auto next = db.exec("SELECT GREATEST(0, CEIL(EXTRACT(EPOCH FROM (available_at - now())) * 1000))::bigint "
                        "FROM outbox ORDER BY available_at LIMIT 1");
    if (next.rows() == 0) return 1000;
    return std::min<long long>(next.integer(0, 0), 1000);
}

}  // namespace

void RunRelay(const Environment& env, const QueuesConfig& cfg, const std::atomic<bool>& stop, RelayStats& stats) {
    std::unique_ptr<AmqpConnection> mq;
    ReconnectBackoff backoff;
    while (!stop) {
        try {
            PgConnection db(env.database_url);
            bool leader = false;
            while (!stop && !leader) {
                leader = db.exec("SELECT pg_try_advisory_lock($1)", {kRelayLockKey}).boolean(0, 0);
                if (!leader) db.wait_for_notifications(std::chrono::milliseconds(1000));
            }
            if (stop) break;
            db.exec("LISTEN outbox");
            // Losing a DELETE in a database crash only publishes those rows again, which idempotent
            // handlers absorb; so the relay's commits need not wait for the WAL flush.
            db.exec("SET synchronous_commit = off");
            spdlog::info("relay is the leader");
            while (!stop) {
                long long wait_ms = 0;
                try {
                    wait_ms = PublishDue(db, mq, env, cfg, stats);
                    backoff.Reset();
                } catch (const AmqpError& e) {
                    // RabbitMQ is down: the rows stay in the outbox and are published once it is back.
                    const auto wait = backoff.Next();
                    spdlog::warn("RabbitMQ unavailable ({}); retrying in {}ms", e.what(), wait.count());
                    mq.reset();
                    wait_ms = wait.count();
                }
                if (wait_ms > 0) db.wait_for_notifications(std::chrono::milliseconds(wait_ms));
            }
        } catch (const PgError& e) {
            const auto wait = backoff.Next();
            spdlog::warn("PostgreSQL unavailable ({}); retrying in {}ms", e.what(), wait.count());
            std::this_thread::sleep_for(wait);
        }
    }
}

}  // namespace checkout
