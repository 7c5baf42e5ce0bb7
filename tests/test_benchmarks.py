"""pipeline.benchmarks: local value beside England, London, neighbours; bands; reconciliation.

Expected values are worked out by hand from ../shared/reference (file and row beside each literal).
"""

from __future__ import annotations

import calendar
from datetime import date

import pandas as pd
import pytest

from pipeline import benchmarks, reference, warehouse
from pipeline.errors import LscbError

CONTRACT = ["indicator_id", "year_ending", "local_value", "local_source", "england", "london",
            "sn_mean", "sn_median", "sn_n", "sn_model"]

INDICATORS_DDL = """
create table if not exists marts.indicators (
    la_code VARCHAR, indicator_id VARCHAR, period_end DATE, "window" VARCHAR,
    numerator DOUBLE, denominator DOUBLE, value DOUBLE
)"""


def real_warehouse(reference_dir):
    con = warehouse.connect()
    reference.load_reference(con, reference_dir)
    con.execute(INDICATORS_DDL)
    return con


@pytest.fixture(scope="module")
def havering(reference_dir):
    con = real_warehouse(reference_dir)
    bench, recon = benchmarks.build(con, "311")
    yield con, bench, recon
    con.close()


def row(bench, indicator_id, year=2013):
    rows = bench[(bench["indicator_id"] == indicator_id)
                 & (bench["year_ending"] == f"{year}-03-31")]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_columns_follow_the_contract(havering):
    _, bench, recon = havering
    assert list(bench.columns[:10]) == CONTRACT
    assert list(bench.columns[10:14]) == ["quartile_band", "la_name", "published_local_value",
                                          "previous_year_local_value"]
    assert recon.empty  # no extracts loaded: nothing computed to reconcile


def test_havering_2013_local_values_are_published(havering):
    _, bench, _ = havering
    expected = {
        # 2013_SFR36_CLA2013.csv, Havering: CLA_Mar2013 185, CLA_3Pla 26
        "cla_children": 185,
        "cla_3plus_placements_pct": 100 * 26 / 185,  # 14.1 %
        # 185 / 51,375 (ONS mid-2012, Havering) * 10,000 = 36.01
        "cla_rate_per_10k": 36.01,
        # d5 2013 Havering CPP_At31; d3 2013 Havering CPP_subsequent_percent; c1 referral_count
        "cp_children": 122,
        "cp_second_subsequent_pct": 5.7,
        "referrals": 1362,
    }
    for indicator_id, value in expected.items():
        r = row(bench, indicator_id)
        assert r["local_value"] == pytest.approx(value, abs=0.005), indicator_id
        assert r["local_source"] == "published"
        assert r["la_name"] == "Havering"
    assert round(row(bench, "cla_3plus_placements_pct")["local_value"], 1) == 14.1


def test_england_and_london(havering):
    _, bench, _ = havering
    # c1 2013: National referral_count 593470; Regional London 84380
    assert row(bench, "referrals")[["england", "london"]].tolist() == [593470, 84380]
    # d3 2013: National CPP_subsequent_percent 14.9; London 13.0
    assert row(bench, "cp_second_subsequent_pct")[["england", "london"]].tolist() == [14.9, 13.0]
    # 2013_SFR36_CLA2013.csv: ENGLAND CLA_Mar2013 68110, CLA_3Pla 7540; LONDON 10090 and 1200
    r = row(bench, "cla_3plus_placements_pct")
    assert r["england"] == pytest.approx(100 * 7540 / 68110)
    assert r["london"] == pytest.approx(100 * 1200 / 10090)
    assert row(bench, "cla_children")[["england", "london"]].tolist() == [68110, 10090]


def test_neighbours_mean_and_median_by_hand(havering):
    _, bench, _ = havering
    # 2021 model for 311 (New_Statistical_Neighbour_Groupings_April_2021.csv): 303, 887, 881,
    # 351, 886, 883, 941, 866, 888, 882. CLA_Mar2013 in 2013_SFR36_CLA2013.csv: Bexley 256,
    # Medway 407, Essex 1260, Bury 322, Kent 1828, Thurrock 264, Swindon 250, Lancashire 1475,
    # Southend-on-Sea 235; West Northamptonshire (941) did not exist in 2013: no value.
    values = [256, 407, 1260, 322, 1828, 264, 250, 1475, 235]
    r = row(bench, "cla_children")
    assert r["sn_n"] == 9
    assert r["sn_mean"] == pytest.approx(sum(values) / 9)  # 699.67
    assert r["sn_median"] == 322
    assert r["sn_model"] == "2021 (applied to 2013)"
    assert row(bench, "cla_children", 2022)["sn_model"] == "2021"


def test_suppressed_value_is_missing_with_its_symbol(havering):
    _, bench, _ = havering
    # c1 2013 Havering: rereferral_count x, rereferral_percent x
    r = row(bench, "rereferrals_12m_pct")
    assert r["local_value"] != r["local_value"]  # NaN, not zero
    assert r["local_symbol"] == "x"
    assert pd.isna(r["quartile_band"])
    assert "'x'" in r["notes"]


def test_previous_year_and_table_written(havering):
    con, bench, _ = havering
    # 2012_UnderlyingData_SFR20_CLA2012.csv, Havering: CLA_Mar2012 185
    assert row(bench, "cla_children")["previous_year_local_value"] == 185
    n = con.execute("select count(*) from marts.benchmarks where indicator_id = 'cla_children' "
                    "and year_ending = date '2013-03-31'").fetchone()[0]
    assert n == 1
    assert con.execute("select count(*) from marts.benchmarks").fetchone()[0] == len(bench)


