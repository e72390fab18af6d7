#include "api/accept_group.hpp"

#include <exception>

namespace checkout::api {

struct AcceptGroup::Waiter {
    GroupedOrder order;
    std::optional<GroupedResult> result;
    std::exception_ptr failure;
    bool done = false;
};

AcceptGroup::AcceptGroup(PgPool& pool, const QueuesConfig& queues, int max, std::chrono::microseconds wait)
    : pool_(pool), queues_(queues), max_(static_cast<std::size_t>(max < 1 ? 1 : max)), wait_(wait) {}

PlacedOrder AcceptGroup::Place(long long user_id, const OrderRequest& request) {
    Waiter me{{user_id, &request}, std::nullopt, nullptr, false};
    std::unique_lock lock(mu_);
    pending_.push_back(&me);
    if (leading_) {
        if (pending_.size() >= max_) joined_.notify_all();
        done_.wait(lock, [&] { return me.done; });
    } else {
        leading_ = true;
        // Gather while the group before is being committed (its commit is what we would wait
        // for anyway), until the group is full or the wait is over.
        joined_.wait_for(lock, wait_, [&] { return in_flight_ == 0 || pending_.size() >= max_; });
        std::vector<Waiter*> group;
        group.swap(pending_);
        leading_ = false;
        ++in_flight_;
        lock.unlock();
        Commit(group);
        lock.lock();
        --in_flight_;
        joined_.notify_all();  // the next leader need not wait any longer
        done_.notify_all();
    }
    lock.unlock();
    if (me.failure) std::rethrow_exception(me.failure);
    if (me.result->error) throw *me.result->error;
    return *me.result->placed;
}

void AcceptGroup::Commit(const std::vector<Waiter*>& group) {
    auto finish = [&](Waiter* w) {
        std::lock_guard guard(mu_);
        w->done = true;
    };
    std::optional<PgPool::Lease> conn;
    try {
        conn.emplace(pool_.acquire());
    } catch (...) {
        for (auto* w : group) {
            w->failure = std::current_exception();
            finish(w);
        }
        return;
    }
    if (group.size() > 1) {
        try {
            std::vector<GroupedOrder> orders;
            orders.reserve(group.size());
            for (auto* w : group) orders.push_back(w->order);
            auto results = PlaceOrderGroup(**conn, queues_, orders);
            for (std::size_t i = 0; i < group.size(); ++i) {
                group[i]->result = std::move(results[i]);
                finish(group[i]);
            }
            return;
        } catch (const PgError& e) {
            // A lost connection leaves the group in doubt (it may have committed): placing the orders
            // again could accept each twice, so every caller gets the error. Any other failure means
            // nothing was committed: each order on its own below.
            if (e.connection_lost() || !(*conn)->healthy()) {
                for (auto* w : group) {
                    w->failure = std::current_exception();
                    finish(w);
                }
                return;
            }
        } catch (...) {
            // Refused before or by the statement, nothing committed: each order on its own below.
        }
    }
    for (auto* w : group) {
        try {
            w->result = GroupedResult{PlaceOrderNow(**conn, queues_, w->order.user_id, *w->order.request),
                                      std::nullopt};
        } catch (const AppError& e) {
            w->result = GroupedResult{std::nullopt, e};
        } catch (...) {
            w->failure = std::current_exception();
        }
        finish(w);
    }
}

}  // namespace checkout::api
