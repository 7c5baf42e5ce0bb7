"""Each extract's pandera model: good rows load, each kind of bad row is rejected or flagged.

Rows are given as the text a file holds; the expected data-quality rows are written by hand.
"""

import pandas as pd
import pytest

from pipeline.ingest import quality, schemas


def table(extract, rows, first_row=2):
    """A text table as read.load_table gives it: model columns, index = analyst row number."""
    frame = pd.DataFrame(rows, dtype="string").reindex(columns=list(schemas.columns(extract)))
    frame.index = range(first_row, first_row + len(frame))
    return frame.astype("string")


def dq(checked):
    return sorted(
        (int(r.row), r.column, r.rule, None if pd.isna(r.value) else str(r.value), r.severity)
        for r in checked.quality.itertuples())


def test_every_field_has_a_description_and_policy():
    for extract in schemas.MODELS:
        for column, meta in schemas.columns(extract).items():
            assert meta["description"], (extract, column)
            assert meta["on_invalid"] in {"reject", "flag"}
            assert meta["kind"] in {"id", "text", "code", "date", "datetime", "yn", "int"}


MASH_GOOD = dict(contact_id="C1", child_id="K1", received_at="01/03/2024 09:00", source="6",
                 merlin_id="M1", rag="Red", decided_at="2024-03-01 12:00", outcome="REFERRAL")


def test_mash_good_rows_load_normalised():
    checked = quality.check("mash_contacts", table("mash_contacts", [
        MASH_GOOD, {**MASH_GOOD, "contact_id": "C2.0", "source": "q) 6: Police", "rag": "g",
                    "outcome": "Early help", "decided_at": None, "merlin_id": None}]), "m.csv", None)
    assert dq(checked) == []
    assert checked.rows_read == 2 and len(checked.rows) == 2
    row = checked.rows.loc[3]
    assert (row["contact_id"], row["source"], row["rag"], row["outcome"]) == (
        "C2", "6", "GREEN", "EARLY_HELP")
    assert checked.rows.loc[2, "received_at"] == "2024-03-01 09:00:00"


@pytest.mark.parametrize("change, expected", [
    ({"contact_id": None}, (2, "contact_id", "missing_value", None, "rejected")),
    ({"child_id": " "}, (2, "child_id", "missing_value", None, "rejected")),
    ({"received_at": "31/02/2024 10:00"}, (2, "received_at", "valid_datetime", "31/02/2024 10:00",
                                           "rejected")),
    ({"decided_at": "2024-02-29 23:00"}, (2, "decided_at", "end_before_start",
                                          "2024-02-29 23:00:00", "rejected")),
    ({"outcome": "PENDING"}, (2, "outcome", "not_in_code_list", "PENDING", "rejected")),
    ({"rag": "PURPLE"}, (2, "rag", "not_in_code_list", "PURPLE", "flagged")),
    ({"source": "Health"}, (2, "source", "not_in_code_list", "Health", "flagged")),
])
def test_mash_bad_rows(change, expected):
    checked = quality.check("mash_contacts", table("mash_contacts", [{**MASH_GOOD, **change}]),
                            "m.csv", None)
    assert dq(checked) == [expected]
    rejected = expected[4] == "rejected"
    assert (checked.rows_rejected, checked.rows_flagged, len(checked.rows)) == (
        (1, 0, 0) if rejected else (0, 1, 1))
    if not rejected:
        assert pd.isna(checked.rows.loc[2, expected[1]])  # flagged value set to null


def test_duplicate_key_later_row_wins_earlier_rejected():
    checked = quality.check("mash_contacts", table("mash_contacts", [
        MASH_GOOD, {**MASH_GOOD, "outcome": "NFA"}, {**MASH_GOOD, "contact_id": "C9"}]), "m.csv", None)
    assert dq(checked) == [(2, "contact_id", "duplicate_key", "C1", "rejected")]
    assert list(checked.rows.index) == [3, 4]
    assert checked.rows.loc[3, "outcome"] == "NFA"
    assert checked.rows_read == len(checked.rows) + checked.rows_rejected


MERLIN_GOOD = dict(merlin_id="M1", received_at="2024-03-01 08:00", child_id=None,
                   notification_type="Domestic abuse", police_risk="high", screened="Yes")


@pytest.mark.parametrize("change, expected", [
    ({}, None),
    ({"merlin_id": None}, (2, "merlin_id", "missing_value", None, "rejected")),
    ({"received_at": "soon"}, (2, "received_at", "valid_datetime", "soon", "rejected")),
    ({"notification_type": "BURGLARY"}, (2, "notification_type", "not_in_code_list", "BURGLARY",
                                         "flagged")),
    ({"police_risk": "Extreme"}, (2, "police_risk", "not_in_code_list", "Extreme", "flagged")),
    ({"screened": "maybe"}, (2, "screened", "valid_yes_no", "maybe", "flagged")),
])
def test_merlin_rows(change, expected):
    checked = quality.check("merlin_notifications",
                            table("merlin_notifications", [{**MERLIN_GOOD, **change}]), "n.csv", None)
    assert dq(checked) == ([expected] if expected else [])
    if expected is None:
        row = checked.rows.loc[2]
        assert (row["notification_type"], row["police_risk"], row["screened"]) == (
            "DOMESTIC_ABUSE", "HIGH", "Y")


LIST1_GOOD = dict(child_unique_id="1", gender="a) Male", ethnicity="WBRI", date_of_contact="43831",
                  contact_source="Police")


