"""Benchmarks: the council's value beside England, London and its statistical neighbours.

For each catalogue indicator with a DfE `benchmark` and each year ending 31 March found in
`reference.published` or in `marts.indicators`, one row of `benchmarks.csv` (spec/outputs.md), and
for each year both computed and published, one row of the reconciliation. The rules (see
docs/benchmarks.md):

* The local value is computed when the loaded extracts cover the whole reporting year: the indicator
  has a row in `marts.indicators` for each of the twelve month ends April (Y-1) .. March Y, and its
  value at 31 March Y (window `snapshot`, else `r12`) is not null. Otherwise the published one.
* Neighbours are the ten of the chosen DfE model; mean, median and count are over those with a
  published value that year. Suppressed values are missing, never zero.
* Quartile bands place the local value among every council's published value that year: A (best)
  to D (worst) by polarity, Q1 (lowest) to Q4 (highest) for context indicators.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from pipeline import catalogue
from pipeline.errors import LscbError

log = logging.getLogger("lscb.benchmarks")

MODELS = ("2021", "2025")
MIN_COUNCILS_FOR_BANDS = 4

BENCHMARK_COLUMNS = {
    "indicator_id": "VARCHAR", "year_ending": "DATE", "local_value": "DOUBLE",
    "local_source": "VARCHAR", "england": "DOUBLE", "london": "DOUBLE", "sn_mean": "DOUBLE",
    "sn_median": "DOUBLE", "sn_n": "INTEGER", "sn_model": "VARCHAR", "quartile_band": "VARCHAR",
    "la_name": "VARCHAR", "published_local_value": "DOUBLE",
    "previous_year_local_value": "DOUBLE", "local_symbol": "VARCHAR", "england_symbol": "VARCHAR",
    "london_symbol": "VARCHAR", "notes": "VARCHAR",
}
RECONCILIATION_COLUMNS = {
    "la_code": "VARCHAR", "indicator_id": "VARCHAR", "year_ending": "DATE", "computed": "DOUBLE",
    "published": "DOUBLE", "difference": "DOUBLE", "percent_difference": "DOUBLE",
}


def quartile_band(value: float | None, values: list[float], polarity: str) -> str | None:
    """The band of `value` among `values` (every council's published figure that year).

    Quartiles are numpy's linear-interpolation 25th/50th/75th percentiles; a value on a boundary
    takes the better band (lower_is_better, context: the lower one; higher_is_better: the higher).
    None when the value is missing or fewer than four councils have a value.
    """
    if value is None or pd.isna(value) or len(values) < MIN_COUNCILS_FOR_BANDS:
        return None
    q1, q2, q3 = np.quantile(np.asarray(values, dtype=float), [0.25, 0.5, 0.75])
    if polarity == "higher_is_better":
        return "A" if value >= q3 else "B" if value >= q2 else "C" if value >= q1 else "D"
    position = 1 if value <= q1 else 2 if value <= q2 else 3 if value <= q3 else 4
    if polarity == "lower_is_better":
        return "ABCD"[position - 1]
    return f"Q{position}"


def model_label(sn_model: str, year: int) -> str:
    """'2021', or '2021 (applied to 2013)' for a year before the model was published."""
    return sn_model if year >= int(sn_model) else f"{sn_model} (applied to {year})"


def _month_ends(year: int) -> list[date]:
    """The twelve month ends of the reporting year ending 31 March `year`."""
    months = [(year - 1, m) for m in range(4, 13)] + [(year, m) for m in range(1, 4)]
    return [date(y, m, calendar.monthrange(y, m)[1]) for y, m in months]


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name]).fetchone()[0] > 0


def _computed(con, la_code: str, indicators) -> dict[tuple[str, int], tuple[float | None, bool]]:
    """{(indicator_id, year): (value at 31 March, whether the extracts cover the whole year)}."""
    if not _table_exists(con, "marts", "indicators"):
        return {}
    rows = con.execute(
        'select indicator_id, period_end, "window", value from marts.indicators '
        "where la_code = ?", [la_code]).df()
    if rows.empty:
        return {}
    rows["period_end"] = pd.to_datetime(rows["period_end"]).dt.date
    out = {}
    for ind in indicators:
        window = "snapshot" if "snapshot" in ind.windows else "r12"
        mine = rows[rows["indicator_id"] == ind.id]
        months = set(mine["period_end"])
        march = mine[(mine["window"] == window)
                     & mine["period_end"].map(lambda d: d.month == 3 and d.day == 31)]
        for period_end, value in zip(march["period_end"], march["value"]):
            covered = all(m in months for m in _month_ends(period_end.year))
            out[(ind.id, period_end.year)] = (None if pd.isna(value) else float(value), covered)
    return out


def _value(row) -> tuple[float | None, str | None]:
    if row is None:
        return None, None
    value = None if pd.isna(row["value"]) else float(row["value"])
    symbol = None if pd.isna(row["symbol"]) else str(row["symbol"])
    return value, symbol


def build(con: duckdb.DuckDBPyConnection, la_code: str,
          sn_model: str = "2021") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(benchmarks, reconciliation) for council `la_code`; also written to `marts.benchmarks`
    and `marts.reconciliation`."""
    sn_model = str(sn_model)
    if sn_model not in MODELS:
        raise LscbError(f"statistical neighbour model {sn_model!r} is not one of "
                        f"{', '.join(MODELS)} (setting benchmarks.sn_model)")
    la_code = str(la_code).strip().zfill(3)
    indicators = [i for i in catalogue.load() if i.benchmark]

    pub = con.execute(
        "select area_level, la_code, lower(area_name) as area, indicator_id, "
        "year(year_ending) as year, value, symbol from reference.published").df()
    pub = pub[pub["indicator_id"].isin([i.id for i in indicators])]
    la_rows = pub[pub["area_level"] == "la"]
    by_area = {
        "local": la_rows[la_rows["la_code"] == la_code].set_index(["indicator_id", "year"]),
        "england": pub[pub["area_level"] == "england"].set_index(["indicator_id", "year"]),
        "london": pub[(pub["area_level"] == "region") & (pub["area"] == "london")]
                  .set_index(["indicator_id", "year"]),
    }
    neighbours = [r[0] for r in con.execute(
        "select sn_la_code from reference.statistical_neighbours where model = ? and la_code = ? "
        "order by rank", [sn_model, la_code]).fetchall()]
    names = con.execute("select la_name from reference.local_authorities where la_code = ?",
                        [la_code]).fetchall()
    la_name = names[0][0] if names else None
    computed = _computed(con, la_code, indicators)

    def lookup(area: str, key: tuple[str, int]):
        frame = by_area[area]
        return frame.loc[key] if key in frame.index else None

    rows, recon = [], []
    for ind in indicators:
        years = set(pub.loc[pub["indicator_id"] == ind.id, "year"].astype(int))
        years |= {y for (i, y) in computed if i == ind.id}
        for year in sorted(years):
            key = (ind.id, year)
            notes = []
            published, local_symbol = _value(lookup("local", key))
            comp_value, covered = computed.get(key, (None, False))
            if key in computed and covered and comp_value is not None:
                local_value, source = comp_value, "computed"
                if published is not None:
                    difference = comp_value - published
                    recon.append({
                        "la_code": la_code, "indicator_id": ind.id,
                        "year_ending": date(year, 3, 31), "computed": comp_value,
                        "published": published, "difference": difference,
                        "percent_difference": (100 * difference / published) if published
                        else None})
            else:
                if key in computed:
                    notes.append(f"extracts do not cover the whole year to 31 March {year}"
                                 if not covered else "computed value is empty")
                local_value = published
                source = "published" if lookup("local", key) is not None else None
                if source is None:
                    notes.append("no published figure for this council")
            if local_symbol and local_value is None:
                notes.append(f"published as '{local_symbol}'")

            england, england_symbol = _value(lookup("england", key))
            london, london_symbol = _value(lookup("london", key))
            if lookup("london", key) is None:
                notes.append("no London region figure published (Inner and Outer London are "
                             "not added up)")

            year_la = la_rows[(la_rows["indicator_id"] == ind.id) & (la_rows["year"] == year)]
            sn_values = (year_la[year_la["la_code"].isin(neighbours)]["value"].dropna()
                         .astype(float))
            if not neighbours:
                notes.append(f"no statistical neighbours of the {sn_model} model for {la_code}")
            all_values = year_la["value"].dropna().astype(float).tolist()
            rows.append({
                "indicator_id": ind.id, "year_ending": date(year, 3, 31),
                "local_value": local_value, "local_source": source,
                "england": england, "london": london,
                "sn_mean": float(sn_values.mean()) if len(sn_values) else None,
                "sn_median": float(sn_values.median()) if len(sn_values) else None,
                "sn_n": len(sn_values), "sn_model": model_label(sn_model, year),
                "quartile_band": quartile_band(local_value, all_values, ind.polarity),
                "la_name": la_name, "published_local_value": published,
                "previous_year_local_value": None,
                "local_symbol": local_symbol if local_value is None else None,
                "england_symbol": england_symbol, "london_symbol": london_symbol,
                "notes": "; ".join(notes) or None,
            })

    bench = _frame(rows, BENCHMARK_COLUMNS)
    previous = {(r.indicator_id, r.year_ending.year): r.local_value
                for r in bench.itertuples()} if len(bench) else {}
    if len(bench):
        bench["previous_year_local_value"] = [
            previous.get((i, y.year - 1)) for i, y in zip(bench["indicator_id"],
                                                          bench["year_ending"])]
        bench["previous_year_local_value"] = bench["previous_year_local_value"].astype(float)
    reconciliation = _frame(recon, RECONCILIATION_COLUMNS)
    _write(con, "benchmarks", bench, BENCHMARK_COLUMNS)
    _write(con, "reconciliation", reconciliation, RECONCILIATION_COLUMNS)
    log.info("benchmarks for %s: %d rows (%d computed), %d reconciled", la_code, len(bench),
             int((bench["local_source"] == "computed").sum()) if len(bench) else 0,
             len(reconciliation))
    return bench, reconciliation


def _frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    for name, sql_type in columns.items():
        if sql_type == "DOUBLE":
            frame[name] = frame[name].astype(float)
        elif sql_type == "INTEGER":
            frame[name] = frame[name].astype("int64")
        elif sql_type == "DATE":
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        else:
            frame[name] = frame[name].astype(object)
    return frame


def _write(con, table: str, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    """Replace marts.<table> (a name from this module, never from input) with `frame`."""
    con.execute("create schema if not exists marts")
    ddl = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns.items())
    con.execute(f"create or replace table marts.{table} ({ddl})")
    if len(frame):
        con.register("_benchmark_frame", frame)
        con.execute(f"insert into marts.{table} by name select * from _benchmark_frame")
        con.unregister("_benchmark_frame")
