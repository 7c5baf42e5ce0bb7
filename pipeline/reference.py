"""Published DfE and ONS reference files -> the `reference.*` tables (docs/architecture.md).

Each CSV under the reference folder is recognised by its columns, never by its name (the demo's
synthetic files are called `SYNTHETIC_*.csv`). A file whose marker columns match a known shape but
which lacks a column that shape needs is an `InputError`; a file matching no shape is ignored and
listed, with the reason, in the summary `load_reference` returns.

What goes where (the details are in docs/benchmarks.md):

* `reference.published` holds one row per area, catalogue indicator and year ending 31 March, with
  the DfE suppression symbol kept in `symbol` and `value` NULL (never zero, never back-calculated).
* Rates that the DfE file does not publish are derived here as the published count divided by the
  ONS mid-(Y-1) population of children aged 0-17, times 10,000.
* The same figure published by two releases (the 2024 and 2025 CLA files overlap) is taken from the
  release whose latest year is the later one: revised figures win.
* Region rows are kept under their published names; "London" is the London region row itself. Inner
  and Outer London are never added up to make London.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import catalogue
from pipeline.errors import InputError

log = logging.getLogger("lscb.reference")

# Published symbols: c suppressed, x not available (old SFR files: suppressed), z not applicable,
# k rounds to 0, low/u low reliability, : and .. not available, #VALUE! an SFR spreadsheet error.
SYMBOLS = frozenset({"c", "x", "z", "k", "low", "u", ":", "..", "#VALUE!"})

TABLES = ("local_authorities", "population", "published", "statistical_neighbours")

# Benchmarks the reference folder does not publish at all (no CP plans ended table is in it).
NOT_PUBLISHED = {
    "cpp_ended": "CP plans ended (DfE table D7) is not among the reference files",
    "cpp_ended_3_months_or_less_percent": "CP plans ended by duration (DfE table D7) is not among "
                                          "the reference files",
    "cpp_ended_2_years_or_more_percent": "CP plans ended by duration (DfE table D7) is not among "
                                         "the reference files",
}

# Rates derived from a published count and the ONS population when the file has no rate column.
DERIVED_RATES = {
    "referral_count": "referral_rate_per_10k",
    "cpp_at_31_march": "cpp_rate_per_10k",
    "cla_at_31_march": "cla_rate_per_10k",
}

LEVELS = {"national": "england", "regional": "region", "local authority": "la"}
SFR_LEVELS = {"NATIONAL": "england", "REGION": "region", "LA": "la"}
DFE_GEO = ("time_period", "geographic_level", "region_name", "old_la_code", "la_name")
SFR_GEO = ("geog_l", "geog_c", "geog_n")
LONDON_NAMES = {"london", "inner london", "outer london", "london (inner)", "london (outer)"}

PUB_COLUMNS = ["area_level", "la_code", "area_name", "benchmark", "year", "value", "symbol",
               "source_file", "release", "priority"]


@dataclass
class Parsed:
    """What one file contributes to each reference table (rows as tuples)."""

    published: list[tuple] | None = None
    population: list[tuple] | None = None
    neighbours: list[tuple] | None = None
    authorities: list[tuple] | None = None


@dataclass(frozen=True)
class Shape:
    name: str
    title: str
    markers: tuple[str, ...]  # regexes: every one must match a column for the file to be this shape
    required: tuple[str, ...]  # columns (regexes) the reader needs
    reader: Callable[[pd.DataFrame, "FileCtx"], Parsed] | None  # None: known, deliberately unused
    unused_reason: str = ""


@dataclass(frozen=True)
class FileCtx:
    path: Path
    rel: str


# ---------------------------------------------------------------------------------------------
# Cell parsing


def _cell(raw: str, ctx: FileCtx, row: int, column: str) -> tuple[float | None, str | None] | None:
    """(value, symbol) of a published cell; None when the cell is empty (nothing published)."""
    s = raw.strip()
    if s == "":
        return None
    try:
        return float(s.replace(",", "")), None
    except ValueError:
        pass
    if s in SYMBOLS or s.lower() in SYMBOLS:
        return None, s
    raise InputError(
        f"value {s!r} is neither a number nor a DfE symbol ({', '.join(sorted(SYMBOLS))})",
        file=ctx.rel, row=row, column=column, rule="published value")


def _year(raw: str, ctx: FileCtx, row: int, column: str = "time_period") -> int:
    s = raw.strip()
    if not re.fullmatch(r"\d{4}", s):
        raise InputError(f"{column} {s!r} is not a four-digit year", file=ctx.rel, row=row,
                         column=column, rule="year")
    return int(s)


def _la_code(raw: str) -> str:
    s = raw.strip()
    if s.endswith(".0"):
        s = s[:-2]
    return s.zfill(3) if s.isdigit() else s


def _region_title(name: str) -> str:
    """SFR region names are upper case ('EAST OF ENGLAND'); give them the DfE's spelling."""
    words = name.strip().lower().split()
    small = {"of", "and", "the", "upon", "on"}
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))


