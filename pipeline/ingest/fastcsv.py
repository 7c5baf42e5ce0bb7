"""A DuckDB-native path for large CSV extracts: read, normalise, validate and stage in SQL.

The pandas path (read.py -> quality.py -> load.py) holds every row of a file in memory as Python
objects and runs at about 90,000 rows a second. Here DuckDB's own CSV reader reads the file, the
normalisation of normalise.py and the checks of the pandera model run as SQL over DuckDB's columns,
and the checked rows go from a temp table into the staging table that load.merge merges. Only the
distinct values of code columns and the data-quality rows pass through Python; the rows stay in
DuckDB, whose memory is bounded by its memory_limit (temp tables spill to disk).

The pandas code stays the one definition of the rules:

- values that every file spells the same way are handled in SQL with an exact equivalent (trimming,
  ids, the common date and date-time spellings, each checked by a round trip through strptime and
  strftime, so a value is accepted only when it is exactly that spelling of a real date);
- code, yes/no and integer columns, and the few date values of other spellings, are normalised by
  normalise.py itself on their *distinct* values, and the model's own column checks (read from the
  pandera schema) decide which rules each distinct value fails; DuckDB then joins the answers back;
- rule names, severities (the field metadata `on_invalid`), masking, duplicate_key and row numbers
  follow quality.py.

A file takes this path only when it is a CSV of at least LSCB_FASTCSV_MIN_BYTES (default 20 MiB)
and a cheap check finds nothing this path does not reproduce exactly: UTF-8 text, the header on
line 1, no empty lines (pandas counts them as rows, DuckDB skips them), at most MAX_COLUMNS columns,
only checks whose SQL form is known. Anything else, and any error while DuckDB reads the file, sends
the file back to the pandas path, which then reports it exactly as before.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
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
DEFAULT_MIN_BYTES = 20 << 20
MAX_COLUMNS = 200  # the blank-row test is one SQL term per column of the file
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
_SP = normalise._SPACES  # Python's whitespace, in RE2 syntax: the same set normalise.py strips
_counter = itertools.count()


@dataclass
class FastFile:
    """A CSV checked by DuckDB: its accounting, and what stage() needs to load it."""

    raw: discover.RawFile
    extract: str
    tables: list[str]  # temp tables: checked rows, duplicate rows, distinct-value mappings
    checked: quality.Checked  # quality rows and counts, as quality.check gives them
    extract_date: dt.date | None


def min_bytes() -> int:
    """The size from which a CSV takes this path: LSCB_FASTCSV_MIN_BYTES, default 20 MiB."""
    value = os.environ.get(MIN_BYTES_ENV, "").strip()
    return int(value) if value.isdigit() else DEFAULT_MIN_BYTES


def prepare_files(con: duckdb.DuckDBPyConnection, files: list[discover.RawFile]
                  ) -> tuple[list[FastFile], list[discover.RawFile]]:
    """Check the large CSVs among files in DuckDB; (those done, the rest for the pandas path).

    The rest keep their order, so that the pandas path still raises the first file's error.
    """
    threshold = min_bytes()
    done, rest = [], []
    for raw in files:
        fast = None
        is_csv = raw.path.suffix.lower() in discover.CSV_SUFFIXES
        if is_csv and raw.path.stat().st_size >= threshold:
            fast = prepare(con, raw)
        if fast is None:
            rest.append(raw)
        else:
            done.append(fast)
    if done:
        log.info("fastcsv: %d files checked in DuckDB, %d rows", len(done),
                 sum(f.checked.rows_read for f in done))
    return done, rest


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


def prepare(con: duckdb.DuckDBPyConnection, raw: discover.RawFile) -> FastFile | None:
    """Read and check one CSV in DuckDB into a temp table; None when the pandas path must do it."""
    try:
        [table] = read.scan(raw.path, raw.source_file)
        encoding = read._encoding(raw.path, raw.source_file)
    except InputError:
        return None  # the pandas path reports it
    if table.extract is None or table.header_pos != 0 or encoding != "utf-8-sig":
        return None
    plan = _plan(table.extract)
    width = table.grid.shape[1]
    if plan is None or width > MAX_COLUMNS or _has_empty_line(raw.path):
        return None
    header = table.grid.iloc[0].tolist()
    mapping = discover.header_map(table.extract)
    wanted: dict[str, int] = {}
    for i, name in enumerate(header):
        column = mapping.get(normalise.canonical_header(name))
        if column is not None and column not in wanted:
            wanted[column] = i
    if any(meta["required"] and c not in wanted for c, meta in plan.items()):
        return None  # the pandas path raises required_column
    named = [i for i, h in enumerate(header) if isinstance(h, str) and h.strip()]
    delimiter = read._delimiter(_first_lines(raw.path, encoding))
    name = f"_fastcsv_{next(_counter)}"
    try:
        return _check(con, raw, table.extract, plan, wanted, width, named, delimiter, name)
    except duckdb.Error as exc:
        # A row DuckDB's strict reader refuses (too many or too few fields, a stray quote...):
        # the pandas path reads the file and reports it as it always has.
        log.info("fastcsv: %s left to the pandas path (%s)", raw.source_file,
                 type(exc).__name__)
        _drop_all(con, name)
        return None
    except _Fallback:
        _drop_all(con, name)
        return None


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


def _number(column: str) -> int:
    return int(column[1:])


def _check(con, raw, extract, plan, wanted, width, named, delimiter, name) -> FastFile:
    """One read of the file into a temp table, then two passes over it: (1) the distinct values
    normalise.py must read; (2) the checked rows into a temp table, from which the quality rows,
    counts and (in stage) the load come."""
    cols = {c: f"c{i}" for c, i in wanted.items()}
    csv_columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    blank = " and ".join(f"({_trim(f'c{i}')}) is null" for i in range(width))
    last = named[-1] if named else -1
    beyond = " or ".join(f"({_trim(f'c{i}')}) is not null"
                         for i in range(last + 1, width)) or "false"
    select = ["_row", "$today::DATE as _today"]
    # Expressions over the value as read (c<n>), each naming it few times: DuckDB inlines them.
    # A value with spaces around it misses the date fast path and is read by normalise.py.
    for i, (column, meta) in enumerate(plan.items()):
        c = cols.get(column)
        if c is None:
            select.append(f"null::VARCHAR as t{i}")
        else:
            select.append(f"{_id(c) if meta['kind'] == 'id' else _trim(c)} as t{i}")
        if meta["kind"] in ("date", "datetime"):
            shapes = _DATETIME_SHAPES if meta["kind"] == "datetime" else _DATE_SHAPES
            select.append(f"{_fast_ts(c, shapes) if c else 'null::TIMESTAMP'} as ts{i}")
    reader = (f"read_csv($path, header = false, skip = 1, all_varchar = true, delim = $delim, "
              f"quote = '\"', escape = '\"', columns = {csv_columns}, strict_mode = true, "
              f"auto_detect = false)")
    # The read: non-blank rows numbered, the columns used kept as text. Row numbers (ordinality)
    # make DuckDB read in order on one thread, so the rows go to a temp table first and the
    # checks over them then run on every core.
    source = f"{name}_src"
    used = sorted(set(cols.values()) | {f"c{i}" for i in range(last + 1, width)}, key=_number)
    con.execute(f"create temp table {source} as select ordinality + 1 as _row"
                f"{''.join(', ' + c for c in used)} from {reader} with ordinality "
                f"where not ({blank})", {"path": str(raw.path), "delim": delimiter})
    base = f"select {', '.join(select)}, ({beyond}) as _beyond from {source}"
    params = {"today": dt.date.today()}

    # Pass 1: the distinct values normalise.py must read (codes, odd date spellings).
    mapped = [(i, c, m) for i, (c, m) in enumerate(plan.items()) if m["kind"] not in ("id", "text")]
    wheres = {i: f"t{i} is not null" + (" and ts{i} is null".format(i=i)
                                         if m["kind"] in ("date", "datetime") else "")
              for i, _c, m in mapped}
    aggregates = ["count(*)", "coalesce(bool_or(_beyond), false)"] + [
        f"list(distinct t{i}) filter (where {wheres[i]})" for i, _c, _m in mapped]
    found = con.execute(f"select {', '.join(aggregates)} from ({base})", params).fetchall()[0]
    rows_read, has_beyond = int(found[0]), found[1]
    if has_beyond:
        raise _Fallback  # pandas raises too_many_fields with the row
    maps = []
    for (i, column, meta), values in zip(mapped, found[2:]):
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
    chain = (f"with checked as (select _row, _today, {', '.join(exprs)} "
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
    con.execute(f"create temp table {rows} as {chain} select _row, _ebs, _reject, _flag, "
                f"{', '.join(outputs)} from decided", params)
    _drop(con, source)
    # Within the file a later row with the same key replaces an earlier one (quality.py). The
    # loaded values compare as their canonical text does (dates typed, the rest that text).
    formats = {i: "%Y-%m-%d %H:%M:%S" if dates[i] == "TIMESTAMP" else "%Y-%m-%d" for i in dates}
    key_text = " || '|' || ".join(
        f"coalesce(strftime(v{k}, '{formats[k]}'), '')" if k in dates else f"coalesce(v{k}, '')"
        for k in keys)
    partition = ", ".join(f"v{k}" for k in keys)
    con.execute(
        f"create temp table {dups} as select _row, {key_text} as key from (select _row, "
        f"{partition}, row_number() over (partition by {partition} order by _row desc) as n "
        f"from {rows} where not _reject) where n > 1")
    counts = con.execute(
        f"select count(*) filter (_reject), count(*) filter (_flag and not _reject and _row "
        f"not in (select _row from {dups})), (select count(*) from {dups}) from {rows}"
    ).fetchall()[0]
    checked = quality.Checked(pd.DataFrame(), _quality(con, rows, dups, raw, extract, plan,
                                                       rejecting, end_start),
                              rows_read, int(counts[0]) + int(counts[2]), int(counts[1]))
    fast = FastFile(raw, extract, [rows, dups] + [t for _i, t in maps], checked, None)
    fast.extract_date = _extract_date(con, fast, [index[c] for c in load.EVENT_COLUMNS[extract]])
    return fast


def _mapping(extract: str, column: str, meta: dict, values: list[str]) -> pa.Table:
    """Distinct trimmed values -> canonical text (normalise.py) and the rules the model's column
    checks fail on it (pandera's own Check objects; a null passes, as pandera's ignore_na)."""
    spec = schemas.columns(extract)
    frame = pd.DataFrame({c: pd.Series(pd.NA, index=range(len(values)), dtype="string")
                          for c in spec})
    frame[column] = pd.Series(values, dtype="string")
    norm = quality.normalise_table(extract, frame)[column].astype("string")
    fails = pd.DataFrame(False, index=norm.index, columns=range(len(meta["checks"])))
    for j, check in enumerate(meta["checks"]):
        out = check(norm).check_output
        fails[j] = ~out.fillna(True).astype(bool) & norm.notna()
    rules = [[quality._rule(meta["checks"][j].name) for j in fails.columns if row[j]] or None
             for row in fails.itertuples(index=False)]
    return pa.table({"t": pa.array(values, pa.string()),
                     "n": pa.array(norm.to_numpy(dtype=object, na_value=None), pa.string()),
                     "rules": pa.array(rules, pa.list_(pa.string()))})


def _quality(con, rows, dups, raw, extract, plan, rejecting, end_start) -> pd.DataFrame:
    """The file's data-quality rows, ordered as quality.check_parts orders them."""
    parts, params = [], []
    for i, column in enumerate(plan):
        severity = "rejected" if i in rejecting else "flagged"
        value = "?::VARCHAR" if column in schemas.MASKED_COLUMNS else f"n{i}"
        parts.append(f"select _row, ?::VARCHAR as col, unnest(r{i}) as rule, {value} as value, "
                     f"?::VARCHAR as severity from {rows} where r{i} is not null")
        masked = [quality.MASK] if column in schemas.MASKED_COLUMNS else []
        params += [column, *masked, severity]
    if end_start:
        e = list(plan).index(end_start[0])
        masked = end_start[0] in schemas.MASKED_COLUMNS
        parts.append(f"select _row, ?::VARCHAR, 'end_before_start', {'?' if masked else f'n{e}'}, "
                     f"'rejected' from {rows} where _ebs")
        params += [end_start[0]] + ([quality.MASK] if masked else [])
    parts.append(f"select _row, ?::VARCHAR, 'duplicate_key', key, 'rejected' from {dups}")
    params.append("|".join(RAW_TABLES[extract][1]))
    q = con.execute(f"select * from ({' union all '.join(parts)}) order by _row, col, rule",
                    params).df()
    return pd.DataFrame({
        "file": raw.source_file, "sheet": None, "row": q["_row"].astype("int64").to_numpy(),
        "column": q["col"].to_numpy(dtype=object), "rule": q["rule"].to_numpy(dtype=object),
        "value": q["value"].astype("string").to_numpy(),
        "severity": q["severity"].to_numpy(dtype=object),
    }, columns=quality.QUALITY_COLUMNS)


