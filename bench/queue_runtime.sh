#!/usr/bin/env bash
# The queue runtime's figures (issue: every queue keeps its promises). Needs the system running
# without order-heavy workers:   scripts/run.sh order_heavy=0
# then:                          bench/queue_runtime.sh
#  1. order-heavy throughput with 1, 2 and 4 worker processes draining a backlog across many products
#  2. end-to-end latency (created -> finished) at a steady rate with 1, 2 and 4 processes
#  3. the cost of retries: 10% of jobs failing once vs none (fault-injection worker)
#  4. the runtime's ceiling: no-op jobs drained by one worker process (persistent messages, manual
#     acks, and each job's state written to PostgreSQL)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:55432/checkout}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:56720/%2f}"
N="${N:-4000}"
PARTS="${PARTS:-heavy latency retries ceiling}"  # which of the four below to run
part() { [[ " $PARTS " == *" $1 "* ]]; }
out="$root/.local/bench"
mkdir -p "$out"

# A separate build with the fault-injection worker (never part of scripts/run.sh's build).
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCHECKOUT_TEST_HOOKS=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-bench -j2 --target worker-order-heavy worker-test-hooks checkout-queue-bench >/dev/null
bin="$root/build-bench/bin"
export QUEUES_FILE="$out/queues.yaml"
{ cat queues.yaml; cat <<'YAML'
  test_hooks:
    routing_key: test.hooks
    type: quorum
    prefetch: 2000
    concurrency: 4
    batch: 250
    max_retries: 3
    backoff: {initial: 100ms, multiplier: 2.0, cap: 1s, jitter: 0.1}
    time_limit: 10s
    delivery_limit: 10
    dead_letter_queue: test_hooks.dead
    workers: 1
    binary: worker-test-hooks
    job_types: [test.noop, test.flaky, test.fail_final, test.sleep, test.crash, test.effect_then_wait]
YAML
} > "$QUEUES_FILE"
psql "$DATABASE_URL" -qX -c "CREATE TABLE IF NOT EXISTS test_effects (key text PRIMARY KEY, n int NOT NULL);
  CREATE TABLE IF NOT EXISTS test_flags (key text PRIMARY KEY); CREATE TABLE IF NOT EXISTS test_done (job_id uuid PRIMARY KEY)" 2>/dev/null

pids=()
start_workers() {  # binary count
    for _ in $(seq 1 "$2"); do "$bin/$1" >> "$out/workers.log" 2>&1 & pids+=($!); done
}
stop_workers() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}
trap stop_workers EXIT
# The relay has published every job so far (its cursor passed them) and no delayed retry is left.
published() {
    until [ "$(psql "$DATABASE_URL" -tAXc "SELECT NOT EXISTS (SELECT 1 FROM jobs WHERE publish_xid >= (SELECT next_xid FROM relay_cursor)) AND NOT EXISTS (SELECT 1 FROM outbox)")" = t ]; do sleep 0.2; done
}
xid_now() { psql "$DATABASE_URL" -tAXc "SELECT pg_snapshot_xmax(pg_current_snapshot())"; }
now() { date +%s.%N; }

# The fault-injection queue must exist before its jobs are published.
start_workers worker-test-hooks 1; sleep 1; stop_workers

part heavy && echo "== order-heavy: draining a backlog of $N jobs across 500 products ==" &&
for k in 1 2 4; do
    since=$(xid_now); "$bin/checkout-queue-bench" orders "$N" 500; published
    begin=$(now); start_workers worker-order-heavy "$k"
    printf '%d process(es): ' "$k"; "$bin/checkout-queue-bench" wait "$since" "$N" "$begin" | sed 's/; created.*p99 [0-9.]* ms//'
    stop_workers
done

part latency && echo "== order-heavy: end-to-end latency at 300 jobs/s for 10 s ==" &&
for k in 1 2 4; do
    start_workers worker-order-heavy "$k"; sleep 0.5
    since=$(xid_now); t0=$(now); "$bin/checkout-queue-bench" orders-open 300 10 200
    printf '%d process(es): ' "$k"; "$bin/checkout-queue-bench" wait "$since" 3000 "$t0"
    stop_workers
done

part retries && echo "== retries: $N test jobs, none failing vs 10% failing once (backoff 100 ms) ==" &&
for pct in 0 10; do
    since=$(xid_now); "$bin/checkout-queue-bench" hooks test.flaky "$N" "$pct"; published
    begin=$(now); start_workers worker-test-hooks 1
    printf '%2d%% failing: ' "$pct"; "$bin/checkout-queue-bench" wait "$since" "$N" "$begin"
    stop_workers
done

part ceiling || exit 0
echo "== runtime ceiling: 20000 no-op jobs drained by one worker process (batches of up to 200 per commit) =="
since=$(xid_now); "$bin/checkout-queue-bench" hooks test.noop 20000 0; published
begin=$(now); start_workers worker-test-hooks 1
"$bin/checkout-queue-bench" wait "$since" 20000 "$begin" | sed 's/; created.*p99 [0-9.]* ms//'
stop_workers
