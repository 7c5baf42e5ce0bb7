"""Referral indicators (Annex A List 3): given rows, expect hand-worked values."""

from datetime import date

import pytest

from test_models_helpers import build, indicator, insert, new_warehouse

JAN, DEC = date(2016, 1, 31), date(2015, 12, 31)


@pytest.fixture(scope="module")
def con():
    con = new_warehouse()
    rows = [
        # child A: re-referred exactly 12 months later (counts)
        ("A", date(2015, 1, 15), False), ("A", date(2016, 1, 15), False),
        # child B: 12 months and one day later (does not count)
        ("B", date(2015, 1, 14), False), ("B", date(2016, 1, 15), True),
        # child C: a single referral, no further action
        ("C", date(2016, 1, 20), True),
        # child D: re-referred six months later, in December
        ("D", date(2015, 6, 30), False), ("D", date(2015, 12, 31), False),
    ]
    insert(con, "annex_a_referrals", [
        {"child_unique_id": c, "date_of_referral": d, "referral_nfa": nfa} for c, d, nfa in rows
    ], extract_date=date(2016, 1, 31))
    # Dec 2015 and Jan 2016 fall in the year ending 31 March 2016, so they use mid-2015
    con.execute("insert into reference.population values ('la', '311', 'Test', 2015, 50000)")
    build(con)
    return con


def test_month(con):
    # Jan 2016: A 2016-01-15, B 2016-01-15, C 2016-01-20
    assert indicator(con, "referrals", JAN, "month") == (3, None, 3)
    # only A's is a re-referral
    assert indicator(con, "rereferrals_12m_pct", JAN, "month") == (1, 3, 100 / 3)
    # B's second and C's are NFA
    assert indicator(con, "referrals_nfa_pct", JAN, "month") == (2, 3, 200 / 3)


def test_r12(con):
    # Feb 2015..Jan 2016: D 06-30, D 12-31, A, B, C in January = 5; re-referrals D 12-31, A = 2
    assert indicator(con, "referrals", JAN, "r12") == (5, None, 5)
    assert indicator(con, "rereferrals_12m_pct", JAN, "r12") == (2, 5, 40.0)
    assert indicator(con, "referrals_nfa_pct", JAN, "r12") == (2, 5, 40.0)
    # Jan 2015..Dec 2015: A 01-15, B 01-14, D 06-30, D 12-31 = 4; re-referral D 12-31 = 1
    assert indicator(con, "referrals", DEC, "r12") == (4, None, 4)
    assert indicator(con, "rereferrals_12m_pct", DEC, "r12") == (1, 4, 25.0)


def test_rate_uses_population_of_mid_previous_year(con):
    # 5 referrals / (50,000 / 10,000) = 1.0 per 10,000; Dec: 4 / 5 = 0.8
    assert indicator(con, "referrals_rate_per_10k", JAN, "r12") == (5, 5.0, 1.0)
    assert indicator(con, "referrals_rate_per_10k", DEC, "r12") == (4, 5.0, 0.8)
    # the rate is an r12 indicator only
    assert indicator(con, "referrals_rate_per_10k", JAN, "month") is None


def test_missing_population_year_is_no_row_with_reason(con):
    # Jan-Mar 2015 would need mid-2014, which is not loaded; those months have no r12 anyway,
    # but the availability table says which estimate is missing
    reason, available = con.execute(
        "select reason, is_available from marts.indicator_availability "
        "where la_code = '311' and indicator_id = 'referrals_rate_per_10k'").fetchone()
    assert available is True
    assert reason == "no ONS population for mid-2014"


def test_first_r12_row_is_twelfth_month(con):
    # data start in Jan 2015: the first complete r12 window ends Dec 2015
    first = con.execute(
        "select min(period_end) from marts.indicators where indicator_id = 'referrals' "
        "and \"window\" = 'r12'").fetchone()[0]
    assert first == DEC
