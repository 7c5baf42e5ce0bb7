"""The ingest stage: raw folder -> `raw.*` tables, with the accounting of every input.

Order of work, so that a fatal error leaves the warehouse untouched: recognise every file, then read
and check every table (CSVs in DuckDB, fastcsv.py; workbooks and odd CSVs with pandas, their
checked rows staged in DuckDB temp tables batch by batch), and only then load them all in one
transaction. Inputs of several councils larger than LSCB_INGEST_CHUNK_BYTES go through that a group
of whole councils at a time, one transaction each, so that memory holds one group (`lscb run` stays
all or nothing: it works on a copy of the warehouse).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
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


def _entry(raw: discover.RawFile, **values) -> dict:
    entry = dict.fromkeys(FILE_FIELDS)
    entry.update(source_file=raw.source_file, sha256=raw.sha256, la_code=raw.la_code)
    entry.update(values)
    return entry


def _previous(con: duckdb.DuckDBPyConnection, shas: list[str]
              ) -> dict[str, tuple[list[tuple], pd.DataFrame]]:
    """What meta holds of files already loaded, by SHA-256: their loaded_files rows and their
    data-quality rows. Two queries for all of them: a monthly refresh finds every earlier drop
    already loaded."""
    if not shas:
        return {}
    rows: dict[str, list[tuple]] = {}
    for r in con.execute(
        "select file_sha256, la_code, extract, sheet, extract_date, rows_read, rows_loaded, "
        "rows_rejected, rows_flagged from meta.loaded_files where file_sha256 in "
        "(select unnest(?::VARCHAR[])) order by file_sha256, sheet nulls first", [shas],
    ).fetchall():
        rows.setdefault(r[0], []).append(r[1:])
    dq = con.execute(
        'select file_sha256, null::VARCHAR as file, sheet, "row", "column", rule, value, severity '
        'from meta.data_quality where file_sha256 in (select unnest(?::VARCHAR[])) '
        'order by file_sha256, sheet nulls first, "row", "column", rule', [shas],
    ).df()
    groups = {sha: g.drop(columns="file_sha256").reset_index(drop=True)
              for sha, g in dq.groupby("file_sha256", sort=False)}
    empty = dq.drop(columns="file_sha256").iloc[:0]
    return {sha: (found, groups.get(sha, empty)) for sha, found in rows.items()}


def _unchanged(raw: discover.RawFile, rows: list[tuple], dq: pd.DataFrame
               ) -> tuple[list[dict], pd.DataFrame]:
    """A loaded file's manifest entries and data-quality rows, under its path in this run."""
    entries = [_entry(raw, la_code=r[0], extract=r[1], sheet=r[2], extract_date=r[3],
                      status="unchanged", reason="already loaded (same SHA-256)", rows_read=r[4],
                      rows_loaded=r[5], rows_rejected=r[6], rows_flagged=r[7]) for r in rows]
    return entries, dq.assign(file=raw.source_file)


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

    Raises InputError, with nothing written (for inputs loaded a group of councils at a time,
    nothing of that file's group), when a file cannot be read, a recognised extract lacks a
    required column, or (with strict) any row is rejected.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError("the raw folder does not exist", file=str(raw_dir))
    started = time.perf_counter()
    result = IngestResult()
    dq_frames: list[pd.DataFrame] = []
    seen: dict[str, str] = {}
    to_read: list[discover.RawFile] = []

    found = discover.find_files(raw_dir, la_code)
    previous = _previous(con, sorted({raw.sha256 for raw in found}))  # those loaded before
    for raw in found:
        why_not = discover.not_an_extract(raw.path)
        if why_not:
            result.files.append(_entry(raw, status="skipped", reason=why_not))
            continue
        if raw.sha256 in previous:
            entries, dq = _unchanged(raw, *previous[raw.sha256])
            result.files.extend(entries)
            dq_frames.append(dq)
            continue
        if raw.sha256 in seen:
            result.files.append(_entry(raw, status="skipped",
                                       reason=f"same content as {seen[raw.sha256]}"))
            continue
        seen[raw.sha256] = raw.source_file
        to_read.append(raw)

    # Workbooks start being read ahead (in worker processes at scale) while DuckDB reads and checks
    # the CSVs, same-layout files together (fastcsv.py); workbooks and CSVs of a shape that path
    # does not reproduce exactly take the pandas path.
    reader = parallel.Reader(to_read)
    tables = iter(reader)  # one pass over the files, chunk after chunk
    timing = {"read": 0.0, "check": 0.0, "load": 0.0}
    try:
        for chunk in _chunks(to_read):
            _ingest_chunk(con, result, dq_frames, chunk, reader, tables, strict, timing)
    finally:
        reader.close()
        for extract in RAW_TABLES:
            con.execute(f"drop table if exists {load.STAGING}{extract}")
    return _finish(con, result, dq_frames, started, timing)


# Inputs larger than this, from several councils, are loaded a group of whole councils at a time,
# each group in its own transaction, so that memory holds one group's rows rather than the
# country's. A run stays all or nothing: it works on a copy of the warehouse (run.py).
CHUNK_ENV = "LSCB_INGEST_CHUNK_BYTES"
DEFAULT_CHUNK_BYTES = 128 << 20
# Rows read by the pandas path before they are checked and staged in DuckDB: holds memory flat
# whatever the number of workbooks.
BATCH_ROWS = 250_000


def _chunks(files: list[discover.RawFile]) -> list[list[discover.RawFile]]:
    """The files in groups of whole councils of about CHUNK bytes (one group below that)."""
    value = os.environ.get(CHUNK_ENV, "").strip()
    limit = int(value) if value.isdigit() else DEFAULT_CHUNK_BYTES
    sizes = [f.path.stat().st_size for f in files]
    if sum(sizes) <= limit:
        return [files] if files else []
    chunks: list[list[discover.RawFile]] = []
    current: list[discover.RawFile] = []
    current_bytes = 0
    by_council: dict[str, list[tuple[discover.RawFile, int]]] = {}
    for f, size in zip(files, sizes):
        by_council.setdefault(f.la_code, []).append((f, size))
    for members in by_council.values():
        council_bytes = sum(size for _f, size in members)
        if current and current_bytes + council_bytes > limit:
            chunks.append(current)
            current, current_bytes = [], 0
        current += [f for f, _size in members]
        current_bytes += council_bytes
    if current:
        chunks.append(current)
    # Keep the files' order (the first file's error is raised first): councils are contiguous
    # in it when each has its own folder, as a multi-council raw folder has.
    order = {id(f): i for i, f in enumerate(files)}
    return [sorted(c, key=lambda f: order[id(f)]) for c in chunks]


def _ingest_chunk(con, result: IngestResult, dq_frames: list, files: list,
                  reader: parallel.Reader, tables_of, strict: bool, timing: dict) -> None:
    """Read, check and load one group of files: the CSVs DuckDB takes, then the pandas path's
    files in batches (checked, then staged in DuckDB), then one transaction."""
    began = time.perf_counter()
    fast: list = []
    try:
        fast, rest = fastcsv.prepare_files(con, files)
        kept = {id(f) for f in rest}
        reader.skip([f for f in files if id(f) not in kept])
        checked: dict[str, tuple[quality.CheckedParts, list[dict]]] = {}
        pending: dict[str, list[tuple[discover.RawFile, parallel.ReadTable]]] = {}
        pending_rows, check_s = 0, 0.0
        for raw, tables in zip(rest, tables_of):
            for table in tables:
                if table.extract is None:
                    result.files.append(_entry(raw, sheet=table.sheet, status="skipped",
                                               reason=table.skip_reason))
                else:
                    pending.setdefault(table.extract, []).append((raw, table))
                    pending_rows += len(table.frame)
            if pending_rows >= BATCH_ROWS:
                check_s += _check_and_stage(con, pending, checked)
                pending, pending_rows = {}, 0
        check_s += _check_and_stage(con, pending, checked)
        fastcsv.add_to_checked(checked, fast, _entry)
        if strict:
            _raise_first_rejection(checked)
        loading = time.perf_counter()
        _load_all(con, checked, fast)
        fast = []  # merged: their temp tables are gone
    finally:
        fastcsv.discard(con, fast)
    timing["read"] += loading - began - check_s
    timing["check"] += check_s
    timing["load"] += time.perf_counter() - loading
    for extract, (done, entries) in checked.items():
        for entry, part in zip(entries, done.parts):
            result.files.append(entry)
            dq_frames.append(part.quality)
            log.info("ingest_progress %s%s: %s, %d rows read, %d loaded, %d rejected, %d flagged",
                     entry["source_file"], f" [{entry['sheet']}]" if entry["sheet"] else "",
                     extract, entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"],
                     entry["rows_flagged"])


def _finish(con, result: IngestResult, dq_frames: list, started: float,
            timing: dict) -> IngestResult:
    result.files.sort(key=lambda e: (e["source_file"], e["sheet"] or ""))
    frames = [f for f in dq_frames if len(f)]
    if frames:
        result.quality = pd.concat(frames, ignore_index=True)[quality.QUALITY_COLUMNS]
    result.extracts_loaded = extracts_loaded(con)
    counts = pd.Series([e["status"] for e in result.files]).value_counts().to_dict()
    log.info("ingest: %d inputs (%s) in %.1f s (read, and DuckDB's CSV checks, %.1f s; pandas "
             "checks %.1f s; load %.1f s)", len(result.files),
             ", ".join(f"{v} {k}" for k, v in sorted(counts.items())),
             time.perf_counter() - started, timing["read"], timing["check"], timing["load"])
    return result


def _check_and_stage(con, pending: dict, checked: dict) -> float:
    """Check a batch's tables, each extract's together; stage their rows in DuckDB; keep their
    accounting in `checked` (rows left out: they are staged). Returns the seconds taken."""
    began = time.perf_counter()
    for extract, items in pending.items():
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
        if extract not in checked:
            load.begin_staging(con, {extract})
            checked[extract] = (quality.CheckedParts(done.rows.iloc[:0], []), [])
        load.stage_parts(con, extract, done.rows, entries)
        all_done, all_entries = checked[extract]
        all_done.parts.extend(done.parts)
        all_entries.extend(entries)
    return time.perf_counter() - began


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
    """Merge every extract's staged rows (the pandas path's, staged already, and the DuckDB path's)
    and record every file, in one transaction: all or nothing."""
    if not checked:
        return
    con.execute("begin transaction")
    try:
        staged = {t for (t,) in con.execute(
            "select table_name from duckdb_tables() where temporary").fetchall()}
        for extract, (_done, entries) in checked.items():
            if f"{load.STAGING}{extract}" not in staged:
                load.begin_staging(con, {extract})
            by_sha = {e["sha256"]: e for e in entries}
            groups = [g for g in fast if g.extract == extract]
            load.merge(con, extract, [fastcsv.loadable(con, g, [by_sha[f.raw.sha256]
                                                               for f in g.files])
                                      for g in groups])
            fastcsv.discard(con, groups)
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
    unmatched = load.unmatched_merlin_ids(con, [e["sha256"] for e in entries],
                                          sorted({e["la_code"] for e in entries}))
    if unmatched.empty:
        return
    # One frame of every warning, ordered by file; each file takes its slice (building a frame
    # per file cost seconds over a national set's thousands of files).
    position = {e["sha256"]: i for i, e in enumerate(entries)}
    part_of = unmatched["file_sha256"].map(position).to_numpy()
    warnings = pd.DataFrame({
        "file": [entries[i]["source_file"] for i in part_of],
        "sheet": [entries[i]["sheet"] for i in part_of],
        "row": unmatched["row"].astype("int64").to_numpy(), "column": "merlin_id",
        "rule": "merlin_id_not_found", "value": unmatched["value"].to_numpy(),
        "severity": "flagged",
    }, columns=quality.QUALITY_COLUMNS)
    bounds = np.flatnonzero(np.diff(part_of)) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(part_of)]):
        i = int(part_of[a])
        part, found = done.parts[i], warnings.iloc[a:b]
        dq = part.quality
        already = dq.loc[dq["severity"] == "flagged", "row"].to_numpy()
        entries[i]["rows_flagged"] += len(np.setdiff1d(found["row"].to_numpy(), already))
        part.quality = (pd.concat([dq, found], ignore_index=True) if len(dq)
                        else found.reset_index(drop=True))
