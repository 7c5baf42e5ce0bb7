"""Read CSV and Excel extracts as text, find the header row, and map headers to model columns.

Everything is read as strings: types come later, from normalise.py and the pandera models, so that a
value that cannot be read is reported as typed. A table's index is the row number the analyst sees:
the spreadsheet row, or the CSV line with line 1 the first line of the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES

from ..errors import InputError
from . import discover, normalise, schemas

log = logging.getLogger("lscb.ingest")

HEADER_SEARCH_ROWS = 12  # Ofsted's template puts a title row (or a few) above the header row
ENCODINGS = ("utf-8-sig", "cp1252")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text" export is UTF-16 with a BOM
DELIMITERS = (",", ";", "\t", "|")  # comma first: it wins a tie
MAX_LINE_CHARS = 1_000_000  # far above any real extract's line; stops a runaway read early
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 container: .xls, or an encrypted .xlsx
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
CHUNK = 1 << 20


@dataclass
class Table:
    """One sheet or CSV, as found: the grid of text and where its header row is."""

    source_file: str
    sheet: str | None
    grid: pd.DataFrame  # header=None grid, index = 0-based position in the file/sheet
    extract: str | None = None
    header_pos: int | None = None
    skip_reason: str | None = None


def encoding_of(path: Path, source_file: str) -> str:
    stat = path.stat()  # the scan and the full read of a file share one check
    return _cached_encoding(str(path), stat.st_size, stat.st_mtime_ns, source_file)


@functools.lru_cache(maxsize=64)
def _cached_encoding(path_text: str, _size: int, _mtime_ns: int, source_file: str) -> str:
    """The text encoding of a CSV, checked over the whole file in chunks (memory stays flat).

    UTF-16 when the file starts with its byte order mark; else UTF-8 (with or without BOM) when the
    whole file decodes as such, else Windows-1252. A NUL byte in a file without a UTF-16 BOM, a byte
    that neither encoding knows, or a line longer than MAX_LINE_CHARS is an InputError.
    """
    path = Path(path_text)
    with open(path, "rb") as f:
        head = f.read(8192)
    if head.startswith(UTF16_BOMS):
        candidates: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in head:
        raise InputError("not a text CSV file (binary content, or UTF-16 without a byte order mark)",
                         file=source_file, rule="unreadable_file")
    else:
        candidates = ENCODINGS
    for enc in candidates:
        try:
            _check_text(path, enc, source_file)
            return enc
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode the file as UTF-8, UTF-16 or Windows-1252", file=source_file,
                     rule="unreadable_file")


def _check_text(path: Path, encoding: str, source_file: str) -> None:
    """Decode the whole file incrementally; refuse NUL characters and over-long lines."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, run = 1, 0  # current line number, characters since its start
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            text = decoder.decode(block)
            if "\x00" in text:
                raise InputError("not a text CSV file (NUL characters)", file=source_file,
                                 rule="unreadable_file")
            parts = text.split("\n")
            lengths = [run + len(parts[0])] + [len(p) for p in parts[1:]]
            too_long = next((i for i, n in enumerate(lengths) if n > MAX_LINE_CHARS), None)
            if too_long is not None:
                raise InputError(f"a line is longer than {MAX_LINE_CHARS:,} characters: not a "
                                 "CSV extract", file=source_file, row=line + too_long,
                                 rule="line_too_long")
            line += len(parts) - 1
            run = lengths[-1]
        decoder.decode(b"", final=True)


def delimiter_of(lines: str) -> str:
    """The delimiter that splits the first rows into the most fields (comma on a tie)."""
    def width(delim: str) -> int:
        try:
            return max((len(r) for r in csv.reader(io.StringIO(lines), delimiter=delim)), default=0)
        except csv.Error:
            return 0
    return max(DELIMITERS, key=width)


