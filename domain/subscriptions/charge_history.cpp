#include "domain/subscriptions/charge_history.hpp"

#include "infra/core/uuid.hpp"

namespace checkout {

namespace {

#define CHECKOUT_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
const char* kChargeColumns =
    "SELECT c.id, c.order_id, c.status, " CHECKOUT_ISO("c.created_at") ", c.period, c.amount, "
    "c.approved_at, c.failure_code, c.failure_message, c.round, " CHECKOUT_ISO("c.retry_at") ", "
    "r.amount, r.status, CASE c.kind WHEN 'U' THEN 'upgrade' ELSE 'period' END, "
    CHECKOUT_ISO("c.declined_at") ", c.subscription_id, s.user_id "
    "FROM subscription_charges c JOIN subscriptions s ON s.id = c.subscription_id "
    "LEFT JOIN subscription_refunds r ON r.charge_id = c.id ";
#undef CHECKOUT_ISO

std::vector<ChargeView> Views(const PgResult& r) {
    std::vector<ChargeView> out;
    for (int i = 0; i < r.rows(); ++i) {
        ChargeView v{r.str(i, 0),     r.str(i, 1),     r.str(i, 2),  r.str(i, 3),  r.str(i, 13),
                     r.integer(i, 4), r.integer(i, 5), r.opt(i, 6),  r.opt(i, 7),  r.opt(i, 8),
                     r.integer(i, 9), r.opt(i, 10),    r.opt(i, 14), std::nullopt, r.opt(i, 12),
                     r.str(i, 15),    r.integer(i, 16)};
        if (!r.is_null(i, 11)) v.refund_amount = r.integer(i, 11);
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace

std::vector<ChargeView> SubscriptionCharges(PgConnection& conn, const std::string& subscription_id, int size,
                                            long long offset) {
    return Views(conn.exec(std::string(kChargeColumns) +
                               "WHERE c.subscription_id = $1 ORDER BY c.created_at DESC, c.id DESC "
                               "LIMIT $2 OFFSET $3",
                           {subscription_id, static_cast<long long>(size), offset}));
}

std::optional<ChargesPage> BuyerChargesPage(PgConnection& conn, long long user_id,
                                            const std::string& subscription_id, int page, int size) {
    if (!IsUuid(subscription_id)) return std::nullopt;
    PgTransaction snapshot(conn, kSnapshotRead);  // the total counts the charges on the page
    auto n = conn.exec(
        "SELECT (SELECT count(*) FROM subscription_charges WHERE subscription_id = s.id) FROM "
        "subscriptions s WHERE s.id = $1 AND s.user_id = $2",
        {subscription_id, user_id});
    if (n.rows() == 0) return std::nullopt;
    return ChargesPage{
        SubscriptionCharges(conn, subscription_id, size, static_cast<long long>(page - 1) * size),
        n.integer(0, 0)};
}

ChargesPage FailedChargesPage(PgConnection& conn, int page, int size) {
    PgTransaction snapshot(conn, kSnapshotRead);  // the total counts the charges on the page
    ChargesPage p{Views(conn.exec(std::string(kChargeColumns) +
                                      "WHERE c.declined_at IS NOT NULL AND c.status = 'failed' "
                                      "ORDER BY c.declined_at DESC, c.id DESC "
                                      "LIMIT $1 OFFSET $2",
                                  {static_cast<long long>(size), static_cast<long long>(page - 1) * size})),
                  0};
    p.total = conn.exec(
                      "SELECT count(*) FROM subscription_charges WHERE declined_at IS NOT NULL AND status = "
                      "'failed'")
                  .integer(0, 0);
    return p;
}

}  // namespace checkout
