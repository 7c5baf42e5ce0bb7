"""Normalise one table, validate it with its pandera model, and sort rows into loaded and rejected.

The pandera failure cases are the data-quality report: a failure in a field the model marks
`on_invalid="reject"` (or an end date before its start date) rejects the row; any other failure sets
the value to null and flags it. Within one file, a later row with the same record key replaces an
earlier one, which is rejected with the rule `duplicate_key`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    out = {}
    for column, meta in schemas.columns(extract).items():
        s, kind = frame[column], meta["kind"]
        if kind == "id":
            out[column] = normalise.ids(s)
        elif kind == "date":
            out[column] = normalise.dates(s)
        elif kind == "datetime":
            out[column] = normalise.datetimes(s)
        elif kind == "yn":
            out[column] = normalise.yes_no(s)
        elif kind == "int":
            out[column] = normalise.integers(s)
        elif kind == "code":
            allowed = _allowed(extract, column)
            out[column] = normalise.codes(s, allowed, schemas.CODE_WORDS.get(meta["codes"] or ""))
        else:
            out[column] = normalise.text(s)
    return pd.DataFrame(out, index=frame.index)


def _allowed(extract: str, column: str) -> list[str] | None:
    for check in schemas.MODELS[extract].to_schema().columns[column].checks:
        if check.name == "isin":
            return sorted(check.statistics["allowed_values"])
    return None


def _rule(check: str) -> str:
    if check == "not_nullable":
        return "missing_value"
    if check.startswith("isin"):
        return "not_in_code_list"
    return re.sub(r"\(.*\)$", "", check)


def _failures(extract: str, table: pd.DataFrame) -> pd.DataFrame:
    """Pandera's failure cases as (row, column, rule, value)."""
    try:
        schemas.MODELS[extract].validate(table, lazy=True)
        return pd.DataFrame(columns=["row", "column", "rule", "value"])
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
    fc = fc[fc["index"].notna()].copy()
    fc["rule"] = fc["check"].astype(str).map(_rule)
    end_start = schemas.END_BEFORE_START.get(extract)
    frame_level = fc["schema_context"] == "DataFrameSchema"
    if end_start:
        # pandera lists every column of a failing row; keep the end date's.
        fc = fc[~frame_level | (fc["column"] == end_start[0])]
    else:
        fc = fc[~frame_level]
    out = pd.DataFrame({
        "row": fc["index"].astype("int64"),
        "column": fc["column"].astype(str),
        "rule": fc["rule"],
        "value": fc["failure_case"].astype("string"),
    })
    return out.drop_duplicates(["row", "column", "rule"])


def check(extract: str, frame: pd.DataFrame, source_file: str, sheet: str | None) -> Checked:
    """Normalise, validate and de-duplicate one table of an extract."""
    table = normalise_table(extract, frame)
    fails = _failures(extract, table)
    spec = schemas.columns(extract)
    rejecting = {c for c, meta in spec.items() if meta["on_invalid"] == "reject"}
    is_reject = fails["column"].isin(rejecting) | (fails["rule"] == "end_before_start")
    fails["severity"] = is_reject.map({True: "rejected", False: "flagged"})

    rejected_rows = set(fails.loc[is_reject, "row"])
    for column, group in fails[~is_reject].groupby("column"):
        table.loc[table.index.isin(group["row"]), column] = pd.NA

    kept = table[~table.index.isin(rejected_rows)]
    keys = list(RAW_TABLES[extract][1])
    dup = kept.duplicated(keys, keep="last")
    if dup.any():
        dups = kept[dup]
        key_text = dups[keys].astype("string").fillna("").agg("|".join, axis=1)
        fails = pd.concat([fails, pd.DataFrame({
            "row": dups.index.astype("int64"), "column": "|".join(keys), "rule": "duplicate_key",
            "value": key_text.to_numpy(), "severity": "rejected",
        })], ignore_index=True)
        rejected_rows |= set(dups.index)
        kept = kept[~dup]

    masked = fails["column"].isin(schemas.MASKED_COLUMNS)
    fails["value"] = fails["value"].astype("string").mask(masked, MASK)
    fails = fails.sort_values(["row", "column", "rule"], kind="stable")
    quality = pd.DataFrame({
        "file": source_file, "sheet": sheet, "row": fails["row"].to_numpy(),
        "column": fails["column"].to_numpy(), "rule": fails["rule"].to_numpy(),
        "value": fails["value"].to_numpy(), "severity": fails["severity"].to_numpy(),
    }, columns=QUALITY_COLUMNS)
    flagged_rows = set(fails.loc[fails["severity"] == "flagged", "row"]) - rejected_rows
    return Checked(kept, quality, len(table), len(rejected_rows), len(flagged_rows))
