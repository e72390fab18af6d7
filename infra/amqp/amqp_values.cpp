#include "infra/amqp/amqp_values.hpp"

#include <cstring>

namespace checkout::amqp_values {

timeval ToTimeval(std::chrono::milliseconds ms) {
    if (ms.count() < 0) ms = std::chrono::milliseconds(0);
    return timeval{static_cast<time_t>(ms.count() / 1000),
                   static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

std::string DescribeReply(const amqp_rpc_reply_t& r) {
    switch (r.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return "ok";
        case AMQP_RESPONSE_NONE:
            return "missing RPC reply";
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return amqp_error_string2(r.library_error);
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
                auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
                return "connection closed by broker: " + std::to_string(m->reply_code) + " " +
                       std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
            }
            if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
                auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
                return "channel closed by broker: " + std::to_string(m->reply_code) + " " +
                       std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
            }
            return "broker exception";
    }
    return "unknown reply";
}

amqp_bytes_t Bytes(const std::string& s) { return amqp_bytes_t{s.size(), const_cast<char*>(s.data())}; }

amqp_table_entry_t Utf8Entry(const char* key, const std::string& value) {
    amqp_table_entry_t e;
    e.key = amqp_cstring_bytes(key);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = Bytes(value);
    return e;
}

amqp_table_entry_t IntEntry(const char* key, long long value) {
    amqp_table_entry_t e;
    e.key = amqp_cstring_bytes(key);
    e.value.kind = AMQP_FIELD_KIND_I64;
    e.value.value.i64 = value;
    return e;
}

long FieldAsLong(const amqp_field_value_t& v) {
    switch (v.kind) {
        case AMQP_FIELD_KIND_I8:
            return v.value.i8;
        case AMQP_FIELD_KIND_U8:
            return v.value.u8;
        case AMQP_FIELD_KIND_I16:
            return v.value.i16;
        case AMQP_FIELD_KIND_U16:
            return v.value.u16;
        case AMQP_FIELD_KIND_I32:
            return v.value.i32;
        case AMQP_FIELD_KIND_U32:
            return static_cast<long>(v.value.u32);
        case AMQP_FIELD_KIND_I64:
            return static_cast<long>(v.value.i64);
        case AMQP_FIELD_KIND_U64:
            return static_cast<long>(v.value.u64);
        default:
            return 0;
    }
}

}  // namespace checkout::amqp_values
