#include "workers/runtime/worker_runtime.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/amqp_connection.hpp"
#include "common/curl_multi.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "workers/runtime/external_executor.hpp"
#include "workers/runtime/job_executor.hpp"
#include "workers/runtime/run_gate.hpp"
#include "common/retry_policy.hpp"

namespace checkout {

namespace {

using Clock = std::chrono::steady_clock;

// An external job's answer, to be handed to its next step.
struct Continuation {
    PendingCall pending;
    HttpResponse response;
};

struct WorkItem {
    std::uint64_t generation;  // which broker connection delivered it: tags are per channel
    std::uint64_t tag;
    std::string body;
    std::shared_ptr<Continuation> continuation;  // set when this is an answer, not a new delivery
    bool suspect = false;  // delivered again after a worker died: runs alone (run_gate.hpp)
};

struct Settled {
    std::uint64_t generation;
    std::uint64_t tag;
    Settlement settlement;
};

// Hands deliveries from the connection thread to the handler threads and outcomes back. Only the
// connection thread touches the broker connection (rabbitmq-c forbids sharing it).
class Dispatcher {
public:
    Dispatcher() : wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    ~Dispatcher() { close(wake_fd_); }

    void Push(WorkItem item) {
        {
            std::lock_guard lock(mu_);
            // Answers first: they finish work already started and free its unacked message.
            if (item.continuation) work_.push_front(std::move(item));
            else work_.push_back(std::move(item));
        }
        work_cv_.notify_one();
    }
    // Blocks for work; nullopt once closed.
    std::optional<WorkItem> Pop() {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return closed_ || !work_.empty(); });
        if (work_.empty()) return std::nullopt;
        auto item = std::move(work_.front());
        work_.pop_front();
        return item;
    }
    // Takes back deliveries no handler has started, to hand them back to the broker.
    std::vector<WorkItem> TakeUnstarted() {
        std::lock_guard lock(mu_);
        std::vector<WorkItem> out;
        std::deque<WorkItem> keep;
        for (auto& item : work_) {
            if (item.continuation) keep.push_back(std::move(item));
            else out.push_back(std::move(item));
        }
        work_ = std::move(keep);
        return out;
    }
    void Close() {
        {
            std::lock_guard lock(mu_);
            closed_ = true;
        }
        work_cv_.notify_all();
    }
    void Settle(Settled s) {
        {
            std::lock_guard lock(mu_);
            settled_.push_back(s);
        }
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof(one));
    }
    std::vector<Settled> TakeSettled() {
        std::uint64_t drained;
        [[maybe_unused]] auto n = read(wake_fd_, &drained, sizeof(drained));
        std::lock_guard lock(mu_);
        std::vector<Settled> out(settled_.begin(), settled_.end());
        settled_.clear();
        return out;
    }
    int wake_fd() const { return wake_fd_; }

private:
    int wake_fd_;
    std::mutex mu_;
    std::condition_variable work_cv_;
    std::deque<WorkItem> work_;
    std::deque<Settled> settled_;
    bool closed_ = false;
};

std::atomic<bool> g_stop{false};

// How long a handler thread waits before running a held job again (the database did not answer).
const BackoffPolicy kHoldBackoff{Millis(250), 2.0, Millis(5000), 0.2};

// What one handler thread is doing, shared with the watchdog. A job is settled exactly once: by
// its thread when it finishes, or by the watchdog when it abandons it past the time limit
// (whichever moves `state` away from kRunning first).
struct Slot {
    enum class State { kIdle, kRunning, kAbandoned };
    std::mutex mu;
    State state = State::kIdle;
    WorkItem item;
    Clock::time_point started;
    int backend_pid = 0;
};

// What a worker process runs; `http` only for queues whose jobs call out.
struct Handlers {
    const ExternalRegistry* steps = nullptr;
    bool calls_out = false;
    HttpMulti* http = nullptr;
};

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

