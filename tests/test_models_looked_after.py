"""Looked-after indicators (SSDA903): given episodes, expect hand-worked values.

Period of interest: 31 March 2016. r12 window 2015-04-01 .. 2016-03-31; period_end - 30 months =
2013-09-30; period_end - 2 years = 2014-03-31; under 16 means born after 2000-03-31.
"""

from datetime import date

import pytest

from test_models_helpers import breakdown, build, indicator, insert, new_warehouse

D = date
MAR16 = D(2016, 3, 31)

# (child, decom, rne, ls, place, dec, rec)
EPISODES = [
    # A: placements in the window: A1 open on 2015-04-01 (1) + A2 P (2); L, T and U continue it
    ("A", D(2015, 1, 10), "S", "C2", "U1", D(2015, 6, 1), "X1"),
    ("A", D(2015, 6, 1), "P", "C2", "U2", D(2015, 9, 1), "X1"),
    ("A", D(2015, 9, 1), "L", "E1", "U2", D(2015, 12, 1), "X1"),
    ("A", D(2015, 12, 1), "T", "E1", "U3", D(2016, 1, 15), "X1"),
    ("A", D(2016, 1, 15), "U", "E1", "U4", None, None),
    # B: 1 (open on the first day) + P + B = 3
    ("B", D(2015, 3, 1), "S", "C2", "U1", D(2015, 5, 1), "X1"),
    ("B", D(2015, 5, 1), "P", "C2", "U2", D(2015, 8, 1), "X1"),
    ("B", D(2015, 8, 1), "B", "C2", "U3", None, None),
    # C: short breaks (V3), never counted
    ("C", D(2015, 6, 1), "S", "V3", "U1", D(2015, 6, 3), "E13"),
    ("C", D(2016, 1, 1), "S", "V3", "U1", None, None),
    # D: ends on the period end, so not looked after then; ceased in March (E11)
    ("D", D(2015, 2, 1), "S", "C2", "U1", D(2016, 3, 31), "E11"),
    # E: starts on the window's first day (counted once, as open then) + P + P = 3
    ("E", D(2015, 4, 1), "S", "C2", "U1", D(2015, 7, 1), "X1"),
    ("E", D(2015, 7, 1), "P", "C2", "U2", D(2015, 10, 1), "X1"),
    ("E", D(2015, 10, 1), "P", "C2", "U3", None, None),
    # F: the day before turning 16; in care since exactly 30 months; placed exactly 2 years ago
    ("F", D(2013, 9, 30), "S", "C2", "U1", D(2014, 3, 31), "X1"),
    ("F", D(2014, 3, 31), "P", "C2", "U2", None, None),
    # G: 16 on the period end, so not in the long-term denominator
    ("G", D(2012, 1, 1), "S", "C2", "U1", None, None),
    # H: in care for 30 months less a day
    ("H", D(2013, 10, 1), "S", "C2", "U1", None, None),
    # I: one placement since 2012 (L and T continue it)
    ("I", D(2012, 6, 1), "S", "C2", "U1", D(2014, 5, 1), "X1"),
    ("I", D(2014, 5, 1), "L", "C2", "U1", D(2015, 2, 1), "X1"),
    ("I", D(2015, 2, 1), "T", "C2", "U2", None, None),
    # J: current placement started 2 years less a day ago
    ("J", D(2012, 6, 1), "S", "C2", "U1", D(2014, 4, 1), "X1"),
    ("J", D(2014, 4, 1), "P", "C2", "U2", None, None),
    # K: a gap in care, so the current period of care starts 2014-01-01
    ("K", D(2012, 1, 1), "S", "C2", "U1", D(2013, 1, 1), "E11"),
    ("K", D(2014, 1, 1), "S", "C2", "U1", None, None),
    # L: short break (V4) open at the period end
    ("L", D(2016, 2, 1), "S", "V4", "U1", None, None),
    # M: starts and ceases in March 2016
    ("M", D(2016, 3, 10), "S", "C2", "R1", D(2016, 3, 20), "E3"),
]

