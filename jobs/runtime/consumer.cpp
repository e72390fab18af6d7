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
    auto& metrics = ProcessMetrics();
    const std::string q = Label("queue", queue.name);
    auto& in_flight =
        metrics.Gauge("checkout_jobs_in_flight",
                      "Messages this process holds: delivered and not yet acked or rejected.", q);
    auto* calls_in_flight =
        http ? &metrics.Gauge("checkout_http_calls_in_flight",
                              "Calls to the gateway or the data platform waiting for an answer.", q)
             : nullptr;
    struct Snapshot {
        std::mutex mu;
        std::string doing = "starting";
    };
    auto snapshot = std::make_shared<Snapshot>();
    FleetHeartbeat heartbeat(
        env.database_url, "worker-" + queue.name, queue.name, process.metrics ? process.metrics->port() : 0,
        [snapshot, &in_flight] {
            std::lock_guard lock(snapshot->mu);
            return ProcessReport{JobsDone(), static_cast<int>(in_flight.load()), snapshot->doing};
        });
    auto snapshot_at = Clock::now();
    auto& broker_reconnects =
        metrics.Counter("checkout_reconnects_total", "Connections opened again after one was lost.",
                        q + "," + Label("peer", "rabbitmq"));

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
        if (drain_until) {
            std::vector<AckPlanner::Settled> unstarted;
            for (auto& item : dispatcher.TakeUnstarted())
                if (item.generation == generation)
                    unstarted.push_back({item.tag, AckPlanner::Settled::Kind::kRequeue});
            try {
                for (const auto& f : acks.Plan(unstarted))
                    if (conn) conn->Reject(f.tag, true);
            } catch (const AmqpError&) {
            }
            if (acks.unsettled() == 0 || !conn || Clock::now() > *drain_until) break;
        }
        if (!conn || conn->broken()) {
            if (drain_until) break;
            conn.reset();
            acks.Reset();  // the broker requeues whatever the dead connection held
            try {
                conn = std::make_unique<AmqpConnection>(env.amqp);
                conn->DeclareTopology(cfg);
                conn->Consume(queue.name, queue.prefetch);
                if (++generation > 1) broker_reconnects.fetch_add(1, std::memory_order_relaxed);
                backoff.Reset();
                spdlog::info("connected to RabbitMQ (generation {})", generation);
            } catch (const AmqpError& e) {
                conn.reset();
                backoff.WaitAfter("RabbitMQ", e, stop);  // a stop during the wait starts the drain
                continue;
            }
        }
        watchdog.Check(slots, dispatcher, gate, [&](std::shared_ptr<Slot> slot) {
            ++abandoned_threads;
            start_thread(std::move(slot));
        });
        in_flight.store(static_cast<long long>(acks.unsettled()), std::memory_order_relaxed);
        if (http) calls_in_flight->store(http->in_flight(), std::memory_order_relaxed);
        if (Clock::now() - snapshot_at > std::chrono::seconds(1)) {
            snapshot_at = Clock::now();
            auto doing =
                drain_until ? std::string("draining: ") + Doing(slots, http.get()) : Doing(slots, http.get());
            std::lock_guard lock(snapshot->mu);
            snapshot->doing = std::move(doing);
        }
        try {
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
                        conn->Ack(f.tag);
                        break;
                    case AckPlanner::Frame::Kind::kAckUpTo:
                        conn->Ack(f.tag, true);
                        break;
                    case AckPlanner::Frame::Kind::kRequeue:
                        conn->Reject(f.tag, true);
                        break;
                    case AckPlanner::Frame::Kind::kDeadLetter:
                        conn->Reject(f.tag, false);
                        break;
                }
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
                acks.Delivered(d->tag);
                dispatcher.Push({generation, d->tag, std::move(d->body), nullptr,
                                 d->redelivered || d->delivery_count > 0});
                if (!conn->HasBufferedData()) break;
            }
        } catch (const AmqpError& e) {
            spdlog::warn("RabbitMQ connection lost: {}", e.what());
        }
    }

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

}  // namespace checkout
