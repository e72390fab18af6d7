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
// How long the relay lets new rows gather after a batch, when busy (an idle relay publishes a row
// as soon as its NOTIFY arrives).
constexpr std::chrono::milliseconds kLinger(5);

// Publishes due rows until none are left, one statement (and so one commit) per batch, with no
// transaction open while RabbitMQ is waited for: each statement deletes the batch published before
// it (confirmed by RabbitMQ) and fetches the next, with the next row's due time. A crash between a
// publish and the statement that deletes its rows publishes them again, which idempotent handlers
// absorb. Returns the milliseconds until the next row falls due (capped), or throws when PostgreSQL
// or RabbitMQ fails; `published` holds the ids sent but not yet deleted, for the next call.
long long PublishDue(PgConnection& db, std::unique_ptr<AmqpConnection>& mq, const Environment& env,
                     const QueuesConfig& cfg, RelayStats& stats, std::string& published) {
    while (true) {
        auto rows = db.exec(
            "WITH gone AS (DELETE FROM outbox WHERE id = ANY($2::bigint[])), "
            "due AS (SELECT id, routing_key, job_id, body FROM outbox WHERE available_at <= now() "
            "        AND NOT id = ANY($2::bigint[]) ORDER BY id LIMIT $1) "
            "SELECT d.id, d.routing_key, d.job_id, d.body, "
            "       (SELECT GREATEST(0, CEIL(EXTRACT(EPOCH FROM (min(available_at) - now())) * 1000))::bigint "
            "        FROM outbox WHERE available_at > now()) "
            "FROM (SELECT 1) one LEFT JOIN due d ON true",
            {kBatch, published});
        published = "{}";
        // One row even when nothing is due (the LEFT JOIN), to carry the next due time.
        const int due = rows.is_null(0, 0) ? 0 : rows.rows();
        if (due == 0) return rows.is_null(0, 4) ? 1000 : std::min<long long>(rows.integer(0, 4), 1000);
        if (!mq || mq->broken()) {
            mq = std::make_unique<AmqpConnection>(env.amqp);
            mq->DeclareTopology(cfg);
            spdlog::info("connected to RabbitMQ");
        }
        std::vector<AmqpMessage> batch;
        batch.reserve(due);
        std::string ids = "{";
        for (int i = 0; i < due; ++i) {
            batch.push_back({rows.str(i, 1), rows.str(i, 2), rows.str(i, 3)});
            ids += (i ? "," : "") + rows.str(i, 0);
        }
        mq->PublishConfirmed(cfg.exchange, batch, std::chrono::milliseconds(5000));
        published = ids + "}";
        stats.published += due;
        spdlog::debug("published {} messages", due);
        if (due < kBatch) return 0;
    }
}

}  // namespace

void RunRelay(const Environment& env, const QueuesConfig& cfg, const std::atomic<bool>& stop, RelayStats& stats) {
    std::unique_ptr<AmqpConnection> mq;
    ReconnectBackoff backoff;
    std::string published = "{}";  // sent and confirmed, not yet deleted
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
                    wait_ms = PublishDue(db, mq, env, cfg, stats, published);
                    backoff.Reset();
                    // Something was just published: under load, let a few milliseconds of orders
                    // gather so that the next batch is one commit for many jobs, not one for each.
                    if (wait_ms == 0) {
                        std::this_thread::sleep_for(kLinger);
                        continue;
                    }
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
