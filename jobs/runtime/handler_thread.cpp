#include "jobs/runtime/handler_thread.hpp"

#include <thread>

#include "infra/core/log.hpp"
#include "infra/core/metrics.hpp"
#include "infra/core/reconnect_backoff.hpp"

namespace checkout {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<void (*)()> after_batch_commit{nullptr};

void EnsureConnected(std::unique_ptr<PgConnection>& conn, const std::string& db_url,
                     const QueueConfig& queue) {
    if (conn && conn->healthy()) return;
    // The thread's first connection is not a reconnect.
    thread_local bool connected_before = false;
    if (connected_before)
        ProcessMetrics()
            .Counter("checkout_reconnects_total", "Connections opened again after one was lost.",
                     Label("queue", queue.name) + "," + Label("peer", "postgresql"))
            .fetch_add(1, std::memory_order_relaxed);
    connected_before = true;
    conn = std::make_unique<PgConnection>(db_url);
    // No statement of a job may run longer than its queue's time limit.
    conn->exec("SELECT set_config('statement_timeout', $1, false)",
               {std::to_string(queue.time_limit.count())});
}

// "host:port" of a URL, to label call figures without the path's ids.
std::string HostOf(const std::string& url) {
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    return url.substr(start, url.find('/', start) - start);
}

// One try at a work item on this handler thread.
struct Attempt {
    enum class Kind { kSettled, kCalledOut, kAbandoned } kind = Kind::kSettled;
    Settlement settlement = Settlement::kRequeue;
    std::string summary, job_id, type;
    JobOutcome outcome = JobOutcome::kRequeued;
    double seconds = 0;  // since the job's first step began
};

Attempt RunItem(const std::string& db_url, const QueueConfig& queue, const Handlers& handlers,
                Dispatcher& dispatcher, RunGate& gate, const std::shared_ptr<Slot>& slot,
                std::unique_ptr<PgConnection>& conn, WorkItem& item) {
    Attempt a;
    const auto started = Clock::now();
    const auto job_started = item.continuation ? item.continuation->pending.started : started;
    {
        RunGate::Hold hold(gate, slot.get(), item.suspect);
        try {
            EnsureConnected(conn, db_url, queue);
            {
                std::lock_guard lock(slot->mu);
                slot->state = Slot::State::kRunning;
                slot->item = item;
                slot->started = started;
                slot->backend_pid = conn->backend_pid();
            }
            ExternalProgress progress;
            if (item.continuation) {
                // A copy: if this step must be run again (the database did not answer), it needs the call.
                progress = ContinueExternalJob(*conn, queue, *handlers.steps, item.continuation->pending,
                                               item.continuation->response);
            } else {
                if (item.suspect) progress.settled = CountRedeliveredRun(*conn, queue, item.body);
                if (!progress.settled) progress = BeginExternalJob(*conn, queue, *handlers.steps, item.body);
            }
            if (progress.pending) {
                // The call goes out with no transaction open; its answer comes back as work.
                auto waiting = std::make_shared<Continuation>();
                waiting->pending = std::move(*progress.pending);
                WorkItem next{item.generation, item.tag, std::move(item.body), waiting, item.suspect};
                auto& latency = ProcessMetrics().Histo(
                    "checkout_http_call_duration_seconds",
                    "Calls out (the gateway, the data platform), from submit to answer, by host.",
                    Label("queue", queue.name) + "," + Label("host", HostOf(waiting->pending.call.url)));
                handlers.http->Submit(
                    waiting->pending.call,
                    [&dispatcher, &latency, next, sent = Clock::now()](HttpResponse response) mutable {
                        latency.Observe(std::chrono::duration<double>(Clock::now() - sent).count());
                        next.continuation->response = std::move(response);
                        dispatcher.Push(std::move(next));
                    });
                a.kind = Attempt::Kind::kCalledOut;
            } else {
                a.settlement = progress.settled->settlement;
                a.summary = progress.settled->summary;
                a.job_id = progress.settled->job_id;
                a.type = progress.settled->type;
                a.outcome = progress.settled->outcome;
                a.seconds = std::chrono::duration<double>(Clock::now() - job_started).count();
            }
        } catch (const std::exception& e) {
            a.summary = std::string("cannot run a job: ") + e.what();
            conn.reset();
        }
    }
    std::lock_guard lock(slot->mu);
    if (slot->state == Slot::State::kAbandoned) {
        // The watchdog settled this job and started a replacement thread. If this attempt still
        // committed (it beat the watchdog's pg_terminate_backend), the job is finished in the table
        // and nobody else counts it: the watchdog's record of the abandonment then found it
        // finished (a duplicate), or could not be written at all. Only the settlement is discarded.
        if (a.kind == Attempt::Kind::kSettled) {
            spdlog::warn("job={} came back after its time limit; its settlement is discarded", a.job_id);
            CountJobFinished(queue.name, a.type, a.outcome, a.seconds, item.body);
        }
        a.kind = Attempt::Kind::kAbandoned;
        return a;
    }
    slot->state = Slot::State::kIdle;
    return a;
}

// Runs fresh deliveries of a busy queue in one transaction (ExecuteBatch). False when they could
// not be settled together: nothing was committed and the caller runs each alone.
bool RunBatch(const std::string& db_url, const QueueConfig& queue, const Handlers& handlers,
              Dispatcher& dispatcher, RunGate& gate, const std::shared_ptr<Slot>& slot,
              std::unique_ptr<PgConnection>& conn, std::vector<WorkItem>& items) {
    std::optional<std::vector<ExecutionResult>> results;
    const auto started = Clock::now();
    {
        RunGate::Hold hold(gate, slot.get(), false);
        try {
            EnsureConnected(conn, db_url, queue);
            {
                std::lock_guard lock(slot->mu);
                slot->state = Slot::State::kRunning;
                slot->item = items.front();
                slot->batch.assign(items.begin() + 1, items.end());
                slot->jobs = static_cast<int>(items.size());
                slot->started = started;
                slot->backend_pid = conn->backend_pid();
            }
            std::vector<std::string> bodies;
            for (const auto& item : items) bodies.push_back(item.body);
            results = ExecuteBatch(*conn, *handlers.steps, bodies);
        } catch (const std::exception& e) {
            spdlog::warn("batch of {} jobs: {}", items.size(), e.what());
            conn.reset();
        }
    }
    std::lock_guard lock(slot->mu);
    slot->batch.clear();
    slot->jobs = 1;
    if (slot->state == Slot::State::kAbandoned) {
        // The watchdog settled every job of the batch; the thread that replaced this one goes on.
        // A batch that still committed finished its jobs: counted here, as a single job is.
        spdlog::warn("a batch of {} jobs came back after its time limit; its settlements are discarded",
                     items.size());
        if (results)
            for (std::size_t i = 0; i < items.size(); ++i)
                CountJobFinished(queue.name, (*results)[i].type, (*results)[i].outcome,
                                 (*results)[i].seconds >= 0 ? (*results)[i].seconds : 0, items[i].body);
        items.clear();
        return true;
    }
    slot->state = Slot::State::kIdle;
    if (!results) return false;
    if (auto hook = after_batch_commit.load()) hook();
    // A duplicate in the batch has no run time of its own: it is given its share of the batch.
    const double share =
        std::chrono::duration<double>(Clock::now() - started).count() / static_cast<double>(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& r = (*results)[i];
        CountJobFinished(queue.name, r.type, r.outcome, r.seconds >= 0 ? r.seconds : share, items[i].body);
        if (r.summary != "succeeded")
            spdlog::info("job={} {} (in a batch of {})", r.job_id, r.summary, items.size());
        dispatcher.Settle({items[i].generation, items[i].tag, r.settlement});
    }
    return true;
}

}  // namespace

