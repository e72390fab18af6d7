# Sourced by the bench scripts: a fleet of their own (PostgreSQL with pg_stat_statements, RabbitMQ, the
# gateway sandbox, the API; the workers with `private_fleet_start --workers`) on ports that clash with
# neither scripts/run.sh nor scripts/test.sh, stopped on exit, whatever happens.
# Set before sourcing: root, state, pg_port, BENCH_AMQP_PORT, api_port, toss_port. Sets api_pid,
# sandbox_pid, base (the API's URL) and exports what the binaries read.
source "$root/scripts/lib/services.sh"
unset DATABASE_URL AMQP_URL

private_fleet_stop() {
    trap - INT TERM EXIT
    if declare -F before_fleet_stop >/dev/null; then before_fleet_stop || true; fi
    RUN_DIR="$state/run" scripts/start_workers.sh --stop >/dev/null 2>&1 || true
    [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null || true
    [ -n "${sandbox_pid:-}" ] && kill "$sandbox_pid" 2>/dev/null || true
    services_stop "$state" "$pg_port" "$BENCH_AMQP_PORT"
}

private_fleet_start() {  # [--workers]
    trap private_fleet_stop INT TERM EXIT
    rabbit_stop "$state" "$BENCH_AMQP_PORT"; pg_stop "$state"
    rm -rf "$state"
    services_start "$state" "$pg_port" "$BENCH_AMQP_PORT"
    # pg_stat_statements counts the statements; it must be loaded at server start.
    psql "$DATABASE_URL" -qX -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
    pg_stop "$state"; pg_start "$state" "$pg_port"
    psql "$DATABASE_URL" -qX -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    export DATABASE_URL AMQP_URL QUEUES_FILE="${BENCH_QUEUES_FILE:-$root/queues.yaml}"
    scripts/migrate.sh >/dev/null

    export METRICS_TOKEN="bench-metrics-token-0123456789" JWT_SECRET="bench-secret-0123456789-0123456789-abcdef" BILLING_KEY_SECRET="YmVuY2gtYmlsbGluZy1rZXktc2VjcmV0LTMyYnl0ZXM=" TOSS_SECRET_KEY="test_sk_bench_0123456789"
    export TOSS_API_BASE="http://127.0.0.1:$toss_port" DATA_PLATFORM_URL="http://127.0.0.1:$toss_port/data-platform/events"
    /usr/bin/python3 tests/sandbox/toss_sandbox.py --port "$toss_port" --secret-key "$TOSS_SECRET_KEY" > "$state/sandbox.log" 2>&1 &
    sandbox_pid=$!
    # Benchmarks send many requests per buyer: no per-buyer rate limit.
    RATE_LIMIT_PER_USER=0 API_PORT=$api_port build/bin/checkout-api >> "$state/api.log" 2>&1 &
    api_pid=$!
    base="http://127.0.0.1:$api_port"
    [ "${1:-}" = --workers ] && RUN_DIR="$state/run" CHECKOUT_RUN_DIR="$state/run" scripts/start_workers.sh >/dev/null
    for _ in $(seq 1 100); do curl -fs "$base/${2:-ready}" >/dev/null 2>&1 && break; sleep 0.2; done
}
