"""The synthetic council generator: calibration of the demo council, formats, determinism, scale.

Calibration figures are worked out here, independently of the generator, with pandas from the raw
files; the targets are Havering's published figures for the year ending 31 March 2013 (185 looked
after, 26 with 3+ placements; 122 CP plans at 31 March, 158 started, 9 subsequent; 1,362 referrals).
Tolerances: referrals +-5%, CP plans +-12% (starts) and +-15% (open), subsequent plans 4..14,
children looked after +-10%, 3+ placements 12-16% (Havering 14.1%), re-referrals 16-22%, long-term
placement stability 60-72% with 22..36 children in the numerator (Havering CLA_P2yrs 29; England
about 67%), shares as stated below.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipeline.generate import generate
from pipeline.generate.council import DEMO, simulate, with_more_contacts
from pipeline.generate.reference import council_codes

YEAR_START, YEAR_END = pd.Timestamp("2012-04-01"), pd.Timestamp("2013-03-31")


def _norm(col: str) -> str:
    return col.strip().lower().replace(" ", "_")


def _read_csvs(folder: Path, pattern: str) -> pd.DataFrame:
    frames = []
    for path in sorted(folder.rglob(pattern)):
        f = pd.read_csv(path, dtype=str, keep_default_na=False)
        f.columns = [_norm(c) for c in f.columns]
        for col in ("received_at", "decided_at"):
            if col in f:
                dayfirst = f[col].str.contains("/").any()
                f[col] = pd.to_datetime(f[col].replace("", None), dayfirst=dayfirst,
                                        format="%d/%m/%Y %H:%M" if dayfirst else "%Y-%m-%d %H:%M:%S")
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _sheet(path: Path, number: int) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, read_only=True)
    name = next(n for n in wb.sheetnames if n.replace("_", " ") == f"List {number}")
    rows = list(wb[name].iter_rows(values_only=True))
    wb.close()
    return pd.DataFrame(rows[2:], columns=[str(c).strip() for c in rows[1]])


def _date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.map(lambda v: v if not isinstance(v, str) else
                                     pd.to_datetime(v, dayfirst=True)), errors="coerce")


@pytest.fixture(scope="module")
def contacts(demo):
    c = _read_csvs(demo["raw"] / "mash", "*.csv")
    c["outcome"] = c["outcome"].str.strip().str.upper().replace("", None)
    return c[c["child_id"] != ""].drop_duplicates("contact_id")


def test_demo_layout(demo):
    raw = demo["raw"]
    assert len(list((raw / "mash").glob("mash_contacts_*.csv"))) == 36
    assert len(list((raw / "merlin").glob("merlin_notifications_*.csv"))) == 36
    assert len(list((raw / "annex_a").glob("annex_a_*.xlsx"))) == 36
    assert (raw / "mash" / "mash_contacts_2013-03-31.csv").exists()
    assert sorted(p.name for p in (raw / "ssda903" / "2013").iterdir()) == [
        "episodes_2013-03-31.csv", "header_2013-03-31.csv", "reviews_2013-03-31.csv"]
    assert (raw / "notes.txt").exists()
    first = (raw / "mash" / "mash_contacts_2013-03-31.csv").read_text().splitlines()[0]
    assert first.lower().replace(" ", "_") == \
        "contact_id,child_id,received_at,source,merlin_id,rag,decided_at,outcome"


def test_annex_a_layout_follows_ofsted_template(demo):
    wb = openpyxl.load_workbook(demo["raw"] / "annex_a" / "annex_a_2013-03-31.xlsx", read_only=True)
    lists = [n for n in wb.sheetnames if n.startswith("List")]
    assert [n.replace("_", " ") for n in lists] == [f"List {i}" for i in range(1, 12)]
    rows = list(wb[lists[6]].iter_rows(min_row=1, max_row=3, values_only=True))
    assert rows[0][0] == "List 7: Child protection"
    assert rows[1][:7] == ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth",
                           "Age of Child (Years)", "Does the Child have a Disability",
                           "Child Protection Plan Start Date")
    assert len(list(wb[lists[1]].iter_rows(values_only=True))) == 2  # List 2 header-only
    wb.close()


def test_front_door_calibration(contacts):
    year = contacts[(contacts["received_at"] >= YEAR_START) &
                    (contacts["received_at"] < YEAR_END + pd.Timedelta(days=1))]
    decided = year[year["outcome"].notna()]
    not_meeting = (decided["outcome"] != "REFERRAL").mean()
    merlin_share = (year["merlin_id"] != "").mean()
    assert 0.75 <= not_meeting <= 0.80
    assert 0.35 <= merlin_share <= 0.45
    # RAG: most decisions within 4/24/72 hours.
    hours = (decided["decided_at"] - decided["received_at"]).dt.total_seconds() / 3600
    target = decided["rag"].str.strip().str.upper().map({"RED": 4, "AMBER": 24, "GREEN": 72})
    assert 0.85 <= (hours <= target).mean() <= 0.97


def test_police_screening_cuts_merlin_volume(demo):
    m = _read_csvs(demo["raw"] / "merlin", "*.csv")
    month = m["received_at"].dt.to_period("M")
    before = ((month >= pd.Period("2012-10")) & (month <= pd.Period("2013-03"))).sum()
    after = ((month >= pd.Period("2013-10")) & (month <= pd.Period("2014-03"))).sum()
    assert 0.50 <= after / before <= 0.70  # about 40% fewer, with 2% growth in demand


def test_referrals_agree_with_contacts_and_calibrate(demo, contacts):
    refs = _sheet(demo["raw"] / "annex_a" / "annex_a_2013-03-31.xlsx", 3)
    refs = refs[refs["Child Unique ID"].notna()]
    refs["child"] = refs["Child Unique ID"].astype(str).str.strip().str.removesuffix(".0")
    refs["date"] = _date(refs.filter(regex="(?i)date of referral").iloc[:, 0])
    assert abs(len(refs) - 1362) <= 0.05 * 1362
    # Contacts with outcome REFERRAL are the referrals: same child, referral date = decision date.
    ref_contacts = contacts[(contacts["outcome"] == "REFERRAL")
                            & (contacts["decided_at"] >= YEAR_START + pd.Timedelta(days=2))
                            & (contacts["decided_at"] < YEAR_END + pd.Timedelta(days=1))]
    keys = set(zip(refs["child"], refs["date"].dt.normalize()))
    found = [(c.strip().removesuffix(".0"), d.normalize()) in keys
             for c, d in zip(ref_contacts["child_id"], ref_contacts["decided_at"])]
    assert np.mean(found) >= 0.99
    # Re-referrals within 12 months, with the history of the previous year's workbook.
    prev = _sheet(demo["raw"] / "annex_a" / "annex_a_2012-03-31.xlsx", 3)
    prev = prev[prev["Child Unique ID"].notna()]
    prev["child"] = prev["Child Unique ID"].astype(str).str.strip().str.removesuffix(".0")
    prev["date"] = _date(prev.filter(regex="(?i)date of referral").iloc[:, 0])
    history = pd.concat([prev[["child", "date"]], refs[["child", "date"]]]).drop_duplicates()
    pairs = refs[["child", "date"]].merge(history, on="child", suffixes=("", "_prev"))
    is_re = (pairs["date_prev"] < pairs["date"]) & (
        pairs["date_prev"] >= pairs["date"] - pd.DateOffset(months=12))
    rate = pairs[is_re].drop_duplicates(["child", "date"]).shape[0] / len(refs)
    assert 0.16 <= rate <= 0.22


def test_child_protection_calibration(demo):
    plans = _sheet(demo["raw"] / "annex_a" / "annex_a_2013-03-31.xlsx", 7)
    plans = plans[plans["Child Unique ID"].notna()]
    start = _date(plans["Child Protection Plan Start Date"])
    end = _date(plans["Child Protection Plan End Date"])
    plans = plans[end.isna() | (end >= start)]
    start, end = start[plans.index], end[plans.index]
    open_at = plans[(start <= YEAR_END) & end.isna()]["Child Unique ID"].nunique()
    started = (start >= YEAR_START) & (start <= YEAR_END)
    subsequent = (pd.to_numeric(plans["Number of Previous Child Protection Plans"]) > 0) & started
    assert abs(open_at - 122) <= 0.15 * 122
    assert abs(started.sum() - 158) <= 0.12 * 158
    assert 4 <= subsequent.sum() <= 14
    ended = end.notna() & (end >= YEAR_START)
    three_months = end <= start + pd.DateOffset(months=3)
    exactly = end == start + pd.DateOffset(months=3)
    assert 0.15 <= (three_months & ended).sum() / ended.sum() <= 0.35
    assert (exactly & ended).sum() >= 5


def _cla(raw: Path, year: int) -> tuple[int, float]:
    ep = pd.read_csv(raw / "ssda903" / str(year) / f"episodes_{year}-03-31.csv", dtype=str,
                     keep_default_na=False)
    ep["CHILD"] = ep["CHILD"].str.strip().str.removesuffix(".0")
    ep["decom"] = pd.to_datetime(ep["DECOM"], format="%d/%m/%Y")
    ep["dec"] = pd.to_datetime(ep["DEC"].replace("", None), format="%d/%m/%Y")
    ep = ep[~ep["LS"].str.strip().str.upper().isin(["V3", "V4"])
            & ep["LS"].str.strip().str.upper().isin(["C1", "C2", "D1", "E1", "J1", "J2", "J3",
                                                     "L1", "L2", "L3", "V2"])
            & (ep["dec"].isna() | (ep["dec"] >= ep["decom"]))]
    lo, snap = pd.Timestamp(f"{year - 1}-04-01"), pd.Timestamp(f"{year}-03-31")
    kids = ep[(ep["decom"] <= snap) & ep["dec"].isna()]["CHILD"].unique()
    mine = ep[ep["CHILD"].isin(kids)]
    at_start = set(mine[(mine["decom"] <= lo) & (mine["dec"].isna() | (mine["dec"] > lo))]["CHILD"])
    moves = mine[(mine["decom"] > lo) & mine["RNE"].isin(["S", "P", "B"])].groupby("CHILD").size()
    placements = pd.Series([int(k in at_start) + int(moves.get(k, 0)) for k in kids])
    return len(kids), float((placements >= 3).mean())


def test_looked_after_calibration(demo):
    children, three_plus = _cla(demo["raw"], 2013)
    assert abs(children - 185) <= 0.10 * 185
    assert 0.12 <= three_plus <= 0.16
    assert _cla(demo["raw"], 2012)[1] > three_plus > _cla(demo["raw"], 2014)[1]  # improving


def _episodes_all_years(raw: Path) -> pd.DataFrame:
    """Every year's episodes, a later file's version of an episode replacing an earlier one."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False)
              for p in sorted((raw / "ssda903").glob("*/episodes_*.csv"))]
    ep = pd.concat(frames, ignore_index=True)
    ep["CHILD"] = ep["CHILD"].str.strip().str.removesuffix(".0")
    ep["LS"] = ep["LS"].str.strip().str.upper()
    ep["decom"] = pd.to_datetime(ep["DECOM"], format="%d/%m/%Y")
    ep["dec"] = pd.to_datetime(ep["DEC"].replace("", None), format="%d/%m/%Y")
    ep = ep[~ep["LS"].isin(["V3", "V4", "Q9"]) & (ep["dec"].isna() | (ep["dec"] >= ep["decom"]))]
    return ep.drop_duplicates(["CHILD", "decom"], keep="last").sort_values(["CHILD", "decom"])


