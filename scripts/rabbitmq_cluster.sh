#!/usr/bin/env bash
# A RabbitMQ cluster of several nodes on loopback (issue 21): each node has its own name
# (checkout-PORT@localhost), AMQP port, distribution port (PORT + 1) and data folder under DIR; they
# share this machine's Erlang cookie and are joined into one cluster. Quorum queues declared after the
# cluster formed get a replica on every node, so a publisher confirm means a majority stored it.
#
#   scripts/rabbitmq_cluster.sh start  DIR PORT...   starts and joins the nodes; prints AMQP_URL
#   scripts/rabbitmq_cluster.sh stop   DIR PORT...   stops them
#   scripts/rabbitmq_cluster.sh status DIR PORT...   the cluster as the first node sees it
#
# e.g. scripts/rabbitmq_cluster.sh start .local/cluster 5701 5711 5721, then give every process
# AMQP_URL=amqp://guest:guest@127.0.0.1:5701/%2f,amqp://guest:guest@127.0.0.1:5711/%2f,...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/lib/services.sh"
[ $# -ge 3 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
action="$1" dir="$2"
shift 2
ports=("$@")
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
node() { echo "checkout-$1@localhost"; }

case "$action" in
start)
    for port in "${ports[@]}"; do
        echo "starting RabbitMQ node $(node "$port") on 127.0.0.1:$port (data in $dir/node-$port)"
        rabbit_start "$dir/node-$port" "$port"
    done
    first="${ports[0]}"
    for port in "${ports[@]:1}"; do
        rabbit_env "$dir/node-$port" "$port"
        # Already a member (a second start of the same folders): nothing to join.
        if rabbitmqctl -n "$(node "$port")" -q cluster_status 2>/dev/null | grep -q "$(node "$first")"; then
            continue
        fi
        # The node logs harmless errors about its tracking tables while it joins: kept in its folder.
        {
            rabbitmqctl -n "$(node "$port")" -q stop_app
            rabbitmqctl -n "$(node "$port")" -q join_cluster "$(node "$first")"
            rabbitmqctl -n "$(node "$port")" -q start_app
        } >> "$dir/node-$port/join.log" 2>&1 || { cat "$dir/node-$port/join.log" >&2; exit 1; }
    done
    rabbit_env "$dir/node-$first" "$first"
    running="$(rabbitmqctl -n "$(node "$first")" -q eval 'length(rabbit_nodes:all_running()).')"
    [ "$running" = "${#ports[@]}" ] || { echo "the cluster has $running running nodes, not ${#ports[@]}" >&2; exit 1; }
    urls=()
    for port in "${ports[@]}"; do urls+=("amqp://guest:guest@127.0.0.1:$port/%2f"); done
    echo "cluster of ${#ports[@]} nodes running"
    echo "AMQP_URL=$(IFS=,; echo "${urls[*]}")"
    ;;
stop)
    for port in "${ports[@]}"; do rabbit_stop "$dir/node-$port" "$port" || true; done
    ;;
status)
    rabbit_env "$dir/node-${ports[0]}" "${ports[0]}"
    rabbitmqctl -n "$(node "${ports[0]}")" cluster_status
    ;;
*)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