void SetAfterBatchCommitHook(void (*hook)()) { after_batch_commit = hook; }

void HandlerThread(const std::string& db_url, const QueueConfig& queue, const Handlers& handlers,
                   Dispatcher& dispatcher, RunGate& gate, std::shared_ptr<Slot> slot,
                   const std::atomic<bool>& stop) {
    ReconnectBackoff hold;
    std::unique_ptr<PgConnection> conn;
    while (auto first = dispatcher.Pop()) {
        std::vector<WorkItem> items{std::move(*first)};
        // A busy queue commits several fresh jobs at once (queues.yaml `batch`).
        if (queue.batch > 1 && !items.front().continuation && !items.front().suspect)
            for (auto& more : dispatcher.TakeFresh(static_cast<std::size_t>(queue.batch) - 1))
                items.push_back(std::move(more));
        if (items.size() > 1 && RunBatch(db_url, queue, handlers, dispatcher, gate, slot, conn, items)) {
            if (items.empty()) return;  // abandoned past the time limit
            continue;
        }
        for (std::size_t i = 0; i < items.size(); ++i) {
            auto& item = items[i];
            const auto started = Clock::now();
            hold.Reset();
            for (int held = 0;; ++held) {
                auto a = RunItem(db_url, queue, handlers, dispatcher, gate, slot, conn, item);
                if (a.kind == Attempt::Kind::kAbandoned) {
                    // The watchdog settled this item and put another thread in this one's place; the
                    // items of the batch not run yet are handed to that thread (dropped here, their
                    // messages would stay unacked and their jobs unrun until the connection closed).
                    for (std::size_t rest = i + 1; rest < items.size(); ++rest)
                        dispatcher.Push(std::move(items[rest]));
                    return;
                }
                if (a.kind == Attempt::Kind::kCalledOut) break;
                if (a.settlement == Settlement::kRequeue && !stop) {
                    conn.reset();  // whatever state the failed attempt left it in, the next one starts clean
                    const Millis pause = hold.Next();
                    if (held % 10 == 0)
                        spdlog::warn("job={} held, not handed back ({}); trying again in {}ms", a.job_id,
                                     a.summary, pause.count());
                    for (auto until = Clock::now() + pause; Clock::now() < until && !stop;)
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    continue;
                }
                const auto ms =
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
                if (a.settlement == Settlement::kAck && a.summary == "succeeded")
                    spdlog::debug("job={} {} in {}ms", a.job_id, a.summary, ms);
                else
                    spdlog::info("job={} {} ({}ms)", a.job_id, a.summary, ms);
                CountJobFinished(queue.name, a.type, a.outcome, a.seconds, item.body);
                dispatcher.Settle({item.generation, item.tag, a.settlement});
                break;
            }
        }
    }
}

}  // namespace checkout
