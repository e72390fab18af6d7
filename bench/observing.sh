#!/usr/bin/env bash
# What observing costs (issue 11). Starts a private fleet (ports of its own), then:
#   1. sustained orders with metrics off (METRICS_PORT=off: no listener in any process, nothing
#      scraping) and on (every process serving /metrics, Debian's prometheus scraping all of them and
#      /metrics/fleet every SCRAPE_INTERVAL, default 1 s: five times harsher than run.sh's), alternated
#      ROUNDS times (default 2): per order, what bench/cost.py measures (CPU of every part, commits,
#      WAL), and the throughput of the whole fleet (orders / time until every one settled);
#   2. the answer times of GET /metrics, /metrics/fleet, /ops/kpis, /ops/overview and a worker's
#      /metrics with 100,000 more jobs in the table, finished over the last 5 minutes.
# Load: an open loop of RATE orders/s (default 600) for SECONDS_ s (default 15), as bench/cost.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -x build/bin/checkout-api ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build build -j2; }
state="$root/.local/bench-observing"
pg_port=55832
export BENCH_AMQP_PORT=57120
api_port=18681 toss_port=18690 prom_port=19690
prom_pid=""
before_fleet_stop() { [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null; }
source bench/lib/private_fleet.sh
private_fleet_start "" health
export RUN_DIR="$state/run" CHECKOUT_RUN_DIR="$state/run" API_PORT=$api_port

fleet() {  # off | on
    scripts/start_workers.sh --stop >/dev/null
    [ -n "$prom_pid" ] && { kill "$prom_pid"; wait "$prom_pid" 2>/dev/null || true; prom_pid=""; }
    if [ "$1" = off ]; then
        METRICS_PORT=off scripts/start_workers.sh >/dev/null
    else
        METRICS_PORT=0 scripts/start_workers.sh >/dev/null
        for _ in $(seq 1 50); do [ "$(ls "$RUN_DIR"/pids/*.port 2>/dev/null | wc -l)" -ge 8 ] && break; sleep 0.2; done
        SCRAPE_INTERVAL="${SCRAPE_INTERVAL:-1s}" scripts/prometheus_config.sh "$state/prometheus" >/dev/null
        prometheus --config.file="$state/prometheus/prometheus.yml" --storage.tsdb.path="$state/prometheus/data" \
            --web.listen-address="127.0.0.1:$prom_port" > "$state/prometheus.log" 2>&1 &
        prom_pid=$!
        for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1 && break; sleep 0.2; done
    fi
    for _ in $(seq 1 100); do curl -fs "$base/ready" >/dev/null 2>&1 && break; sleep 0.2; done
}

cpu_ticks() {  # utime + stime of a process, 0 when there is none
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)"
summary=()
for round in $(seq 1 "${ROUNDS:-2}"); do
    for mode in off on; do
        fleet "$mode"
        psql "$DATABASE_URL" -qX -c "VACUUM ANALYZE" >/dev/null
        prom_cpu0="$(cpu_ticks "$prom_pid")"
        out="$(/usr/bin/python3 bench/cost.py --api-pid "$api_pid" --run-dir "$RUN_DIR" --pgdata "$state/pgdata" \
            --rabbit-pidfile "$state/rabbitmq/rabbit.pid" --label "metrics $mode, round $round" -- \
            build/bin/checkout-bench open --base "$base" --rate "${RATE:-600}" --seconds "${SECONDS_:-15}" --products 50)"
        echo "$out"
        if [ "$mode" = on ]; then
            up="$(curl -fs "http://127.0.0.1:$prom_port/api/v1/query?query=count(up==1)" | /usr/bin/python3 -c \
                'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')"
            prom_line="  prometheus: $up targets up, $(( ($(cpu_ticks "$prom_pid") - prom_cpu0) * 1000 / $(getconf CLK_TCK) )) ms of CPU during the run"
            echo "$prom_line"
            out="$out
$prom_line"
        fi
        summary+=("$(echo "$out" | /usr/bin/python3 -c '
import re, sys
text = sys.stdin.read()
m = re.search(r"\((\d+) orders, settled in ([\d.]+) s\)", text)
orders, took = int(m.group(1)), float(m.group(2))
cpu = text.split("  CPU ms:")[1]
total = sum(float(l.split()[-1]) for l in cpu.split("  prometheus")[0].strip().splitlines()
            if re.match(r"\s+\S.*\s[\d.]+$", l))
prom = re.search(r"(\d+) ms of CPU during the run", text)
total += int(prom.group(1)) / orders if prom else 0
print(f"{sys.argv[1]:22s} {orders / took:8.0f} orders/s settled   {total:6.3f} CPU ms per order (all parts, Prometheus too)")
' "metrics $mode, round $round")")
    done
done

# 100,000 more jobs, finished over the last 5 minutes (the KPIs' widest window), none to publish.
psql "$DATABASE_URL" -qX -c "
    INSERT INTO jobs (id, type, queue, state, payload, attempts, created_at, updated_at, finished_at, run_ms, publish_xid)
    SELECT gen_random_uuid(), 'order.process', 'order_heavy', 'succeeded', '{}', 1,
           now() - (i % 295) * interval '1 second' - interval '80 ms', now(), now() - (i % 295) * interval '1 second',
           5 + i % 50, NULL FROM generate_series(1, 100000) i" >/dev/null
psql "$DATABASE_URL" -qX -c "VACUUM ANALYZE jobs" >/dev/null
jobs_total="$(psql "$DATABASE_URL" -tAX -c "SELECT count(*) FROM jobs")"
admin="$(build/bin/checkout-token bench-ops admin)"
worker_port="$(cat "$RUN_DIR/pids/order_heavy-1.port")"
time_of() {  # name url [auth]: p50 and max of 20 answers, ms
    local name="$1" url="$2" auth="${3:-}" times=()
    for _ in $(seq 1 20); do
        times+=("$(curl -fs -o /dev/null -w '%{time_total}' ${auth:+-H "Authorization: Bearer $auth"} "$url")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v n="$name" '{ t[NR] = $1 * 1000 } END {
        printf "  %-34s p50 %7.1f ms   max %7.1f ms\n", n, t[int((NR + 1) / 2)], t[NR] }'
}
echo
echo "== answer times with $jobs_total jobs in the table (20 requests each) =="
time_of "GET /metrics (the API's own)" "$base/metrics"
time_of "GET /metrics/fleet" "$base/metrics/fleet" "$METRICS_TOKEN"
time_of "GET /ops/kpis" "$base/ops/kpis" "$admin"
time_of "GET /ops/overview (the page's data)" "$base/ops/overview" "$admin"
time_of "GET /metrics of a worker" "http://127.0.0.1:$worker_port/metrics"
echo
echo "== metrics off against on =="
printf '%s\n' "${summary[@]}"
