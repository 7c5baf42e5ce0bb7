"""One run of the pipeline, all or nothing.

The run takes an exclusive lock on the warehouse, works on a copy of it and writes its outputs into a
temporary folder; only when every stage has succeeded are the warehouse and the output folder replaced
(each by a rename). A failure or a kill at any point leaves the previous warehouse and outputs as they
were, and the next run starts clean.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import __version__, catalogue, warehouse
from pipeline.config import Settings
from pipeline.errors import LscbError, RunLockedError

log = logging.getLogger("lscb.run")

OUTPUT_FILES = (
    "indicators.csv", "benchmarks.csv", "indicator-pack.html", "indicator-pack.pdf",
    "indicator-tables.xlsx", "data-quality.csv", "run-manifest.json", "run.log",
)
INDICATOR_COLUMNS = ["la_code", "indicator_id", "period_end", "window", "numerator", "denominator",
                     "value"]
BENCHMARK_COLUMNS = ["indicator_id", "year_ending", "local_value", "local_source", "england",
                     "london", "sn_mean", "sn_median", "sn_n", "sn_model"]
QUALITY_COLUMNS = ["file", "sheet", "row", "column", "rule", "value", "severity"]


@dataclass
class RunResult:
    out: Path
    db: Path
    period_end: date
    outputs: list[Path]
    manifest: dict
    timings: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def warehouse_lock(db: Path):
    """Hold an exclusive lock beside the warehouse; refuse at once if another run has it."""
    db.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db.with_name(db.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(
                f"another lscb run is using the warehouse {db}; "
                "wait for it to finish and run again") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process is killed


class _RunLog(logging.Handler):
    """Keeps this run's log lines (counts, never records) to write as run.log beside the outputs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class Stages:
    """Times each stage and reports progress on the terminal with counts only."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str):
        log.info("%s ...", name)
        t = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t, 3)
        log.info("%s done in %.2f s", name, self.timings[name])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    import pandera

    return {
        "lscb": __version__, "python": platform.python_version(), "duckdb": duckdb.__version__,
        "pandas": pd.__version__, "pandera": pandera.__version__, "platform": platform.platform(),
    }


def latest_period(con: duckdb.DuckDBPyConnection, la_code: str) -> date:
    row = con.execute(
        "select max(period_end) from marts.indicators where la_code = ?", [la_code]).fetchone()
    if row is None or row[0] is None:
        raise LscbError(f"no indicator could be computed for council {la_code}: "
                        "no extracts of that council are loaded (check --raw and --la)")
    return row[0]


def _period_end(period: str) -> date:
    try:
        first = datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise LscbError(f"--period must be YYYY-MM, not {period!r}") from None
    return (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()


def write_indicators(con, path: Path) -> int:
    df = con.execute(
        "select la_code, indicator_id, strftime(period_end, '%Y-%m-%d') as period_end, \"window\", "
        "numerator, denominator, value from marts.indicators "
        "order by la_code, indicator_id, period_end, \"window\"").df()
    df.to_csv(path, index=False, columns=INDICATOR_COLUMNS, lineterminator="\n")
    return len(df)


def write_quality(con, files: list[dict], path: Path) -> int:
    """Every rejected or flagged row of this run's inputs (also of unchanged files loaded before)."""
    shas = sorted({f["sha256"] for f in files if f.get("sha256")})
    df = con.execute(
        "select source_file as file, sheet, \"row\", \"column\", rule, value, severity "
        "from meta.data_quality where list_contains(?, file_sha256) "
        "order by file, sheet nulls first, \"row\", \"column\", rule", [shas]).df()
    df.to_csv(path, index=False, columns=QUALITY_COLUMNS, lineterminator="\n")
    return len(df)


def _journal(db: Path) -> Path:
    return db.with_name(db.name + ".commit")


def _commit(work_db: Path, db: Path, tmp_out: Path, out: Path) -> None:
    """Swap the new warehouse and output folder in, so that a kill at any instant is recoverable.

    Two renames cannot be one atomic step, so a journal naming both is written first (itself by a
    rename): once it exists the run has succeeded, and a run killed between the renames is rolled
    forward by the next one (`_recover`) instead of leaving a new warehouse beside old outputs.
    """
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    journal = _journal(db)
    pending = journal.with_name(journal.name + ".tmp")
    pending.write_text(json.dumps({"work_db": str(work_db), "db": str(db), "tmp_out": str(tmp_out),
                                   "out": str(out), "old": str(old)}))
    os.replace(pending, journal)
    _roll_forward(work_db, db, tmp_out, out, old)
    journal.unlink()
    shutil.rmtree(old, ignore_errors=True)


