"""Normalise one table, validate it with its pandera model, and sort rows into loaded and rejected.

The pandera failure cases are the data-quality report: a failure in a field the model marks
`on_invalid="reject"` (or an end date before its start date) rejects the row; any other failure sets
the value to null and flags it. Within one file, a later row with the same record key replaces an
earlier one, which is rejected with the rule `duplicate_key`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..warehouse import RAW_TABLES
from . import normalise, schemas

QUALITY_COLUMNS = ["file", "sheet", "row", "column", "rule", "value", "severity"]
MASK = "[masked]"


@dataclass
class Checked:
    rows: pd.DataFrame  # loadable rows, canonical text, index = analyst row number
    quality: pd.DataFrame  # QUALITY_COLUMNS
    rows_read: int
    rows_rejected: int
    rows_flagged: int


def normalise_table(extract: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Each column to canonical text according to its kind in the model."""
    return pd.DataFrame({column: normalise_column(extract, column, frame[column])
                         for column in schemas.columns(extract)}, index=frame.index)


def normalise_column(extract: str, column: str, s: pd.Series) -> pd.Series:
    """One column of the extract's model to canonical text according to its kind."""
    meta = schemas.columns(extract)[column]
    kind = meta["kind"]
    if kind == "id":
        return normalise.ids(s)
    if kind == "date":
        return normalise.dates(s)
    if kind == "datetime":
        return normalise.datetimes(s)
    if kind == "yn":
        return normalise.yes_no(s)
    if kind == "int":
        return normalise.integers(s)
    if kind == "code":
        allowed = _allowed(extract, column)
        return normalise.codes(s, allowed, schemas.CODE_WORDS.get(meta["codes"] or ""))
    return normalise.text(s)


def _allowed(extract: str, column: str) -> list[str] | None:
    for check in schemas.MODELS[extract].to_schema().columns[column].checks:
        if check.name == "isin":
            return sorted(check.statistics["allowed_values"])
    return None


def rule_name(check: str) -> str:
    """The data-quality rule of a pandera check's name."""
    if check == "not_nullable":
        return "missing_value"
    if check.startswith("isin"):
        return "not_in_code_list"
    return re.sub(r"\(.*\)$", "", check)


def _failures(extract: str, table: pd.DataFrame) -> pd.DataFrame:
    """Pandera's failure cases as (pos, column, rule, value); pos is the table's 0-based position."""
    try:
        schemas.MODELS[extract].validate(table, lazy=True)
        return pd.DataFrame({"pos": pd.Series(dtype="int64"), "column": pd.Series(dtype=str),
                             "rule": pd.Series(dtype=str), "value": pd.Series(dtype="string")})
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
    fc = fc[fc["index"].notna()].copy()
    fc["rule"] = fc["check"].astype(str).map(rule_name)
    end_start = schemas.END_BEFORE_START.get(extract)
    frame_level = fc["schema_context"] == "DataFrameSchema"
    if end_start:
        # pandera lists every column of a failing row; keep the end date's.
        fc = fc[~frame_level | (fc["column"] == end_start[0])]
    else:
        fc = fc[~frame_level]
    out = pd.DataFrame({
        "pos": fc["index"].astype("int64"),
        "column": fc["column"].astype(str),
        "rule": fc["rule"],
        "value": fc["failure_case"].astype("string"),
    })
    return out.drop_duplicates(["pos", "column", "rule"])


@dataclass
class Part:
    """One table of an extract as read: rows as text (index = analyst row number), and its origin."""

    frame: pd.DataFrame
    source_file: str
    sheet: str | None


@dataclass
class CheckedParts:
    """Several tables of one extract checked together.

    `rows` holds every loadable row of every part, with a RangeIndex and two more columns: `_part`
    (the part's position in the list given) and `_row` (the analyst's row number); `parts` gives,
    per part, its quality rows and counts (its `rows` left empty: they are in `rows`).
    """

    rows: pd.DataFrame
    parts: list[Checked]


