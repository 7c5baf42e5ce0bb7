"""Write checked tables into the `raw.*` tables and the `meta` accounting, in one transaction.

A record (its key per warehouse.RAW_TABLES, with `la_code`) is held once: the version from the latest
extract date, ties broken by the later source file path. Loading the same rows twice, or overlapping
drops in any order, therefore gives the same table contents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from ..warehouse import RAW_TABLES
from . import schemas

STAGING = "_ingest_new_"  # + extract: the temp table of the rows a run stages

# Columns holding the events of each extract: the extract date when the file name has none.
EVENT_COLUMNS = {
    "mash_contacts": ("received_at", "decided_at"),
    "merlin_notifications": ("received_at",),
    "annex_a_contacts": ("date_of_contact",),
    "annex_a_referrals": ("date_of_referral",),
    "annex_a_cp_plans": ("cpp_start_date", "cpp_end_date"),
    "ssda903_header": (),
    "ssda903_episodes": ("decom", "dec"),
}
_NO_DATE = "DATE '0001-01-01'"


def latest_event_date(extract: str, rows: pd.DataFrame) -> dt.date | None:
    """The latest event date among loadable rows (canonical text sorts as time)."""
    latest = None
    for column in EVENT_COLUMNS[extract]:
        values = rows[column].dropna().str.slice(0, 10)
        if len(values):
            latest = max(latest or "", values.max())
    return dt.date.fromisoformat(latest) if latest else None


def cast(value: str, kind: str) -> str:
    """SQL casting one value of canonical text (a column or expression) to its warehouse type."""
    if kind == "date":
        return f"cast({value} as DATE)"
    if kind == "datetime":
        return f"cast({value} as TIMESTAMP)"
    if kind == "yn":
        return f"case {value} when 'Y' then true when 'N' then false end"
    if kind == "int":
        return f"cast({value} as INTEGER)"
    return f"cast({value} as VARCHAR)"


def _select_list(extract: str) -> str:
    """Casts from canonical text to the warehouse types; identifiers from the model only."""
    return ", ".join(cast(f'"{column}"', meta["kind"])
                     for column, meta in schemas.columns(extract).items())


def provenance(entries: list[dict]) -> pd.DataFrame:
    """One row per part (its position `_part`) with what every staged row of it carries: la_code,
    extract_date, source_file, sheet, sha256. Joined in DuckDB rather than repeated in pandas."""
    return pd.DataFrame({
        "_part": range(len(entries)),
        "la_code": [e["la_code"] for e in entries],
        "extract_date": pd.Series([e["extract_date"] for e in entries], dtype="object"),
        "source_file": [e["source_file"] for e in entries],
        "sheet": pd.Series([e["sheet"] for e in entries], dtype="string"),
        "sha256": [e["sha256"] for e in entries],
    })


def provenance_select(row: str) -> str:
    """The provenance columns of a raw row, in raw.<extract>'s order, from provenance() joined as p
    and the analyst's row number `row`."""
    return ("p.la_code::VARCHAR as la_code, p.extract_date::DATE as extract_date, "
            "p.source_file::VARCHAR as source_file, p.sheet::VARCHAR as source_sheet, "
            f"{row}::INTEGER as source_row, p.sha256::VARCHAR as file_sha256")


def stage_parts(con: duckdb.DuckDBPyConnection, extract: str, rows: pd.DataFrame,
                entries: list[dict]) -> None:
    """Append the checked rows of many tables of one extract to its staging table, in one insert.

    rows: the model's columns as canonical text, `_part` (position in entries) and `_row` (the
    analyst's row number); entries: the parts' manifest entries (provenance()).
    """
    columns = list(schemas.columns(extract))
    frame = rows[columns + ["_part", "_row"]]
    con.register("_ingest_batch", frame)
    con.register("_ingest_parts", provenance(entries))
    try:
        con.execute(
            f"insert into {STAGING}{extract} select {_select_list(extract)}, "
            f"{provenance_select('b._row')} "
            "from _ingest_batch b join _ingest_parts p using (_part)"
        )
    finally:
        con.unregister("_ingest_batch")
        con.unregister("_ingest_parts")


def begin_staging(con: duckdb.DuckDBPyConnection, extracts: set[str]) -> None:
    for extract in extracts:
        con.execute(f"create or replace temp table {STAGING}{extract} as "
                    f"select * from raw.{extract} limit 0")


