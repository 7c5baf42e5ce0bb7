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
from . import discover, fastcsv, load, parallel, quality

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
    seen: dict[str, str] = {}
    to_read: list[discover.RawFile] = []

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
        to_read.append(raw)

    # Large CSVs are read and checked by DuckDB (fastcsv.py); the rest take the pandas path.
    fast, to_read = fastcsv.prepare_files(con, to_read)
    try:
        return _read_check_load(con, result, dq_frames, to_read, fast, started, strict)
    finally:
        fastcsv.discard(con, fast)


def _read_check_load(con, result: IngestResult, dq_frames: list, to_read: list,
                     fast: list, started: float, strict: bool) -> IngestResult:
    # Read everything first (workbooks in parallel), then check each extract's tables together.
    parts: dict[str, list[tuple[discover.RawFile, parallel.ReadTable]]] = {}
    for raw, tables in zip(to_read, parallel.read_files(to_read)):
        for table in tables:
            if table.extract is None:
                result.files.append(_entry(raw, sheet=table.sheet, status="skipped",
                                           reason=table.skip_reason))
            else:
                parts.setdefault(table.extract, []).append((raw, table))
    read_s = time.perf_counter() - started

    checked: dict[str, tuple[quality.CheckedParts, list[dict]]] = {}
    for extract, items in parts.items():
        done = quality.check_parts(extract, [quality.Part(t.frame, raw.source_file, t.sheet)
                                             for raw, t in items])
        entries = []
        for (raw, table), part, extract_date in zip(items, done.parts,
                                                    _extract_dates(extract, items, done)):
            entries.append(_entry(
                raw, extract=extract, sheet=table.sheet, extract_date=extract_date,
                status="loaded", reason=None, rows_read=part.rows_read,
                rows_loaded=part.rows_read - part.rows_rejected, rows_rejected=part.rows_rejected,
                rows_flagged=part.rows_flagged))
        checked[extract] = (done, entries)
    fastcsv.add_to_checked(checked, fast, _entry)
    if strict:
        _raise_first_rejection(checked)
    check_s = time.perf_counter() - started - read_s

    _load_all(con, checked, fast)
    for extract, (done, entries) in checked.items():
        for entry, part in zip(entries, done.parts):
            result.files.append(entry)
            dq_frames.append(part.quality)
            log.info("ingest_progress %s%s: %s, %d rows read, %d loaded, %d rejected, %d flagged",
                     entry["source_file"], f" [{entry['sheet']}]" if entry["sheet"] else "",
                     extract, entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"],
                     entry["rows_flagged"])
    result.files.sort(key=lambda e: (e["source_file"], e["sheet"] or ""))
    frames = [f for f in dq_frames if len(f)]
    if frames:
        result.quality = pd.concat(frames, ignore_index=True)[quality.QUALITY_COLUMNS]
    result.extracts_loaded = extracts_loaded(con)
    counts = pd.Series([e["status"] for e in result.files]).value_counts().to_dict()
    elapsed = time.perf_counter() - started
    log.info("ingest: %d inputs (%s) in %.1f s (read %.1f s, check %.1f s, load %.1f s)",
             len(result.files), ", ".join(f"{v} {k}" for k, v in sorted(counts.items())),
             elapsed, read_s, check_s, elapsed - read_s - check_s)
    return result


def _extract_dates(extract: str, items: list, done: quality.CheckedParts) -> list[dt.date | None]:
    """Each part's extract date: from its file name, else its latest event date (load.py)."""
    dates = [discover.date_in_name(raw.path.name) for raw, _t in items]
    undated = [i for i, d in enumerate(dates) if d is None]
    if undated:
        rows = done.rows[done.rows["_part"].isin(undated)]
        for i, group in rows.groupby("_part"):
            dates[int(i)] = load.latest_event_date(extract, group)
    return dates


def _raise_first_rejection(checked: dict) -> None:
    """In strict mode: the first rejected row, in the order of the files, as an InputError."""
    first = None
    for _extract, (done, entries) in checked.items():
        for entry, part in zip(entries, done.parts):
            if part.rows_rejected and (first is None or
                                       entry["source_file"] < first[0]["source_file"]):
                first = (entry, part)
                break
    if first is None:
        return
    entry, part = first
    row = part.quality[part.quality["severity"] == "rejected"].iloc[0]
    raise InputError(
        f"row rejected in strict mode: {row['rule']} (value {row['value']!r})",
        file=entry["source_file"], sheet=entry["sheet"], row=int(row["row"]),
        column=row["column"], rule=row["rule"])


def _load_all(con: duckdb.DuckDBPyConnection, checked: dict, fast: list = ()) -> None:
    """Stage, merge and record every extract in one transaction: all or nothing."""
    if not checked:
        return
    con.execute("begin transaction")
    try:
        load.begin_staging(con, set(checked))
        for extract, (done, entries) in checked.items():
            provenance = pd.DataFrame({
                "la_code": [e["la_code"] for e in entries],
                "extract_date": pd.Series([e["extract_date"] for e in entries], dtype="object"),
                "source_file": [e["source_file"] for e in entries],
                "sheet": pd.Series([e["sheet"] for e in entries], dtype="string"),
                "sha256": [e["sha256"] for e in entries],
            })
            load.stage_parts(con, extract, done.rows, provenance)
            for f in fast:
                if f.extract == extract:
                    fastcsv.stage(con, f, next(e for e in entries if e["sha256"] == f.raw.sha256))
            load.merge(con, extract)
        if "mash_contacts" in checked:
            _with_merlin_warnings(con, *checked["mash_contacts"])
        all_entries = [e for _d, entries in checked.values() for e in entries]
        all_quality = [p.quality for d, _e in checked.values() for p in d.parts]
        load.record_files(con, all_entries, all_quality)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _with_merlin_warnings(con, done: quality.CheckedParts, entries: list[dict]) -> None:
    """Flag the contacts whose merlin_id matches no notification (after the load: the MERLIN log
    may be in the same run), in each file's accounting and data-quality rows."""
    unmatched = load.unmatched_merlin_ids(con, [e["sha256"] for e in entries])
    if unmatched.empty:
        return
    by_sha = dict(tuple(unmatched.groupby("file_sha256", sort=False)))
    for entry, part in zip(entries, done.parts):
        found = by_sha.get(entry["sha256"])
        if found is None:
            continue
        dq = part.quality
        already = set(dq.loc[dq["severity"] == "flagged", "row"])
        entry["rows_flagged"] += len(set(found["row"]) - already)
        warnings = pd.DataFrame({
            "file": entry["source_file"], "sheet": entry["sheet"],
            "row": found["row"].astype("int64").to_numpy(), "column": "merlin_id",
            "rule": "merlin_id_not_found", "value": found["value"].to_numpy(),
            "severity": "flagged",
        }, columns=quality.QUALITY_COLUMNS)
        part.quality = pd.concat([dq, warnings], ignore_index=True) if len(dq) else warnings
