"""Issue 20: 10,000 subscriptions due at once, three scheduler copies running, one of them and the
external-api worker SIGKILLed mid-run: exactly one approval per (subscription, period) at the gateway,
counted by orderId and by customerKey."""
import datetime
import os
import signal
import subprocess
import time
import zoneinfo

from billing_seed import seed_due_subscriptions
from conftest import BIN, child_pids, service_env, sql, wait_until
from shop import sandbox, scheduler_once

N = 10_000


def due_day():
    """A day about two months ahead whose day of month is at most 28 (the seed's anchor is a month before)."""
    day = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Seoul")).date() + datetime.timedelta(days=60)
    while day.day > 28:
        day += datetime.timedelta(days=1)
    return day


def test_ten_thousand_due_at_once_with_a_scheduler_copy_and_the_worker_killed_are_each_charged_once():
    due = due_day()
    seeded = seed_due_subscriptions(N, due, price=1000)
    plan = seeded["plan_id"]
    ours = f"FROM subscription_charges c JOIN subscriptions s ON s.id = c.subscription_id WHERE s.plan_id = {plan}"
    started = lambda: int(sql(f"SELECT count(*) {ours}"))
    done = lambda: int(sql(f"SELECT count(*) {ours} AND c.status = 'done'"))

    env = dict(service_env(), BILLING_TODAY=due.isoformat(), ORDER_EXPIRY_AFTER="600m",
               PAYMENT_RECONCILE_AFTER="600m")
    copies = [subprocess.Popen([os.path.join(BIN, "checkout-scheduler"), "--once"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    # One copy SIGKILLed as soon as the first batch of periods is committed, while all three are at work.
    wait_until(lambda: started() > 0 or None, 60, "the first renewals")
    copies[0].send_signal(signal.SIGKILL)
    assert copies[0].wait(timeout=10) == -signal.SIGKILL, "the copy had finished before it could be killed"
    # The external-api worker SIGKILLed with charges at the gateway; its supervisor starts it again.
    wait_until(lambda: done() >= 1000 or None, 180, "a thousand charges")
    [worker] = child_pids("external_api")
    os.kill(worker, signal.SIGKILL)
    killed_at = done()
    for copy in copies[1:]:
        out, _ = copy.communicate(timeout=300)
        assert copy.returncode == 0, out
    # The killed copy's open batch was rolled back with its connection: the next pass (a restart) takes it.
    scheduler_once(BILLING_TODAY=due.isoformat(), ORDER_EXPIRY_AFTER="600m", PAYMENT_RECONCILE_AFTER="600m")
    assert started() == N
    t0 = time.monotonic()
    wait_until(lambda: done() == N or None, 600, f"all {N} renewals charged")
    assert child_pids("external_api")[0] != worker and killed_at < N

    # Exactly one charge per (subscription, period), every one done, each approved once at the gateway.
    assert sql(f"SELECT count(*), count(DISTINCT c.subscription_id), count(DISTINCT c.order_id), "
               f"min(c.period), max(c.period) {ours}") == f"{N}|{N}|{N}|1|1"
    assert sql(f"SELECT count(*) FROM subscriptions WHERE plan_id = {plan} AND status = 'active' AND period = 1 "
               f"AND period_start = '{due.isoformat()}'") == str(N)
    stats = sandbox("GET", "/sandbox/stats")
    order_ids = sql(f"SELECT c.order_id {ours}").split()
    by_order = stats["billing_by_order"]
    assert sorted({by_order.get(o, 0) for o in order_ids}) == [1]
    by_customer = stats["billing_by_customer"]
    assert sorted({by_customer.get(k, 0) for k in seeded["customer_keys"]}) == [1]
    assert sum(by_customer.get(k, 0) for k in seeded["customer_keys"]) == N
    # Looked at after the kill: how many charges the killed worker left to its successor.
    print(f"{N} charged once each; {killed_at} were done when the worker was killed; "
          f"the rest in {time.monotonic() - t0:.0f}s after the last scheduler pass")