def _dfe_geo(rec: dict, ctx: FileCtx, row: int) -> tuple[str, str | None, str] | None:
    """(area_level, la_code, area_name) of a row of a DfE tidy file; None for other levels."""
    level = LEVELS.get(rec["geographic_level"].strip().lower())
    if level == "england":
        return level, None, "England"
    if level == "region":
        return level, None, rec["region_name"].strip()
    if level == "la":
        code = _la_code(rec["old_la_code"])
        if not code:
            raise InputError("local authority row without a code", file=ctx.rel, row=row,
                             column="old_la_code", rule="required value")
        return level, code, rec["la_name"].strip()
    return None


def _sfr_geo(rec: dict) -> tuple[str, str | None, str] | None:
    level = SFR_LEVELS.get(rec["geog_l"].strip().upper())
    if level == "england":
        return level, None, "England"
    if level == "region":
        return level, None, _region_title(rec["geog_n"])
    if level == "la":
        return level, _la_code(rec["geog_c"]), rec["geog_n"].strip()
    return None


def _rows(df: pd.DataFrame) -> Iterator[tuple[int, dict]]:
    """(line number as the analyst sees it, record) for each data row."""
    for i, rec in enumerate(df.to_dict("records")):
        yield i + 2, rec


# ---------------------------------------------------------------------------------------------
# Readers, one per shape


def _tidy(df: pd.DataFrame, ctx: FileCtx, columns: dict[str, str]) -> Parsed:
    """A DfE tidy file with one column per published measure: {column: benchmark key}."""
    release = max(_year(v, ctx, r) for r, v in enumerate(df["time_period"], start=2))
    out, las = [], []
    for row, rec in _rows(df):
        geo = _dfe_geo(rec, ctx, row)
        if geo is None:
            continue
        year = _year(rec["time_period"], ctx, row)
        for column, key in columns.items():
            cell = _cell(rec[column], ctx, row, column)
            if cell is not None:
                out.append((*geo, key, year, *cell, ctx.rel, release, 1))
        if geo[0] == "la":
            las.append((geo[1], geo[2], rec["region_name"].strip(), year))
    return Parsed(published=out, authorities=las)


def _read_c1(df, ctx):
    return _tidy(df, ctx, {"referral_count": "referral_count",
                           "rereferral_percent": "rereferral_percent",
                           "no_further_action_percent": "no_further_action_percent"})


def _read_d3(df, ctx):
    return _tidy(df, ctx, {"CPP_start": "cpp_started",
                           "CPP_subsequent_percent": "cpp_subsequent_percent"})


def _read_d5(df, ctx):
    return _tidy(df, ctx, {"CPP_At31": "cpp_at_31_march",
                           "3_months_or_less_percent": "cpp_open_3_months_or_less_percent",
                           "2_years_or_more_percent": "cpp_open_2_years_or_more_percent"})


def _read_population(df, ctx):
    out, las = [], []
    for row, rec in _rows(df):
        geo = _dfe_geo(rec, ctx, row)
        if geo is None or not re.search(r"0 to 17", rec["age_group"]):
            continue
        cell = _cell(rec["population_estimate"], ctx, row, "population_estimate")
        if cell is None or cell[0] is None:
            continue
        out.append((*geo, _year(rec["time_period"], ctx, row), round(cell[0])))
        if geo[0] == "la":
            las.append((geo[1], geo[2], rec["region_name"].strip(),
                        _year(rec["time_period"], ctx, row)))
    return Parsed(population=out, authorities=las)


