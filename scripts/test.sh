#!/usr/bin/env bash
# Builds and runs every test, starting and stopping its own PostgreSQL and RabbitMQ on loopback:
#   1. unit and database tests (Catch2, ctest) in a Release build and an ASan/UBSan build;
#   2. system tests (pytest) against the real API, relay and workers.
# While developing: TEST_QUICK=1 skips the sanitizer build and the ctest runs; PYTEST_ARGS selects
# system tests (e.g. PYTEST_ARGS="-k payments").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install_deps.sh

echo "== build (release) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON -DCHECKOUT_TEST_HOOKS=ON >/dev/null
cmake --build build -j2
if [ -z "${TEST_QUICK:-}" ]; then
    echo "== build (address + undefined behaviour sanitizers) =="
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON -DCHECKOUT_SANITIZE=ON >/dev/null
    cmake --build build-asan -j2
fi

state="$root/.local/test"
export TEST_PG_PORT="${TEST_PG_PORT:-55532}" TEST_AMQP_PORT="${TEST_AMQP_PORT:-56820}"
source scripts/lib/services.sh
unset DATABASE_URL AMQP_URL
cleanup() {
    trap - INT TERM EXIT
    RUN_DIR="$state/run" scripts/start_workers.sh --stop >/dev/null 2>&1 || true
    if [ -n "${sandbox_pid:-}" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
    services_stop "$state" "$TEST_PG_PORT" "$TEST_AMQP_PORT"
}
trap cleanup INT TERM EXIT
# Hermetic: every run starts from empty servers.
rabbit_stop "$state" "$TEST_AMQP_PORT"; pg_stop "$state"
rm -rf "$state"
services_start "$state" "$TEST_PG_PORT" "$TEST_AMQP_PORT"
export DATABASE_URL AMQP_URL QUEUES_FILE="$root/queues.yaml"
scripts/migrate.sh >/dev/null
export TEST_STATE_DIR="$state" JWT_SECRET="test-secret-0123456789-0123456789-abcdef"
# The payment gateway sandbox, which the gateway client tests and the system under test talk to.
# A 3 s gateway timeout keeps the "hangs past the client timeout" tests short.
export TOSS_SECRET_KEY="test_sk_checkout_ci_0123456789" TOSS_API_BASE="http://127.0.0.1:${TEST_TOSS_PORT:-18190}"
export DATA_PLATFORM_URL="$TOSS_API_BASE/data-platform/events" TOSS_TIMEOUT_MS=3000
/usr/bin/python3 tests/sandbox/toss_sandbox.py --port "${TEST_TOSS_PORT:-18190}" --secret-key "$TOSS_SECRET_KEY" \
    > "$state/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 50); do curl -fs "$TOSS_API_BASE/sandbox/stats" > /dev/null 2>&1 && break; sleep 0.1; done

if [ -z "${TEST_QUICK:-}" ]; then
    echo "== unit and database tests (release) =="
    (cd build && ctest --output-on-failure)
    echo "== unit and database tests (sanitizers) =="
    (cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure)
fi

echo "== system tests =="
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system ${PYTEST_ARGS:-}
