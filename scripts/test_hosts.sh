#!/usr/bin/env bash
# Test hosts on this machine (issue 21): each host is a network namespace with its own address on
# one bridge, joined to it by a veth pair (Debian's iproute2); nothing leaves the machine. The tests of
# several hosts start the fleet's processes inside them with `ip netns exec HOST ...`, and cut a host
# off by taking its veth down. Needs root. scripts/run.sh is not affected: it runs on one machine.
#
#   scripts/test_hosts.sh up   [HOST...]   creates the bridge and the hosts (default: the topology below)
#   scripts/test_hosts.sh down             removes every host this script made, and the bridge
#   scripts/test_hosts.sh cut  HOST        takes HOST's link down (a host cut off the network)
#   scripts/test_hosts.sh heal HOST        brings it back
#   scripts/test_hosts.sh addr HOST        prints HOST's address
#
# The default topology: PostgreSQL, three broker nodes, two API hosts and their load balancer, a worker
# host per queue and a second one for order_heavy.
set -euo pipefail
bridge=ckbr0
prefix=10.77.0
default_hosts=(pg mq1 mq2 mq3 api1 api2 lb oh1 oh2 pc pts ext ops)
# Each host's address: its index in this list, from .11 (the bridge itself is .1).
all_hosts=("${default_hosts[@]}")

usage() { sed -n '2,14p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
[ "$(id -u)" = 0 ] || { echo "test_hosts.sh needs root (network namespaces)" >&2; exit 1; }

addr_of() {
    local i
    for i in "${!all_hosts[@]}"; do
        [ "${all_hosts[$i]}" = "$1" ] && { echo "$prefix.$((i + 11))"; return 0; }
    done
    echo "no test host named '$1' (hosts: ${all_hosts[*]})" >&2
    return 1
}
ns() { echo "ck-$1"; }      # the namespace's name: prefixed, so that `down` removes only ours
veth() { echo "ckv-$1"; }   # the host's end on the bridge

up_host() {
    local host="$1" a
    a="$(addr_of "$host")"
    ip netns list | grep -qw "$(ns "$host")" && return 0
    ip netns add "$(ns "$host")"
    ip link add "$(veth "$host")" type veth peer name eth0 netns "$(ns "$host")"
    ip link set "$(veth "$host")" master "$bridge" up
    ip -n "$(ns "$host")" addr add "$a/24" dev eth0
    ip -n "$(ns "$host")" link set eth0 up
    ip -n "$(ns "$host")" link set lo up
    ip -n "$(ns "$host")" route add default via "$prefix.1"
}

case "$1" in
up)
    shift
    hosts=("$@")
    [ ${#hosts[@]} -gt 0 ] || hosts=("${default_hosts[@]}")
    if ! ip link show "$bridge" >/dev/null 2>&1; then
        ip link add "$bridge" type bridge
        ip addr add "$prefix.1/24" dev "$bridge"
        ip link set "$bridge" up
    fi
    for h in "${hosts[@]}"; do up_host "$h"; done
    for h in "${hosts[@]}"; do echo "$h $(addr_of "$h") (ip netns exec $(ns "$h") ...)"; done
    ;;
down)
    for n in $(ip netns list | awk '{print $1}' | grep '^ck-' || true); do
        # Until none is left: a supervisor may start a process between the listing and the kill.
        for _ in $(seq 1 50); do
            pids="$(ip netns pids "$n" 2>/dev/null || true)"
            [ -n "$pids" ] || break
            echo "$pids" | xargs -r kill -KILL 2>/dev/null || true
            sleep 0.1
        done
        ip netns del "$n"
    done
    # Deleting a namespace deletes its end of each veth pair, and so the pair; one whose namespace
    # outlived its name (a process still in it) is removed here.
    for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^ckv-' || true); do
        ip link del "$l" 2>/dev/null || true
    done
    if ip link show "$bridge" >/dev/null 2>&1; then ip link del "$bridge"; fi
    ;;
cut) [ $# -eq 2 ] || usage; ip link set "$(veth "$2")" down ;;
heal) [ $# -eq 2 ] || usage; ip link set "$(veth "$2")" up ;;
addr) [ $# -eq 2 ] || usage; addr_of "$2" ;;
*) usage ;;
esac
