"""Read many extract files at once: each workbook parsed once, independent files in parallel.

read.py reads one table at a time (a sheet's first rows to recognise it, then the whole sheet again
to load it). Here a workbook is opened once and each sheet parsed once, its first rows serving to
recognise it with read.find_header; the rows are then cut out of the grid as read.load_table does.
Workbooks (whose parsing is Python-bound) are spread over a pool of worker processes; CSV files are
read in the calling process, where pandas' C parser is fast already.
"""

from __future__ import annotations

import logging
import os
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
    from python_calamine import CalamineWorkbook

    sheets = read.excel_sheets(path, source_file)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise InputError(f"cannot open the Excel workbook: {exc}", file=source_file,
                         rule="unreadable_file") from exc
    out = []
    for sheet in sheets:
        number = discover.annex_a_list(sheet)
        forced = schemas.ANNEX_A_LISTS.get(number) if number else None
        if number and forced is None:
            out.append(ReadTable(None, sheet, f"Annex A list {number}: not used", None))
            continue
        values = read.sheet_values(book, path, source_file, sheet)
        try:
            out.append(_sheet_table(values, source_file, sheet, number, forced))
        except read.OddCell:
            rows = read.pandas_sheet_rows(path, source_file, sheet)
            out.append(_sheet_table(rows, source_file, sheet, number, forced))
    return out


def _sheet_table(values: list[list], source_file: str, sheet: str, number: int | None,
                 forced: str | None) -> ReadTable:
    """A sheet's table: its header found in its first rows, then its rows cut out as text."""
    extract, pos, reason = read.find_sheet_header(values, forced)
    if extract is None:
        if number is None:
            reason = f"sheet not used ({reason})"
        return ReadTable(None, sheet, reason or None, None)
    table = read.Table(source_file, sheet, pd.DataFrame(), extract, pos)
    return ReadTable(extract, sheet, None, read.table_from_values(values, table))


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


# Workbooks to read before a pool of workers pays: its start (a forkserver importing pandas) costs
# about a second, and on the 2-core demo machine 2 workers were slower than 1 for the demo's 36
# workbooks (5.2 s against 3.9-4.6 s); a national set has hundreds of megabytes of them.
POOL_MIN_BYTES = 64 << 20
# Workbooks in flight (being read, or read and not yet taken), by their files' bytes: bounds the
# memory of results waiting (about 2-3 times the file's size each). It is large enough for the
# readers to work through a group of councils' workbooks while DuckDB checks that group's CSVs:
# with 8 a worker they stopped after a few and the ingest then waited for them.
AHEAD_BYTES = 64 << 20
AHEAD_MIN_PER_WORKER = 2


def _workers(book_bytes: int = 0) -> int:
    """Worker processes for workbooks: LSCB_INGEST_WORKERS when set; else the cores (at most 2)
    once the workbooks reach POOL_MIN_BYTES, and none below."""
    value = os.environ.get("LSCB_INGEST_WORKERS", "").strip()
    if value.isdigit():
        return max(1, int(value))
    return min(2, os.cpu_count() or 1) if book_bytes >= POOL_MIN_BYTES else 1


class Reader:
    """The tables of each file, in the order given, as an iterator; raises the first file's
    InputError when it comes to it.

    Workbooks are read ahead by worker processes (when _workers says so) from the moment the Reader
    is made, so that the caller can do other work meanwhile (the DuckDB checks of the CSVs); at
    most AHEAD_BYTES of workbooks are in flight, so results wait in memory a bounded few.
    """

    def __init__(self, files: list[discover.RawFile]) -> None:
        self.files = files
        self.books = [i for i, f in enumerate(files)
                      if f.path.suffix.lower() in discover.EXCEL_SUFFIXES]
        self.sizes = {i: files[i].path.stat().st_size for i in self.books}
        self.ahead_bytes = 0  # of the workbooks in self.futures
        workers = _workers(sum(self.sizes.values()))
        self.pool = None
        self.broken: tuple = ()  # the pool's "a worker died" error, once there is a pool
        self.futures: dict = {}
        self.skipped: set[int] = set()
        self.next_book = 0
        if workers > 1 and len(self.books) >= MIN_PARALLEL_WORKBOOKS:
            self._start_pool(workers)

    def _start_pool(self, workers: int) -> None:
        # Imported here: a process that never starts a pool (every council's monthly run) does
        # not pay for them.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        if "forkserver" in multiprocessing.get_all_start_methods():
            # forkserver, not fork: the calling process has DuckDB's (and others') threads, and a
            # fork of a threaded process can crash. The server imports this module once,
            # single-threaded, and forks each worker from there.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            from pipeline import startup

            # Workers end when this process does, even killed (startup.exit_with).
            self.pool = ProcessPoolExecutor(workers, mp_context=context,
                                            initializer=startup.exit_with,
                                            initargs=(os.getpid(),))
            self.broken = BrokenProcessPool
            self.min_ahead = AHEAD_MIN_PER_WORKER * workers
            log.debug("reading %d workbooks in %d processes", len(self.books), workers)
            self._top_up()

    def _top_up(self) -> None:
        while (self.pool is not None and self.next_book < len(self.books)
               and (len(self.futures) < self.min_ahead or self.ahead_bytes < AHEAD_BYTES)):
            i = self.books[self.next_book]
            try:
                self.futures[i] = self.pool.submit(_read_in_worker, self.files[i].path,
                                                   self.files[i].source_file)
            except self.broken:
                self.close()  # the rest are read here
                return
            self.ahead_bytes += self.sizes[i]
            self.next_book += 1

    def skip(self, files: list[discover.RawFile]) -> None:
        """Do not read these files (CSVs the caller took), when the iteration comes to them."""
        self.skipped |= {id(f) for f in files}

    def __iter__(self):
        try:
            for i, f in enumerate(self.files):
                if id(f) in self.skipped:
                    continue
                future = self.futures.pop(i, None)
                if future is None:
                    result = _read_in_worker(f.path, f.source_file)
                else:
                    self.ahead_bytes -= self.sizes[i]
                    self._top_up()
                    try:
                        result = future.result()
                    except self.broken:
                        # A worker could not start (e.g. a __main__ script without the main guard
                        # that forkserver needs) or died: read that file here instead.
                        result = _read_in_worker(f.path, f.source_file)
                if isinstance(result, _Failure):
                    raise result.error()
                yield result
        finally:
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
