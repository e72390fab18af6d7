#pragma once
// The API's answers about the stored balance: a started top-up, an admin's grant, the balance page.
#include <string>

#include "domain/balance/balance_store.hpp"
#include "infra/pg/pg_connection.hpp"

namespace checkout::api {

// {topup_id, orderId, orderName, amount, status, confirm_url}: what the Toss widget needs.
std::string TopUpJson(const TopUp& topup);
// {grant_id, user, amount, balance}
std::string GrantJson(const BalanceGrant& grant, const GrantedBalance& granted);
// {balance, ledger: {items, page, size, total}}, the ledger newest first.
std::string BalanceJson(PgConnection& conn, long long user_id, int page, int size);

}  // namespace checkout::api