def _roll_forward(work_db: Path, db: Path, tmp_out: Path, out: Path, old: Path) -> None:
    """The renames of a commit; each step is skipped when a killed commit already did it."""
    if work_db.exists():
        os.replace(work_db, db)
    if tmp_out.exists():
        if out.exists():
            os.replace(out, old)  # out is the previous folder while tmp_out still exists
        os.replace(tmp_out, out)


def _recover(db: Path) -> None:
    """Finish a commit that a killed run began (we hold the lock, so that run is dead)."""
    journal = _journal(db)
    journal.with_name(journal.name + ".tmp").unlink(missing_ok=True)
    if not journal.exists():
        return
    j = {k: Path(v) for k, v in json.loads(journal.read_text()).items()}
    _roll_forward(j["work_db"], j["db"], j["tmp_out"], j["out"], j["old"])
    journal.unlink()
    shutil.rmtree(j["old"], ignore_errors=True)
    log.info("completed the commit of an interrupted run")


def _clean_leftovers(db: Path, out_parent: Path) -> None:
    """Remove temporary files that a killed run left behind (we hold the lock, so none is live)."""
    for p in [*db.parent.glob(f"{db.name}.run-*"), db.with_name(db.name + ".tmp")]:
        if p.is_dir():  # DuckDB's spill folder
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    if out_parent.exists():
        for p in out_parent.glob(".lscb-out-*"):
            shutil.rmtree(p, ignore_errors=True)
        for p in out_parent.glob(".*.old-*"):
            shutil.rmtree(p, ignore_errors=True)


def run(settings: Settings, *, rebuild: bool = False, pack: bool = True) -> RunResult:
    """Run the whole pipeline for `settings`; see the module docstring for the guarantees."""
    from pipeline import benchmarks, ingest, models

    started = datetime.now(timezone.utc)
    old_umask = os.umask(0o077)  # warehouse and outputs readable by the owner only
    db = Path(settings.db)
    stages = Stages()
    run_log = _RunLog()
    lscb_logger = logging.getLogger("lscb")
    lscb_logger.addHandler(run_log)
    if lscb_logger.getEffectiveLevel() > logging.INFO:
        lscb_logger.setLevel(logging.INFO)  # the run log records every stage even when quiet
    if settings.reference and not Path(settings.reference).is_dir():
        log.warning("reference folder %s does not exist: rates and comparisons will be absent",
                    settings.reference)
    try:
        with warehouse_lock(db):
            out_parent = Path(settings.out).parent if settings.out else Path(settings.reports)
            _recover(db)
            _clean_leftovers(db, out_parent)
            work_db = db.with_name(f"{db.name}.run-{os.getpid()}")
            tmp_out = None
            try:
                if db.exists() and not rebuild:
                    shutil.copy2(db, work_db)
                    os.chmod(work_db, 0o600)  # also when an older warehouse was more open
                con = warehouse.connect(work_db)
                with stages.stage("ingest"):
                    ingested = ingest.ingest(con, Path(settings.raw), settings.la_code,
                                             strict=settings.strict)
                    _log_ingest(ingested)
                with stages.stage("reference"):
                    ref_summary = _load_reference(con, settings.reference)
                with stages.stage("models"):
                    built = models.build(con)
                    log.info("built %d models", len(built))
                period_end = (_period_end(settings.period) if settings.period
                              else latest_period(con, settings.la_code))
                with stages.stage("benchmarks"):
                    bench, recon = benchmarks.build(con, settings.la_code, settings.sn_model)
                    log.info("benchmarks: %d rows, reconciliation: %d rows", len(bench), len(recon))

                out = Path(settings.out) if settings.out else (
                    Path(settings.reports) / period_end.strftime("%Y-%m"))
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp_out = out.parent / f".lscb-out-{os.getpid()}"
                tmp_out.mkdir()
                with stages.stage("outputs"):
                    n_ind = write_indicators(con, tmp_out / "indicators.csv")
                    bench.to_csv(tmp_out / "benchmarks.csv", index=False, lineterminator="\n")
                    n_dq = write_quality(con, ingested.files, tmp_out / "data-quality.csv")
                    log.info("indicators.csv: %d rows; data-quality.csv: %d rows", n_ind, n_dq)
                manifest = _manifest(settings, started, ingested, ref_summary, con, period_end,
                                     stages.timings)
                if pack:
                    from pipeline import report

                    with stages.stage("pack"):
                        report.write_pack(con, tmp_out, la_code=settings.la_code,
                                          period_end=period_end, settings=settings,
                                          manifest=manifest)
                con.execute("checkpoint")
                con.close()
                manifest["timings_s"] = stages.timings
                (tmp_out / "run.log").write_text("\n".join(run_log.lines) + "\n")
                manifest["outputs"] = sorted(p.name for p in tmp_out.iterdir())
                (tmp_out / "run-manifest.json").write_text(
                    json.dumps(manifest, indent=2, default=str) + "\n")
                _commit(work_db, db, tmp_out, out)
                tmp_out = None
            finally:
                with contextlib.suppress(Exception):
                    con.close()  # type: ignore[possibly-undefined]
                if not _journal(db).exists():  # else a commit began: the next run completes it
                    work_db.unlink(missing_ok=True)
                    Path(f"{work_db}.wal").unlink(missing_ok=True)
                    shutil.rmtree(f"{work_db}.tmp", ignore_errors=True)
                    if tmp_out is not None:
                        shutil.rmtree(tmp_out, ignore_errors=True)
    finally:
        os.umask(old_umask)
        lscb_logger.removeHandler(run_log)
    log.info("wrote %s", out)
    return RunResult(out=out, db=db, period_end=period_end,
                     outputs=sorted(out.iterdir()), manifest=manifest, timings=stages.timings)


