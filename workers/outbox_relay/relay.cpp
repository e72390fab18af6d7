#include "workers/outbox_relay/relay.hpp"

#include <memory>
#include <thread>

#include "infra/amqp/amqp_connection.hpp"
#include "infra/core/log.hpp"
#include "infra/core/reconnect_backoff.hpp"
#include "infra/pg/pg_array.hpp"
#include "infra/pg/pg_connection.hpp"
#include "jobs/store/job_store.hpp"
#include "workers/outbox_relay/publish_cursor.hpp"

namespace checkout {

namespace {

constexpr long long kRelayLockKey = 727274002;
constexpr int kOutboxBatch = 500;
// How long the relay lets new jobs gather after a batch, when busy (an idle relay publishes a job as
// soon as its NOTIFY arrives). Each round is one statement and so one commit: at 10 ms a busy relay
// costs at most 100 commits/s however many jobs it publishes.
constexpr std::chrono::milliseconds kLinger(10);
// How often, at most, the cursor is written (a crash republishes at most this much).
constexpr std::chrono::milliseconds kPersistEvery(200);

using Clock = std::chrono::steady_clock;

// One round in one statement: saves the cursor and deletes the outbox rows RabbitMQ confirmed in the
// last round, and reads what is to be published now: the jobs of transactions that finished since
// the last snapshot (publish_cursor.hpp), the delayed retries that fell due, and one last row with
// this snapshot's xmax and running ids and the time until the next delayed row is due.
constexpr const char* kRound =
    "WITH saved AS (UPDATE relay_cursor SET next_xid = $1::text::xid8 WHERE $1::text IS NOT NULL), "
    "gone AS (DELETE FROM outbox WHERE id = ANY($2::bigint[])), "
    "snap AS (SELECT LEAST(pg_snapshot_xmax(pg_current_snapshot()), $4::text::xid8) AS hi), "
    "fresh AS (SELECT j.id, j.type, j.queue, j.payload, j.attempts, j.created_at FROM jobs j "
    "          WHERE j.publish_xid >= $3::text::xid8 "
    "            AND j.publish_xid < LEAST(pg_snapshot_xmax(pg_current_snapshot()), $4::text::xid8) "
    "          UNION ALL "
    "          SELECT j.id, j.type, j.queue, j.payload, j.attempts, j.created_at FROM jobs j "
    "          WHERE j.publish_xid = ANY($5::xid8[])), "
    "due AS (SELECT id, routing_key, job_id, body FROM outbox WHERE available_at <= now() "
    "        AND NOT id = ANY($2::bigint[]) ORDER BY id LIMIT $6) "
    "SELECT 'j', f.id::text, f.queue, f.type, f.payload::text, f.attempts + 1, "
    "       to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM fresh f "
    "UNION ALL SELECT 'o', d.id::text, d.routing_key, d.job_id::text, d.body, 0, NULL FROM due d "
    "UNION ALL SELECT 'm', s.hi::text, "
    "       (SELECT coalesce(array_agg(x), '{}')::text FROM pg_snapshot_xip(pg_current_snapshot()) x WHERE x "
    "< s.hi), "
    "       (SELECT GREATEST(0, CEIL(EXTRACT(EPOCH FROM (min(available_at) - now())) * 1000))::bigint::text "
    "        FROM outbox WHERE available_at > now()), NULL, 0, NULL FROM snap s";

struct Relay {
    const Environment& env;
    const QueuesConfig& cfg;
    RelayStats& stats;
    PgConnection& db;
    std::unique_ptr<AmqpConnection>& mq;
    PublishCursor cursor;
    std::uint64_t persisted;
    Clock::time_point persisted_at = Clock::now();
    std::string confirmed_outbox = "{}";  // outbox rows RabbitMQ confirmed, to delete in the next round
    bool ever_connected = false;

