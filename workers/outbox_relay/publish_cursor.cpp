#include "workers/outbox_relay/publish_cursor.hpp"

#include <algorithm>

#include "infra/pg/pg_array.hpp"

namespace checkout {

std::string PublishCursor::pending_array() const {
    return PgArrayOf(pending_, [](std::uint64_t id) { return static_cast<long long>(id); });
}

void PublishCursor::Advance(std::uint64_t hi, const std::vector<std::int64_t>& running_ids) {
    std::vector<std::uint64_t> running(running_ids.begin(), running_ids.end());
    // An id still running that is below the old low was already pending (it cannot have started
    // since); those at or above it are new. Either way they are what the next round must look at.
    std::sort(running.begin(), running.end());
    running.erase(std::remove_if(running.begin(), running.end(), [&](std::uint64_t x) { return x >= hi; }),
                  running.end());
    pending_ = std::move(running);
    low_ = std::max(low_, hi);
}

std::uint64_t PublishCursor::durable() const {
    return pending_.empty() ? low_ : std::min(low_, pending_.front());
}

}  // namespace checkout
