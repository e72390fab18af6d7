// A batch of transactional jobs in one transaction and one commit (ExecuteBatch, executor.hpp).
#include <chrono>
#include <map>
#include <set>

#include "infra/core/log.hpp"
#include "infra/pg/pg_array.hpp"
#include "jobs/runtime/executor.hpp"
#include "jobs/runtime/job_metrics.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

std::optional<std::vector<ExecutionResult>> ExecuteBatch(PgConnection& conn, const ExternalRegistry& handlers,
                                                         const std::vector<std::string>& bodies) {
    std::vector<Job> jobs;
    std::vector<std::string> ids;
    for (const auto& body : bodies) {
        auto job = ParseEnvelope(body);
        if (!job) return std::nullopt;
        auto h = handlers.find(job->type);
        if (h == handlers.end() || h->second.on_response) return std::nullopt;
        ids.push_back(job->id);
        jobs.push_back(std::move(*job));
    }
    try {
        PgTransaction tx(conn);
        auto r = tx.exec(
            "SELECT id::text, attempts + 1 FROM jobs WHERE id = ANY($1::uuid[]) "
            "AND state IN ('queued', 'running', 'retrying')",
            {PgUuidArray(ids)});
        std::map<std::string, int> attempts;
        for (int i = 0; i < r.rows(); ++i) attempts[r.str(i, 0)] = static_cast<int>(r.integer(i, 1));
        // Each type's prologue, with the jobs of that type that will run.
        std::map<std::string, std::vector<Job>> by_type;
        for (const auto& job : jobs)
            if (attempts.count(job.id)) by_type[job.type].push_back(job);
        std::set<std::string> decided;  // jobs a prologue did as a set: succeeded
        for (const auto& [type, batch] : by_type)
            if (const auto& prologue = handlers.at(type).before_batch) decided.merge(prologue(tx, batch));
        std::vector<ExecutionResult> results;
        PgArray f_ids, f_states, f_errors, f_attempts, f_ms;
        for (auto& job : jobs) {
            auto a = attempts.find(job.id);
            if (a == attempts.end()) {
                results.push_back({Settlement::kAck, job.id, "duplicate delivery of a finished job",
                                   JobOutcome::kDuplicate, job.type});
                continue;
            }
            job.attempt = a->second;
            CountJobStarted(job.queue, job.type, job.enqueued_at);
            const auto started = Clock::now();
            Step step = decided.count(job.id) ? Step::Done(Outcome::Succeeded())
                                              : handlers.at(job.type).begin(tx, job);
            if (step.call) return std::nullopt;
            const auto ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
            f_ids.Add(job.id);
            f_attempts.Add(a->second);
            f_ms.Add(ms);
            if (step.outcome.succeeded) {
                f_states.Add("succeeded");
                f_errors.AddNull();
                results.push_back({Settlement::kAck, job.id, "succeeded", JobOutcome::kSucceeded, job.type,
                                   static_cast<double>(ms) / 1000});
            } else {
                f_states.Add("failed");
                f_errors.Add(step.outcome.code + ": " + step.outcome.message);
                results.push_back({Settlement::kAck, job.id, "failed: " + step.outcome.code,
                                   JobOutcome::kFailed, job.type, static_cast<double>(ms) / 1000});
            }
        }
        tx.commit_with(
            "UPDATE jobs SET state = v.state, last_error = COALESCE(v.error, jobs.last_error), "
            "next_attempt_at = NULL, "
            "attempts = GREATEST(jobs.attempts, v.attempts), updated_at = now(), finished_at = "
            "clock_timestamp(), run_ms "
            "= v.ms "
            "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[]) AS v(id, state, error, "
            "attempts, ms) "
            // id = ANY: the ids as a set the executor prunes the day partitions by (issue 18); a join
            // alone cannot be pruned, and each row was looked up in every partition's index.
            "WHERE jobs.id = v.id AND jobs.id = ANY($1::uuid[]) AND jobs.state IN ('queued', 'running', "
            "'retrying')",
            {f_ids.str(), f_states.str(), f_errors.str(), f_attempts.str(), f_ms.str()});
        return results;
    } catch (const std::exception& e) {
        spdlog::info("a batch of {} jobs is run job by job: {}", bodies.size(), e.what());
        return std::nullopt;
    }
}

}  // namespace checkout
