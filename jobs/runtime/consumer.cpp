#include "jobs/runtime/consumer.hpp"

#include <poll.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "infra/amqp/amqp_connection.hpp"
#include "infra/core/log.hpp"
#include "infra/core/metrics.hpp"
#include "infra/core/reconnect_backoff.hpp"
#include "jobs/runtime/ack_planner.hpp"
#include "jobs/runtime/handler_thread.hpp"
#include "jobs/store/fleet_heartbeat.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {

using Clock = std::chrono::steady_clock;

// What the handler threads are running now, for the fleet's process list: "order.create 12ms, ...".
std::string Doing(const std::vector<std::shared_ptr<Slot>>& slots, const HttpMulti* http) {
    std::string out;
    const auto now = Clock::now();
    for (const auto& slot : slots) {
        std::lock_guard lock(slot->mu);
        if (slot->state != Slot::State::kRunning) continue;
        const auto job = ParseEnvelope(slot->item.body);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - slot->started).count();
        out += (out.empty() ? "" : ", ") + (job ? job->type : std::string("?")) + " " + std::to_string(ms) +
               "ms";
        if (slot->jobs > 1) out += " (batch of " + std::to_string(slot->jobs) + ")";
    }
    if (http && http->in_flight() > 0)
        out += (out.empty() ? "" : ", ") + std::to_string(http->in_flight()) + " calls out";
    return out.empty() ? "idle" : out;
}

Millis DrainTimeout(const Environment& env, const QueueConfig& queue) {
    if (env.drain_timeout) return *env.drain_timeout;
    return queue.time_limit;
}

// What this process tells about its consumer: the /metrics gauges, and the fleet's process list
// (what the handler threads are doing, written by the heartbeat's thread once a second).
class ConsumerReport {
  public:
    ConsumerReport(const WorkerProcess& process, const QueueConfig& queue, bool calls_out)
        : q_(Label("queue", queue.name)),
          in_flight_(ProcessMetrics().Gauge(
              "checkout_jobs_in_flight",
              "Messages this process holds: delivered and not yet acked or rejected.", q_)),
          calls_in_flight_(calls_out
                               ? &ProcessMetrics().Gauge(
                                     "checkout_http_calls_in_flight",
                                     "Calls to the gateway or the data platform waiting for an answer.", q_)
                               : nullptr),
          broker_reconnects_(ProcessMetrics().Counter("checkout_reconnects_total",
                                                      "Connections opened again after one was lost.",
                                                      q_ + "," + Label("peer", "rabbitmq"))),
          snapshot_(std::make_shared<Snapshot>()),
          heartbeat_(
              process.env.database_url, "worker-" + queue.name, queue.name,
              process.metrics ? process.metrics->port() : 0, [snapshot = snapshot_, this] {
                  std::lock_guard lock(snapshot->mu);
                  return ProcessReport{JobsDone(), static_cast<int>(in_flight_.load()), snapshot->doing};
              }) {}

    void Update(const AckPlanner& acks, const HttpMulti* http,
                const std::vector<std::shared_ptr<Slot>>& slots, bool draining) {
        in_flight_.store(static_cast<long long>(acks.unsettled()), std::memory_order_relaxed);
        if (calls_in_flight_ && http) calls_in_flight_->store(http->in_flight(), std::memory_order_relaxed);
        if (Clock::now() - snapshot_at_ <= std::chrono::seconds(1)) return;
        snapshot_at_ = Clock::now();
        auto doing = draining ? std::string("draining: ") + Doing(slots, http) : Doing(slots, http);
        std::lock_guard lock(snapshot_->mu);
        snapshot_->doing = std::move(doing);
    }
    void Reconnected() { broker_reconnects_.fetch_add(1, std::memory_order_relaxed); }

  private:
    struct Snapshot {
        std::mutex mu;
        std::string doing = "starting";
    };
    const std::string q_;
    std::atomic<long long>& in_flight_;
    std::atomic<long long>* calls_in_flight_;
    std::atomic<long long>& broker_reconnects_;
    std::shared_ptr<Snapshot> snapshot_;
    Clock::time_point snapshot_at_ = Clock::now();
    FleetHeartbeat heartbeat_;  // last: its thread reads the members above
};

// Deliveries not started yet go back to the broker; true once nothing is left to wait for (every
// message settled, the connection gone, or the drain's deadline passed).
bool DrainStep(AmqpConnection* conn, AckPlanner& acks, Dispatcher& dispatcher, std::uint64_t generation,
               Clock::time_point drain_until) {
    std::vector<AckPlanner::Settled> unstarted;
    for (auto& item : dispatcher.TakeUnstarted())
        if (item.generation == generation)
            unstarted.push_back({item.tag, AckPlanner::Settled::Kind::kRequeue});
    try {
        for (const auto& f : acks.Plan(unstarted))
            if (conn) conn->Reject(f.tag, true);
    } catch (const AmqpError&) {
    }
    return acks.unsettled() == 0 || !conn || Clock::now() > drain_until;
}

// What the handler threads settled, as the fewest frames that say it exactly.
void SendSettlements(AmqpConnection& conn, AckPlanner& acks, Dispatcher& dispatcher,
                     std::uint64_t generation) {
    std::vector<AckPlanner::Settled> settled;
    for (const auto& s : dispatcher.TakeSettled()) {
        if (s.generation != generation) continue;  // that channel is gone; the broker redelivers
        settled.push_back({s.tag, s.settlement == Settlement::kAck ? AckPlanner::Settled::Kind::kAck
                                  : s.settlement == Settlement::kRequeue
                                      ? AckPlanner::Settled::Kind::kRequeue
                                      : AckPlanner::Settled::Kind::kDeadLetter});
    }
    for (const auto& f : acks.Plan(settled)) {
        switch (f.kind) {
            case AckPlanner::Frame::Kind::kAck:
                conn.Ack(f.tag);
                break;
            case AckPlanner::Frame::Kind::kAckUpTo:
                conn.Ack(f.tag, true);
                break;
            case AckPlanner::Frame::Kind::kRequeue:
                conn.Reject(f.tag, true);
                break;
            case AckPlanner::Frame::Kind::kDeadLetter:
                conn.Reject(f.tag, false);
                break;
        }
    }
}

