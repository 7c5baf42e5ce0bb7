"""A DuckDB-native path for CSV extracts: read, normalise, validate and stage in SQL.

The pandas path (read.py -> quality.py -> load.py) holds every row of a file in memory as Python
objects and pays ~10 ms of fixed cost a file. Here DuckDB's own CSV reader reads all the files of
one layout (same extract, delimiter and columns: a council's monthly drops, or every council's) in
one read, the normalisation of normalise.py and the checks of the pandera model run as SQL over
DuckDB's columns, and load.merge merges the checked rows from their temp table (`loadable`). Each
row carries its file's position `_f` in the group, so row numbers, within-file duplicates, extract
dates and the accounting stay per file. Only the distinct values of code columns and the
data-quality rows pass through Python; the rows stay in DuckDB, whose memory is bounded by its
memory_limit (temp tables spill to disk).

The pandas code stays the one definition of the rules:

- values that every file spells the same way are handled in SQL with an exact equivalent (trimming,
  ids, the common date and date-time spellings, each checked by a round trip through strptime and
  strftime, so a value is accepted only when it is exactly that spelling of a real date);
- code, yes/no and integer columns, and the few date values of other spellings, are normalised by
  normalise.py itself on their *distinct* values, and the model's own column checks (read from the
  pandera schema) decide which rules each distinct value fails; DuckDB then joins the answers back;
- rule names, severities (the field metadata `on_invalid`), masking, duplicate_key and row numbers
  follow quality.py.

A layout takes this path when its files add up to LSCB_FASTCSV_MIN_BYTES (default 1 MiB: below,
the dozen statements cost more than pandas) and a cheap check of each file finds nothing this path
does not reproduce exactly: UTF-8 text, the header on line 1, no empty lines (pandas counts them as
rows, DuckDB skips them), at most MAX_COLUMNS columns, only checks whose SQL form is known. Anything
else sends the file to the pandas path, which then reports it exactly as before; so does a row
DuckDB's strict reader refuses (the group is halved until the file stands alone) and a value past
the header's last column.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..warehouse import RAW_TABLES
from . import discover, load, normalise, quality, read, schemas

log = logging.getLogger("lscb.ingest.fastcsv")

MIN_BYTES_ENV = "LSCB_FASTCSV_MIN_BYTES"
DEFAULT_MIN_BYTES = 1 << 20
MAX_COLUMNS = 200  # the blank-row test joins every field of a row
# Column checks whose result on a value of the SQL date fast path is known without pandas.
FAST_DATE_CHECKS = {"valid_date", "valid_datetime", "date_in_future"}
FRAME_CHECKS = {"end_before_start"}
# Years the SQL date fast path accepts; other years go to normalise.py (pandas' own bounds).
YEARS = (1900, 2200)
# The spellings normalise._FAST_DATETIME / _FAST_DATE rewrite: (LIKE shape, strptime format).
_DATETIME_SHAPES = [
    ("____-__-__ __:__:__", "%Y-%m-%d %H:%M:%S"), ("____-__-__T__:__:__", "%Y-%m-%dT%H:%M:%S"),
    ("____-__-__ __:__", "%Y-%m-%d %H:%M"), ("____-__-__T__:__", "%Y-%m-%dT%H:%M"),
    ("__/__/____ __:__:__", "%d/%m/%Y %H:%M:%S"), ("__/__/____ __:__", "%d/%m/%Y %H:%M"),
    ("____-__-__", "%Y-%m-%d"), ("__/__/____", "%d/%m/%Y"),
]
_DATE_SHAPES = [
    ("____-__-__", "%Y-%m-%d"), ("__/__/____", "%d/%m/%Y"),
    ("____-__-__ __:__:__", "%Y-%m-%d %H:%M:%S"),
]
_SP = normalise.SPACES  # Python's whitespace (RE2): the set normalise.py strips
_counter = itertools.count()


@dataclass
class FastFile:
    """One CSV of a group checked by DuckDB: its accounting as quality.check gives it."""

    raw: discover.RawFile
    extract: str
    checked: quality.Checked  # quality rows and counts (no pandas rows: they stay in DuckDB)
    extract_date: dt.date | None


@dataclass
class FastGroup:
    """CSVs of one extract with the same layout, read and checked together by one DuckDB read.

    Its temp tables (checked rows, duplicate rows, distinct-value mappings) hold every file's rows,
    each tagged with the file's position `_f` in `files`.
    """

    extract: str
    files: list[FastFile]
    tables: list[str]


@dataclass(frozen=True)
class _Layout:
    """What the SQL of a file depends on: files with the same layout are read in one go."""

    extract: str
    delimiter: str
    width: int  # fields per row (the widest of the first rows, as read.read_csv reads them)
    wanted: tuple[tuple[str, int], ...]  # model column -> field position
    last_named: int  # position of the header's last non-blank name (-1: none)


def min_bytes() -> int:
    """The size from which CSVs take this path: LSCB_FASTCSV_MIN_BYTES, default 1 MiB; counted
    over all the files of one layout, which DuckDB reads together."""
    value = os.environ.get(MIN_BYTES_ENV, "").strip()
    return int(value) if value.isdigit() else DEFAULT_MIN_BYTES


def prepare_files(con: duckdb.DuckDBPyConnection, files: list[discover.RawFile]
                  ) -> tuple[list[FastGroup], list[discover.RawFile]]:
    """Check the CSVs among files in DuckDB, a group of same-layout files at a time; (the groups
    done, the rest for the pandas path).

    The rest keep their order, so that the pandas path still raises the first file's error.
    """
    threshold = min_bytes()
    layouts: dict[_Layout, list[discover.RawFile]] = {}
    for raw in files:
        if raw.path.suffix.lower() in discover.CSV_SUFFIXES:
            found = _layout(raw)
            if found is not None:
                layouts.setdefault(found, []).append(raw)
    done: list[FastGroup] = []
    for found, members in layouts.items():
        if sum(r.path.stat().st_size for r in members) >= threshold:
            done += _prepare_group(con, found, members)
    taken = {id(f.raw) for g in done for f in g.files}
    rest = [raw for raw in files if id(raw) not in taken]
    if done:
        log.info("fastcsv: %d files checked in DuckDB (%d groups), %d rows",
                 len(taken), len(done), sum(f.checked.rows_read for g in done for f in g.files))
    return done, rest


def prepare(con: duckdb.DuckDBPyConnection, raw: discover.RawFile) -> FastGroup | None:
    """One CSV on its own: its group, or None when the pandas path must read it."""
    found = _layout(raw)
    groups = _prepare_group(con, found, [raw]) if found is not None else []
    return groups[0] if groups else None


def _layout(raw: discover.RawFile) -> _Layout | None:
    """The file's layout, from cheap checks; None for anything this path does not reproduce
    exactly: not UTF-8, an empty line, a header not on line 1, a name DuckDB would read as a glob,
    an extract whose checks have no SQL form here, a required column missing (the pandas path
    raises it), more than MAX_COLUMNS fields."""
    if _GLOB_CHARS.search(str(raw.path)):
        return None
    head = _plain_head(raw.path)
    if head is None:
        return None
    lines = io.StringIO(head, newline="")
    first_lines = "".join(lines.readline() for _ in range(read.HEADER_SEARCH_ROWS))
    delimiter = read.delimiter_of(first_lines)
    first = first_lines.split("\n", 1)[0].removesuffix("\r")
    if '"' in first or "\r" in first:
        header = _header_by_pandas(raw)  # quoting: let pandas parse it exactly
        if header is None:
            return None
        header, width = header
    else:
        header = first.split(delimiter)
        width = max((len(r) for r in csv.reader(io.StringIO(first_lines), delimiter=delimiter)),
                    default=0)
        header += [None] * (width - len(header))
    cells = tuple(c for c in header if isinstance(c, str) and c.strip())
    if not cells:
        return None
    extract, _why = _recognise(cells)
    if extract is None or width > MAX_COLUMNS:
        return None
    plan = _plan(extract)
    if plan is None:
        return None
    mapping = discover.header_map(extract)
    wanted: dict[str, int] = {}
    for i, name in enumerate(header):
        column = mapping.get(normalise.canonical_header(name)) if isinstance(name, str) else None
        if column is not None and column not in wanted:
            wanted[column] = i
    if any(meta["required"] and c not in wanted for c, meta in plan.items()):
        return None
    named = [i for i, h in enumerate(header) if isinstance(h, str) and h.strip()]
    return _Layout(extract, delimiter, width, tuple(wanted.items()), named[-1] if named else -1)


_GLOB_CHARS = re.compile(r"[*?\[\]{}]")
SMALL_FILE = 16 << 20  # read whole for the cheap checks; larger files are checked block by block


def _plain_head(path: Path) -> str | None:
    """The file's first lines when it is UTF-8 (BOM or not) with no empty line, no NUL and no
    over-long line (read.encoding_of's checks); else None."""
    size = path.stat().st_size
    if size > SMALL_FILE:
        try:
            encoding = read.encoding_of(path, str(path))
        except InputError:
            return None
        if encoding != "utf-8-sig" or _has_empty_line(path):
            return None
        return _first_lines(path, encoding)
    data = path.read_bytes()
    if data.startswith(read.UTF16_BOMS) or b"\x00" in data or _empty_line_in(data):
        return None
    # Lines measured in bytes: a non-ASCII line may be sent to pandas a little early, which then
    # counts its characters exactly.
    if len(data) > read.MAX_LINE_CHARS and max(map(len, data.split(b"\n"))) > read.MAX_LINE_CHARS:
        return None
    if data.isascii():  # most extracts: UTF-8 as they are, so only the head is decoded
        return data[:65536].decode("ascii")
    try:
        return data.decode("utf-8-sig")[:65536]
    except UnicodeDecodeError:
        return None


def _empty_line_in(data: bytes) -> bool:
    """_has_empty_line over bytes in memory (an empty first line counts; no copy of the data, and
    the carriage returns are counted only when there is one)."""
    # One regex pass finds both "\n\n" and "\n\r\n": three times faster than two `in` tests,
    # which crawl through text where every other line ends in "\n" (7 s over a national set).
    return (data.startswith((b"\n", b"\r\n")) or _EMPTY_LINE.search(data) is not None
            or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")))


_EMPTY_LINE = re.compile(rb"\n\r?\n")


def _header_by_pandas(raw: discover.RawFile) -> tuple[list, int] | None:
    try:
        [table] = read.scan(raw.path, raw.source_file)
    except InputError:
        return None
    if table.extract is None or table.header_pos != 0:
        return None
    return table.grid.iloc[0].tolist(), table.grid.shape[1]


@functools.lru_cache(maxsize=256)
def _recognise(cells: tuple[str, ...]) -> tuple[str | None, str | None]:
    return discover.recognise(list(cells))


def _has_empty_line(path: Path) -> bool:
    """Does the file hold an empty line, or a carriage return not followed by a line feed (byte
    search, block by block: memory stays flat)?"""
    prev = b"\n"  # an empty first line counts too
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(read.CHUNK), b""):
            edge = prev[-2:] + block[:2]
            if b"\n\n" in block or b"\n\r\n" in block or b"\n\n" in edge or b"\n\r\n" in edge:
                return True
            if prev.endswith(b"\r") and not block.startswith(b"\n"):
                return True
            if b"\r" in block and (block.count(b"\r") - block.count(b"\r\n")
                                   - block.endswith(b"\r")):
                return True
            prev = block
    return prev.endswith(b"\r")


def _first_lines(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, newline="") as f:
        return "".join(f.readline() for _ in range(read.HEADER_SEARCH_ROWS))


@functools.lru_cache(maxsize=None)
def _plan(extract: str) -> dict[str, dict] | None:
    """Per model column: its metadata and pandera checks; None when a check has no SQL form here."""
    schema = schemas.MODELS[extract].to_schema()
    if not {c.name for c in schema.checks} <= FRAME_CHECKS:
        return None
    if schema.checks and extract not in schemas.END_BEFORE_START:
        return None
    plan = {}
    for name, meta in schemas.columns(extract).items():
        column = schema.columns[name]
        names = {c.name for c in column.checks}
        kind = meta["kind"]
        if kind in ("id", "text") and names:
            return None
        if kind in ("date", "datetime") and not names <= FAST_DATE_CHECKS:
            return None
        plan[name] = {**meta, "nullable": column.nullable, "checks": column.checks}
    return plan


def _prepare_group(con: duckdb.DuckDBPyConnection, layout: _Layout,
                   files: list[discover.RawFile]) -> list[FastGroup]:
    """Read and check files of one layout into temp tables: the groups done (files DuckDB's strict
    reader refuses, or with values past the header's last column, are left to the pandas path)."""
    name = f"_fastcsv_{next(_counter)}"
    try:
        group, refused = _check_group(con, layout, files, name)
    except duckdb.ResourceInUseException:
        raise  # this code's own misuse of the connection, not the files: say so
    except duckdb.Error as exc:
        # A row DuckDB's strict reader refuses (too many or too few fields, a stray quote...) in
        # some file: halve the group until that file stands alone; the pandas path then reads it
        # and reports it as it always has.
        _drop_all(con, name)
        if len(files) == 1:
            log.info("fastcsv: %s left to the pandas path (%s)", files[0].source_file,
                     type(exc).__name__)
            return []
        half = len(files) // 2
        return (_prepare_group(con, layout, files[:half])
                + _prepare_group(con, layout, files[half:]))
    except _Fallback:
        _drop_all(con, name)
        return []
    if refused:
        _drop_all(con, name)
        kept = [raw for i, raw in enumerate(files) if i not in refused]
        return _prepare_group(con, layout, kept) if kept else []
    return [group]


class _Fallback(Exception):
    """Something this path does not reproduce exactly: the file goes to the pandas path."""


def _drop(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    for t in tables:
        con.execute(f"drop table if exists {t}")


def _drop_all(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop every temp table a file's check made (name_rows, name_dup, name_map_<i>)."""
    tables = [t for (t,) in con.execute(
        "select table_name from duckdb_tables() where temporary and "
        "starts_with(table_name, ?)", [name + "_"]).fetchall()]
    _drop(con, *tables)


def _trim(x: str) -> str:
    """normalise.text in SQL: strip Python's whitespace, '' -> null. Values that start and end with
    a printable ASCII character (nearly all) skip the regex."""
    return (f"(case when ord({x}[1]) between 33 and 126 and ord({x}[-1]) between 33 and 126 "
            f"then {x} else nullif(regexp_replace({x}, '^{_SP}|{_SP}$', '', 'g'), '') end)")


def _id(c: str) -> str:
    """normalise.ids in SQL, on the value as read: no whitespace anywhere, no trailing '.0'."""
    slow = (f"nullif(regexp_replace(regexp_replace({_trim(c)}, '{_SP}', '', 'g'), '\\.0+$', ''), "
            "'')")
    # Printable ASCII without spaces and without a '.' before a final 0: already canonical.
    return (f"(case when regexp_full_match({c}, '[!-~]+') "
            f"and not (ends_with({c}, '0') and contains({c}, '.')) "
            f"then {c} else {slow} end)")


def _fast_ts(t: str, shapes: list[tuple[str, str]]) -> str:
    """The common spellings as a TIMESTAMP, else null: the text must be exactly the strftime of its
    own strptime (so 31/02, 1/2/2015 or 24:00 fall through to normalise.py), in YEARS."""
    cases = []
    for like, fmt in shapes:
        ts = f"try_strptime({t}, '{fmt}')"
        cases.append(f"when {t} like '{like}' and strftime({ts}, '{fmt}') = {t} "
                     f"and year({ts}) between {YEARS[0]} and {YEARS[1]} then {ts}")
    return f"(case {' '.join(cases)} end)"


def read_csv_sql(layout: _Layout, strict: bool = True) -> str:
    """DuckDB's read of a layout's files, bound to $paths and $delim: every field as text c<i>,
    the header line skipped, the file's path as _path."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(layout.width)) + "}"
    return (f"read_csv($paths, header = false, skip = 1, all_varchar = true, delim = $delim, "
            f"quote = '\"', escape = '\"', columns = {columns}, "
            f"strict_mode = {str(strict).lower()}, auto_detect = false, filename = '_path')")


def _check_group(con, layout: _Layout, files: list[discover.RawFile], name: str
                 ) -> tuple[FastGroup | None, set[int]]:
    """One read of the files into a temp table, then two passes over it: (1) the distinct values
    normalise.py must read; (2) the checked rows into a temp table, from which the quality rows,
    counts and (in stage) the load come. Returns the group, or the positions of files the pandas
    path must read instead (a value past the header's last column: pandas raises too_many_fields).
    """
    extract, width, last = layout.extract, layout.width, layout.last_named
    plan = _plan(extract)
    cols = {c: f"c{i}" for c, i in layout.wanted}
    # A row is blank when every field is empty or whitespace: when all of them joined are (one
    # trim instead of one a field, which DuckDB evaluates for every row).
    blank = f"({_trim('concat(' + ', '.join(f'c{i}' for i in range(width)) + ')')}) is null"
    beyond = " or ".join(f"({_trim(f'c{i}')}) is not null"
                         for i in range(last + 1, width)) or "false"
    # Expressions over the value as read (c<n>): t<i> trimmed text (ids made canonical), ts<i>
    # a date column's value on the SQL fast path. They are computed as the files are read, on
    # every core, and kept in the temp table, so the two passes below only read them. A value
    # with spaces around it misses the date fast path and is read by normalise.py.
    computed: dict[str, str] = {}  # name -> expression
    for i, (column, meta) in enumerate(plan.items()):
        c = cols.get(column)
        if c is None:
            computed[f"t{i}"] = "null::VARCHAR"
        else:
            computed[f"t{i}"] = _id(c) if meta["kind"] == "id" else _trim(c)
        if meta["kind"] in ("date", "datetime"):
            shapes = _DATETIME_SHAPES if meta["kind"] == "datetime" else _DATE_SHAPES
            computed[f"ts{i}"] = _fast_ts(c, shapes) if c else "null::TIMESTAMP"
    reader = read_csv_sql(layout)
    # The read, in parallel: the columns used, kept as text. A CREATE TABLE AS of a single table
    # function keeps the rows in the order read (DuckDB's order preservation: files in list
    # order, each file's rows in order), so the temp table's rowid numbers them; `with
    # ordinality` would say the same but makes the read single-threaded (half the speed). Each
    # file's rows are numbered from its first rowid (checked below to be one unbroken run).
    [(ordered,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
    if not ordered:
        raise _Fallback  # a connection set not to keep the order: row numbers would be wrong
    source, paths = f"{name}_src", f"{name}_paths"
    con.register("_fastcsv_paths", pa.table({"_path": [str(r.path) for r in files],
                                             "_f": list(range(len(files)))}))
    try:
        con.execute(f"create temp table {paths} as select * from _fastcsv_paths")
    finally:
        con.unregister("_fastcsv_paths")
    past_header = [f"c{i}" for i in range(last + 1, width)]
    con.execute(f"create temp table {source} as select _path, ({blank}) as _blank, "
                f"{', '.join([f'{e} as {n}' for n, e in computed.items()] + past_header)} "
                f"from {reader}",
                {"paths": [str(r.path) for r in files], "delim": layout.delimiter})
    first = f"{name}_first"
    con.execute(
        f"create temp table {first} as select p._f, p._path, min(s.rowid) as _o0, "
        f"max(s.rowid) as _o1, count(*) as _n, count(*) filter (not s._blank) as _read, "
        f"coalesce(bool_or(({beyond}) and not s._blank), false) as _beyond "
        f"from {source} s join {paths} p using (_path) group by p._f, p._path")
    per_file = con.execute(f"select _f, _o0, _o1, _n, _read, _beyond from {first}").fetchall()
    if any(hi - lo + 1 != n for _f, lo, hi, n, _r, _b in per_file):
        raise _Fallback  # not one unbroken run per file: row numbers would be wrong
    refused = {f for f, *_x, has_beyond in per_file if has_beyond}
    if refused:
        return None, refused
    rows_read = {f: int(r) for f, _lo, _hi, _n, r, _b in per_file}
    base = (f"select f._f, s.rowid - f._o0 + 2 as _row, $today::DATE as _today, "
            f"{', '.join(f's.{n}' for n in computed)} from {source} s join {first} f using (_path) "
            f"where not s._blank")
    params = {"today": dt.date.today()}

    # Pass 1: the distinct values normalise.py must read (codes, odd date spellings).
    mapped = [(i, c, m) for i, (c, m) in enumerate(plan.items()) if m["kind"] not in ("id", "text")]
    wheres = {i: f"t{i} is not null" + (" and ts{i} is null".format(i=i)
                                         if m["kind"] in ("date", "datetime") else "")
              for i, _c, m in mapped}
    aggregates = ["count(*)"] + [
        f"list(distinct t{i}) filter (where {wheres[i]})" for i, _c, _m in mapped]
    found = con.execute(f"select {', '.join(aggregates)} from ({base})", params).fetchall()[0]
    maps = []
    for (i, column, meta), values in zip(mapped, found[1:]):
        table = f"{name}_map_{i}"
        frame = _mapping(extract, column, meta, list(values or []))
        con.register("_fastcsv_mapping", frame)
        try:
            con.execute(f"create temp table {table} as select * from _fastcsv_mapping")
        finally:
            con.unregister("_fastcsv_mapping")
        maps.append((i, table))

    # The checks, as SQL over the normalised values: n{i} canonical text (for a date column
    # ts{i}, the value of the SQL fast path, typed, or else mn{i}, normalise.py's text), r{i} the
    # rules it fails (null when none), _ebs end_before_start, _reject / _flag for the row.
    exprs = []
    text: dict[int, str] = {}  # canonical text of each column, over the checked CTE
    dates: dict[int, str] = {}  # date columns: the SQL type they are loaded as
    mapped_kinds = {i: m["kind"] for i, _c, m in mapped}
    for i, (column, meta) in enumerate(plan.items()):
        kind = meta["kind"]
        if i not in mapped_kinds:
            exprs.append(f"t{i} as n{i}")  # ids made canonical in the base select
            text[i], r, is_null = f"n{i}", "null::VARCHAR[]", f"n{i} is null"
        elif kind in ("date", "datetime"):
            fmt = "%Y-%m-%d %H:%M:%S" if kind == "datetime" else "%Y-%m-%d"
            dates[i] = "TIMESTAMP" if kind == "datetime" else "DATE"
            future = any(c.name == "date_in_future" for c in meta["checks"])
            fast_rule = (f"case when ts{i}::DATE > _today then ['date_in_future'] end" if future
                         else "null::VARCHAR[]")
            exprs += [f"ts{i}::{dates[i]} as ts{i}", f"m{i}.n as mn{i}"]
            text[i] = f"coalesce(strftime(ts{i}, '{fmt}'), mn{i})"
            r = f"(case when ts{i} is not null then {fast_rule} else m{i}.rules end)"
            is_null = f"ts{i} is null and m{i}.n is null"
        else:
            exprs.append(f"m{i}.n as n{i}")
            text[i], r, is_null = f"n{i}", f"m{i}.rules", f"m{i}.n is null"
        if not meta["nullable"]:
            r = (f"case when {is_null} then list_concat(coalesce({r}, []), ['missing_value']) "
                 f"else {r} end")
        exprs.append(f"{r}::VARCHAR[] as r{i}")
    joins = " ".join(f"left join {table} m{i} on m{i}.t = x.t{i}" for i, table in maps)
    index = {c: i for i, c in enumerate(plan)}
    rejecting = [index[c] for c, m in plan.items() if m["on_invalid"] == "reject"]
    flagging = [index[c] for c, m in plan.items() if m["on_invalid"] != "reject"]
    end_start = schemas.END_BEFORE_START.get(extract)
    if end_start and any(c.name == "end_before_start"
                         for c in schemas.MODELS[extract].to_schema().checks):
        e, s = index[end_start[0]], index[end_start[1]]
        iso = r"'\d{4}-\d{2}-\d{2}.*'"
        as_text = (f"coalesce(regexp_full_match({text[e]}, {iso}) and "
                   f"regexp_full_match({text[s]}, {iso}) and {text[e]} < {text[s]}, false)")
        # Two values of the fast path compare as their canonical text does.
        ebs = (f"case when ts{e} is not null and ts{s} is not null then ts{e} < ts{s} "
               f"else {as_text} end" if e in dates and s in dates else as_text)
    else:
        end_start, ebs = None, "false"
    reject = " or ".join([f"r{i} is not null" for i in rejecting] + ["_ebs"])
    flag = " or ".join(f"r{i} is not null" for i in flagging) or "false"
    chain = (f"with checked as (select _f, _row, _today, {', '.join(exprs)} "
             f"from ({base}) x {joins}), "
             f"flagged as (select *, {ebs} as _ebs from checked), "
             f"decided as (select *, ({reject}) as _reject, ({flag}) as _flag from flagged) ")

    # The values loaded: a flagged column's value is set to null (quality.check_parts).
    def kept(i: int, value: str) -> str:
        return f"case when r{i} is not null then null else {value} end" if i in flagging else value

    keys = [index[k] for k in RAW_TABLES[extract][1]]
    rows, dups = f"{name}_rows", f"{name}_dup"
    # Pass 2: one temp table of the checked rows: flags, the rules failed, the failing values
    # as text (null for the rest, so they cost little), and each column's loaded value, typed
    # for date columns (try_cast: an invalid value is in a rejected row or is nulled anyway).
    ebs_column = index[end_start[0]] if end_start else -1
    outputs = []
    for i in range(len(plan)):
        failing = f"r{i} is not null" + (" or _ebs" if i == ebs_column else "")
        loaded = f"coalesce(ts{i}, try_cast(mn{i} as {dates[i]}))" if i in dates else f"n{i}"
        outputs += [f"r{i}", f"case when {failing} then {text[i]} end as n{i}",
                    f"{kept(i, loaded)} as v{i}"]
    con.execute(f"create temp table {rows} as {chain} select _f, _row, _ebs, _reject, _flag, "
                f"{', '.join(outputs)} from decided", params)
    _drop(con, source, first)
    # Within a file a later row with the same key replaces an earlier one (quality.py). The
    # loaded values compare as their canonical text does (dates typed, the rest that text).
    formats = {i: "%Y-%m-%d %H:%M:%S" if dates[i] == "TIMESTAMP" else "%Y-%m-%d" for i in dates}
    key_text = " || '|' || ".join(
        f"coalesce(strftime(v{k}, '{formats[k]}'), '')" if k in dates else f"coalesce(v{k}, '')"
        for k in keys)
    partition = ", ".join(f"v{k}" for k in keys)
    con.execute(
        f"create temp table {dups} as select _f, _row, {key_text} as key from (select _f, _row, "
        f"{partition}, row_number() over (partition by _f, {partition} order by _row desc) as n "
        f"from {rows} where not _reject) where n > 1")
    counts = {f: (int(rej), int(flg), int(dup)) for f, rej, flg, dup in con.execute(
        f"select r._f, count(*) filter (r._reject), count(*) filter (r._flag and not r._reject "
        f"and d._row is null), count(d._row) from {rows} r left join {dups} d "
        f"on d._f = r._f and d._row = r._row group by r._f").fetchall()}
    quality_rows = _quality(con, rows, dups, files, extract, plan, rejecting, end_start)
    events = [index[c] for c in load.EVENT_COLUMNS[extract]]
    dates_found = _extract_dates(con, rows, dups, files, events)
    members = []
    for f, raw in enumerate(files):
        rejected, flagged, duplicated = counts.get(f, (0, 0, 0))
        checked = quality.Checked(pd.DataFrame(), quality_rows.get(f, _no_quality()),
                                  rows_read.get(f, 0), rejected + duplicated, flagged)
        members.append(FastFile(raw, extract, checked, dates_found[f]))
    tables = [paths, rows, dups] + [t for _i, t in maps]
    return FastGroup(extract, members, tables), set()


def _mapping(extract: str, column: str, meta: dict, values: list[str]) -> pa.Table:
    """Distinct trimmed values -> canonical text (normalise.py) and the rules the model's column
    checks fail on it (pandera's own Check objects; a null passes, as pandera's ignore_na)."""
    norm = quality.normalise_column(extract, column,
                                    pd.Series(values, dtype="string")).astype("string")
    fails = pd.DataFrame(False, index=norm.index, columns=range(len(meta["checks"])))
    for j, check in enumerate(meta["checks"]):
        out = check(norm).check_output
        fails[j] = ~out.fillna(True).astype(bool) & norm.notna()
    rules = [[quality.rule_name(meta["checks"][j].name) for j in fails.columns if row[j]] or None
             for row in fails.itertuples(index=False)]
    return pa.table({"t": pa.array(values, pa.string()),
                     "n": pa.array(norm.to_numpy(dtype=object, na_value=None), pa.string()),
                     "rules": pa.array(rules, pa.list_(pa.string()))})


@functools.cache
def _no_quality() -> pd.DataFrame:
    """The quality rows of a file with none (shared: nothing changes a part's frame in place)."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "object")
                         for c in quality.QUALITY_COLUMNS})


def _quality(con, rows, dups, files, extract, plan, rejecting,
             end_start) -> dict[int, pd.DataFrame]:
    """Each file's data-quality rows (by its position), ordered as quality.check_parts orders
    them."""
    parts, params = [], []
    for i, column in enumerate(plan):
        severity = "rejected" if i in rejecting else "flagged"
        value = "?::VARCHAR" if column in schemas.MASKED_COLUMNS else f"n{i}"
        parts.append(f"select _f, _row, ?::VARCHAR as col, unnest(r{i}) as rule, {value} as value, "
                     f"?::VARCHAR as severity from {rows} where r{i} is not null")
        masked = [quality.MASK] if column in schemas.MASKED_COLUMNS else []
        params += [column, *masked, severity]
    if end_start:
        e = list(plan).index(end_start[0])
        masked = end_start[0] in schemas.MASKED_COLUMNS
        parts.append(f"select _f, _row, ?::VARCHAR, 'end_before_start', "
                     f"{'?' if masked else f'n{e}'}, 'rejected' from {rows} where _ebs")
        params += [end_start[0]] + ([quality.MASK] if masked else [])
    parts.append(f"select _f, _row, ?::VARCHAR, 'duplicate_key', key, 'rejected' from {dups}")
    params.append("|".join(RAW_TABLES[extract][1]))
    q = con.execute(f"select * from ({' union all '.join(parts)}) order by _f, _row, col, rule",
                    params).df()
    if q.empty:
        return {}
    sources = pd.Series([raw.source_file for raw in files], dtype=object)
    every = pd.DataFrame({
        "file": sources.iloc[q["_f"].to_numpy()].to_numpy(), "sheet": None,
        "row": q["_row"].astype("int64").to_numpy(),
        "column": q["col"].to_numpy(dtype=object), "rule": q["rule"].to_numpy(dtype=object),
        "value": pd.Series(q["value"].astype("string").to_numpy(), dtype=object),
        "severity": q["severity"].to_numpy(dtype=object),
    }, columns=quality.QUALITY_COLUMNS)
    # Rows are ordered by file: each file's rows are one slice, its values typed as pandas infers
    # them for one file's frame (as the pandas path builds it): text when any value is present.
    f = q["_f"].to_numpy()
    starts = [0] + [i for i in range(1, len(f)) if f[i] != f[i - 1]] + [len(f)]
    out = {}
    for a, b in zip(starts, starts[1:]):
        part = every.iloc[a:b].reset_index(drop=True)
        if part["value"].notna().any():
            part["value"] = part["value"].astype("str")
        out[int(f[a])] = part
    return out


def _extract_dates(con, rows: str, dups: str, files: list[discover.RawFile],
                   events: list[int]) -> list[dt.date | None]:
    """Each file's extract date: from its name, else the latest event date among its loadable rows
    (load.latest_event_date: canonical text sorts as time, so the latest value's day)."""
    found = [discover.date_in_name(raw.path.name) for raw in files]
    undated = [f for f, d in enumerate(found) if d is None]
    if not undated or not events:
        return found
    latest = ", ".join(f"max(r.v{i})::DATE" for i in events)
    for f, *values in con.execute(
            f"select r._f, {latest} from {rows} r where not r._reject and r._f in "
            f"(select unnest($undated::INTEGER[])) and not exists (select 1 from {dups} d "
            f"where d._f = r._f and d._row = r._row) group by r._f", {"undated": undated}
    ).fetchall():
        values = [d for d in values if d]
        found[f] = max(values) if values else None
    return found


def loadable(con: duckdb.DuckDBPyConnection, group: FastGroup, entries: list[dict]) -> str:
    """A query of a group's loadable rows shaped as raw.<extract>: cast as load.py casts, with each
    file's provenance (entries, in the order of group.files), kept in a temp table of the group.
    load.merge reads the rows from the group's tables where they are (no copy into the staging
    table); discard() drops the tables once merged."""
    plan = schemas.columns(group.extract)
    casts = []
    for i, (column, meta) in enumerate(plan.items()):
        # Date columns come typed from the checks already.
        typed = meta["kind"] in ("date", "datetime")
        casts.append(f'{f"r.v{i}" if typed else load.cast(f"r.v{i}", meta["kind"])} as "{column}"')
    rows, dups = group.tables[1], group.tables[2]
    provenance = f"{rows}_provenance"
    con.register("_fastcsv_provenance", load.provenance(entries))  # _part = the file's _f
    try:
        con.execute(f"create or replace temp table {provenance} as "
                    "select * from _fastcsv_provenance")
    finally:
        con.unregister("_fastcsv_provenance")
    group.tables.append(provenance)
    return (f"select {', '.join(casts)}, {load.provenance_select('r._row')} "
            f"from {rows} r join {provenance} p on p._part = r._f "
            f"where not r._reject and not exists "
            f"(select 1 from {dups} d where d._f = r._f and d._row = r._row)")


def discard(con: duckdb.DuckDBPyConnection, groups: list[FastGroup]) -> None:
    """Drop the temp tables of groups: merged, or not (the ingest stopped)."""
    for g in groups:
        _drop(con, *g.tables)


def add_to_checked(checked: dict, groups: list[FastGroup], entry) -> None:
    """Add the fast files to core's `checked` (extract -> (CheckedParts, entries)), as parts with
    no pandas rows; entry(raw, **fields) builds a manifest entry."""
    for g in groups:
        for f in g.files:
            if f.extract not in checked:
                columns = list(schemas.columns(f.extract)) + ["_part", "_row"]
                empty = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
                checked[f.extract] = (quality.CheckedParts(empty, []), [])
            done, entries = checked[f.extract]
            c = f.checked
            done.parts.append(c)
            entries.append(entry(f.raw, extract=f.extract, sheet=None,
                                 extract_date=f.extract_date, status="loaded", reason=None,
                                 rows_read=c.rows_read, rows_loaded=c.rows_read - c.rows_rejected,
                                 rows_rejected=c.rows_rejected, rows_flagged=c.rows_flagged))