def _extract_date(con, fast: FastFile, events: list[int]) -> dt.date | None:
    """From the file name, else the latest event date among loadable rows (load.latest_event_date:
    canonical text sorts as time, so the latest value's day)."""
    found = discover.date_in_name(fast.raw.path.name)
    if found is not None or not events:
        return found
    latest = ", ".join(f"max(v{i})::DATE" for i in events)
    values = [d for d in con.execute(
        f"select {latest} from {fast.tables[0]} where not _reject and "
        f"_row not in (select _row from {fast.tables[1]})").fetchall()[0] if d]
    return max(values) if values else None


def stage(con: duckdb.DuckDBPyConnection, fast: FastFile, entry: dict) -> None:
    """Append a checked file's loadable rows to its extract's staging table
    (load.begin_staging), cast as load.py casts, with entry's provenance; drop its temp tables."""
    plan = schemas.columns(fast.extract)
    casts = [f"v{i}" if meta["kind"] in ("date", "datetime") else _cast(f"v{i}", meta["kind"])
             for i, meta in enumerate(plan.values())]
    provenance = {"la_code": entry["la_code"], "extract_date": entry["extract_date"],
                  "source_file": entry["source_file"], "sheet": entry["sheet"],
                  "sha256": entry["sha256"]}
    con.execute(
        f"insert into _ingest_new_{fast.extract} select {', '.join(casts)}, "
        "$la_code::VARCHAR, $extract_date::DATE, $source_file::VARCHAR, $sheet::VARCHAR, "
        f"_row::INTEGER, $sha256::VARCHAR from {fast.tables[0]} where not _reject and "
        f"_row not in (select _row from {fast.tables[1]})",
        provenance,
    )
    _drop(con, *fast.tables)


