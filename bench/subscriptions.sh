#!/usr/bin/env bash
# 100,000 subscriptions due at the same minute (issue 20): starts a private fleet (bench/lib), lets the
# external-api worker hold IN_FLIGHT charges at the gateway at once (default 1500; queues.yaml ships
# 200) with CONCURRENCY handler threads (default: as shipped), and runs bench/subscriptions.py: N
# (default 100000) subscribers seeded, the sandbox answering every billing charge in 1 s +- 0.5 s, one
# scheduler pass, figures per charge. Stops what it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -x build/bin/checkout-api ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build build -j2; }
state="$root/.local/bench-subscriptions"
pg_port=55752
export BENCH_AMQP_PORT=57040
api_port=18681 toss_port=18690
mkdir -p "$root/.local"
queues="$root/.local/bench-subscriptions-queues.yaml"
/usr/bin/python3 - "$root/queues.yaml" "$queues" "${IN_FLIGHT:-1500}" "${CONCURRENCY:-}" <<'PY'
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
q = cfg["queues"]["external_api"]
q["max_in_flight"] = q["prefetch"] = int(sys.argv[3])
if sys.argv[4]:
    q["concurrency"] = int(sys.argv[4])
yaml.safe_dump(cfg, open(sys.argv[2], "w"), sort_keys=False)
PY
export BENCH_QUEUES_FILE="$queues"
source bench/lib/private_fleet.sh
private_fleet_start --workers
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d); external_api max_in_flight ${IN_FLIGHT:-1500}, handler threads ${CONCURRENCY:-as shipped}"
CHECKOUT_BIN_DIR="$root/build/bin" /usr/bin/python3 bench/subscriptions.py --n "${N:-100000}" --api-pid "$api_pid" --sandbox-pid "$sandbox_pid" \
    --run-dir "$state/run" --pgdata "$state/pgdata" --rabbit-pidfile "$state/rabbitmq/rabbit.pid"
