#include "api/status_cache.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "domain/orders/order_store.hpp"
#include "domain/payments/payment_store.hpp"
#include "infra/core/log.hpp"
#include "infra/core/reconnect_backoff.hpp"
#include "infra/core/uuid.hpp"

namespace checkout::api {

StatusCache::StatusCache(std::string database_url, std::size_t max_entries)
    : database_url_(std::move(database_url)),
      max_entries_(max_entries),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      listener_([this] { Run(); }) {}

StatusCache::~StatusCache() {
    stop_ = true;
    Wake();
    listener_.join();
    std::vector<std::shared_ptr<DeferredReply>> parked;
    {
        std::lock_guard lock(mu_);
        for (auto& [key, e] : entries_)
            for (auto& w : e.waiters) parked.push_back(std::move(w.reply));
        entries_.clear();
    }
    for (auto& r : parked)
        r->Fail(AppError(ErrorCode::kUnavailable, "The service is shutting down; try again."));
    close(wake_fd_);
}

std::string StatusCache::Key(StatusKind kind, const std::string& id) {
    return (kind == StatusKind::kOrder ? "o" : "p") + id;
}

AppError StatusCache::NotFound(StatusKind kind) {
    return AppError(ErrorCode::kNotFound, kind == StatusKind::kOrder ? "No such order." : "No such payment.");
}

void StatusCache::Wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof(one));
}

std::optional<Reply> StatusCache::Get(StatusKind kind, const std::string& id, long long user_id,
                                      std::chrono::milliseconds wait,
                                      const std::function<std::shared_ptr<DeferredReply>()>& defer) {
    if (!IsUuid(id)) throw NotFound(kind);
    const auto now = Clock::now();
    {
        std::lock_guard lock(mu_);
        const std::string key = Key(kind, id);
        auto [it, created] = entries_.try_emplace(key);
        Entry& e = it->second;
        e.kind = kind;
        e.last_used = now;
        if (e.loaded && !e.stale && e.snap.terminal) {
            if (e.snap.user_id != user_id) throw NotFound(kind);
            ++stats_.hits;
            return Reply{200, e.snap.json, {}};
        }
        e.waiters.push_back({user_id, now, now + wait, wait.count() > 0, defer()});
        waiting_.insert(key);
        load_needed_ = true;
    }
    Wake();
    return std::nullopt;
}

void StatusCache::Invalidate(StatusKind kind, const std::string& id) {
    {
        std::lock_guard lock(mu_);
        const std::string key = Key(kind, id);
        MarkStale(key);
        if (kind == StatusKind::kOrder) {
            if (auto it = by_order_.find(id); it != by_order_.end())
                for (const auto& k : it->second) MarkStale(k);
        } else if (auto it = entries_.find(key); it != entries_.end() && it->second.loaded) {
            MarkStale(Key(StatusKind::kOrder, it->second.snap.order_id));
        }
    }
    Wake();
}

StatusCache::Stats StatusCache::stats() const {
    std::lock_guard lock(mu_);
    Stats s = stats_;
    s.entries = entries_.size();
    s.waiting = waiting_.size();
    return s;
}

void StatusCache::MarkStale(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    it->second.stale = true;
    ++it->second.generation;
    load_needed_ = true;
}

void StatusCache::OnNotification(const std::string& payload) {
    // "o <order id>" or "p <payment id>", from an API process that changed it.
    if (payload.size() < 3 || payload[1] != ' ') return;
    const std::string id = payload.substr(2);
    if (payload[0] == 'o') {
        MarkStale(Key(StatusKind::kOrder, id));
        // A payment's status shows its order's.
        if (auto it = by_order_.find(id); it != by_order_.end())
            for (const auto& k : it->second) MarkStale(k);
    } else if (payload[0] == 'p') {
        if (auto it = entries_.find(Key(StatusKind::kPayment, id)); it != entries_.end() && it->second.loaded)
            MarkStale(Key(StatusKind::kOrder, it->second.snap.order_id));
        MarkStale(Key(StatusKind::kPayment, id));
    }
}

}  // namespace checkout::api