// Waits up to 200 ms for a delivery or a settlement, then hands what arrived to the handler threads
// (while draining, deliveries go straight back). Also services heartbeats when nothing arrives.
void ReceiveDeliveries(AmqpConnection& conn, AckPlanner& acks, Dispatcher& dispatcher,
                       std::uint64_t generation, bool draining) {
    if (!conn.HasBufferedData()) {
        pollfd fds[2] = {{conn.socket_fd(), POLLIN, 0}, {dispatcher.wake_fd(), POLLIN, 0}};
        ::poll(fds, 2, 200);
    }
    while (auto d = conn.Next(Millis(0))) {
        if (draining) {
            conn.Reject(d->tag, true);
            continue;
        }
        acks.Delivered(d->tag);
        dispatcher.Push(
            {generation, d->tag, std::move(d->body), nullptr, d->redelivered || d->delivery_count > 0});
        if (!conn.HasBufferedData()) break;
    }
}

// A connection that consumes the queue, or nullptr after waiting the backoff (RabbitMQ is away).
std::unique_ptr<AmqpConnection> Connect(const AmqpNodes& nodes, const QueuesConfig& cfg,
                                        const QueueConfig& queue, ReconnectBackoff& backoff,
                                        const std::atomic<bool>& stop) {
    try {
        auto conn = std::make_unique<AmqpConnection>(nodes);
        conn->DeclareTopology(cfg);
        conn->Consume(queue.name, queue.prefetch);
        backoff.Reset();
        return conn;
    } catch (const AmqpError& e) {
        backoff.WaitAfter("RabbitMQ", e, stop);
        return nullptr;
    }
}

// After the drain: the handler threads joined when every message is settled; otherwise the jobs
// still running are abandoned (their transactions roll back as the process exits and the broker
// redelivers their messages), and the process exits without waiting for their threads.
int FinishConsuming(Dispatcher& dispatcher, std::vector<std::thread>& pool, const AckPlanner& acks,
                    std::size_t abandoned_threads, std::unique_ptr<AmqpConnection>& conn) {
    dispatcher.Close();
    // Threads stuck in abandoned handlers may never return; never wait for them.
    const bool finished = acks.unsettled() == 0 && abandoned_threads == 0;
    if (finished) {
        for (auto& t : pool) t.join();
    } else {
        // Jobs still running past the deadline are abandoned: their transactions roll back when the
        // process exits and the broker redelivers their messages.
        spdlog::warn("{} jobs still running at the drain deadline; their messages will be redelivered",
                     acks.unsettled());
        for (auto& t : pool) t.detach();
    }
    conn.reset();
    spdlog::info("stopped");
    if (!finished) std::_Exit(0);
    return 0;
}

}  // namespace

int Consume(WorkerProcess& process, const QueueConfig& queue, Handlers handlers) {
    const Environment& env = process.env;
    const QueuesConfig& cfg = process.queues;
    const std::atomic<bool>& stop = process.stop;
    process.StopOnSignal();

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
                          std::ref(gate), slot, std::cref(stop));
    };
    for (int i = 0; i < queue.concurrency; ++i) {
        slots.push_back(std::make_shared<Slot>());
        start_thread(slots.back());
    }
    Watchdog watchdog(env.database_url, queue);
    std::size_t abandoned_threads = 0;

    std::unique_ptr<AmqpConnection> conn;
    std::uint64_t generation = 0;
    AckPlanner acks;  // what is delivered on the current connection and not yet settled
    ReconnectBackoff backoff;
    std::optional<Clock::time_point> drain_until;
    ConsumerReport report(process, queue, http != nullptr);

    spdlog::info("consuming {} with {} handler threads, prefetch {}", queue.name, queue.concurrency,
                 queue.prefetch);
    while (true) {
        if (stop && !drain_until) {
            drain_until = Clock::now() + DrainTimeout(env, queue);
            if (conn) {
                try {
                    conn->CancelConsume();
                } catch (const AmqpError& e) {
                    spdlog::warn("cancel failed: {}", e.what());
                }
            }
        }
        if (drain_until && DrainStep(conn.get(), acks, dispatcher, generation, *drain_until)) break;
        if (!conn || conn->broken()) {
            if (drain_until) break;
            conn.reset();
            acks.Reset();  // the broker requeues whatever the dead connection held
            conn = Connect(env.amqp, cfg, queue, backoff, stop);
            if (!conn) continue;  // a stop during the backoff's wait starts the drain
            if (++generation > 1) report.Reconnected();
            spdlog::info("connected to RabbitMQ at {} (generation {})", conn->node(), generation);
        }
        watchdog.Check(slots, dispatcher, gate, [&](std::shared_ptr<Slot> slot) {
            ++abandoned_threads;
            start_thread(std::move(slot));
        });
        report.Update(acks, http.get(), slots, drain_until.has_value());
        try {
            SendSettlements(*conn, acks, dispatcher, generation);
            ReceiveDeliveries(*conn, acks, dispatcher, generation, drain_until.has_value());
        } catch (const AmqpError& e) {
            spdlog::warn("RabbitMQ connection lost: {}", e.what());
        }
    }

    return FinishConsuming(dispatcher, pool, acks, abandoned_threads, conn);
}

}  // namespace checkout
