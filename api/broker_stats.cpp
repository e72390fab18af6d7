#include "api/broker_stats.hpp"

namespace checkout::api {

std::vector<QueueStats> BrokerStats::Read(const std::vector<std::string>& queues) {
    std::lock_guard lock(mu_);
    for (int attempt = 0;; ++attempt) {
        try {
            if (!conn_) {
                // No heartbeats: between scrapes nobody reads the socket to answer them, and the broker
                // would close it; a connection that broke meanwhile fails the next read, and is made again.
                conn_ = std::make_unique<AmqpConnection>(nodes_, 0, std::chrono::milliseconds(1000));
                ++connections_made_;
            }
            std::vector<QueueStats> out;
            for (const auto& q : queues) out.push_back(conn_->Stats(q));
            return out;
        } catch (const std::exception&) {
            conn_.reset();  // broken (the broker restarted, the connection idled out): make it again once
            if (attempt > 0) throw;
        }
    }
}

}  // namespace checkout::api