def check_parts(extract: str, parts: list[Part]) -> CheckedParts:
    """Normalise, validate and de-duplicate several tables of one extract in one pass.

    The same as `check` on each part in turn, but normalisation and the pandera model run once over
    all the rows, so that their fixed cost is paid once per extract rather than once per file.
    Duplicate keys are looked for within each part only (a later file is the load's business).
    """
    spec = schemas.columns(extract)
    columns = list(spec)
    sizes = [len(p.frame) for p in parts]
    part_of = np.repeat(np.arange(len(parts), dtype="int64"), sizes)
    row_of = (np.concatenate([p.frame.index.to_numpy(dtype="int64") for p in parts])
              if parts else np.empty(0, dtype="int64"))
    frames = [p.frame.reindex(columns=columns).astype("string") for p in parts]
    text = (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame({c: pd.Series(dtype="string") for c in columns}))
    table = normalise_table(extract, text)
    fails = _failures(extract, table)
    rejecting = {c for c, meta in spec.items() if meta["on_invalid"] == "reject"}
    is_reject = fails["column"].isin(rejecting) | (fails["rule"] == "end_before_start")
    fails["severity"] = np.where(is_reject, "rejected", "flagged")

    rejected = np.zeros(len(table), dtype=bool)
    rejected[fails.loc[is_reject, "pos"].to_numpy()] = True
    for column, group in fails[~is_reject].groupby("column"):
        table.iloc[group["pos"].to_numpy(), table.columns.get_loc(column)] = pd.NA

    table["_part"] = part_of
    table["_row"] = row_of
    keys = list(RAW_TABLES[extract][1])
    kept = table[~rejected]
    dup = kept.duplicated(keys + ["_part"], keep="last")
    if dup.any():
        dups = kept[dup]
        key_text = dups[keys].astype("string").fillna("").agg("|".join, axis=1)
        fails = pd.concat([fails, pd.DataFrame({
            "pos": dups.index.to_numpy(dtype="int64"), "column": "|".join(keys),
            "rule": "duplicate_key", "value": key_text.to_numpy(), "severity": "rejected",
        })], ignore_index=True)
        rejected[dups.index.to_numpy()] = True
        kept = kept[~dup]

    masked = fails["column"].isin(schemas.MASKED_COLUMNS)
    fails["value"] = fails["value"].astype("string").mask(masked, MASK)
    fails["part"] = part_of[fails["pos"].to_numpy()]
    fails["row"] = row_of[fails["pos"].to_numpy()]
    fails = fails.sort_values(["part", "row", "column", "rule"], kind="stable")
    flagged = np.zeros(len(table), dtype=bool)
    flagged[fails.loc[fails["severity"] == "flagged", "pos"].to_numpy()] = True
    flagged &= ~rejected
    n_rejected = np.bincount(part_of[rejected], minlength=len(parts))
    n_flagged = np.bincount(part_of[flagged], minlength=len(parts))
    by_part = dict(tuple(fails.groupby("part", sort=False)))
    empty_rows = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    checked = []
    for i, part in enumerate(parts):
        f = by_part.get(i, fails.iloc[:0])
        quality = pd.DataFrame({
            "file": part.source_file, "sheet": part.sheet, "row": f["row"].to_numpy(),
            "column": f["column"].to_numpy(), "rule": f["rule"].to_numpy(),
            "value": f["value"].to_numpy(), "severity": f["severity"].to_numpy(),
        }, columns=QUALITY_COLUMNS)
        checked.append(Checked(empty_rows, quality, sizes[i], int(n_rejected[i]),
                               int(n_flagged[i])))
    return CheckedParts(kept.reset_index(drop=True), checked)


def check(extract: str, frame: pd.DataFrame, source_file: str, sheet: str | None) -> Checked:
    """Normalise, validate and de-duplicate one table of an extract."""
    done = check_parts(extract, [Part(frame, source_file, sheet)])
    [result] = done.parts
    rows = done.rows.set_index("_row").drop(columns="_part")
    rows.index.name = frame.index.name
    result.rows = rows
    return result
