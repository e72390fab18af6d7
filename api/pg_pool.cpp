#include "api/pg_pool.hpp"

#include "infra/core/error.hpp"

namespace checkout {

PgPool::PgPool(std::string url, int size) : url_(std::move(url)), size_(size) {}

PgPool::Lease PgPool::acquire(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < size_; }))
        throw AppError(ErrorCode::kUnavailable, "The service is busy; try again shortly.",
                       "database pool exhausted");
    if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn));
    }
    ++open_;  // reserve the slot before connecting outside the lock
    lock.unlock();
    try {
        return Lease(this, std::make_unique<PgConnection>(url_));
    } catch (const PgError& e) {
        std::lock_guard relock(mu_);
        --open_;
        cv_.notify_one();
        throw AppError(ErrorCode::kUnavailable, "The database is unavailable; try again shortly.", e.what());
    }
}

void PgPool::release(std::unique_ptr<PgConnection> conn) {
    std::lock_guard lock(mu_);
    if (conn->healthy()) {
        idle_.push_back(std::move(conn));
    } else {
        --open_;
    }
    cv_.notify_one();
}

}  // namespace checkout
