#!/usr/bin/env bash
# The tests of several hosts (issue 21), as root: the fleet on the test hosts of scripts/test_hosts.sh
# (network namespaces on one bridge): PostgreSQL on `pg`, a three-node RabbitMQ cluster on mq1-mq3,
# two API hosts behind HAProxy (`lb`, health checks on /ready), the order_heavy workers on oh1 and
# oh2, payment_confirm on pc, points on pts, external_api on ext, and on `ops` the relay, the
# dead-letter keeper, the scheduler and the gateway sandbox. Every process gets the settings it gets
# on one machine; only the addresses differ.
#
#   scripts/test_cluster.sh                 up, the tests in tests/cluster, down (scripts/test.sh runs this as root)
#   scripts/test_cluster.sh up | down       the topology alone, to try it by hand (then: LB=10.77.0.17:8080)
#   scripts/test_cluster.sh broker-kill N   SIGKILL broker node N (1-3);  broker-start N: start it again
#   scripts/test_cluster.sh broker-ctl N ARGS...   rabbitmqctl ARGS on node N
#   scripts/test_cluster.sh api-kill N      SIGKILL the API on apiN;      api-start N: start it again
#   scripts/test_cluster.sh cut HOST | heal HOST   a host's link down / up
#   scripts/test_cluster.sh worker-stop W | worker-start W   W: oh1 oh2 pc pts ext relay dead_letters scheduler
#
# Environment: CHECKOUT_BIN_DIR (default build/bin), PYTEST_ARGS (e.g. "-k broker").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ "$(id -u)" = 0 ] || { echo "test_cluster.sh needs root (network namespaces)" >&2; exit 1; }
state="$root/.local/cluster"
BIN_DIR="$(realpath -m "${CHECKOUT_BIN_DIR:-$root/build/bin}")"
hosts="$root/scripts/test_hosts.sh"
addr() { "$hosts" addr "$1"; }
on() { local h="$1"; shift; ip netns exec "ck-$h" "$@"; }

PG="$(addr pg)"
MQ=("$(addr mq1)" "$(addr mq2)" "$(addr mq3)")
SANDBOX="http://$(addr ops):18190"
AMQP_URL="$(IFS=,; for a in "${MQ[@]}"; do printf '%s' "${sep:-}amqp://guest:guest@$a:5672/%2f"; sep=,; done)"
export DATABASE_URL="postgresql://postgres@$PG:5432/checkout" AMQP_URL QUEUES_FILE="$root/queues.yaml"
export JWT_SECRET="test-secret-0123456789-0123456789-abcdef"
export BILLING_KEY_SECRET="dGVzdC1iaWxsaW5nLWtleS1zZWNyZXQtMzItYnl0ZXM="
export TOSS_SECRET_KEY="test_sk_checkout_ci_0123456789" TOSS_API_BASE="$SANDBOX"
export DATA_PLATFORM_URL="$SANDBOX/data-platform/events" API_PORT=8080

# NAME HOST COMMAND...: one process in the background on HOST, its pid in pids/NAME.
start_on() {
    local name="$1" host="$2"
    shift 2
    mkdir -p "$state/pids" "$state/logs"
    # `ip netns exec` execs the command, so $! is the process itself (a shell function here would put a
    # subshell in between, and a kill would miss it).
    ip netns exec "ck-$host" "$@" >> "$state/logs/$name.log" 2>&1 < /dev/null &
    echo $! > "$state/pids/$name"
}

# A worker as on one machine: under supervise.sh, which restarts it when it dies.
worker_on() {  # name host binary [VAR=value...]
    local name="$1" host="$2" bin="$3"
    shift 3
    start_on "$name" "$host" env "$@" bash "$root/scripts/lib/supervise.sh" "$BIN_DIR/$bin" \
        "$state/logs/$name.worker.log" "$state/pids/$name.child"
}

broker() {  # start|stop|kill N
    local n="$2" a="${MQ[$(($2 - 1))]}"
    case "$1" in
    start) on "mq$n" bash -c "source '$root/scripts/lib/services.sh'; rabbit_start '$state/mq$n' 5672 '$a'" ;;
    kill) kill -KILL "$(cat "$state/mq$n/rabbitmq/rabbit.pid")" ;;
    esac
}

# The fleet's workers by name: where each runs and what.
worker_start() {
    # A short heartbeat for the order_heavy hosts: the broker takes a silent one for dead after two (4 s),
    # and gives its unacked messages to the other host while it is cut off.
    local quick="${AMQP_URL//\/%2f/\/%2f?heartbeat=2}"
    case "$1" in
    oh1 | oh2) worker_on "$1" "$1" worker-order-heavy "AMQP_URL=$quick" ;;
    pc) worker_on pc pc worker-payment-confirm ;;
    pts) worker_on pts pts worker-points ;;
    ext) worker_on ext ext worker-external-api ;;
    relay) worker_on relay ops outbox-relay ;;
    dead_letters) worker_on dead_letters ops dead-letter-keeper ;;
    scheduler) worker_on scheduler ops checkout-scheduler ;;
    *) echo "no worker named $1" >&2; return 2 ;;
    esac
}

