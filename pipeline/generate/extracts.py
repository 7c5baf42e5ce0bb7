"""Write a simulated council's events as the files an analyst receives (docs: spec/inputs.md).

MASH contacts and MERLIN notifications (CSV, one per month), Annex A workbooks (XLSX, rolling 12
months), SSDA903 header/episodes/reviews (CSV, one set per year ending 31 March), and a stray notes
file. The files carry some of the untidiness of real extracts (header variants, ids with `.0`, stray
spaces, mixed-case codes, Y/N spelt several ways, mixed date formats) and, at a low rate, genuinely bad
rows (missing child id, end before start, unknown code) for the data-quality report.

Every random choice comes from one seeded generator, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from pipeline.generate.council import DAY, ETHNICITIES, Council, add_months

MASH_COLUMNS = ["contact_id", "child_id", "received_at", "source", "merlin_id", "rag", "decided_at",
                "outcome"]
MERLIN_COLUMNS = ["merlin_id", "received_at", "child_id", "notification_type", "police_risk",
                  "screened"]
HEADER_COLUMNS = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODE_COLUMNS = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]
BAD_ROW_RATE = 0.002

# Ofsted's Annex A template: list titles and headings (the lists the pipeline does not read are
# written header-only, as an authority with nothing to report would).
LIST_TITLES = {
    1: "List 1: Contacts", 2: "List 2: Early Help", 3: "List 3: Referral", 4: "List 4: Assessments",
    5: "List 5: Section 47 enquiries and Initial Child Protection Conferences",
    6: "List 6: Children in Need", 7: "List 7: Child protection", 8: "List 8: Children in care",
    9: "List 9: Care leavers", 10: "List 10: Adoption", 11: "List 11: Adopters",
}
PERSON = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]
LIST_HEADINGS = {
    1: PERSON + ["Date of Contact", "Contact Source"],
    2: PERSON + ["Assessment start date", "Assessment completion date",
                 "Organisation completing assessment"],
    3: PERSON + ["Date of referral", "Referral Source", "Referral NFA?",
                 "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker"],
    4: PERSON + ["Does the Child have a Disability", "Continuous Assessment Start Date",
                 "Child Seen During Continuous Assessment",
                 "Continuous Assessment Date of Authorisation",
                 "Was the child assessed as requiring LA children’s social care support",
                 "Allocated Team", "Allocated Worker"],
    5: PERSON + ["Does the Child have a Disability",
                 "Strategy discussion initiating Section 47 Enquiry Start Date",
                 "Was an Initial Child Protection Conference deemed unnecessary?",
                 "Date of Initial Child Protection Conference",
                 "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                 "Number of Section 47 Enquiries in the last 12 months",
                 "Number of ICPCs in the last 12 months", "Allocated Team", "Allocated Worker"],
    6: PERSON + ["Does the Child have a Disability", "CIN Start Date", "Primary Need Code",
                 "Date Child Was Last Seen", "CIN Closure Date", "Reason for Closure", "Case status",
                 "Allocated Team", "Allocated Worker"],
    7: PERSON + ["Does the Child have a Disability", "Child Protection Plan Start Date",
                 "Initial Category of Abuse", "Latest Category of Abuse",
                 "Date of the Last Statutory Visit", "Was the Child Seen Alone?",
                 "Date of latest review conference", "Child Protection Plan End Date",
                 "Subject to Emergency Protection Order or Protected Under Police Powers in Last "
                 "Six Months (Y/N)", "Number of Previous Child Protection Plans", "Allocated Team",
                 "Allocated Worker"],
    8: PERSON[:5] + ["Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
                     "Does the Child have a Disability", "Date Started to be Looked After",
                     "Child's Category of Need", "Child's Legal Status", "Placement Type",
                     "Allocated Team", "Allocated Worker"],
    9: PERSON + ["Does the Child have a Disability", "Allocated Team", "Allocated Worker",
                 "Eligibility Category", "LA In Touch ", "Type of Accommodation",
                 "Suitability of Accommodation", "Activity Status"],
    10: ["Child Unique ID", "Family identifier", "Gender", "Ethnicity", "Date of Birth",
         "Age of Child (Years)", "Does the Child have a Disability", "Date the Child Entered Care",
         "Date of Decision that Child Should be Placed for Adoption", "Date of Placement Order",
         "Date of Matching Child and Prospective Adopters", "Date Placed for Adoption",
         "Date of Adoption Order "],
    11: ["Individual adopter identifier", "Family identifier", "Gender", "Ethnicity", "Disability",
         "Date enquiry received", "Date application approved",
         "Date child/children placed with adopter(s)", "Date of Adoption Order"],
}
# The template's coded values: "q) 6: Police" style.
SOURCE_TEMPLATE = {
    "1A": "a) 1A: Individual", "1B": "b) 1B: Individual", "1C": "c) 1C: Individual",
    "1D": "d) 1D: Individual", "2A": "e) 2A: Schools", "2B": "f) 2B: Education services",
    "3A": "g) 3A: Health services", "3B": "h) 3B: Health services", "3C": "i) 3C: Health services",
    "3D": "j) 3D: Health services", "3E": "k) 3E: Health services", "3F": "l) 3F: Health services",
    "4": "m) 4: Housing", "5A": "n) 5A: LA services", "5B": "o) 5B: LA services",
    "5C": "p) 5C: LA services", "5D": "5D: LA services", "6": "q) 6: Police",
    "7": "r) 7: Other legal agency", "8": "s) 8: Other", "9": "t) 9: Anonymous",
    "10": "u) 10: Unknown",
}
CATEGORY_STYLES = {
    "template": {"NEGLECT": "a) Neglect", "PHYSICAL": "b) Physical abuse", "SEXUAL": "c) Sexual abuse",
                 "EMOTIONAL": "d) Emotional abuse", "MULTIPLE": "e) Multiple/not recommended"},
    "bare": {"NEGLECT": "N", "PHYSICAL": "P", "SEXUAL": "S", "EMOTIONAL": "E", "MULTIPLE": "M"},
    "words": {"NEGLECT": "Neglect", "PHYSICAL": "Physical abuse", "SEXUAL": "Sexual abuse",
              "EMOTIONAL": "Emotional abuse", "MULTIPLE": "Multiple"},
}
GENDER_STYLES = {"template": ("a) Male", "b) Female"), "bare": ("M", "F"), "words": ("Male", "Female")}
YES_NO_STYLES = {"template": ("a) Yes", "b) No"), "bare": ("Y", "N"), "words": ("Yes", "No")}
ETHNICITY_LETTER = dict(zip(ETHNICITIES, "abdefghijklmnopqrss"))  # as the template's (sic) list
EXCEL_EPOCH = np.datetime64("1899-12-30")
POSTCODE_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
REVIEW_CODES = np.array(["PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"])


def write_council(council: Council, folder: Path, seed: int, annex_a_every_months: int = 1,
                  map_workbooks=map, list1_in_every_workbook: bool = True) -> dict:
    """Write all of a council's extracts under `folder`; return files written and rows per extract.

    `map_workbooks` maps the Annex A workbook writer over its tasks (a process pool's `map` to share
    them out); each workbook has its own seed, so the bytes do not depend on it. Annex A List 1 (the
    largest list, which the pipeline reads only for a council without a MASH log) is filled in every
    workbook, or with `list1_in_every_workbook=False` in the latest only (header-only elsewhere).
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    summary = {"files": 0, "rows": {}}

    def count(extract: str, rows: int, files: int = 1) -> None:
        summary["files"] += files
        summary["rows"][extract] = summary["rows"].get(extract, 0) + rows

    count("mash_contacts", *_write_mash(council, folder / "mash", rng))
    count("merlin_notifications", *_write_merlin(council, folder / "merlin", rng))
    for extract, rows, files in _write_annex_a(council, folder / "annex_a", rng, annex_a_every_months,
                                               map_workbooks, list1_in_every_workbook):
        count(extract, rows, files)
    for extract, rows, files in _write_ssda903(council, folder / "ssda903", rng):
        count(extract, rows, files)
    (folder / "notes.txt").write_text(
        "Extract notes\n\nMonthly drops from the case management system, the MASH log and the MERLIN\n"
        "log. Annex A is re-run each month for the rolling year. SSDA903 as returned to the DfE.\n"
        "Synthetic data: no real child is described.\n", encoding="utf-8")
    summary["files"] += 1
    return summary


