#!/usr/bin/python3
"""What an order costs, per accepted order: commits, WAL bytes, rows inserted/updated/deleted, statements,
and CPU milliseconds of PostgreSQL, RabbitMQ, the API and each worker binary (issue 8). Run by
bench/cost.sh around one load command:

    cost.py --label NAME --api-pid PID --run-dir DIR --pgdata DIR -- COMMAND...

It takes a snapshot, runs COMMAND, waits until everything the load started has settled (no order
pending, no payment in progress, no job unfinished, the outbox empty), lets the statistics flush,
takes a second snapshot and prints the differences divided by the orders accepted meanwhile.
CPU is read from /proc/PID/stat (utime + stime; for PostgreSQL the postmaster's children, live ones
plus those that exited); commits from pg_stat_database.xact_commit (read-only transactions count,
as PostgreSQL counts them); WAL from pg_current_wal_lsn(); rows from pg_stat_user_tables; statements
from pg_stat_statements."""
import argparse
import glob
import os
import re
import subprocess
import sys
import time

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def sql(query):
    return subprocess.run(["psql", os.environ["DATABASE_URL"], "-tAX", "-c", query], check=True, capture_output=True,
                          text=True).stdout.strip()


def proc_stat(pid):
    """(ppid, utime + stime, cutime + cstime) in ticks, or None if the process is gone."""
    try:
        text = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def pg_kind(pid):
    """What a PostgreSQL child is, from its process title: a connection (by the application's user
    and database), or a background process (walwriter, checkpointer, autovacuum launcher...)."""
    try:
        title = open(f"/proc/{pid}/cmdline").read().replace("\0", " ").strip()
    except OSError:
        return "gone"
    title = title[len("postgres: "):] if title.startswith("postgres: ") else title
    return "connections" if " 127.0.0.1(" in title or "[local]" in title else title.split(" ")[0]


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def cpu_by_part(args):
    """Milliseconds of CPU so far, by part of the system."""
    parts = {}
    postmaster = int(open(os.path.join(args.pgdata, "postmaster.pid")).readline())
    pm = proc_stat(postmaster)
    pg = pm[1] + pm[2]  # its own, and its children that exited (connections that closed)
    kinds = {"exited (autovacuum workers, closed connections)": pm[2], "postmaster": pm[1]}
    beam = int(open(args.rabbit_pidfile).read().strip())
    rabbit = 0
    for pid in all_pids():
        st = proc_stat(pid)
        if not st:
            continue
        if st[0] == postmaster:
            pg += st[1]
            kind = pg_kind(pid)
            kinds[kind] = kinds.get(kind, 0) + st[1]
        elif pid == beam or st[0] == beam:
            rabbit += st[1] + st[2]
    parts["postgresql"] = pg * TICK_MS
    for kind, ticks in kinds.items():
        parts["  pg: " + kind] = ticks * TICK_MS
    parts["rabbitmq"] = rabbit * TICK_MS
    api = proc_stat(args.api_pid)
    parts["api"] = (api[1] if api else 0) * TICK_MS
    for child in sorted(glob.glob(os.path.join(args.run_dir, "pids", "*.child"))):
        name = os.path.basename(child)[:-len(".child")].rsplit("-", 1)[0]
        try:
            st = proc_stat(int(open(child).read().strip()))
        except (OSError, ValueError):
            st = None
        parts[name] = parts.get(name, 0.0) + (st[1] if st else 0) * TICK_MS
    return parts


def rss_mb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def rss_by_part(args):
    """Resident memory now, MB: the API, and the largest process of each worker binary."""
    parts = {"api": rss_mb(args.api_pid)}
    for child in sorted(glob.glob(os.path.join(args.run_dir, "pids", "*.child"))):
        name = os.path.basename(child)[:-len(".child")].rsplit("-", 1)[0]
        try:
            parts[name] = max(parts.get(name, 0.0), rss_mb(int(open(child).read().strip())))
        except (OSError, ValueError):
            pass
    return parts


# Orders are counted from a minute before the harness started, by the index on created_at (migration
# 019): with millions of orders of history (bench/history.sh), a count of the whole table or a scan
# for pending ones every 0.2 s would be most of PostgreSQL's work and be charged to the orders.
_since = None


def since():
    global _since
    if _since is None:
        _since = sql("SELECT now() - interval '1 minute'")
    return _since


