"""The thread pools of score_many: safe across fork, and bounded however many `jobs` values
are used (issue 16, bugs 1 and 2). Each test runs in a fresh interpreter, so that the pools of
other tests do not count and a hang or a crash fails one test instead of the run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import QA_PY

# a hang is the bug: every child gets this long, then the test fails
TIMEOUT = 120

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def run_child(code: str) -> str:
    """Runs `code` in a fresh interpreter and returns its output; fails on an error or a hang."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=QA_PY / "tests",
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"hung for {TIMEOUT} s:\n{e.stdout!r}\n{e.stderr!r}") from None
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout.strip()


PRELUDE = """
import os, sys, warnings
# Python 3.12+ warns that forking a process with threads may deadlock: that is the bug here
warnings.simplefilter("ignore", DeprecationWarning)
import qa_engine
from conftest import RUBRIC_YAML, conversation
engine = qa_engine.Engine.from_str(RUBRIC_YAML)
batch = [conversation(i) for i in range(200)]
want = [engine.score(t) for t in batch]
"""


@pytest.mark.parametrize("jobs", [None, 2, 3])
def test_score_many_in_a_child_forked_with_multiprocessing(jobs: object) -> None:
    out = run_child(
        PRELUDE
        + f"""
import multiprocessing as mp
jobs = {jobs!r}
# the parent's pools exist (and run their threads) before the fork
assert engine.score_many(batch, jobs) == want
assert engine.score_many(batch, 2) == want
assert engine.score_many(batch) == want

def child(q):
    q.put([engine.score_many(batch, jobs) == want,
           engine.score_many(batch, 2) == want,
           engine.score_many(batch) == want])

def scored(k):
    return engine.score_many(batch[:k], jobs) == want[:k]

ctx = mp.get_context("fork")
q = ctx.Queue()
procs = [ctx.Process(target=child, args=(q,)) for _ in range(2)]
for p in procs:
    p.start()
results = [q.get(timeout={TIMEOUT - 30}) for _ in procs]
for p in procs:
    p.join(10)
assert results == [[True, True, True]] * 2, results
# the workers of a multiprocessing pool, forked now, score too
with ctx.Pool(2) as pool:
    assert pool.map(scored, [1, 5, 50, 200], chunksize=1) == [True] * 4
# and the parent's own pools still work
assert engine.score_many(batch, jobs) == want
print("ok")
"""
    )
    assert out == "ok"


def test_score_many_in_a_child_of_os_fork_and_its_grandchild() -> None:
    out = run_child(
        PRELUDE
        + f"""
import signal, time
for jobs in (None, 1, 2, 3):
    assert engine.score_many(batch, jobs) == want

def fork_and_score(depth):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            ok = all(engine.score_many(batch, j) == want for j in (None, 2, 3, 2, None))
            if ok and depth > 1:
                ok = fork_and_score(depth - 1)
            code = 0 if ok else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + {TIMEOUT - 30} / 2
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0 if hasattr(os, "waitstatus_to_exitcode") else status == 0
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print("child hung")
    return False

assert fork_and_score(2)
assert engine.score_many(batch, 2) == want
print("ok")
"""
    )
    assert out == "ok"


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts /proc/self/task")
def test_many_jobs_values_leave_a_bounded_number_of_threads() -> None:
    out = run_child(
        PRELUDE
        + """
import time
def threads():
    return len(os.listdir("/proc/self/task"))

before = threads()
cores = os.cpu_count() or 1
# at most two pools are kept, each of at most 4 threads per core
bound = before + 2 * 4 * cores
small = batch[:20]
for jobs in range(1, 65):
    assert engine.score_many(small, jobs) == want[:20], jobs
    # the threads of a dropped pool end soon after, not at once
    assert threads() <= bound + 256, (jobs, threads(), bound)
assert engine.score_many(small, 256) == want[:20]
assert engine.score_many(small) == want[:20]
deadline = time.monotonic() + 20
while threads() > bound and time.monotonic() < deadline:
    time.sleep(0.05)
print(threads() - before, bound - before)
assert threads() <= bound, (threads(), bound)
print("ok")
"""
    )
    assert out.endswith("ok"), out