worker_stop() {  # SIGTERM its supervisor: the worker drains and exits, and is not restarted
    local pid; pid="$(cat "$state/pids/$1")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 700); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    echo "$1 did not stop in 70 s" >&2
    return 1
}

api_start() { start_on "api$1" "api$1" "$BIN_DIR/checkout-api"; }

wait_http() {  # url seconds
    for _ in $(seq 1 $(($2 * 10))); do curl -fs -o /dev/null --max-time 1 "$1" && return 0; sleep 0.1; done
    echo "nothing answered at $1 in $2 s" >&2
    return 1
}

up() {
    down >/dev/null 2>&1 || true
    rm -rf "$state"
    mkdir -p "$state"
    "$hosts" up >/dev/null
    echo "PostgreSQL on pg ($PG:5432)"
    on pg bash -c "source '$root/scripts/lib/services.sh'; pg_start '$state/pg' 5432 '$PG'"
    scripts/migrate.sh >/dev/null
    for n in 1 2 3; do
        echo "RabbitMQ node checkout@${MQ[$((n - 1))]} on mq$n"
        broker start "$n"
    done
    # Joined before any queue is declared: each quorum queue then has a member on every node.
    for n in 2 3; do
        on "mq$n" bash -c "source '$root/scripts/lib/services.sh'; rabbit_env '$state/mq$n' 5672 '${MQ[$((n - 1))]}'
            rabbitmqctl -q stop_app && rabbitmqctl -q join_cluster 'checkout@${MQ[0]}' && rabbitmqctl -q start_app" \
            >> "$state/mq$n/join.log" 2>&1 || { cat "$state/mq$n/join.log" >&2; return 1; }
    done
    echo "gateway sandbox on ops ($SANDBOX)"
    start_on sandbox ops /usr/bin/python3 "$root/tests/sandbox/toss_sandbox.py" --host "$(addr ops)" --port 18190 \
        --secret-key "$TOSS_SECRET_KEY"
    wait_http "$SANDBOX/sandbox/stats?brief=1" 20
    echo "API on api1 and api2, HAProxy on lb ($(addr lb):8080)"
    api_start 1
    api_start 2
    sed -e "s/@LB@/$(addr lb)/; s/@API1@/$(addr api1)/; s/@API2@/$(addr api2)/" \
        "$root/tests/cluster/haproxy.cfg" > "$state/haproxy.cfg"
    start_on haproxy lb haproxy -db -f "$state/haproxy.cfg"
    echo "workers: order_heavy on oh1 and oh2, payment_confirm on pc, points on pts, external_api on ext;"
    echo "         relay, dead-letter keeper and scheduler on ops"
    # A short heartbeat for the order_heavy hosts: the broker takes a silent one for dead after two (4 s),
    # and gives its unacked messages to the other host while it is cut off.
    for w in oh1 oh2 pc pts ext relay dead_letters scheduler; do worker_start "$w"; done
    wait_http "http://$(addr api1):8080/ready" 30
    wait_http "http://$(addr api2):8080/ready" 30
    wait_http "http://$(addr lb):8080/ready" 30
    echo "the fleet is up: LB=$(addr lb):8080, DATABASE_URL=$DATABASE_URL"
}

down() {
    # Killing every process in the namespaces (test_hosts.sh down) is a power cut: PostgreSQL's and
    # RabbitMQ's folders are thrown away with it.
    "$hosts" down
    rm -rf "$state/pg" "$state/mq1" "$state/mq2" "$state/mq3"
}

case "${1:-run}" in
up) up ;;
down) down ;;
broker-kill) broker kill "$2" ;;
broker-start) broker start "$2" ;;
broker-ctl)  # N ARGS...: rabbitmqctl on node N
    n="$2"; shift 2
    on "mq$n" bash -c "source '$root/scripts/lib/services.sh'; rabbit_env '$state/mq$n' 5672 '${MQ[$((n - 1))]}'; rabbitmqctl -q \"\$@\"" _ "$@" ;;
api-kill) kill -KILL "$(cat "$state/pids/api$2")" ;;
api-start) api_start "$2"; wait_http "http://$(addr "api$2"):8080/ready" 30 ;;
cut | heal) "$hosts" "$1" "$2" ;;
worker-stop) worker_stop "$2" ;;
worker-start) worker_start "$2" ;;
run)
    trap 'down >/dev/null 2>&1 || true' EXIT
    up
    export CLUSTER_LB="http://$(addr lb):8080" CLUSTER_API1="http://$(addr api1):8080" \
        CLUSTER_API2="http://$(addr api2):8080" CLUSTER_STATE="$state" CHECKOUT_BIN_DIR="$BIN_DIR"
    # shellcheck disable=SC2086
    /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/cluster ${PYTEST_ARGS:-}
    ;;
*) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
