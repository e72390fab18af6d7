#pragma once
// Reading subscription charges (DESIGN 3.3): a subscription's charges page by page, newest first, and
// the admin's list of failed charges. Nothing here changes a row.
#include <optional>
#include <string>
#include <vector>

#include "infra/pg/pg_connection.hpp"

namespace checkout {

struct ChargeView {
    std::string charge_id, order_id, status, created_at;
    std::string kind;  // "period", or "upgrade" (a plan change's price difference within a period)
    long long period = 0, amount = 0;
    std::optional<std::string> approved_at, failure_code, failure_message;
    long long retries = 0;                   // dunning retries made so far
    std::optional<std::string> retry_at;     // the next one, if planned
    std::optional<std::string> declined_at;  // the first decline of this charge, if any
    std::optional<long long> refund_amount;  // an immediate cancel's refund of this charge, if any
    std::optional<std::string> refund_status;
    std::string subscription_id;
    long long user_id = 0;
};

// A subscription's charges, `size` from `offset`, newest first.
std::vector<ChargeView> SubscriptionCharges(PgConnection& conn, const std::string& subscription_id, int size,
                                            long long offset);
struct ChargesPage {
    std::vector<ChargeView> items;
    long long total = 0;
};
// Page `page` (from 1) of the buyer's subscription's charges; nullopt if it is not the buyer's.
std::optional<ChargesPage> BuyerChargesPage(PgConnection& conn, long long user_id,
                                            const std::string& subscription_id, int page, int size);
// Every subscription's failed charges (a decline, whether dunning retries it or not), the latest
// declined first (by the charge's first decline): what the admin looks at when renewals fail.
ChargesPage FailedChargesPage(PgConnection& conn, int page, int size);

}  // namespace checkout
