"""pipeline.startup: modules imported with the collector off, then frozen; the collector's state
restored."""

import gc
import os
import subprocess
import sys
import time
from pathlib import Path

from pipeline import startup


def test_import_frozen_freezes_and_restores_the_collector():
    sys.modules.pop("colorsys", None)  # a small stdlib module, imported afresh
    before = gc.get_freeze_count()
    try:
        startup.import_frozen("colorsys")
        assert "colorsys" in sys.modules
        assert gc.isenabled()
        assert gc.get_freeze_count() > before
        gc.disable()
        startup.import_frozen("json")
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
        gc.unfreeze()


CHILD = r"""
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from pipeline import startup

if __name__ == "__main__":
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(2, mp_context=context, initializer=startup.exit_with,
                               initargs=(os.getpid(),))
    pids = {pool.submit(os.getpid).result() for _ in range(8)}
    pool.submit(time.sleep, 600)  # a worker busy when its parent is killed
    print(" ".join(map(str, pids)), flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def test_pool_workers_end_when_their_parent_is_killed(tmp_path):
    """SIGKILL gives a run no time to stop its pool: the workers must see it and end."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert pids and all(_alive(p) for p in pids)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in pids if _alive(p)]