def test_no_cp_plans_ended_benchmark_without_extracts(havering):
    _, bench, _ = havering
    assert "cp_plans_ended" not in set(bench["indicator_id"])


def test_quartile_band_polarity():
    # values 10, 15, 20 ... 80 (9 values): numpy's linear quartiles are 20, 40 and 60
    values = [10, 15, 20, 30, 40, 50, 60, 70, 80]
    assert benchmarks.quartile_band(15, values, "lower_is_better") == "A"
    assert benchmarks.quartile_band(15, values, "higher_is_better") == "D"
    assert benchmarks.quartile_band(15, values, "context") == "Q1"
    assert benchmarks.quartile_band(65, values, "lower_is_better") == "D"
    assert benchmarks.quartile_band(65, values, "higher_is_better") == "A"
    assert benchmarks.quartile_band(65, values, "context") == "Q4"
    # on a boundary the better band: 40 is the median
    assert benchmarks.quartile_band(40, values, "lower_is_better") == "B"
    assert benchmarks.quartile_band(40, values, "higher_is_better") == "B"
    assert benchmarks.quartile_band(45, values, "higher_is_better") == "B"
    assert benchmarks.quartile_band(45, values, "lower_is_better") == "C"
    assert benchmarks.quartile_band(None, values, "context") is None
    assert benchmarks.quartile_band(15, values[:3], "context") is None


def synthetic(indicator_id, la_values, year=2020):
    con = warehouse.connect()
    for la_code, value in la_values.items():
        con.execute("insert into reference.published values ('la', ?, ?, ?, ?, ?, null, 't.csv')",
                    [la_code, f"LA {la_code}", indicator_id, date(year, 3, 31), value])
    return con


@pytest.mark.parametrize("indicator_id, band", [
    ("cp_second_subsequent_pct", "A"),      # lower is better
    ("cla_long_term_stability_pct", "D"),   # higher is better
    ("cla_children", "Q1"),                 # context
])
def test_band_follows_catalogue_polarity(indicator_id, band):
    con = synthetic(indicator_id, {"301": 10, "302": 20, "303": 30, "304": 40, "305": 50,
                                   "306": 60, "307": 70, "308": 80, "311": 15})
    bench, _ = benchmarks.build(con, "311")
    r = row(bench, indicator_id, 2020)
    assert r["quartile_band"] == band
    # no neighbours, England or London loaded: missing, with the reasons
    assert r["sn_n"] == 0 and r["sn_mean"] != r["sn_mean"]
    assert "no London region figure" in r["notes"]
    assert "no statistical neighbours" in r["notes"]


def test_london_is_never_summed_from_inner_and_outer():
    con = synthetic("cla_children", {"311": 100})
    for name, value in (("Inner London", 10), ("Outer London", 20)):
        con.execute("insert into reference.published values ('region', null, ?, 'cla_children', "
                    "date '2020-03-31', ?, null, 't.csv')", [name, value])
    bench, _ = benchmarks.build(con, "311")
    assert row(bench, "cla_children", 2020)["london"] != row(bench, "cla_children", 2020)["london"]


def month_ends(first: date, last: date):
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield date(y, m, calendar.monthrange(y, m)[1])
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def test_reconciliation_with_a_computed_value(reference_dir):
    con = real_warehouse(reference_dir)
    # cla_children covered for the whole year to March 2013, 190 at 31 March 2013
    for d in month_ends(date(2012, 4, 1), date(2013, 3, 31)):
        con.execute("insert into marts.indicators values ('311', 'cla_children', ?, 'snapshot', "
                    "?, null, ?)", [d, 190 if d.month == 3 else 180, 190 if d.month == 3 else 180])
    # cp_children only from October 2012: not the whole year, so the published value stays
    for d in month_ends(date(2012, 10, 1), date(2013, 3, 31)):
        con.execute("insert into marts.indicators values ('311', 'cp_children', ?, 'snapshot', "
                    "130, null, 130)", [d])
    bench, recon = benchmarks.build(con, "311")

    r = row(bench, "cla_children")
    assert (r["local_value"], r["local_source"], r["published_local_value"]) == (
        190, "computed", 185)
    cp = row(bench, "cp_children")
    assert (cp["local_value"], cp["local_source"]) == (122, "published")
    assert "do not cover the whole year" in cp["notes"]

    assert len(recon) == 1
    rec = recon.iloc[0]
    assert (rec["indicator_id"], rec["computed"], rec["published"], rec["difference"]) == (
        "cla_children", 190, 185, 5)
    assert rec["percent_difference"] == pytest.approx(100 * 5 / 185)  # 2.70 %
    stored = con.execute("select computed, published from marts.reconciliation").fetchall()
    assert stored == [(190.0, 185.0)]


def test_no_reference_and_no_marts_gives_empty_frames():
    con = warehouse.connect()
    bench, recon = benchmarks.build(con, "311")
    assert bench.empty and recon.empty
    assert list(bench.columns[:10]) == CONTRACT
    assert con.execute("select count(*) from marts.benchmarks").fetchone()[0] == 0


def test_unknown_model_is_refused():
    with pytest.raises(LscbError, match="2019"):
        benchmarks.build(warehouse.connect(), "311", sn_model="2019")