# --- formatting helpers -------------------------------------------------------------------------

def _fmt_datetime(values: np.ndarray, style: str) -> np.ndarray:
    """Date-times as text, blank for NaT: ISO (`YYYY-MM-DD HH:MM:SS`) or UK (`DD/MM/YYYY HH:MM`)."""
    values = np.asarray(values, dtype="datetime64[s]")
    iso = np.datetime_as_string(values, unit="s")
    missing = np.isnat(values)
    if style == "iso":
        out = np.char.replace(iso.astype("U19"), "T", " ")
    else:
        out = np.char.add(np.char.add(_uk_date(iso), " "), _slice(iso, 11, 16))
    return np.where(missing, "", out).astype(object)


def _slice(strings: np.ndarray, a: int, b: int) -> np.ndarray:
    """Vectorised s[a:b] on fixed-width numpy strings."""
    fixed = np.asarray(strings).astype(f"U{b}")
    return fixed.view("U1").reshape(fixed.size, b)[:, a:b].copy().view(f"U{b - a}").ravel()


def _uk_date(iso: np.ndarray) -> np.ndarray:
    """`DD/MM/YYYY` from ISO strings."""
    return np.char.add(np.char.add(np.char.add(np.char.add(_slice(iso, 8, 10), "/"),
                                               _slice(iso, 5, 7)), "/"), _slice(iso, 0, 4))


