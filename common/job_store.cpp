#include "common/job_store.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <ctime>

#include "common/json.hpp"

namespace checkout {

std::string_view StateName(JobState s) {
    switch (s) {
        case JobState::kQueued: return "queued";
        case JobState::kRunning: return "running";
        case JobState::kRetrying: return "retrying";
        case JobState::kSucceeded: return "succeeded";
        case JobState::kFailed: return "failed";
        case JobState::kDead: return "dead";
    }
    return "queued";
}

namespace {
std::string NowIso() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto t = system_clock::to_time_t(now);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms));
    return out;
}
}  // namespace

std::string EnvelopeJson(const Job& job) {
    JsonWriter w;
    w.StartObject();
    w.Key("id").String(job.id);
    w.Key("type").String(job.type);
    w.Key("queue").String(job.queue);
    w.Key("payload").Raw(job.payload_json);
    w.Key("attempt").Int(job.attempt);
    w.Key("enqueued_at").String(job.enqueued_at);
    w.EndObject();
    return w.str();
}

std::optional<Job> ParseEnvelope(const std::string& body) {
    rapidjson::Document d;
    if (d.Parse(body.c_str(), body.size()).HasParseError() || !d.IsObject()) return std::nullopt;
    auto str = [&](const char* k) -> const rapidjson::Value* {
        auto it = d.FindMember(k);
        return (it != d.MemberEnd() && it->value.IsString()) ? &it->value : nullptr;
    };
    const auto *id = str("id"), *type = str("type"), *queue = str("queue");
    auto payload = d.FindMember("payload");
    auto attempt = d.FindMember("attempt");
    if (!id || !type || !queue || payload == d.MemberEnd() || !payload->value.IsObject() ||
        attempt == d.MemberEnd() || !attempt->value.IsInt())
        return std::nullopt;
    Job j;
    j.id = id->GetString();
    j.type = type->GetString();
    j.queue = queue->GetString();
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    payload->value.Accept(w);
    j.payload_json.assign(sb.GetString(), sb.GetSize());
    j.attempt = attempt->value.GetInt();
    if (const auto* at = str("enqueued_at")) j.enqueued_at = at->GetString();
    return j;
}

Job InsertJob(PgTransaction& tx, const QueuesConfig& cfg, const std::string& job_id, const std::string& type,
              const std::string& payload_json) {
    const auto& q = cfg.QueueForJobType(type);
    Job job{job_id, type, q.name, payload_json, 1, NowIso()};
    // One round trip for the job, its outbox row and the NOTIFY (delivered at commit) that wakes
    // the relay without polling.
    tx.exec("WITH j AS (INSERT INTO jobs (id, type, queue, state, payload) VALUES ($1, $2, $3, 'queued', $4::jsonb)), "
            "o AS (INSERT INTO outbox (job_id, routing_key, body) VALUES ($1, $5, $6)) "
            "SELECT pg_notify('outbox', '')",
            {job.id, job.type, job.queue, job.payload_json, q.routing_key, EnvelopeJson(job)});
    return job;
}

std::optional<JobView> LoadJob(PgConnection& conn, const std::string& job_id) {
    auto r = conn.exec(
        "SELECT id, type, queue, state, attempts, "
        "to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), last_error, "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
        "to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
        "FROM jobs WHERE id = $1",
        {job_id});
    if (r.rows() == 0) return std::nullopt;
    JobView v;
    v.id = r.str(0, 0);
    v.type = r.str(0, 1);
    v.queue = r.str(0, 2);
    v.state = r.str(0, 3);
    v.attempts = static_cast<int>(r.integer(0, 4));
    v.next_attempt_at = r.opt(0, 5);
    v.last_error = r.opt(0, 6);
    v.created_at = r.opt(0, 7);
    v.finished_at = r.opt(0, 8);
    return v;
}

std::string JobViewJson(const JobView& v) {
    JsonWriter w;
    w.StartObject();
    w.Key("id").String(v.id);
    w.Key("type").String(v.type);
    w.Key("queue").String(v.queue);
    w.Key("state").String(v.state);
    w.Key("attempts").Int(v.attempts);
    w.Key("next_attempt_at").OptString(v.next_attempt_at);
    w.Key("last_error").OptString(v.last_error);
    w.Key("created_at").OptString(v.created_at);
    w.Key("finished_at").OptString(v.finished_at);
    w.EndObject();
    return w.str();
}

std::optional<int> MarkRunning(PgConnection& conn, const std::string& job_id) {
    // A lost 'running' mark is harmless (the state is rewritten at the end), so this small write
    // does not wait for the WAL flush.
    PgTransaction tx(conn);
    tx.exec("SET LOCAL synchronous_commit = off");
    auto r = tx.exec(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, next_attempt_at = NULL, updated_at = now() "
        "WHERE id = $1 AND state IN ('queued', 'running', 'retrying') RETURNING attempts",
        {job_id});
    tx.commit();
    if (r.rows() == 0) return std::nullopt;
    return static_cast<int>(r.integer(0, 0));
}

void MarkFinished(PgTransaction& tx, const std::string& job_id, JobState state,
                  const std::optional<std::string>& error) {
    tx.exec(
        "UPDATE jobs SET state = $2, last_error = COALESCE($3, last_error), next_attempt_at = NULL, "
        "updated_at = now(), finished_at = now() WHERE id = $1",
        {job_id, std::string(StateName(state)), error});
}

void ScheduleRetry(PgTransaction& tx, const QueueConfig& q, const Job& job, int next_attempt, Millis delay,
                   const std::string& error) {
    Job next = job;
    next.attempt = next_attempt;
    next.enqueued_at = NowIso();
    const auto delay_ms = std::to_string(delay.count());
    tx.exec(
        "UPDATE jobs SET state = 'retrying', last_error = $2, updated_at = now(), "
        "next_attempt_at = now() + make_interval(secs => $3::double precision / 1000) WHERE id = $1",
        {job.id, error, delay_ms});
    tx.exec(
        "INSERT INTO outbox (job_id, routing_key, body, available_at) "
        "VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))",
        {job.id, q.routing_key, EnvelopeJson(next), delay_ms});
}

}  // namespace checkout
