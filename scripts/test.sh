#!/usr/bin/env bash
# Builds and runs every test, starting and stopping its own PostgreSQL and RabbitMQ on loopback:
#   1. unit and database tests (Catch2, ctest) in a Release build, an ASan/UBSan build and a
#      ThreadSanitizer build (unit and database tests only);
#   2. system tests (pytest) against the real API, relay and workers: once on the Release binaries,
#      once more on the ASan/UBSan binaries (fresh servers; any sanitizer report in a log fails the run);
#   3. as root: the tests of several hosts (scripts/test_cluster.sh: a three-node broker cluster, two
#      API hosts behind HAProxy and worker hosts, in network namespaces; a node or a host lost mid-run).
# While developing: TEST_QUICK=1 skips the sanitizer builds, the ctest runs, the second system pass and
# the tests of several hosts (TEST_CLUSTER=1 keeps them);
# PYTEST_ARGS selects system tests (e.g. PYTEST_ARGS="-k payments"); PYTEST_K is a -k expression that
# may hold spaces (PYTEST_K="ops or queues").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install_deps.sh

echo "== build (release) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON -DCHECKOUT_TEST_HOOKS=ON >/dev/null
cmake --build build -j2
if [ -z "${TEST_QUICK:-}" ]; then
    echo "== build (address + undefined behaviour sanitizers) =="
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON -DCHECKOUT_SANITIZE=ON \
        -DCHECKOUT_TEST_HOOKS=ON >/dev/null
    cmake --build build-asan -j2
    echo "== build (thread sanitizer: unit and database tests) =="
    cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON -DCHECKOUT_TSAN=ON >/dev/null
    cmake --build build-tsan -j2 --target unit_tests db_tests
fi

echo "== the API contract: lint api/openapi.yaml, README's endpoint table =="
REDOCLY_TELEMETRY=off tests/contract/node_modules/.bin/redocly lint api/openapi.yaml
/usr/bin/python3 scripts/api_table.py --check

