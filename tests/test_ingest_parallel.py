"""The batched paths of ingest: several tables of an extract checked in one pass, workbooks read in
worker processes, and errors from a worker keeping where they happened."""

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import ingest, parallel, quality, schemas
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
        monkeypatch.setattr(parallel, "_workers", lambda workers=workers: workers)
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
    monkeypatch.setattr(parallel, "_workers", lambda: 2)
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