def _fmt_date_uk(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype="datetime64[D]")
    iso = np.datetime_as_string(values, unit="D").astype("U10")
    return np.where(np.isnat(values), "", _uk_date(iso)).astype(object)


def _messy_ids(rng, ids: np.ndarray, dot_zero: bool, space_rate: float = 0.01) -> np.ndarray:
    ids = ids.astype(str).astype(object)
    if dot_zero:
        ids = ids + ".0"
    spaces = rng.random(ids.size) < space_rate
    ids[spaces] = ids[spaces] + " "
    return ids


def _messy_case(rng, values: np.ndarray, rate: float) -> np.ndarray:
    """Mixed case and stray spaces on a small share of code values."""
    out = values.astype(object).copy()
    hit = (rng.random(out.size) < rate) & pd.notna(out)
    styles = rng.integers(0, 3, out.size)
    for k, fn in enumerate((str.lower, str.title, lambda s: f" {s} ")):
        pick = hit & (styles == k)
        out[pick] = [fn(v) for v in out[pick]]
    return out


def _month_files(frame: pd.DataFrame, when: np.ndarray, first: np.datetime64, last: np.datetime64):
    """Split a frame into calendar months from `first` to `last` (inclusive), by `when`."""
    month = np.asarray(when, dtype="datetime64[M]")
    for m in np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1):
        yield m, frame[month == m]


def _month_end(m: np.datetime64) -> str:
    return str((m + 1).astype("datetime64[D]") - DAY)


def _to_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")


# --- MASH and MERLIN ----------------------------------------------------------------------------

