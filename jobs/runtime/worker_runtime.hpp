#pragma once
// The worker contract, for every queue (DESIGN 4 and 5):
//
//   * A handler runs inside a PostgreSQL transaction opened for it. Returning commits the effect
//     together with the job's final state, and only then is the message acked.
//   * Returning Outcome::Failed is a final business outcome (e.g. INSUFFICIENT_STOCK): the handler
//     writes what that means in the same transaction; the job ends `failed`; no retry.
//   * Throwing AppError with a retryable code (or PgError that is transient, or anything unexpected)
//     rolls back; the next attempt is scheduled through the outbox after the queue's backoff, and
//     the message is acked (no worker thread or unacked message waits out the delay). Past
//     max_retries the job ends `dead` and the message goes to the queue's dead-letter queue.
//   * Throwing AppError with a final code ends the job `failed` at once.
//   * If the commit itself is in doubt (connection lost during COMMIT), the message is requeued:
//     delivery is at-least-once and handlers are idempotent, so running it again is safe.
//
// Handlers therefore must be idempotent: guard every effect with state read under lock in the same
// transaction (e.g. "order is still pending").
//
// Jobs that call out (the gateway, the data platform) use an ExternalHandler instead, because no
// transaction may stay open across the network (DESIGN 5.4):
//
//   * `begin` runs in a short transaction (the attempt is counted there, unless the handler has it
//     counted with the outcome: count_attempt_at_outcome) and returns either an
//     outcome (as above) or an HTTP call. The transaction commits before the call is made.
//   * The call runs with no transaction open, many at once on one thread (HttpMulti), at most the
//     queue's max_in_flight per process; the message stays unacked meanwhile.
//   * `on_response` runs in a new short transaction with the answer, and again returns an outcome
//     or a further call (e.g. a lookup that finds nothing leads to the confirm itself). Throwing
//     works as above. A crash anywhere leaves the message unacked, so it runs again: external
//     handlers send idempotency keys and check state before calling.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "infra/http_client/curl_easy.hpp"
#include "infra/pg/pg_connection.hpp"
#include "jobs/runtime/worker_process.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

struct Outcome {
    bool succeeded = true;
    std::string code;     // stable code of a business failure
    std::string message;  // human-readable detail, stored as the job's last_error

    static Outcome Succeeded() { return {}; }
    static Outcome Failed(std::string code, std::string message) {
        return {false, std::move(code), std::move(message)};
    }
};

using JobHandler = std::function<Outcome(PgTransaction& tx, const Job& job)>;
using HandlerRegistry = std::map<std::string, JobHandler>;
// Runs once before the jobs of one type in a batch (queues.yaml `batch`), in the batch's
// transaction: e.g. takes the row locks those jobs will need, in one fixed order, so that two
// batches that share rows wait for each other instead of deadlocking. It may also do the work of
// some jobs as a set: the ids it returns are succeeded, their handler is not run (the same contract:
// committed with the batch, or rolled back with it).
using BatchPrologue = std::function<std::set<std::string>(PgTransaction& tx, const std::vector<Job>& jobs)>;
using BatchPrologues = std::map<std::string, BatchPrologue>;

// One step of an external job: a call to make, or the outcome.
struct Step {
    std::optional<HttpCall> call;
    Outcome outcome;

    static Step Call(HttpCall c) { return {std::move(c), {}}; }
    static Step Done(Outcome o) { return {std::nullopt, std::move(o)}; }
};

struct ExternalHandler {
    std::function<Step(PgTransaction& tx, const Job& job)> begin;
    // `call` is the request this is the answer to.
    std::function<Step(PgTransaction& tx, const Job& job, const HttpCall& call, const HttpResponse& response)>
        on_response;
    BatchPrologue before_batch;  // transactional handlers only
    // The attempt is written with its outcome (or its retry) instead of before the call: `begin`'s
    // transaction then writes nothing on the common path, and the job stays `queued` while its call
    // is out. For handlers whose call is made harmless to repeat by the callee (an idempotency key,
    // a unique orderId), not by anything `begin` writes.
    bool count_attempt_at_outcome = false;
};
using ExternalRegistry = std::map<std::string, ExternalHandler>;

// Runs the worker of the process's queue until SIGTERM/SIGINT, then drains. Returns the exit code
// (2 when a handler's job type is not routed to that queue). StartWorkerProcess (worker_process.hpp)
// comes first: it blocks the signals and loads the configuration, once.
int RunWorker(WorkerProcess& process, const HandlerRegistry& handlers, const BatchPrologues& prologues = {});
int RunExternalWorker(WorkerProcess& process, const ExternalRegistry& handlers);
// StartWorkerProcess(queue_name), then RunWorker: for binaries whose handlers need no configuration.
int RunWorker(const std::string& queue_name, const HandlerRegistry& handlers,
              const BatchPrologues& prologues = {});

}  // namespace checkout
