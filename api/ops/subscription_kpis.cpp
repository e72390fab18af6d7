#include "api/ops/subscription_kpis.hpp"

#include "infra/core/json.hpp"

namespace checkout {

RenewalFigures ReadRenewalFigures(PgConnection& conn, int window_s) {
    auto r = conn.exec(
        "SELECT count(*), count(*) FILTER (WHERE a.outcome = 'declined') FROM subscription_charge_attempts a "
        "JOIN subscription_charges c ON c.id = a.charge_id WHERE c.period > 0 AND c.kind = 'P' "
        "AND a.outcome IN ('approved', 'declined', 'found') "
        "AND a.created_at >= now() - $1::int * interval '1 second'",
        {window_s});
    return {r.integer(0, 0), r.integer(0, 1)};
}

std::string SubscriptionKpisJson(PgConnection& conn, const std::string& timezone) {
    auto r = conn.exec(
        "SELECT (SELECT count(*) FROM subscriptions WHERE status = 'active' AND NOT cancel_at_period_end "
        "        AND period_end <= (now() AT TIME ZONE $1)::date), "
        "(SELECT count(*) FROM subscription_charges WHERE status = 'pending'), "
        "(SELECT count(*) FROM subscriptions WHERE status = 'past_due'), "
        "(SELECT count(*) FROM subscriptions WHERE needs_card AND status IN ('active', 'past_due'))",
        {timezone});
    const RenewalFigures f = ReadRenewalFigures(conn, 3600);
    JsonWriter w;
    w.StartObject().Key("due_today").Int(r.integer(0, 0)).Key("in_flight").Int(r.integer(0, 1));
    w.Key("past_due").Int(r.integer(0, 2)).Key("needs_card").Int(r.integer(0, 3));
    w.Key("renewals_1h").StartObject().Key("attempts").Int(f.attempts).Key("declined").Int(f.declined);
    w.Key("failure_ratio");
    if (f.attempts > 0)
        w.w().Double(static_cast<double>(f.declined) / static_cast<double>(f.attempts));
    else
        w.Null();
    w.EndObject().EndObject();
    return w.str();
}

}  // namespace checkout
