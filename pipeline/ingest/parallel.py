"""Read many extract files at once: each workbook parsed once, independent files in parallel.

read.py reads one table at a time (a sheet's first rows to recognise it, then the whole sheet again
to load it). Here a workbook is opened once and each sheet parsed once, its first rows serving to
recognise it with read.find_header; the rows are then cut out of the grid as read.load_table does.
Workbooks (whose parsing is Python-bound) are spread over a pool of worker processes; CSV files are
read in the calling process, where pandas' C parser is fast already.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from . import discover, read, schemas

log = logging.getLogger("lscb.ingest")

# Below this many workbooks, starting workers costs more than it saves.
MIN_PARALLEL_WORKBOOKS = 4


@dataclass
class ReadTable:
    """One recognised (or skipped) table of a file, with its rows as load_table gives them."""

    extract: str | None
    sheet: str | None
    skip_reason: str | None
    frame: pd.DataFrame | None  # None when skipped


def read_workbook(path: Path, source_file: str) -> list[ReadTable]:
    """Every sheet of an Annex A (or other) workbook, each parsed once."""
    sheets = read.excel_sheets(path, source_file)
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise InputError(f"cannot open the Excel workbook: {exc}", file=source_file,
                         rule="unreadable_file") from exc
    out = []
    with book:
        for sheet in sheets:
            number = discover.annex_a_list(sheet)
            forced = schemas.ANNEX_A_LISTS.get(number) if number else None
            if number and forced is None:
                out.append(ReadTable(None, sheet, f"Annex A list {number}: not used", None))
                continue
            try:
                grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=str).fillna("")
            except Exception as exc:
                raise InputError(f"cannot read the sheet: {exc}", file=source_file,
                                 sheet=sheet, rule="unreadable_file") from exc
            extract, pos, reason = read.find_header(grid.iloc[:read.HEADER_SEARCH_ROWS], forced)
            if extract is None:
                if number is None:
                    reason = f"sheet not used ({reason})"
                out.append(ReadTable(None, sheet, reason or None, None))
                continue
            table = read.Table(source_file, sheet, pd.DataFrame(), extract, pos)
            out.append(ReadTable(extract, sheet, None, read.table_from_grid(grid, table)))
    return out


def read_text_file(path: Path, source_file: str) -> list[ReadTable]:
    """A CSV (or text) file: recognised from its first lines, then read whole by read.py."""
    [table] = read.scan(path, source_file)
    if table.extract is None:
        return [ReadTable(None, None, table.skip_reason, None)]
    return [ReadTable(table.extract, None, None, read.load_table(path, table))]


def read_file(path: Path, source_file: str) -> list[ReadTable]:
    if path.suffix.lower() in discover.EXCEL_SUFFIXES:
        return read_workbook(path, source_file)
    return read_text_file(path, source_file)


@dataclass
class _Failure:
    """An InputError sent back from a worker (its keyword fields do not survive pickling)."""

    args: tuple
    fields: dict

    def error(self) -> InputError:
        err = InputError.__new__(InputError)
        Exception.__init__(err, *self.args)
        for key, value in self.fields.items():
            setattr(err, key, value)
        return err


def _read_in_worker(path: Path, source_file: str) -> list[ReadTable] | _Failure:
    try:
        return read_file(path, source_file)
    except InputError as exc:
        return _Failure(exc.args, {k: getattr(exc, k) for k in
                                   ("file", "sheet", "row", "column", "rule")})


def _workers() -> int:
    """Worker processes for workbooks: LSCB_INGEST_WORKERS, default 1 (no pool).

    Measured on the 2-core demo machine, 2 workers were slower than 1 (5.2 s against 3.9-4.6 s for
    the demo ingest), and a SIGKILLed run leaves forkserver workers behind; so the pool is opt-in.
    """
    value = os.environ.get("LSCB_INGEST_WORKERS", "").strip()
    return max(1, int(value)) if value.isdigit() else 1


def read_files(files: list[discover.RawFile]) -> list[list[ReadTable]]:
    """The tables of each file, in the order given. Raises the first file's InputError."""
    results: list = [None] * len(files)
    books = [i for i, f in enumerate(files) if f.path.suffix.lower() in discover.EXCEL_SUFFIXES]
    workers = _workers()
    pool = None
    if workers > 1 and len(books) >= MIN_PARALLEL_WORKBOOKS and "forkserver" in \
            multiprocessing.get_all_start_methods():
        # forkserver, not fork: the calling process has DuckDB's (and others') threads, and a fork
        # of a threaded process can crash. The server imports this module once, single-threaded,
        # and forks each worker from there.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        pool = ProcessPoolExecutor(workers, mp_context=context)
    try:
        futures = {}
        if pool is not None:
            futures = {i: pool.submit(_read_in_worker, files[i].path, files[i].source_file)
                       for i in books}
            log.debug("reading %d workbooks in %d processes", len(books), workers)
        # The CSV files are read here meanwhile, in order, so that the first error is the first
        # file's.
        for i, f in enumerate(files):
            if i not in futures:
                results[i] = _read_in_worker(f.path, f.source_file)
        for i, future in futures.items():
            try:
                results[i] = future.result()
            except BrokenProcessPool:
                # A worker could not start (e.g. a __main__ script without the main guard that
                # forkserver needs) or died: read that file here instead.
                results[i] = _read_in_worker(files[i].path, files[i].source_file)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    for result in results:
        if isinstance(result, _Failure):
            raise result.error()
    return results
