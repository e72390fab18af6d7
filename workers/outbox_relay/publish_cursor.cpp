#include "workers/outbox_relay/publish_cursor.hpp"

#include <algorithm>
#include <charconv>

namespace checkout {

std::string PublishCursor::pending_array() const {
    std::string s = "{";
    for (std::size_t i = 0; i < pending_.size(); ++i) s += (i ? "," : "") + std::to_string(pending_[i]);
    return s + "}";
}

void PublishCursor::Advance(std::uint64_t hi, std::vector<std::uint64_t> running) {
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

std::vector<std::uint64_t> PublishCursor::ParseArray(const std::string& text) {
    std::vector<std::uint64_t> out;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
        if (*p < '0' || *p > '9') {
            ++p;
            continue;
        }
        std::uint64_t v = 0;
        auto [next, ec] = std::from_chars(p, end, v);
        if (ec != std::errc()) break;
        out.push_back(v);
        p = next;
    }
    return out;
}

}  // namespace checkout
