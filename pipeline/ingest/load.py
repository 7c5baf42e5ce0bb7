"""Write checked tables into the `raw.*` tables and the `meta` accounting, in one transaction.

A record (its key per warehouse.RAW_TABLES, with `la_code`) is held once: the version from the latest
extract date, ties broken by the later source file path. Loading the same rows twice, or overlapping
drops in any order, therefore gives the same table contents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from ..warehouse import RAW_TABLES
from . import schemas

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


@dataclass
class Batch:
    """One checked table ready to load."""

    extract: str
    rows: pd.DataFrame
    la_code: str
    extract_date: dt.date | None
    source_file: str
    sheet: str | None
    sha256: str


def latest_event_date(extract: str, rows: pd.DataFrame) -> dt.date | None:
    """The latest event date among loadable rows (canonical text sorts as time)."""
    latest = None
    for column in EVENT_COLUMNS[extract]:
        values = rows[column].dropna().str.slice(0, 10)
        if len(values):
            latest = max(latest or "", values.max())
    return dt.date.fromisoformat(latest) if latest else None


def _select_list(extract: str) -> str:
    """Casts from canonical text to the warehouse types; identifiers from the model only."""
    parts = []
    for column, meta in schemas.columns(extract).items():
        kind = meta["kind"]
        if kind == "date":
            parts.append(f'cast("{column}" as DATE)')
        elif kind == "datetime":
            parts.append(f'cast("{column}" as TIMESTAMP)')
        elif kind == "yn":
            parts.append(f"""case "{column}" when 'Y' then true when 'N' then false end""")
        elif kind == "int":
            parts.append(f'cast("{column}" as INTEGER)')
        else:
            parts.append(f'cast("{column}" as VARCHAR)')
    return ", ".join(parts)


def stage(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Append a batch to the run's staging table for its extract."""
    columns = list(schemas.columns(batch.extract))
    frame = batch.rows[columns].astype("string").reset_index(names="source_row")
    con.register("_ingest_batch", frame)
    try:
        con.execute(
            f"insert into _ingest_new_{batch.extract} select {_select_list(batch.extract)}, "
            "?::VARCHAR, ?::DATE, ?::VARCHAR, ?::VARCHAR, source_row::INTEGER, ?::VARCHAR "
            "from _ingest_batch",
            [batch.la_code, batch.extract_date, batch.source_file, batch.sheet, batch.sha256],
        )
    finally:
        con.unregister("_ingest_batch")


def begin_staging(con: duckdb.DuckDBPyConnection, extracts: set[str]) -> None:
    for extract in extracts:
        con.execute(f"create or replace temp table _ingest_new_{extract} as "
                    f"select * from raw.{extract} limit 0")


def merge(con: duckdb.DuckDBPyConnection, extract: str) -> None:
    """Merge the staged rows into raw.<extract>: one row per key, the latest extract's version."""
    keys = ("la_code",) + RAW_TABLES[extract][1]
    same_key = " and ".join(f'a."{k}" is not distinct from b."{k}"' for k in keys)
    newer = (f"(coalesce(b.extract_date, {_NO_DATE}) > coalesce(a.extract_date, {_NO_DATE}) or "
             f"(coalesce(b.extract_date, {_NO_DATE}) = coalesce(a.extract_date, {_NO_DATE}) and "
             f"(b.source_file > a.source_file or (b.source_file = a.source_file "
             f"and b.source_row > a.source_row))))")
    staged = f"_ingest_new_{extract}"
    # Among this run's files: keep each key's latest version.
    con.execute(f"delete from {staged} a where exists (select 1 from {staged} b "
                f"where {same_key} and {newer})")
    # Stored versions that are not later than the staged one give way ...
    newer_or_same = newer.replace("b.source_row > a.source_row", "b.source_row >= a.source_row")
    con.execute(f"delete from raw.{extract} a where exists (select 1 from {staged} b "
                f"where {same_key} and {newer_or_same})")
    # ... and staged rows older than a stored version are not loaded.
    con.execute(f"insert into raw.{extract} select * from {staged} b where not exists "
                f"(select 1 from raw.{extract} a where {same_key})")
    con.execute(f"drop table {staged}")


def unmatched_merlin_ids(con: duckdb.DuckDBPyConnection, sha256: str) -> pd.DataFrame:
    """Contacts of one file whose merlin_id matches no loaded notification of their council.

    Checked only for councils with a MERLIN log loaded: without one every id would be flagged.
    """
    return con.execute(
        """
        select c.source_row as "row", c.merlin_id as value
        from raw.mash_contacts c
        where c.file_sha256 = ? and c.merlin_id is not null
          and exists (select 1 from raw.merlin_notifications n where n.la_code = c.la_code)
          and not exists (select 1 from raw.merlin_notifications n
                          where n.la_code = c.la_code and n.merlin_id = c.merlin_id)
        order by c.source_row
        """,
        [sha256],
    ).df()


def record_file(con: duckdb.DuckDBPyConnection, entry: dict, quality: pd.DataFrame) -> None:
    """Keep a loaded table's accounting in meta.loaded_files and meta.data_quality."""
    con.execute(
        "insert into meta.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
        [entry["sha256"], entry["source_file"], entry["la_code"], entry["extract"], entry["sheet"],
         entry["extract_date"], entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"],
         entry["rows_flagged"]],
    )
    if len(quality):
        frame = pd.DataFrame({
            "file_sha256": entry["sha256"], "source_file": quality["file"].astype(str),
            "sheet": quality["sheet"].astype("string"), "row": quality["row"].astype("int64"),
            "column": quality["column"].astype(str), "rule": quality["rule"].astype(str),
            "value": quality["value"].astype("string"), "severity": quality["severity"].astype(str),
        })
        con.register("_ingest_quality", frame)
        try:
            con.execute("insert into meta.data_quality select * from _ingest_quality")
        finally:
            con.unregister("_ingest_quality")
