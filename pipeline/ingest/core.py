"""The ingest stage: raw folder -> `raw.*` tables, with the accounting of every input.

Order of work, so that a fatal error leaves the warehouse untouched: recognise every file, then read
and check every table, and only then load them all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import InputError
from ..warehouse import RAW_TABLES
from . import discover, load, quality, read

log = logging.getLogger("lscb.ingest")

FILE_FIELDS = ["source_file", "sha256", "la_code", "extract", "sheet", "extract_date", "status",
               "reason", "rows_read", "rows_loaded", "rows_rejected", "rows_flagged"]


@dataclass
class IngestResult:
    """What one ingest did: per input, the data-quality rows, and what the warehouse now holds."""

    files: list[dict] = field(default_factory=list)
    quality: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=quality.QUALITY_COLUMNS))
    extracts_loaded: dict[str, set[str]] = field(default_factory=dict)

    @property
    def files_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.files, columns=FILE_FIELDS)


def _entry(raw: discover.RawFile, **values) -> dict:
    entry = dict.fromkeys(FILE_FIELDS)
    entry.update(source_file=raw.source_file, sha256=raw.sha256, la_code=raw.la_code)
    entry.update(values)
    return entry


def _previous(con: duckdb.DuckDBPyConnection, raw: discover.RawFile) -> tuple[list[dict], pd.DataFrame]:
    """The accounting of a file already loaded (same SHA-256) from meta."""
    rows = con.execute(
        "select la_code, extract, sheet, extract_date, rows_read, rows_loaded, rows_rejected, "
        "rows_flagged from meta.loaded_files where file_sha256 = ? order by sheet nulls first",
        [raw.sha256],
    ).fetchall()
    entries = [
        _entry(raw, la_code=r[0], extract=r[1], sheet=r[2], extract_date=r[3], status="unchanged",
               reason="already loaded (same SHA-256)", rows_read=r[4], rows_loaded=r[5],
               rows_rejected=r[6], rows_flagged=r[7])
        for r in rows
    ]
    dq = con.execute(
        'select ? as file, sheet, "row", "column", rule, value, severity from meta.data_quality '
        'where file_sha256 = ? order by sheet nulls first, "row", "column", rule',
        [raw.source_file, raw.sha256],
    ).df()
    return entries, dq


def extracts_loaded(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Extract kinds with at least one row in the warehouse, per council."""
    held: dict[str, set[str]] = {}
    for extract in RAW_TABLES:
        for (la_code,) in con.execute(f"select distinct la_code from raw.{extract}").fetchall():
            held.setdefault(la_code, set()).add(extract)
    return held


