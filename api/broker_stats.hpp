#pragma once
// Queue depths and consumers for GET /metrics over one AMQP connection kept by the API process, made
// again only when it breaks (a scrape used to open, and close, a connection of its own).
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "infra/amqp/amqp_connection.hpp"
#include "infra/core/config.hpp"

namespace checkout::api {

class BrokerStats {
  public:
    explicit BrokerStats(AmqpNodes nodes) : nodes_(std::move(nodes)) {}
    // Stats of each queue, in order; throws when RabbitMQ cannot be reached (after one reconnect).
    std::vector<QueueStats> Read(const std::vector<std::string>& queues);
    long long connections_made() const { return connections_made_; }

  private:
    AmqpNodes nodes_;
    std::mutex mu_;
    std::unique_ptr<AmqpConnection> conn_;
    long long connections_made_ = 0;
};

}  // namespace checkout::api