def _typed_rows(df, ctx, type_column, patterns, value_columns):
    """A DfE file with a column naming the measure (`type_column`) and value columns:
    patterns maps a regex on the measure to {value column: benchmark key}."""
    release = max(_year(v, ctx, r) for r, v in enumerate(df["time_period"], start=2))
    out, las = [], []
    for row, rec in _rows(df):
        geo = _dfe_geo(rec, ctx, row)
        if geo is None:
            continue
        year = _year(rec["time_period"], ctx, row)
        if geo[0] == "la":
            las.append((geo[1], geo[2], rec["region_name"].strip(), year))
        for pattern, targets in patterns.items():
            if re.search(pattern, rec[type_column], flags=re.IGNORECASE):
                for column, key in targets.items():
                    cell = _cell(rec[value_columns[column]], ctx, row, value_columns[column])
                    if cell is not None:
                        out.append((*geo, key, year, *cell, ctx.rel, release, 1))
    return Parsed(published=out, authorities=las)


CLA_TYPES = {
    r"looked after (on|at) 31 march": {"count": "cla_at_31_march", "rate": "cla_rate_per_10k"},
    r"starting to be looked after": {"count": "cla_started"},
    r"ceasing to be looked after": {"count": "cla_ceased"},
}
STABILITY_TYPES = {
    r"3 or more placements during the year": {"percent": "cla_3plus_placements_percent"},
    r"same (carer|placement) for at least 2 years": {"percent": "cla_long_term_stability_percent"},
}


def _read_cla(df, ctx):
    return _typed_rows(df, ctx, "population_type", CLA_TYPES,
                       {"count": "children_count", "rate": "rate_per_10000"})


def _read_cla_2024(df, ctx):
    # The 2024 release names the measure column `population_count` and the count `number`.
    return _typed_rows(df, ctx, "population_count", CLA_TYPES,
                       {"count": "number", "rate": "rate_per_10000"})


def _read_stability(df, ctx):
    return _typed_rows(df, ctx, "placement_stability", STABILITY_TYPES,
                       {"percent": "children_percent"})


def _read_stability_old(df, ctx):
    return _typed_rows(df, ctx, "characteristic", STABILITY_TYPES, {"percent": "percentage"})


def _sfr_year_column(df: pd.DataFrame, prefix: str) -> tuple[str, int]:
    column = next(c for c in df.columns if re.fullmatch(prefix + r"\d{4}", c))
    return column, int(column[-4:])


def _read_sfr_cla(df, ctx):
    column, year = _sfr_year_column(df, "CLA_Mar")
    has_3pla = "CLA_3Pla" in df.columns  # dropped from the 2015 release
    out, las = [], []
    for row, rec in _rows(df):
        geo = _sfr_geo(rec)
        if geo is None:
            continue
        if geo[0] == "la":
            las.append((geo[1], geo[2], None, year))
        cla = _cell(rec[column], ctx, row, column)
        if cla is None:
            continue
        out.append((*geo, "cla_at_31_march", year, *cla, ctx.rel, year, 1))
        if has_3pla:
            pla = _cell(rec["CLA_3Pla"], ctx, row, "CLA_3Pla")
            if pla is None:
                continue
            if pla[1] or cla[1]:
                # A suppressed part makes the percent missing, with that part's symbol.
                out.append((*geo, "cla_3plus_placements_percent", year, None,
                            pla[1] or cla[1], ctx.rel, year, 1))
            elif cla[0]:
                out.append((*geo, "cla_3plus_placements_percent", year,
                            100 * pla[0] / cla[0], None, ctx.rel, year, 1))
    return Parsed(published=out, authorities=las)


def _sfr_single(df, ctx, column, year, key):
    out = []
    for row, rec in _rows(df):
        geo = _sfr_geo(rec)
        if geo is None:
            continue
        cell = _cell(rec[column], ctx, row, column)
        if cell is not None:
            out.append((*geo, key, year, *cell, ctx.rel, year, 1))
    return Parsed(published=out)


def _read_sfr_adm(df, ctx):
    column, year = _sfr_year_column(df, "CLA_started")
    return _sfr_single(df, ctx, column, year, "cla_started")


def _read_sfr_cea(df, ctx):
    # The ceased file has no year in its columns: it is the last 20xx in the file name.
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", ctx.path.name)
    if not years:
        raise InputError("cannot tell the year of an SFR children-ceased file: its name holds no "
                         "20xx year", file=ctx.rel, column="CLA_cease", rule="year")
    return _sfr_single(df, ctx, "CLA_cease", int(years[-1]), "cla_ceased")


def _neighbour_model(ctx: FileCtx, closeness: list[str]) -> str:
    """The 2021-format wide file (LAIT) is used for both models: tell them apart by the year in
    the name, else by 'Extremely close', a band only the 2025 model has."""
    years = set(re.findall(r"(?<!\d)(2021|2025)(?!\d)", ctx.path.name))
    if len(years) == 1:
        return years.pop()
    return "2025" if any("extremely" in c.lower() for c in closeness) else "2021"


