"""Ingest end to end on small files built in tmp_path: formats, accounting, dedup, failures."""

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.ingest import fastcsv, ingest
from pipeline.warehouse import connect

PROVENANCE = ["extract_date", "source_file", "source_sheet", "source_row", "file_sha256"]
MASH_HEADER = "Contact ID,Child ID,Received At,Source,MERLIN ID,RAG,Decided At,Outcome,Postcode\n"


def write(path: Path, text: str, encoding="utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def table(con, name, *, provenance=False):
    df = con.execute(f"select * from raw.{name}").df()
    if not provenance:
        df = df.drop(columns=PROVENANCE)
    return df.sort_values(list(df.columns[:2])).reset_index(drop=True)


def annex_a(path: Path, sheets: dict[str, list[list]], title=True) -> Path:
    """An Annex A workbook: per sheet, a title row (as Ofsted's template) then header and rows."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        if title:
            ws.append([f"{name}: title"])
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


LIST3_HEADER = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
                "Date of referral ", "Referral Source", "Referral NFA", "Number of Referrals in Last "
                "12 Months", "Allocated Team", "Allocated Worker"]
LIST7_HEADER = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age",
                "Child Protection Plan Start Date", "Initial Category of Abuse",
                "Latest Category of Abuse", "Child Protection Plan End Date",
                "Number of Previous Child Protection Plans"]


def test_mash_csv_with_bom_header_variants_and_accounting(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "logs" / "anything.csv", "\ufeff" + MASH_HEADER +
          "1.0,K1,01/03/2024 09:00,q) 6: Police,,Red,01/03/2024 12:00,REFERRAL,RM1 1AA\n"
          "2,K2,2024-03-02 10:00,1a,,amber,,,RM1 1AA\n"
          "\n"
          "3,,2024-03-02,6,,,,,\n"
          "4,K4,2024-03-03,6,,,2024-03-01,NFA,\n")
    con = connect()
    result = ingest(con, raw, "311")
    [entry] = result.files
    assert (entry["extract"], entry["status"], entry["rows_read"], entry["rows_loaded"],
            entry["rows_rejected"]) == ("mash_contacts", "loaded", 4, 2, 2)
    # Extract date: no date in the name, so the latest event date inside the loaded rows.
    assert entry["extract_date"] == dt.date(2024, 3, 2)
    q = result.quality
    assert list(zip(q["row"], q["column"], q["rule"])) == [
        (5, "child_id", "missing_value"), (6, "decided_at", "end_before_start")]
    assert set(q["file"]) == {"logs/anything.csv"} and q["sheet"].isna().all()
    rows = con.execute("select contact_id, source, rag, received_at, source_row "
                       "from raw.mash_contacts order by contact_id").fetchall()
    assert rows == [("1", "6", "RED", dt.datetime(2024, 3, 1, 9), 2),
                    ("2", "1A", "AMBER", dt.datetime(2024, 3, 2, 10), 3)]
    columns = [c[0] for c in con.execute("describe raw.mash_contacts").fetchall()]
    assert "postcode" not in columns
    assert con.execute("select count(*) from meta.data_quality").fetchone()[0] == 2
    assert result.extracts_loaded == {"311": {"mash_contacts"}}


def test_cp1252_csv(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "merlin.csv", "MERLIN ID,Received At,Child ID,Notification Type,Police Risk,"
          "Screened,Officer\nM1,2024-03-01 08:00,K1,MISSING,HIGH,Y,Zoë Café\n", encoding="cp1252")
    con = connect()
    result = ingest(con, raw, "311")
    assert result.files[0]["rows_loaded"] == 1
    assert con.execute("select screened from raw.merlin_notifications").fetchone() == (True,)


def test_annex_a_workbook_title_rows_sheet_names_and_serials(tmp_path):
    raw = tmp_path / "raw"
    annex_a(raw / "annex_a_2024-03-31.xlsx", {
        "Front_Sheet": [["Annex A"]],
        "List 1 - Contacts": [["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age",
                               "Date of Contact", "Contact Source"],
                              [1.0, "M", "WBRI", "2010-01-01", 14, 45352, "Police"]],
        "List_2": [["Child Unique ID"]],
        "List 3": [LIST3_HEADER,
                   ["  5 ", "F", "WBRI", dt.datetime(2012, 1, 1), 12, dt.datetime(2024, 3, 1),
                    "q) 6: Police", "Yes", 1.0, "T", "W"],
                   [6, "M", "WBRI", None, None, "01/03/2024", "School", "N", None, None, None]],
        "List_7": [LIST7_HEADER,
                   [5, "F", "WBRI", None, None, "2023-01-01", "Neglect", "Sexual abuse", None, 0]],
    })
    con = connect()
    result = ingest(con, raw, "311")
    by_sheet = {e["sheet"]: e for e in result.files}
    assert by_sheet["List_2"]["status"] == "skipped"
    assert by_sheet["List_2"]["reason"] == "Annex A list 2: not used"
    assert by_sheet["Front_Sheet"]["status"] == "skipped"
    for sheet, extract, n in [("List 1 - Contacts", "annex_a_contacts", 1),
                              ("List 3", "annex_a_referrals", 2), ("List_7", "annex_a_cp_plans", 1)]:
        e = by_sheet[sheet]
        assert (e["extract"], e["rows_read"], e["rows_loaded"], e["rows_rejected"]) == (extract, n, n, 0)
        assert e["extract_date"] == dt.date(2024, 3, 31)
    # 45352 is 2024-03-01 as an Excel serial.
    assert con.execute("select child_unique_id, date_of_contact, contact_source, gender "
                       "from raw.annex_a_contacts").fetchall() == [
        ("1", dt.date(2024, 3, 1), "6", "M")]
    assert con.execute("select child_unique_id, date_of_referral, referral_source, referral_nfa, "
                       "referrals_in_last_12_months, source_row from raw.annex_a_referrals "
                       "order by source_row").fetchall() == [
        ("5", dt.date(2024, 3, 1), "6", True, 1, 3), ("6", dt.date(2024, 3, 1), "2A", False, None, 4)]
    assert con.execute("select latest_category, previous_cpp_count, cpp_end_date "
                       "from raw.annex_a_cp_plans").fetchall() == [("SEXUAL", 0, None)]
    assert result.quality.empty


def test_council_sub_folders(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "311" / "mash.csv", MASH_HEADER + "1,K1,2024-03-01,6,,,,,\n")
    write(raw / "312" / "mash.csv", MASH_HEADER + "1,K9,2024-03-01,6,,,,,\n2,K9,2024-03-01,6,,,,,\n")
    con = connect()
    result = ingest(con, raw, "999")
    assert {e["source_file"]: e["la_code"] for e in result.files} == {
        "311/mash.csv": "311", "312/mash.csv": "312"}
    assert con.execute("select la_code, count(*) from raw.mash_contacts group by 1 order by 1"
                       ).fetchall() == [("311", 1), ("312", 2)]
    assert result.extracts_loaded == {"311": {"mash_contacts"}, "312": {"mash_contacts"}}


def _drops(tmp_path):
    """Two overlapping monthly MASH drops: contact 2 is revised in the later one."""
    jan = MASH_HEADER + ("1,K1,2024-01-05,6,,,,,\n"
                         "2,K2,2024-01-20,6,,,,,\n")
    feb = MASH_HEADER + ("2,K2,2024-01-20,6,,RED,2024-01-20 13:00,REFERRAL,\n"
                         "3,K3,2024-02-03,8,,,,,\n")
    return jan, feb


# The CSVs below are far smaller than fastcsv's threshold: "duckdb" lowers it to 0, so that the
# same files take DuckDB's path (rows merged from its checked temp tables) instead of pandas'.
@pytest.fixture
def csv_path(request, monkeypatch):
    if request.param == "duckdb":
        monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, "0")
    return request.param


@pytest.mark.parametrize("csv_path", ["pandas", "duckdb"], indirect=True)
def test_overlapping_drops_equal_loading_each_record_once(tmp_path, csv_path):
    jan, feb = _drops(tmp_path)
    # One run over both drops.
    both = tmp_path / "both"
    write(both / "mash_2024-01-31.csv", jan)
    write(both / "mash_2024-02-29.csv", feb)
    con_both = connect()
    ingest(con_both, both, "311")
    # Two runs, one drop each, in each order; and the same drop loaded twice.
    outcomes = []
    for order in (("mash_2024-01-31.csv", "mash_2024-02-29.csv"),
                  ("mash_2024-02-29.csv", "mash_2024-01-31.csv")):
        con = connect()
        for name in order:
            step = tmp_path / f"step_{order[0]}_{name}"
            write(step / name, jan if "01-31" in name else feb)
            ingest(con, step, "311")
            ingest(con, step, "311")  # unchanged: not read again
        outcomes.append(table(con, "mash_contacts"))
    # Each record once, by hand: contacts 1, 2 (February's version), 3.
    expected = table(con_both, "mash_contacts")
    assert list(expected["contact_id"]) == ["1", "2", "3"]
    assert expected.set_index("contact_id").loc["2", "outcome"] == "REFERRAL"
    for got in outcomes:
        pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("csv_path", ["pandas", "duckdb"], indirect=True)
def test_repeated_key_with_a_missing_part_keeps_the_latest_version(tmp_path, csv_path, caplog):
    # Annex A contacts are keyed by child, date and source, and the source may be missing: two
    # drops of the same contact with no source are one record, whose later version is kept.
    header = "Child Unique ID,Gender,Ethnicity,Date of Contact,Contact Source\n"
    raw = tmp_path / "raw"
    write(raw / "contacts_2024-01-31.csv", header + "1,M,WBRI,05/01/2024,\n2,F,WBRI,06/01/2024,6\n")
    write(raw / "contacts_2024-02-29.csv", header + "1,F,WBRI,05/01/2024,\n3,M,WBRI,01/02/2024,6\n")
    con = connect()
    with caplog.at_level("INFO", logger="lscb"):
        ingest(con, raw, "311")
    assert ("fastcsv: 2 files checked in DuckDB" in caplog.text) == (csv_path == "duckdb")
    assert con.execute("select child_unique_id, gender, contact_source, source_file "
                       "from raw.annex_a_contacts order by 1").fetchall() == [
        ("1", "F", None, "contacts_2024-02-29.csv"), ("2", "F", "6", "contacts_2024-01-31.csv"),
        ("3", "M", "6", "contacts_2024-02-29.csv")]


def test_overlapping_drops_through_both_paths_in_one_run(tmp_path, monkeypatch, caplog):
    # January's drop has an empty line (pandas counts it as a row, DuckDB would skip it), so it
    # takes the pandas path and is staged; February's is merged from DuckDB's checked rows. Contact
    # 2 is in both: February's version must win, over a key repeated across the two paths.
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, "0")
    jan, feb = _drops(tmp_path)
    raw = tmp_path / "raw"
    write(raw / "mash_2024-01-31.csv", jan.replace("\n2,", "\n\n2,"))
    write(raw / "mash_2024-02-29.csv", feb)
    con = connect()
    with caplog.at_level("INFO", logger="lscb"):
        ingest(con, raw, "311")
    assert "fastcsv: 1 files checked in DuckDB" in caplog.text
    got = con.execute("select contact_id, outcome, source_file, source_row from raw.mash_contacts "
                      "order by contact_id").fetchall()
    assert got == [("1", None, "mash_2024-01-31.csv", 2),
                   ("2", "REFERRAL", "mash_2024-02-29.csv", 2),
                   ("3", None, "mash_2024-02-29.csv", 3)]
    # A later run with January again (a re-sent drop, renamed): merged into what is stored, it
    # replaces nothing, as February's version is later.
    again = tmp_path / "again"
    write(again / "mash_2024-01-31_resent.csv", jan)
    ingest(con, again, "311")
    assert con.execute("select contact_id, outcome from raw.mash_contacts order by 1"
                       ).fetchall() == [("1", None), ("2", "REFERRAL"), ("3", None)]


@pytest.mark.parametrize("csv_path", ["pandas", "duckdb"], indirect=True)
def test_same_extract_date_later_path_wins(tmp_path, csv_path):
    raw = tmp_path / "raw"
    write(raw / "a" / "mash_2024-02-01.csv", MASH_HEADER + "1,K1,2024-01-05,6,,,,NFA,\n")
    write(raw / "b" / "mash_2024-02-01.csv", MASH_HEADER + "1,K1,2024-01-05,6,,,,REFERRAL,\n")
    con = connect()
    ingest(con, raw, "311")
    assert con.execute("select outcome, source_file from raw.mash_contacts").fetchall() == [
        ("REFERRAL", "b/mash_2024-02-01.csv")]


@pytest.mark.parametrize("csv_path", ["pandas", "duckdb"], indirect=True)
def test_older_extract_does_not_replace_newer(tmp_path, csv_path):
    con = connect()
    write(tmp_path / "r1" / "mash_2024-03-01.csv", MASH_HEADER + "1,K1,2024-01-05,6,,,,REFERRAL,\n")
    write(tmp_path / "r2" / "mash_2024-02-01.csv", MASH_HEADER + "1,K1,2024-01-05,6,,,,NFA,\n")
    ingest(con, tmp_path / "r1", "311")
    ingest(con, tmp_path / "r2", "311")
    assert con.execute("select outcome from raw.mash_contacts").fetchall() == [("REFERRAL",)]


def test_unchanged_file_keeps_its_accounting(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "mash.csv", MASH_HEADER + "1,K1,2024-01-05,6,,PINK,,,\n2,,2024-01-05,6,,,,,\n")
    con = connect()
    first = ingest(con, raw, "311")
    second = ingest(con, raw, "311")
    assert second.files[0]["status"] == "unchanged"
    for key in ("rows_read", "rows_loaded", "rows_rejected", "rows_flagged", "extract"):
        assert second.files[0][key] == first.files[0][key]
    assert (first.files[0]["rows_read"], first.files[0]["rows_loaded"],
            first.files[0]["rows_rejected"], first.files[0]["rows_flagged"]) == (2, 1, 1, 1)
    pd.testing.assert_frame_equal(
        second.quality.reset_index(drop=True).astype(str),
        first.quality.reset_index(drop=True).astype(str))
    assert con.execute("select count(*) from meta.loaded_files").fetchone()[0] == 1


def test_merlin_id_without_notification_is_flagged(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "mash.csv", MASH_HEADER + "1,K1,2024-01-05,6,M1,,,,\n2,K2,2024-01-05,6,M2,,,,\n")
    write(raw / "merlin.csv", "MERLIN ID,Received At,Notification Type\nM1,2024-01-04,MISSING\n")
    con = connect()
    result = ingest(con, raw, "311")
    q = result.quality
    assert list(zip(q["file"], q["row"], q["column"], q["rule"], q["value"], q["severity"])) == [
        ("mash.csv", 3, "merlin_id", "merlin_id_not_found", "M2", "flagged")]
    mash = next(e for e in result.files if e["extract"] == "mash_contacts")
    assert (mash["rows_loaded"], mash["rows_flagged"]) == (2, 1)


def test_merlin_warnings_land_on_their_own_files(tmp_path):
    """Several contact files: each file gets its own warnings, and a row flagged already (RAG
    PINK) that also has an unknown merlin_id counts once among that file's flagged rows."""
    raw = tmp_path / "raw"
    write(raw / "mash_2024-01-31.csv", MASH_HEADER + "1,K1,2024-01-05,6,M1,,,,\n"
          "2,K2,2024-01-06,6,M9,PINK,,,\n")
    write(raw / "mash_2024-02-29.csv", MASH_HEADER + "3,K3,2024-02-05,6,M8,,,,\n"
          "4,K4,2024-02-06,6,M7,,,,\n")
    write(raw / "mash_2024-03-31.csv", MASH_HEADER + "5,K5,2024-03-05,6,M1,,,,\n")
    write(raw / "merlin.csv", "MERLIN ID,Received At,Notification Type\nM1,2024-01-04,MISSING\n")
    result = ingest(connect(), raw, "311")
    q = result.quality.sort_values(["file", "row", "column"])
    assert list(zip(q["file"], q["row"], q["column"], q["rule"], q["value"])) == [
        ("mash_2024-01-31.csv", 3, "merlin_id", "merlin_id_not_found", "M9"),
        ("mash_2024-01-31.csv", 3, "rag", "not_in_code_list", "PINK"),
        ("mash_2024-02-29.csv", 2, "merlin_id", "merlin_id_not_found", "M8"),
        ("mash_2024-02-29.csv", 3, "merlin_id", "merlin_id_not_found", "M7")]
    flagged = {e["source_file"]: e["rows_flagged"] for e in result.files
               if e["extract"] == "mash_contacts"}
    assert flagged == {"mash_2024-01-31.csv": 1, "mash_2024-02-29.csv": 2,
                       "mash_2024-03-31.csv": 0}


def test_stray_files_are_skipped_with_reasons(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "notes.txt", "just some notes\n")
    write(raw / "return.xml", "<xml/>")
    write(raw / "reviews.csv", "CHILD,DOB,REVIEW,REVIEW_CODE\n1,01/01/2010,01/01/2020,PN1\n")
    write(raw / "readme.md", "# hi")
    con = connect()
    result = ingest(con, raw, "311")
    reasons = {e["source_file"]: (e["status"], e["reason"]) for e in result.files}
    assert reasons["notes.txt"] == ("skipped", "columns not recognised as any extract")
    assert reasons["return.xml"][0] == "skipped" and "XML" in reasons["return.xml"][1]
    assert reasons["reviews.csv"] == ("skipped", "SSDA903 reviews table: not used by any indicator")
    assert reasons["readme.md"][0] == "skipped"


def _nothing_written(con):
    counts = [con.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("raw.mash_contacts", "meta.loaded_files", "meta.data_quality")]
    return counts == [0, 0, 0]


@pytest.mark.parametrize("name, content, message", [
    ("broken.xlsx", b"PK\x03\x04 this is not really a workbook", "cannot open the Excel workbook"),
    ("junk.csv", b"\x00\x01\x02\xff\xfe binary", "not a text CSV file"),
])
def test_unreadable_file_is_fatal_and_writes_nothing(tmp_path, name, content, message):
    raw = tmp_path / "raw"
    write(raw / "a_mash.csv", MASH_HEADER + "1,K1,2024-01-05,6,,,,,\n")
    (raw / name).write_bytes(content)
    con = connect()
    with pytest.raises(InputError, match=message) as err:
        ingest(con, raw, "311")
    assert err.value.file == name
    assert _nothing_written(con)


def test_missing_required_column_names_file_sheet_and_column(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "a_mash.csv", MASH_HEADER + "1,K1,2024-01-05,6,,,,,\n")
    annex_a(raw / "annex.xlsx", {"List_3": [["Child Unique ID", "Gender", "Date of Referral"],
                                            [1, "F", "2024-01-01"]],
                                 "List_7": [["Child Unique ID", "Gender", "Ethnicity"], [1, "F", "X"]]})
    con = connect()
    with pytest.raises(InputError) as err:
        ingest(con, raw, "311")
    assert (err.value.file, err.value.sheet, err.value.column) == ("annex.xlsx", "List_7",
                                                                   "cpp_start_date")
    assert "annex.xlsx" in str(err.value) and "List_7" in str(err.value)
    assert _nothing_written(con)


def test_strict_mode_raises_on_a_rejected_row(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "mash.csv", MASH_HEADER + "1,K1,2024-01-05,6,,,,,\n2,,2024-01-05,6,,,,,\n")
    con = connect()
    with pytest.raises(InputError) as err:
        ingest(con, raw, "311", strict=True)
    assert (err.value.file, err.value.row, err.value.column) == ("mash.csv", 3, "child_id")
    assert _nothing_written(con)
