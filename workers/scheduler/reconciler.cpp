#include "workers/scheduler/reconciler.hpp"

#include "domain/payments/payment_transitions.hpp"
#include "infra/core/log.hpp"

namespace checkout {

ReconcileCounts ReconcilePayments(PgConnection& conn, const QueuesConfig& cfg, TossClient& toss,
                                  Millis after) {
    ReconcileCounts counts;
    auto stuck = conn.exec(
        "SELECT id, payment_key FROM payments WHERE status = 'in_progress' AND NOT approved "
        "AND updated_at < now() - make_interval(secs => $1::float8 / 1000) ORDER BY updated_at LIMIT 200",
        {static_cast<long long>(after.count())});
    for (int i = 0; i < stuck.rows(); ++i) {
        const std::string payment_id = stuck.str(i, 0), payment_key = stuck.str(i, 1);
        ++counts.looked_up;
        const auto r = toss.PaymentByKey(payment_key);  // no transaction open
        auto paid = r.kind == GatewayResult::Kind::kOk ? ParseTossPayment(r.body) : std::nullopt;
        PgTransaction tx(conn);
        const auto verdict =
            paid ? ApplyGatewayPayment(tx, cfg, payment_id, *paid) : GatewayVerdict::kNotFinal;
        if (verdict == GatewayVerdict::kApproved) {
            ++counts.approved;
        } else if (verdict == GatewayVerdict::kRejected || verdict == GatewayVerdict::kCanceled) {
            ++counts.failed;
        } else if (r.kind == GatewayResult::Kind::kRejected && r.code == "NOT_FOUND_PAYMENT") {
            // The confirm never reached the gateway, so nobody was charged: the buyer may pay again.
            // Should a confirm still be on its way, its approval is refunded (RecordApproval).
            RecordRejection(tx, payment_id, kNotConfirmedCode,
                            "the gateway has no record of this payment's confirm");
            ++counts.failed;
        } else {
            ++counts.left;
            // To the back of the line: the scan takes the longest untouched first, so 200 payments
            // the gateway keeps answering "not final" cannot hide the others from every run.
            tx.exec("UPDATE payments SET updated_at = now() WHERE id = $1 AND status = 'in_progress'",
                    {payment_id});
            spdlog::info("payment={} left for the next run: {} {}", payment_id, KindName(r.kind),
                         paid ? paid->status : r.code);
        }
        tx.commit();
    }
    return counts;
}

}  // namespace checkout
