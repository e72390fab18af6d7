#!/usr/bin/env bash
# What an order costs (issue 8): starts a private fleet of its own (PostgreSQL with pg_stat_statements,
# RabbitMQ, the gateway sandbox, the API, the relay and the workers of every queue, on ports that
# clash with neither run.sh nor test.sh), then measures per accepted order (bench/cost.py):
#   1. sustained: an open loop of RATE orders/s (default 600) for SECONDS_ s (default 15) over 50
#      products, every order waited for until settled;
#   2. the same with a coupon and 10 points in every order (issue 10), then bench/shop.py: 1,000 users
#      racing for 100 coupons, 1,000 concurrent best-seller reads (SHOP_ONLY=1 stops here);
#   3. the flash checkout: 1,000 buyers at once for stock 500, each ordering, polling, paying through
#      the sandbox at 300 +- 100 ms and polling every 250 ms.
# It builds what is missing and stops everything it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -x build/bin/checkout-api ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build build -j2; }
state="$root/.local/bench"
pg_port=55732
export BENCH_AMQP_PORT=57020  # bench/cost.py finds this RabbitMQ by its node name
api_port=18581 toss_port=18590
source bench/lib/private_fleet.sh
private_fleet_start --workers

cost() {
    /usr/bin/python3 bench/cost.py --api-pid "$api_pid" --run-dir "$state/run" --pgdata "$state/pgdata" \
        --rabbit-pidfile "$state/rabbitmq/rabbit.pid" "$@"
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)"
cost --label "sustained, ${RATE:-600} orders/s for ${SECONDS_:-15} s" -- \
    build/bin/checkout-bench open --base "$base" --rate "${RATE:-600}" --seconds "${SECONDS_:-15}" --products 50
[ -n "${SUSTAINED_ONLY:-}" ] && exit 0
# The same load with a coupon and 10 points in every order: each order i is placed by its own buyer
# "extra-<i>", who holds the coupon and a lot of points beforehand (granted here, in bulk).
orders=$(( ${RATE:-600} * ${SECONDS_:-15} ))
coupon=$(psql "$DATABASE_URL" -tAXq -c "
    INSERT INTO coupons (name, kind, amount, quantity, issued) VALUES ('bench', 'fixed', 100, $orders, $orders) RETURNING id")
psql "$DATABASE_URL" -qX -c "
    INSERT INTO users (sub) SELECT 'extra-' || i FROM generate_series(0, $orders - 1) i ON CONFLICT DO NOTHING;
    INSERT INTO user_coupons (coupon_id, user_id) SELECT $coupon, id FROM users WHERE sub LIKE 'extra-%';
    INSERT INTO point_lots (user_id, amount, remaining, expires_at)
        SELECT id, 100, 100, now() + interval '1 year' FROM users WHERE sub LIKE 'extra-%'" >/dev/null
psql "$DATABASE_URL" -qX -c "VACUUM ANALYZE" >/dev/null
cost --label "sustained with a coupon and 10 points in every order, ${RATE:-600} orders/s for ${SECONDS_:-15} s" -- \
    build/bin/checkout-bench open --base "$base" --rate "${RATE:-600}" --seconds "${SECONDS_:-15}" --products 50 \
    --extras "$coupon"
echo
/usr/bin/python3 bench/shop.py --base "$base" --database "$DATABASE_URL"
[ -n "${SHOP_ONLY:-}" ] && exit 0
cost --label "flash checkout, 1,000 buyers, stock 500, gateway 300 +- 100 ms" -- \
    build/bin/checkout-bench checkout --base "$base" --gateway "$TOSS_API_BASE" --buyers 1000 --stock 500
