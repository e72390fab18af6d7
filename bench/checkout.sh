#!/usr/bin/env bash
# Full checkout against the system that scripts/run.sh started (API on API_PORT, default 8080, and
# the gateway sandbox on TOSS_SANDBOX_PORT, default 18090), with the sandbox at 300 +- 100 ms:
#   1. 1,000 buyers at once with stock for all of them: order, poll, confirm the payment, poll;
#   2. the flash variant: 1,000 buyers, stock 500, so 500 pay.
# Extra arguments go to both runs (e.g. --poll-ms 50). JWT_SECRET defaults to run.sh's local secret.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export JWT_SECRET="${JWT_SECRET:-$(cat "$root/.local/run/jwt_secret")}"
base="http://127.0.0.1:${API_PORT:-8080}"
gateway="http://127.0.0.1:${TOSS_SANDBOX_PORT:-18090}"
[ -x "$root/build/bin/checkout-bench" ] || cmake --build "$root/build" -j2 --target checkout-bench >/dev/null
"$root/build/bin/checkout-bench" checkout --base "$base" --gateway "$gateway" --buyers "${BUYERS:-1000}" --stock "${BUYERS:-1000}" "$@"
"$root/build/bin/checkout-bench" checkout --base "$base" --gateway "$gateway" --buyers "${BUYERS:-1000}" --stock "${STOCK:-500}" "$@"
