#pragma once
// Which committed jobs the relay has published (migration 007: a job row is its own outbox entry).
//
// Jobs carry the id of the transaction that inserted them (publish_xid). Transactions commit out of
// id order, so "every id below N" is not a safe cursor by itself; what is safe is a snapshot: every
// transaction below its xmax is either finished (its jobs are visible now, or never will be) or
// listed in its xip (still running). So each round reads the jobs of the ids that were still
// running last time (`pending`) plus the new ids [low, hi), where hi is the snapshot's xmax, and
// the next round starts from hi with the snapshot's running ids as `pending`. No job is read twice
// while the relay runs, none is skipped, and a long transaction delays only its own jobs.
//
// What survives a restart is one number, durable(): every job of a transaction below it was
// published. A relay that starts from it publishes again the few jobs of transactions that finished
// out of order above it (at-least-once: handlers are idempotent).
#include <cstdint>
#include <string>
#include <vector>

namespace checkout {

class PublishCursor {
  public:
    // At most this many transaction ids are read in one round, so that a backlog (RabbitMQ was down)
    // is published in batches of bounded size.
    static constexpr std::uint64_t kMaxIdsPerRound = 2000;

    explicit PublishCursor(std::uint64_t start) : low_(start) {}

    std::uint64_t low() const { return low_; }
    std::uint64_t cap() const { return low_ + kMaxIdsPerRound; }
    // The ids still running at the last snapshot, as a PostgreSQL array literal.
    std::string pending_array() const;
    // After every job the round read was confirmed by RabbitMQ: `hi` is the snapshot's xmax (at most
    // cap()), `running` its running ids below hi.
    void Advance(std::uint64_t hi, const std::vector<std::int64_t>& running);
    // Every job of a transaction below this id was published.
    std::uint64_t durable() const;

  private:
    std::uint64_t low_;
    std::vector<std::uint64_t> pending_;
};

}  // namespace checkout
