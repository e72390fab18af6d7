#!/usr/bin/env bash
# Drives the system that scripts/run.sh started (API on API_PORT, default 8080):
#   1. flash sale: 1,000 buyers at once for stock 500, each posting an order and polling its status URL;
#   2. open loop: 500 orders/s for 20 s across 200 products.
# Extra arguments go to both runs (e.g. --poll-ms 100). JWT_SECRET defaults to run.sh's local secret.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export JWT_SECRET="${JWT_SECRET:-$(cat "$root/.local/run/jwt_secret")}"
base="http://127.0.0.1:${API_PORT:-8080}"
[ -x "$root/build/bin/checkout-bench" ] || cmake --build "$root/build" -j2 --target checkout-bench >/dev/null
"$root/build/bin/checkout-bench" flash --base "$base" --buyers "${BUYERS:-1000}" --stock "${STOCK:-500}" "$@"
"$root/build/bin/checkout-bench" open --base "$base" --rate "${RATE:-500}" --seconds "${SECONDS_:-20}" --products "${PRODUCTS:-200}" "$@"
