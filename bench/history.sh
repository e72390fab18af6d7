#!/usr/bin/env bash
# What history costs (issue 18, item 3). Starts a private fleet (bench/lib/private_fleet.sh), then:
#   1. empty tables: the sustained load of bench/cost.sh (RATE orders/s, default 400, for SECONDS_ s,
#      default 15) measured by bench/cost.py, and the answer times of /metrics/fleet, /ops/kpis and
#      /ops/overview (20 requests each);
#   2. HISTORY_ROWS (default 10,000,000) finished orders, each with its item and its succeeded
#      order.process job, made over the 13 days before today (keys of their day: UUID version 7, so
#      each job lands in its day's partition, which is made for it), by HISTORY_USERS buyers (default
#      200,000); then VACUUM ANALYZE, as autovacuum would have done over those days;
#   3. the same load and answer times again.
# Takes about 15 minutes and 10 GB of disk with the defaults.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -x build/bin/checkout-api ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build build -j2; }
state="$root/.local/bench"
pg_port=55732
export BENCH_AMQP_PORT=57020
api_port=18581 toss_port=18590
rows="${HISTORY_ROWS:-10000000}" users="${HISTORY_USERS:-200000}" rate="${RATE:-400}" seconds="${SECONDS_:-15}"
source bench/lib/private_fleet.sh
private_fleet_start --workers
admin="$(build/bin/checkout-token bench-history admin)"

time_of() {  # name url [auth]: p50 and max of 20 answers, ms
    local name="$1" url="$2" auth="${3:-}" times=()
    for _ in $(seq 1 20); do
        times+=("$(curl -fs -o /dev/null -w '%{time_total}' ${auth:+-H "Authorization: Bearer $auth"} "$url")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v n="$name" '{ t[NR] = $1 * 1000 } END {
        printf "  %-22s p50 %7.1f ms   max %7.1f ms\n", n, t[int((NR + 1) / 2)], t[NR] }'
}
measure() {  # label
    /usr/bin/python3 bench/cost.py --api-pid "$api_pid" --run-dir "$state/run" --pgdata "$state/pgdata" \
        --rabbit-pidfile "$state/rabbitmq/rabbit.pid" --label "$1, $rate orders/s for $seconds s" -- \
        build/bin/checkout-bench open --base "$base" --rate "$rate" --seconds "$seconds" --products 50
    echo "answer times, $(psql "$DATABASE_URL" -tAX -c "SELECT count(*) FROM jobs") jobs in the table:"
    time_of "GET /metrics/fleet" "$base/metrics/fleet" "$METRICS_TOKEN"
    time_of "GET /ops/kpis" "$base/ops/kpis" "$admin"
    time_of "GET /ops/overview" "$base/ops/overview" "$admin"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)"
measure "empty tables"

echo
echo "== making $rows finished orders and jobs over 13 days =="
started=$(date +%s)
psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 -c "
    INSERT INTO users (sub) SELECT 'hist-' || i FROM generate_series(1, $users) i ON CONFLICT DO NOTHING" >/dev/null
first_user="$(psql "$DATABASE_URL" -tAX -c "SELECT min(id) FROM users WHERE sub LIKE 'hist-%'")"
per_day=$(( rows / 13 ))
for d in $(seq 13 -1 1); do
    # One day of history in one transaction; keys and times spread over the day in order.
    psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 <<SQL >/dev/null
SELECT jobs_day_partition(((now() AT TIME ZONE 'UTC')::date - $d));
CREATE TEMP TABLE h AS
    SELECT i, t,
           (substr(uuid_v7_floor(t)::text, 1, 24) || substr(gen_random_uuid()::text, 25))::uuid AS order_id,
           (substr(uuid_v7_floor(t)::text, 1, 24) || substr(gen_random_uuid()::text, 25))::uuid AS job_id
    FROM (SELECT i, ((now() AT TIME ZONE 'UTC')::date - $d)::timestamp AT TIME ZONE 'UTC'
                     + (i * (86400.0 / $per_day)) * interval '1 second' AS t
          FROM generate_series(0, $per_day - 1) i) s;
INSERT INTO jobs (id, type, queue, state, payload, attempts, created_at, updated_at, finished_at, run_ms, publish_xid)
    SELECT job_id, 'order.process', 'order_heavy', 'succeeded', jsonb_build_object('order_id', order_id), 1,
           t, t + interval '40 ms', t + interval '40 ms', 3, NULL FROM h;
INSERT INTO orders (id, order_number, user_id, status, requested_items, shipping, total_amount, final_amount,
                    job_id, created_at)
    SELECT order_id, 'ORD-' || replace(order_id::text, '-', ''), $first_user + i % $users,
           CASE WHEN i % 10 = 0 THEN 'expired' ELSE 'paid' END,
           jsonb_build_array(jsonb_build_object('product_id', 1 + i % 50, 'quantity', 1)),
           '{"name": "Kim", "phone": "010-1234-5678", "postal_code": "06236", "address": "Teheran-ro 1", "address_detail": "3F"}',
           1000, 1000, job_id, t FROM h;
INSERT INTO order_items (order_id, product_id, quantity, unit_price) SELECT order_id, 1 + i % 50, 1, 1000 FROM h;
SQL
done
# Made after the fact, the history lies below what the scheduler has counted: count again from zero, as
# if it had been there all along.
psql "$DATABASE_URL" -qX -c "DELETE FROM jobs_finished_counts" \
    -c "UPDATE jobs_counted SET upto = '00000000-0000-0000-0000-000000000000'" >/dev/null
psql "$DATABASE_URL" -qX -c "VACUUM ANALYZE" >/dev/null
# The scheduler counts the history's finished jobs once (migration 020) and moves its floors: let it, and
# let autovacuum finish what the load of rows started, so that the run below measures the steady state.
for _ in $(seq 1 120); do
    busy="$(psql "$DATABASE_URL" -tAX -c "SELECT count(*) FROM pg_stat_activity
        WHERE pid <> pg_backend_pid() AND (backend_type = 'autovacuum worker'
        OR (query LIKE '%jobs_count_finished%' AND state = 'active'))")"
    [ "$busy" = 0 ] && [ "$(psql "$DATABASE_URL" -tAX -c "SELECT upto > uuid_v7_floor(now() - interval '1 hour')
        FROM jobs_counted")" = t ] && break
    sleep 5
done
psql "$DATABASE_URL" -qX -c "CHECKPOINT" >/dev/null
echo "made in $(( $(date +%s) - started )) s; database $(psql "$DATABASE_URL" -tAX -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
echo
measure "with $rows orders and jobs of history"
