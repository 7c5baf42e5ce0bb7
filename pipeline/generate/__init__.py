"""`lscb generate`: synthetic councils' raw extracts and synthetic published reference files.

`generate(raw_dir, reference_dir)` writes the demo council 311 (about 52,000 children, April 2011 to
March 2014), calibrated to look like the council of the LSCB highlight report; `councils=N` writes N
councils, one sub-folder each named by its three-digit code, the demo council first.

Councils (or, for a single council, its Annex A workbooks) are written by `workers` processes. Every
council and every workbook has its own seed, so the files are byte-identical whatever the number of
workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from pipeline import startup
from pipeline.generate.council import DEMO, profile_for, simulate, with_more_contacts
from pipeline.generate.extracts import write_council
from pipeline.generate.reference import council_codes, published_figures, write_reference

log = logging.getLogger("lscb.generate")

__all__ = ["generate"]


def generate(raw_dir: Path, reference_dir: Path | None = None, *, councils: int = 1,
             la_code: str = "311", seed: int = 2013, start: str = "2011-04", end: str = "2014-03",
             annex_a_every_months: int = 1, contacts_factor: float = 1.0,
             workers: int | None = None) -> dict:
    """Write synthetic extracts under `raw_dir` (and reference files under `reference_dir`).

    `contacts_factor` multiplies every council's contacts (and MERLIN notifications) that do not
    become referrals: a volume for scale tests, with referrals, plans and episodes unchanged.

    Same arguments, same bytes, whatever `workers` (processes; default: the number of CPUs, 1 for
    none). Returns a summary: councils, files written, rows per extract.
    """
    raw_dir, la_code = Path(raw_dir), str(la_code).zfill(3)
    if councils < 1:
        raise ValueError("councils must be at least 1")
    codes = council_codes(seed, first=la_code)
    if councils > len(codes):
        raise ValueError(f"at most {len(codes)} synthetic councils can be generated")
    workers = max(1, os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    chosen = codes[:councils]
    sizes = np.random.default_rng([seed, 0]).spawn(len(codes))
    tasks = [(code, sizes[i], raw_dir if councils == 1 else raw_dir / code, start, end, seed,
              annex_a_every_months, contacts_factor) for i, code in enumerate(chosen)]
    summary = {"councils": [], "files": 0, "rows": {}}
    truths = {}
    # Results come back in council order. forkserver, not fork: a caller with threads (DuckDB's, a
    # test run's) can crash a plain fork's child; the server imports this package once and forks
    # each worker from there.
    processes = min(workers, councils) if councils > 1 else workers
    pool = None
    if processes > 1 and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        # Workers end when this process does, even killed (startup.exit_with).
        pool = ProcessPoolExecutor(processes, mp_context=context,
                                   initializer=startup.exit_with, initargs=(os.getpid(),))
    with pool or nullcontext():
        if pool is not None and councils > 1:
            results = pool.map(_council, tasks)
        else:  # one council: its Annex A workbooks are the work to share out
            results = (_council(t, pool.map if pool is not None else map) for t in tasks)
        for code, profile, figures, written in results:
            truths[code] = (profile, figures)
            summary["councils"].append(code)
            summary["files"] += written["files"]
            for name, rows in written["rows"].items():
                summary["rows"][name] = summary["rows"].get(name, 0) + rows
            log.info("council %s: %d files, %d contacts", code, written["files"],
                     written["rows"].get("mash_contacts", 0))
    if reference_dir is not None:
        summary["reference_files"] = write_reference(Path(reference_dir), codes, truths, seed)
        summary["files"] += len(summary["reference_files"])
    return summary


def _council(task, map_workbooks=map):
    """Simulate and write one council; return its code, profile, published figures and summary."""
    code, rng, folder, start, end, seed, every, contacts_factor = task
    profile = DEMO if code == DEMO.la_code else profile_for(code, rng)
    if contacts_factor != 1:
        profile = with_more_contacts(profile, contacts_factor)
    council = simulate(profile, start, end, seed=[seed, int(code)])
    # The demo council fills Annex A List 1 in every workbook; the others in their latest only.
    written = write_council(council, folder, seed=seed * 1000 + int(code),
                            annex_a_every_months=every, map_workbooks=map_workbooks,
                            list1_in_every_workbook=code == DEMO.la_code)
    return code, profile, published_figures(council), written
