"""Read CSV and Excel extracts as text, find the header row, and map headers to model columns.

Everything is read as strings: types come later, from normalise.py and the pandera models, so that a
value that cannot be read is reported as typed. A table's index is the row number the analyst sees:
the spreadsheet row, or the CSV line with line 1 the first line of the file.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from . import discover, normalise, schemas

log = logging.getLogger("lscb.ingest")

HEADER_SEARCH_ROWS = 12  # Ofsted's template puts a title row (or a few) above the header row
ENCODINGS = ("utf-8-sig", "cp1252")


@dataclass
class Table:
    """One sheet or CSV, as found: the grid of text and where its header row is."""

    source_file: str
    sheet: str | None
    grid: pd.DataFrame  # header=None grid, index = 0-based position in the file/sheet
    extract: str | None = None
    header_pos: int | None = None
    skip_reason: str | None = None


def _is_text(path: Path) -> bool:
    with open(path, "rb") as f:
        return b"\x00" not in f.read(8192)


def _encoding(path: Path, source_file: str) -> str:
    """UTF-8 (with or without BOM) when the file decodes as such, else Windows-1252."""
    data = path.read_bytes()
    for enc in ENCODINGS:
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode the file as UTF-8 or Windows-1252", file=source_file)


def read_csv(path: Path, source_file: str, nrows: int | None = None) -> pd.DataFrame:
    """The whole CSV as a grid of strings (no header), blank lines kept so positions are lines."""
    if not _is_text(path):
        raise InputError("not a text CSV file (binary content)", file=source_file)
    encoding = _encoding(path, source_file)
    try:
        with open(path, encoding=encoding, newline="") as f:
            width = max((len(r) for r in csv.reader(io.StringIO(
                "".join(f.readline() for _ in range(HEADER_SEARCH_ROWS))))), default=0)
        return pd.read_csv(
            path, header=None, dtype=str, encoding=encoding, keep_default_na=False,
            skip_blank_lines=False, nrows=nrows, names=range(max(width, 1)),
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the CSV file: {exc}", file=source_file) from exc
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def excel_sheets(path: Path, source_file: str) -> list[str]:
    try:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise InputError(f"cannot open the Excel workbook: {exc}", file=source_file) from exc


def read_sheet(path: Path, source_file: str, sheet: str, nrows: int | None = None) -> pd.DataFrame:
    try:
        grid = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="calamine",
                             nrows=nrows)
    except Exception as exc:
        raise InputError(f"cannot read the sheet: {exc}", file=source_file, sheet=sheet) from exc
    return grid.fillna("")


def find_header(grid: pd.DataFrame, forced: str | None = None) -> tuple[str | None, int | None, str]:
    """(extract, 0-based header position, skip reason) from the first rows of a grid."""
    reason = "empty" if grid.empty else "columns not recognised as any extract"
    for pos in range(min(HEADER_SEARCH_ROWS, len(grid))):
        cells = [c for c in grid.iloc[pos].tolist() if isinstance(c, str) and c.strip()]
        if not cells:
            continue
        if forced is not None:
            # An Annex A list sheet: its header row is the one naming the child's id; a missing
            # required column is then reported by load_table rather than skipped.
            mapping = discover.header_map(forced)
            if "child_unique_id" in {mapping.get(normalise.canonical_header(c)) for c in cells}:
                return forced, pos, ""
            continue
        extract, why = discover.recognise(cells)
        if extract is not None:
            return extract, pos, ""
        if why != "columns not recognised as any extract":
            return None, None, why
    if forced is not None:
        reason = f"no header row of {forced} found in the first {HEADER_SEARCH_ROWS} rows"
    return None, None, reason


def scan(path: Path, source_file: str) -> list[Table]:
    """Recognise the tables of one file from its first rows (cheap: no full read)."""
    if path.suffix.lower() in discover.EXCEL_SUFFIXES:
        tables = []
        for sheet in excel_sheets(path, source_file):
            number = discover.annex_a_list(sheet)
            forced = schemas.ANNEX_A_LISTS.get(number) if number else None
            if number and forced is None:
                tables.append(Table(source_file, sheet, pd.DataFrame(),
                                    skip_reason=f"Annex A list {number}: not used"))
                continue
            head = read_sheet(path, source_file, sheet, nrows=HEADER_SEARCH_ROWS)
            extract, pos, reason = find_header(head, forced)
            if number is None and extract is None:
                reason = f"sheet not used ({reason})"
            tables.append(Table(source_file, sheet, head, extract, pos, reason or None))
        return tables
    head = read_csv(path, source_file, nrows=HEADER_SEARCH_ROWS)
    extract, pos, reason = find_header(head)
    return [Table(source_file, None, head, extract, pos, reason or None)]


def load_table(path: Path, table: Table) -> pd.DataFrame:
    """The recognised table's rows as text, columns named as the model, index = analyst row number.

    Columns the model does not list are dropped here (personal data no indicator needs); a model's
    required column that is absent is a fatal error. Fully blank rows are not records.
    """
    if table.sheet is None:
        grid = read_csv(path, table.source_file)
    else:
        grid = read_sheet(path, table.source_file, table.sheet)
    mapping = discover.header_map(table.extract)
    header = grid.iloc[table.header_pos].tolist()
    wanted: dict[int, str] = {}
    for i, name in enumerate(header):
        column = mapping.get(normalise.canonical_header(name))
        if column is not None and column not in wanted.values():
            wanted[i] = column
    spec = schemas.columns(table.extract)
    missing = [c for c, meta in spec.items() if meta["required"] and c not in wanted.values()]
    if missing:
        raise InputError(
            f"{table.extract} extract lacks the required column '{missing[0]}'",
            file=table.source_file, sheet=table.sheet, column=missing[0], rule="required_column",
        )
    body = grid.iloc[table.header_pos + 1:]
    blank = (body.astype("string").apply(lambda c: c.str.strip()) == "").all(axis=1)
    body = body.loc[~blank, list(wanted)]
    body.columns = [wanted[i] for i in wanted]
    body.index = body.index + 1  # position -> row number the analyst sees
    body.index.name = "row"
    return body.reindex(columns=list(spec)).astype("string")
