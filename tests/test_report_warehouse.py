"""A fixture warehouse for the pack tests: plausible series for council 311, with small numbers,
missing tables and an unavailable indicator placed on purpose (the values the tests expect are
set by hand here, not computed by the pack).

Also imported by the other test_report_* modules and test_notebooks.py.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeline import catalogue, config, warehouse

LA = "311"
PERIOD_END = date(2024, 3, 31)
MONTHS = list(pd.date_range("2021-04-30", "2024-03-31", freq="ME").date)  # 36 month ends
POPULATION = 60_000
NEIGHBOURS = ["301", "302", "303", "304", "305", "306", "307", "308", "309", "310"]

# Breakdowns at the period end. Hand-worked suppression (1-5 hidden, then secondary):
#   contacts_by_source: 1A=1 and 1B=1 are small; their total 2 = 2 x 1 would give both back,
#     so the next smallest, 2A=38, is hidden too.
#   cp_plans_by_category: SEXUAL=3 hidden; alone it would be 252 - others, so MULTIPLE=7 too.
#   cla_placements_count: "2"=4 hidden, then "3+"=10 (secondary); 10/200 is the 3+ placements
#     percentage, so that percentage must be hidden as well.
#   cla_by_legal_status: E1=5 hidden, then V2=45.
BREAKDOWN_ROWS = {
    "contacts_by_source": {"1A": 1, "1B": 1, "2A": 38, "3A": 160, "5A": 300, "6": 500},
    "contacts_by_outcome": {"NFA": 420, "INFO_ADVICE": 300, "EARLY_HELP": 90, "REFERRAL": 190},
    "cp_plans_by_category": {"NEGLECT": 150, "EMOTIONAL": 80, "PHYSICAL": 12, "SEXUAL": 3,
                             "MULTIPLE": 7},
    "cla_placements_count": {"1": 186, "2": 4, "3+": 10},
    "cla_by_legal_status": {"C2": 150, "V2": 45, "E1": 5},
}
# cla_by_placement_type is left out: the pack must say it is not available.
UNAVAILABLE = {"merlin_notifications": "No MERLIN log loaded."}
SMALL_COUNTS_LATEST = {"cla_started": 3}


def _month_series(rng) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    n = len(MONTHS)
    contacts = rng.integers(900, 1000, n).astype(float)
    contacts[-2:] = 1000
    not_meeting = np.round(contacts * rng.normal(0.70, 0.01, n))
    not_meeting[-2:] = [781, 810]  # 78.1% then 81.0%: outside the upper limit of a ~70% process
    timely = np.round(contacts * rng.uniform(0.90, 0.96, n))
    timely[-1] = 880  # 88.0%, below the target of 90
    merlin_contacts = np.round(contacts * rng.uniform(0.33, 0.37, n))
    merlin_not_meeting = np.round(not_meeting * rng.uniform(0.38, 0.42, n))
    merlin_referral = np.round(merlin_contacts * rng.uniform(0.08, 0.12, n))
    referrals = rng.integers(90, 110, n).astype(float)
    started = rng.integers(12, 24, n).astype(float)
    ended = rng.integers(12, 24, n).astype(float)
    cla_started = rng.integers(6, 16, n).astype(float)
    cla_started[-1] = SMALL_COUNTS_LATEST["cla_started"]
    return {
        "mash_contacts": (contacts, None),
        "mash_not_meeting_threshold_pct": (not_meeting, contacts),
        "mash_decision_timely_pct": (timely, contacts),
        "merlin_share_of_contacts_pct": (merlin_contacts, contacts),
        "merlin_share_of_not_meeting_threshold_pct": (merlin_not_meeting, not_meeting),
        "merlin_conversion_pct": (merlin_referral, merlin_contacts),
        "referrals": (referrals, None),
        "rereferrals_12m_pct": (np.round(referrals * rng.uniform(0.18, 0.24, n)), referrals),
        "referrals_nfa_pct": (np.round(referrals * rng.uniform(0.08, 0.14, n)), referrals),
        "cp_plans_started": (started, None),
        "cp_second_subsequent_pct": (np.round(started * rng.uniform(0.2, 0.3, n)), started),
        "cp_second_subsequent_2y_pct": (np.round(started * rng.uniform(0.1, 0.2, n)), started),
        "cp_plans_ended": (ended, None),
        "cp_ended_within_3m_pct": (np.round(ended * rng.uniform(0.1, 0.25, n)), ended),
        "cp_ended_2y_plus_pct": (np.round(ended * rng.uniform(0.0, 0.1, n)), ended),
        "cla_started": (cla_started, None),
        "cla_ceased": (rng.integers(6, 16, n).astype(float), None),
    }


def indicator_rows(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(MONTHS)
    rows = []

    def add(ind_id, window, num, den, per_10k=False):
        for d, a, b in zip(MONTHS, num, den if den is not None else [None] * n):
            if a is None or (isinstance(a, float) and np.isnan(a)):
                continue
            if b is None:
                value = a
            elif b == 0:
                value = None
            else:
                value = a / b * (10_000 if per_10k else 100)
            rows.append((LA, ind_id, d, window, float(a), None if b is None else float(b), value))

    def rolling(x):
        s = pd.Series(x).rolling(12).sum().to_numpy()
        return s

    for ind_id, (num, den) in _month_series(rng).items():
        add(ind_id, "month", num, den)
        add(ind_id, "r12", rolling(num), None if den is None else rolling(den))

    cp_children = rng.integers(230, 270, n).astype(float)
    cp_children[-1] = sum(BREAKDOWN_ROWS["cp_plans_by_category"].values())
    cla_children = rng.integers(190, 215, n).astype(float)
    cla_children[-1] = sum(BREAKDOWN_ROWS["cla_placements_count"].values())
    pop = np.full(n, POPULATION, dtype=float)
    refs = rolling(_month_series(np.random.default_rng(seed))["referrals"][0])
    add("referrals_rate_per_10k", "r12", refs, pop, per_10k=True)
    add("cp_children", "snapshot", cp_children, None)
    add("cp_rate_per_10k", "snapshot", cp_children, pop, per_10k=True)
    add("cp_open_3m_or_less_pct", "snapshot", np.round(cp_children * 0.2), cp_children)
    add("cp_open_2y_plus_pct", "snapshot", np.round(cp_children * rng.uniform(0.03, 0.05, n)),
        cp_children)
    add("cla_children", "snapshot", cla_children, None)
    add("cla_rate_per_10k", "snapshot", cla_children, pop, per_10k=True)
    three_plus = rng.integers(14, 24, n).astype(float)
    three_plus[-1] = BREAKDOWN_ROWS["cla_placements_count"]["3+"]
    add("cla_3plus_placements_pct", "r12", three_plus, cla_children)
    long_term = rng.integers(50, 60, n).astype(float)
    add("cla_long_term_stability_pct", "snapshot", np.round(long_term * 0.7), long_term)
    return pd.DataFrame(rows, columns=["la_code", "indicator_id", "period_end", "window",
                                       "numerator", "denominator", "value"])


def build_fixture_warehouse(con, *, with_benchmarks: bool = True) -> None:
    """Fill an open warehouse connection with the fixture marts, reference and meta tables."""
    warehouse.create_schemas(con)
    ind = indicator_rows()  # noqa: F841 (read by DuckDB's replacement scan)
    con.execute("create or replace table marts.indicators as select la_code, indicator_id, "
                "period_end::date as period_end, \"window\", numerator, denominator, value from ind")
    avail = pd.DataFrame(  # noqa: F841
        [(LA, i.id, i.id not in UNAVAILABLE, UNAVAILABLE.get(i.id)) for i in catalogue.load()],
        columns=["la_code", "indicator_id", "is_available", "reason"])
    con.execute("create or replace table marts.indicator_availability as select * from avail")
    for name, cats in BREAKDOWN_ROWS.items():
        frame = pd.DataFrame(  # noqa: F841
            [(LA, PERIOD_END, name, c, v) for c, v in cats.items()]
            + [(LA, date(2024, 2, 29), name, c, v + 10) for c, v in cats.items()],
            columns=["la_code", "period_end", "breakdown", "category", "count"])
        con.execute(f"create or replace table marts.{name} as select * from frame")

    con.execute("insert into reference.local_authorities values (?, ?, ?, ?)",
                [LA, "Havering", "London", True])
    for rank, code in enumerate(NEIGHBOURS, start=1):
        con.execute("insert into reference.statistical_neighbours values (?, ?, ?, ?, ?)",
                    ["2021", LA, rank, code, "Close"])
        con.execute("insert into reference.local_authorities values (?, ?, ?, ?)",
                    [code, f"Neighbour {rank}", "Somewhere", False])
    year = date(2023, 3, 31)
    published, bench = [], []
    for k, i in enumerate(x for x in catalogue.load() if x.benchmark):
        base = 40.0 + 3 * k
        for rank, code in enumerate(NEIGHBOURS, start=1):
            published.append(("la", code, f"Neighbour {rank}", i.benchmark, year,
                              base + rank, None, "fixture.csv"))
        published.append(("la", "999", "Far away", i.benchmark, year, 999.0, None, "fixture.csv"))
        published.append(("england", None, "England", i.benchmark, year, base + 2, None, "f.csv"))
        published.append(("region", None, "London", i.benchmark, year, base + 4, None, "f.csv"))
        bench.append((i.id, year, base + 1.5, "computed", base + 2, base + 4, base + 5.5,
                      base + 5.5, 10, "2021", "B", "Havering", base + 1.0, base))
    con.executemany("insert into reference.published values (?, ?, ?, ?, ?, ?, ?, ?)", published)
    if with_benchmarks:
        bm = pd.DataFrame(bench, columns=[  # noqa: F841
            "indicator_id", "year_ending", "local_value", "local_source", "england", "london",
            "sn_mean", "sn_median", "sn_n", "sn_model", "quartile_band", "la_name",
            "published_local_value", "previous_year_local_value"])
        con.execute("create or replace table marts.benchmarks as select * from bm")
        rec = pd.DataFrame(  # noqa: F841
            [("cla_started", year, 4.0, 6.0, -2.0, -33.3),
             ("referrals", year, 1210.0, 1200.0, 10.0, 0.8)],
            columns=["indicator_id", "year_ending", "computed", "published", "difference",
                     "percent_difference"])
        con.execute("create or replace table marts.reconciliation as select * from rec")

    con.execute("insert into meta.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                ["abc", "mash/contacts_2024-03.csv", LA, "mash_contacts", None, PERIOD_END,
                 36000, 35990, 10, 3])
    con.execute("insert into meta.data_quality values (?, ?, ?, ?, ?, ?, ?, ?)",
                ["abc", "mash/contacts_2024-03.csv", None, 12, "received_at",
                 "received_at is a date", "not a date", "rejected"])


def settings() -> config.Settings:
    return config.Settings(la_code=LA, targets={"mash_decision_timely_pct": 90.0,
                                                "cp_ended_within_3m_pct": 15.0})


MANIFEST = {
    "inputs": [{"source_file": "mash/contacts_2024-03.csv", "extract": "mash_contacts",
                "status": "loaded", "rows_read": 36000, "rows_loaded": 35990,
                "rows_rejected": 10, "rows_flagged": 3}],
    "run_started_at": "2024-04-05T09:30:00",
    "settings": {},
    "versions": {},
}


@pytest.fixture()
def con():
    c = warehouse.connect()
    build_fixture_warehouse(c)
    yield c
    c.close()


def test_fixture_is_what_the_tests_assume(con):
    latest = con.execute(
        "select indicator_id, numerator, denominator from marts.indicators "
        "where period_end = ? and \"window\" = 'month' and indicator_id in "
        "('mash_not_meeting_threshold_pct', 'cla_started')", [PERIOD_END]).fetchall()
    assert sorted(latest) == [("cla_started", 3.0, None),
                              ("mash_not_meeting_threshold_pct", 810.0, 1000.0)]
    n = con.execute("select count(*) from marts.cp_plans_by_category where period_end = ?",
                    [PERIOD_END]).fetchone()[0]
    assert n == 5