def _read_sn_wide(df, ctx, code_column, name_column, region_column, sn_format, model=None):
    cols = list(df.columns)
    pairs = []
    for k in range(1, 11):
        i = cols.index(sn_format.format(k))
        pairs.append((k, cols[i], cols[i + 1]))  # the closeness column follows each neighbour
    rows = []
    for _row, rec in _rows(df):
        la = _la_code(rec[code_column])
        for rank, sn_col, close_col in pairs:
            sn = _la_code(rec[sn_col])
            if sn.isdigit():  # '-' for councils the model does not cover
                rows.append((la, rank, sn, rec[close_col].strip()))
    if model is None:
        model = _neighbour_model(ctx, [r[3] for r in rows])
    las = [(_la_code(r[code_column]), r[name_column].strip(), r[region_column].strip(), 0)
           for r in df.to_dict("records") if _la_code(r[code_column]).isdigit()]
    return Parsed(neighbours=[(model, *r) for r in rows], authorities=las)


def _read_sn_2021(df, ctx):
    return _read_sn_wide(df, ctx, "LA num", "LA Name", "GOReg", "SN{}")


def _read_sn_2025(df, ctx):
    return _read_sn_wide(df, ctx, "old_la_code", "la_name", "region_name", "SN_{}", model="2025")


def _read_sn_long(df, ctx):
    rows = []
    for row, rec in _rows(df):
        m = re.match(r"(2021|2025)", rec["model"].strip())
        if not m:
            raise InputError(f"unknown statistical neighbour model {rec['model']!r}",
                             file=ctx.rel, row=row, column="model", rule="model 2021 or 2025")
        sn = _la_code(rec["sn_old_code"])
        if sn.isdigit():
            rows.append((m.group(1), _la_code(rec["la_old_code"]), int(rec["rank"]), sn,
                         rec["closeness"].strip()))
    return Parsed(neighbours=rows)


SN_2021_REQUIRED = ("LA num", "LA Name", "GOReg", *(f"SN{k}" for k in range(1, 11)), "SNP.*")
SN_2025_REQUIRED = ("old_la_code", "la_name", "region_name",
                    *(f"SN_{k}" for k in range(1, 11)), *(f"SN_{k}P" for k in range(1, 11)))

SHAPES: tuple[Shape, ...] = (
    Shape("c1", "DfE C1 referrals and re-referrals", ("referral_count",),
          (*DFE_GEO, "referral_count", "rereferral_percent", "no_further_action_percent"),
          _read_c1),
    Shape("d3", "DfE D3 CP plans starting, second or subsequent", ("CPP_subsequent",),
          (*DFE_GEO, "CPP_start", "CPP_subsequent_percent"), _read_d3),
    Shape("d5", "DfE D5 CP plans at 31 March by duration", ("CPP_At31",),
          (*DFE_GEO, "CPP_At31", "3_months_or_less_percent", "2_years_or_more_percent"),
          _read_d5),
    Shape("ons_population", "ONS mid-year estimates of children (DfE)",
          ("age_group", "population_estimate"), (*DFE_GEO, "age_group", "population_estimate"),
          _read_population),
    Shape("cla_number", "DfE children looked after, number and rate",
          ("population_type", "children_count"),
          (*DFE_GEO, "population_type", "children_count", "rate_per_10000"), _read_cla),
    Shape("cla_number_2024", "DfE children looked after, number and rate (2024 release)",
          ("population_count", "rate_per_10000"),
          (*DFE_GEO, "population_count", "number", "rate_per_10000"), _read_cla_2024),
    Shape("cla_stability", "DfE placement stability", ("cla_group", "placement_stability"),
          (*DFE_GEO, "placement_stability", "children_percent"), _read_stability),
    Shape("cla_stability_2022", "DfE placement stability (2022 release)",
          ("cla_group", "characteristic"), (*DFE_GEO, "characteristic", "percentage"),
          _read_stability_old),
    Shape("sfr_cla", "SFR underlying data, children looked after at 31 March", (r"CLA_Mar\d{4}",),
          (*SFR_GEO, r"CLA_Mar\d{4}"), _read_sfr_cla),
    Shape("sfr_started", "SFR underlying data, children starting to be looked after",
          (r"CLA_started\d{4}",), (*SFR_GEO, r"CLA_started\d{4}"), _read_sfr_adm),
    Shape("sfr_ceased", "SFR underlying data, children ceasing to be looked after",
          ("CLA_cease", "CLA_cease16"), (*SFR_GEO, "CLA_cease"), _read_sfr_cea),
    Shape("sn_2025_wide", "DfE statistical neighbours, 2025 model", ("SN_1", "SN_1P"),
          SN_2025_REQUIRED, _read_sn_2025),
    Shape("sn_wide", "DfE statistical neighbours (April 2021 layout)", ("LA num", "SN1"),
          SN_2021_REQUIRED, _read_sn_2021),
    Shape("sn_long", "statistical neighbours, long", ("sn_old_code", "rank"),
          ("model", "la_old_code", "rank", "sn_old_code", "closeness"), _read_sn_long),
    # Known files the benchmarks do not use.
    Shape("sfr_adoptions", "", ("CLA_ceaAdop",), (), None,
          "SFR adoptions file: adoption indicators are not in the catalogue"),
    Shape("cin_b1", "", ("Anypoint_episodes",), (), None,
          "children in need counts: no catalogue indicator uses them"),
)