state="$root/.local/test"
export TEST_PG_PORT="${TEST_PG_PORT:-55532}" TEST_AMQP_PORT="${TEST_AMQP_PORT:-56820}"
source scripts/lib/services.sh
unset DATABASE_URL AMQP_URL
cleanup() {
    trap - INT TERM EXIT
    RUN_DIR="$state/run" scripts/start_workers.sh --stop >/dev/null 2>&1 || true
    if [ -n "${sandbox_pid:-}" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
    if [ -n "${prism_pid:-}" ]; then kill "$prism_pid" 2>/dev/null || true; fi
    services_stop "$state" "$TEST_PG_PORT" "$TEST_AMQP_PORT"
}
trap cleanup INT TERM EXIT

# Hermetic: every pass starts from empty servers and a fresh gateway sandbox.
fresh_servers() {
    RUN_DIR="$state/run" scripts/start_workers.sh --stop >/dev/null 2>&1 || true
    if [ -n "${sandbox_pid:-}" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
    rabbit_stop "$state" "$TEST_AMQP_PORT"; pg_stop "$state"
    rm -rf "$state"
    unset DATABASE_URL AMQP_URL
    services_start "$state" "$TEST_PG_PORT" "$TEST_AMQP_PORT"
    export DATABASE_URL AMQP_URL QUEUES_FILE="$root/queues.yaml"
    scripts/migrate.sh >/dev/null
    /usr/bin/python3 tests/sandbox/toss_sandbox.py --port "${TEST_TOSS_PORT:-18190}" --secret-key "$TOSS_SECRET_KEY" \
        --record-secrets "$state/gateway_secrets.txt" \
        > "$state/sandbox.log" 2>&1 &
    sandbox_pid=$!
    for _ in $(seq 1 50); do curl -fs "$TOSS_API_BASE/sandbox/stats" > /dev/null 2>&1 && break; sleep 0.1; done
}

export TEST_STATE_DIR="$state" JWT_SECRET="test-secret-0123456789-0123456789-abcdef"
# 32 bytes in base64 (a fixed test value; scripts/run.sh makes a random one).
export BILLING_KEY_SECRET="dGVzdC1iaWxsaW5nLWtleS1zZWNyZXQtMzItYnl0ZXM="
# The payment gateway sandbox, which the gateway client tests and the system under test talk to.
# A 3 s gateway timeout (and billing charge timeout) keeps the "hangs past the client timeout" tests short.
export TOSS_SECRET_KEY="test_sk_checkout_ci_0123456789" TOSS_API_BASE="http://127.0.0.1:${TEST_TOSS_PORT:-18190}"
export DATA_PLATFORM_URL="$TOSS_API_BASE/data-platform/events" TOSS_TIMEOUT_MS=3000 BILLING_CHARGE_TIMEOUT_MS=3000
fresh_servers

if [ -z "${TEST_QUICK:-}" ]; then
    echo "== unit and database tests (release) =="
    (cd build && ctest --output-on-failure)
    echo "== unit and database tests (address + undefined behaviour sanitizers) =="
    # LeakSanitizer on: a leak in the unit or database tests fails the run.
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure)
    echo "== unit and database tests (thread sanitizer) =="
    (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --output-on-failure -R "unit_tests|db_tests")
fi

echo "== system tests (release binaries, through Prism's validating proxy) =="
# The database tests leave rows (payments, jobs) that the fleet would pick up: start from empty servers.
[ -z "${TEST_QUICK:-}" ] && fresh_servers
# Every answer the tests get passes through Prism, which checks it against api/openapi.yaml and turns
# one that disagrees into an error (500 VIOLATIONS) that fails its test. Requests are not checked:
# the tests send bad input on purpose, and the API's own answers to it are what is checked.
proxy_port="${TEST_PROXY_PORT:-18182}"
tests/contract/node_modules/.bin/prism proxy api/openapi.yaml "http://127.0.0.1:${TEST_API_PORT:-18181}" \
    --errors --validate-request=false -p "$proxy_port" -v warn > "$state/prism.log" 2>&1 &
prism_pid=$!
# Listening once it answers anything (the API is not started yet: the tests start it).
for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$proxy_port/health" && break; sleep 0.2; done
TEST_API_BASE="http://127.0.0.1:$proxy_port" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system ${PYTEST_K:+-k "$PYTEST_K"} ${PYTEST_ARGS:-}
kill "$prism_pid" 2>/dev/null || true
if grep -E "VIOLATIONS|Violation" "$state/prism.log"; then
    echo "answers that disagree with api/openapi.yaml (above; the whole log: $state/prism.log)" >&2
    exit 1
fi
echo "every answer of the release pass agreed with api/openapi.yaml"
/usr/bin/python3 tests/system/check_logs.py "$state"

if [ -z "${TEST_QUICK:-}" ]; then
    echo "== system tests (address + undefined behaviour sanitizer binaries) =="
    fresh_servers
    # Sanitized binaries abort on a finding; their supervisors would restart them and the tests might
    # still pass, so the logs are searched for reports afterwards.
    # This pass also logs as JSON (LOG_FORMAT=json): every line of every product log must be one object.
    LOG_FORMAT=json ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
        CHECKOUT_BIN_DIR="$root/build-asan/bin" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system ${PYTEST_K:+-k "$PYTEST_K"} ${PYTEST_ARGS:-}
    if grep -l -E "ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer" "$state"/*.log "$state"/run/logs/*.log 2>/dev/null; then
        echo "sanitizer reports in the logs above" >&2
        exit 1
    fi
    echo "no sanitizer report in the logs of the ASan/UBSan system pass"
    LOG_FORMAT=json /usr/bin/python3 tests/system/check_logs.py "$state" --json
fi

# The tests of several hosts (issue 21): the fleet on network namespaces, which need root; the release
# build above. TEST_QUICK skips them unless TEST_CLUSTER=1.
can_netns() { ip netns add ck-probe 2>/dev/null && ip netns del ck-probe; }
if [ "$(id -u)" = 0 ] && ! can_netns; then
    echo "== the tests of several hosts: skipped (this machine refuses to make a network namespace) =="
elif [ "$(id -u)" = 0 ] && { [ -z "${TEST_QUICK:-}" ] || [ -n "${TEST_CLUSTER:-}" ]; }; then
    echo "== the tests of several hosts (a broker cluster, two API hosts behind HAProxy, worker hosts) =="
    PYTEST_ARGS="${CLUSTER_PYTEST_ARGS:-}" bash scripts/test_cluster.sh
elif [ "$(id -u)" != 0 ]; then
    echo "== the tests of several hosts: skipped (network namespaces need root: sudo scripts/test_cluster.sh) =="
fi