def test_long_term_placement_stability_calibration(demo):
    """Children under 16 looked after for 2.5 years or more at 31 March 2013: the share whose
    current placement began 2 years or more before. Needs the stock of children who came into care
    long before the first extract, with their real (earlier) start dates in the files."""
    ep = _episodes_all_years(demo["raw"])
    head = pd.read_csv(demo["raw"] / "ssda903" / "2013" / "header_2013-03-31.csv", dtype=str)
    dob = pd.to_datetime(head.set_index(head["CHILD"].str.strip().str.removesuffix(".0"))["DOB"],
                         format="%d/%m/%Y")
    snap = pd.Timestamp("2013-03-31")
    # The current period of care and placement: walk back from the open episode while each earlier
    # episode ended on the day the next began, stopping at S (period) or at S, P, B (placement).
    open_now = ep[(ep["decom"] <= snap) & (ep["dec"].isna() | (ep["dec"] > snap))]
    numerator = denominator = 0
    for child, current in open_now.groupby("CHILD"):
        if not dob[child] + pd.DateOffset(years=16) > snap:
            continue
        mine = ep[(ep["CHILD"] == child) & (ep["decom"] <= snap)].reset_index(drop=True)
        i = len(mine) - 1
        period_start = placement_start = None
        while True:
            if placement_start is None and mine.loc[i, "RNE"] in ("S", "P", "B"):
                placement_start = mine.loc[i, "decom"]
            if mine.loc[i, "RNE"] == "S" or i == 0 or mine.loc[i - 1, "dec"] != mine.loc[i, "decom"]:
                period_start = mine.loc[i, "decom"]
                break
            i -= 1
        placement_start = placement_start if placement_start is not None else period_start
        if period_start <= snap - pd.DateOffset(months=30):
            denominator += 1
            numerator += placement_start <= snap - pd.DateOffset(years=2)
    assert 22 <= numerator <= 36
    assert 0.60 <= numerator / denominator <= 0.72
    # The stock: children in care at the first extract's start whose period began years before.
    first = ep[(ep["decom"] < pd.Timestamp("2011-04-01"))]
    assert (first["decom"] < pd.Timestamp("2008-04-01")).sum() >= 15


