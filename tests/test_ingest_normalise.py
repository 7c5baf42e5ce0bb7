"""Given/expect tests of value normalisation: each kind of untidy value a council sends."""

import pandas as pd
import pytest

from pipeline.ingest import normalise, schemas


def s(*values):
    return pd.Series(list(values), dtype="string")


def as_list(series):
    return [None if pd.isna(v) else v for v in series]


@pytest.mark.parametrize("header, expected", [
    ("Date of referral ", "date_of_referral"),
    ("Date of Referral", "date_of_referral"),
    ("Referral NFA?", "referral_nfa"),
    ("Referral NFA", "referral_nfa"),
    ("PLACE_PROVIDER", "place_provider"),
    ("  Child Unique ID", "child_unique_id"),
    ("Age of Child (Years)", "age_of_child_years"),
])
def test_canonical_header(header, expected):
    assert normalise.canonical_header(header) == expected


def test_dates_accept_uk_iso_datetime_cells_and_excel_serials():
    # 43831 is 2020-01-01 in Excel's 1900 date system (day 0 = 1899-12-30).
    got = normalise.dates(s("15/03/2015", "2015-03-15", "2015-03-15 00:00:00", "43831", "43831.0",
                            "1/2/2015", " ", None))
    assert as_list(got) == ["2015-03-15", "2015-03-15", "2015-03-15", "2020-01-01", "2020-01-01",
                            "2015-02-01", None, None]


def test_dates_leave_unreadable_values_as_typed():
    got = normalise.dates(s("31/13/2015", "yesterday", "12"))
    assert as_list(got) == ["31/13/2015", "yesterday", "12"]


def test_datetimes_keep_time_and_default_to_midnight():
    # 43831.5 is noon on 2020-01-01.
    got = normalise.datetimes(s("15/03/2015 09:05", "2015-03-15T09:05:07", "2015-03-15",
                                "43831.5", "2015-03-15 9:05:07.250"))
    assert as_list(got) == ["2015-03-15 09:05:00", "2015-03-15 09:05:07", "2015-03-15 00:00:00",
                            "2020-01-01 12:00:00", "2015-03-15 09:05:07"]


def test_ids_lose_spaces_and_spreadsheet_decimal():
    assert as_list(normalise.ids(s("123.0", " 12 34 ", "A1", "", "1.00"))) == [
        "123", "1234", "A1", None, "1"]


def test_codes_bare_prefixed_words_and_case():
    got = normalise.codes(s("6", "q) 6: Police", "Police", "1a", " 2A ", "6.0", "u) 10: Unknown",
                            "Health", "e) 2A: Schools"),
                          schemas.CIN_SOURCE_CODES, schemas.CODE_WORDS["cin_source"])
    assert as_list(got) == ["6", "6", "6", "1A", "2A", "6", "10", "Health", "2A"]


def test_codes_categories_of_abuse():
    got = normalise.codes(s("Neglect", "a) Neglect", "Emotional abuse", "N", "MUL",
                            "Multiple/not recommended", "sexual ABUSE", "bad"),
                          schemas.ABUSE_CATEGORIES, schemas.CODE_WORDS["abuse_category"])
    assert as_list(got) == ["NEGLECT", "NEGLECT", "EMOTIONAL", "NEGLECT", "MULTIPLE", "MULTIPLE",
                            "SEXUAL", "bad"]


def test_codes_outcomes_in_words():
    got = normalise.codes(s("Early help", "info advice", "No further action", "referral", "maybe"),
                          schemas.OUTCOME_CODES, schemas.CODE_WORDS["outcome"])
    assert as_list(got) == ["EARLY_HELP", "INFO_ADVICE", "NFA", "REFERRAL", "maybe"]


def test_yes_no_variants():
    got = normalise.yes_no(s("Y", "Yes", "y", "TRUE", "1", "a) Yes", "N", "no", "False", "0",
                             "perhaps", None))
    assert as_list(got) == ["Y"] * 6 + ["N"] * 4 + ["perhaps", None]


def test_integers():
    assert as_list(normalise.integers(s("3", "3.0", " 03 ", "x", "0"))) == ["3", "3", "3", "x", "0"]


def test_fast_and_general_date_paths_agree_on_the_same_values():
    # The fast path (two-digit spellings) and the general one (after an unreadable value forces it)
    # give the same canonical text; impossible dates stay as typed on both.
    values = ["15/03/2015", "2015-03-15", "2015-03-15 10:20:30", "31/02/2015", "2015-03-15 25:00:00"]
    expected = ["2015-03-15", "2015-03-15", "2015-03-15", "31/02/2015", "2015-03-15 25:00:00"]
    assert as_list(normalise.dates(s(*values))) == expected
    assert as_list(normalise.dates(s(*values, "1/2/2015"))) == expected + ["2015-02-01"]


def test_fast_datetime_path_rejects_impossible_times_and_keeps_seconds():
    got = normalise.datetimes(s("29/02/2024 23:59", "29/02/2023 10:00", "2024-03-01T08:00:05",
                                "01/03/2024 24:00", "2024-03-01"))
    assert as_list(got) == ["2024-02-29 23:59:00", "29/02/2023 10:00", "2024-03-01 08:00:05",
                            "01/03/2024 24:00", "2024-03-01 00:00:00"]


def test_repeated_values_are_normalised_once_and_keep_their_positions():
    got = normalise.codes(pd.Series(["Police", None, "police", "Police", "x"], dtype="string",
                                    index=[10, 11, 12, 13, 14]),
                          schemas.CIN_SOURCE_CODES, schemas.CODE_WORDS["cin_source"])
    assert list(got.index) == [10, 11, 12, 13, 14]
    assert as_list(got) == ["6", None, "6", "6", "x"]


def test_ids_lose_unicode_spaces_as_python_sees_them():
    # A non-breaking space (Excel) and an em space count as spaces; a tab too.
    assert as_list(normalise.ids(s("12\u00a034", "1\u2003 2.00", "A\tB ", "\u00a0"))) == [
        "1234", "12", "AB", None]
