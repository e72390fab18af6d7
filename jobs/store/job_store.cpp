#include "jobs/store/job_store.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include "infra/core/json.hpp"

namespace checkout {

namespace {
std::string IsoAt(std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
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

std::string NowIso() { return IsoAt(std::chrono::system_clock::now()); }
}  // namespace

double EnvelopeTimeSeconds(const std::string& iso) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

std::string EnvelopeJson(const Job& job) {
    JsonWriter w;
    w.StartObject();
    w.Key("id").String(job.id);
    w.Key("type").String(job.type);
    w.Key("queue").String(job.queue);
    w.Key("payload").Raw(job.payload_json);
    w.Key("attempt").Int(job.attempt);
    w.Key("enqueued_at").String(job.enqueued_at);
    if (!job.created_at.empty()) w.Key("created_at").String(job.created_at);
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
    if (const auto* at = str("created_at"))
        j.created_at = at->GetString();
    else
        j.created_at = j.enqueued_at;
    return j;
}

Job NewJob(const QueuesConfig& cfg, const std::string& job_id, const std::string& type,
           const std::string& payload_json) {
    return Job{job_id, type, cfg.QueueForJobType(type).name, payload_json, 1, NowIso(), ""};
}

std::vector<PgParam> JobInsertParams(const Job& job) {
    return {job.id, job.type, job.queue, job.payload_json};
}

Job InsertJob(PgTransaction& tx, const QueuesConfig& cfg, const std::string& job_id, const std::string& type,
              const std::string& payload_json) {
    Job job = NewJob(cfg, job_id, type, payload_json);
    tx.exec(std::string("WITH ") + kInsertJobCtes + " SELECT pg_notify('outbox', '')", JobInsertParams(job));
    return job;
}

std::string JobColumns(const std::string& a) {
    const std::string iso = " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
    return a + ".id, " + a + ".type, " + a + ".queue, " + a + ".state, " + a + ".attempts, to_char(" + a +
           ".next_attempt_at" + iso + ", " + a + ".last_error, to_char(" + a + ".created_at" + iso +
           ", to_char(" + a + ".finished_at" + iso;
}

JobView JobViewFromRow(const PgResult& r, int row, int c) {
    JobView v;
    v.id = r.str(row, c);
    v.type = r.str(row, c + 1);
    v.queue = r.str(row, c + 2);
    v.state = r.str(row, c + 3);
    v.attempts = static_cast<int>(r.integer(row, c + 4));
    v.next_attempt_at = r.opt(row, c + 5);
    v.last_error = r.opt(row, c + 6);
    v.created_at = r.opt(row, c + 7);
    v.finished_at = r.opt(row, c + 8);
    return v;
}

RowJob RowJobAt(const PgResult& r, int row, int first_column, int job_id_column) {
    RowJob job;
    job.kept = !r.is_null(row, first_column);
    if (job.kept)
        job.view = JobViewFromRow(r, row, first_column);
    else
        job.view.id = r.str(row, job_id_column);
    return job;
}

std::string RowJob::Json() const { return kept ? JobViewJson(view) : "null"; }

std::optional<JobView> LoadJob(PgConnection& conn, const std::string& job_id) {
    auto r = conn.exec("SELECT " + JobColumns("j") + " FROM jobs j WHERE j.id = $1", {job_id});
    if (r.rows() == 0) return std::nullopt;
    return JobViewFromRow(r, 0, 0);
}

std::string BuyerJobError(std::string_view last_error) {
    std::string code(last_error.substr(0, last_error.find(':')));
    const bool ours = !code.empty() && code.size() < 64 &&
                      code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == std::string::npos;
    if (!ours) code = "INTERNAL";
    static const std::map<std::string, std::string, std::less<>> kMessages{
        {"TIME_LIMIT_EXCEEDED", "the job ran past its time limit; it is tried again"},
        {"DATABASE", "a temporary failure; the job is tried again"},
        {"TRANSIENT", "a temporary failure; the job is tried again"},
        {"SERVICE_UNAVAILABLE", "a temporary failure; the job is tried again"},
        {"INTERNAL", "the job could not be completed; it is tried again while it can be"},
        {"GATEWAY_UNAVAILABLE", "the payment gateway did not answer as expected; the payment is tried again"},
        {"GATEWAY_TIMEOUT", "the payment gateway did not answer in time; the payment is looked up again"},
        {"GATEWAY_REJECTED", "the payment gateway refused the request"},
        {"POISON", "the job stopped its worker repeatedly and was set aside for an operator"},
        {"NO_HANDLER", "the job was set aside for an operator"},
    };
    auto it = kMessages.find(code);
    return code + ": " + (it != kMessages.end() ? it->second : "see the order's or the payment's status");
}

std::string JobViewJson(const JobView& v, JobAudience audience) {
    JsonWriter w;
    w.StartObject();
    w.Key("id").String(v.id);
    w.Key("type").String(v.type);
    w.Key("queue").String(v.queue);
    w.Key("state").String(v.state);
    w.Key("attempts").Int(v.attempts);
    w.Key("next_attempt_at").OptString(v.next_attempt_at);
    if (v.last_error && audience == JobAudience::kBuyer)
        w.Key("last_error").String(BuyerJobError(*v.last_error));
    else
        w.Key("last_error").OptString(v.last_error);
    w.Key("created_at").OptString(v.created_at);
    w.Key("finished_at").OptString(v.finished_at);
    w.EndObject();
    return w.str();
}

std::optional<int> StartAttempt(PgTransaction& tx, const std::string& job_id) {
    auto r = tx.exec(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, next_attempt_at = NULL, updated_at = "
        "now() "
        "WHERE id = $1 AND state IN ('queued', 'running', 'retrying') RETURNING attempts",
        {job_id});
    if (r.rows() == 0) return std::nullopt;
    return static_cast<int>(r.integer(0, 0));
}

std::optional<int> PeekAttempt(PgTransaction& tx, const std::string& job_id) {
    auto r =
        tx.exec("SELECT attempts + 1 FROM jobs WHERE id = $1 AND state IN ('queued', 'running', 'retrying')",
                {job_id});
    if (r.rows() == 0) return std::nullopt;
    return static_cast<int>(r.integer(0, 0));
}

namespace {
const char* kFinishJob =
    "UPDATE jobs SET state = $2, last_error = COALESCE($3, last_error), next_attempt_at = NULL, "
    "attempts = GREATEST(attempts, $4), updated_at = now(), finished_at = clock_timestamp(), run_ms = "
    "COALESCE($5, "
    "run_ms) "
    "WHERE id = $1 AND state IN ('queued', 'running', 'retrying')";
}

void MarkFinished(PgTransaction& tx, const std::string& job_id, JobOutcome outcome,
                  const std::optional<std::string>& error, int attempts) {
    tx.exec(kFinishJob, {job_id, std::string(OutcomeName(outcome)), error, attempts, std::nullopt});
}

void MarkFinishedAndCommit(PgTransaction& tx, const std::string& job_id, JobOutcome outcome,
                           const std::optional<std::string>& error, int attempts, long long run_ms) {
    tx.commit_with(kFinishJob, {job_id, std::string(OutcomeName(outcome)), error, attempts, run_ms});
}

void ScheduleRetry(PgTransaction& tx, const QueueConfig& q, const Job& job, int failed_attempt, Millis delay,
                   const std::string& error) {
    Job next = job;
    next.attempt = failed_attempt + 1;
    next.created_at = job.created_at.empty() ? job.enqueued_at : job.created_at;
    next.enqueued_at = IsoAt(std::chrono::system_clock::now() + delay);  // its wait starts when it falls due
    const auto delay_ms = std::to_string(delay.count());
    tx.exec(
        "WITH j AS (UPDATE jobs SET state = 'retrying', last_error = $2, updated_at = now(), "
        "attempts = GREATEST(attempts, $5), "
        "next_attempt_at = now() + make_interval(secs => $3::double precision / 1000) WHERE id = $1) "
        "INSERT INTO outbox (job_id, routing_key, body, available_at) "
        "VALUES ($1, $4, $6, now() + make_interval(secs => $3::double precision / 1000))",
        {job.id, error, delay_ms, q.routing_key, failed_attempt, EnvelopeJson(next)});
}

}  // namespace checkout
