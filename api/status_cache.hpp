#pragma once
// Order and payment statuses answered from memory (issue 8), and long polls (`?wait=N`).
//
// One thread per API process, with a PostgreSQL connection of its own, answers the status reads:
// a read is parked (holding no thread) until the next round, at most one every 50 ms, which loads
// every status that reads are waiting for in one query per kind, however many clients ask. A poll
// costs no query of its own, and since the round started after the request arrived, its answer
// reflects every commit made before the request, wherever it was made (a worker, the scheduler, a
// webhook); it waits at most one round. A status that can never change again (an order failed,
// expired or canceled; a payment canceled) is answered from memory at once. A long poll
// (`?wait=N`) stays parked, reloaded each round, until a round finds the status settled or its wait
// is over.
//
// Why rounds and not a NOTIFY from every commit that changes a status: PostgreSQL serializes the
// commits of all transactions that notify (they take one lock on the notification queue and keep
// it through their WAL flush). The order and payment workers commit while holding the hot product
// row's lock, so in a flash sale every notifying commit made every buyer behind it wait: measured,
// the flash checkout took 12.2 s with status triggers against 10.0 s without (docs/benchmarks.md). A
// round costs one query per 50 ms per API process, however many clients poll. The LISTEN
// connection is kept for what API processes change themselves (a buyer's cancel): they notify
// after their commit, so that every process shows it at once.
//
// Only this thread loads statuses, one round after another; so a status it stores is never older
// than the one it replaces, and a client polling one API process never sees a status go back. A
// request for a status that is absent or not current waits for the next round rather than reading
// the database itself, for the same reason.
//
// Ownership is checked on every answer: another user's order or payment is 404, as before.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/answers/statuses.hpp"
#include "api/http_support.hpp"

namespace checkout::api {

enum class StatusKind { kOrder, kPayment };

class StatusCache {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::seconds kMaxWait{30};

    StatusCache(std::string database_url, std::size_t max_entries);
    ~StatusCache();
    StatusCache(const StatusCache&) = delete;
    StatusCache& operator=(const StatusCache&) = delete;

    // The status of `id` for `user_id`: returned now when it is in memory and can never change;
    // otherwise nullopt, and `defer()` is answered after the next round (once the status is
    // settled, or `wait` is over, when `wait` is above zero). Throws AppError kNotFound at once when
    // the answer is already known to be 404.
    std::optional<Reply> Get(StatusKind kind, const std::string& id, long long user_id,
                             std::chrono::milliseconds wait,
                             const std::function<std::shared_ptr<DeferredReply>()>& defer);
    // After a status was changed here or in another API process (which notifies channel `status`
    // with "o <id>" / "p <id>"): the next answer reflects the change.
    void Invalidate(StatusKind kind, const std::string& id);

    // For /metrics and tests.
    struct Stats {
        std::size_t entries = 0, waiting = 0;
        long long hits = 0, loads = 0, load_queries = 0;
    };
    Stats stats() const;

  private:
    struct Waiter {
        long long user_id;
        Clock::time_point asked;  // answered from a round that started after this
        Clock::time_point deadline;
        bool want_settled;
        std::shared_ptr<DeferredReply> reply;
    };
    struct Entry {
        StatusKind kind;
        bool loaded = false;
        bool stale = true;
        std::uint64_t generation = 0;  // moves on every invalidation
        Clock::time_point loaded_at;   // when the query that loaded it started
        StatusSnapshot snap;
        Clock::time_point last_used;
        std::vector<Waiter> waiters;
    };
    struct Answer {
        std::shared_ptr<DeferredReply> reply;
        std::optional<Reply> ok;  // nullopt: 404
        StatusKind kind;
    };

    void Run();
    void MarkStale(const std::string& key);
    void OnNotification(const std::string& payload);
    // Keys asked for, with the generation each had when asked.
    using Asked = std::vector<std::pair<std::string, std::uint64_t>>;
    void Load(PgConnection& conn, const Asked& orders, const Asked& payments, Clock::time_point started,
              std::vector<Answer>& answers);
    void Apply(const Asked& asked, std::vector<StatusSnapshot> loaded, Clock::time_point loaded_at,
               std::vector<Answer>& answers);
    void AnswerWaiters(Clock::time_point now, std::vector<Answer>& answers);
    void Evict(Clock::time_point now);
    void Wake();
    static std::string Key(StatusKind kind, const std::string& id);
    static AppError NotFound(StatusKind kind);

    std::string database_url_;
    std::size_t max_entries_;
    int wake_fd_;
    std::atomic<bool> stop_{false};

    mutable std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;
    std::unordered_map<std::string, std::unordered_set<std::string>> by_order_;  // order id -> payment keys
    std::unordered_set<std::string> waiting_;                                    // keys with waiters
    bool load_needed_ = false;
    Stats stats_;

    std::thread listener_;
};

}  // namespace checkout::api
