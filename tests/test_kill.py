"""Atomic runs: SIGKILL at random points of a run, and two runs at once on one warehouse.

The killed run starts from a warehouse and outputs of an earlier run over half of the extracts, so
that every kill lands in real work: loading the other half, building the models, writing the pack.
After each kill the warehouse must be byte-identical to before (or, when the kill came after the
commit, a complete new run's), open read-only with `marts.indicators` queryable, and the output
folder must be the old one or the complete new one, never partial; the next run succeeds.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time

import duckdb
import pytest

from corpus.runs import digest, generate_small, lscb_run, run_args, sha256
from pipeline import run

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("LSCB_KILLS", "50"))
SEED = 20240606


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A small council; a warehouse and outputs from a run over the drops up to September 2012."""
    root = tmp_path_factory.mktemp("kill")
    data = generate_small(root)
    first = root / "first-half"
    for p in data["raw"].rglob("*"):
        if p.is_file() and not any(m in p.name for m in ("2012-10", "2012-11", "2012-12", "2013")):
            (first / p.relative_to(data["raw"])).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, first / p.relative_to(data["raw"]))
    pristine = root / "pristine"
    proc = lscb_run(first, data["reference"], pristine / "lscb.duckdb", pristine / "out")
    assert proc.returncode == 0, proc.stderr
    # One complete run from the baseline: its duration and its outputs are the references.
    done = root / "done"
    shutil.copytree(pristine, done)
    t = time.perf_counter()
    proc = lscb_run(data["raw"], data["reference"], done / "lscb.duckdb", done / "out")
    duration = time.perf_counter() - t
    assert proc.returncode == 0, proc.stderr
    return {**data, "root": root, "pristine": pristine, "done": digest(done / "out"),
            "before_db": sha256(pristine / "lscb.duckdb"), "before_out": digest(pristine / "out"),
            "duration": duration}


def _state(work, b) -> str:
    """'old', 'new' or what is wrong with the warehouse and output folder after a kill."""
    db, out = work / "lscb.duckdb", work / "out"
    if run._journal(db).exists():  # killed between the commit's renames: the next run completes it
        with run.warehouse_lock(db):
            run._recover(db)
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("select count(*) from marts.indicators").fetchone()
    got = digest(out) if out.is_dir() else {}
    if sha256(db) == b["before_db"] and got == b["before_out"]:
        return "old"
    stable = ("indicators.csv", "benchmarks.csv")
    if set(got) == set(run.OUTPUT_FILES) and all(got[n] == b["done"][n] for n in stable):
        if sha256(db) != b["before_db"]:
            return "new"
        return "new outputs beside the old warehouse"
    return f"partial outputs {sorted(got)}" if got != b["before_out"] else "changed warehouse"


def test_random_kills_leave_old_or_new_state(baseline, tmp_path):
    rng = random.Random(SEED)
    b = baseline
    outcomes: dict[str, int] = {}
    corrupt = partial = 0
    for i in range(KILLS):
        work = tmp_path / f"k{i}"
        shutil.copytree(b["pristine"], work)
        args = run_args(b["raw"], b["reference"], work / "lscb.duckdb", work / "out")
        # its own process group, so that the kill reaches ingest's worker processes too
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0, b["duration"]))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        try:
            state = _state(work, b)
        except duckdb.Error as exc:
            state = f"corrupt warehouse: {exc}"
        corrupt += state.startswith(("corrupt", "changed"))
        partial += state.startswith(("partial", "new outputs"))
        outcomes[state] = outcomes.get(state, 0) + 1
        if i % 10 == 9 or i == KILLS - 1:  # the next run succeeds and clears the leftovers
            again = lscb_run(b["raw"], b["reference"], work / "lscb.duckdb", work / "out")
            assert again.returncode == 0, again.stderr
            assert digest(work / "out")["indicators.csv"] == b["done"]["indicators.csv"]
            assert sorted(p.name for p in work.iterdir()) == ["lscb.duckdb", "lscb.duckdb.lock",
                                                              "out"]
        shutil.rmtree(work)
    print(f"\nkills: {KILLS}, corrupt warehouses: {corrupt}, partial packs: {partial}, "
          f"outcomes: {outcomes}, run duration: {b['duration']:.1f} s")
    assert corrupt == 0 and partial == 0, outcomes
    assert set(outcomes) <= {"old", "new"}


def test_two_runs_at_once_one_refuses(baseline, tmp_path):
    b = baseline
    work = tmp_path / "w"
    shutil.copytree(b["pristine"], work)
    args = [run_args(b["raw"], b["reference"], work / "lscb.duckdb", work / f"out{i}")
            for i in (1, 2)]
    procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for a in args]
    results = [(p.wait(), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "another lscb run is using the warehouse" in refused
    assert "Traceback" not in refused
    with duckdb.connect(str(work / "lscb.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.indicators").fetchone()[0] > 0
    winner = work / ("out1" if results[0][0] == 0 else "out2")
    assert digest(winner)["indicators.csv"] == b["done"]["indicators.csv"]
