"""Child protection indicators (Annex A List 7): given plans, expect hand-worked values.

Period of interest: March 2016 (period_end 2016-03-31; r12 = 2015-04-01 .. 2016-03-31).
"""

from datetime import date

import pytest

from test_models_helpers import breakdown, build, indicator, insert, new_warehouse

MAR16, FEB16 = date(2016, 3, 31), date(2016, 2, 29)
D = date

# (plan, child, start, end, latest category, number of previous plans)
PLANS = [
    ("P1", "c1", D(2015, 11, 30), D(2016, 2, 29), "NEGLECT", 0),   # ends start + 3 months exactly
    ("P2", "c2", D(2015, 11, 30), D(2016, 3, 1), "NEGLECT", 0),    # one day later
    ("P3", "c3", D(2014, 3, 15), D(2016, 3, 15), "NEGLECT", 0),    # ends start + 2 years exactly
    ("P4", "c4", D(2014, 3, 15), D(2016, 3, 14), "NEGLECT", 0),    # one day before
    ("P5", "c5", D(2016, 1, 10), D(2016, 3, 31), "NEGLECT", 0),    # ends on the period end
    ("P6", "c6", D(2016, 3, 5), None, "NEGLECT", 1),               # previous plan, no history
    ("P7", "c3", D(2016, 3, 20), None, "EMOTIONAL", 0),            # c3's P3 ended 5 days before
    ("P8", "c7", D(2013, 1, 1), D(2013, 6, 1), "NEGLECT", 0),
    ("P9", "c7", D(2016, 3, 10), None, "NEGLECT", 0),              # earlier plan ended > 2 y ago
    ("P10", "c8", D(2013, 5, 1), D(2014, 3, 10), "NEGLECT", 0),
    ("P11", "c8", D(2016, 3, 10), None, "PHYSICAL", 0),            # earlier ended 2 y before
    ("P12", "c9", D(2015, 12, 31), None, "NEGLECT", 0),            # open: pe = start + 3 months
    ("P13", "c10", D(2015, 12, 30), None, "SEXUAL", 0),            # open: one day more
    ("P14", "c11", D(2014, 3, 31), None, "MULTIPLE", 0),           # open: pe = start + 2 years
    ("P15", "c12", D(2014, 4, 1), None, "NEGLECT", 0),             # open: one day less
    ("P16", "c11", D(2016, 2, 1), None, "NEGLECT", 0),             # c11's second open plan
    ("P17", "c13", D(2016, 3, 25), None, None, 0),                 # a first plan
]


@pytest.fixture(scope="module")
def con():
    con = new_warehouse()
    insert(con, "annex_a_cp_plans", [
        {"child_unique_id": child, "cpp_start_date": start, "cpp_end_date": end,
         "latest_category": category, "previous_cpp_count": previous}
        for _, child, start, end, category, previous in PLANS
    ])
    # mid-2014 for the year ending March 2015; mid-2015 for the year ending March 2016
    con.execute("insert into reference.population values "
                "('la', '311', 'Test', 2014, 20000), ('la', '311', 'Test', 2015, 40000)")
    build(con)
    return con


def test_snapshot_at_march(con):
    # open at 2016-03-31: P6 P7 P9 P11 P12 P13 P14 P15 P16 P17 = 10 plans; P5 ends on the period
    # end, so it is not open; children: c11 has two plans, so 9 children
    assert indicator(con, "cp_children", MAR16, "snapshot") == (9, None, 9)
    # 9 / (40,000 / 10,000) = 2.25
    assert indicator(con, "cp_rate_per_10k", MAR16, "snapshot") == (9, 4.0, 2.25)
    # pe <= start + 3 months: P6 P7 P9 P11 P12 (exactly) P16 P17 = 7; not P13 P14 P15
    assert indicator(con, "cp_open_3m_or_less_pct", MAR16, "snapshot") == (7, 10, 70.0)
    # pe >= start + 2 years: P14 (exactly) only; not P15
    assert indicator(con, "cp_open_2y_plus_pct", MAR16, "snapshot") == (1, 10, 10.0)


def test_rate_for_a_september_period_uses_mid_year_of_its_own_calendar_year(con):
    # 2015-09-30 lies in the year ending 31 March 2016, so mid-2015 (40,000), not mid-2014.
    # Open then: P3, P4, P14, P15 = 4 children; 4 / 4.0 = 1.0 (mid-2014 would give 2.0)
    assert indicator(con, "cp_rate_per_10k", D(2015, 9, 30), "snapshot") == (4, 4.0, 1.0)
    # 2015-03-31 ends the year ending March 2015: mid-2014 (20,000); open P3 P4 P14 P15 -> 2.0
    assert indicator(con, "cp_rate_per_10k", D(2015, 3, 31), "snapshot") == (4, 2.0, 2.0)


