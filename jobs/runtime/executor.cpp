#include "jobs/runtime/executor.hpp"

#include <chrono>
#include <map>
#include <set>

#include "infra/core/error.hpp"
#include "infra/core/log.hpp"
#include "infra/core/retry_policy.hpp"
#include "infra/core/uuid.hpp"

namespace checkout {

namespace {

using Clock = std::chrono::steady_clock;

struct Failure {
    bool retryable;
    bool in_doubt;
    std::string error;  // "CODE: detail", stored as last_error
};

Failure Classify(const std::exception_ptr& ep) {
    try {
        std::rethrow_exception(ep);
    } catch (const AppError& e) {
        const auto d = Disposition(e.code());
        const std::string detail = e.internal_detail().empty() ? e.public_message() : e.internal_detail();
        return {d == JobDisposition::kRetry, d == JobDisposition::kInDoubt,
                std::string(CodeName(e.code())) + ": " + detail};
    } catch (const PgError& e) {
        // A connection lost while the transaction was open means it did not commit, except at
        // COMMIT itself; both are settled by redelivery, which the idempotent handler absorbs.
        return {true, e.connection_lost(), std::string("DATABASE: ") + e.what()};
    } catch (const std::exception& e) {
        return {true, false, std::string("INTERNAL: ") + e.what()};
    }
}

}  // namespace

ExternalRegistry InTransaction(const HandlerRegistry& handlers, const BatchPrologues& prologues) {
    ExternalRegistry out;
    for (const auto& [type, handler] : handlers) {
        auto p = prologues.find(type);
        out[type] = ExternalHandler{
            [h = handler](PgTransaction& tx, const Job& job) { return Step::Done(h(tx, job)); }, nullptr,
            p == prologues.end() ? nullptr : p->second};
    }
    return out;
}

ExecutionResult ExecuteJob(PgConnection& conn, const QueueConfig& queue, const HandlerRegistry& handlers,
                           const std::string& body) {
    // A transactional handler is an external one whose first step always ends the job.
    return *BeginExternalJob(conn, queue, InTransaction(handlers), body).settled;
}

ExecutionResult SettleFailure(PgConnection& conn, const QueueConfig& queue, const Job& job, int attempts,
                              const std::exception_ptr& failure) {
    const Failure f = Classify(failure);
    if (f.in_doubt) {
        return {Settlement::kRequeue, job.id, "in doubt, delivering again: " + f.error, JobOutcome::kRequeued,
                job.type};
    }
    return RecordFailure(conn, queue, job, attempts, f.retryable, f.error);
}

ExecutionResult RecordFailure(PgConnection& conn, const QueueConfig& queue, const Job& job, int attempts,
                              bool retryable, const std::string& error) {
    try {
        PgTransaction tx(conn);
        if (!retryable) {
            MarkFinished(tx, job.id, JobOutcome::kFailed, error, attempts);
            tx.commit();
            return {Settlement::kAck, job.id, "failed: " + error, JobOutcome::kFailed, job.type};
        }
        if (attempts > queue.max_retries) {
            MarkFinished(tx, job.id, JobOutcome::kDead, error, attempts);
            tx.commit();
            return {Settlement::kDeadLetter, job.id,
                    "dead after " + std::to_string(attempts) + " attempts: " + error, JobOutcome::kDead,
                    job.type};
        }
        const auto delay = NextDelay(queue.backoff, attempts);
        ScheduleRetry(tx, queue, job, attempts, delay, error);
        tx.commit();
        return {Settlement::kAck, job.id,
                "attempt " + std::to_string(attempts) + " failed, retry in " + std::to_string(delay.count()) +
                    "ms: " + error,
                JobOutcome::kRetry, job.type};
    } catch (const std::exception& e) {
        return {Settlement::kRequeue, job.id,
                std::string("cannot record the failure, delivering again: ") + e.what(),
                JobOutcome::kRequeued, job.type};
    }
}

std::optional<ExecutionResult> CountRedeliveredRun(PgConnection& conn, const QueueConfig& queue,
                                                   const std::string& body) {
    auto job = ParseEnvelope(body);
    if (!job) return std::nullopt;
    PgTransaction tx(conn);
    auto r = tx.exec(
        "UPDATE jobs SET crashes = crashes + 1 WHERE id = $1 AND state IN ('queued', 'running', 'retrying') "
        "RETURNING crashes, attempts",
        {job->id});
    if (r.rows() == 0) return std::nullopt;
    const long long crashes = r.integer(0, 0);
    if (crashes <= queue.delivery_limit) {
        tx.commit();
        return std::nullopt;
    }
    const std::string error = "POISON: started " + std::to_string(crashes - 1) +
                              " times after its worker died, and never reached an outcome";
    MarkFinished(tx, job->id, JobOutcome::kDead, error, static_cast<int>(r.integer(0, 1)));
    tx.commit();
    return ExecutionResult{Settlement::kDeadLetter, job->id, "dead: " + error, JobOutcome::kDead, job->type};
}

ExecutionResult AbandonJob(PgConnection& conn, const QueueConfig& queue, const std::string& body) {
    auto job = ParseEnvelope(body);
    if (!job) return {Settlement::kDeadLetter, "", "malformed message", JobOutcome::kDead, ""};
    // The abandoned attempt's own transaction (where StartAttempt counted it) was rolled back when
    // its backend was terminated; count it here. The row lock makes this wait until that backend is gone.
    std::optional<int> attempts;
    {
        PgTransaction tx(conn);
        auto r = tx.exec("SELECT attempts, state FROM jobs WHERE id = $1 FOR UPDATE", {job->id});
        if (r.rows() > 0 &&
            (r.get(0, 1) == "queued" || r.get(0, 1) == "running" || r.get(0, 1) == "retrying"))
            attempts = static_cast<int>(r.integer(0, 0)) + 1;
        tx.commit();
    }
    if (!attempts)
        return {Settlement::kAck, job->id, "finished just before its time limit", JobOutcome::kDuplicate,
                job->type};
    const std::string error = std::string(CodeName(ErrorCode::kTimeLimit)) + ": handler ran past " +
                              std::to_string(queue.time_limit.count()) + "ms and was abandoned";
    return RecordFailure(conn, queue, *job, *attempts, true, error);
}

namespace {

// Ends a step inside `tx`: commits the outcome, or commits and returns the next call.
ExternalProgress Conclude(PgTransaction& tx, const Job& job, int attempts, Step step,
                          Clock::time_point started) {
    if (step.call) {
        tx.commit();
        return {std::nullopt, PendingCall{job, attempts, std::move(*step.call), started}};
    }
    const long long run_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    ExecutionResult result{Settlement::kAck, job.id, "succeeded", JobOutcome::kSucceeded, job.type};
    if (step.outcome.succeeded) {
        MarkFinishedAndCommit(tx, job.id, JobOutcome::kSucceeded, std::nullopt, attempts, run_ms);
    } else {
        MarkFinishedAndCommit(tx, job.id, JobOutcome::kFailed,
                              step.outcome.code + ": " + step.outcome.message, attempts, run_ms);
        result.summary = "failed: " + step.outcome.code;
        result.outcome = JobOutcome::kFailed;
    }
    return {result, std::nullopt};
}

}  // namespace

ExternalProgress BeginExternalJob(PgConnection& conn, const QueueConfig& queue,
                                  const ExternalRegistry& handlers, const std::string& body) {
    auto job = ParseEnvelope(body);
    if (!job)
        return {ExecutionResult{Settlement::kDeadLetter, "", "malformed message", JobOutcome::kDead, ""},
                std::nullopt};
    auto handler = handlers.find(job->type);
    if (handler == handlers.end()) {
        PgTransaction tx(conn);
        MarkFinished(tx, job->id, JobOutcome::kDead,
                     "NO_HANDLER: queue " + queue.name + " has no handler for " + job->type, 0);
        tx.commit();
        return {ExecutionResult{Settlement::kDeadLetter, job->id, "no handler for " + job->type,
                                JobOutcome::kDead, job->type},
                std::nullopt};
    }
    std::optional<int> attempts;
    std::exception_ptr failure;
    const auto started = Clock::now();
    try {
        PgTransaction tx(conn);
        // One step and done (a transactional handler): the attempt is written with the outcome.
        const bool one_step = !handler->second.on_response;
        attempts = one_step || handler->second.count_attempt_at_outcome ? PeekAttempt(tx, job->id)
                                                                        : StartAttempt(tx, job->id);
        if (!attempts)
            return {ExecutionResult{Settlement::kAck, job->id, "duplicate delivery of a finished job",
                                    JobOutcome::kDuplicate, job->type},
                    std::nullopt};
        CountJobStarted(queue.name, job->type, job->enqueued_at);
        return Conclude(tx, *job, *attempts, handler->second.begin(tx, *job), started);
    } catch (...) {
        failure = std::current_exception();
    }
    if (!attempts) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            return {ExecutionResult{Settlement::kRequeue, job->id,
                                    std::string("cannot start the job, delivering again: ") + e.what(),
                                    JobOutcome::kRequeued, job->type},
                    std::nullopt};
        }
    }
    return {SettleFailure(conn, queue, *job, *attempts, failure), std::nullopt};
}

ExternalProgress ContinueExternalJob(PgConnection& conn, const QueueConfig& queue,
                                     const ExternalRegistry& handlers, PendingCall pending,
                                     const HttpResponse& response) {
    const auto& handler = handlers.at(pending.job.type);
    std::exception_ptr failure;
    try {
        PgTransaction tx(conn);
        // A duplicate delivery may have finished the job while this call was out.
        // (Still `queued` or `retrying` if its attempt is counted with the outcome.)
        auto state =
            tx.exec("SELECT state IN ('queued', 'running', 'retrying') FROM jobs WHERE id = $1 FOR UPDATE",
                    {pending.job.id});
        if (state.rows() == 0 || !state.boolean(0, 0))
            return {
                ExecutionResult{Settlement::kAck, pending.job.id, "finished elsewhere while its call was out",
                                JobOutcome::kDuplicate, pending.job.type},
                std::nullopt};
        return Conclude(tx, pending.job, pending.attempts,
                        handler.on_response(tx, pending.job, pending.call, response), pending.started);
    } catch (...) {
        failure = std::current_exception();
    }
    return {SettleFailure(conn, queue, pending.job, pending.attempts, failure), std::nullopt};
}

}  // namespace checkout