def _cast(value: str, kind: str) -> str:
    """load._select_list's cast of canonical text, for one value (dates come typed already)."""
    if kind == "yn":
        return f"case {value} when 'Y' then true when 'N' then false end"
    if kind == "int":
        return f"cast({value} as INTEGER)"
    return f"cast({value} as VARCHAR)"


def discard(con: duckdb.DuckDBPyConnection, files: list[FastFile]) -> None:
    """Drop the temp tables of files not staged (the ingest stopped)."""
    for f in files:
        _drop(con, *f.tables)


def add_to_checked(checked: dict, files: list[FastFile], entry) -> None:
    """Add the fast files to core's `checked` (extract -> (CheckedParts, entries)), as parts with
    no pandas rows; entry(raw, **fields) builds a manifest entry."""
    for f in files:
        if f.extract not in checked:
            columns = list(schemas.columns(f.extract)) + ["_part", "_row"]
            empty = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
            checked[f.extract] = (quality.CheckedParts(empty, []), [])
        done, entries = checked[f.extract]
        c = f.checked
        done.parts.append(c)
        entries.append(entry(f.raw, extract=f.extract, sheet=None, extract_date=f.extract_date,
                             status="loaded", reason=None, rows_read=c.rows_read,
                             rows_loaded=c.rows_read - c.rows_rejected,
                             rows_rejected=c.rows_rejected, rows_flagged=c.rows_flagged))