def _reference_fingerprint(folder: Path) -> str:
    """SHA-256 over the reference folder's file names and contents."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + b"\0" + _sha256(p).encode())
    return h.hexdigest()


def _load_reference(con, folder: Path | None) -> dict:
    """Load the published files, unless the same files were loaded by an earlier run."""
    from pipeline import reference

    folder = Path(folder) if folder else None
    fingerprint = _reference_fingerprint(folder) if folder and folder.is_dir() else ""
    stored = con.execute("select fingerprint, summary from meta.reference_state").fetchone()
    if stored and stored[0] == fingerprint:
        log.info("reference files unchanged since the last run: not read again")
        return json.loads(stored[1])
    summary = reference.load_reference(con, folder)
    con.execute("delete from meta.reference_state")
    con.execute("insert into meta.reference_state values (?, ?, now())",
                [fingerprint, json.dumps(summary, default=str)])
    return summary


def _log_ingest(ingested) -> None:
    by_status: dict[str, int] = {}
    for f in ingested.files:
        by_status[f["status"]] = by_status.get(f["status"], 0) + 1
    log.info("files: %s", ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())))
    totals = {k: sum(int(f.get(k) or 0) for f in ingested.files)
              for k in ("rows_read", "rows_loaded", "rows_rejected", "rows_flagged")}
    log.info("rows: %(rows_read)d read, %(rows_loaded)d loaded, %(rows_rejected)d rejected, "
             "%(rows_flagged)d flagged", totals)


def _manifest(settings, started, ingested, ref_summary, con, period_end, timings) -> dict:
    availability = con.execute(
        "select indicator_id, reason from marts.indicator_availability "
        "where la_code = ? and not is_available order by indicator_id",
        [settings.la_code]).fetchall()
    return {
        "lscb_version": __version__,
        "run_started_at": started.isoformat(timespec="seconds"),
        "la_code": settings.la_code,
        "period_end": period_end.isoformat(),
        "settings": settings.as_record(),
        "versions": _versions(),
        "inputs": ingested.files,
        "reference": ref_summary,
        "indicators_missing": [{"indicator_id": i, "reason": r} for i, r in availability],
        "catalogue_size": len(catalogue.load()),
        "timings_s": timings,
        "argv": sys.argv[1:],
    }
