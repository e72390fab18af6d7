#!/usr/bin/env bash
# Keeps one worker process running (started by scripts/start_workers.sh, one per worker):
#   - restarts it a second after it dies (crash, SIGKILL, out of memory);
#   - does not restart it when it exits 2, which every binary does on a bad setting: restarting
#     cannot fix the configuration, so it says so in the log and exits 2 itself;
#   - on SIGTERM/SIGINT forwards the signal, waits while the worker drains and exits, then exits 0.
# usage: supervise.sh BINARY LOGFILE CHILD_PID_FILE
bin="$1" log="$2" childfile="$3"
# Its own lines, in the worker's log and format (LOG_FORMAT=json: one JSON object per line).
note() {
    local now; now="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
    if [ "${LOG_FORMAT:-}" = json ]; then
        printf '{"time":"%s","level":"%s","process":"supervisor","pid":%d,"msg":"%s"}\n' "$now" "$1" "$$" "$2" >> "$log"
    else
        echo "$now supervisor: $2" >> "$log"
    fi
}
stopping=0
child=""
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
while :; do
    # Where the worker writes the port of its /metrics (scripts/prometheus_config.sh reads it).
    METRICS_PORT_FILE="${childfile%.child}.port" "$bin" >> "$log" 2>&1 &
    child=$!
    echo "$child" > "$childfile"
    rc=0
    # wait returns early when a trapped signal arrives: keep waiting until the worker has exited.
    while :; do
        wait "$child"
        rc=$?
        kill -0 "$child" 2>/dev/null || break
    done
    [ "$stopping" = 1 ] && break
    if [ "$rc" = 2 ]; then
        note error "$(basename "$bin") exited with status 2 (a configuration error, above); not restarting it"
        rm -f "$childfile"
        exit 2
    fi
    note warning "$(basename "$bin") exited with status $rc; restarting in 1 s"
    sleep 1
    [ "$stopping" = 1 ] && break
done
rm -f "$childfile"
exit 0