# ---------------------------------------------------------------------------------------------
# Loading


def _header(path: Path) -> tuple[list[str], str]:
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            with path.open(newline="", encoding=encoding) as f:
                return next(csv.reader(f), []), encoding
        except UnicodeDecodeError:
            continue
    return [], "latin-1"


def _has(columns: list[str], pattern: str) -> bool:
    return any(re.fullmatch(pattern, c) for c in columns)


def _recognise(columns: list[str], ctx: FileCtx) -> Shape | None:
    for shape in SHAPES:
        if all(_has(columns, m) for m in shape.markers):
            missing = [c for c in shape.required if not _has(columns, c)]
            if missing:
                raise InputError(
                    f"reference file looks like {shape.title} but lacks the columns "
                    f"{', '.join(missing)}", file=ctx.rel, column=", ".join(missing),
                    rule="required columns")
            return shape
    return None


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _empty_summary() -> dict:
    return {"reference_dir": None, "files": [], "ignored": [], "rows": {t: 0 for t in TABLES},
            "absent": dict(NOT_PUBLISHED)}


def load_reference(con: duckdb.DuckDBPyConnection, reference_dir: Path | None) -> dict:
    """Replace the `reference.*` tables with what the published files in `reference_dir` hold.

    Returns a summary for the run manifest: `files` read (path, shape, rows), `ignored` files with
    the reason, `rows` per table, and `absent` benchmark keys with the reason they are absent.
    `reference_dir` None, missing or empty: the tables are left empty.
    """
    for table in TABLES:
        con.execute(f"delete from reference.{table}")  # names from the fixed TABLES list
    summary = _empty_summary()
    if reference_dir is None or not Path(reference_dir).is_dir():
        summary["absent"].update({k: "no reference folder" for k in _catalogue_keys()})
        log.info("reference: no folder, nothing loaded")
        return summary
    root = Path(reference_dir)
    summary["reference_dir"] = str(root)
    parsed: list[Parsed] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        ctx = FileCtx(path, path.relative_to(root).as_posix())
        if path.suffix.lower() != ".csv":
            summary["ignored"].append({"file": ctx.rel, "reason": "not a CSV file"})
            continue
        columns, encoding = _header(path)
        columns = [c.strip() for c in columns]
        shape = _recognise(columns, ctx)
        if shape is None:
            summary["ignored"].append({"file": ctx.rel, "reason": "columns not recognised"})
            continue
        if shape.reader is None:
            summary["ignored"].append({"file": ctx.rel, "reason": shape.unused_reason})
            continue
        result = shape.reader(_read_csv(path, encoding), ctx)
        parsed.append(result)
        n = sum(len(x or []) for x in (result.published, result.population, result.neighbours))
        summary["files"].append({"file": ctx.rel, "shape": shape.name, "rows": n})
    _write(con, parsed, summary)
    log.info("reference: %d files read, %d ignored; rows %s", len(summary["files"]),
             len(summary["ignored"]), summary["rows"])
    return summary


def _catalogue_keys() -> list[str]:
    return [i.benchmark for i in catalogue.load() if i.benchmark]


