"""Every real-format sample in ../shared/samples is loaded, skipped or rejected with a reason.

Expected counts are computed here independently of the pipeline (pandas row counts of the files).
"""

import pandas as pd
import pytest

from pipeline.ingest import ingest
from pipeline.warehouse import connect


@pytest.fixture(scope="module")
def loaded(samples_dir):
    con = connect()
    result = ingest(con, samples_dir, "311")
    return con, result, samples_dir


def test_ssda903_header_and_episodes_load_reviews_and_xml_skipped(loaded):
    con, result, samples = loaded
    files = {(e["source_file"], e["sheet"]): e for e in result.files}
    folder = "ssda903-validator-fake"
    for name, extract, table in (("header.csv", "ssda903_header", "ssda903_header"),
                                 ("episodes.csv", "ssda903_episodes", "ssda903_episodes")):
        expected = len(pd.read_csv(samples / folder / name, dtype=str))
        e = files[(f"{folder}/{name}", None)]
        assert (e["status"], e["extract"], e["rows_read"]) == ("loaded", extract, expected)
        assert e["rows_read"] == e["rows_loaded"] + e["rows_rejected"]
        assert con.execute(f"select count(*) from raw.{table}").fetchone()[0] == e["rows_loaded"]
    assert files[(f"{folder}/episodes.csv", None)]["rows_read"] == 5050
    assert files[(f"{folder}/header.csv", None)]["rows_read"] == 2675
    assert files[(f"{folder}/reviews.csv", None)]["status"] == "skipped"
    assert files[(f"{folder}/fake_903.xml", None)]["status"] == "skipped"
    # The fake return is clean: nothing rejected.
    assert files[(f"{folder}/episodes.csv", None)]["rows_rejected"] == 0


def test_annex_a_workbooks_load_lists_1_3_7(loaded):
    con, result, samples = loaded
    folder = "annex-a-ofsted-template"
    for book, list3 in (("annex_a_2015-01-sample.xlsx", "List_3"),
                        ("annex_a_2016-01-sample.xlsx", "List 3")):
        sheets = pd.read_excel(samples / folder / book, sheet_name=None, header=None, engine="openpyxl")
        loaded_sheets = {e["sheet"]: e for e in result.files
                         if e["source_file"] == f"{folder}/{book}" and e["status"] == "loaded"}
        assert set(loaded_sheets) == {"List_1", list3, "List_7"}
        for sheet, e in loaded_sheets.items():
            # Title row, then header row, then the data rows.
            expected = len(sheets[sheet].iloc[2:].dropna(how="all"))
            assert e["rows_read"] == expected
            assert e["rows_read"] == e["rows_loaded"] + e["rows_rejected"]
    referrals = con.execute("select count(*) from raw.annex_a_referrals").fetchone()[0]
    assert referrals == 5  # the 2015 List_3 has five referrals; the 2016 lists are empty


def test_cin_census_xml_and_template_csvs_skipped_with_reason(loaded):
    _con, result, _samples = loaded
    skipped = {e["source_file"]: e["reason"] for e in result.files
               if e["status"] == "skipped" and e["sheet"] is None}
    for name in ("cin-census-fake/CIN_Census_2024.xml", "cin-census-fake/fake_CIN_data.xml",
                 "annex-a-ofsted-template/annexA_template_Codes_used.csv"):
        assert skipped[name]
    assert all(e["status"] in {"loaded", "skipped"} and (e["status"] == "loaded" or e["reason"])
               for e in result.files)


def test_data_quality_of_samples_names_the_ambiguous_source(loaded):
    _con, result, _samples = loaded
    q = result.quality
    # 'Health' names six CIN source codes (3A-3F): flagged, not guessed.
    assert list(zip(q["sheet"], q["row"], q["column"], q["value"], q["severity"])) == [
        ("List_3", 4, "referral_source", "Health", "flagged")]
