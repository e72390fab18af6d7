"""GET /ops, the operator's page (issue 11, item 4), in a real headless Chromium (Debian's chromium and
chromium-driver, driven by python3-selenium) against the running fleet with traffic: the figures it shows
are those of GET /ops/kpis, it lists the processes, gates and failures, and its replay button brings a
dead letter back to life. A screenshot is kept: TEST_STATE_DIR/screenshots/ops.png."""
import os
import time
import uuid

import pytest

from conftest import DIRECT, STATE, enqueue, request, sql, token, wait_job, wait_until

SHOTS = os.path.join(STATE, "screenshots")


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,1700"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def cells(driver, selector):
    from selenium.webdriver.common.by import By
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector)]


def test_ops_page_shows_the_kpis_processes_gates_and_failures_and_replays_a_dead_letter(browser):
    from selenium.webdriver.common.by import By
    admin = token("ops-page-" + uuid.uuid4().hex, "admin")
    # Traffic: jobs that take 40 ms, quick ones, a final failure and a dead letter.
    key = uuid.uuid4().hex
    dead = enqueue("test.flaky", {"key": key, "until_flag": True})
    failed = enqueue("test.fail_final", {})
    sleepers = [enqueue("test.sleep", {"key": uuid.uuid4().hex, "ms": 40}) for _ in range(20)]
    sql("INSERT INTO jobs (id, type, queue, state, payload) SELECT gen_random_uuid(), 'test.noop', 'test_hooks', "
        "'queued', '{}' FROM generate_series(1, 300); SELECT pg_notify('outbox', '')")
    for j in sleepers:
        wait_job(j, {"succeeded"}, 30)
    wait_job(failed, {"failed"}, 20)
    wait_job(dead, {"dead"}, 30)

    browser.get(DIRECT + "/ops#token=" + admin)
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, f'#dead-letters tr[data-job="{dead}"]'), 15,
               "the page to list the dead letter")
    # The token left the address bar, and nothing was fetched from anywhere but the API.
    assert "token" not in browser.current_url
    origins = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)")
    assert set(origins) <= {DIRECT}, origins

    # The queue's figures are those of GET /ops/kpis (read at the same moment; the window slides, so
    # within a small tolerance).
    shown = dict(zip(["throughput", "p99", "latency"],
                     cells(browser, 'tr[data-queue="test_hooks"] td.throughput, tr[data-queue="test_hooks"] td.p99, '
                                    'tr[data-queue="test_hooks"] td.latency-p99')))
    status, _, kpis = request("GET", "/ops/kpis", tok=admin)
    assert status == 200
    k = kpis["windows"]["1m"]["queues"]["test_hooks"]
    assert abs(float(shown["throughput"]) - k["per_second"]) <= max(0.2, 0.05 * k["per_second"]), (shown, k)
    assert abs(float(shown["p99"]) - k["run_ms"]["p99"]) <= max(2, 0.05 * k["run_ms"]["p99"]), (shown, k)
    assert abs(float(shown["latency"]) - k["latency_ms"]["p99"]) <= max(5, 0.05 * k["latency_ms"]["p99"]), (shown, k)
    assert float(shown["p99"]) >= 40  # the sleepers ran 40 ms each
    consumers = cells(browser, 'tr[data-queue="test_hooks"] td.consumers')
    assert consumers and int(consumers[0]) >= 1

    # Processes by queue, with what each has done; gates; the failure with its error.
    processes = cells(browser, "#processes tbody tr td:first-child")
    for p in ("worker-test_hooks", "worker-order_heavy", "outbox-relay", "dead-letter-keeper", "checkout-scheduler"):
        assert p in processes, processes
    done = browser.find_elements(By.CSS_SELECTOR, '#processes tr[data-process="worker-test_hooks"] td.jobs-done')
    assert done and int(done[0].text) > 0
    assert "test_hooks_failures" in cells(browser, "#gates tbody tr td:first-child")
    failure = " ".join(cells(browser, f'#failures tr[data-job="{failed}"] td'))
    assert "test.fail_final" in failure and "failed" in failure

    os.makedirs(SHOTS, exist_ok=True)
    browser.save_screenshot(os.path.join(SHOTS, "ops.png"))

    # Replay from the page: the job runs and succeeds, and leaves the list.
    sql(f"INSERT INTO test_flags (key) VALUES ('{key}')")
    browser.find_element(By.CSS_SELECTOR, f'button.replay[data-job="{dead}"]').click()
    state, attempts, _ = wait_job(dead, {"succeeded"}, 20)
    assert attempts == 1
    wait_until(lambda: not browser.find_elements(By.CSS_SELECTOR, f'#dead-letters tr[data-job="{dead}"]'), 10,
               "the replayed job to leave the page's dead letters")
    assert "replayed 1 job" in browser.find_element(By.ID, "status").text or \
        browser.find_element(By.ID, "status").text.startswith("updated")
    browser.save_screenshot(os.path.join(SHOTS, "ops-after-replay.png"))