def _write(con: duckdb.DuckDBPyConnection, parsed: list[Parsed], summary: dict) -> None:
    pop = pd.DataFrame([r for p in parsed for r in (p.population or [])],
                       columns=["area_level", "la_code", "area_name", "mid_year", "population"])
    pop = pop.drop_duplicates(["area_level", "la_code", "area_name", "mid_year"], keep="last")

    pub = pd.DataFrame([r for p in parsed for r in (p.published or [])], columns=PUB_COLUMNS)
    pub = pd.concat([pub, _derive_rates(pub, pop)], ignore_index=True)
    # One figure per area, key and year: a published rate beats a derived one, then the latest
    # release wins (revisions), then the file read last.
    pub["area_key"] = pub["la_code"].fillna(pub["area_name"].str.lower())
    pub = (pub.sort_values(["priority", "release"], kind="stable")
              .drop_duplicates(["area_level", "area_key", "benchmark", "year"], keep="last"))
    ids = {i.benchmark: i.id for i in catalogue.load() if i.benchmark}
    pub = pub[pub["benchmark"].isin(ids)]
    pub = pub.assign(indicator_id=pub["benchmark"].map(ids),
                     year_ending=pd.to_datetime(pub["year"].astype(str) + "-03-31").dt.date)
    pub = pub[["area_level", "la_code", "area_name", "indicator_id", "year_ending", "value",
               "symbol", "source_file"]].sort_values(["indicator_id", "year_ending", "area_level",
                                                      "la_code", "area_name"])

    sn = pd.DataFrame([(i, *r) for i, p in enumerate(parsed) for r in (p.neighbours or [])],
                      columns=["source", "model", "la_code", "rank", "sn_la_code", "closeness"])
    # Several files give the same model (DfE and LAIT copies): each council's list comes whole
    # from the first file, in path order, that has it.
    first = sn.groupby(["model", "la_code"])["source"].transform("min")
    sn = (sn[sn["source"] == first].drop(columns="source")
            .drop_duplicates(["model", "la_code", "rank"])
            .sort_values(["model", "la_code", "rank"]))

    las = pd.DataFrame([r for p in parsed for r in (p.authorities or [])],
                       columns=["la_code", "la_name", "region_name", "year"])
    las = (las.assign(has_region=las["region_name"].notna())
              .sort_values(["has_region", "year"], kind="stable")
              .drop_duplicates("la_code", keep="last"))
    las["is_london"] = las["region_name"].fillna("").str.lower().isin(LONDON_NAMES)
    las = las[["la_code", "la_name", "region_name", "is_london"]].sort_values("la_code")

    for table, frame in (("local_authorities", las), ("population", pop), ("published", pub),
                         ("statistical_neighbours", sn)):
        if len(frame):
            con.register("_reference_frame", frame)
            con.execute(f"insert into reference.{table} by name select * from _reference_frame")
            con.unregister("_reference_frame")
        summary["rows"][table] = len(frame)

    present = set(pub["indicator_id"])
    for bench_key, ind_id in ids.items():
        if ind_id not in present and bench_key not in summary["absent"]:
            summary["absent"][bench_key] = ("no population estimates to derive the rate from"
                                            if bench_key in DERIVED_RATES.values() and pop.empty
                                            else "no reference file publishes it")
    sn_models = sorted(set(sn["model"]))
    summary["statistical_neighbour_models"] = sn_models


def _derive_rates(pub: pd.DataFrame, pop: pd.DataFrame) -> pd.DataFrame:
    """Rate per 10,000 = published count / ONS mid-(Y-1) population of the same area * 10,000.

    A suppressed count gives a missing rate with the count's symbol; an area or year without a
    population estimate gives no rate at all.
    """
    counts = pub[pub["benchmark"].isin(DERIVED_RATES)].copy()
    if counts.empty or pop.empty:
        return pd.DataFrame(columns=PUB_COLUMNS)
    counts["area_key"] = counts["la_code"].fillna(counts["area_name"].str.lower())
    counts["mid_year"] = counts["year"] - 1
    p = pop.assign(area_key=pop["la_code"].fillna(pop["area_name"].str.lower()))
    merged = counts.merge(p[["area_level", "area_key", "mid_year", "population"]],
                          on=["area_level", "area_key", "mid_year"], how="inner")
    merged = merged[merged["population"] > 0]
    merged["value"] = merged["value"] / merged["population"] * 10000
    merged["benchmark"] = merged["benchmark"].map(DERIVED_RATES)
    merged["priority"] = 0
    merged["source_file"] = merged["source_file"] + " / ONS population"
    return merged[PUB_COLUMNS]
