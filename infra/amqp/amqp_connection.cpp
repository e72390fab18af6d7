#include "infra/amqp/amqp_connection.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <cstring>
#include <memory>
#include <random>

#include "infra/amqp/amqp_values.hpp"
#include "infra/core/log.hpp"

namespace checkout {

using namespace amqp_values;

AmqpConnection::AmqpConnection(const AmqpNodes& nodes, int heartbeat_seconds,
                               std::chrono::milliseconds connect_timeout) {
    if (nodes.empty()) throw AmqpError("no RabbitMQ node to connect to");
    thread_local std::mt19937 random(std::random_device{}());
    const std::size_t first = std::uniform_int_distribution<std::size_t>(0, nodes.size() - 1)(random);
    std::string errors;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const AmqpAddress& node = nodes[(first + i) % nodes.size()];
        conn_ = amqp_new_connection();
        if (!conn_) throw AmqpError("cannot allocate an AMQP connection");
        try {
            // A connection that asks for none (0: nobody reads it between uses) keeps none.
            Open(node, heartbeat_seconds == 0 ? 0 : node.heartbeat.value_or(heartbeat_seconds),
                 connect_timeout);
            node_ = node.host + ":" + std::to_string(node.port);
            return;
        } catch (const AmqpError& e) {
            // The destructor does not run for a constructor that throws: free the state and socket
            // of each failed try here, or every failed connect (reconnect loops, /ready during an
            // outage) leaks both.
            amqp_destroy_connection(conn_);
            conn_ = nullptr;
            broken_ = false;
            if (nodes.size() == 1) throw;
            errors +=
                (errors.empty() ? "" : "; ") + node.host + ":" + std::to_string(node.port) + ": " + e.what();
        } catch (...) {
            amqp_destroy_connection(conn_);
            conn_ = nullptr;
            throw;
        }
    }
    throw AmqpError("no RabbitMQ node answered (" + errors + ")");
}