def _write_mash(c: Council, folder: Path, rng) -> tuple[int, int]:
    ct = c.contacts
    ct = ct[(ct["received_at"] >= c.start) & (ct["received_at"] <= c.end + DAY)]
    n = len(ct)
    frame = pd.DataFrame({
        "contact_id": ct["contact_id"].to_numpy(), "child_id": ct["child_id"].to_numpy(),
        "received_at": ct["received_at"].to_numpy(), "source": ct["source"].to_numpy(),
        "merlin_id": ct["merlin_id"].to_numpy(), "rag": _messy_case(rng, ct["rag"].to_numpy(), 0.02),
        "decided_at": ct["decided_at"].to_numpy(),
        "outcome": _messy_case(rng, ct["outcome"].to_numpy(), 0.02),
    })
    frame["source"] = _messy_case(rng, frame["source"].to_numpy(), 0.01)
    # A few contacts name a MERLIN notification that is not in the MERLIN log.
    lost = frame["merlin_id"].notna().to_numpy() & (rng.random(n) < 0.002)
    frame.loc[lost, "merlin_id"] = frame.loc[lost, "merlin_id"] + "X"
    bad = _bad_contacts(rng, frame)
    frame = pd.concat([frame, bad]).sort_values("received_at", kind="stable")
    rows = files = 0
    variants = {"contact_id": "Contact ID", "child_id": "Child ID", "received_at": "Received At",
                "source": "Source", "merlin_id": "MERLIN ID", "rag": "RAG",
                "decided_at": "Decided At", "outcome": "Outcome"}
    for m, part in _month_files(frame, frame["received_at"].to_numpy(), c.start, c.end):
        part = part.copy()
        style = "uk" if rng.random() < 0.25 else "iso"
        part["received_at"] = _fmt_datetime(part["received_at"].to_numpy(), style)
        part["decided_at"] = _fmt_datetime(part["decided_at"].to_numpy(), style)
        part["child_id"] = _messy_ids(rng, part["child_id"].fillna("").to_numpy(), rng.random() < 0.15)
        part.loc[part["child_id"].isin(["", ".0", " "]), "child_id"] = ""
        if rng.random() < 0.15:
            part = part.rename(columns=variants)
        _to_csv(part, folder / f"mash_contacts_{_month_end(m)}.csv")
        rows += len(part)
        files += 1
    return rows, files


def _bad_contacts(rng, frame: pd.DataFrame) -> pd.DataFrame:
    """Extra contacts that are genuinely wrong: no child id, decided before received, unknown source."""
    k = max(int(len(frame) * BAD_ROW_RATE), 3)
    bad = frame.iloc[rng.choice(len(frame), k, replace=False)].copy()
    bad["contact_id"] = [f"{cid}B" for cid in bad["contact_id"]]
    kind = np.arange(k) % 3
    bad.loc[kind == 0, "child_id"] = None
    decided = bad["received_at"] - pd.Timedelta(hours=5)
    bad.loc[kind == 1, "decided_at"] = decided[kind == 1]
    bad.loc[kind == 2, "source"] = "11X"
    return bad


def _write_merlin(c: Council, folder: Path, rng) -> tuple[int, int]:
    mn = c.merlin
    mn = mn[(mn["received_at"] >= c.start) & (mn["received_at"] <= c.end + DAY)]
    spellings = [("Y", "N"), ("Yes", "No"), ("y", "n"), ("TRUE", "FALSE"), ("1", "0")]
    rows = files = 0
    for m, part in _month_files(mn, mn["received_at"].to_numpy(), c.start, c.end):
        yes, no = spellings[0] if rng.random() < 0.6 else spellings[rng.integers(1, len(spellings))]
        out = pd.DataFrame({
            "merlin_id": part["merlin_id"].to_numpy(),
            "received_at": _fmt_datetime(part["received_at"].to_numpy(),
                                         "uk" if rng.random() < 0.25 else "iso"),
            "child_id": _messy_ids(rng, part["child_id"].fillna("").to_numpy(), rng.random() < 0.15),
            "notification_type": _messy_case(rng, part["notification_type"].to_numpy(), 0.01),
            "police_risk": part["police_risk"].to_numpy(),
            "screened": np.where(part["screened"].to_numpy(), yes, no),
        })
        out.loc[out["child_id"].isin(["", ".0", " "]), "child_id"] = ""
        _to_csv(out, folder / f"merlin_notifications_{_month_end(m)}.csv")
        rows += len(out)
        files += 1
    return rows, files


# --- Annex A ------------------------------------------------------------------------------------