def snapshot(args):
    tables = {}
    for line in sql("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables").splitlines():
        name, *counts = line.split("|")
        tables[name] = [int(c) for c in counts]
    row = sql("SELECT (SELECT xact_commit || '|' || sessions FROM pg_stat_database WHERE datname = current_database()), "
              "pg_current_wal_lsn(), "
              "(SELECT coalesce(sum(n_tup_ins), 0) || '|' || coalesce(sum(n_tup_upd), 0) || '|' || "
              "        coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables), "
              "(SELECT coalesce(sum(calls), 0) FROM pg_stat_statements), "
              f"(SELECT count(*) FROM orders WHERE created_at >= '{since()}'), now()")
    fields = row.split("|")
    commits, sessions, lsn = int(fields[0]), int(fields[1]), fields[2]
    inserted, updated, deleted = int(fields[3]), int(fields[4]), int(fields[5])
    statements, orders, at = int(fields[6]), int(fields[7]), fields[8]
    return {"commits": commits, "sessions": sessions, "lsn": lsn, "inserted": inserted, "updated": updated,
            "deleted": deleted, "tables": tables,
            "statements": statements, "orders": orders, "at": at, "cpu": cpu_by_part(args)}


def settled():
    return sql(f"SELECT (SELECT count(*) FROM orders WHERE status = 'pending' AND created_at >= '{since()}') + "
               "(SELECT count(*) FROM payments WHERE status IN ('in_progress', 'refunding')) + "
               "(SELECT count(*) FROM open_jobs) + "
               "(SELECT count(*) FROM outbox)") == "0"


def wal_breakdown(pgdata, start, end, orders):
    """The largest WAL record types between two LSNs in bytes per order, the share of full-page images,
    and the commit records per order (transactions that wrote WAL)."""
    waldump = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_waldump"))
    if not waldump:
        return ["(pg_waldump not found)"], None, None
    out = subprocess.run([waldump[-1], "--stats=record", "-p", os.path.join(pgdata, "pg_wal"), "-s", start, "-e", end],
                         capture_output=True, text=True).stdout
    rows, fpi_share, commits = [], None, 0
    for line in out.splitlines():
        # Type  N (%)  Record size (%)  FPI size (%)  Combined size (%)
        m = re.match(r"^(\S+)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)", line)
        if not m:
            continue
        if m.group(1) == "Total":
            fpi_share = int(m.group(4)) / max(1, int(m.group(5)))
        else:
            rows.append((int(m.group(5)), m.group(1), int(m.group(2)), int(m.group(4))))
            if m.group(1) in ("Transaction/COMMIT", "Transaction/COMMIT_PREPARED"):
                commits += int(m.group(2))
    rows.sort(reverse=True)
    lines = [f"{name:28s} {size / orders:7.0f} B  {count / orders:5.2f} records  (FPI {fpi / orders:5.0f} B)"
             for size, name, count, fpi in rows[:10]]
    return lines, fpi_share, commits / orders


def pgbench_reference(seconds):
    """PostgreSQL CPU ms of one `pgbench -N` transaction (16 clients) on the same server, now: the unit
    that travels between machines. Its own database; the postmaster's children counted, live or exited."""
    base = os.environ["DATABASE_URL"]
    db = "pgbench_ref"
    if sql(f"SELECT count(*) FROM pg_database WHERE datname = '{db}'") == "0":
        sql(f"CREATE DATABASE {db}")
        subprocess.run(["pgbench", "-i", "-q", "-s", "16", _with_db(base, db)], check=True, capture_output=True)
    sql("CHECKPOINT")
    cpu0 = pg_cpu_ms()
    out = subprocess.run(["pgbench", "-N", "-c", "16", "-j", "2", "-T", str(seconds), "-n", _with_db(base, db)],
                         check=True, capture_output=True, text=True).stdout
    cpu1 = pg_cpu_ms()
    tx = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    return (cpu1 - cpu0) / tx, tx / seconds


def _with_db(url, db):
    m = re.match(r"^(postgres(?:ql)?://[^/]*/)([^?]*)(.*)$", url)
    return m.group(1) + db + m.group(3)


PGDATA = None


