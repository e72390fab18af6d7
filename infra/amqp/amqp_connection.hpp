#pragma once
// The only place that touches amqp_connection_state_t (rabbitmq-c 0.11). One AmqpConnection is used
// by one thread (the library forbids sharing). It can publish with confirms, consume with manual
// acks, and declare the topology that queues.yaml describes. Any failure marks it broken() and
// throws AmqpError; callers drop it and build a new one (supervise and rebuild, don't repair).
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "infra/core/config.hpp"

struct amqp_connection_state_t_;
struct amqp_frame_t_;
struct amqp_table_entry_t_;

namespace checkout {

class AmqpError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct AmqpMessage {
    std::string routing_key;
    std::string message_id;
    std::string body;
};

struct AmqpDelivery {
    std::uint64_t tag = 0;
    bool redelivered = false;
    std::string message_id;
    std::string routing_key;
    std::string body;
    long delivery_count = 0;  // quorum queues' x-delivery-count: earlier failed deliveries
};

struct QueueStats {
    long messages = 0;
    long consumers = 0;
};

class AmqpConnection {
  public:
    // Connects to one of `nodes` (AMQP_URL's list): they are tried in an order that starts at a
    // random one, so that a fleet spreads over a cluster's nodes and a dead node is skipped; throws
    // AmqpError when none answers.
    AmqpConnection(const AmqpNodes& nodes, int heartbeat_seconds = 10,
                   std::chrono::milliseconds connect_timeout = std::chrono::milliseconds(3000));
    AmqpConnection(const AmqpAddress& address, int heartbeat_seconds = 10,
                   std::chrono::milliseconds connect_timeout = std::chrono::milliseconds(3000))
        : AmqpConnection(AmqpNodes{address}, heartbeat_seconds, connect_timeout) {}
    ~AmqpConnection();
    AmqpConnection(const AmqpConnection&) = delete;
    AmqpConnection& operator=(const AmqpConnection&) = delete;

    bool broken() const { return broken_; }
    // host:port of the node this connection reached.
    const std::string& node() const { return node_; }

    // Declares the exchanges, work queues, dead-letter queues and bindings of queues.yaml.
    // Idempotent; every process that uses the broker calls it after connecting.
    void DeclareTopology(const QueuesConfig& cfg);
    QueueStats Stats(const std::string& queue);
    long Purge(const std::string& queue);

    // Publishes persistent, mandatory messages and waits until the broker confirmed every one.
    // Throws AmqpError on a nack, an unroutable message, a lost connection or the deadline.
    void PublishConfirmed(const std::string& exchange, const std::vector<AmqpMessage>& messages,
                          std::chrono::milliseconds deadline);

    // May be called for several queues; prefetch applies to the channel.
    void Consume(const std::string& queue, int prefetch);
    void CancelConsume();  // every consumer of this connection
    // Waits up to `timeout` for the next delivery. nullopt on timeout.
    std::optional<AmqpDelivery> Next(std::chrono::milliseconds timeout);
    // True when a delivery may already be buffered, so that Next(0) should be called before polling.
    bool HasBufferedData();
    int socket_fd();
    // multiple: every unacked delivery of the channel up to and including `tag`.
    void Ack(std::uint64_t tag, bool multiple = false);
    // requeue=false dead-letters the message through the queue's dead-letter exchange.
    void Reject(std::uint64_t tag, bool requeue);

  private:
    void Open(const AmqpAddress& address, int heartbeat_seconds, std::chrono::milliseconds connect_timeout);
    void CheckRpc(const char* what);
    // Declares a durable queue; false when it already exists with other arguments (logged).
    bool DeclareQueue(const std::string& name, std::vector<amqp_table_entry_t_>& args);
    [[noreturn]] void Fail(const std::string& what);
    struct PendingConfirms {
        std::uint64_t first_tag;
        std::vector<bool> confirmed;
        bool failed;
    };
    bool ReadFrame(amqp_frame_t_* frame, std::chrono::milliseconds timeout);
    void OnFrame(const amqp_frame_t_& frame, PendingConfirms* pending);

    amqp_connection_state_t_* conn_ = nullptr;
    bool broken_ = false;
    bool confirms_ = false;
    std::uint64_t next_publish_tag_ = 1;
    std::vector<std::string> consumer_tags_;
    std::string node_;
};

}  // namespace checkout