def ingest(con: duckdb.DuckDBPyConnection, raw_dir: Path, la_code: str, *,
           strict: bool = False) -> IngestResult:
    """Find, read, validate and load every extract under raw_dir (see the package docstring).

    Raises InputError, with nothing written, when a file cannot be read, a recognised extract lacks
    a required column, or (with strict) any row is rejected.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError("the raw folder does not exist", file=str(raw_dir))
    started = time.perf_counter()
    known = {r[0] for r in con.execute("select distinct file_sha256 from meta.loaded_files").fetchall()}
    result = IngestResult()
    dq_frames: list[pd.DataFrame] = []
    batches: list[tuple[load.Batch, dict, pd.DataFrame]] = []
    seen: dict[str, str] = {}

    for raw in discover.find_files(raw_dir, la_code):
        why_not = discover.not_an_extract(raw.path)
        if why_not:
            result.files.append(_entry(raw, status="skipped", reason=why_not))
            continue
        if raw.sha256 in known:
            entries, dq = _previous(con, raw)
            if entries:
                result.files.extend(entries)
                dq_frames.append(dq)
                continue
        if raw.sha256 in seen:
            result.files.append(_entry(raw, status="skipped",
                                       reason=f"same content as {seen[raw.sha256]}"))
            continue
        seen[raw.sha256] = raw.source_file
        for table in read.scan(raw.path, raw.source_file):
            if table.extract is None:
                result.files.append(_entry(raw, sheet=table.sheet, status="skipped",
                                           reason=table.skip_reason))
                continue
            frame = read.load_table(raw.path, table)
            checked = quality.check(table.extract, frame, raw.source_file, table.sheet)
            if strict and checked.rows_rejected:
                first = checked.quality[checked.quality["severity"] == "rejected"].iloc[0]
                raise InputError(
                    f"row rejected in strict mode: {first['rule']} (value {first['value']!r})",
                    file=raw.source_file, sheet=table.sheet, row=int(first["row"]),
                    column=first["column"], rule=first["rule"])
            extract_date = (discover.date_in_name(raw.path.name)
                            or load.latest_event_date(table.extract, checked.rows))
            entry = _entry(
                raw, extract=table.extract, sheet=table.sheet, extract_date=extract_date,
                status="loaded", reason=None, rows_read=checked.rows_read,
                rows_loaded=len(checked.rows), rows_rejected=checked.rows_rejected,
                rows_flagged=checked.rows_flagged)
            batch = load.Batch(table.extract, checked.rows, raw.la_code, extract_date,
                               raw.source_file, table.sheet, raw.sha256)
            batches.append((batch, entry, checked.quality))
            log.info("ingest_progress %s%s: %s, %d rows read, %d loaded, %d rejected, %d flagged",
                     raw.source_file, f" [{table.sheet}]" if table.sheet else "", table.extract,
                     entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"],
                     entry["rows_flagged"])

    _load_all(con, batches)
    for _batch, entry, dq in batches:
        result.files.append(entry)
        dq_frames.append(dq)
    result.files.sort(key=lambda e: (e["source_file"], e["sheet"] or ""))
    frames = [f for f in dq_frames if len(f)]
    if frames:
        result.quality = pd.concat(frames, ignore_index=True)[quality.QUALITY_COLUMNS]
    result.extracts_loaded = extracts_loaded(con)
    counts = pd.Series([e["status"] for e in result.files]).value_counts().to_dict()
    log.info("ingest: %d inputs (%s) in %.1f s", len(result.files),
             ", ".join(f"{v} {k}" for k, v in sorted(counts.items())), time.perf_counter() - started)
    return result


def _load_all(con: duckdb.DuckDBPyConnection, batches: list) -> None:
    """Stage, merge and record every batch in one transaction: all or nothing."""
    if not batches:
        return
    con.execute("begin transaction")
    try:
        load.begin_staging(con, {b.extract for b, _e, _q in batches})
        for batch, _entry, _dq in batches:
            load.stage(con, batch)
        for extract in dict.fromkeys(b.extract for b, _e, _q in batches):
            load.merge(con, extract)
        for i, (batch, entry, dq) in enumerate(batches):
            if batch.extract == "mash_contacts":
                dq = _with_merlin_warnings(con, batch, entry, dq)
                batches[i] = (batch, entry, dq)
            load.record_file(con, entry, dq)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _with_merlin_warnings(con, batch: load.Batch, entry: dict, dq: pd.DataFrame) -> pd.DataFrame:
    unmatched = load.unmatched_merlin_ids(con, batch.sha256)
    if unmatched.empty:
        return dq
    already = set(dq.loc[dq["severity"] == "flagged", "row"])
    entry["rows_flagged"] += len(set(unmatched["row"]) - already)
    warnings = pd.DataFrame({
        "file": batch.source_file, "sheet": batch.sheet, "row": unmatched["row"].astype("int64"),
        "column": "merlin_id", "rule": "merlin_id_not_found", "value": unmatched["value"],
        "severity": "flagged",
    }, columns=quality.QUALITY_COLUMNS)
    return pd.concat([dq, warnings], ignore_index=True) if len(dq) else warnings