BIRTHS = {"F": D(2000, 4, 1), "G": D(2000, 3, 31), "H": D(2005, 5, 5), "I": D(2006, 1, 1),
          "J": D(2006, 1, 1), "K": D(2004, 1, 1)}


@pytest.fixture(scope="module")
def con():
    con = new_warehouse()
    insert(con, "ssda903_episodes", [
        {"child": c, "decom": s, "rne": rne, "ls": ls, "place": place, "dec": e, "rec": rec}
        for c, s, rne, ls, place, e, rec in EPISODES
    ])
    children = sorted({e[0] for e in EPISODES})
    insert(con, "ssda903_header", [
        {"child": c, "sex": "1", "dob": BIRTHS.get(c, D(2010, 1, 1))} for c in children
    ])
    con.execute("insert into reference.population values ('la', '311', 'Test', 2015, 45000)")
    build(con)
    return con


def test_children_looked_after(con):
    # open at 2016-03-31, short breaks out: A B E F G H I J K = 9 (not C, L: V3/V4; not D: ended
    # on the period end; not M: ended 2016-03-20)
    assert indicator(con, "cla_children", MAR16, "snapshot") == (9, None, 9)
    # 9 / (45,000 / 10,000) = 2.0
    assert indicator(con, "cla_rate_per_10k", MAR16, "snapshot") == (9, 4.5, 2.0)


def test_three_or_more_placements(con):
    # A 2 (L, T, U are not new placements), B 3, E 3, everyone else 1: 2 of 9
    assert indicator(con, "cla_3plus_placements_pct", MAR16, "r12") == (2, 9, 100 * 2 / 9)
    assert breakdown(con, "cla_placements_count", MAR16) == {"1": 6, "2": 1, "3+": 2}


def test_long_term_stability(con):
    # denominator: F (15, in care since exactly 30 months), I, J = 3; not G (16 on the period end),
    # H (30 months less a day), K (period of care restarted 2014-01-01), nor the recent A B E
    # numerator: F (placed exactly 2 years ago), I (one placement since 2012) = 2; not J
    assert indicator(con, "cla_long_term_stability_pct", MAR16, "snapshot") == (2, 3, 200 / 3)


def test_starters_and_leavers(con):
    # March 2016: M started (S); M (E3) and D (E11) ceased; X1 endings do not count
    assert indicator(con, "cla_started", MAR16, "month") == (1, None, 1)
    assert indicator(con, "cla_ceased", MAR16, "month") == (2, None, 2)
    # Apr 2015..Mar 2016: started E (2015-04-01), M = 2 (C's V3 short breaks are left out)
    assert indicator(con, "cla_started", MAR16, "r12") == (2, None, 2)
    # ceased D, M = 2 (C's V3 episode ending E13 is left out)
    assert indicator(con, "cla_ceased", MAR16, "r12") == (2, None, 2)
    # January 2016: C's short break started; nothing counts
    assert indicator(con, "cla_started", D(2016, 1, 31), "month") == (0, None, 0)


def test_breakdowns_at_period_end(con):
    # current episodes: A5 E1; everyone else C2
    assert breakdown(con, "cla_by_legal_status", MAR16) == {"E1": 1, "C2": 8}
    # placement types of current episodes: A U4, B U3, E U3, F U2, G U1, H U1, I U2, J U2, K U1
    assert breakdown(con, "cla_by_placement_type", MAR16) == {"U1": 3, "U2": 3, "U3": 2, "U4": 1}


def test_periods_of_care_and_placements(con):
    # K has two periods of care; A has one period with two placements (S, then P)
    periods = con.execute(
        "select period_of_care_start_date, period_of_care_end_date "
        "from intermediate.int_cla_periods_of_care where child_id = 'K' order by 1").fetchall()
    assert periods == [(D(2012, 1, 1), D(2013, 1, 1)), (D(2014, 1, 1), None)]
    placements = con.execute(
        "select placement_start_date, placement_end_date from intermediate.int_cla_placements "
        "where child_id = 'A' order by 1").fetchall()
    assert placements == [(D(2015, 1, 10), D(2015, 6, 1)), (D(2015, 6, 1), None)]
