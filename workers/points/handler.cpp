#include "workers/points/handler.hpp"

#include <rapidjson/document.h>

#include "common/error.hpp"
#include "common/uuid.hpp"

namespace checkout {

long long PointsFor(long long paid_amount) { return paid_amount * kPointsPercent / 100; }

Outcome EarnPoints(PgTransaction& tx, const Job& job) {
    rapidjson::Document d;
    d.Parse(job.payload_json.c_str());
    if (!d.IsObject() || !d.HasMember("order_id") || !d["order_id"].IsString() || !IsUuid(d["order_id"].GetString()) ||
        !d.HasMember("user_id") || !d["user_id"].IsInt64() || !d.HasMember("amount") || !d["amount"].IsInt64())
        throw AppError(ErrorCode::kValidationFailed, "payload needs order_id, user_id, amount", "payload: " + job.payload_json);
    // Only a paid order earns. FOR SHARE waits for a release in progress (a refund takes earned points
    // back under the same row lock), so an order canceled before or while this runs earns nothing.
    auto order = tx.exec("SELECT status FROM orders WHERE id = $1 FOR SHARE", {std::string(d["order_id"].GetString())});
    if (order.rows() == 0 || order.get(0, 0) != "paid") return Outcome::Succeeded();
    tx.exec(
        "WITH e AS (INSERT INTO point_ledger (user_id, order_id, kind, amount) VALUES ($1, $2, 'earn', $3) "
        "           ON CONFLICT (order_id, kind) DO NOTHING RETURNING amount) "
        "INSERT INTO user_points (user_id, balance) SELECT $1, amount FROM e "
        "ON CONFLICT (user_id) DO UPDATE SET balance = user_points.balance + EXCLUDED.balance",
        {d["user_id"].GetInt64(), std::string(d["order_id"].GetString()), PointsFor(d["amount"].GetInt64())});
    return Outcome::Succeeded();
}

}  // namespace checkout