    // Publishes what is due until nothing is; returns the milliseconds until the next delayed row
    // falls due (capped at 1 s), or throws when PostgreSQL or RabbitMQ fails. Nothing advances
    // unless RabbitMQ confirmed the round's messages, so a failed round is read again.
    long long PublishDue() {
        while (true) {
            std::optional<std::string> save;
            if (cursor.durable() != persisted && Clock::now() - persisted_at >= kPersistEvery)
                save = std::to_string(cursor.durable());
            const std::uint64_t cap = cursor.cap();
            auto rows = db.exec(kRound, {save, confirmed_outbox, std::to_string(cursor.low()),
                                         std::to_string(cap), cursor.pending_array(), kOutboxBatch});
            confirmed_outbox = "{}";
            ++stats.rounds;
            if (save) {
                persisted = cursor.durable();
                persisted_at = Clock::now();
            }
            std::vector<AmqpMessage> batch;
            PgArray outbox_ids;
            int outbox_rows = 0;
            const int meta = rows.rows() - 1;  // the 'm' row comes last
            for (int i = 0; i < meta; ++i) {
                if (rows.get(i, 0)[0] == 'j') {
                    const auto* queue = cfg.FindQueue(rows.str(i, 2));
                    if (!queue) {
                        spdlog::error("job={} names queue {} that queues.yaml does not have; not published",
                                      rows.str(i, 1), rows.str(i, 2));
                        continue;
                    }
                    Job job{rows.str(i, 1),
                            rows.str(i, 3),
                            rows.str(i, 2),
                            rows.str(i, 4),
                            static_cast<int>(rows.integer(i, 5)),
                            rows.str(i, 6),
                            ""};
                    batch.push_back({queue->routing_key, job.id, EnvelopeJson(job)});
                } else {
                    batch.push_back({rows.str(i, 2), rows.str(i, 3), rows.str(i, 4)});
                    outbox_ids.Add(std::stoll(rows.str(i, 1)));
                    ++outbox_rows;
                }
            }
            if (!batch.empty()) {
                if (!mq || mq->broken()) {
                    if (ever_connected) ++stats.amqp_reconnects;
                    ever_connected = true;
                    mq = std::make_unique<AmqpConnection>(env.amqp);
                    mq->DeclareTopology(cfg);
                    spdlog::info("connected to RabbitMQ at {}", mq->node());
                }
                mq->PublishConfirmed(cfg.exchange, batch, std::chrono::milliseconds(5000));
                stats.published += static_cast<long long>(batch.size());
                spdlog::debug("published {} messages", batch.size());
            }
            const std::uint64_t hi = std::stoull(rows.str(meta, 1));
            cursor.Advance(hi, ParsePgIntArray(rows.str(meta, 2)));
            confirmed_outbox = outbox_ids.str();
            const bool more = hi == cap || outbox_rows == kOutboxBatch;
            if (batch.empty() && !more)
                return rows.is_null(meta, 3) ? 1000
                                             : std::min<long long>(std::stoll(rows.str(meta, 3)), 1000);
            if (!more) return 0;
        }
    }
};

}  // namespace

void RunRelay(const Environment& env, const QueuesConfig& cfg, const std::atomic<bool>& stop,
              RelayStats& stats) {
    std::unique_ptr<AmqpConnection> mq;
    ReconnectBackoff backoff;
    for (bool first = true; !stop; first = false) {
        try {
            if (!first) ++stats.pg_reconnects;
            stats.leader = false;
            PgConnection db(env.database_url);
            bool leader = false;
            while (!stop && !leader) {
                leader = db.exec("SELECT pg_try_advisory_lock($1)", {kRelayLockKey}).boolean(0, 0);
                if (!leader) db.wait_for_notifications(std::chrono::milliseconds(1000));
            }
            if (stop) break;
            db.exec("LISTEN outbox");
            // Losing a cursor update or a DELETE in a database crash only publishes those jobs again,
            // which idempotent handlers absorb; so the relay's commits need not wait for the WAL flush.
            db.exec("SET synchronous_commit = off");
            const std::uint64_t start =
                std::stoull(db.exec("SELECT next_xid::text FROM relay_cursor").str(0, 0));
            Relay relay{env, cfg, stats, db, mq, PublishCursor(start), start};
            stats.leader = true;
            spdlog::info("relay is the leader, publishing jobs from transaction {}", start);
            while (!stop) {
                long long wait_ms = 0;
                try {
                    wait_ms = relay.PublishDue();
                    backoff.Reset();
                    // Something was just published: under load, let a few milliseconds of jobs gather
                    // so that the next round is one commit for many jobs, not one for each.
                    if (wait_ms == 0) {
                        std::this_thread::sleep_for(kLinger);
                        continue;
                    }
                } catch (const AmqpError& e) {
                    // RabbitMQ is down: nothing advanced; the same jobs are read again once it is back.
                    // The wait is on the database's notifications (below), which also wakes on a job.
                    const auto wait = backoff.Next();
                    spdlog::warn("RabbitMQ unavailable ({}); retrying in {}ms", e.what(), wait.count());
                    mq.reset();
                    wait_ms = wait.count();
                }
                if (wait_ms > 0) db.wait_for_notifications(std::chrono::milliseconds(wait_ms));
            }
        } catch (const PgError& e) {
            backoff.WaitAfter("PostgreSQL", e, stop);
        }
    }
}

}  // namespace checkout
