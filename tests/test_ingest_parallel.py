"""The batched paths of ingest: several tables of an extract checked in one pass, workbooks read in
worker processes, and errors from a worker keeping where they happened."""

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import ingest, parallel, quality, read, schemas
from pipeline.warehouse import connect


def text_table(extract, rows, first_row=2):
    frame = pd.DataFrame(rows, dtype="string").reindex(columns=list(schemas.columns(extract)))
    frame.index = range(first_row, first_row + len(frame))
    return frame.astype("string")


def test_check_parts_keeps_each_tables_accounting_and_duplicates_within_a_table():
    good = dict(contact_id="C1", child_id="K1", received_at="2024-03-01 09:00", source="6")
    first = text_table("mash_contacts", [good, {**good, "child_id": "K9"},
                                         {**good, "contact_id": "C2", "rag": "PINK"}])
    # The second table repeats C1 (kept: duplicates are looked for within a table only) and has a
    # contact without a child id (rejected), on rows 5 and 6.
    second = text_table("mash_contacts", [good, {**good, "contact_id": "C3", "child_id": None}],
                        first_row=5)
    done = quality.check_parts("mash_contacts", [quality.Part(first, "a.csv", None),
                                                 quality.Part(second, "b.csv", None)])
    a, b = done.parts
    assert (a.rows_read, a.rows_rejected, a.rows_flagged) == (3, 1, 1)
    assert (b.rows_read, b.rows_rejected, b.rows_flagged) == (2, 1, 0)
    assert list(zip(a.quality["row"], a.quality["column"], a.quality["rule"],
                    a.quality["severity"])) == [
        (2, "contact_id", "duplicate_key", "rejected"), (4, "rag", "not_in_code_list", "flagged")]
    assert set(a.quality["file"]) == {"a.csv"}
    assert list(zip(b.quality["row"], b.quality["column"], b.quality["rule"])) == [
        (6, "child_id", "missing_value")]
    kept = done.rows.sort_values(["_part", "_row"])
    assert list(zip(kept["_part"], kept["_row"], kept["contact_id"], kept["child_id"])) == [
        (0, 3, "C1", "K9"), (0, 4, "C2", "K1"), (1, 5, "C1", "K1")]
    assert kept["rag"].isna().all()  # PINK set to null


def test_check_parts_with_no_rows():
    done = quality.check_parts("ssda903_header", [quality.Part(text_table("ssda903_header", []),
                                                               "h.csv", None)])
    assert done.rows.empty and done.parts[0].rows_read == 0 and done.parts[0].quality.empty


LIST1 = ["Child Unique ID", "Gender", "Ethnicity", "Date of Contact", "Contact Source"]


