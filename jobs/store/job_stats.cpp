#include "jobs/store/job_stats.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <sstream>

#include "infra/core/json.hpp"
#include "infra/pg/pg_array.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {

std::mutex g_mu;
std::map<std::pair<std::string, std::string>, JobFigures> g_pending;

void WriteBuckets(JsonWriter& w, const LogBucketCounts& counts) {
    w.StartArray();
    for (long long n : counts) w.Int(n);
    w.EndArray();
}

// array_agg of int[] texts, {"{1,2}","{0,1}"}: each element is one row's buckets, added into `into`.
void AddRows(const std::string& all, LogBucketCounts& into) {
    for (const auto& row : ParsePgArray(all)) {
        const auto counts = ParsePgIntArray(row);
        for (std::size_t i = 0; i < counts.size() && i < into.size(); ++i) into[i] += counts[i];
    }
}

}  // namespace

void RecordFinishedJob(const std::string& queue, const std::string& type, JobOutcome outcome,
                       double run_seconds, const std::string& created_at, int attempts) {
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const double created = EnvelopeTimeSeconds(created_at);
    std::lock_guard lock(g_mu);
    auto& f = g_pending[{queue, type}];
    ++f.finished;
    if (outcome == JobOutcome::kFailed) ++f.failed;
    if (outcome == JobOutcome::kDead) ++f.dead;
    if (attempts > 1) ++f.retried;
    ++f.run[static_cast<std::size_t>(LogBucketOf(run_seconds * 1000))];
    if (created > 0)
        ++f.latency[static_cast<std::size_t>(LogBucketOf((now > created ? now - created : 0) * 1000))];
}

std::string TakeJobStatsJson() {
    std::map<std::pair<std::string, std::string>, JobFigures> taken;
    {
        std::lock_guard lock(g_mu);
        taken.swap(g_pending);
    }
    if (taken.empty()) return "";
    JsonWriter w;
    w.StartArray();
    for (const auto& [key, f] : taken) {
        w.StartObject().Key("queue").String(key.first).Key("type").String(key.second);
        w.Key("finished").Int(f.finished).Key("failed").Int(f.failed).Key("dead").Int(f.dead);
        w.Key("retried").Int(f.retried).Key("run_buckets");
        WriteBuckets(w, f.run);
        w.Key("latency_buckets");
        WriteBuckets(w, f.latency);
        w.EndObject();
    }
    w.EndArray();
    return w.str();
}

FiguresByKey ReadJobStats(PgConnection& conn, int window_s) {
    auto r = conn.exec(
        "SELECT queue, type, sum(finished), sum(failed), sum(dead), sum(retried), "
        "array_agg(run_buckets::text), array_agg(latency_buckets::text) FROM job_stats "
        "WHERE at >= now() - make_interval(secs => $1) GROUP BY 1, 2",
        {static_cast<long long>(window_s)});
    FiguresByKey out;
    for (int i = 0; i < r.rows(); ++i) {
        auto& f = out[std::make_pair(r.str(i, 0), r.str(i, 1))];
        f.finished = r.integer(i, 2);
        f.failed = r.integer(i, 3);
        f.dead = r.integer(i, 4);
        f.retried = r.integer(i, 5);
        // array_agg of texts: {"{1,2}","{0,1}"}; each element is one row's buckets.
        AddRows(r.str(i, 6), f.run);
        AddRows(r.str(i, 7), f.latency);
    }
    return out;
}

}  // namespace checkout
