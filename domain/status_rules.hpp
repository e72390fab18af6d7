#pragma once
// When an order's or a payment's status is final for a client waiting on it, and when nothing will
// ever change it again (the API's status cache stops refreshing it then).
#include <string_view>

namespace checkout {

// The order's job has decided: the order is no longer `pending`, or its job failed or is dead.
inline bool OrderSettled(std::string_view order_status, std::string_view job_state) {
    return order_status != "pending" || job_state == "failed" || job_state == "dead";
}
inline bool OrderTerminal(std::string_view order_status) {
    return order_status == "failed" || order_status == "expired" || order_status == "canceled";
}

// The payment is done, failed or canceled, or its job is dead.
inline bool PaymentSettled(std::string_view payment_status, std::string_view job_state) {
    return payment_status == "done" || payment_status == "failed" || payment_status == "canceled" ||
           job_state == "dead";
}
inline bool PaymentTerminal(std::string_view payment_status) { return payment_status == "canceled"; }

}  // namespace checkout
