"""100,000 subscriptions due at the same minute (issue 20), on the fleet bench/subscriptions.sh started:
seeds them (tests/system/billing_seed.py: sealed keys, the sandbox taught the same keys), makes the
sandbox answer each billing charge in 1 s +- 0.5 s, runs one scheduler pass for that day and prints the
time until all are charged, the charges in flight at the gateway, commits, statements, WAL and CPU per
charge (each process from /proc/PID/stat; PostgreSQL's also in `pgbench -N` transactions), and the
double-charge check (approvals per orderId and per customerKey)."""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time
import urllib.request
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
sys.path.insert(0, os.path.dirname(__file__))
import cost  # noqa: E402
from billing_seed import seed_due_subscriptions  # noqa: E402


def sandbox_cpu(args):
    st = cost.proc_stat(args.sandbox_pid) if args.sandbox_pid else None
    return st[1] if st else 0


def sandbox(path, body=None):
    req = urllib.request.Request(os.environ["TOSS_API_BASE"] + path, method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read().decode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--api-pid", type=int, required=True)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--pgdata", required=True)
    ap.add_argument("--rabbit-pidfile", required=True)
    ap.add_argument("--sandbox-pid", type=int, help="the gateway sandbox's pid: its CPU shares these cores too")
    ap.add_argument("--pgbench-seconds", type=int, default=15)
    args = ap.parse_args()
    cost.PGDATA = args.pgdata

    due = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Seoul")).date() + datetime.timedelta(days=60)
    while due.day > 28:
        due += datetime.timedelta(days=1)
    t = time.monotonic()
    seeded = seed_due_subscriptions(args.n, due, price=1000)
    print(f"seeded {args.n} subscriptions due {due} in {time.monotonic() - t:.0f} s")
    plan = seeded["plan_id"]
    sandbox("/sandbox/config", {"latency_ms": 1000, "jitter_ms": 500})
    ours = f"FROM subscription_charges c JOIN subscriptions s ON s.id = c.subscription_id WHERE s.plan_id = {plan}"
    cost.sql("CHECKPOINT")
    cost.sql("SELECT pg_stat_statements_reset()")
    before = cost.snapshot(args)
    sandbox_cpu_before = sandbox_cpu(args)
    started_sql = cost.sql("SELECT now()")
    approvals_before = sandbox("/sandbox/stats?brief=1")["billing_approvals"]
    scheduler_cpu = 0.0
    t0 = time.monotonic()
    env = dict(os.environ, BILLING_TODAY=due.isoformat(), ORDER_EXPIRY_AFTER="600m", PAYMENT_RECONCILE_AFTER="600m")
    sched = subprocess.Popen([os.path.join(os.environ["CHECKOUT_BIN_DIR"], "checkout-scheduler"), "--once"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, started_at, last = 0, None, 0
    while True:
        # Light reads only while it runs (the sandbox's counts, not its per-order maps; the database only
        # at the end), so that watching costs the machine under test next to nothing.
        brief = sandbox("/sandbox/stats?brief=1")
        in_flight, done = brief["in_flight"], brief["billing_approvals"] - approvals_before
        if done >= args.n:  # approved at the gateway: finished once the shop has recorded each one
            done = int(cost.sql(f"SELECT count(*) FROM subscription_charges WHERE status = 'done' AND period > 0 "
                                f"AND created_at >= '{started_sql}'"))
        peak = max(peak, in_flight)
        if sched.poll() is None:
            st = cost.proc_stat(sched.pid)
            scheduler_cpu = (st[1] if st else 0) * cost.TICK_MS
        elif started_at is None:
            started_at = time.monotonic() - t0
        now = time.monotonic() - t0
        if now - last >= 10:
            print(f"  {now:5.0f} s: {done} approved, {in_flight} at the gateway", flush=True)
            last = now
        if done >= args.n:
            break
        if now > 900:
            print("gave up after 900 s")
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - t0
    out, _ = sched.communicate()
    after = cost.snapshot(args)
    sandbox_cpu_after = sandbox_cpu(args)
    n = int(cost.sql(f"SELECT count(*) {ours} AND c.status = 'done'"))
    stats = sandbox("/sandbox/stats")
    order_ids = cost.sql(f"SELECT c.order_id {ours}").split()
    by_order = [stats["billing_by_order"].get(o, 0) for o in order_ids]
    by_customer = [stats["billing_by_customer"].get(k, 0) for k in seeded["customer_keys"]]

    commits = after["commits"] - before["commits"]
    statements = after["statements"] - before["statements"]
    wal = int(cost.sql(f"SELECT pg_wal_lsn_diff('{after['lsn']}', '{before['lsn']}')"))
    print(f"\n{n} of {args.n} subscriptions charged in {elapsed:.1f} s (the scheduler's pass took "
          f"{started_at or elapsed:.1f} s); sandbox 1 s +- 0.5 s per charge")
    print(f"  charges at the gateway at once: peak {max(peak, stats['max_in_flight'])}")
    print(f"  double charges: {sum(1 for c in by_order if c > 1)} orderIds approved more than once, "
          f"{sum(1 for c in by_customer if c != 1)} customerKeys not approved exactly once")
    print(f"  per charge: {commits / n:.2f} commits, {statements / n:.1f} statements, {wal / n:.0f} WAL bytes, "
          f"{(after['inserted'] - before['inserted']) / n:.2f} rows inserted, "
          f"{(after['updated'] - before['updated']) / n:.2f} updated")
    print("  rows by table per charge (inserted / updated / of which HOT):")
    for name in sorted(after["tables"]):
        d = [x - y for x, y in zip(after["tables"][name], before["tables"].get(name, [0, 0, 0, 0]))]
        if any(d[:3]):
            print(f"    {name:30s} {d[0] / n:5.2f} / {d[1] / n:5.2f} / {d[2] / n:5.2f}")
    print("  the costliest statements (PostgreSQL ms per charge, planning included; calls per charge):")
    top = cost.sql(f"SELECT round(((total_exec_time + total_plan_time) / {n})::numeric, 3) || '  ' || "
                   f"round(calls::numeric / {n}, 2) || '  ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 80) "
                   "FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' "
                   "ORDER BY total_exec_time + total_plan_time DESC LIMIT 8")
    for line in top.splitlines():
        print("    " + line)
    cpu0, cpu1 = before["cpu"], after["cpu"]
    print("  CPU per charge (ms; PostgreSQL by process kind below it):")
    ours = scheduler_cpu
    for part in cpu1:
        ms = (cpu1[part] - cpu0.get(part, 0)) / n
        if part.startswith("  pg:"):
            if ms >= 0.01:
                print(f"      {part[6:]:40s} {ms:.3f}")
            continue
        ours += cpu1[part] - cpu0.get(part, 0)
        print(f"    {part:24s} {ms:.3f}")
    print(f"    {'scheduler --once pass':24s} {scheduler_cpu / n:.3f}")
    print(f"    {'all of the shop':24s} {ours / n:.3f}")
    if args.sandbox_pid:
        sandbox_ms = (sandbox_cpu_after - sandbox_cpu_before) * cost.TICK_MS / n
        cores = os.cpu_count()
        print(f"    {'gateway sandbox (Python)':24s} {sandbox_ms:.3f}  (not ours; it shares these {cores} cores: "
              f"their ceiling is {1000 * cores / (ours / n + sandbox_ms):.0f} charges/s)")
    if args.pgbench_seconds > 0:
        unit, tps = cost.pgbench_reference(args.pgbench_seconds)
        pg = (cpu1["postgresql"] - cpu0["postgresql"]) / n
        print(f"  one `pgbench -N` transaction: {unit:.3f} ms of PostgreSQL CPU ({tps:.0f} tps); "
              f"PostgreSQL CPU per charge = {pg / unit:.2f} pgbench -N transactions")


if __name__ == "__main__":
    main()