// Runs work items until the dispatcher closes. A job that cannot be settled now (PostgreSQL does not
// answer, or a commit is in doubt) is held and run again here once the database answers, rather than
// handed back: every return to RabbitMQ counts as a delivery, and an outage of the database is not
// the job's fault. While its threads hold messages, a worker takes no more than its prefetch.
void HandlerThread(const std::string& db_url, const QueueConfig& queue, const Handlers& handlers,
                   Dispatcher& dispatcher, RunGate& gate, std::shared_ptr<Slot> slot) {
    std::unique_ptr<PgConnection> conn;
    while (auto item = dispatcher.Pop()) {
        const auto started = Clock::now();
        for (int held = 0;; ++held) {
            auto a = RunItem(db_url, queue, handlers, dispatcher, gate, slot, conn, *item);
            if (a.kind == Attempt::Kind::kAbandoned) return;
            if (a.kind == Attempt::Kind::kCalledOut) break;
            if (a.settlement == Settlement::kRequeue && !g_stop) {
                conn.reset();  // whatever state the failed attempt left it in, the next one starts clean
                const Millis pause = NextDelay(kHoldBackoff, held + 1);
                if (held % 10 == 0)
                    spdlog::warn("job={} held, not handed back ({}); trying again in {}ms", a.job_id, a.summary, pause.count());
                for (auto until = Clock::now() + pause; Clock::now() < until && !g_stop;)
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

// Abandons handlers that ran past the queue's time limit: their database backend is terminated
// (rolling back their transaction and releasing its locks), the attempt is recorded as a
// retryable failure, the message is settled, and a fresh thread takes the abandoned one's place.
class Watchdog {
public:
    Watchdog(const std::string& db_url, const QueueConfig& queue) : db_url_(db_url), queue_(queue) {}

    void Check(std::vector<std::shared_ptr<Slot>>& slots, Dispatcher& dispatcher, RunGate& gate,
               const std::function<void(std::shared_ptr<Slot>)>& replace) {
        const auto now = Clock::now();
        for (auto& slot : slots) {
            WorkItem item;
            int pid = 0;
            {
                std::lock_guard lock(slot->mu);
                if (slot->state != Slot::State::kRunning || now - slot->started < queue_.time_limit) continue;
                slot->state = Slot::State::kAbandoned;
                item = slot->item;
                pid = slot->backend_pid;
            }
            Settlement settlement = Settlement::kRequeue;
            try {
                if (!db_ || !db_->healthy()) db_ = std::make_unique<PgConnection>(db_url_);
                db_->exec("SELECT pg_terminate_backend($1)", {pid});
                auto r = AbandonJob(*db_, queue_, item.body);
                settlement = r.settlement;
                spdlog::warn("job={} abandoned after {}ms: {}", r.job_id, queue_.time_limit.count(), r.summary);
            } catch (const std::exception& e) {
                spdlog::error("cannot record an abandoned job ({}); it will be delivered again", e.what());
                db_.reset();
            }
            dispatcher.Settle({item.generation, item.tag, settlement});
            // The abandoned thread may never return to release its place in the gate.
            gate.Release(slot.get());
            slot = std::make_shared<Slot>();
            replace(slot);
        }
    }

private:
    std::string db_url_;
    const QueueConfig& queue_;
    std::unique_ptr<PgConnection> db_;
};

Millis DrainTimeout(const Environment& env, const QueueConfig& queue) {
    if (env.drain_timeout) return *env.drain_timeout;
    return queue.time_limit;
}

int RunWorkerWith(const std::string& queue_name, const std::vector<std::string>& job_types, Handlers handlers) {
    sigset_t signals = BlockTerminationSignals();

    InitLogging("worker-" + queue_name);
    Environment env;
    QueuesConfig cfg;
    if (!LoadServiceConfig({.database = true, .amqp = true, .jwt = false}, env, cfg)) return 2;
    if (std::none_of(cfg.queues.begin(), cfg.queues.end(), [&](const QueueConfig& q) { return q.name == queue_name; })) {
        std::cerr << "configuration error: queues." << queue_name << ": no such queue in " << env.queues_file << "\n";
        return 2;
    }
    const QueueConfig& queue = cfg.Queue(queue_name);
    for (const auto& type : job_types)
        if (&cfg.QueueForJobType(type) != &queue) {
            std::cerr << "configuration error: job_types: " << type << " is not routed to " << queue_name << "\n";
            return 2;
        }

    std::thread signal_thread([&] {
        int sig = 0;
        sigwait(&signals, &sig);
        spdlog::info("signal {}: draining", sig);
        g_stop = true;
    });
    signal_thread.detach();

    Dispatcher dispatcher;
    // After the dispatcher, so it is destroyed first: its callbacks push into the dispatcher.
    std::unique_ptr<HttpMulti> http;
    if (handlers.calls_out) {
        http = std::make_unique<HttpMulti>(queue.max_in_flight > 0 ? queue.max_in_flight : queue.prefetch);
        handlers.http = http.get();
    }
    std::vector<std::thread> pool;
    std::vector<std::shared_ptr<Slot>> slots;
    RunGate gate;
    auto start_thread = [&](std::shared_ptr<Slot> slot) {
        pool.emplace_back(HandlerThread, env.database_url, std::cref(queue), handlers, std::ref(dispatcher),
                          std::ref(gate), slot);
    };
    for (int i = 0; i < queue.concurrency; ++i) {
        slots.push_back(std::make_shared<Slot>());
        start_thread(slots.back());
    }
    Watchdog watchdog(env.database_url, queue);
    std::size_t abandoned_threads = 0;

    std::unique_ptr<AmqpConnection> conn;
    std::uint64_t generation = 0;
    std::size_t in_flight = 0;  // delivered on the current connection, not yet settled
    Millis backoff(250);
    std::optional<Clock::time_point> drain_until;

    spdlog::info("consuming {} with {} handler threads, prefetch {}", queue.name, queue.concurrency, queue.prefetch);
    while (true) {
        if (g_stop && !drain_until) {
            drain_until = Clock::now() + DrainTimeout(env, queue);
            if (conn) {
                try {
                    conn->CancelConsume();
                } catch (const AmqpError& e) {
                    spdlog::warn("cancel failed: {}", e.what());
                }
            }
        }
        if (drain_until) {
            for (auto& item : dispatcher.TakeUnstarted()) {
                if (item.generation != generation) continue;
                --in_flight;
                try {
                    if (conn) conn->Reject(item.tag, true);
                } catch (const AmqpError&) {
                }
            }
            if (in_flight == 0 || !conn || Clock::now() > *drain_until) break;
        }
        if (!conn || conn->broken()) {
            if (drain_until) break;
            conn.reset();
            in_flight = 0;  // the broker requeues whatever the dead connection held
            try {
                conn = std::make_unique<AmqpConnection>(env.amqp);
                conn->DeclareTopology(cfg);
                conn->Consume(queue.name, queue.prefetch);
                ++generation;
                backoff = Millis(250);
                spdlog::info("connected to RabbitMQ (generation {})", generation);
            } catch (const AmqpError& e) {
                conn.reset();
                spdlog::warn("RabbitMQ unavailable ({}); retrying in {}ms", e.what(), backoff.count());
                std::this_thread::sleep_for(backoff);
                backoff = std::min(backoff * 2, Millis(5000));
                continue;
            }
        }
        watchdog.Check(slots, dispatcher, gate, [&](std::shared_ptr<Slot> slot) {
            ++abandoned_threads;
            start_thread(std::move(slot));
        });
        try {
            for (const auto& s : dispatcher.TakeSettled()) {
                if (s.generation != generation) continue;  // that channel is gone; the broker redelivers
                --in_flight;
                if (s.settlement == Settlement::kAck) conn->Ack(s.tag);
                else conn->Reject(s.tag, s.settlement == Settlement::kRequeue);
            }
            if (!conn->HasBufferedData()) {
                pollfd fds[2] = {{conn->socket_fd(), POLLIN, 0}, {dispatcher.wake_fd(), POLLIN, 0}};
                ::poll(fds, 2, 200);
            }
            // Also services heartbeats when nothing arrives.
            while (auto d = conn->Next(Millis(0))) {
                if (drain_until) {
                    conn->Reject(d->tag, true);
                    continue;
                }
                ++in_flight;
                dispatcher.Push({generation, d->tag, std::move(d->body), nullptr, d->redelivered || d->delivery_count > 0});
                if (!conn->HasBufferedData()) break;
            }
        } catch (const AmqpError& e) {
            spdlog::warn("RabbitMQ connection lost: {}", e.what());
        }
    }

    dispatcher.Close();
    // Threads stuck in abandoned handlers may never return; never wait for them.
    const bool finished = in_flight == 0 && abandoned_threads == 0;
    if (finished) {
        for (auto& t : pool) t.join();
    } else {
        // Jobs still running past the deadline are abandoned: their transactions roll back when the
        // process exits and the broker redelivers their messages.
        spdlog::warn("{} jobs still running at the drain deadline; their messages will be redelivered", in_flight);
        for (auto& t : pool) t.detach();
    }
    conn.reset();
    spdlog::info("stopped");
    if (!finished) std::_Exit(0);
    return 0;
}

}  // namespace

int RunWorker(const std::string& queue_name, const HandlerRegistry& handlers) {
    std::vector<std::string> types;
    for (const auto& [type, _] : handlers) types.push_back(type);
    const ExternalRegistry steps = InTransaction(handlers);
    return RunWorkerWith(queue_name, types, Handlers{&steps, false, nullptr});
}

int RunExternalWorker(const std::string& queue_name, const ExternalRegistry& handlers) {
    std::vector<std::string> types;
    for (const auto& [type, _] : handlers) types.push_back(type);
    return RunWorkerWith(queue_name, types, Handlers{&handlers, true, nullptr});
}

}  // namespace checkout
