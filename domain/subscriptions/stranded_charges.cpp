#include "domain/subscriptions/stranded_charges.hpp"

#include "domain/job_payloads.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

long long RestartStrandedCharges(PgConnection& conn, const QueuesConfig& cfg, Millis after, int limit) {
    PgTransaction tx(conn);
    auto stranded = tx.exec(
        "SELECT c.id FROM subscription_charges c WHERE c.status = 'pending' "
        "AND c.updated_at < now() - $1::bigint * interval '1 millisecond' "
        "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = c.job_id AND j.state IN ('queued', 'running', "
        "'retrying')) ORDER BY c.updated_at LIMIT $2 FOR UPDATE OF c SKIP LOCKED",
        {static_cast<long long>(after.count()), limit});
    for (int i = 0; i < stranded.rows(); ++i) {
        const std::string charge_id = stranded.str(i, 0);
        const Job job =
            NewJob(cfg, NewUuid(), kSubscriptionChargeJob, SubscriptionChargePayload{charge_id}.ToJson());
        auto params = JobInsertParams(job);  // $1..$4
        params.push_back(charge_id);         // $5
        tx.exec(
            "WITH c AS (UPDATE subscription_charges SET job_id = $1, updated_at = now() WHERE id = $5), "
            "j AS (INSERT INTO jobs (id, type, queue, state, payload) VALUES ($1, $2, $3, 'queued', "
            "$4::jsonb)) "
            "SELECT pg_notify('outbox', '')",
            params);
    }
    tx.commit();
    return stranded.rows();
}

}  // namespace checkout
