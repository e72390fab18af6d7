#pragma once
// Order and payment statuses answered from memory (issue 8), and long polls (`?wait=N`).
//
// Every commit that changes an order's or a payment's status, or a job's state, notifies channel
// `status` (triggers of migration 008). One thread per API process LISTENs to it with a connection
// of its own and keeps the statuses clients asked about current: a notification marks the entry
// stale, and the thread reloads all stale entries in one query per round. A poll of a current entry
// costs no query; a long poll is parked, holds no thread, and is answered as soon as the status
// settles (or when its wait is over).
//
// Only that thread loads entries, one round after another, each round after it consumed every
// notification that arrived before it; so a status it stores is never older than the one it
// replaces, and a client polling one API process never sees a status go back. A request for an
// entry that is absent or stale waits for the next round (a few milliseconds) rather than reading
// the database itself, for the same reason. If the connection drops, notifications may have been
// missed: every entry is marked stale when it is back.
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

#include "api/http_support.hpp"
#include "common/status_snapshot.hpp"

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

    // The status of `id` for `user_id`: returned now when it is in memory and current (and settled,
    // when `wait` is above zero); otherwise nullopt, and `defer()` is answered later: once the
    // status is loaded (and settled, or `wait` is over). Throws AppError kNotFound at once when the
    // answer is already known to be 404.
    std::optional<Reply> Get(StatusKind kind, const std::string& id, long long user_id,
                             std::chrono::milliseconds wait,
                             const std::function<std::shared_ptr<DeferredReply>()>& defer);
    // After this process changed the status itself: the next answer reflects the change (its
    // notification may arrive a little later).
    void Invalidate(StatusKind kind, const std::string& id);

    // For /metrics and tests.
    struct Stats {
        std::size_t entries = 0, waiting = 0;
        long long hits = 0, loads = 0, load_queries = 0, notifications = 0;
    };
    Stats stats() const;

  private:
    struct Waiter {
        long long user_id;
        Clock::time_point deadline;
        bool want_settled;
        std::shared_ptr<DeferredReply> reply;
    };
    struct Entry {
        StatusKind kind;
        bool loaded = false;
        bool stale = true;
        std::uint64_t generation = 0;  // moves on every notification or invalidation
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
    void Apply(const std::vector<std::pair<std::string, std::uint64_t>>& asked,
               std::vector<StatusSnapshot> loaded, std::vector<Answer>& answers);
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
    std::unordered_map<std::string, std::unordered_set<std::string>> by_job_, by_order_;  // -> entry keys
    std::unordered_set<std::string> waiting_;                                             // keys with waiters
    bool load_needed_ = false;
    Stats stats_;

    std::thread listener_;
};

}  // namespace checkout::api
