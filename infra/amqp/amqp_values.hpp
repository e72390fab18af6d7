#pragma once
// rabbitmq-c's C values as the connection uses them (internal to infra/amqp): byte strings, table
// entries, header fields, timeouts and reply descriptions.
#include <amqp.h>
#include <sys/time.h>

#include <chrono>
#include <string>

namespace checkout::amqp_values {

timeval ToTimeval(std::chrono::milliseconds ms);
std::string DescribeReply(const amqp_rpc_reply_t& r);
// A view of `s`, valid while `s` is.
amqp_bytes_t Bytes(const std::string& s);
amqp_table_entry_t Utf8Entry(const char* key, const std::string& value);
amqp_table_entry_t IntEntry(const char* key, long long value);
// A header's integer value of any width (x-delivery-count); 0 for anything else.
long FieldAsLong(const amqp_field_value_t& v);

}  // namespace checkout::amqp_values
