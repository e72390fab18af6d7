#!/usr/bin/env bash
# Installs the Debian packages the build, the services and the tests need, if any is missing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libpistache-dev libpq-dev rapidjson-dev libcurl4-openssl-dev libfmt-dev libspdlog-dev catch2
  librabbitmq-dev libyaml-cpp-dev libjwt-dev
  postgresql postgresql-client rabbitmq-server
  curl python3 python3-aiohttp python3-pika python3-pytest python3-yaml python3-prometheus-client
  prometheus chromium chromium-driver python3-selenium
)
# The contract checkers (@redocly/cli, @stoplight/prism-cli) come from the npm registry and run on
# Node.js: the machine's own if it has one, else Debian's.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
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
# The contract checkers, at the versions package-lock.json pins.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$root/tests/contract/node_modules/.bin/prism" ] || [ ! -x "$root/tests/contract/node_modules/.bin/redocly" ]; then
    (cd "$root/tests/contract" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

