"""Bad inputs for the ingest stage, built in a tmp folder at test time from hand-written rows.

Each `Case` writes one or more files into a raw folder and states the documented behaviour
(docs/robustness.md) by hand:

- `Loaded`: the file's table is read; rows read / loaded / rejected / flagged, the data-quality
  rows (row, column, rule, severity) and, where it matters, values as stored in the warehouse;
- `Skipped`: the file (or sheet) is listed in the manifest as not an extract, with the reason;
- `Fatal`: the run stops with an InputError naming the file (and sheet, row, column, rule where
  known), and nothing is written.

Three small tables per extract (the base rows) are mutated one way per case. The mutated row is the
second data row: line 3 of a CSV (the header is line 1), row 4 of an Annex A sheet (a title row, then
the header). Nothing here is large on disk except the 500 MB line, written and deleted by its test.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import openpyxl
import xlsxwriter

# --- Base tables (hand-written; `notes` and personal columns are never loaded) ----------------------

MASH_COLS = ["contact_id", "child_id", "received_at", "source", "merlin_id", "rag", "decided_at",
             "outcome", "postcode", "notes"]
MASH_ROWS = [
    ["C1", "K1", "2013-01-05 09:00:00", "6", "", "RED", "2013-01-05 12:00:00", "REFERRAL", "RM1 1AA",
     "café"],
    ["C2", "K2", "2013-01-06 10:00:00", "2A", "", "AMBER", "", "", "RM2 2BB", ""],
    ["C3", "K3", "2013-01-07 11:00:00", "1A", "", "GREEN", "2013-01-08 09:00:00", "NFA", "RM3 3CC",
     ""],
]
MERLIN_COLS = ["merlin_id", "received_at", "child_id", "notification_type", "police_risk",
               "screened", "notes"]
MERLIN_ROWS = [
    ["M1", "2013-01-04 08:00:00", "K1", "DOMESTIC_ABUSE", "HIGH", "Y", "café"],
    ["M2", "2013-01-05 08:00:00", "K2", "MISSING", "MEDIUM", "N", ""],
    ["M3", "2013-01-06 08:00:00", "", "OTHER", "STANDARD", "", ""],
]
HEADER_COLS = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB", "NOTES"]
HEADER_ROWS = [
    ["K1", "1", "01/02/2005", "WBRI", "A123456789012", "", "", "café"],
    ["K2", "2", "15/06/2007", "BAFR", "B123456789012", "1", "03/03/1985", ""],
    ["K3", "1", "30/11/2010", "AIND", "C123456789012", "", "", ""],
]
EPISODE_COLS = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN", "NOTES"]
EPISODE_ROWS = [
    ["K1", "01/04/2012", "S", "C2", "N1", "U1", "PR1", "", "", "", "RM1 1AA", "RM9 9ZZ", "SC111111",
     "café"],
    ["K2", "10/05/2012", "S", "J1", "N2", "U4", "PR1", "20/08/2012", "E13", "", "RM2 2BB", "RM8 8YY",
     "SC222222", ""],
    ["K3", "01/06/2012", "S", "V3", "N1", "R1", "PR0", "", "", "", "RM3 3CC", "RM7 7XX", "SC333333",
     ""],
]
LIST1_COLS = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
              "Date of Contact", "Contact Source"]
LIST1_ROWS = [
    ["K1", "M", "WBRI", "01/02/2005", 8, "05/01/2013", "6"],
    ["K2", "F", "BAFR", "15/06/2007", 5, "06/01/2013", "2A"],
    ["K3", "M", "AIND", "30/11/2010", 2, "07/01/2013", "1A"],
]
LIST3_COLS = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
              "Date of referral", "Referral Source", "Referral NFA?",
              "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker"]
LIST3_ROWS = [
    ["K1", "M", "WBRI", "01/02/2005", 8, "05/01/2013", "6", "N", 1, "Team A", "Jo Bloggs"],
    ["K2", "F", "BAFR", "15/06/2007", 5, "06/01/2013", "q) 2A: Schools", "Y", 2, "Team B",
     "Sam Smith"],
    ["K3", "M", "AIND", "30/11/2010", 2, "07/01/2013", "1A", "No", 0, "Team A", "Jo Bloggs"],
]
LIST7_COLS = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
              "Child Protection Plan Start Date", "Initial Category of Abuse",
              "Latest Category of Abuse", "Child Protection Plan End Date",
              "Number of Previous Child Protection Plans", "Allocated Worker"]
LIST7_ROWS = [
    ["K1", "M", "WBRI", "01/02/2005", 8, "01/10/2012", "Neglect", "Neglect", "", 0, "Jo Bloggs"],
    ["K2", "F", "BAFR", "15/06/2007", 5, "01/11/2012", "Emotional abuse", "Multiple",
     "01/01/2013", 1, "Sam Smith"],
    ["K3", "M", "AIND", "30/11/2010", 2, "01/12/2012", "N", "P", "", 0, "Jo Bloggs"],
]

# extract -> (file columns, rows, the CSV file name or Annex A sheet name)
CSV_BASES = {
    "mash_contacts": (MASH_COLS, MASH_ROWS, "mash_contacts_2013-01-31.csv"),
    "merlin_notifications": (MERLIN_COLS, MERLIN_ROWS, "merlin_2013-01-31.csv"),
    "ssda903_header": (HEADER_COLS, HEADER_ROWS, "header_2013-03-31.csv"),
    "ssda903_episodes": (EPISODE_COLS, EPISODE_ROWS, "episodes_2013-03-31.csv"),
}
SHEET_BASES = {
    "annex_a_contacts": (LIST1_COLS, LIST1_ROWS, "List 1"),
    "annex_a_referrals": (LIST3_COLS, LIST3_ROWS, "List 3"),
    "annex_a_cp_plans": (LIST7_COLS, LIST7_ROWS, "List 7"),
}
ANNEX_A_FILE = "annex_a_2013-01-31.xlsx"
KEYS = {  # the record key's column label in data-quality.csv (duplicate_key)
    "mash_contacts": "contact_id", "merlin_notifications": "merlin_id",
    "ssda903_header": "child", "ssda903_episodes": "child|decom",
    "annex_a_contacts": "child_unique_id|date_of_contact|contact_source",
    "annex_a_referrals": "child_unique_id|date_of_referral",
    "annex_a_cp_plans": "child_unique_id|cpp_start_date",
}


def serial(day: dt.date) -> int:
    """Excel's serial number of a day (1900 date system)."""
    return (day - dt.date(1899, 12, 30)).days


