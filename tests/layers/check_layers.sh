#!/usr/bin/env bash
# The layers (docs/architecture.md) as the build made them: which C client each binary links (its ELF
# NEEDED entries: Debian's gcc links with --as-needed, so in a release build they are the libraries
# the binary really calls; it drops the flag under -fsanitize, so in the sanitizer build they are
# every library the binary's CMake target links: ctest runs this in both), and which folder may
# include which.
# Usage: check_layers.sh SOURCE_DIR BIN_DIR
set -uo pipefail
src="$1" bin="$2"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

needed() { readelf -d "$bin/$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
# links BINARY must|never LIBRARY-PREFIX...
links() {
    local b="$1" rule="$2"; shift 2
    [ -x "$bin/$b" ] || { fail "$b: not built in $bin"; return; }
    local libs; libs="$(needed "$b")"
    for lib in "$@"; do
        if grep -q "^$lib" <<<"$libs"; then
            [ "$rule" = never ] && fail "$b links $lib"
        else
            [ "$rule" = must ] && fail "$b does not link $lib (the check looks at the wrong thing?)"
        fi
    done
}

jwt=libjwt curl=libcurl amqp=librabbitmq pg=libpq http=libpistache
for w in worker-order-heavy worker-payment-confirm worker-points worker-external-api outbox-relay \
         dead-letter-keeper checkout-scheduler checkout-ops; do
    links "$w" never "$jwt"            # only the API checks tokens
done
links checkout-api must "$jwt" "$pg" "$http"
links checkout-api never "$curl"       # the API never calls the gateway: no HTTP client, single or multi
links worker-external-api must "$curl" "$amqp"
links outbox-relay never "$curl"       # the relay publishes; it calls nobody
links checkout-ops must "$pg"
links checkout-ops never "$amqp" "$curl" "$http"   # the operator's tool works on the tables only
links checkout-token must "$jwt"
links checkout-token never "$pg" "$amqp" "$curl"

# Includes: a folder may include only the layers below it.
#   infra/ <- jobs/store <- domain/ <- api/, workers/ ; jobs/runtime <- workers/
includes() {  # includes DIR never PATTERN WHY
    local hits; hits="$(grep -rnE "#include [\"<]($3)" "$src/$1" 2>/dev/null)"
    [ -z "$hits" ] || fail "$1 includes $3 ($4):
$hits"
}
includes infra never 'domain/|jobs/|api/|workers/' "infrastructure knows no shop"
includes jobs/store never 'domain/|api/|workers/|jobs/runtime/|infra/amqp/|infra/http_client/' "the job tables are PostgreSQL only"
includes jobs/runtime never 'domain/|api/|workers/' "the runtime runs any handler"
includes domain never 'api/|workers/|jobs/runtime/|infra/amqp/|infra/http_client/|infra/metrics_server/|pistache/|amqp' "the domain knows neither HTTP nor AMQP"
includes api never 'workers/|jobs/runtime/' "the API enqueues through the domain; it runs no jobs"
includes workers never 'api/' "workers share nothing with the API but the domain"

# The domain returns values; only api/ (api/answers) turns them into bodies and URLs. Code lines
# (not comments) that build a JSON answer in SQL or name an API path:
answers="$(grep -rnE "json_build_object|json_agg|\"/api/v1" "$src/domain" | grep -vE '^[^:]+:[0-9]+: *//')"
[ -z "$answers" ] || fail "domain/ builds answers (they belong in api/answers):
$answers"

# The README's layout section names every folder of the layers (docs/architecture.md walks them).
layout="$(sed -n '/^## Layout/,/^## Tests/p' "$src/README.md")"
for d in $(cd "$src" && find infra jobs domain workers api -mindepth 1 -maxdepth 1 -type d | sort); do
    grep -q "$(basename "$d")/" <<<"$layout" || fail "README.md's Layout does not name $d/"
done
for top in infra jobs domain workers api; do
    grep -q "^$top/" <<<"$layout" || fail "README.md's Layout does not name $top/"
done

[ "$failures" = 0 ] && echo "layers: every binary links and every folder includes only its layers; the README names them all"
exit $((failures > 0))
