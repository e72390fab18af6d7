#include "common/dead_letters.hpp"

#include "common/json.hpp"

namespace checkout {

std::vector<DeadLetter> ListDeadLetters(PgConnection& conn, const std::string& queue, int limit) {
    auto r = conn.exec("SELECT " + JobColumns("j") +
                           ", j.payload::text FROM jobs j WHERE j.state = 'dead' AND ($1 = '' OR j.queue = $1) "
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
        w.StartObject().Key("job").Raw(JobViewJson(d.job)).Key("payload").Raw(d.payload_json).EndObject();
    }
    w.EndArray().Key("count").Int(static_cast<long long>(list.size())).EndObject();
    return w.str();
}

std::vector<std::string> ReplayDeadLetters(PgConnection& conn, const QueuesConfig& cfg, const std::string& queue,
                                           const std::optional<std::string>& job_id) {
    const auto& q = cfg.Queue(queue);  // throws ConfigError for an unknown queue
    PgTransaction tx(conn);
    // Back to queued with attempts reset; the new message goes through the outbox like any other.
    auto rows = tx.exec(
        "UPDATE jobs SET state = 'queued', attempts = 0, next_attempt_at = NULL, finished_at = NULL, "
        "updated_at = now(), last_error = 'replayed after: ' || COALESCE(last_error, 'unknown') "
        "WHERE state = 'dead' AND queue = $1 AND ($2::uuid IS NULL OR id = $2::uuid) "
        "RETURNING id, type, payload::text",
        {queue, job_id});
    std::vector<std::string> ids;
    for (int i = 0; i < rows.rows(); ++i) {
        Job job = NewJob(cfg, rows.str(i, 0), rows.str(i, 1), rows.str(i, 2));
        tx.exec("WITH o AS (INSERT INTO outbox (job_id, routing_key, body) VALUES ($1, $2, $3)) "
                "SELECT pg_notify('outbox', '')",
                {job.id, q.routing_key, EnvelopeJson(job)});
        ids.push_back(job.id);
    }
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
