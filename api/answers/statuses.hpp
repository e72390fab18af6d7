#pragma once
// A status as GET /api/v1/orders/{id}/status and /payments/{id}/status show it, with what the API's
// status cache needs to keep it current (whose it is, whether it can still change). Loaded many at
// a time: one query serves every status the cache refreshes in one round.
#include <string>
#include <vector>

#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

struct StatusSnapshot {
    std::string id;  // the order's or the payment's
    long long user_id = 0;
    std::string job_id;    // the job the status shows
    std::string order_id;  // a payment's order (its status is part of the payment's)
    std::string json;
    bool settled = false;   // final for a client waiting on it (domain/status_rules)
    bool terminal = false;  // nothing will ever change it
};

// Statuses of these orders / payments (ids that are not UUIDs or do not exist are left out).
std::vector<StatusSnapshot> LoadOrderStatuses(PgConnection& conn, const std::vector<std::string>& order_ids);
std::vector<StatusSnapshot> LoadPaymentStatuses(PgConnection& conn,
                                                const std::vector<std::string>& payment_ids);

}  // namespace checkout::api