def _referral_counts(refs: pd.DataFrame) -> np.ndarray:
    """Referrals of the child in the 12 months up to and including each referral."""
    code, _ = pd.factorize(refs["child_id"])
    day = refs["referral_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    key = code.astype(np.int64) * 1_000_000 + day
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    year_before = code[order].astype(np.int64) * 1_000_000 + (
        add_months(day[order].astype("datetime64[D]"), -12).astype(np.int64))
    counts = np.arange(key.size) - np.searchsorted(sorted_key, year_before, side="left") + 1
    out = np.empty(key.size, np.int64)
    out[order] = counts
    return out


def _previous_plans(plans: pd.DataFrame) -> np.ndarray:
    """Number of previous CP plans: earlier plans in the record plus any from before the record."""
    ordered = plans.sort_values(["child_id", "start"], kind="stable")
    earlier = ordered.groupby("child_id").cumcount()
    before = ordered.groupby("child_id")["previous"].transform("first")
    return (earlier + before).reindex(plans.index).to_numpy()


def _serial(days: np.ndarray) -> np.ndarray:
    """Excel serial day numbers (what a date cell stores), NaN for missing."""
    days = np.asarray(days, dtype="datetime64[D]")
    return np.where(np.isnat(days), np.nan, (days - EXCEL_EPOCH).astype(np.int64)).astype(float)


def _write_annex_a(c: Council, folder: Path, rng, every: int, map_workbooks=map,
                   list1_everywhere: bool = True):
    """One workbook per month (every `every` months, always the last): Lists 3 and 7 for the rolling
    12 months, List 1 for the last six (as Ofsted's guidance asks; in the latest workbook only unless
    `list1_everywhere`). Each workbook has its own seeded generator, so a workbook's bytes do not
    depend on the others."""
    folder.mkdir(parents=True, exist_ok=True)
    refs = c.referrals.assign(in_12m=_referral_counts(c.referrals))
    plans = c.cp_plans.assign(prev=_previous_plans(c.cp_plans))
    contacts = c.contacts[["child_id", "source"]].assign(
        date=c.contacts["received_at"].to_numpy().astype("datetime64[D]"))
    months = np.arange(c.start.astype("datetime64[M]"), c.end.astype("datetime64[M]") + 1)
    months = months[::-1][::max(every, 1)][::-1]
    tasks = []
    for m in months:
        extract = (m + 1).astype("datetime64[D]") - DAY
        year_ago = add_months(np.array([extract + DAY]), -12)[0]
        half_year_ago = add_months(np.array([extract + DAY]), -6)[0]
        lists = {
            1: contacts[(contacts["date"] >= half_year_ago) & (contacts["date"] <= extract)]
            if list1_everywhere or m == months[-1] else contacts.iloc[:0],
            3: refs[(refs["referral_date"] >= year_ago) & (refs["referral_date"] <= extract)],
            7: plans[(plans["start"] <= extract) & (plans["end"].isna() | (plans["end"] >= year_ago))],
        }
        kids = np.unique(np.concatenate([f["child_id"].to_numpy().astype(str) for f in lists.values()]))
        tasks.append((folder / f"annex_a_{extract}.xlsx", extract, c.profile.la_code, lists,
                      c.children.reindex(kids), int(rng.integers(2**32))))
    totals = {"annex_a_contacts": 0, "annex_a_referrals": 0, "annex_a_cp_plans": 0}
    results = list(map_workbooks(_annex_a_workbook, tasks))
    for written in results:
        totals["annex_a_contacts"] += written[1]
        totals["annex_a_referrals"] += written[3]
        totals["annex_a_cp_plans"] += written[7]
    for i, (extract_name, rows) in enumerate(totals.items()):
        yield extract_name, rows, len(months) if i == 0 else 0


def _annex_a_workbook(task) -> dict[int, int]:
    """Write one Annex A workbook; return the rows written per list."""
    path, extract, la_code, lists, children, seed = task
    rng = np.random.default_rng(seed)
    style = ["template", "bare", "words"][rng.choice(3, p=[0.5, 0.35, 0.15])]
    look = {"style": style, "ids_as_numbers": rng.random() < 0.2,
            "underscore_sheets": rng.random() < 0.25, "text_dates": rng.random() < 0.15,
            "variant_headings": rng.random() < 0.3}
    columns = {1: _list1(lists[1], children, extract, look),
               3: _list3(lists[3], children, extract, look, rng),
               7: _list7(lists[7], children, extract, look, rng)}
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False})
    wb.set_properties({"title": "Annex A - Child level data (synthetic)",
                       "created": dt.datetime(2000, 1, 1)})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    bold = wb.add_format({"bold": True})
    front = wb.add_worksheet("Front_Sheet")
    front.write(0, 0, "Annex A - Child level data", bold)
    front.write(1, 0, f"Lists 1 - 11, synthetic council {la_code}, as at {extract}")
    written = {}
    for number in range(1, 12):
        ws = wb.add_worksheet(f"List_{number}" if look["underscore_sheets"] else f"List {number}")
        headings = list(LIST_HEADINGS[number])
        if look["variant_headings"] and number == 3:
            headings[5] = str(rng.choice(["Date of Referral", "Date of referral "]))
            headings[7] = "Referral NFA"
        ws.merge_range(0, 0, 0, len(headings) - 1, LIST_TITLES[number], bold)
        ws.write_row(1, 0, headings, bold)
        if number in columns:
            written[number] = _write_rows(ws, columns[number], date_fmt, look)
    wb.close()
    return written


