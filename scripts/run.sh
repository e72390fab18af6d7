#!/usr/bin/env bash
# The whole system on one machine, in the foreground: installs what is missing, builds, starts a
# private PostgreSQL and RabbitMQ on loopback (unless DATABASE_URL / AMQP_URL are given), applies
# migrations, starts the API on API_PORT (default 8080), the outbox relay and the workers of every
# queue. Ctrl-C or SIGTERM stops exactly what it started. Arguments go to start_workers.sh, e.g.
# `scripts/run.sh order_heavy=4` or `scripts/run.sh order_heavy=0` (bench/queue_runtime.sh).
# WITH_PROMETHEUS=1 also starts Debian's prometheus on 127.0.0.1:PROMETHEUS_PORT (default 9090),
# scraping every process (scripts/prometheus_config.sh, refreshed every 5 s as the fleet scales).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# RUN_STATE_DIR and CHECKOUT_BIN_DIR (binaries already built: no build step) are for the test of this
# script (tests/system/test_run_script.py); a user needs neither.
state="$(realpath -m "${RUN_STATE_DIR:-$root/.local/run}")"
mkdir -p "$state/pids"

scripts/install_deps.sh
if [ -z "${CHECKOUT_BIN_DIR:-}" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DCHECKOUT_TEST_HOOKS=OFF >/dev/null
    cmake --build build -j2
fi
bin_dir="${CHECKOUT_BIN_DIR:-$root/build/bin}"

source scripts/lib/services.sh
PG_PORT="${PG_PORT:-55432}"
AMQP_PORT="${AMQP_PORT:-56720}"
api_pid=""
sandbox_pid=""
prometheus_pids=()
cleanup() {
    trap - INT TERM EXIT
    echo "stopping..."
    RUN_DIR="$state" BIN_DIR="$bin_dir" scripts/start_workers.sh --stop || true
    if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
    for pid in "${prometheus_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "$api_pid" ] && kill -TERM "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
    services_stop "$state" "$PG_PORT" "$AMQP_PORT"
    echo "stopped"
}
trap cleanup INT TERM EXIT

services_start "$state" "$PG_PORT" "$AMQP_PORT"
scripts/migrate.sh
if [ -z "${JWT_SECRET:-}" ]; then
    # A local secret for trying it out, kept between runs; a real shop shares its auth service's.
    [ -s "$state/jwt_secret" ] || head -c 48 /dev/urandom | base64 | tr -d '/+=\n' > "$state/jwt_secret"
    JWT_SECRET="$(cat "$state/jwt_secret")"
fi
if [ -z "${BILLING_KEY_SECRET:-}" ]; then
    # Seals billing keys at rest: 32 random bytes, kept between runs (losing it loses every stored card).
    [ -s "$state/billing_key_secret" ] || head -c 32 /dev/urandom | base64 > "$state/billing_key_secret"
    BILLING_KEY_SECRET="$(cat "$state/billing_key_secret")"
fi
if [ -z "${METRICS_TOKEN:-}" ]; then
    # What Prometheus sends for GET /metrics/fleet (scripts/prometheus_config.sh), kept between runs.
    [ -s "$state/metrics_token" ] || head -c 48 /dev/urandom | base64 | tr -d '/+=\n' > "$state/metrics_token"
    METRICS_TOKEN="$(cat "$state/metrics_token")"
fi
if [ -z "${TOSS_API_BASE:-}" ]; then
    # The payment gateway sandbox (tests/sandbox/toss_sandbox.py), unless a real gateway is configured.
    TOSS_API_BASE="http://127.0.0.1:${TOSS_SANDBOX_PORT:-18090}"
    TOSS_SECRET_KEY="${TOSS_SECRET_KEY:-test_sk_local_sandbox}"
    /usr/bin/python3 tests/sandbox/toss_sandbox.py --port "${TOSS_SANDBOX_PORT:-18090}" --secret-key "$TOSS_SECRET_KEY" \
        >> "$state/sandbox.log" 2>&1 &
    sandbox_pid=$!
    echo "started the payment gateway sandbox on $TOSS_API_BASE"
fi
DATA_PLATFORM_URL="${DATA_PLATFORM_URL:-$TOSS_API_BASE/data-platform/events}"
export METRICS_TOKEN JWT_SECRET BILLING_KEY_SECRET DATABASE_URL AMQP_URL TOSS_API_BASE TOSS_SECRET_KEY DATA_PLATFORM_URL
export API_PORT="${API_PORT:-8080}" QUEUES_FILE="$root/queues.yaml"

# The API is supervised like the workers: restarted a second after it dies (pids/api.child is the
# API process itself); a configuration error (exit 2) stops run.sh, naming the setting in api.log.
CHECKOUT_RUN_DIR="$state" bash scripts/lib/supervise.sh "$bin_dir/checkout-api" "$state/api.log" \
    "$state/pids/api.child" &
api_pid=$!
echo "$api_pid" > "$state/pids/api-supervisor"
RUN_DIR="$state" BIN_DIR="$bin_dir" scripts/start_workers.sh "$@"
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$API_PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
if [ "${WITH_PROMETHEUS:-0}" = 1 ]; then
    prom="$state/prometheus"
    RUN_DIR="$state" scripts/prometheus_config.sh "$prom" >/dev/null
    prometheus --config.file="$prom/prometheus.yml" --storage.tsdb.path="$prom/data" \
        --web.listen-address="127.0.0.1:${PROMETHEUS_PORT:-9090}" >> "$prom/prometheus.log" 2>&1 &
    prometheus_pids+=($!)
    # Scaling (start_workers.sh QUEUE=N) and restarts change the processes and their ports.
    (while sleep 5; do RUN_DIR="$state" scripts/prometheus_config.sh "$prom" >/dev/null 2>&1 || true; done) &
    prometheus_pids+=($!)
    echo "Prometheus on http://127.0.0.1:${PROMETHEUS_PORT:-9090} (log: $prom/prometheus.log)"
fi
cat <<MSG

The checkout fleet is running: API on http://127.0.0.1:$API_PORT (log: $state/api.log,
workers' logs: $state/logs/). Mint a token with:
  JWT_SECRET=\$(cat $state/jwt_secret) $bin_dir/checkout-token alice         (admin: add 'admin')
and follow the README's walk-through. Ctrl-C stops everything.
MSG
wait "$api_pid" || { rc=$?; echo "the API's supervisor exited with status $rc (see $state/api.log)"; exit "$rc"; }
