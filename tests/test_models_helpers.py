"""Helpers for the SQL model tests: load a few rows into raw.* / reference.*, build, read back.

No tests here; the test_models_*.py files import these.
"""

from __future__ import annotations

from datetime import date

from pipeline import models, warehouse


def new_warehouse():
    """An empty in-memory warehouse with the raw, meta and reference tables."""
    return warehouse.connect()


def insert(con, table: str, rows: list[dict], *, la_code: str = "311",
           extract_date: date | None = None) -> None:
    """Insert rows (dicts of raw column -> value) into raw.<table>, with provenance filled in."""
    if table not in warehouse.RAW_TABLES:
        raise ValueError(f"unknown raw table {table}")
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = ?", [table]).fetchall()}
    for n, row in enumerate(rows, start=2):
        full = {"la_code": la_code, "extract_date": extract_date, "source_file": f"{table}.csv",
                "source_row": n, "file_sha256": "0" * 64, **row}
        unknown = set(full) - columns
        if unknown:
            raise ValueError(f"raw.{table} has no column(s) {sorted(unknown)}")
        names = list(full)
        con.execute(
            f"insert into raw.{table} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
            [full[c] for c in names],
        )


def population(con, la_code: str, by_mid_year: dict[int, int]) -> None:
    for mid_year, value in by_mid_year.items():
        con.execute(
            "insert into reference.population values ('la', ?, 'Test council', ?, ?)",
            [la_code, mid_year, value],
        )


def build(con, as_of: date | None = None) -> list[str]:
    return models.build(con, as_of=as_of)


def indicator(con, indicator_id: str, period_end: date, window: str, la_code: str = "311"):
    """(numerator, denominator, value) of one indicator row, or None when there is no row."""
    rows = con.execute(
        'select numerator, denominator, value from marts.indicators where la_code = ? '
        'and indicator_id = ? and period_end = ? and "window" = ?',
        [la_code, indicator_id, period_end, window],
    ).fetchall()
    assert len(rows) <= 1, f"{len(rows)} rows for {indicator_id} {period_end} {window}"
    return rows[0] if rows else None


def breakdown(con, table: str, period_end: date, la_code: str = "311") -> dict[str, int]:
    """{category: count} of one breakdown mart at one period end."""
    allowed = {"contacts_by_source", "contacts_by_outcome", "cp_plans_by_category",
               "cla_by_placement_type", "cla_by_legal_status", "cla_placements_count"}
    if table not in allowed:
        raise ValueError(f"unknown breakdown {table}")
    return dict(con.execute(
        f"select category, count from marts.{table} where la_code = ? and period_end = ?",
        [la_code, period_end],
    ).fetchall())


def approx(value: float, expected: float) -> bool:
    return value is not None and abs(value - expected) < 1e-9
