#!/usr/bin/env bash
# Issue 21's figures on the test hosts (as root; scripts/test_cluster.sh brings the fleet up and down):
#   1. order_heavy: a backlog of N orders across 500 products drained by one host (oh1), then by two
#      (oh1 + oh2); the orders are queued while the hosts' workers are stopped, so each run starts on a
#      full queue;
#   2. the whole checkout (order, payment at the sandbox) through HAProxy and both API hosts, with one
#      order_heavy host and with two;
#   3. the relay's confirmed publishes: N jobs published to the three-node cluster (quorum queues with a
#      member on each node: a confirm means two nodes stored it), then to one node on its own.
# The pauses in settling when a broker node dies and when a worker host is cut off are printed by the
# tests (scripts/test_cluster.sh). Environment: N (default 20000), CHECKOUT_BIN_DIR (default build/bin).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ "$(id -u)" = 0 ] || { echo "bench/cluster.sh needs root (network namespaces)" >&2; exit 1; }
N="${N:-20000}"
bin="$(realpath -m "${CHECKOUT_BIN_DIR:-$root/build/bin}")"
export CHECKOUT_BIN_DIR="$bin"
fleet="$root/scripts/test_cluster.sh"
state="$root/.local/cluster"
"$fleet" up > /dev/null
trap '"$fleet" down > /dev/null 2>&1 || true' EXIT
ops="$(scripts/test_hosts.sh addr ops)"
export DATABASE_URL="postgresql://postgres@$(scripts/test_hosts.sh addr pg):5432/checkout" QUEUES_FILE="$root/queues.yaml"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date +%F); every host a network namespace on it"

# The relay has published every job so far (its cursor passed them).
published() {
    until [ "$(psql "$DATABASE_URL" -tAXc "SELECT NOT EXISTS (SELECT 1 FROM jobs WHERE publish_xid >= (SELECT next_xid FROM relay_cursor)) AND NOT EXISTS (SELECT 1 FROM outbox)")" = t ]; do sleep 0.05; done
}
xid_now() { psql "$DATABASE_URL" -tAXc "SELECT pg_snapshot_xmax(pg_current_snapshot())"; }
now() { date +%s.%N; }

echo "== order_heavy: a backlog of $N orders across 500 products =="
"$fleet" worker-stop oh1; "$fleet" worker-stop oh2
for hosts in "oh1" "oh1 oh2"; do
    since=$(xid_now); "$bin/checkout-queue-bench" orders "$N" 500; published
    begin=$(now)
    for h in $hosts; do "$fleet" worker-start "$h"; done
    printf '%s: ' "$hosts"; "$bin/checkout-queue-bench" wait "$since" "$N" "$begin"
    for h in $hosts; do "$fleet" worker-stop "$h"; done
done

echo "== checkout through HAProxy and both API hosts: 1,000 buyers at once (order, pay, sandbox 300 +- 100 ms) =="
export JWT_SECRET="test-secret-0123456789-0123456789-abcdef"  # scripts/test_cluster.sh's
for hosts in "oh1" "oh1 oh2"; do
    for h in $hosts; do "$fleet" worker-start "$h"; done
    printf '%s: ' "$hosts"
    "$bin/checkout-bench" checkout --base "http://$(scripts/test_hosts.sh addr lb):8080" --gateway "http://$ops:18190" \
        --buyers 1000 --stock 1000 | grep -E "^(throughput|checkouts completed)" | tr -s ' ' | paste -sd ';'
    for h in $hosts; do "$fleet" worker-stop "$h"; done
done

echo "== the relay's confirmed publishes: $N jobs =="
# Nobody consumes the points queue meanwhile: the messages stay in it, stored on every member.
"$fleet" worker-stop pts
publish_rate() {
    "$bin/checkout-queue-bench" hooks points.earn "$N" 0
    local begin end; begin=$(now); published; end=$(now)
    awk -v n="$N" -v b="$begin" -v e="$end" 'BEGIN { printf "%d published in %.2f s: %.0f per second\n", n, e - b, n / (e - b) }'
}
printf 'to the three-node cluster: '; publish_rate
# One node on its own, on the ops host, with a relay of its own (the cluster's relay stopped).
"$fleet" worker-stop relay
ip netns exec ck-ops bash -c "source '$root/scripts/lib/services.sh'; rabbit_start '$state/single' 5680 '$ops'" > /dev/null
ip netns exec ck-ops env AMQP_URL="amqp://guest:guest@$ops:5680/%2f" "$bin/outbox-relay" \
    >> "$state/logs/single-relay.log" 2>&1 < /dev/null &
printf 'to one node:               '; publish_rate