def merge(con: duckdb.DuckDBPyConnection, extract: str, more: Sequence[str] = ()) -> None:
    """Merge the staged rows, and the rows of the queries `more` (shaped as raw.<extract>, as
    fastcsv.loadable gives them: read where they are, not copied into the staging table first),
    into raw.<extract>: one row per key, the latest extract's version.

    Among this run's rows each key's latest version (latest extract date, then later source file,
    then later row) is kept; it replaces a stored row with the same key unless the stored one is
    later (a stored row from the same file and row gives way). One MERGE statement, or, for
    councils with nothing stored, an insert and then a delete of the older versions.
    """
    keys = ("la_code",) + RAW_TABLES[extract][1]
    same_key = " and ".join(f'a."{k}" is not distinct from b."{k}"' for k in keys)
    partition = ", ".join(f'"{k}"' for k in keys)
    latest = (f"coalesce(extract_date, {_NO_DATE}) desc, source_file desc, source_row desc")
    not_older = (f"(coalesce(b.extract_date, {_NO_DATE}) > coalesce(a.extract_date, {_NO_DATE}) or "
                 f"(coalesce(b.extract_date, {_NO_DATE}) = coalesce(a.extract_date, {_NO_DATE}) and "
                 f"(b.source_file > a.source_file or (b.source_file = a.source_file "
                 f"and b.source_row >= a.source_row))))")
    staged = f"{STAGING}{extract}"
    if more:
        staged = f"{STAGING}all_{extract}"
        con.execute(f"create or replace temp view {staged} as select * from {STAGING}{extract} "
                    + " ".join(f"union all {query}" for query in more))
    latest_first = f"row_number() over (partition by {partition} order by {latest})"
    councils = [c for (c,) in con.execute(f"select distinct la_code from {staged}").fetchall()]
    if con.execute(f"select not exists (select 1 from raw.{extract} where la_code in "
                   "(select unnest($c::VARCHAR[])))", {"c": councils}).fetchone()[0]:
        # Nothing stored for these councils (a first run, a rebuild): nothing to merge with, and
        # an insert is several times faster than a MERGE over millions of rows. The rows of these
        # councils are then this run's: a key among them twice (overlapping drops) keeps only its
        # latest version. Looked for in the stored keys, which is cheaper than in the staged rows
        # (the fast path's are a query over its temp tables).
        con.execute(f"insert into raw.{extract} select * from {staged}")
        ours = f"raw.{extract} where la_code in (select unnest($c::VARCHAR[]))"
        # Only the rows of a key stored twice go through the window; they are found by hash(),
        # which matches a key with a missing part (annex_a_contacts' source), as `in` would not.
        repeated = (f"hash({partition}) in (select hash({partition}) from {ours} "
                    f"group by {partition} having count(*) > 1)")
        con.execute(f"delete from raw.{extract} where rowid in (select rowid from "
                    f"(select rowid, {latest_first} as n from {ours} and {repeated}) "
                    "where n > 1)", {"c": councils})
    else:
        latest_only = f"select * from {staged} qualify {latest_first} = 1"
        con.execute(
            f"merge into raw.{extract} a "
            f"using ({latest_only}) b "
            f"on {same_key} "
            f"when matched and {not_older} then update set * "
            f"when not matched then insert *"
        )
    # (On an error the caller rolls back, and the ingest drops what is left.)
    if more:
        con.execute(f"drop view {staged}")
    con.execute(f"drop table {STAGING}{extract}")


def unmatched_merlin_ids(con: duckdb.DuckDBPyConnection, sha256s: list[str],
                         la_codes: list[str]) -> pd.DataFrame:
    """Contacts of the given files (of the given councils) whose merlin_id matches no loaded
    notification of their council.

    Checked only for councils with a MERLIN log loaded: without one every id would be flagged.
    The councils narrow the look-up to this group's contacts and notifications (nationally, each
    group of councils would otherwise look at every council loaded before it). Columns:
    file_sha256, row, value; ordered by file and row.
    """
    return con.execute(
        """
        select c.file_sha256, c.source_row as "row", c.merlin_id as value
        from raw.mash_contacts c
        where c.la_code in (select unnest($la::VARCHAR[]))
          and c.file_sha256 in (select unnest($sha::VARCHAR[])) and c.merlin_id is not null
          and c.la_code in (select distinct la_code from raw.merlin_notifications
                            where la_code in (select unnest($la::VARCHAR[])))
          and not exists (select 1 from raw.merlin_notifications n
                          where n.la_code = c.la_code and n.merlin_id = c.merlin_id)
        order by c.file_sha256, c.source_row
        """,
        {"sha": sha256s, "la": la_codes},
    ).df()


def record_files(con: duckdb.DuckDBPyConnection, entries: list[dict],
                 quality: list[pd.DataFrame]) -> None:
    """Keep the loaded tables' accounting in meta.loaded_files and meta.data_quality (one insert
    each); quality[i] holds entries[i]'s data-quality rows."""
    files = pd.DataFrame({
        "file_sha256": [e["sha256"] for e in entries],
        "source_file": [e["source_file"] for e in entries],
        "la_code": [e["la_code"] for e in entries],
        "extract": [e["extract"] for e in entries],
        "sheet": pd.Series([e["sheet"] for e in entries], dtype="string"),
        "extract_date": pd.Series([e["extract_date"] for e in entries], dtype="object"),
        "rows_read": [int(e["rows_read"]) for e in entries],
        "rows_loaded": [int(e["rows_loaded"]) for e in entries],
        "rows_rejected": [int(e["rows_rejected"]) for e in entries],
        "rows_flagged": [int(e["rows_flagged"]) for e in entries],
    })
    con.register("_ingest_files", files)
    try:
        con.execute("insert into meta.loaded_files select file_sha256, source_file, la_code, "
                    "extract, sheet, extract_date::DATE, rows_read, rows_loaded, rows_rejected, "
                    "rows_flagged, current_timestamp from _ingest_files")
    finally:
        con.unregister("_ingest_files")
    kept = [(e["sha256"], q) for e, q in zip(entries, quality) if len(q)]
    if not kept:
        return
    q = pd.concat([q for _sha, q in kept], ignore_index=True)
    frame = pd.DataFrame({
        "file_sha256": np.repeat([sha for sha, _q in kept], [len(q) for _sha, q in kept]),
        "source_file": q["file"].astype(str),
        "sheet": q["sheet"].astype("string"), "row": q["row"].astype("int64"),
        "column": q["column"].astype(str), "rule": q["rule"].astype(str),
        "value": q["value"].astype("string"), "severity": q["severity"].astype(str),
    })
    con.register("_ingest_quality", frame)
    try:
        con.execute("insert into meta.data_quality select * from _ingest_quality")
    finally:
        con.unregister("_ingest_quality")