def read_csv(path: Path, source_file: str, nrows: int | None = None) -> pd.DataFrame:
    """The whole CSV as a grid of strings (no header), blank lines kept so positions are lines."""
    encoding = encoding_of(path, source_file)
    try:
        with open(path, encoding=encoding, newline="") as f:
            head = "".join(f.readline() for _ in range(HEADER_SEARCH_ROWS))
        delimiter = delimiter_of(head)
        width = max((len(r) for r in csv.reader(io.StringIO(head), delimiter=delimiter)),
                    default=0)
        return pd.read_csv(
            path, header=None, dtype=str, encoding=encoding, keep_default_na=False,
            skip_blank_lines=False, nrows=nrows, names=range(max(width, 1)), sep=delimiter,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, ValueError, UnicodeError, csv.Error) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError(f"cannot read the CSV file: {exc}", file=source_file,
                         row=int(line.group(1)) if line else None, rule="unreadable_file") from exc


def excel_sheets(path: Path, source_file: str) -> list[str]:
    with open(path, "rb") as f:
        head = f.read(8)
    if head == CFB_MAGIC and path.suffix.lower() != ".xls":
        if ENCRYPTED_PACKAGE in path.read_bytes():
            raise InputError("the workbook is password-protected: save a copy without a password",
                             file=source_file, rule="unreadable_file")
        raise InputError("the workbook is an old binary .xls saved under an .xlsx name: save it "
                         "as .xlsx", file=source_file, rule="unreadable_file")
    try:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise InputError(f"cannot open the Excel workbook: {exc}", file=source_file,
                         rule="unreadable_file") from exc


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
    """Recognise the table of a CSV file from its first rows (cheap: no full read). Workbooks are
    read by parallel.read_workbook, each sheet parsed once."""
    head = read_csv(path, source_file, nrows=HEADER_SEARCH_ROWS)
    extract, pos, reason = find_header(head)
    return [Table(source_file, None, head, extract, pos, reason or None)]


def load_table(path: Path, table: Table) -> pd.DataFrame:
    """The recognised CSV table's rows as text, columns named as the model, index = analyst row
    number. See `table_from_grid`, which does the cutting once the file has been read."""
    return table_from_grid(read_csv(path, table.source_file), table)


def _wanted(header: list, table: Table) -> dict[int, str]:
    """Header position -> model column, for the columns the model lists (personal data no
    indicator needs is dropped here); a model's required column that is absent is fatal."""
    mapping = discover.header_map(table.extract)
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
    return wanted


def table_from_grid(grid: pd.DataFrame, table: Table) -> pd.DataFrame:
    """The rows below a recognised CSV table's header row, from the whole file read as text.

    Columns the model does not list are dropped; fully blank rows are not records.
    """
    header = grid.iloc[table.header_pos].tolist()
    wanted = _wanted(header, table)
    body = grid.iloc[table.header_pos + 1:]
    _no_fields_beyond_header(header, body, table.source_file)
    # numpy over the whole block: pandas string methods column by column cost ~2 ms a table,
    # which adds up over thousands of small monthly files
    cells = body.fillna("").to_numpy(dtype=str)
    blank = (np.char.strip(cells) == "").all(axis=1) if cells.size else np.ones(len(body), bool)
    body = body.loc[~blank, list(wanted)]
    body.columns = [wanted[i] for i in wanted]
    body.index = body.index + 1  # position -> row number the analyst sees
    body.index.name = "row"
    return body.reindex(columns=list(schemas.columns(table.extract))).astype("string")


def texts(cells) -> list[str]:
    """Cells as text (_cell_text), with text cells (most of them) done inline."""
    return [v if v.__class__ is str and v not in _NA_TEXT else _cell_text(v) for v in cells]


def find_sheet_header(values: list[list], forced: str | None = None
                      ) -> tuple[str | None, int | None, str]:
    """find_header for a sheet as calamine's rows of cell values: its first rows as text."""
    head = pd.DataFrame([texts(row) for row in values[:HEADER_SEARCH_ROWS]], dtype=object)
    return find_header(head, forced)


