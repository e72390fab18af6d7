#include "api/ops/fleet_overview.hpp"

#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"

namespace checkout {

std::string FleetProcessesJson(PgConnection& conn) {
    auto r = conn.exec(
        "SELECT host, pid, process, coalesce(queue, ''), metrics_port, jobs_done, in_flight, doing, "
        "extract(epoch FROM now() - started_at)::float8, extract(epoch FROM now() - updated_at)::float8 "
        "FROM fleet_processes WHERE updated_at > now() - interval '10 seconds' "
        "ORDER BY coalesce(queue, process), process, host, pid");
    JsonWriter w;
    w.StartArray();
    for (int i = 0; i < r.rows(); ++i) {
        w.StartObject();
        w.Key("host").String(r.get(i, 0)).Key("pid").Int(r.integer(i, 1)).Key("process").String(r.get(i, 2));
        w.Key("queue").String(r.get(i, 3)).Key("metrics_port");
        if (r.is_null(i, 4))
            w.Null();
        else
            w.Int(r.integer(i, 4));
        w.Key("jobs_done").Int(r.integer(i, 5)).Key("in_flight").Int(r.integer(i, 6));
        w.Key("doing").String(r.get(i, 7));
        w.Key("up_s").w().Double(std::stod(r.str(i, 8)));
        w.Key("seen_s_ago").w().Double(std::stod(r.str(i, 9)));
        w.EndObject();
    }
    w.EndArray();
    return w.str();
}

std::string RecentFailuresJson(PgConnection& conn, int limit) {
    // Bounded by the key (version 7 ids sort by the time they were made: the last 10 minutes are a
    // range of the primary key) so that a page refreshed every 2 s never reads the whole table;
    // created_at decides. Only ids made before the upgrade to version 7 keys were random: none of
    // those is younger than 10 minutes once the upgraded fleet has run that long.
    auto r = conn.exec(
        "SELECT id::text, type, queue, state, attempts, coalesce(last_error, ''), "
        "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM jobs "
        "WHERE id >= $2::uuid AND created_at > now() - interval '10 minutes' "
        "AND state IN ('failed', 'dead', 'retrying') ORDER BY updated_at DESC LIMIT $1",
        {static_cast<long long>(limit),
         UuidV7Floor(std::chrono::system_clock::now() - std::chrono::minutes(11))});
    JsonWriter w;
    w.StartArray();
    for (int i = 0; i < r.rows(); ++i) {
        w.StartObject();
        w.Key("id").String(r.get(i, 0)).Key("type").String(r.get(i, 1)).Key("queue").String(r.get(i, 2));
        w.Key("state").String(r.get(i, 3)).Key("attempts").Int(r.integer(i, 4));
        w.Key("last_error").String(r.get(i, 5)).Key("updated_at").String(r.get(i, 6));
        w.EndObject();
    }
    w.EndArray();
    return w.str();
}

}  // namespace checkout