def test_ssda903_carries_personal_data_for_the_scan(demo):
    ep = pd.read_csv(demo["raw"] / "ssda903" / "2013" / "episodes_2013-03-31.csv", dtype=str)
    head = pd.read_csv(demo["raw"] / "ssda903" / "2013" / "header_2013-03-31.csv", dtype=str)
    assert list(head.columns) == ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
    assert ep["HOME_POST"].str.match(r"^[A-Z]{1,2}\d{1,2} \d[A-Z]{2}$").all()
    assert ep["PL_POST"].notna().all() and head["UPN"].str.match(r"^[A-Z]\d{12}$").all()
    assert head["MC_DOB"].notna().any()
    assert {"V3", "V4"} & set(ep["LS"].str.strip().str.upper())  # short breaks are there
    assert (ep["REC"] == "X1").any()


def test_bad_rows_are_there_but_rare(contacts, demo):
    raw = _read_csvs(demo["raw"] / "mash", "*.csv")
    missing_child = (raw["child_id"].str.strip() == "").sum()
    backwards = (raw["decided_at"] < raw["received_at"]).sum()
    unknown = (raw["source"].str.strip().str.upper() == "11X").sum()
    assert missing_child >= 1 and backwards >= 1 and unknown >= 1
    assert missing_child + backwards + unknown <= 0.005 * len(raw)