def test_starts_in_march(con):
    # started in March 2016: P6 P7 P9 P11 P17 = 5
    assert indicator(con, "cp_plans_started", MAR16, "month") == (5, None, 5)
    # second or subsequent: P6 (previous plans = 1), P7, P9, P11 (history) = 4 of 5
    assert indicator(con, "cp_second_subsequent_pct", MAR16, "month") == (4, 5, 80.0)
    # earlier plan ended within 2 years: P7 (P3 ended 2016-03-15), P11 (P10 ended 2014-03-10 =
    # 2016-03-10 - 2 years); not P9 (2013), not P6 (no history) = 2 of 5
    assert indicator(con, "cp_second_subsequent_2y_pct", MAR16, "month") == (2, 5, 40.0)


def test_ends_in_march_and_february(con):
    # ended in March 2016: P2, P3, P4, P5 = 4
    assert indicator(con, "cp_plans_ended", MAR16, "month") == (4, None, 4)
    # end <= start + 3 months: P5 (2016-03-31 <= 2016-04-10); not P2 (one day over)
    assert indicator(con, "cp_ended_within_3m_pct", MAR16, "month") == (1, 4, 25.0)
    # end >= start + 2 years: P3 (exactly); not P4 (one day short)
    assert indicator(con, "cp_ended_2y_plus_pct", MAR16, "month") == (1, 4, 25.0)
    # February: P1 ended exactly 3 months after it started, which counts
    assert indicator(con, "cp_ended_within_3m_pct", FEB16, "month") == (1, 1, 100.0)
    assert indicator(con, "cp_ended_2y_plus_pct", FEB16, "month") == (0, 1, 0.0)


def test_r12(con):
    # started Apr 2015..Mar 2016: P1 P2 P5 P6 P7 P9 P11 P12 P13 P16 P17 = 11
    assert indicator(con, "cp_plans_started", MAR16, "r12") == (11, None, 11)
    # second: P6 P7 P9 P11 P16 (c11 had P14) = 5; within 2 y: P7 P11 = 2 (P14 has not ended)
    assert indicator(con, "cp_second_subsequent_pct", MAR16, "r12") == (5, 11, 100 * 5 / 11)
    assert indicator(con, "cp_second_subsequent_2y_pct", MAR16, "r12") == (2, 11, 100 * 2 / 11)
    # ended: P1 P2 P3 P4 P5 = 5; within 3 months P1 P5 = 2; 2 years or more P3 = 1
    assert indicator(con, "cp_plans_ended", MAR16, "r12") == (5, None, 5)
    assert indicator(con, "cp_ended_within_3m_pct", MAR16, "r12") == (2, 5, 40.0)
    assert indicator(con, "cp_ended_2y_plus_pct", MAR16, "r12") == (1, 5, 20.0)


def test_month_without_ends_gives_null_percent(con):
    # January 2016: no plan ended; the count is 0 and the percentage is null, not 0
    assert indicator(con, "cp_plans_ended", D(2016, 1, 31), "month") == (0, None, 0)
    assert indicator(con, "cp_ended_within_3m_pct", D(2016, 1, 31), "month") == (0, 0, None)


def test_no_rate_without_population(con):
    # 2014-03-31 needs mid-2013, which is not loaded: no row, and the reason is recorded
    assert indicator(con, "cp_children", D(2014, 3, 31), "snapshot") is not None
    assert indicator(con, "cp_rate_per_10k", D(2014, 3, 31), "snapshot") is None
    reason = con.execute(
        "select reason from marts.indicator_availability where indicator_id = 'cp_rate_per_10k'"
    ).fetchone()[0]
    # plans start in January 2013: Jan-Mar 2013 need mid-2012, Apr 2013-Mar 2014 mid-2013
    assert reason == "no ONS population for mid-2012, mid-2013"


def test_open_plans_by_category(con):
    assert breakdown(con, "cp_plans_by_category", MAR16) == {
        "NEGLECT": 5, "EMOTIONAL": 1, "PHYSICAL": 1, "SEXUAL": 1, "MULTIPLE": 1,
        "not recorded": 1}
