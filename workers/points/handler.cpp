#include "workers/points/handler.hpp"

#include "domain/job_payloads.hpp"
#include "domain/points/point_store.hpp"
#include "infra/core/error.hpp"
#include "infra/core/uuid.hpp"

namespace checkout {

JobHandler EarnPointsHandler(const PointSettings& points) {
    return [&points](PgTransaction& tx, const Job& job) -> Outcome {
        const auto payload = EarnPointsPayload::Parse(job.payload_json);
        const std::string& order_id = payload.order_id;
        const long long user_id = payload.user_id;
        // Only a paid order earns. FOR SHARE waits for a release in progress (a refund takes earned
        // points back under the same row lock), so an order canceled before or while this runs earns
        // nothing.
        auto order = tx.exec(
            "SELECT o.status, u.grade FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1 FOR "
            "SHARE OF o",
            {order_id});
        if (order.rows() == 0 || order.get(0, 0) != "paid") return Outcome::Succeeded();
        EarnPoints(tx, user_id, order_id, points.rates.PointsFor(order.str(0, 1), payload.amount),
                   points.valid_days);
        return Outcome::Succeeded();
    };
}

}  // namespace checkout
