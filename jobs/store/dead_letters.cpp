#include "jobs/store/dead_letters.hpp"

#include "infra/core/json.hpp"

namespace checkout {

std::vector<DeadLetter> ListDeadLetters(PgConnection& conn, const std::string& queue, int limit) {
    auto r = conn.exec("SELECT " + JobColumns("j") +
                           ", j.payload::text FROM jobs j WHERE j.dead AND ($1 = '' OR j.queue = $1) "
                           "ORDER BY j.updated_at DESC LIMIT $2",
                       {queue, limit});
    std::vector<DeadLetter> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({JobViewFromRow(r, i, 0), r.str(i, 9)});
    return out;
}

std::string DeadLettersJson(const std::vector<DeadLetter>& list) {
    JsonWriter w;
    w.StartObject().Key("items").StartArray();
    for (const auto& d : list) {
        w.StartObject()
            .Key("job")
            .Raw(JobViewJson(d.job, JobAudience::kAdmin))
            .Key("payload")
            .Raw(d.payload_json)
            .EndObject();
    }
    w.EndArray().Key("count").Int(static_cast<long long>(list.size())).EndObject();
    return w.str();
}

std::vector<std::string> ReplayDeadLetters(PgConnection& conn, const QueuesConfig& cfg,
                                           const std::string& queue,
                                           const std::optional<std::string>& job_id) {
    (void)cfg.Queue(queue);  // throws ConfigError for an unknown queue
    PgTransaction tx(conn);
    // Back to queued with attempts reset and published again by the relay, like a new job (a fresh
    // publish_xid puts it after the relay's cursor).
    auto rows = tx.exec(
        "WITH r AS (UPDATE jobs SET state = 'queued', attempts = 0, next_attempt_at = NULL, finished_at = "
        "NULL, "
        "updated_at = now(), last_error = 'replayed after: ' || COALESCE(last_error, 'unknown'), "
        "publish_xid = pg_current_xact_id() "
        "WHERE dead AND queue = $1 AND ($2::uuid IS NULL OR id = $2::uuid) RETURNING id, created_at, "
        "tableoid), "
        // A replayed job is open again: the floor of open jobs comes down to it (migration 016).
        "f AS (UPDATE jobs_open_floor SET floor_id = least(floor_id, (SELECT id FROM r ORDER BY id LIMIT "
        "1))), "
        // Its order, if it is an order.process job still pending, is open again too (migration 019).
        "o AS (UPDATE orders_open_floor SET floor_at = least(floor_at, (SELECT min(created_at) FROM r))), "
        // Finished jobs are counted once (migration 020): the hours of these are counted again.
        "u AS (SELECT jobs_uncount_from(id) FROM (SELECT id FROM r WHERE tableoid <> "
        "      'jobs_default'::regclass ORDER BY id LIMIT 1) oldest) "
        "SELECT r.id, pg_notify('outbox', '') FROM r, (SELECT count(*) FROM u) AS done",
        {queue, job_id});
    std::vector<std::string> ids;
    for (int i = 0; i < rows.rows(); ++i) ids.push_back(rows.str(i, 0));
    tx.commit();
    return ids;
}

bool MarkDeadLettered(PgConnection& conn, const std::string& job_id, const std::string& reason) {
    auto r = conn.exec(
        "UPDATE jobs SET state = 'dead', last_error = $2, next_attempt_at = NULL, updated_at = now(), "
        "finished_at = now() WHERE id = $1::uuid AND state IN ('queued', 'running', 'retrying')",
        {job_id, reason});
    return r.affected() > 0;
}

}  // namespace checkout
