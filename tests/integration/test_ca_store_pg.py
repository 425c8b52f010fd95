"""The CA store on a real PostgreSQL server (a throwaway cluster from pg_util): the whole unit test of the store
(tests/unit/ca/test_store.c) runs against it, and two processes racing on the same records, on PostgreSQL and on
one SQLite file, never both win one."""
import os
import subprocess
import time

import pytest

from conftest import SMTRUST
from pg_util import postgresql_cluster

TEST_STORE = os.path.join(os.path.dirname(os.path.abspath(SMTRUST)), "test_store")
RECORDS = 100  # STORE_RACE_RECORDS in tests/unit/ca/store_tests_process.c


@pytest.fixture(scope="module")
def pg_dsn():
    with postgresql_cluster() as dsn:
        yield dsn


def run_test_store(args, env_extra, timeout=300):
    assert os.path.exists(TEST_STORE), f"{TEST_STORE} is not built"
    env = dict(os.environ, **env_extra)
    proc = subprocess.run([TEST_STORE, *args], capture_output=True, text=True, env=env, timeout=timeout)
    assert proc.returncode == 0, f"test_store {args} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def test_store_unit_tests_pass_on_postgresql(pg_dsn):
    out = run_test_store([], {"SMT_TEST_PG_DSN": pg_dsn})
    assert " 0 failed" in out
    assert "ok   test_store_race_order_ready_cascade" in out
    assert "ok   test_store_postgresql_broken_connection_is_reset" in out


def race_two_processes(dsn, tmp_path):
    """Fills dsn with records, starts two worker processes released at once, returns the wins of each."""
    env = {"SMT_TEST_STORE_SHARED_DSN": dsn, "SMT_TEST_STORE_GO": str(tmp_path / "go")}
    run_test_store(["test_store_race_processes_setup"], env)
    full_env = dict(os.environ, **env)
    full_env.pop("SMT_TEST_PG_DSN", None)
    workers = [subprocess.Popen([TEST_STORE, "test_store_race_processes_worker"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=full_env) for _ in range(2)]
    try:
        time.sleep(0.5)  # both have connected and wait for the go file
        (tmp_path / "go").write_text("go")
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    wins = []
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, f"worker exited {worker.returncode}\n{out[-3000:]}\n{err[-3000:]}"
        lines = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("won ")]
        assert len(lines) == len(set(lines)), "a worker reported one record twice"
        wins.append(set(lines))
    return wins


def check_one_winner_each(wins):
    expected = set()
    for i in range(RECORDS):
        expected |= {f"c{i}-a0-http", f"f{i}", f"n{i}"}
    both = wins[0] & wins[1]
    assert not both, f"records won by both processes: {sorted(both)[:10]}"
    assert wins[0] | wins[1] == expected, f"records nobody won: {sorted(expected - wins[0] - wins[1])[:10]}"


def test_two_processes_never_both_win_on_postgresql(pg_dsn, tmp_path):
    check_one_winner_each(race_two_processes(pg_dsn, tmp_path))


def test_two_processes_never_both_win_on_one_sqlite_file(tmp_path):
    check_one_winner_each(race_two_processes(f"sqlite:{tmp_path}/shared/ca.db", tmp_path))
