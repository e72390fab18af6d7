#include "workers/runtime/worker_runtime.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/amqp_connection.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "workers/runtime/job_executor.hpp"

namespace checkout {

namespace {

using Clock = std::chrono::steady_clock;

struct WorkItem {
    std::uint64_t generation;  // which broker connection delivered it: tags are per channel
    std::uint64_t tag;
    std::string body;
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
            work_.push_back(std::move(item));
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
        std::vector<WorkItem> out(std::make_move_iterator(work_.begin()), std::make_move_iterator(work_.end()));
        work_.clear();
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

void HandlerThread(const std::string& db_url, const QueueConfig& queue, const HandlerRegistry& handlers,
                   Dispatcher& dispatcher) {
    std::unique_ptr<PgConnection> conn;
    while (auto item = dispatcher.Pop()) {
        Settlement settlement = Settlement::kRequeue;
        try {
            if (!conn || !conn->healthy()) {
                conn = std::make_unique<PgConnection>(db_url);
                // No statement of a job may run longer than its queue's time limit.
                conn->exec("SELECT set_config('statement_timeout', $1, false)", {std::to_string(queue.time_limit.count())});
            }
            const auto started = Clock::now();
            auto r = ExecuteJob(*conn, queue, handlers, item->body);
            settlement = r.settlement;
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
            if (r.settlement == Settlement::kAck && r.summary == "succeeded")
                spdlog::debug("job={} {} in {}ms", r.job_id, r.summary, ms);
            else
                spdlog::info("job={} {} ({}ms)", r.job_id, r.summary, ms);
        } catch (const std::exception& e) {
            // The database is unreachable: hand the message back after a pause rather than spin.
            spdlog::error("cannot run a job: {}", e.what());
            conn.reset();
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        dispatcher.Settle({item->generation, item->tag, settlement});
    }
}

Millis DrainTimeout(const QueueConfig& queue) {
    if (const char* v = std::getenv("WORKER_DRAIN_TIMEOUT_MS")) return Millis(std::atol(v));
    return queue.time_limit;
}

}  // namespace

int RunWorker(const std::string& queue_name, const HandlerRegistry& handlers) {
    sigset_t signals = BlockTerminationSignals();

    InitLogging("worker-" + queue_name);
    Environment env;
    QueuesConfig cfg;
    try {
        env = LoadEnvironment({.database = true, .amqp = true, .jwt = false});
        cfg = LoadQueuesYaml(env.queues_file);
        cfg.Queue(queue_name);
    } catch (const ConfigError& e) {
        std::cerr << "configuration error: " << e.what() << "\n";
        return 2;
    }
    const QueueConfig& queue = cfg.Queue(queue_name);
    for (const auto& [type, _] : handlers)
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
    std::vector<std::thread> pool;
    for (int i = 0; i < queue.concurrency; ++i)
        pool.emplace_back(HandlerThread, env.database_url, std::cref(queue), std::cref(handlers), std::ref(dispatcher));

    std::unique_ptr<AmqpConnection> conn;
    std::uint64_t generation = 0;
    std::size_t in_flight = 0;  // delivered on the current connection, not yet settled
    Millis backoff(250);
    std::optional<Clock::time_point> drain_until;

    spdlog::info("consuming {} with {} handler threads, prefetch {}", queue.name, queue.concurrency, queue.prefetch);
    while (true) {
        if (g_stop && !drain_until) {
            drain_until = Clock::now() + DrainTimeout(queue);
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
                conn = std::make_unique<AmqpConnection>(env.amqp_url);
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
                dispatcher.Push({generation, d->tag, std::move(d->body)});
                if (!conn->HasBufferedData()) break;
            }
        } catch (const AmqpError& e) {
            spdlog::warn("RabbitMQ connection lost: {}", e.what());
        }
    }

    dispatcher.Close();
    const bool finished = in_flight == 0;
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

}  // namespace checkout