def table_from_values(values: list[list], table: Table) -> pd.DataFrame:
    """table_from_grid for a sheet as calamine's rows of cell values (sheet_values), as text the
    way read_excel(header=None, dtype=str).fillna("") spells it; only the model's columns are
    turned into text, and a row whose model columns are all blank is looked at whole."""
    wanted = {column: i for i, column in _wanted(texts(values[table.header_pos]), table).items()}
    body = values[table.header_pos + 1:]
    text = {column: texts([row[i] for row in body]) for column, i in wanted.items()}
    rows = list(zip(*text.values())) if text else [()] * len(body)
    keep = [bool("".join(r).strip()) or bool("".join(texts(body[k])).strip())
            for k, r in enumerate(rows)]
    first = table.header_pos + 2  # row number the analyst sees of the first body row
    index = pd.Index([first + k for k, kept in enumerate(keep) if kept], dtype="int64",
                     name="row")
    missing = pd.array([pd.NA] * len(index), dtype="string")
    return pd.DataFrame({
        column: (pd.array([t for t, kept in zip(text[column], keep) if kept], dtype="string")
                 if column in text else missing)
        for column in schemas.columns(table.extract)}, index=index)


# Cell text as pandas' read_excel(header=None, dtype=str).fillna("") gives it (its calamine reader
# and its default NA strings), one cell at a time without the grid it builds.
_NA_TEXT = frozenset(STR_NA_VALUES)


class OddCell(Exception):
    """A cell of a type the fast reading does not spell as pandas does: pandas reads the sheet."""


def _cell_text(value) -> str:
    kind = value.__class__
    if kind is str:
        return "" if value in _NA_TEXT else value
    if kind is float:
        if value.is_integer():
            return str(int(value))
        return "" if value != value else str(value)
    if kind is int:
        return str(value)
    if kind is dt.datetime:
        return str(value)
    if kind is dt.date:
        return _date_text(value)
    raise OddCell(kind.__name__)


@functools.lru_cache(maxsize=1 << 16)
def _date_text(value: dt.date) -> str:
    # Annex A lists repeat their dates (a month's contacts share ~30), and building a datetime to
    # print it is the costliest cell of a sheet. Only dates come here: a date never equals a
    # datetime, so they cannot share an entry.
    return str(dt.datetime(value.year, value.month, value.day))


def sheet_values(book, path: Path, source_file: str, sheet: str) -> list[list]:
    """A sheet of an open CalamineWorkbook as rows of cell values, all of one width."""
    try:
        values = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise InputError(f"cannot read the sheet: {exc}", file=source_file, sheet=sheet,
                         rule="unreadable_file") from exc
    width = max(map(len, values), default=0)
    return [row if len(row) == width else row + [""] * (width - len(row)) for row in values]


def pandas_sheet_rows(path: Path, source_file: str, sheet: str) -> list[list[str]]:
    """A sheet as rows of text by read_excel itself: for sheets with a cell of a type _cell_text
    does not spell (a time of day, a boolean...)."""
    try:
        grid = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="calamine")
    except Exception as exc:
        raise InputError(f"cannot read the sheet: {exc}", file=source_file, sheet=sheet,
                         rule="unreadable_file") from exc
    return grid.fillna("").to_numpy(dtype=object).tolist()


def _no_fields_beyond_header(header: list, body: pd.DataFrame, source_file: str) -> None:
    """A CSV row with values past the header's last column has its fields shifted (an unquoted
    delimiter inside a value, most often): every value of the row would land in the wrong column."""
    named = [i for i, h in enumerate(header) if isinstance(h, str) and h.strip()]
    beyond = body.iloc[:, (named[-1] + 1) if named else 0:]
    if beyond.empty:
        return
    filled = (beyond.fillna("").astype(str).apply(lambda c: c.str.strip()) != "").any(axis=1)
    if filled.any():
        raise InputError("a row has more fields than the header (an unquoted delimiter in a "
                         "value?)", file=source_file, row=int(filled.idxmax()) + 1,
                         rule="too_many_fields")
