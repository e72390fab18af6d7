#!/usr/bin/env bash
# Launches the workers of every queue in queues.yaml (counts from its `workers` keys), the outbox
# relay, the dead-letter keeper and the scheduler, in the background. Each runs under scripts/lib/supervise.sh,
# which restarts it when it dies; pids/NAME-i.pid is the supervisor, pids/NAME-i.child the worker.
#
#   scripts/start_workers.sh                    default counts
#   scripts/start_workers.sh order_heavy=4 points=1 relay=2 dead_letters=1 scheduler=0
#   scripts/start_workers.sh --status           list what runs
#   scripts/start_workers.sh --stop             SIGTERM exactly those pids (they drain), then wait
#
# Environment: DATABASE_URL, AMQP_URL (required to start), BIN_DIR (default build/bin), RUN_DIR (pid
# files and logs, default .local/run), QUEUES_FILE.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
BIN_DIR="${BIN_DIR:-$root/build/bin}"
RUN_DIR="$(realpath -m "${RUN_DIR:-$root/.local/run}")"
export QUEUES_FILE="${QUEUES_FILE:-$root/queues.yaml}"
pids="$RUN_DIR/pids"
mkdir -p "$pids" "$RUN_DIR/logs"

status() {
    local any=0
    for f in "$pids"/*.pid; do
        [ -e "$f" ] || continue
        any=1
        local pid; pid="$(cat "$f")"
        local child="${f%.pid}.child"
        if kill -0 "$pid" 2>/dev/null; then
            echo "$(basename "$f" .pid) supervisor $pid, worker $(cat "$child" 2>/dev/null || echo '(restarting)')"
        else
            echo "$(basename "$f" .pid) supervisor $pid gone"
        fi
    done
    [ "$any" = 1 ] || echo "no workers started from $RUN_DIR"
}

stop() {
    local list=() children=()
    for f in "$pids"/*.pid; do
        [ -e "$f" ] || continue
        local pid; pid="$(cat "$f")"
        # Only signal a pid that is still the process we started (pid reuse).
        if kill -0 "$pid" 2>/dev/null && grep -q "CHECKOUT_RUN_DIR=$RUN_DIR" "/proc/$pid/environ" 2>/dev/null; then
            children+=("$(cat "${f%.pid}.child" 2>/dev/null)")
            kill -TERM "$pid" && list+=("$pid")
        fi
        rm -f "$f"
    done
    # Workers drain for up to their queue's time_limit; give them that and a margin.
    local deadline=$((SECONDS + ${STOP_TIMEOUT:-70}))
    for pid in "${list[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && { echo "pid $pid did not stop in time; killing"; kill -KILL "$pid"; }
    done
    for child in "${children[@]}"; do
        [ -n "$child" ] && kill -0 "$child" 2>/dev/null && { echo "worker $child outlived its supervisor; killing"; kill -KILL "$child"; }
    done
    echo "stopped ${#list[@]} processes"
}

launch() {  # name binary count
    local name="$1" bin="$2" count="$3"
    if [ ! -x "$BIN_DIR/$bin" ]; then
        [ "$count" -gt 0 ] && echo "skipping $name: $BIN_DIR/$bin is not built (no handlers for this queue yet)"
        return 0
    fi
    for i in $(seq 1 "$count"); do
        CHECKOUT_RUN_DIR="$RUN_DIR" nohup bash "$root/scripts/lib/supervise.sh" "$BIN_DIR/$bin" \
            "$RUN_DIR/logs/$name-$i.log" "$pids/$name-$i.child" > /dev/null 2>&1 &
        echo $! > "$pids/$name-$i.pid"
    done
    [ "$count" -gt 0 ] && echo "started $count x $bin"
    return 0
}

case "${1:-}" in
    --status) status; exit 0 ;;
    --stop) stop; exit 0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
esac

: "${DATABASE_URL:?DATABASE_URL must be set}"
: "${AMQP_URL:?AMQP_URL must be set}"
declare -A override=()
for arg in "$@"; do
    [[ "$arg" =~ ^([a-z_]+)=([0-9]+)$ ]] || { echo "bad argument '$arg': expected QUEUE=COUNT" >&2; exit 2; }
    override["${BASH_REMATCH[1]}"]="${BASH_REMATCH[2]}"
done
table="$("$BIN_DIR/checkout-ops" queues workers)"
for name in "${!override[@]}"; do
    [ "$name" = relay ] || [ "$name" = dead_letters ] || [ "$name" = scheduler ] && continue
    grep -q "^$name " <<<"$table" || { echo "unknown queue '$name' (see queues.yaml)" >&2; exit 2; }
done
launch relay outbox-relay "${override[relay]:-1}"
launch dead_letters dead-letter-keeper "${override[dead_letters]:-1}"
launch scheduler checkout-scheduler "${override[scheduler]:-1}"
while read -r name bin count; do
    launch "$name" "$bin" "${override[$name]:-$count}"
done <<<"$table"