def test_reference_files_match_real_columns(demo, reference_dir):
    ref = demo["reference"]
    assert "synthetic" in (ref / "README.md").read_text().lower()
    ours = sorted(p.name for p in ref.glob("*.csv"))
    assert all(n.startswith("SYNTHETIC_") for n in ours)
    real = {
        "ons_mid-year": "ons_mid-year_population_estimates_2012_to_2024.csv",
        "c1_": "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
        "d3_": "d3_cpps_subsequent_plan_2013_to_2025.csv",
        "d5_": "d5_cpps_at31march_by_duration_2013_to_2025.csv",
        "cla_number": "cla_number_and_rate_per_10k_children.csv",
        "placement_stability": "la_cla_placement_stability.csv",
        "Statistical_Neighbour": "New_Statistical_Neighbour_Groupings_April_2021.csv",
        "sn_model_2025": "sn_model_2025_wide.csv",
    }
    for key, real_name in real.items():
        mine = next(ref.glob(f"SYNTHETIC_*{key}*"))
        real_head = (reference_dir / "dfe_csc_outcomes_enablers" / real_name).read_text(
            encoding="utf-8-sig").splitlines()[0]
        assert mine.read_text().splitlines()[0].strip() == real_head.strip(), key


def test_reference_councils_and_demo_close_to_extracts(demo):
    ref = demo["reference"]
    c1 = pd.read_csv(next(ref.glob("SYNTHETIC_c1_*")), dtype=str, keep_default_na=False)
    la = c1[c1["geographic_level"] == "Local authority"]
    assert 140 <= la["old_la_code"].nunique() <= 160
    assert la[la["time_period"] == "2013"]["region_name"].isin(["Inner London", "Outer London"]).sum() >= 28
    assert {"London", "Inner London", "Outer London"} <= set(c1["region_name"])
    assert "c" in set(la["rereferral_count"]) | set(la["no_further_action_count"])
    assert not la["la_name"].str.contains("Havering").any()
    demo_2013 = int(la[(la["old_la_code"] == "311") & (la["time_period"] == "2013")]["referral_count"].iloc[0])
    assert abs(demo_2013 - 1362) <= 0.08 * 1362
    pop = pd.read_csv(next(ref.glob("SYNTHETIC_ons_*")), dtype=str)
    assert sorted(pop["time_period"].unique()) == ["2010", "2011", "2012", "2013"]