# --- Expectations -------------------------------------------------------------------------------

@dataclass
class Loaded:
    extract: str
    read: int
    loaded: int
    rejected: int = 0
    flagged: int = 0
    quality: set[tuple[int, str, str, str]] = field(default_factory=set)  # row, column, rule, sev.
    values: dict[str, object] = field(default_factory=dict)  # column -> value in the key's row
    key: tuple[str, str] | None = None  # (column, value) selecting the row `values` describes
    files: int = 1  # loaded entries expected (files or sheets)
    stored: int | None = None  # rows in the raw table after the load (default: `loaded`)


@dataclass
class Skipped:
    reason: str  # a fragment of the reason in the manifest


@dataclass
class Fatal:
    message: str  # a fragment of the message
    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    rule: str | None = None


@dataclass
class Case:
    id: str
    build: Callable[[Path], None]  # writes the case's files into the raw folder
    expect: Loaded | Skipped | Fatal
    xfail: str | None = None  # a known bug outside the files this corpus may fix (see the report)
    big: bool = False


# --- Writers ------------------------------------------------------------------------------------

def csv_text(cols: list[str], rows: list[list], delimiter: str = ",", newline: str = "\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    w.writerow(cols)
    w.writerows(rows)
    return buf.getvalue()


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def build(raw: Path) -> None:
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return build


def write_csv(name: str, cols, rows, encoding="utf-8", **kw) -> Callable[[Path], None]:
    return write_bytes(name, csv_text(cols, rows, **kw).encode(encoding))


def workbook(sheets: dict[str, tuple[list, list]], title: bool = True) -> bytes:
    """An Annex A workbook (openpyxl): per sheet a title row, as Ofsted's template, then the table."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (cols, rows) in sheets.items():
        ws = wb.create_sheet(name)
        if title:
            ws.append([f"{name}: title"])
        if cols:
            ws.append(cols)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def annex_a(sheets: dict[str, tuple[list, list]], name=ANNEX_A_FILE, **kw):
    return write_bytes(name, workbook(sheets, **kw))


def mutated(rows: list[list], cols: list[str], column: str, value, row: int = 1) -> list[list]:
    out = [list(r) for r in rows]
    out[row][cols.index(column)] = value
    return out


# --- The cases ----------------------------------------------------------------------------------

CASES: list[Case] = []


def add(id_: str, build, expect, **kw) -> None:
    CASES.append(Case(id_, build, expect, **kw))


def ok(extract: str, **kw) -> Loaded:
    return Loaded(extract, read=3, loaded=3, **kw)


def rejected(extract: str, row: int, column: str, rule: str, *more) -> Loaded:
    return Loaded(extract, read=3, loaded=2, rejected=1,
                  quality={(row, column, rule, "rejected"), *more})


def flagged(extract: str, row: int, column: str, rule: str, key=None, **values) -> Loaded:
    return Loaded(extract, read=3, loaded=3, flagged=1, quality={(row, column, rule, "flagged")},
                  key=key, values={column: None, **values})


# Value mutations of the second data row: (file column, value, expected) per extract.
# ("ok", {model column: stored value}) | ("reject", model column, rule) | ("flag", column, rule)
VALUE_CASES: dict[str, list[tuple]] = {
    "mash_contacts": [
        ("child_id", "", ("reject", "child_id", "missing_value")),
        ("child_id", " K 2 ", ("ok", {"child_id": "K2"})),
        ("child_id", "2.0", ("ok", {"child_id": "2"})),
        ("contact_id", "", ("reject", "contact_id", "missing_value")),
        ("contact_id", " C2.0", ("ok", {"contact_id": "C2"})),
        ("received_at", "31/02/2013 10:00", ("reject", "received_at", "valid_datetime")),
        ("received_at", "2013-13-01 10:00:00", ("reject", "received_at", "valid_datetime")),
        ("received_at", "00/01/2013", ("reject", "received_at", "valid_datetime")),
        ("received_at", "yesterday", ("reject", "received_at", "valid_datetime")),
        ("received_at", "01/31/2013 10:00", ("reject", "received_at", "valid_datetime")),
        ("received_at", "6 Jan 2013", ("reject", "received_at", "valid_datetime")),
        ("received_at", "", ("reject", "received_at", "missing_value")),
        ("received_at", "123", ("reject", "received_at", "valid_datetime")),
        ("received_at", str(serial(dt.date(2013, 1, 6))),
         ("ok", {"received_at": dt.datetime(2013, 1, 6)})),
        ("received_at", "06/01/2013 10:00", ("ok", {"received_at": dt.datetime(2013, 1, 6, 10)})),
        ("received_at", "2013-01-06T10:00:00", ("ok", {"received_at": dt.datetime(2013, 1, 6, 10)})),
        ("received_at", "2099-01-06 10:00:00", ("reject", "received_at", "date_in_future")),
        ("decided_at", "2013-01-01 09:00:00", ("reject", "decided_at", "end_before_start")),
        ("decided_at", "not a date", ("reject", "decided_at", "valid_datetime")),
        ("source", "ZZ", ("flag", "source", "not_in_code_list")),
        ("source", "Health", ("flag", "source", "not_in_code_list")),
        ("source", "q) 6: Police", ("ok", {"source": "6"})),
        ("source", "police", ("ok", {"source": "6"})),
        ("source", " 2a ", ("ok", {"source": "2A"})),
        ("source", "6.0", ("ok", {"source": "6"})),
        ("rag", "PURPLE", ("flag", "rag", "not_in_code_list")),
        ("rag", "r", ("ok", {"rag": "RED"})),
        ("outcome", "MAYBE", ("reject", "outcome", "not_in_code_list")),
        ("outcome", "referral", ("ok", {"outcome": "REFERRAL"})),
        ("outcome", "Early Help", ("ok", {"outcome": "EARLY_HELP"})),
    ],
    "merlin_notifications": [
        ("merlin_id", "", ("reject", "merlin_id", "missing_value")),
        ("merlin_id", "M 2", ("ok", {"merlin_id": "M2"})),
        ("received_at", "32/01/2013", ("reject", "received_at", "valid_datetime")),
        ("received_at", "", ("reject", "received_at", "missing_value")),
        ("received_at", "2013-02-29 08:00", ("reject", "received_at", "valid_datetime")),
        ("received_at", "2099-01-05 08:00:00", ("reject", "received_at", "date_in_future")),
        ("child_id", "", ("ok", {"child_id": None})),
        ("child_id", " K2.0 ", ("ok", {"child_id": "K2"})),
        ("notification_type", "UFO", ("flag", "notification_type", "not_in_code_list")),
        ("notification_type", "domestic", ("ok", {"notification_type": "DOMESTIC_ABUSE"})),
        ("police_risk", "EXTREME", ("flag", "police_risk", "not_in_code_list")),
        ("police_risk", "high", ("ok", {"police_risk": "HIGH"})),
        ("screened", "maybe", ("flag", "screened", "valid_yes_no")),
        ("screened", "Yes", ("ok", {"screened": True})),
        ("screened", "TRUE", ("ok", {"screened": True})),
        ("screened", "0", ("ok", {"screened": False})),
    ],
    "ssda903_header": [
        ("CHILD", "", ("reject", "child", "missing_value")),
        ("CHILD", "K2.0", ("ok", {"child": "K2"})),
        ("SEX", "3", ("flag", "sex", "not_in_code_list")),
        ("SEX", "F", ("ok", {"sex": "2"})),
        ("DOB", "31/02/2007", ("flag", "dob", "valid_date")),
        ("DOB", "", ("ok", {"dob": None})),
        ("DOB", "15/06/2099", ("flag", "dob", "date_in_future")),
        ("DOB", str(serial(dt.date(2007, 6, 15))), ("ok", {"dob": dt.date(2007, 6, 15)})),
        ("DOB", "2007-06-15", ("ok", {"dob": dt.date(2007, 6, 15)})),
        ("ETHNIC", "XXXX", ("flag", "ethnic", "not_in_code_list")),
        ("ETHNIC", "bafr", ("ok", {"ethnic": "BAFR"})),
    ],
    "ssda903_episodes": [
        ("CHILD", "", ("reject", "child", "missing_value")),
        ("CHILD", " K2 ", ("ok", {"child": "K2"})),
        ("DECOM", "31/04/2012", ("reject", "decom", "valid_date")),
        ("DECOM", "", ("reject", "decom", "missing_value")),
        ("DECOM", "May 2012", ("reject", "decom", "valid_date")),
        ("DECOM", str(serial(dt.date(2012, 5, 10))), ("ok", {"decom": dt.date(2012, 5, 10)})),
        # (a DECOM in 2099 is also after the base row's DEC, so both rules would fire: DEC here)
        ("DEC", "10/05/2099", ("reject", "dec", "date_in_future")),
        ("RNE", "Q", ("reject", "rne", "not_in_code_list")),
        ("RNE", "s", ("ok", {"rne": "S"})),
        ("LS", "C9", ("reject", "ls", "not_in_code_list")),
        ("LS", "", ("reject", "ls", "missing_value")),
        ("CIN", "N9", ("flag", "cin", "not_in_code_list")),
        ("PLACE", "U9", ("flag", "place", "not_in_code_list")),
        ("PLACE", "u4", ("ok", {"place": "U4"})),
        ("PLACE_PROVIDER", "PR9", ("flag", "place_provider", "not_in_code_list")),
        ("DEC", "01/05/2012", ("reject", "dec", "end_before_start")),
        ("DEC", "31/09/2012", ("reject", "dec", "valid_date")),
        ("REC", "E99", ("flag", "rec", "not_in_code_list")),
        ("REC", "e13", ("ok", {"rec": "E13"})),
    ],
    "annex_a_contacts": [
        ("Child Unique ID", "", ("reject", "child_unique_id", "missing_value")),
        ("Date of Contact", "", ("reject", "date_of_contact", "missing_value")),
        ("Date of Contact", "06/13/2013", ("reject", "date_of_contact", "valid_date")),
        ("Contact Source", "Health", ("flag", "contact_source", "not_in_code_list")),
    ],
    "annex_a_referrals": [
        ("Child Unique ID", "", ("reject", "child_unique_id", "missing_value")),
        ("Child Unique ID", 2, ("ok", {"child_unique_id": "2"})),
        ("Child Unique ID", " K 2 ", ("ok", {"child_unique_id": "K2"})),
        ("Date of referral", "31/02/2013", ("reject", "date_of_referral", "valid_date")),
        ("Date of referral", "", ("reject", "date_of_referral", "missing_value")),
        ("Date of referral", "the sixth", ("reject", "date_of_referral", "valid_date")),
        ("Date of referral", serial(dt.date(2013, 1, 6)),
         ("ok", {"date_of_referral": dt.date(2013, 1, 6)})),
        ("Date of referral", dt.datetime(2013, 1, 6), ("ok", {"date_of_referral": dt.date(2013, 1, 6)})),
        ("Date of referral", "06/01/2099", ("reject", "date_of_referral", "date_in_future")),
        ("Referral Source", "ZZ", ("flag", "referral_source", "not_in_code_list")),
        ("Referral NFA?", "maybe", ("flag", "referral_nfa", "valid_yes_no")),
        ("Number of Referrals in Last 12 Months", "two",
         ("flag", "referrals_in_last_12_months", "valid_integer")),
        ("Gender", "X", ("flag", "gender", "not_in_code_list")),
        ("Gender", "a) Female", ("ok", {"gender": "F"})),
        ("Ethnicity", "ZZZZ", ("flag", "ethnicity", "not_in_code_list")),
    ],
    "annex_a_cp_plans": [
        ("Child Protection Plan Start Date", "", ("reject", "cpp_start_date", "missing_value")),
        ("Child Protection Plan Start Date", "2012-11-31", ("reject", "cpp_start_date", "valid_date")),
        ("Child Protection Plan End Date", "01/10/2012", ("reject", "cpp_end_date", "end_before_start")),
        ("Child Protection Plan End Date", "31/13/2013", ("reject", "cpp_end_date", "valid_date")),
        ("Initial Category of Abuse", "Bad", ("flag", "initial_category", "not_in_code_list")),
        ("Latest Category of Abuse", "s", ("ok", {"latest_category": "SEXUAL"})),
        ("Number of Previous Child Protection Plans", -1,
         ("flag", "previous_cpp_count", "valid_integer")),
    ],
}
# The key of the mutated row, to find it in the warehouse after an `ok` mutation.
ROW2_KEY = {
    "mash_contacts": ("child_id", "K2"), "merlin_notifications": ("merlin_id", "M2"),
    "ssda903_header": ("sex", "2"), "ssda903_episodes": ("child", "K2"),
    "annex_a_contacts": ("gender", "F"), "annex_a_referrals": ("gender", "F"),
    "annex_a_cp_plans": ("gender", "F"),
}
ROW2_KEY_WHEN = {  # when the mutation changes the column ROW2_KEY uses
    ("mash_contacts", "child_id"): ("contact_id", "C2"),
    ("merlin_notifications", "merlin_id"): ("child_id", "K2"),
    ("ssda903_header", "SEX"): ("child", "K2"),
    ("ssda903_episodes", "CHILD"): ("place", "U4"),
    ("annex_a_referrals", "Gender"): ("ethnicity", "BAFR"),
}


def _value_cases() -> None:
    for extract, mutations in VALUE_CASES.items():
        csv_base = CSV_BASES.get(extract)
        cols, rows, where = csv_base or SHEET_BASES[extract]
        row_no = 3 if csv_base else 4
        for i, (column, value, (kind, *spec), *bug) in enumerate(mutations):
            bad = mutated(rows, cols, column, value)
            build = (write_csv(where, cols, bad) if csv_base
                     else annex_a({where: (cols, bad)}))
            if kind == "ok":
                expect = ok(extract, key=ROW2_KEY_WHEN.get((extract, column), ROW2_KEY[extract]),
                            values=spec[0])
            elif kind == "reject":
                expect = rejected(extract, row_no, spec[0], spec[1])
            else:
                expect = flagged(extract, row_no, spec[0], spec[1],
                                 key=ROW2_KEY_WHEN.get((extract, column), ROW2_KEY[extract]))
            add(f"value-{extract}-{i:02d}-{column}-{kind}", build, expect,
                xfail=bug[0] if bug else None)


def _duplicate_cases() -> None:
    for extract, (cols, rows, where) in {**CSV_BASES, **SHEET_BASES}.items():
        is_csv = extract in CSV_BASES
        dup = [list(r) for r in rows]
        dup[2] = list(rows[1])  # row 3 repeats row 2's record: the later row wins
        build = write_csv(where, cols, dup) if is_csv else annex_a({where: (cols, dup)})
        add(f"duplicate-within-file-{extract}", build,
            Loaded(extract, read=3, loaded=2, rejected=1,
                   quality={(3 if is_csv else 4, KEYS[extract], "duplicate_key", "rejected")}))
    # Across files: the same records in two drops; the later extract date's version is kept.
    later = mutated(MASH_ROWS, MASH_COLS, "outcome", "EARLY_HELP")

    def two_drops(raw: Path) -> None:
        write_csv("jan/mash_2013-01-31.csv", MASH_COLS, MASH_ROWS)(raw)
        write_csv("feb/mash_2013-02-28.csv", MASH_COLS, later)(raw)
    add("duplicate-across-files-later-wins", two_drops,
        Loaded("mash_contacts", read=6, loaded=6, files=2, stored=3, key=("contact_id", "C2"),
               values={"outcome": "EARLY_HELP"}))

    def older_second(raw: Path) -> None:  # path order must not matter, only extract dates
        write_csv("a/mash_2013-02-28.csv", MASH_COLS, later)(raw)
        write_csv("b/mash_2013-01-31.csv", MASH_COLS, MASH_ROWS)(raw)
    add("duplicate-across-files-older-path-later", older_second,
        Loaded("mash_contacts", read=6, loaded=6, files=2, stored=3, key=("contact_id", "C2"),
               values={"outcome": "EARLY_HELP"}))

    def same_bytes(raw: Path) -> None:
        write_csv("a/mash_2013-01-31.csv", MASH_COLS, MASH_ROWS)(raw)
        write_csv("b/copy of mash_2013-01-31.csv", MASH_COLS, MASH_ROWS)(raw)
    add("duplicate-file-same-content", same_bytes,
        Loaded("mash_contacts", read=3, loaded=3, stored=3))

    def episodes_twice(raw: Path) -> None:
        write_csv("2012/episodes_2012-12-31.csv", EPISODE_COLS, EPISODE_ROWS)(raw)
        write_csv("2013/episodes_2013-03-31.csv", EPISODE_COLS,
                  mutated(EPISODE_ROWS, EPISODE_COLS, "PLACE", "U6"))(raw)
    add("duplicate-across-files-episodes", episodes_twice,
        Loaded("ssda903_episodes", read=6, loaded=6, files=2, stored=3,
               key=("child", "K2"), values={"place": "U6"}))

    def annex_twice(raw: Path) -> None:
        annex_a({"List 3": (LIST3_COLS, LIST3_ROWS)}, name="a_2013-01-31.xlsx")(raw)
        annex_a({"List_3": (LIST3_COLS, mutated(LIST3_ROWS, LIST3_COLS, "Referral NFA?", "N"))},
                name="a_2013-02-28.xlsx")(raw)
    add("duplicate-across-workbooks", annex_twice,
        Loaded("annex_a_referrals", read=6, loaded=6, files=2, stored=3,
               key=("child_unique_id", "K2"), values={"referral_nfa": False}))


def _truncate_expect(extract: str) -> Loaded:
    """The last row cut after its first field and comma (a copy interrupted mid-row)."""
    return {
        "mash_contacts": rejected(extract, 4, "child_id", "missing_value",
                                  (4, "received_at", "missing_value", "rejected")),
        "merlin_notifications": rejected(extract, 4, "received_at", "missing_value"),
        "ssda903_header": ok(extract),
        "ssda903_episodes": rejected(extract, 4, "decom", "missing_value",
                                     (4, "rne", "missing_value", "rejected"),
                                     (4, "ls", "missing_value", "rejected")),
    }[extract]


MISSING_REQUIRED = {"mash_contacts": ("received_at", "received_at"),
                    "merlin_notifications": ("received_at", "received_at"),
                    "ssda903_header": ("DOB", "dob"), "ssda903_episodes": ("RNE", "rne")}
SIGNATURE = {"mash_contacts": "contact_id", "merlin_notifications": "merlin_id",
             "ssda903_header": "SEX", "ssda903_episodes": "DECOM"}
VARIANT_HEADERS = {
    "mash_contacts": {"contact_id": "Contact Ref", "received_at": "Date Received",
                      "source": "Contact Source", "decided_at": "Decision Date",
                      "outcome": "MASH Outcome", "rag": "RAG rating"},
    "merlin_notifications": {"merlin_id": "MERLIN Ref", "received_at": "Date received",
                             "notification_type": "Type", "police_risk": "Risk level"},
    "ssda903_header": {"CHILD": "child", "SEX": " Sex ", "DOB": "dob", "ETHNIC": "Ethnic"},
    "ssda903_episodes": {"CHILD": "Child", "DECOM": "DECOM ", "PLACE_PROVIDER": "Place Provider"},
}
UNKNOWN_RENAME = {"mash_contacts": ("received_at", "Arrived", "received_at"),
                  "merlin_notifications": ("received_at", "Arrived", "received_at"),
                  "ssda903_header": ("DOB", "Birthday", "dob"),
                  "ssda903_episodes": ("LS", "Legal", "ls")}


def _file_cases() -> None:
    for extract, (cols, rows, name) in CSV_BASES.items():
        text = csv_text(cols, rows)
        e = f"{extract}"
        add(f"file-{e}-utf8", write_bytes(name, text.encode()), ok(e))
        add(f"file-{e}-utf8-bom", write_bytes(name, codecs.BOM_UTF8 + text.encode()), ok(e))
        add(f"file-{e}-cp1252", write_bytes(name, text.encode("cp1252")), ok(e))
        add(f"file-{e}-latin1-pound", write_bytes(name, text.replace("café", "£5 paid").encode(
            "latin-1")), ok(e))
        add(f"file-{e}-utf16le-bom", write_bytes(name, text.encode("utf-16")), ok(e))
        add(f"file-{e}-utf16be-bom", write_bytes(
            name, codecs.BOM_UTF16_BE + text.encode("utf-16-be")), ok(e))
        add(f"file-{e}-utf16-excel-unicode-text", write_bytes(
            name, csv_text(cols, rows, delimiter="\t", newline="\r\n").encode("utf-16")), ok(e))
        add(f"file-{e}-utf16-no-bom", write_bytes(name, text.encode("utf-16-le")),
            Fatal("not a text CSV file", name, rule="unreadable_file"))
        add(f"file-{e}-undecodable-bytes", write_bytes(name, text.encode() + b"\x81\x8d\x8f\x90\xc3"),
            Fatal("cannot decode", name, rule="unreadable_file"))
        add(f"file-{e}-nul-in-middle", write_bytes(name, text.encode() + b"x" * 9000 + b"\x00\n"),
            Fatal("NUL", name, rule="unreadable_file"))
        for delim, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            add(f"file-{e}-delimiter-{label}",
                write_bytes(name, csv_text(cols, rows, delimiter=delim).encode()), ok(e))
        add(f"file-{e}-crlf", write_bytes(name, csv_text(cols, rows, newline="\r\n").encode()), ok(e))
        add(f"file-{e}-no-final-newline", write_bytes(name, text.rstrip("\n").encode()), ok(e))
        cut = text.rstrip("\n").rsplit("\n", 1)
        add(f"file-{e}-truncated-mid-row",
            write_bytes(name, (cut[0] + "\n" + cut[1].split(",")[0] + ",").encode()),
            _truncate_expect(e))
        add(f"file-{e}-truncated-in-quotes",
            write_bytes(name, (text + rows[0][0] + ',"unterminated').encode()),
            Fatal("cannot read the CSV file", name, rule="unreadable_file"))
        add(f"file-{e}-truncated-mid-character",
            write_bytes(name, text.encode().replace(b"caf\xc3\xa9", b"caf\xc3")), ok(e))
        add(f"file-{e}-empty", write_bytes(name, b""), Skipped("empty"))
        add(f"file-{e}-blank-lines-only", write_bytes(name, b"\n\n \n"), Skipped("not recognised"))
        add(f"file-{e}-bom-only", write_bytes(name, codecs.BOM_UTF8), Skipped("empty"))
        add(f"file-{e}-header-only", write_bytes(name, csv_text(cols, []).encode()),
            Loaded(e, read=0, loaded=0))
        add(f"file-{e}-header-only-no-newline",
            write_bytes(name, csv_text(cols, []).rstrip("\n").encode()), Loaded(e, read=0, loaded=0))
        add(f"file-{e}-title-rows-and-blank-lines", write_bytes(
            name, ("Extract for the board,,\nRun on 01/02/2013\n\n" + text.replace("\n", "\n\n", 1)
                   ).encode()), ok(e))
        add(f"file-{e}-trailing-delimiters", write_bytes(
            name, text.replace("\n", ",\n").encode()), ok(e))
        add(f"file-{e}-quoted-fields", write_bytes(
            name, csv_text(cols, [r[:-1] + ['a, "quoted"\nnote'] for r in rows]).encode()), ok(e))
        add(f"file-{e}-short-rows", write_bytes(
            name, csv_text(cols, rows).replace("café", "").replace(",\n", "\n").encode()), ok(e))
        long_row = ",".join(rows[0] + ["x", "y"]) + "\n"
        add(f"file-{e}-long-row", write_bytes(name, (text + long_row).encode()),
            Fatal("more fields than the header", name, row=5, rule="too_many_fields"))
        add(f"file-{e}-long-row-after-line-12", write_bytes(
            name, (text + "\n" * 10 + long_row).encode()),
            Fatal("cannot read the CSV file", name, row=15, rule="unreadable_file"))
        dropped, model_col = MISSING_REQUIRED[e]
        keep = [i for i, c in enumerate(cols) if c != dropped]
        add(f"file-{e}-missing-required-column", write_csv(
            name, [cols[i] for i in keep], [[r[i] for i in keep] for r in rows]),
            Fatal("lacks the required column", name, column=model_col, rule="required_column"))
        keep = [i for i, c in enumerate(cols) if c != SIGNATURE[e]]
        add(f"file-{e}-missing-key-column", write_csv(
            name, [cols[i] for i in keep], [[r[i] for i in keep] for r in rows]),
            Skipped("not recognised"))
        old, new, model_col = UNKNOWN_RENAME[e]
        add(f"file-{e}-renamed-unknown-header", write_csv(
            name, [new if c == old else c for c in cols], rows),
            Fatal("lacks the required column", name, column=model_col, rule="required_column"))
        renames = VARIANT_HEADERS[e]
        add(f"file-{e}-renamed-header-variants", write_csv(
            name, [renames.get(c, c) for c in cols], rows), ok(e))
        add(f"file-{e}-upper-case-headers", write_csv(name, [c.upper() for c in cols], rows), ok(e))
        first = cols[0]  # a duplicated column: the first occurrence is read
        add(f"file-{e}-duplicated-column", write_csv(
            name, cols + [first], [r + ["OTHER"] for r in rows]),
            ok(e, key=(first.lower(), rows[1][0]), values={}))
        add(f"file-{e}-reordered-columns", write_csv(
            name, cols[::-1], [r[::-1] for r in rows]), ok(e))
        add(f"file-{e}-xml-instead", write_bytes(name.replace(".csv", ".xml"), b"<x/>"),
            Skipped("XML"))


def _excel_cases() -> None:
    base = {"List 1": (LIST1_COLS, LIST1_ROWS), "List 3": (LIST3_COLS, LIST3_ROWS),
            "List 7": (LIST7_COLS, LIST7_ROWS)}
    good = workbook(base)
    f = ANNEX_A_FILE
    for extract, (cols, rows, sheet) in SHEET_BASES.items():
        for label, sheet_name in (("space", sheet), ("underscore", sheet.replace(" ", "_")),
                                  ("with-title", f"{sheet} - the list"),
                                  ("lower-case", sheet.lower())):
            add(f"xlsx-{extract}-sheet-{label}", annex_a({sheet_name: (cols, rows)}), ok(extract))
        add(f"xlsx-{extract}-header-only", annex_a({sheet: (cols, [])}),
            Loaded(extract, read=0, loaded=0))
        add(f"xlsx-{extract}-no-title-row", annex_a({sheet: (cols, rows)}, title=False), ok(extract))
        add(f"xlsx-{extract}-empty-sheet", annex_a({sheet: ([], [])}, title=False), Skipped(""))
        add(f"xlsx-{extract}-title-only", annex_a({sheet: ([], [])}), Skipped("no header row"))
        add(f"xlsx-{extract}-missing-required", annex_a({sheet: (cols[:5], [r[:5] for r in rows])}),
            Fatal("lacks the required column", f, sheet=sheet, rule="required_column"))
    add("xlsx-whole-workbook", write_bytes(f, good),
        Loaded("annex_a_referrals", read=3, loaded=3, files=3, stored=3))
    add("xlsx-unused-lists-header-only", annex_a(
        {"List 2": (["Child Unique ID"], []), "List 3": (LIST3_COLS, LIST3_ROWS),
         "List 9": (["Child Unique ID"], [["K1"]])}), ok("annex_a_referrals"))
    add("xlsx-other-sheet-ignored", annex_a(
        {"Notes": (["anything"], [["x"]]), "List 3": (LIST3_COLS, LIST3_ROWS)}),
        ok("annex_a_referrals"))
    add("xlsx-corrupt-bytes", write_bytes(f, b"PK\x03\x04" + bytes(range(256)) * 4),
        Fatal("cannot open the Excel workbook", f, rule="unreadable_file"))
    add("xlsx-truncated", write_bytes(f, good[: len(good) // 2]),
        Fatal("cannot open the Excel workbook", f, rule="unreadable_file"))
    add("xlsx-empty-file", write_bytes(f, b""),
        Fatal("cannot open the Excel workbook", f, rule="unreadable_file"))
    add("xlsx-csv-renamed", write_bytes(f, csv_text(MASH_COLS, MASH_ROWS).encode()),
        Fatal("cannot open the Excel workbook", f, rule="unreadable_file"))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    add("xlsx-zip-not-workbook", write_bytes(f, zipped.getvalue()),
        Fatal("cannot open the Excel workbook", f, rule="unreadable_file"))
    # An encrypted workbook is an OLE2 container holding an `EncryptedPackage` stream.
    ole = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptionInfo".encode("utf-16-le")
           + bytes(50) + "EncryptedPackage".encode("utf-16-le") + bytes(2000))
    add("xlsx-password-protected", write_bytes(f, ole),
        Fatal("password-protected", f, rule="unreadable_file"))
    add("xlsx-old-xls-renamed", write_bytes(f, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)),
        Fatal("old binary .xls", f, rule="unreadable_file"))
    add("xls-corrupt", write_bytes("annex_a_2013-01-31.xls", b"\xd0\xcf\x11\xe0" + bytes(100)),
        Fatal("cannot open the Excel workbook", "annex_a_2013-01-31.xls", rule="unreadable_file"))
    add("xlsx-lock-file-ignored", write_bytes("~$" + f, b"owner"), Skipped("lock file"))
    add("xlsx-formula-cached-values", _formulas(cached=True), ok("annex_a_referrals", key=(
        "gender", "F"), values={"child_unique_id": "K2", "date_of_referral": dt.date(2013, 1, 6)}))
    add("xlsx-formula-without-cached-value", _formulas(cached=False),
        rejected("annex_a_referrals", 4, "date_of_referral", "missing_value"))
    add("xlsx-merged-id-cells", _merged(), rejected("annex_a_referrals", 4, "child_unique_id",
                                                    "missing_value"))
    add("xlsx-merged-title-cells", _merged(title_only=True), ok("annex_a_referrals"))


def _formulas(cached: bool):
    """List 3 whose second row's id and date are formulas (xlsxwriter stores a cached value)."""
    def build(raw: Path) -> None:
        wb = xlsxwriter.Workbook(raw / ANNEX_A_FILE)
        ws = wb.add_worksheet("List 3")
        ws.write_row(0, 0, ["List 3: Referral"])
        ws.write_row(1, 0, LIST3_COLS)
        for i, row in enumerate(LIST3_ROWS):
            ws.write_row(2 + i, 0, row)
        ws.write_formula(3, 0, '="K"&"2"', None, "K2" if cached else 0)
        date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
        ws.write_formula(3, 5, "=DATE(2013,1,6)", date_fmt,
                         serial(dt.date(2013, 1, 6)) if cached else "")
        wb.close()
    return build


def _merged(title_only: bool = False):
    def build(raw: Path) -> None:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "List 3"
        ws.append(["List 3: Referral"])
        ws.merge_cells("A1:K1")
        ws.append(LIST3_COLS)
        for r in LIST3_ROWS:
            ws.append(r)
        if not title_only:  # K1's id cell merged over the next row: the row below has no id
            ws.merge_cells("A3:A4")
        wb.save(raw / ANNEX_A_FILE)
    return build


def _big_cases() -> None:
    def wide(raw: Path) -> None:
        extra = [f"extra_{i}" for i in range(10_000 - len(MASH_COLS))]
        write_csv(CSV_BASES["mash_contacts"][2], MASH_COLS + extra,
                  [r + ["x"] * len(extra) for r in MASH_ROWS])(raw)
    add("big-10000-columns", wide, ok("mash_contacts"), big=True)

    def long_line(raw: Path) -> None:
        path = raw / CSV_BASES["mash_contacts"][2]
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(csv_text(MASH_COLS, MASH_ROWS).encode())
            block = b"x" * (1 << 20)
            for _ in range(500):  # a 500 MB line, written in 1 MB blocks
                f.write(block)
            f.write(b"\n")
    add("big-500mb-line", long_line,
        Fatal("longer than", CSV_BASES["mash_contacts"][2], row=5, rule="line_too_long"), big=True)


_file_cases()
_value_cases()
_duplicate_cases()
_excel_cases()
_big_cases()