def pg_cpu_ms():
    postmaster = int(open(os.path.join(PGDATA, "postmaster.pid")).readline())
    pm = proc_stat(postmaster)
    total = pm[1] + pm[2]
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st[0] == postmaster:
            total += st[1]
    return total * TICK_MS


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--api-pid", type=int, required=True)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--pgdata", required=True)
    ap.add_argument("--rabbit-pidfile", required=True)
    ap.add_argument("--pgbench-seconds", type=int, default=15, help="0: no pgbench reference")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    global PGDATA
    PGDATA = args.pgdata

    # A checkpoint first, so that the full-page images in the run's WAL are those a steady state pays
    # (the first change of each page after a checkpoint), not an accident of where the last one fell.
    sql("CHECKPOINT")
    sql("SELECT pg_stat_statements_reset()")
    before = snapshot(args)
    started = time.monotonic()
    proc = subprocess.Popen(command)
    peak = {}
    while proc.poll() is None:  # resident memory under load: the peak of samples every 0.5 s
        for part, mb in rss_by_part(args).items():
            peak[part] = max(peak.get(part, 0.0), mb)
        time.sleep(0.5)
    if proc.returncode != 0:
        sys.exit(f"the load command failed ({proc.returncode})")
    deadline = time.monotonic() + 300
    while not settled():
        if time.monotonic() > deadline:
            sys.exit("the load did not settle within 300 s")
        time.sleep(0.2)
    took = time.monotonic() - started
    time.sleep(1.5)  # backends flush their statistics at most once a second
    after = snapshot(args)

    orders = after["orders"] - before["orders"]
    if orders <= 0:
        sys.exit("no order was accepted")
    wal = int(sql(f"SELECT pg_wal_lsn_diff('{after['lsn']}', '{before['lsn']}')"))
    per = lambda key: (after[key] - before[key]) / orders  # noqa: E731
    print(f"\n== cost per accepted order: {args.label} ({orders} orders, settled in {took:.1f} s) ==")
    wal_lines, fpi_share, wal_commits = wal_breakdown(args.pgdata, before["lsn"], after["lsn"], orders)
    print(f"  commits            {per('commits'):8.2f}  (xact_commit; read-only ones included)")
    if wal_commits is not None:
        print(f"  commits with WAL   {wal_commits:8.2f}  (commit records in the WAL)")
    print(f"  connections opened {per('sessions'):8.3f}")
    print(f"  WAL bytes          {wal / orders:8.0f}" +
          (f"  ({100 * fpi_share:.0f}% full-page images)" if fpi_share is not None else ""))
    print(f"  rows inserted      {per('inserted'):8.2f}")
    print(f"  rows updated       {per('updated'):8.2f}")
    print(f"  rows deleted       {per('deleted'):8.2f}")
    print(f"  statements         {per('statements'):8.2f}")
    print("  rows by table (inserted / updated / of which HOT / deleted, per order):")
    for name in sorted(after["tables"]):
        d = [x - y for x, y in zip(after["tables"][name], before["tables"].get(name, [0, 0, 0, 0]))]
        if any(d):
            print(f"    {name:20s} {d[0] / orders:6.2f} / {d[1] / orders:6.2f} / {d[2] / orders:6.2f} / {d[3] / orders:6.2f}")
    print("  the most frequent statements (calls per order):")
    top = sql("SELECT round(calls::numeric / " + str(orders) + ", 2) || '  ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
              "FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' ORDER BY calls DESC LIMIT 10")
    for line in top.splitlines():
        print("    " + line)
    print("  the costliest statements (PostgreSQL execution ms per order, planning included):")
    top = sql("SELECT round(((total_exec_time + total_plan_time) / " + str(orders) + ")::numeric, 3) || '  ' || "
              "left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
              "FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' ORDER BY total_exec_time + total_plan_time DESC LIMIT 10")
    for line in top.splitlines():
        print("    " + line)
    print("  WAL by record type (pg_waldump --stats=record; bytes per order, FPI included):")
    for line in wal_lines:
        print("    " + line)
    idle = rss_by_part(args)
    print("  resident memory, MB (peak under load / after it settled):")
    for part in sorted(peak):
        print(f"    {part:20s} {peak[part]:7.1f} / {idle.get(part, 0.0):6.1f}")
    print("  CPU ms:")
    order = lambda p: (0 if p == "postgresql" else 1 if p.startswith("  pg") else 2 if p in ("rabbitmq", "api") else 3, p)  # noqa: E731
    for part in sorted(after["cpu"], key=order):
        used = after["cpu"][part] - before["cpu"].get(part, 0.0)
        print(f"    {part:28s} {used / orders:8.3f}")
    if args.pgbench_seconds > 0:
        unit, tps = pgbench_reference(args.pgbench_seconds)
        pg = (after["cpu"]["postgresql"] - before["cpu"]["postgresql"]) / orders
        print(f"  one `pgbench -N` transaction (16 clients, {args.pgbench_seconds} s, same server, now): "
              f"{unit:.3f} ms of PostgreSQL CPU ({tps:.0f} tps)")
        print(f"  PostgreSQL CPU per order in pgbench -N transactions: {pg / unit:.2f}")


if __name__ == "__main__":
    main()
