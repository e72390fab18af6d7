#include "workers/runtime/external_executor.hpp"

namespace checkout {

namespace {

using Clock = std::chrono::steady_clock;

// Ends a step inside `tx`: commits the outcome, or commits and returns the next call.
ExternalProgress Conclude(PgTransaction& tx, const Job& job, int attempts, Step step, Clock::time_point started) {
    if (step.call) {
        tx.commit();
        return {std::nullopt, PendingCall{job, attempts, std::move(*step.call), started}};
    }
    const long long run_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    ExecutionResult result{Settlement::kAck, job.id, "succeeded"};
    if (step.outcome.succeeded) {
        MarkFinishedAndCommit(tx, job.id, JobState::kSucceeded, std::nullopt, attempts, run_ms);
    } else {
        MarkFinishedAndCommit(tx, job.id, JobState::kFailed, step.outcome.code + ": " + step.outcome.message, attempts, run_ms);
        result.summary = "failed: " + step.outcome.code;
    }
    return {result, std::nullopt};
}

}  // namespace

ExternalProgress BeginExternalJob(PgConnection& conn, const QueueConfig& queue, const ExternalRegistry& handlers,
                                  const std::string& body) {
    auto job = ParseEnvelope(body);
    if (!job) return {ExecutionResult{Settlement::kDeadLetter, "", "malformed message"}, std::nullopt};
    auto handler = handlers.find(job->type);
    if (handler == handlers.end()) {
        PgTransaction tx(conn);
        MarkFinished(tx, job->id, JobState::kDead, "NO_HANDLER: queue " + queue.name + " has no handler for " + job->type, 0);
        tx.commit();
        return {ExecutionResult{Settlement::kDeadLetter, job->id, "no handler for " + job->type}, std::nullopt};
    }
    std::optional<int> attempts;
    std::exception_ptr failure;
    const auto started = Clock::now();
    try {
        PgTransaction tx(conn);
        attempts = StartAttempt(tx, job->id);
        if (!attempts)
            return {ExecutionResult{Settlement::kAck, job->id, "duplicate delivery of a finished job"}, std::nullopt};
        return Conclude(tx, *job, *attempts, handler->second.begin(tx, *job), started);
    } catch (...) {
        failure = std::current_exception();
    }
    if (!attempts) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            return {ExecutionResult{Settlement::kRequeue, job->id, std::string("cannot start the job, delivering again: ") + e.what()},
                    std::nullopt};
        }
    }
    return {SettleFailure(conn, queue, *job, *attempts, failure), std::nullopt};
}

ExternalProgress ContinueExternalJob(PgConnection& conn, const QueueConfig& queue, const ExternalRegistry& handlers,
                                     PendingCall pending, const HttpResponse& response) {
    const auto& handler = handlers.at(pending.job.type);
    std::exception_ptr failure;
    try {
        PgTransaction tx(conn);
        // A duplicate delivery may have finished the job while this call was out.
        auto state = tx.exec("SELECT state FROM jobs WHERE id = $1 FOR UPDATE", {pending.job.id});
        if (state.rows() == 0 || state.get(0, 0) != "running")
            return {ExecutionResult{Settlement::kAck, pending.job.id, "finished elsewhere while its call was out"}, std::nullopt};
        return Conclude(tx, pending.job, pending.attempts,
                        handler.on_response(tx, pending.job, pending.call, response), pending.started);
    } catch (...) {
        failure = std::current_exception();
    }
    return {SettleFailure(conn, queue, pending.job, pending.attempts, failure), std::nullopt};
}

}  // namespace checkout
