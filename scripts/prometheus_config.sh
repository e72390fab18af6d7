#!/usr/bin/env bash
# Writes a Prometheus scrape configuration for the fleet started from RUN_DIR by start_workers.sh:
#   OUT_DIR/prometheus.yml   two jobs: `checkout` (every process's own /metrics, targets from the file
#                            below) and `checkout_fleet` (GET /metrics/fleet of ONE API process: the
#                            fleet's figures from PostgreSQL and RabbitMQ, which every API answers alike,
#                            so scraping two would count them twice)
#   OUT_DIR/targets.json     one target per live process: each worker, relay, keeper and scheduler
#                            (its port from pids/NAME-i.port, written by the process when it listens)
#                            and the API; labels process="order_heavy-2", role="order_heavy"
# Run it again after scaling (scripts/run.sh does, every 5 s, while it runs Prometheus): Prometheus
# reads targets.json again by itself; prometheus.yml is only rewritten when it changes.
#
#   scripts/prometheus_config.sh OUT_DIR
#
# Environment: RUN_DIR (default .local/run), API_PORT (default 8080), API_TARGETS (more API
# processes, "host:port host:port"), SCRAPE_INTERVAL (default 5s), TARGET_HOST (how Prometheus
# reaches this host's processes, default 127.0.0.1).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: prometheus_config.sh OUT_DIR}"
RUN_DIR="$(realpath -m "${RUN_DIR:-$root/.local/run}")"
host="${TARGET_HOST:-127.0.0.1}"
api="$host:${API_PORT:-8080}"
mkdir -p "$out"

entries=()
add() {  # target process role
    entries+=("{\"targets\": [\"$1\"], \"labels\": {\"process\": \"$2\", \"role\": \"$3\"}}")
}
add "$api" api api
for extra in ${API_TARGETS:-}; do add "$extra" "api-$extra" api; done
for f in $(ls "$RUN_DIR"/pids/*.port 2>/dev/null | sort -V); do
    base="$(basename "$f" .port)"
    child="$(cat "$RUN_DIR/pids/$base.child" 2>/dev/null || true)"
    # Only processes alive now: a drained or restarting one left its file behind.
    [ -n "$child" ] && kill -0 "$child" 2>/dev/null || continue
    add "$host:$(cat "$f")" "$base" "${base%-*}"
done
{
    echo "["
    for i in "${!entries[@]}"; do
        [ "$i" -gt 0 ] && echo ","
        printf '  %s' "${entries[$i]}"
    done
    echo; echo "]"
} > "$out/targets.json.tmp"
mv "$out/targets.json.tmp" "$out/targets.json"

cat > "$out/prometheus.yml.tmp" <<YAML
# Written by scripts/prometheus_config.sh for the fleet in $RUN_DIR.
global:
  scrape_interval: ${SCRAPE_INTERVAL:-5s}
  scrape_timeout: ${SCRAPE_TIMEOUT:-${SCRAPE_INTERVAL:-5s}}
scrape_configs:
  - job_name: checkout
    file_sd_configs:
      - files: ["$out/targets.json"]
        refresh_interval: 5s
  - job_name: checkout_fleet
    metrics_path: /metrics/fleet
    static_configs:
      - targets: ["$api"]
YAML
# /metrics/fleet needs METRICS_TOKEN (or an admin's token): Prometheus reads it from a file of its own.
if [ -n "${METRICS_TOKEN:-}" ]; then
    (umask 077; printf '%s' "$METRICS_TOKEN" > "$out/metrics_token")
    cat >> "$out/prometheus.yml.tmp" <<YAML
    authorization:
      type: Bearer
      credentials_file: $out/metrics_token
YAML
fi
if cmp -s "$out/prometheus.yml.tmp" "$out/prometheus.yml"; then rm "$out/prometheus.yml.tmp"; else mv "$out/prometheus.yml.tmp" "$out/prometheus.yml"; fi
echo "$out/prometheus.yml: ${#entries[@]} processes"
