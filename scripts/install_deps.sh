#!/usr/bin/env bash
# Installs the Debian packages the build, the services and the tests need, if any is missing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libpistache-dev libpq-dev rapidjson-dev libcurl4-openssl-dev libfmt-dev libspdlog-dev catch2
  librabbitmq-dev libyaml-cpp-dev libjwt-dev libssl-dev
  postgresql postgresql-client rabbitmq-server
  curl python3 python3-aiohttp python3-cryptography python3-pika python3-pytest python3-yaml python3-prometheus-client
  prometheus chromium chromium-driver python3-selenium
  haproxy iproute2
)
# The contract checkers (@redocly/cli, @stoplight/prism-cli) come from the npm registry and run on the
# machine's own Node.js, checked below: Debian 12's nodejs (18.19) is older than they declare.
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    [ "$(id -u)" = 0 ] || { echo "need root to install packages (or install them yourself)" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Debian starts packaged services on install where it can; we run private instances instead.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The contract checkers, at the versions package-lock.json pins. Their declared engines (the lock's
# strictest: @redocly/cli 2.77.0) need Node.js 20.19+ on 20.x, or 22.12+; npm ci is engine-strict.
root="$(cd "$(dirname "$0")/.." && pwd)"
node_wanted=">= 20.19 (20.x) or >= 22.12"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Node.js $node_wanted with npm is needed for the contract checkers (tests/contract); none found." >&2
    echo "Debian 12's own nodejs is 18.19, too old: install Node.js 20 or 22 (e.g. from NodeSource) first." >&2
    exit 1
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
              process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1)'; then
    echo "Node.js $(node --version) is too old for the contract checkers: they need $node_wanted." >&2
    exit 1
fi
if [ ! -x "$root/tests/contract/node_modules/.bin/prism" ] || [ ! -x "$root/tests/contract/node_modules/.bin/redocly" ]; then
    (cd "$root/tests/contract" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

