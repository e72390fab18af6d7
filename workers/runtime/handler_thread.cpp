#include "workers/runtime/handler_thread.hpp"

#include <thread>

#include "common/log.hpp"
#include "common/reconnect_backoff.hpp"

namespace checkout {

namespace {

using Clock = std::chrono::steady_clock;

// One try at a work item on this handler thread.
struct Attempt {
    enum class Kind { kSettled, kCalledOut, kAbandoned } kind = Kind::kSettled;
    Settlement settlement = Settlement::kRequeue;
    std::string summary, job_id;
};

Attempt RunItem(const std::string& db_url, const QueueConfig& queue, const Handlers& handlers, Dispatcher& dispatcher,
                RunGate& gate, const std::shared_ptr<Slot>& slot, std::unique_ptr<PgConnection>& conn, WorkItem& item) {
    Attempt a;
    const auto started = Clock::now();
    {
        RunGate::Hold hold(gate, slot.get(), item.suspect);
        try {
            if (!conn || !conn->healthy()) {
                conn = std::make_unique<PgConnection>(db_url);
                // No statement of a job may run longer than its queue's time limit.
                conn->exec("SELECT set_config('statement_timeout', $1, false)", {std::to_string(queue.time_limit.count())});
            }
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
                handlers.http->Submit(waiting->pending.call, [&dispatcher, next](HttpResponse response) mutable {
                    next.continuation->response = std::move(response);
                    dispatcher.Push(std::move(next));
                });
                a.kind = Attempt::Kind::kCalledOut;
            } else {
                a.settlement = progress.settled->settlement;
                a.summary = progress.settled->summary;
                a.job_id = progress.settled->job_id;
            }
        } catch (const std::exception& e) {
            a.summary = std::string("cannot run a job: ") + e.what();
            conn.reset();
        }
    }
    std::lock_guard lock(slot->mu);
    if (slot->state == Slot::State::kAbandoned) {
        // The watchdog settled this job and started a replacement thread.
        if (a.kind == Attempt::Kind::kSettled)
            spdlog::warn("job={} came back after its time limit; its result is discarded", a.job_id);
        a.kind = Attempt::Kind::kAbandoned;
        return a;
    }
    slot->state = Slot::State::kIdle;
    return a;
}

}  // namespace

void HandlerThread(const std::string& db_url, const QueueConfig& queue, const Handlers& handlers,
                   Dispatcher& dispatcher, RunGate& gate, std::shared_ptr<Slot> slot, const std::atomic<bool>& stop) {
    ReconnectBackoff hold;
    std::unique_ptr<PgConnection> conn;
    while (auto item = dispatcher.Pop()) {
        const auto started = Clock::now();
        hold.Reset();
        for (int held = 0;; ++held) {
            auto a = RunItem(db_url, queue, handlers, dispatcher, gate, slot, conn, *item);
            if (a.kind == Attempt::Kind::kAbandoned) return;
            if (a.kind == Attempt::Kind::kCalledOut) break;
            if (a.settlement == Settlement::kRequeue && !stop) {
                conn.reset();  // whatever state the failed attempt left it in, the next one starts clean
                const Millis pause = hold.Next();
                if (held % 10 == 0)
                    spdlog::warn("job={} held, not handed back ({}); trying again in {}ms", a.job_id, a.summary, pause.count());
                for (auto until = Clock::now() + pause; Clock::now() < until && !stop;)
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                continue;
            }
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
            if (a.settlement == Settlement::kAck && a.summary == "succeeded")
                spdlog::debug("job={} {} in {}ms", a.job_id, a.summary, ms);
            else
                spdlog::info("job={} {} ({}ms)", a.job_id, a.summary, ms);
            dispatcher.Settle({item->generation, item->tag, a.settlement});
            break;
        }
    }
}

}  // namespace checkout
