"""What this machine allows at national scale with no checks at all: a floor for `make bench-national`.

    python benchmarks/floor.py [--scratch .bench]

The national bar is 1 million input rows per second for ingest + validate + models. This measures,
on the same input files as the national benchmark (its generated data, without the held-back
month), the two parts of that work that no validation design can avoid:

- `CSV copy`: DuckDB's own CSV reader copying every CSV into a warehouse file as text (the files of
  one layout in one `read_csv`, as `pipeline.ingest.fastcsv` groups them; all threads; no row
  numbers, no checks, no typing), then a checkpoint;
- `workbook parse`: python-calamine parsing every Annex A sheet the pipeline reads into Python
  values, in two processes (one a core), nothing else.

It prints wall time and rows/s for each and for the two together (one after the other: each
already keeps both cores busy). Run it on a quiet machine; it writes nothing to the repository.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import bench  # noqa: E402


def measured_files(scratch: Path) -> list[Path]:
    """The national benchmark's input files (generated if missing, as bench.py does): every file
    but the held-back month's."""
    params = bench.generated_params("national")
    raw, _ref, _s = bench.generated(scratch, "national", params)
    held = f"_{params['end']}-"
    return [p for p in sorted(raw.rglob("*")) if p.is_file() and held not in p.name]


def csv_copy(files: list[Path], db: Path) -> tuple[float, int, int]:
    """(seconds, rows, files left out): every CSV of a layout fastcsv takes, copied as text."""
    from pipeline import warehouse
    from pipeline.ingest import discover, fastcsv

    layouts: dict = {}
    left = 0
    for path in files:
        if path.suffix.lower() not in discover.CSV_SUFFIXES:
            continue
        raw = discover.RawFile(path=path, source_file=path.name, la_code="", sha256="")
        layout = fastcsv._layout(raw)
        if layout is None:
            left += 1
        else:
            layouts.setdefault(layout, []).append(str(path))
    con = warehouse.connect(db)
    began = time.perf_counter()
    rows = 0
    for n, (layout, paths) in enumerate(layouts.items()):
        # The pipeline's own read, not strict: a floor should not stop at a row DuckDB refuses.
        con.execute(f"create table copy_{n} as select * from "
                    f"{fastcsv.read_csv_sql(layout, strict=False)}",
                    {"paths": paths, "delim": layout.delimiter})
        rows += con.execute(f"select count(*) from copy_{n}").fetchone()[0]
    con.execute("checkpoint")
    seconds = time.perf_counter() - began
    con.close()
    return seconds, rows, left


def _parse(path: str) -> int:
    """Parse the workbook's Annex A lists the pipeline loads; their rows with a value below the
    header (found as the pipeline finds it, in the first rows only)."""
    from python_calamine import CalamineWorkbook

    from pipeline.ingest import discover, read, schemas

    book = CalamineWorkbook.from_path(path)
    rows = 0
    for sheet in book.sheet_names:
        forced = schemas.ANNEX_A_LISTS.get(discover.annex_a_list(sheet))
        if forced is None:
            continue
        values = book.get_sheet_by_name(sheet).to_python()
        _extract, pos, _why = read.find_sheet_header(values, forced)
        if pos is not None:
            rows += sum(any(v not in ("", None) for v in row) for row in values[pos + 1:])
    return rows


def workbook_parse(files: list[Path]) -> tuple[float, int]:
    books = [str(p) for p in files if p.suffix.lower() == ".xlsx"]
    began = time.perf_counter()
    with multiprocessing.get_context("forkserver").Pool(2) as pool:
        rows = sum(pool.map(_parse, books, chunksize=8))
    return time.perf_counter() - began, rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scratch", type=Path, default=bench.DEFAULT_SCRATCH)
    args = p.parse_args(argv)
    files = measured_files(args.scratch)
    with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
        csv_s, csv_rows, left = csv_copy(files, Path(tmp) / "floor.duckdb")
    book_s, book_rows = workbook_parse(files)
    lines = [("CSV copy (DuckDB, no checks)", csv_s, csv_rows),
             ("workbook parse (calamine, 2 processes)", book_s, book_rows),
             ("both, one after the other", csv_s + book_s, csv_rows + book_rows)]
    print(f"{'part':<40} {'wall s':>8} {'rows':>12} {'rows/s':>12}")
    for name, seconds, rows in lines:
        print(f"{name:<40} {seconds:8.2f} {rows:12,} {rows / seconds:12,.0f}")
    if left:
        print(f"({left} CSVs fastcsv leaves to pandas are not in the CSV copy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