def _person(frame: pd.DataFrame, children: pd.DataFrame, extract: np.datetime64, look: dict) -> dict:
    kids = children.reindex(frame["child_id"].to_numpy())
    male, female = GENDER_STYLES[look["style"]]
    eth = kids["ethnicity"].to_numpy().astype(str)
    if look["style"] == "template":
        eth = (pd.Series(eth).map(ETHNICITY_LETTER) + ") " + eth).to_numpy(dtype=object)
    dob = kids["dob"].to_numpy().astype("datetime64[D]")
    age = ((extract - dob).astype(np.int64) // 365.25).astype(np.int64)
    ids = frame["child_id"].to_numpy().astype(object)
    return {"Child Unique ID": ids, "Gender": np.where(kids["sex"].to_numpy() == 1, male, female),
            "Ethnicity": eth, "Date of Birth": dob, "Age of Child (Years)": age}


def _list1(frame, children, extract, look) -> dict:
    cols = _person(frame, children, extract, look)
    src = frame["source"].to_numpy()
    cols["Date of Contact"] = frame["date"].to_numpy()
    cols["Contact Source"] = (pd.Series(src).map(SOURCE_TEMPLATE).to_numpy(dtype=object)
                              if look["style"] == "template" else src.astype(object))
    return cols


def _list3(frame, children, extract, look, rng) -> dict:
    cols = _person(frame, children, extract, look)
    yes, no = YES_NO_STYLES[look["style"]]
    src = frame["source"].to_numpy()
    cols.update({
        "Date of referral": frame["referral_date"].to_numpy(),
        "Referral Source": (pd.Series(src).map(SOURCE_TEMPLATE).to_numpy(dtype=object)
                            if look["style"] == "template" else src.astype(object)),
        "Referral NFA?": np.where(frame["nfa"].to_numpy(), yes, no).astype(object),
        "Number of Referrals in Last 12 Months": frame["in_12m"].to_numpy(),
    })
    # Now and then a row whose child id was lost (rejected by the pipeline).
    if len(frame) and rng.random() < 0.3:
        cols["Child Unique ID"] = cols["Child Unique ID"].copy()
        cols["Child Unique ID"][rng.integers(len(frame))] = None
    return cols


def _list7(frame, children, extract, look, rng) -> dict:
    frame = frame.copy()
    # An end after the extract date was not known when the list was run.
    frame.loc[frame["end"] > extract, "end"] = pd.NaT
    if len(frame) and rng.random() < 0.3:  # a plan keyed in with its end before its start
        bad = frame.iloc[[rng.integers(len(frame))]].copy()
        bad["start"] = bad["start"] + pd.Timedelta(days=200)
        bad["end"] = bad["start"] - pd.Timedelta(days=30)
        frame = pd.concat([frame, bad])
    cols = _person(frame, children, extract, look)
    cat = CATEGORY_STYLES[look["style"]]
    yes, no = YES_NO_STYLES[look["style"]]
    n = len(frame)
    start = frame["start"].to_numpy().astype("datetime64[D]")
    cols.update({
        "Does the Child have a Disability": np.full(n, no, dtype=object),
        "Child Protection Plan Start Date": start,
        "Initial Category of Abuse": frame["initial_category"].map(cat).to_numpy(dtype=object),
        "Latest Category of Abuse": frame["latest_category"].map(cat).to_numpy(dtype=object),
        "Date of the Last Statutory Visit": np.minimum(start + 10 * DAY, extract),
        "Was the Child Seen Alone?": np.full(n, yes, dtype=object),
        "Date of latest review conference": np.minimum(start + 90 * DAY, extract),
        "Child Protection Plan End Date": frame["end"].to_numpy().astype("datetime64[D]"),
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
        "Months (Y/N)": np.full(n, no, dtype=object),
        "Number of Previous Child Protection Plans": frame["prev"].to_numpy(),
    })
    return cols


def _write_rows(ws, cols: dict, date_fmt, look: dict) -> int:
    """Write a list's columns from row 3 (below the title and header rows)."""
    names = list(cols)
    n = len(next(iter(cols.values())))
    prepared = []
    for name in names:
        v = np.asarray(cols[name])
        if v.dtype.kind == "M":
            if look["text_dates"]:
                prepared.append(("s", _fmt_date_uk(v)))
            else:
                prepared.append(("d", _serial(v)))
        elif name == "Child Unique ID" and look["ids_as_numbers"]:
            prepared.append(("n", np.array([float(x) if x else np.nan for x in v])))
        elif v.dtype.kind in "iuf":
            prepared.append(("n", v.astype(float)))
        else:
            prepared.append(("s", v.astype(object)))
    # Row by row, in order (as a constant_memory writer would need too).
    writers = {"d": lambda r, c, x: ws.write_number(r, c, x, date_fmt),
               "n": ws.write_number, "s": lambda r, c, x: ws.write_string(r, c, str(x))}
    columns = [(col, writers[kind], values.tolist()) for col, (kind, values) in enumerate(prepared)]
    for row in range(n):
        for col, write, values in columns:
            x = values[row]
            if x is not None and x == x and x != "":
                write(row + 2, col, x)
    return n


# --- SSDA903 ------------------------------------------------------------------------------------

def _postcodes(rng, n: int, areas: tuple[str, ...]) -> np.ndarray:
    """Fake but realistic-looking postcodes (outward code, space, digit and two letters)."""
    area = np.asarray(areas)[rng.integers(0, len(areas), n)]
    district = rng.integers(1, 20, n).astype(str)
    inward = (rng.integers(0, 10, n).astype(str).astype(object)
              + POSTCODE_LETTERS[rng.integers(0, 20, n)] + POSTCODE_LETTERS[rng.integers(0, 20, n)])
    return (area.astype(object) + district + " " + inward).astype(object)


def _write_ssda903(c: Council, folder: Path, rng):
    ep = c.episodes.copy()
    children = c.children
    la = int(c.profile.la_code)
    areas = [("RM", "IG", "DA"), ("LS", "BD", "HX"), ("NG", "DE", "LE"), ("BS", "BA", "GL"),
             ("M", "OL", "SK")][la % 5]
    ids = children.index.to_numpy()
    home = pd.Series(_postcodes(rng, ids.size, areas), index=ids)
    n = len(ep)
    ep["pl_post"] = _postcodes(rng, n, areas + ("CM", "SS"))
    ep["urn"] = np.where(np.isin(ep["place"], ["K2", "R1", "S1"]),
                         np.char.add("SC", rng.integers(100000, 999999, n).astype(str)), "XXXXXXX")
    upn = pd.Series(np.char.add(POSTCODE_LETTERS[rng.integers(0, 20, ids.size)],
                                rng.integers(10**11, 10**12, ids.size).astype(str)), index=ids)
    years = [y for y in range(int(str(c.start)[:4]), int(str(c.end)[:4]) + 1)
             if c.start <= np.datetime64(f"{y}-03-31") <= c.end]
    rows = {"ssda903_header": 0, "ssda903_episodes": 0, "ssda903_reviews": 0}
    for y in years:
        year_start, year_end = np.datetime64(f"{y - 1}-04-01"), np.datetime64(f"{y}-03-31")
        part = ep[(ep["decom"] <= year_end) & (ep["dec"].isna() | (ep["dec"] >= year_start))].copy()
        later = part["dec"] > year_end
        part.loc[later, "dec"] = pd.NaT
        part.loc[later, "rec"] = None
        dot_zero = rng.random() < 0.3
        out = pd.DataFrame({
            "CHILD": _messy_ids(rng, part["child"].to_numpy(), dot_zero, 0.005),
            "DECOM": _fmt_date_uk(part["decom"].to_numpy()),
            "RNE": part["rne"].to_numpy(), "LS": _messy_case(rng, part["ls"].to_numpy(), 0.01),
            "CIN": part["cin"].to_numpy(), "PLACE": _messy_case(rng, part["place"].to_numpy(), 0.01),
            "PLACE_PROVIDER": part["place_provider"].to_numpy(),
            "DEC": _fmt_date_uk(part["dec"].to_numpy()), "REC": part["rec"].to_numpy(),
            "REASON_PLACE_CHANGE": part["reason_place_change"].to_numpy(),
            "HOME_POST": home.reindex(part["child"].to_numpy()).to_numpy(),
            "PL_POST": part["pl_post"].to_numpy(), "URN": part["urn"].to_numpy(),
        })
        out = pd.concat([out, _bad_episodes(rng, part, out)], ignore_index=True)
        kids = children.reindex(np.unique(part["child"].to_numpy()))
        female = kids["sex"].to_numpy() == 2
        age = (year_end - kids["dob"].to_numpy().astype("datetime64[D]")).astype(np.int64) / 365.25
        mother = female & (age >= 15) & (rng.random(len(kids)) < 0.15)
        mc_dob = year_end - rng.integers(30, 700, len(kids)).astype("timedelta64[D]")
        header = pd.DataFrame({
            "CHILD": _messy_ids(rng, kids.index.to_numpy(), dot_zero, 0.0),
            "SEX": kids["sex"].to_numpy(), "DOB": _fmt_date_uk(kids["dob"].to_numpy()),
            "ETHNIC": kids["ethnicity"].to_numpy(), "UPN": upn.reindex(kids.index).to_numpy(),
            "MOTHER": np.where(female, np.where(mother, "1", "0"), ""),
            "MC_DOB": np.where(mother, _fmt_date_uk(mc_dob), ""),
        })
        reviews = _reviews(rng, part, kids, year_start, year_end)
        sub = folder / str(y)
        _to_csv(header, sub / f"header_{year_end}.csv")
        _to_csv(out, sub / f"episodes_{year_end}.csv")
        _to_csv(reviews, sub / f"reviews_{year_end}.csv")
        rows["ssda903_header"] += len(header)
        rows["ssda903_episodes"] += len(out)
        rows["ssda903_reviews"] += len(reviews)
    for name, count in rows.items():
        yield name, count, len(years)


def _bad_episodes(rng, part: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    """A couple of episodes keyed in wrongly: ceased before they started, or an unknown legal status."""
    if not len(out):
        return out.iloc[:0]
    k = max(int(len(out) * BAD_ROW_RATE), 2)
    idx = rng.choice(len(out), k, replace=False)
    bad = out.iloc[idx].copy()
    shifted = part["decom"].to_numpy()[idx] + 1 * DAY  # a distinct key
    bad["DECOM"] = _fmt_date_uk(shifted)
    first = np.arange(k) % 2 == 0
    bad.loc[first, "DEC"] = _fmt_date_uk(shifted - 20 * DAY)[first]
    bad.loc[first, "REC"] = "E13"
    bad.loc[~first, "LS"] = "Q9"
    return bad


def _reviews(rng, part, kids, year_start, year_end) -> pd.DataFrame:
    """SSDA903 reviews (a table the pipeline does not use): one or two reviews per child."""
    ids = kids.index.to_numpy()
    k = rng.integers(1, 3, ids.size)
    who = np.repeat(np.arange(ids.size), k)
    review = year_start + rng.integers(0, 365, who.size).astype("timedelta64[D]")
    return pd.DataFrame({
        "CHILD": ids[who], "DOB": _fmt_date_uk(kids["dob"].to_numpy()[who]),
        "REVIEW": _fmt_date_uk(np.minimum(review, year_end)),
        "REVIEW_CODE": REVIEW_CODES[rng.integers(0, 8, who.size)],
    }).sort_values(["CHILD", "REVIEW"], kind="stable")
