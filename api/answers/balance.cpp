#include "api/answers/balance.hpp"

#include "api/answers/ledger_page.hpp"
#include "infra/core/json.hpp"

namespace checkout::api {

std::string TopUpJson(const TopUp& topup) {
    JsonWriter w;
    w.StartObject().Key("topup_id").String(topup.id).Key("orderId").String(topup.order_number);
    w.Key("orderName").String("Balance top-up").Key("amount").Int(topup.amount);
    w.Key("status").String("awaiting_payment").Key("confirm_url").String("/api/v1/payments/confirm");
    w.EndObject();
    return w.str();
}

std::string GrantJson(const BalanceGrant& grant, const GrantedBalance& granted) {
    JsonWriter w;
    w.StartObject().Key("grant_id").Int(granted.grant_id).Key("user").String(grant.user_sub);
    w.Key("amount").Int(grant.amount).Key("balance").Int(granted.balance).EndObject();
    return w.str();
}

std::string BalanceJson(PgConnection& conn, long long user_id, int page, int size) {
    return conn
        .exec(
            "SELECT json_build_object('balance', coalesce((SELECT balance FROM balances WHERE user_id = $1), "
            "0), "
            "'ledger', " +
                LedgerPageSql("balance_ledger", "'payment_id', payment_id, 'reason', reason") + ")::text",
            LedgerPageParams(user_id, page, size))
        .str(0, 0);
}

}  // namespace checkout::api