@pytest.mark.parametrize("change, expected", [
    ({}, None),
    ({"child_unique_id": None}, (3, "child_unique_id", "missing_value", None, "rejected")),
    ({"date_of_contact": "2020-02-30"}, (3, "date_of_contact", "valid_date", "2020-02-30",
                                         "rejected")),
    ({"gender": "X"}, (3, "gender", "not_in_code_list", "X", "flagged")),
    ({"ethnicity": "ZZZZ"}, (3, "ethnicity", "not_in_code_list", "ZZZZ", "flagged")),
])
def test_annex_a_list1_rows(change, expected):
    checked = quality.check("annex_a_contacts", table("annex_a_contacts",
                                                      [{**LIST1_GOOD, **change}], first_row=3),
                            "a.xlsx", "List_1")
    assert dq(checked) == ([expected] if expected else [])
    if expected is None:
        row = checked.rows.loc[3]
        assert (row["gender"], row["date_of_contact"], row["contact_source"]) == (
            "M", "2020-01-01", "6")


LIST3_GOOD = dict(child_unique_id="7.0", gender="F", ethnicity="OOTH", date_of_referral="15/03/2015",
                  referral_source="School", referral_nfa="yes", referrals_in_last_12_months="2")


@pytest.mark.parametrize("change, expected", [
    ({}, None),
    ({"date_of_referral": None}, (3, "date_of_referral", "missing_value", None, "rejected")),
    ({"referral_nfa": "unsure"}, (3, "referral_nfa", "valid_yes_no", "unsure", "flagged")),
    ({"referrals_in_last_12_months": "two"}, (3, "referrals_in_last_12_months", "valid_integer",
                                              "two", "flagged")),
])
def test_annex_a_list3_rows(change, expected):
    checked = quality.check("annex_a_referrals", table("annex_a_referrals",
                                                       [{**LIST3_GOOD, **change}], first_row=3),
                            "a.xlsx", "List 3")
    assert dq(checked) == ([expected] if expected else [])
    if expected is None:
        row = checked.rows.loc[3]
        assert (row["child_unique_id"], row["date_of_referral"], row["referral_source"],
                row["referral_nfa"]) == ("7", "2015-03-15", "2A", "Y")


LIST7_GOOD = dict(child_unique_id="7", gender="F", ethnicity="OOTH", cpp_start_date="01/04/2015",
                  initial_category="Neglect", latest_category="e) Multiple/not recommended",
                  cpp_end_date="2015-06-30", previous_cpp_count="0")


@pytest.mark.parametrize("change, expected", [
    ({}, None),
    ({"cpp_start_date": "April"}, (3, "cpp_start_date", "valid_date", "April", "rejected")),
    ({"cpp_end_date": "2015-03-31"}, (3, "cpp_end_date", "end_before_start", "2015-03-31",
                                      "rejected")),
    ({"cpp_end_date": "31/06/2015"}, (3, "cpp_end_date", "valid_date", "31/06/2015", "rejected")),
    ({"latest_category": "Financial"}, (3, "latest_category", "not_in_code_list", "Financial",
                                        "flagged")),
    ({"previous_cpp_count": "-1"}, (3, "previous_cpp_count", "valid_integer", "-1", "flagged")),
])
def test_annex_a_list7_rows(change, expected):
    checked = quality.check("annex_a_cp_plans", table("annex_a_cp_plans",
                                                      [{**LIST7_GOOD, **change}], first_row=3),
                            "a.xlsx", "List_7")
    assert dq(checked) == ([expected] if expected else [])
    if expected is None:
        row = checked.rows.loc[3]
        assert (row["initial_category"], row["latest_category"], row["cpp_end_date"]) == (
            "NEGLECT", "MULTIPLE", "2015-06-30")


def test_ssda903_header_invalid_dob_is_masked():
    checked = quality.check("ssda903_header", table("ssda903_header", [
        dict(child="1", sex="2", dob="27/03/2008", ethnic="WROM"),
        dict(child="2", sex="3", dob="30/02/2008", ethnic="wbri")]), "h.csv", None)
    assert dq(checked) == [(3, "dob", "valid_date", "[masked]", "flagged"),
                           (3, "sex", "not_in_code_list", "3", "flagged")]
    assert "30/02/2008" not in checked.quality.to_string()
    assert checked.rows.loc[3, "ethnic"] == "WBRI" and pd.isna(checked.rows.loc[3, "dob"])


EPISODE_GOOD = dict(child="1", decom="15/02/2016", rne="L", ls="C2", cin="N3", place="T2",
                    place_provider="PR0", dec="14/08/2017", rec="X1", reason_place_change="close")


@pytest.mark.parametrize("change, expected", [
    ({}, None),
    ({"decom": None}, (2, "decom", "missing_value", None, "rejected")),
    ({"dec": "14/08/2015"}, (2, "dec", "end_before_start", "2015-08-14", "rejected")),
    ({"rne": "Q"}, (2, "rne", "not_in_code_list", "Q", "rejected")),
    ({"ls": None}, (2, "ls", "missing_value", None, "rejected")),
    ({"place": "U9"}, (2, "place", "not_in_code_list", "U9", "flagged")),
    ({"rec": "E99"}, (2, "rec", "not_in_code_list", "E99", "flagged")),
])
def test_ssda903_episode_rows(change, expected):
    checked = quality.check("ssda903_episodes",
                            table("ssda903_episodes", [{**EPISODE_GOOD, **change}]), "e.csv", None)
    assert dq(checked) == ([expected] if expected else [])
    if expected is None:
        assert checked.rows.loc[2, "reason_place_change"] == "CLOSE"
