#pragma once
// Answers kept in memory for a time (GET /api/v1/products/popular). A burst of reads of a missing or
// stale entry runs one load: the first reader loads, the others wait for its answer. So however many
// read, the database sees one query per key per TTL.
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>

namespace checkout::api {

class TtlCache {
  public:
    explicit TtlCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}
    // The cached value of `key`, or load()'s, shared with every reader that came meanwhile. A load
    // that throws is not cached: its waiters get the same error, the next reader loads again.
    std::string Get(const std::string& key, const std::function<std::string()>& load);
    long long loads() const { return loads_; }

  private:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        std::shared_future<std::string> value;
        Clock::time_point loaded_at;
    };
    std::chrono::milliseconds ttl_;
    std::mutex mu_;
    std::map<std::string, Entry> entries_;
    long long loads_ = 0;
};

}  // namespace checkout::api
