#pragma once
// The outbox relay (DESIGN 5.1): publishes every committed job (a job row is its own outbox entry,
// publish_cursor.hpp) and the delayed retries whose time has come (the outbox table) to RabbitMQ with
// publisher confirms. Its cursor moves, and outbox rows are deleted, only after the broker confirmed
// them, so a crash anywhere means a message is published again, never lost (handlers are idempotent).
//
// Several relays may run: one holds a PostgreSQL advisory lock and works, the others wait to take
// over. It is woken by NOTIFY at commit and otherwise sleeps until the next delayed row is due.
#include <atomic>

#include "infra/core/config.hpp"

namespace checkout {

// What the relay has done, served on its /metrics (main.cpp).
struct RelayStats {
    std::atomic<long long> published{0};
    std::atomic<long long> rounds{0};         // queries that read what is due
    std::atomic<bool> leader{false};          // holds the lock and publishes (the others wait)
    std::atomic<long long> pg_reconnects{0};  // connections opened after the first
    std::atomic<long long> amqp_reconnects{0};
};

// Runs until `stop` becomes true. Survives restarts of PostgreSQL and RabbitMQ.
void RunRelay(const Environment& env, const QueuesConfig& cfg, const std::atomic<bool>& stop,
              RelayStats& stats);

}  // namespace checkout
