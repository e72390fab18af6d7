#include "api/ttl_cache.hpp"

namespace checkout::api {

std::string TtlCache::Get(const std::string& key, const std::function<std::string()>& load) {
    std::promise<std::string> promise;
    std::shared_future<std::string> value;
    {
        std::lock_guard lock(mu_);
        auto it = entries_.find(key);
        const auto now = Clock::now();
        // A load in progress is shared whatever its age; a finished one only while it is fresh.
        if (it != entries_.end() &&
            (it->second.value.wait_for(std::chrono::seconds(0)) != std::future_status::ready ||
             now - it->second.loaded_at < ttl_)) {
            value = it->second.value;
        } else {
            entries_[key] = Entry{promise.get_future().share(), now};
            ++loads_;
        }
    }
    if (value.valid()) return value.get();
    try {
        auto v = load();
        promise.set_value(v);
        return v;
    } catch (...) {
        {
            std::lock_guard lock(mu_);
            entries_.erase(key);  // before the waiters wake, so that no new reader gets the error
        }
        promise.set_exception(std::current_exception());
        throw;
    }
}

}  // namespace checkout::api
