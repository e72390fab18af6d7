// Consuming: deliveries in, acks and rejects out (the connection thread only: rabbitmq-c forbids
// sharing a connection).
#include <amqp.h>

#include "infra/amqp/amqp_connection.hpp"
#include "infra/amqp/amqp_values.hpp"
#include "infra/core/log.hpp"

namespace checkout {

using namespace amqp_values;

void AmqpConnection::Consume(const std::string& queue, int prefetch) {
    amqp_basic_qos(conn_, 1, 0, static_cast<uint16_t>(prefetch), 0);
    CheckRpc("basic.qos");
    auto* ok = amqp_basic_consume(conn_, 1, Bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
    CheckRpc(("basic.consume " + queue).c_str());
    consumer_tags_.emplace_back(static_cast<char*>(ok->consumer_tag.bytes), ok->consumer_tag.len);
}

void AmqpConnection::CancelConsume() {
    if (broken_) return;
    for (const auto& tag : consumer_tags_) {
        amqp_basic_cancel(conn_, 1, Bytes(tag));
        CheckRpc("basic.cancel");
    }
    consumer_tags_.clear();
}

bool AmqpConnection::HasBufferedData() { return amqp_frames_enqueued(conn_) || amqp_data_in_buffer(conn_); }

int AmqpConnection::socket_fd() { return amqp_get_sockfd(conn_); }

std::optional<AmqpDelivery> AmqpConnection::Next(std::chrono::milliseconds timeout) {
    if (broken_) throw AmqpError("connection is broken");
    amqp_maybe_release_buffers(conn_);
    amqp_envelope_t env;
    timeval tv = ToTimeval(timeout);
    auto r = amqp_consume_message(conn_, &env, &tv, 0);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        std::unique_ptr<amqp_envelope_t, void (*)(amqp_envelope_t*)> guard(&env, amqp_destroy_envelope);
        AmqpDelivery d;
        d.tag = env.delivery_tag;
        d.redelivered = env.redelivered != 0;
        d.routing_key.assign(static_cast<char*>(env.routing_key.bytes), env.routing_key.len);
        d.body.assign(static_cast<char*>(env.message.body.bytes), env.message.body.len);
        const auto& p = env.message.properties;
        if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
            d.message_id.assign(static_cast<char*>(p.message_id.bytes), p.message_id.len);
        if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
            for (int i = 0; i < p.headers.num_entries; ++i) {
                const auto& e = p.headers.entries[i];
                if (std::string_view(static_cast<char*>(e.key.bytes), e.key.len) == "x-delivery-count")
                    d.delivery_count = FieldAsLong(e.value);
            }
        }
        return d;
    }
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
        return std::nullopt;
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        amqp_frame_t frame;
        if (ReadFrame(&frame, std::chrono::milliseconds(0))) OnFrame(frame, nullptr);
        return std::nullopt;
    }
    Fail("consume failed: " + DescribeReply(r));
}

void AmqpConnection::Ack(std::uint64_t tag, bool multiple) {
    int rc = amqp_basic_ack(conn_, 1, tag, multiple ? 1 : 0);
    if (rc != AMQP_STATUS_OK) Fail(std::string("ack failed: ") + amqp_error_string2(rc));
}

void AmqpConnection::Reject(std::uint64_t tag, bool requeue) {
    int rc = amqp_basic_reject(conn_, 1, tag, requeue ? 1 : 0);
    if (rc != AMQP_STATUS_OK) Fail(std::string("reject failed: ") + amqp_error_string2(rc));
}

}  // namespace checkout
