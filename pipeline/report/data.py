"""Read what the pack needs from the warehouse, tolerating tables that are empty or missing.

Every query binds its values as parameters; table names come only from the fixed allow-list
below. A missing table yields an empty frame, so the pack can say "not available" instead of
failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

log = logging.getLogger("lscb.report")

BREAKDOWNS = {
    "contacts_by_source": "Contacts by source",
    "contacts_by_outcome": "Contacts by MASH outcome",
    "cp_plans_by_category": "Children on a CP plan by latest category of abuse",
    "cla_by_placement_type": "Children looked after by placement type",
    "cla_by_legal_status": "Children looked after by legal status",
    "cla_placements_count": "Children looked after by number of placements in 12 months",
}
# The indicator whose count each breakdown adds up to (so its total is known elsewhere in the pack).
BREAKDOWN_TOTAL_OF = {
    "contacts_by_source": "mash_contacts",
    "contacts_by_outcome": "mash_contacts",
    "cp_plans_by_category": "cp_children",
    "cla_by_placement_type": "cla_children",
    "cla_by_legal_status": "cla_children",
    "cla_placements_count": "cla_children",
}
_COUNT_COLUMNS = ("count", "children_or_count", "children", "n", "value")

_TABLES = {
    "marts.indicators", "marts.indicator_availability", "marts.benchmarks",
    "marts.reconciliation", "reference.published", "reference.statistical_neighbours",
    "reference.local_authorities", "meta.loaded_files", "meta.data_quality",
    *(f"marts.{name}" for name in BREAKDOWNS),
}


@dataclass
class PackData:
    la_code: str
    period_end: date
    la_name: str
    indicators: pd.DataFrame
    availability: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame | None]
    benchmarks: pd.DataFrame | None
    reconciliation: pd.DataFrame | None
    neighbours: pd.DataFrame  # published values of the council, its neighbours, London, England
    neighbour_codes: list[str]
    loaded_files: pd.DataFrame
    data_quality: pd.DataFrame
    missing_tables: list[str] = field(default_factory=list)


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name]).fetchone()
    return bool(row and row[0])


def _query(con, qualified: str, where: str = "", params: list | None = None) -> pd.DataFrame | None:
    """`select *` from an allow-listed table, or None when the table does not exist."""
    if qualified not in _TABLES:
        raise ValueError(f"table {qualified} is not one the pack reads")
    if not table_exists(con, qualified):
        return None
    return con.execute(f"select * from {qualified} {where}", params or []).df()


def breakdown(con, name: str, la_code: str, period_end: date) -> pd.DataFrame | None:
    """One breakdown at the period end as (category, count), or None when the table is missing."""
    df = _query(con, f"marts.{name}", "where la_code = ? and period_end = ?", [la_code, period_end])
    if df is None:
        return None
    count_col = next((c for c in _COUNT_COLUMNS if c in df.columns), None)
    if count_col is None or "category" not in df.columns:
        log.warning("breakdown %s lacks a category or count column", name)
        return None
    out = df[["category", count_col]].rename(columns={count_col: "count"})
    out["category"] = out["category"].astype(str)
    return out.groupby("category", as_index=False, sort=False)["count"].sum()


def load(con: duckdb.DuckDBPyConnection, *, la_code: str, period_end: date,
         sn_model: str) -> PackData:
    """Everything the pack shows, for one council and period."""
    missing: list[str] = []

    def q(qualified, where="", params=None, empty_columns=()):
        df = _query(con, qualified, where, params)
        if df is None:
            missing.append(qualified)
            return pd.DataFrame(columns=list(empty_columns))
        return df

    indicators = q("marts.indicators", "where la_code = ? and period_end <= ? "
                   "order by indicator_id, \"window\", period_end", [la_code, period_end],
                   ("la_code", "indicator_id", "period_end", "window", "numerator",
                    "denominator", "value"))
    if not indicators.empty:
        indicators["period_end"] = pd.to_datetime(indicators["period_end"]).dt.date
    availability = q("marts.indicator_availability", "where la_code = ?", [la_code],
                     ("la_code", "indicator_id", "is_available", "reason"))
    breakdowns = {name: breakdown(con, name, la_code, period_end) for name in BREAKDOWNS}
    missing += [f"marts.{n}" for n, df in breakdowns.items() if df is None]
    benchmarks = _query(con, "marts.benchmarks")
    if benchmarks is None:
        missing.append("marts.benchmarks")
    reconciliation = _query(con, "marts.reconciliation")
    if reconciliation is None:
        missing.append("marts.reconciliation")

    sn = q("reference.statistical_neighbours", "where model = ? and la_code = ? order by rank",
           [sn_model, la_code], ("model", "la_code", "rank", "sn_la_code", "closeness"))
    neighbour_codes = [str(c) for c in sn["sn_la_code"]]
    neighbours = q("reference.published",
                   "where area_level in ('england', 'region') or la_code = ? "
                   "or la_code in (select unnest(?::varchar[]))",
                   [la_code, neighbour_codes],
                   ("area_level", "la_code", "area_name", "indicator_id", "year_ending", "value",
                    "symbol"))
    if not neighbours.empty:
        neighbours["year_ending"] = pd.to_datetime(neighbours["year_ending"]).dt.date

    las = q("reference.local_authorities", "where la_code = ?", [la_code], ("la_name",))
    la_name = str(las["la_name"].iloc[0]) if not las.empty else f"Council {la_code}"
    if la_name.startswith("Council") and not neighbours.empty:
        own = neighbours[(neighbours["la_code"] == la_code) & neighbours["area_name"].notna()]
        if not own.empty:
            la_name = str(own["area_name"].iloc[0])

    loaded = q("meta.loaded_files", "where la_code = ? or la_code is null order by source_file",
               [la_code], ("source_file", "extract", "rows_read", "rows_loaded", "rows_rejected",
                           "rows_flagged"))
    # This council's files only: a hub's warehouse holds every council's.
    dq = q("meta.data_quality", "where file_sha256 in (select file_sha256 from meta.loaded_files "
           "where la_code = ? or la_code is null)", [la_code], ("source_file", "rule", "severity"))
    if missing:
        log.info("pack: %d warehouse tables missing", len(missing))
    return PackData(la_code, period_end, la_name, indicators, availability, breakdowns,
                    benchmarks, reconciliation, neighbours, neighbour_codes, loaded, dq, missing)
