#!/usr/bin/env bash
# Launches the workers of every queue in queues.yaml (counts from its `workers` keys), the outbox
# relay, the dead-letter keeper and the scheduler, in the background. Each runs under scripts/lib/supervise.sh,
# which restarts it when it dies; pids/NAME-i.pid is the supervisor, pids/NAME-i.child the worker.
# On a fleet already running from the same RUN_DIR it scales instead: each named queue gets processes
# added, or its extra ones drained (SIGTERM: in-flight jobs finish, the rest go back to RabbitMQ), to
# reach the count; queues not named are left as they are.
#
#   scripts/start_workers.sh                    default counts (on a running fleet: restart what is missing)
#   scripts/start_workers.sh order_heavy=4 points=1 relay=2 dead_letters=1 scheduler=0
#   scripts/start_workers.sh --status           per queue: supervisor and worker pids, worker uptime,
#                                               jobs done by each (from its /metrics) and its port
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

# The supervisor pid of a pid file, if that supervisor is alive and ours (not a reused pid).
ours() {
    local pid; pid="$(cat "$1" 2>/dev/null)" || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "CHECKOUT_RUN_DIR=$RUN_DIR" "/proc/$pid/environ" 2>/dev/null \
        && echo "$pid"
}

uptime_of() {  # seconds since the process started, from /proc
    local start ticks now
    start="$(awk '{print $22}' "/proc/$1/stat" 2>/dev/null)" || return 1
    ticks="$(getconf CLK_TCK)"
    now="$(awk '{print int($1)}' /proc/uptime)"
    echo $((now - start / ticks))
}

# ", N jobs done, metrics on :PORT" for a process that serves /metrics: the jobs it finished (the
# relay: messages it published), read from its own counters.
done_of() {
    local port; port="$(cat "$pids/$1.port" 2>/dev/null)" || return 0
    curl -fs --max-time 2 "http://127.0.0.1:$port/metrics" 2>/dev/null | awk -v port="$port" '
        /^checkout_jobs_finished_total\{/ && !/outcome="duplicate"/ { jobs += $NF; seen = 1 }
        /^checkout_relay_published_total / { published = $NF }
        /^checkout_scheduler_runs_total\{/ { runs += $NF; scheduler = 1 }
        /^checkout_dead_letters_recorded_total\{/ { jobs += $NF; seen = 1 }
        END {
            if (published != "") printf ", %d published", published
            else if (scheduler) printf ", %d periodic runs", runs
            else printf ", %d jobs done", jobs
            printf ", metrics on :%s", port
        }'
}

status() {
    local any=0 last=""
    for f in $(ls "$pids"/*-[0-9]*.pid 2>/dev/null | sort -V); do
        any=1
        local base name pid child up
        base="$(basename "$f" .pid)"; name="${base%-*}"
        [ "$name" != "$last" ] && { echo "$name: $(ls "$pids/$name"-*.pid | wc -l) process(es)"; last="$name"; }
        if pid="$(ours "$f")"; then
            child="$(cat "${f%.pid}.child" 2>/dev/null || true)"
            if [ -n "$child" ] && up="$(uptime_of "$child")"; then
                echo "  $base supervisor $pid, worker $child, up ${up}s$(done_of "$base")"
            else
                echo "  $base supervisor $pid, worker restarting"
            fi
        else
            echo "  $base supervisor $(cat "$f") gone"
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

start_one() {  # name binary index
    CHECKOUT_RUN_DIR="$RUN_DIR" nohup bash "$root/scripts/lib/supervise.sh" "$BIN_DIR/$2" \
        "$RUN_DIR/logs/$1-$3.log" "$pids/$1-$3.child" > /dev/null 2>&1 &
    echo $! > "$pids/$1-$3.pid"
}

# Brings `name` to `count` processes: starts the missing ones (lowest free indexes first), or drains
# the extra ones (highest indexes first) and waits for them to exit.
launch() {  # name binary count
    local name="$1" bin="$2" count="$3"
    if [ ! -x "$BIN_DIR/$bin" ]; then
        [ "$count" -gt 0 ] && echo "skipping $name: $BIN_DIR/$bin is not built (no handlers for this queue yet)"
        return 0
    fi
    local live=() f
    for f in $(ls "$pids/$name"-*.pid 2>/dev/null | sort -V); do
        if ours "$f" >/dev/null; then live+=("$f"); else rm -f "$f" "${f%.pid}.child"; fi
    done
    local have="${#live[@]}" started=0 i=1
    while [ $((have + started)) -lt "$count" ]; do
        if [ ! -e "$pids/$name-$i.pid" ]; then start_one "$name" "$bin" "$i"; started=$((started + 1)); fi
        i=$((i + 1))
    done
    [ "$started" -gt 0 ] && echo "started $started x $bin"
    if [ "$have" -gt "$count" ]; then
        local drain=() deadline=$((SECONDS + ${STOP_TIMEOUT:-70}))
        for f in "${live[@]:$count}"; do
            drain+=("$(cat "$f")")
            kill -TERM "$(cat "$f")" 2>/dev/null || true
            rm -f "$f"
        done
        for pid in "${drain[@]}"; do
            while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
        done
        echo "drained $((have - count)) x $bin"
    fi
    return 0
}

case "${1:-}" in
    --status) status; exit 0 ;;
    --stop) stop; exit 0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
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
# A running fleet with counts given: only the named queues change.
running=0
for f in "$pids"/*.pid; do [ -e "$f" ] && ours "$f" >/dev/null && running=1 && break; done
wanted() {  # name default
    if [ -n "${override[$1]:-}" ]; then echo "${override[$1]}"
    elif [ "$running" = 1 ] && [ "${#override[@]}" -gt 0 ]; then echo skip
    else echo "$2"; fi
}
for spec in "relay outbox-relay 1" "dead_letters dead-letter-keeper 1" "scheduler checkout-scheduler 1"; do
    read -r name bin count <<<"$spec"
    n="$(wanted "$name" "$count")"; [ "$n" = skip ] || launch "$name" "$bin" "$n"
done
while read -r name bin count; do
    n="$(wanted "$name" "$count")"; [ "$n" = skip ] || launch "$name" "$bin" "$n"
done <<<"$table"
