// The status cache's listener thread (status_cache.hpp): LISTEN status, load what parked requests
// wait for (one query per kind per round), answer them, evict idle entries.
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "api/answers/statuses.hpp"
#include "api/status_cache.hpp"
#include "infra/core/log.hpp"
#include "infra/core/reconnect_backoff.hpp"

namespace checkout::api {

namespace {
// How often, at most, the statuses requests wait for are loaded (all of them in one query per kind).
constexpr std::chrono::milliseconds kRound{50};
// A request for a status that cannot be loaded (the database is away) gives up after this, with 503.
constexpr std::chrono::seconds kLoadGrace{5};
// Entries nobody asked for in this long are dropped.
constexpr std::chrono::minutes kIdle{5};
}  // namespace

void StatusCache::Load(PgConnection& conn, const Asked& orders, const Asked& payments,
                       Clock::time_point started, std::vector<Answer>& answers) {
    if (orders.empty() && payments.empty()) return;
    auto ids = [](const Asked& keys) {
        std::vector<std::string> out;
        for (const auto& [k, g] : keys) out.push_back(k.substr(1));
        return out;
    };
    std::vector<StatusSnapshot> loaded_orders, loaded_payments;
    if (!orders.empty()) loaded_orders = LoadOrderStatuses(conn, ids(orders));
    if (!payments.empty()) loaded_payments = LoadPaymentStatuses(conn, ids(payments));
    std::lock_guard lock(mu_);
    stats_.loads += static_cast<long long>(orders.size() + payments.size());
    stats_.load_queries += (orders.empty() ? 0 : 1) + (payments.empty() ? 0 : 1);
    Apply(orders, std::move(loaded_orders), started, answers);
    Apply(payments, std::move(loaded_payments), started, answers);
}

void StatusCache::Apply(const std::vector<std::pair<std::string, std::uint64_t>>& asked,
                        std::vector<StatusSnapshot> loaded, Clock::time_point loaded_at,
                        std::vector<Answer>& answers) {
    std::unordered_map<std::string, StatusSnapshot*> found;
    for (auto& s : loaded) found[s.id] = &s;
    for (const auto& [key, generation] : asked) {
        auto it = entries_.find(key);
        if (it == entries_.end()) continue;
        Entry& e = it->second;
        auto f = found.find(key.substr(1));
        if (f == found.end()) {
            // No such order or payment (yet): not kept (a 404 is not remembered).
            for (auto& w : e.waiters) answers.push_back({std::move(w.reply), std::nullopt, e.kind});
            waiting_.erase(key);
            entries_.erase(it);
            continue;
        }
        // Invalidated again while this round's query ran: that change may not be in what was read,
        // so the entry stays stale and is read again next round (what was read is still newer than
        // what the entry held, so it may be shown meanwhile).
        e.snap = std::move(*f->second);
        e.loaded = true;
        e.loaded_at = loaded_at;
        if (e.generation == generation) e.stale = false;
        if (e.kind == StatusKind::kPayment) by_order_[e.snap.order_id].insert(key);
    }
}

void StatusCache::AnswerWaiters(Clock::time_point now, std::vector<Answer>& answers) {
    for (auto k = waiting_.begin(); k != waiting_.end();) {
        auto it = entries_.find(*k);
        if (it == entries_.end()) {
            k = waiting_.erase(k);
            continue;
        }
        Entry& e = it->second;
        auto& ws = e.waiters;
        for (auto w = ws.begin(); w != ws.end();) {
            // Loaded by a round that started after the request: it shows every commit before it.
            const bool current = e.loaded && !e.stale && (e.snap.terminal || e.loaded_at >= w->asked);
            const bool due = !w->want_settled || now >= w->deadline || (current && e.snap.settled);
            std::optional<std::optional<Reply>> answer;  // outer: answer now; inner nullopt: 404
            if (current && due) {
                answer.emplace();
            } else if (e.loaded && now >= w->deadline + kLoadGrace) {
                answer.emplace();  // the last status this process had: never older than one it showed
            } else if (!e.loaded && now >= w->deadline + kLoadGrace) {
                w->reply->Fail(AppError(ErrorCode::kUnavailable, "The service is busy; try again shortly.",
                                        "status not loaded in time"));
                w = ws.erase(w);
                continue;
            }
            if (!answer) {
                ++w;
                continue;
            }
            if (e.snap.user_id == w->user_id) answer->emplace(Reply{200, e.snap.json, {}});
            ++stats_.hits;
            answers.push_back({std::move(w->reply), std::move(*answer), e.kind});
            w = ws.erase(w);
        }
        k = ws.empty() ? waiting_.erase(k) : std::next(k);
    }
}

void StatusCache::Evict(Clock::time_point now) {
    auto drop = [&](std::unordered_map<std::string, Entry>::iterator it) {
        const Entry& e = it->second;
        if (e.loaded) {
            if (auto o = by_order_.find(e.snap.order_id);
                o != by_order_.end() && (o->second.erase(it->first), o->second.empty()))
                by_order_.erase(o);
        }
        return entries_.erase(it);
    };
    for (auto it = entries_.begin(); it != entries_.end();)
        it = (it->second.waiters.empty() && now - it->second.last_used > kIdle) ? drop(it) : std::next(it);
    if (entries_.size() <= max_entries_) return;
    // Over the bound: the least recently used half of those nobody waits for.
    std::vector<std::pair<Clock::time_point, std::string>> idle;
    for (const auto& [k, e] : entries_)
        if (e.waiters.empty()) idle.emplace_back(e.last_used, k);
    const std::size_t n = std::min(idle.size(), entries_.size() - max_entries_ / 2);
    std::nth_element(idle.begin(), idle.begin() + static_cast<long>(n), idle.end());
    for (std::size_t i = 0; i < n; ++i)
        if (auto it = entries_.find(idle[i].second); it != entries_.end()) drop(it);
}

void StatusCache::Run() {
    std::unique_ptr<PgConnection> conn;
    ReconnectBackoff backoff;
    auto last_evict = Clock::now();
    auto last_round = Clock::now() - kRound;
    while (!stop_) {
        std::vector<Answer> answers;
        try {
            if (!conn || !conn->healthy()) {
                conn = std::make_unique<PgConnection>(database_url_);
                conn->exec("LISTEN status");
                std::lock_guard lock(mu_);
                // Whatever was invalidated while nobody listened was not heard: read everything again.
                for (auto& [k, e] : entries_) MarkStale(k);
                backoff.Reset();
            }
            // Sleep until the next round is due, or sooner for a status asked for that is not in
            // memory (but never more than one round per 20 ms: requests that arrive together share it).
            bool asked;
            {
                std::lock_guard lock(mu_);
                asked = !waiting_.empty() || load_needed_;
            }
            // Without parked requests there is nothing to load: sleep until one arrives.
            const auto due = asked ? last_round + kRound : Clock::now() + std::chrono::milliseconds(1000);
            const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now());
            auto notes = conn->wait_for_notices(std::max(wait, std::chrono::milliseconds(0)), wake_fd_);
            std::uint64_t drained;
            [[maybe_unused]] auto n = read(wake_fd_, &drained, sizeof(drained));
            const auto started = Clock::now();
            Asked orders, payments;
            {
                std::lock_guard lock(mu_);
                for (const auto& note : notes) OnNotification(note.payload);
                // A round at most every kRound: it serves every request parked by then.
                if (waiting_.empty()) {
                    load_needed_ = false;  // an invalidated status is loaded when it is asked for
                    continue;
                }
                if (started < last_round + kRound) continue;
                // Every status a request waits for, unless it can never change.
                for (const auto& k : waiting_) {
                    const Entry& e = entries_.at(k);
                    if (!e.loaded || e.stale || !e.snap.terminal)
                        (e.kind == StatusKind::kOrder ? orders : payments).emplace_back(k, e.generation);
                }
                load_needed_ = false;
            }
            last_round = started;
            Load(*conn, orders, payments, started, answers);
        } catch (const std::exception& e) {
            spdlog::warn("status listener: {}; reconnecting", e.what());
            conn.reset();
            std::lock_guard lock(mu_);
            load_needed_ = true;
        }
        const auto now = Clock::now();
        {
            std::lock_guard lock(mu_);
            AnswerWaiters(now, answers);
            if (now - last_evict > std::chrono::seconds(10) || entries_.size() > max_entries_) {
                Evict(now);
                last_evict = now;
            }
        }
        for (auto& a : answers) {
            if (a.ok)
                a.reply->Send(*a.ok);
            else
                a.reply->Fail(NotFound(a.kind));
        }
        if (!conn) SleepUnlessStopped(backoff.Next(), stop_);
    }
}

}  // namespace checkout::api