def test_same_seed_same_bytes_and_multi_council(tmp_path):
    a = generate(tmp_path / "a", councils=2, start="2013-01", end="2013-03", annex_a_every_months=3)
    generate(tmp_path / "b", councils=2, start="2013-01", end="2013-03", annex_a_every_months=3)
    assert a["councils"][0] == "311" and len(a["councils"]) == 2
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(a["councils"])
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == a["files"]
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", files, shallow=False)
    assert not mismatch and not errors
    assert len(list((tmp_path / "a" / "311" / "annex_a").glob("*.xlsx"))) == 1
    other = generate(tmp_path / "c", councils=1, seed=7, start="2013-01", end="2013-03",
                     annex_a_every_months=3)
    assert not filecmp.cmp(tmp_path / "a" / "311" / "mash" / "mash_contacts_2013-01-31.csv",
                           tmp_path / "c" / "mash" / "mash_contacts_2013-01-31.csv", shallow=False)
    assert other["rows"]["mash_contacts"] > 0


def _same_tree(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    other = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    return files == other and len(match) == len(files) and not mismatch and not errors


def test_bytes_do_not_depend_on_the_number_of_workers(tmp_path):
    span = {"start": "2013-01", "end": "2013-03"}
    # Several councils: one council per process.
    generate(tmp_path / "one", tmp_path / "one_ref", councils=3, annex_a_every_months=3, workers=1,
             **span)
    generate(tmp_path / "two", tmp_path / "two_ref", councils=3, annex_a_every_months=3, workers=2,
             **span)
    assert _same_tree(tmp_path / "one", tmp_path / "two")
    assert _same_tree(tmp_path / "one_ref", tmp_path / "two_ref")
    # One council: its monthly Annex A workbooks shared out.
    generate(tmp_path / "solo1", councils=1, workers=1, **span)
    generate(tmp_path / "solo3", councils=1, workers=3, **span)
    assert len(list((tmp_path / "solo1" / "annex_a").glob("*.xlsx"))) == 3
    assert _same_tree(tmp_path / "solo1", tmp_path / "solo3")
    with pytest.raises(ValueError, match="workers"):
        generate(tmp_path / "none", councils=1, workers=0, **span)


def test_150_councils_can_be_asked_for():
    codes = council_codes(2013)
    assert len(codes) == len(set(codes)) == 150 and codes[0] == "311"
    other = council_codes(2013, first="888")
    assert other[0] == "888" and len(other) == 150


def test_list1_filled_in_every_demo_workbook_and_the_latest_elsewhere(tmp_path):
    generate(tmp_path, councils=2, start="2012-10", end="2013-03", annex_a_every_months=3,
             workers=1)
    for code, filled in (("311", {"2012-12-31", "2013-03-31"}), ("202", {"2013-03-31"})):
        books = sorted((tmp_path / code / "annex_a").glob("annex_a_*.xlsx"))
        assert len(books) == 2
        rows = {p.stem.removeprefix("annex_a_"): len(_sheet(p, 1)) for p in books}
        assert {k for k, n in rows.items() if n > 0} == filled, (code, rows)
        # Lists 3 and 7 are in every workbook.
        assert all(len(_sheet(p, 3)) > 0 for p in books)


def test_more_contacts_for_scale_tests_leave_referrals_alone():
    # The demo's 22% of contacts become referrals; 5x the contacts leaves 4.4% (22 / 5) doing so.
    more = with_more_contacts(DEMO, 5)
    assert more.not_meeting_threshold == pytest.approx(1 - 0.22 / 5)
    base = simulate(DEMO, "2013-04", "2014-03", seed=[1, 2])
    five = simulate(more, "2013-04", "2014-03", seed=[1, 2])
    assert len(five.contacts) == pytest.approx(5 * len(base.contacts), rel=0.01)
    assert len(five.merlin) == pytest.approx(5 * len(base.merlin), rel=0.01)
    assert len(five.referrals) == pytest.approx(len(base.referrals), rel=0.01)
    with pytest.raises(ValueError, match="at least 1"):
        with_more_contacts(DEMO, 0.5)
    # 40% of contacts from MERLIN, 6% of them referred: at 10x that is 0.4 * 0.06 / 0.022 = 109% of
    # the referrals, more than there are.
    with pytest.raises(ValueError, match="MERLIN alone"):
        with_more_contacts(DEMO, 10)


def test_contacts_factor_reaches_the_files(tmp_path):
    span = {"councils": 1, "start": "2013-03", "end": "2013-03", "workers": 1}
    one = generate(tmp_path / "one", **span)
    three = generate(tmp_path / "three", contacts_factor=3, **span)
    assert three["rows"]["mash_contacts"] == pytest.approx(3 * one["rows"]["mash_contacts"], rel=0.03)
    assert three["rows"]["annex_a_referrals"] == pytest.approx(one["rows"]["annex_a_referrals"], rel=0.03)
