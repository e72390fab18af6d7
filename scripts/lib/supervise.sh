#!/usr/bin/env bash
# Keeps one worker process running (started by scripts/start_workers.sh, one per worker):
#   - restarts it a second after it dies (crash, SIGKILL, out of memory);
#   - on SIGTERM/SIGINT forwards the signal, waits while the worker drains and exits, then exits 0.
# usage: supervise.sh BINARY LOGFILE CHILD_PID_FILE
bin="$1" log="$2" childfile="$3"
stopping=0
child=""
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
while :; do
    "$bin" >> "$log" 2>&1 &
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
    echo "$(date -u +%Y-%m-%dT%H:%M:%S) supervisor: $(basename "$bin") exited with status $rc; restarting in 1 s" >> "$log"
    sleep 1
    [ "$stopping" = 1 ] && break
done
rm -f "$childfile"
exit 0