def workbook(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_workbooks_read_in_worker_processes_load_as_read_one_by_one(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    n = parallel.MIN_PARALLEL_WORKBOOKS + 1
    for month in range(1, n + 1):
        # Rolling lists: child 1's contact is in every workbook, child <month+1>'s only in one.
        workbook(raw / f"annex_a_2024-{month:02d}-28.xlsx", {"List 1": [
            LIST1, [1, "M", "WBRI", dt.datetime(2024, 1, 5), "Police"],
            [month + 1, "F", "WBRI", f"{month:02d}/0{month}/2024", "1a"]]})
    results = []
    for workers in (1, 2):
        monkeypatch.setattr(parallel, "_workers", lambda *_a, workers=workers: workers)
        con = connect()
        result = ingest(con, raw, "311")
        assert [e["rows_loaded"] for e in result.files] == [2] * n
        results.append(con.execute("select child_unique_id, date_of_contact, contact_source, "
                                   "source_file, source_row from raw.annex_a_contacts "
                                   "order by 1").fetchall())
    assert results[0] == results[1]
    # Child 1 once, from the latest workbook (row 2); each other child from its own workbook.
    assert results[0][0] == ("1", dt.date(2024, 1, 5), "6", f"annex_a_2024-{n:02d}-28.xlsx", 2)
    assert [r[0] for r in results[0]] == [str(i) for i in range(1, n + 2)]
    assert results[0][1] == ("2", dt.date(2024, 1, 1), "1A", "annex_a_2024-01-28.xlsx", 3)


def test_an_error_in_a_worker_names_file_sheet_and_column(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "_workers", lambda *_a: 2)
    raw = tmp_path / "raw"
    for i in range(parallel.MIN_PARALLEL_WORKBOOKS):
        workbook(raw / f"a{i}.xlsx", {"List 1": [LIST1, [1, "M", "WBRI", "2024-01-05", "6"]]})
    workbook(raw / "a9.xlsx", {"List 7": [["Child Unique ID", "Gender"], [1, "F"]]})
    con = connect()
    with pytest.raises(InputError) as err:
        ingest(con, raw, "311")
    assert (err.value.file, err.value.sheet, err.value.column) == ("a9.xlsx", "List 7",
                                                                   "cpp_start_date")
    assert str(err.value).count("(file a9.xlsx") == 1
    assert con.execute("select count(*) from meta.loaded_files").fetchone()[0] == 0


# --- Workbooks read cell by cell: the same text as pandas' read_excel -----------------------------

def _pandas_rows(path, sheet):
    grid = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="calamine")
    return grid.fillna("").to_numpy(dtype=object).tolist()


def _sheet_rows(book, path, sheet):
    """A whole sheet as read_workbook turns cells into text (read.texts), or by pandas itself
    when a cell is of a type it leaves to pandas."""
    try:
        return [read.texts(row) for row in read.sheet_values(book, path, path.name, sheet)]
    except read.OddCell:
        return read.pandas_sheet_rows(path, path.name, sheet)


def _same_rows_as_pandas(path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    for sheet in book.sheet_names:
        assert _sheet_rows(book, path, sheet) == _pandas_rows(path, sheet), sheet
    return len(book.sheet_names)


def test_sheet_rows_spell_cells_as_pandas_does(tmp_path):
    """Integers stored as floats, decimals, dates, date-times, NA spellings (blank for pandas),
    text with spaces, ragged rows; a time of day is a cell type the fast reading leaves to pandas."""
    path = tmp_path / "cells.xlsx"
    workbook(path, {
        "List 1": [LIST1, [1, "M", "WBRI", dt.datetime(2024, 1, 5, 9, 30), "Police"],
                   [2.0, "NA", " n/a ", dt.date(2024, 2, 1), 1.5],
                   ["N/A", None, "", "null", 1e16], [None, None, None, None, None],
                   [3, "F"]],
        "Times": [["a", "b"], [dt.time(9, 30), 1]],
    })
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = _sheet_rows(book, path, "List 1")
    # Worked by hand: what pandas gives, cell by cell.
    assert rows[1] == ["1", "M", "WBRI", "2024-01-05 09:30:00", "Police"]
    assert rows[2] == ["2", "", " n/a ", "2024-02-01 00:00:00", "1.5"]
    assert rows[3] == ["", "", "", "", "10000000000000000"]  # a whole float: as an integer
    assert rows[4] == [""] * 5 and rows[5] == ["3", "F", "", "", ""]
    assert _same_rows_as_pandas(path) == 2


def test_sheet_rows_same_as_pandas_on_real_workbooks(tmp_path, samples_dir):
    """Every workbook case of the test corpus and the Annex A samples in ../shared/samples."""
    from corpus.cases import CASES

    seen = 0
    for case in CASES:
        if case.big:
            continue
        raw = tmp_path / case.id
        raw.mkdir()
        case.build(raw)
        for path in raw.rglob("*.xls*"):
            try:
                seen += _same_rows_as_pandas(path)
            except Exception as exc:  # unreadable workbooks: both readers refuse them
                if "python_calamine" not in type(exc).__module__ and "Calamine" not in repr(exc):
                    raise
    for path in sorted(samples_dir.rglob("*.xls*")):
        seen += _same_rows_as_pandas(path)
    assert seen >= 40


# --- Large multi-council inputs: a group of councils at a time ----------------------------------

def _councils(raw):
    from corpus.cases import MASH_COLS, MASH_ROWS, csv_text

    for n, la in enumerate(("311", "312", "313")):
        folder = raw / la
        folder.mkdir(parents=True)
        rows = [list(r) for r in MASH_ROWS]
        rows[1][MASH_COLS.index("rag")] = "PINK" if n == 1 else "AMBER"  # a flag in 312
        rows[2][MASH_COLS.index("contact_id")] = f"C3-{la}"  # no two files the same
        (folder / "mash_2013-01-31.csv").write_text(csv_text(MASH_COLS, rows))
        workbook(folder / "annex_a_2013-01-31.xlsx", {"List 1": [
            LIST1, [1, "M", "WBRI", dt.datetime(2013, 1, 5), "Police"],
            [2 + n, "F", "WBRI", "06/01/2013", "1a"]]})


def _everything(con, result):
    tables = {t: sorted(con.execute(f"select * from raw.{t}").fetchall(), key=repr)
              for t in ("mash_contacts", "annex_a_contacts")}
    loaded = sorted(con.execute("select * exclude (loaded_at) from meta.loaded_files").fetchall(),
                    key=repr)
    return tables, loaded, result.files, result.quality.to_dict("records")


def test_chunks_of_councils_load_as_one_chunk(tmp_path, monkeypatch):
    """Each council its own chunk (and its own transaction) gives the same warehouse, accounting
    and data-quality rows as all in one."""
    raw = tmp_path / "raw"
    _councils(raw)
    from pipeline.ingest import core

    got = []
    for limit in (None, "1"):
        if limit is None:
            monkeypatch.delenv(core.CHUNK_ENV, raising=False)
        else:
            monkeypatch.setenv(core.CHUNK_ENV, limit)
        assert len(core._chunks([f for f in core.discover.find_files(raw, "311")])) == (
            1 if limit is None else 3)
        con = connect()
        got.append(_everything(con, ingest(con, raw, "311")))
        con.close()
    assert got[0] == got[1]
    tables, loaded, files, dq = got[0]
    assert len(tables["mash_contacts"]) == 9 and len(tables["annex_a_contacts"]) == 6
    assert [(d["file"], d["rule"]) for d in dq] == [("312/mash_2013-01-31.csv", "not_in_code_list")]


def test_an_error_in_a_later_chunk_names_its_file(tmp_path, monkeypatch):
    """Chunks before it are loaded (the run's copy of the warehouse is then thrown away: run.py);
    the error names the file, sheet and column as always."""
    raw = tmp_path / "raw"
    _councils(raw)
    workbook(raw / "313" / "annex_a_2013-02-28.xlsx",
             {"List 7": [["Child Unique ID", "Gender"], [1, "F"]]})
    from pipeline.ingest import core

    monkeypatch.setenv(core.CHUNK_ENV, "1")
    con = connect()
    with pytest.raises(InputError) as err:
        ingest(con, raw, "311")
    assert (err.value.file, err.value.sheet, err.value.column) == (
        "313/annex_a_2013-02-28.xlsx", "List 7", "cpp_start_date")
    councils = {r[0] for r in con.execute("select la_code from meta.loaded_files").fetchall()}
    assert councils == {"311", "312"}
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0
