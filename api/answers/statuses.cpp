#include "api/answers/statuses.hpp"

#include "domain/status_rules.hpp"
#include "infra/core/json.hpp"
#include "infra/pg/pg_array.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout::api {

std::vector<StatusSnapshot> LoadOrderStatuses(PgConnection& conn, const std::vector<std::string>& order_ids) {
    auto r = conn.exec("SELECT o.id, o.user_id, o.status, o.failure_reason, " + JobColumns("j") +
                           ", o.job_id FROM orders o LEFT JOIN jobs j ON j.id = o.job_id "
                           "WHERE o.id = ANY($1::uuid[])",
                       {PgUuidArray(order_ids)});
    std::vector<StatusSnapshot> out;
    for (int i = 0; i < r.rows(); ++i) {
        const auto job = RowJobAt(r, i, 4, 13);
        JsonWriter w;
        w.StartObject();
        w.Key("order_id").String(r.get(i, 0)).Key("status").String(r.get(i, 2));
        w.Key("failure_reason").OptString(r.opt(i, 3));
        w.Key("job").Raw(job.Json());
        w.EndObject();
        const std::string status = r.str(i, 2);
        out.push_back({r.str(i, 0), r.integer(i, 1), job.view.id, r.str(i, 0), w.str(),
                       OrderSettled(status, job.view.state), OrderTerminal(status)});
    }
    return out;
}

std::vector<StatusSnapshot> LoadPaymentStatuses(PgConnection& conn,
                                                const std::vector<std::string>& payment_ids) {
    auto r = conn.exec(
        "SELECT p.status, o.status, p.order_id, p.amount, p.method, p.failure_code, p.failure_message, " +
            JobColumns("j") +
            ", p.id, p.user_id, p.job_id FROM payments p JOIN orders o ON o.id = p.order_id "
            "LEFT JOIN jobs j ON j.id = p.job_id WHERE p.id = ANY($1::uuid[])",
        {PgUuidArray(payment_ids)});
    std::vector<StatusSnapshot> out;
    for (int i = 0; i < r.rows(); ++i) {
        const auto job = RowJobAt(r, i, 7, 18);
        const std::string status = r.str(i, 0);
        JsonWriter w;
        w.StartObject();
        w.Key("payment_id")
            .String(r.get(i, 16))
            .Key("status")
            .String(status)
            .Key("is_paid")
            .Bool(status == "done");
        w.Key("order_id")
            .String(r.get(i, 2))
            .Key("order_status")
            .String(r.get(i, 1))
            .Key("amount")
            .Int(r.integer(i, 3));
        w.Key("method").OptString(r.opt(i, 4));
        w.Key("failure");
        if (r.is_null(i, 5))
            w.Null();
        else
            w.StartObject().Key("code").String(r.get(i, 5)).Key("message").OptString(r.opt(i, 6)).EndObject();
        w.Key("job").Raw(job.Json());
        w.EndObject();
        out.push_back({r.str(i, 16), r.integer(i, 17), job.view.id, r.str(i, 2), w.str(),
                       PaymentSettled(status, job.view.state), PaymentTerminal(status)});
    }
    return out;
}

}  // namespace checkout::api
