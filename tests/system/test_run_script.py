"""scripts/run.sh keeps the API up: an API process that dies is started again, as the workers are,
instead of run.sh stopping the whole fleet. Run against the test servers (DATABASE_URL, AMQP_URL
given: run.sh starts none of its own) with no workers, on ports of its own."""
import os
import signal
import subprocess
import time
import urllib.request

from conftest import BIN, ROOT, STATE, wait_until

# Next to the tests' own API (TEST_API_PORT), never on it.
PORT = int(os.environ.get("TEST_API_PORT", "18181")) + 100


def health():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=2) as r:
            return r.status
    except OSError:
        return None


def test_run_sh_restarts_the_api_when_it_is_killed():
    state = os.path.join(STATE, "run-sh")
    env = dict(os.environ, API_PORT=str(PORT), RUN_STATE_DIR=state, CHECKOUT_BIN_DIR=BIN,
               PG_PORT="55632", AMQP_PORT="56920", QUEUES_FILE=os.path.join(ROOT, "queues.yaml"),
               METRICS_PORT="0")
    zero = ["relay=0", "dead_letters=0", "scheduler=0", "order_heavy=0", "payment_confirm=0", "points=0",
            "external_api=0"]
    log = open(os.path.join(STATE, "run-sh.log"), "wb")
    run = subprocess.Popen(["bash", os.path.join(ROOT, "scripts", "run.sh"), *zero], env=env, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: health() == 200, 60, "run.sh's API to answer")
        child_file = os.path.join(state, "pids", "api.child")
        first = int(open(child_file).read())
        os.kill(first, signal.SIGKILL)
        # Restarted by its supervisor with a new pid; run.sh itself is still running.
        wait_until(lambda: health() == 200 and int(open(child_file).read() or 0) != first, 30,
                   "the killed API to be restarted")
        assert run.poll() is None, "run.sh exited when its API died"
        second = int(open(child_file).read())
        assert second != first and os.path.exists(f"/proc/{second}")
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            raise
    # Ctrl-C / SIGTERM stops exactly what it started: the API is gone too.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and health() is not None:
        time.sleep(0.1)
    assert health() is None
