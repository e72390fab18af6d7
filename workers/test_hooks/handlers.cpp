// worker-test-hooks: fault injection for the system tests and the runtime benchmark. Built only with
// -DCHECKOUT_TEST_HOOKS=ON (scripts/test.sh, bench builds), and its job types are routed only by the
// test suite's queues file, never by the production queues.yaml.
//
//   test.noop                       succeeds (the runtime's own ceiling)
//   test.flaky {key, fail_times, until_flag}
//                                   retryable failure while attempt <= fail_times, or while
//                                   until_flag is set and test_flags has no row for key; then
//                                   counts one effect in test_effects(key)
//   test.fail_final                 a final (non-retryable) failure
//   test.sleep {key, ms, sleep_attempts}
//                                   sleeps (only on attempts <= sleep_attempts when given), then
//                                   counts an effect (time limits)
//   test.measured {key, ms}         the same as test.sleep; only the KPI test enqueues it, so the
//                                   KPIs of this type are that test's jobs and no other test's
//   test.crash                      aborts the worker process (poison message)
//   test.effect_then_wait {key, ms} counts an effect in its transaction, then waits up to ms for
//                                   test_flags(key) before committing (a kill between effect and commit)
//
// And one fault in the runtime itself: while the file $TEST_STATE_DIR/die_after_batch_commit exists,
// the worker removes it and SIGKILLs itself right after its next batch of jobs committed, before any
// of their messages is acked.
#include <rapidjson/document.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "infra/core/error.hpp"
#include "jobs/runtime/handler_thread.hpp"
#include "jobs/runtime/worker_runtime.hpp"

namespace checkout {
namespace {

rapidjson::Document Payload(const Job& job) {
    rapidjson::Document d;
    d.Parse(job.payload_json.c_str());
    if (!d.IsObject()) throw AppError(ErrorCode::kValidationFailed, "payload is not an object");
    return d;
}

std::string Key(const rapidjson::Document& d) {
    return d.HasMember("key") && d["key"].IsString() ? d["key"].GetString() : "";
}

void CountEffect(PgTransaction& tx, const std::string& key) {
    tx.exec(
        "INSERT INTO test_effects (key, n) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE SET n = test_effects.n "
        "+ 1",
        {key});
}

Outcome Flaky(PgTransaction& tx, const Job& job) {
    auto d = Payload(job);
    const int fail_times =
        d.HasMember("fail_times") && d["fail_times"].IsInt() ? d["fail_times"].GetInt() : 0;
    if (job.attempt <= fail_times)
        throw AppError(ErrorCode::kTransient, "injected failure on attempt " + std::to_string(job.attempt));
    if (d.HasMember("until_flag") && d["until_flag"].IsTrue() &&
        tx.exec("SELECT 1 FROM test_flags WHERE key = $1", {Key(d)}).rows() == 0)
        throw AppError(ErrorCode::kTransient, "injected failure until the flag is set");
    // Idempotent like a real handler: the effect is keyed by the job and applied once.
    if (tx.exec("INSERT INTO test_done (job_id) VALUES ($1) ON CONFLICT DO NOTHING", {job.id}).affected() ==
        1)
        CountEffect(tx, Key(d));
    return Outcome::Succeeded();
}

Outcome Sleep(PgTransaction& tx, const Job& job) {
    auto d = Payload(job);
    const bool sleeps = !d.HasMember("sleep_attempts") || job.attempt <= d["sleep_attempts"].GetInt();
    if (sleeps) std::this_thread::sleep_for(std::chrono::milliseconds(d["ms"].GetInt()));
    CountEffect(tx, Key(d));
    return Outcome::Succeeded();
}

Outcome EffectThenWait(PgTransaction& tx, const Job& job) {
    auto d = Payload(job);
    CountEffect(tx, Key(d));
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(d["ms"].GetInt());
    // Read committed: each check sees the flag as soon as the test commits it.
    while (std::chrono::steady_clock::now() < until &&
           tx.exec("SELECT 1 FROM test_flags WHERE key = $1", {Key(d)}).rows() == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return Outcome::Succeeded();
}

const std::string& FaultFlag() {
    static const std::string flag = [] {
        const char* dir = std::getenv("TEST_STATE_DIR");
        return dir ? std::string(dir) + "/die_after_batch_commit" : std::string();
    }();
    return flag;
}

void DieAfterBatchCommit() {
    if (!FaultFlag().empty() && std::remove(FaultFlag().c_str()) == 0) std::raise(SIGKILL);
}

}  // namespace
}  // namespace checkout

int main() {
    using namespace checkout;
    FaultFlag();  // the environment is read before any thread starts
    SetAfterBatchCommitHook(DieAfterBatchCommit);
    return RunWorker("test_hooks",
                     {
                         {"test.noop", [](PgTransaction&, const Job&) { return Outcome::Succeeded(); }},
                         {"test.flaky", Flaky},
                         {"test.fail_final",
                          [](PgTransaction&, const Job&) -> Outcome {
                              throw AppError(ErrorCode::kValidationFailed, "injected final failure");
                          }},
                         {"test.sleep", Sleep},
                         {"test.measured", Sleep},
                         {"test.crash", [](PgTransaction&, const Job&) -> Outcome { std::abort(); }},
                         {"test.effect_then_wait", EffectThenWait},
                     });
}