void AmqpConnection::Open(const AmqpAddress& address, int heartbeat_seconds,
                          std::chrono::milliseconds connect_timeout) {
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (!socket) Fail("cannot create socket");
    timeval tv = ToTimeval(connect_timeout);
    amqp_set_handshake_timeout(conn_, &tv);
    // RPCs (declare, close, ...) on a dead peer would otherwise wait forever.
    timeval rpc_tv{5, 0};
    amqp_set_rpc_timeout(conn_, &rpc_tv);
    int rc = amqp_socket_open_noblock(socket, address.host.c_str(), address.port, &tv);
    if (rc != AMQP_STATUS_OK) Fail(std::string("cannot connect to RabbitMQ: ") + amqp_error_string2(rc));

    // Without consumer_cancel_notify a deleted queue would leave a consumer silently idle.
    amqp_table_entry_t caps[] = {
        {amqp_cstring_bytes("consumer_cancel_notify"), {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
        {amqp_cstring_bytes("publisher_confirms"), {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
    };
    amqp_table_entry_t props[2];
    props[0].key = amqp_cstring_bytes("capabilities");
    props[0].value.kind = AMQP_FIELD_KIND_TABLE;
    props[0].value.value.table = amqp_table_t{2, caps};
    props[1].key = amqp_cstring_bytes("product");
    props[1].value.kind = AMQP_FIELD_KIND_UTF8;
    props[1].value.value.bytes = amqp_cstring_bytes("checkout-fleet");
    amqp_table_t properties{2, props};
    auto reply =
        amqp_login_with_properties(conn_, address.vhost.c_str(), 0, 131072, heartbeat_seconds, &properties,
                                   AMQP_SASL_METHOD_PLAIN, address.user.c_str(), address.password.c_str());
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) Fail("login failed: " + DescribeReply(reply));
    amqp_channel_open(conn_, 1);
    CheckRpc("channel.open");
}

AmqpConnection::~AmqpConnection() {
    if (!conn_) return;
    if (!broken_) {
        amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
        amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn_);
}

void AmqpConnection::Fail(const std::string& what) {
    broken_ = true;
    throw AmqpError(what);
}

void AmqpConnection::CheckRpc(const char* what) {
    auto r = amqp_get_rpc_reply(conn_);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) Fail(std::string(what) + ": " + DescribeReply(r));
}

bool AmqpConnection::DeclareQueue(const std::string& name, std::vector<amqp_table_entry_t_>& args) {
    amqp_queue_declare(conn_, 1, Bytes(name), 0, 1, 0, 0,
                       amqp_table_t{static_cast<int>(args.size()), args.data()});
    auto r = amqp_get_rpc_reply(conn_);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return true;
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && r.reply.id == AMQP_CHANNEL_CLOSE_METHOD &&
        static_cast<amqp_channel_close_t*>(r.reply.decoded)->reply_code == AMQP_PRECONDITION_FAILED) {
        // The queue exists with other arguments (queues.yaml changed since it was declared). Refusing
        // to run would stop the whole fleet over a tuning change, so use the queue as it is and say
        // so loudly; applying the new arguments takes an operator (see docs/queues.md).
        const std::string why = DescribeReply(r);
        amqp_channel_close_ok_t close_ok{};
        amqp_send_method(conn_, 1, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
        amqp_channel_open(conn_, 1);
        CheckRpc("channel.open");
        amqp_queue_declare(conn_, 1, Bytes(name), 1, 0, 0, 0, amqp_empty_table);
        CheckRpc(("queue.declare (passive) " + name).c_str());
        spdlog::error(
            "queue {} differs from queues.yaml ({}); using it as it is. To apply queues.yaml, "
            "drain and delete the queue, then restart a worker",
            name, why);
        return false;
    }
    Fail("queue.declare " + name + ": " + DescribeReply(r));
}

void AmqpConnection::DeclareTopology(const QueuesConfig& cfg) {
    amqp_exchange_declare(conn_, 1, Bytes(cfg.exchange), amqp_cstring_bytes("direct"), 0, 1, 0, 0,
                          amqp_empty_table);
    CheckRpc("exchange.declare");
    amqp_exchange_declare(conn_, 1, Bytes(cfg.dead_letter_exchange), amqp_cstring_bytes("direct"), 0, 1, 0, 0,
                          amqp_empty_table);
    CheckRpc("exchange.declare (dead letters)");
    for (const auto& q : cfg.queues) {
        std::vector<amqp_table_entry_t> args;
        args.push_back(Utf8Entry("x-queue-type", q.type));
        args.push_back(Utf8Entry("x-dead-letter-exchange", cfg.dead_letter_exchange));
        args.push_back(Utf8Entry("x-dead-letter-routing-key", q.routing_key));
        if (q.type == "quorum") args.push_back(IntEntry("x-delivery-limit", q.broker_delivery_limit()));
        DeclareQueue(q.name, args);
        amqp_queue_bind(conn_, 1, Bytes(q.name), Bytes(cfg.exchange), Bytes(q.routing_key), amqp_empty_table);
        CheckRpc(("queue.bind " + q.name).c_str());

        std::vector<amqp_table_entry_t> dargs{Utf8Entry("x-queue-type", q.type)};
        DeclareQueue(q.dead_letter_queue, dargs);
        amqp_queue_bind(conn_, 1, Bytes(q.dead_letter_queue), Bytes(cfg.dead_letter_exchange),
                        Bytes(q.routing_key), amqp_empty_table);
        CheckRpc(("queue.bind " + q.dead_letter_queue).c_str());
    }
}

QueueStats AmqpConnection::Stats(const std::string& queue) {
    auto* ok = amqp_queue_declare(conn_, 1, Bytes(queue), 1, 0, 0, 0, amqp_empty_table);
    CheckRpc(("queue.declare (passive) " + queue).c_str());
    return QueueStats{static_cast<long>(ok->message_count), static_cast<long>(ok->consumer_count)};
}

long AmqpConnection::Purge(const std::string& queue) {
    auto* ok = amqp_queue_purge(conn_, 1, Bytes(queue));
    CheckRpc(("queue.purge " + queue).c_str());
    return static_cast<long>(ok->message_count);
}

bool AmqpConnection::ReadFrame(amqp_frame_t_* frame, std::chrono::milliseconds timeout) {
    timeval tv = ToTimeval(timeout);
    int rc = amqp_simple_wait_frame_noblock(conn_, frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) return false;
    if (rc != AMQP_STATUS_OK) Fail(std::string("reading from RabbitMQ: ") + amqp_error_string2(rc));
    return true;
}

// Acts on a frame that is not a delivery: confirms (recorded in `pending`), returns, cancels, closes.
void AmqpConnection::OnFrame(const amqp_frame_t_& frame, PendingConfirms* pending) {
    if (frame.frame_type != AMQP_FRAME_METHOD) return;
    auto settle = [&](std::uint64_t tag, bool multiple, bool ok) {
        if (!pending) return;
        for (std::size_t i = 0; i < pending->confirmed.size(); ++i) {
            const std::uint64_t t = pending->first_tag + i;
            if (t == tag || (multiple && t < tag)) {
                pending->confirmed[i] = true;
                if (!ok) pending->failed = true;
            }
        }
    };
    switch (frame.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: {
            auto* m = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
            settle(m->delivery_tag, m->multiple != 0, true);
            break;
        }
        case AMQP_BASIC_NACK_METHOD: {
            auto* m = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
            settle(m->delivery_tag, m->multiple != 0, false);
            break;
        }
        case AMQP_BASIC_RETURN_METHOD: {
            // An unroutable mandatory message; its body follows and must be read off the wire. The
            // broker still acks it afterwards, so the batch is marked failed here.
            amqp_message_t message;
            auto r = amqp_read_message(conn_, frame.channel, &message, 0);
            if (r.reply_type != AMQP_RESPONSE_NORMAL) Fail("reading returned message: " + DescribeReply(r));
            amqp_destroy_message(&message);
            if (pending) pending->failed = true;
            break;
        }
        case AMQP_BASIC_CANCEL_METHOD:
            Fail("the broker cancelled our consumer (queue deleted or failed over)");
        case AMQP_CHANNEL_CLOSE_METHOD: {
            auto* m = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
            Fail("channel closed by broker: " +
                 std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len));
        }
        case AMQP_CONNECTION_CLOSE_METHOD:
            Fail("connection closed by broker");
        default:
            break;
    }
}

void AmqpConnection::PublishConfirmed(const std::string& exchange, const std::vector<AmqpMessage>& messages,
                                      std::chrono::milliseconds deadline) {
    if (broken_) throw AmqpError("connection is broken");
    if (!confirms_) {
        amqp_confirm_select(conn_, 1);
        CheckRpc("confirm.select");
        confirms_ = true;
    }
    const auto until = std::chrono::steady_clock::now() + deadline;
    // Drain what arrived while idle: rabbitmq-c 0.11 may otherwise block inside publish (issue #780).
    amqp_frame_t frame;
    while (HasBufferedData() && ReadFrame(&frame, std::chrono::milliseconds(0))) OnFrame(frame, nullptr);

    PendingConfirms pending{next_publish_tag_, std::vector<bool>(messages.size(), false), false};
    amqp_basic_properties_t props;
    std::memset(&props, 0, sizeof(props));
    for (const auto& m : messages) {
        props._flags =
            AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
        props.content_type = amqp_cstring_bytes("application/json");
        props.delivery_mode = 2;  // persistent
        props.message_id = Bytes(m.message_id);
        int rc =
            amqp_basic_publish(conn_, 1, Bytes(exchange), Bytes(m.routing_key), 1, 0, &props, Bytes(m.body));
        if (rc != AMQP_STATUS_OK) Fail(std::string("publish failed: ") + amqp_error_string2(rc));
        ++next_publish_tag_;
    }
    // Acks come batched (multiple=1) and out of order: wait until every tag of this batch is settled.
    auto all_settled = [&] {
        for (bool c : pending.confirmed)
            if (!c) return false;
        return true;
    };
    while (!all_settled()) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) Fail("publisher confirms did not arrive before the deadline");
        if (ReadFrame(&frame, left)) OnFrame(frame, &pending);
    }
    amqp_maybe_release_buffers(conn_);
    if (pending.failed) throw AmqpError("broker refused or could not route a message (nack or return)");
}

}  // namespace checkout
