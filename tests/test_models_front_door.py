"""Front door indicators (MASH contacts, MERLIN notifications): given rows, expect values
worked out by hand."""

from datetime import date, datetime

import pytest

from test_models_helpers import breakdown, build, indicator, insert, new_warehouse

JAN, DEC, FEB15 = date(2016, 1, 31), date(2015, 12, 31), date(2015, 2, 28)


def contact(cid, received, rag, decided, outcome, merlin=None, source="6"):
    return {"contact_id": cid, "child_id": f"child-{cid}", "received_at": received,
            "source": source, "merlin_id": merlin, "rag": rag, "decided_at": decided,
            "outcome": outcome}


@pytest.fixture(scope="module")
def con():
    con = new_warehouse()
    t = datetime
    insert(con, "mash_contacts", [
        # Feb 2015: opens the MASH log, so Jan 2016 has a complete r12 window (Feb 2015..Jan 2016)
        contact("c0", t(2015, 2, 10, 9), "GREEN", t(2015, 2, 11, 9), "NFA", "m0", source="2A"),
        # RED: 4 h exactly is in time, one second more is not
        contact("c1", t(2016, 1, 5, 10), "RED", t(2016, 1, 5, 14), "REFERRAL", "m1"),
        contact("c2", t(2016, 1, 5, 10), "RED", t(2016, 1, 5, 14, 0, 1), "NFA", "m2"),
        # AMBER: 24 h
        contact("c3", t(2016, 1, 6, 8), "AMBER", t(2016, 1, 7, 8), "EARLY_HELP"),
        contact("c4", t(2016, 1, 6, 8), "AMBER", t(2016, 1, 7, 8, 0, 1), "INFO_ADVICE", "m3"),
        # GREEN: 72 h
        contact("c5", t(2016, 1, 10, 12), "GREEN", t(2016, 1, 13, 12), "REFERRAL"),
        contact("c6", t(2016, 1, 10, 12), "GREEN", t(2016, 1, 13, 12, 0, 1), "NFA"),
        # an outcome without a RAG rating; a contact without an outcome yet
        contact("c7", t(2016, 1, 20, 9), None, t(2016, 1, 20, 10), "NFA", "m4"),
        contact("c8", t(2016, 1, 31, 23, 59), "RED", None, None, "m5", source="2A"),
    ])
    insert(con, "merlin_notifications", [
        {"merlin_id": m, "received_at": r, "notification_type": "OTHER"}
        for m, r in [("m0", t(2015, 2, 20)), ("mx", t(2015, 3, 1)),
                     ("m1", t(2016, 1, 4)), ("m2", t(2016, 1, 4))]
    ], extract_date=date(2016, 2, 1))
    build(con)
    return con


def test_month_values(con):
    # Jan 2016: contacts c1..c8 = 8; with an outcome c1..c7 = 7
    assert indicator(con, "mash_contacts", JAN, "month") == (8, None, 8)
    # not REFERRAL among those with an outcome: c2, c3, c4, c6, c7 = 5 of 7
    assert indicator(con, "mash_not_meeting_threshold_pct", JAN, "month") == (5, 7, 100 * 5 / 7)
    # outcome and RAG: c1..c6 = 6; in time (inclusive): c1 (4 h), c3 (24 h), c5 (72 h) = 3
    assert indicator(con, "mash_decision_timely_pct", JAN, "month") == (3, 6, 50.0)
    # from MERLIN: c1, c2, c4, c7, c8 = 5 of 8
    assert indicator(con, "merlin_share_of_contacts_pct", JAN, "month") == (5, 8, 62.5)
    # not meeting threshold and from MERLIN: c2, c4, c7 = 3 of the 5 not meeting it
    assert indicator(con, "merlin_share_of_not_meeting_threshold_pct", JAN, "month") == (3, 5, 60.0)
    # MERLIN with an outcome: c1, c2, c4, c7 = 4; of which REFERRAL: c1 = 1
    assert indicator(con, "merlin_conversion_pct", JAN, "month") == (1, 4, 25.0)
    # notifications received in Jan 2016: m1, m2
    assert indicator(con, "merlin_notifications", JAN, "month") == (2, None, 2)


def test_r12_values(con):
    # Feb 2015..Jan 2016 adds c0 (GREEN, decided after 24 h: in time; NFA; from MERLIN)
    assert indicator(con, "mash_contacts", JAN, "r12") == (9, None, 9)
    assert indicator(con, "mash_not_meeting_threshold_pct", JAN, "r12") == (6, 8, 75.0)
    assert indicator(con, "mash_decision_timely_pct", JAN, "r12") == (4, 7, 100 * 4 / 7)
    assert indicator(con, "merlin_share_of_contacts_pct", JAN, "r12") == (6, 9, 100 * 6 / 9)
    assert indicator(con, "merlin_share_of_not_meeting_threshold_pct", JAN, "r12") == (
        4, 6, 100 * 4 / 6)
    assert indicator(con, "merlin_conversion_pct", JAN, "r12") == (1, 5, 20.0)
    # m0 (Feb 2015), mx (Mar 2015), m1, m2 (Jan 2016)
    assert indicator(con, "merlin_notifications", JAN, "r12") == (4, None, 4)


def test_empty_month_is_zero_count_and_null_percent(con):
    # Dec 2015 lies inside the MASH log's coverage but has no contact
    assert indicator(con, "mash_contacts", DEC, "month") == (0, None, 0)
    assert indicator(con, "mash_not_meeting_threshold_pct", DEC, "month") == (0, 0, None)


def test_partial_r12_window_has_no_row(con):
    # Dec 2015's window starts Jan 2015, before the log's first month (Feb 2015)
    assert indicator(con, "mash_contacts", DEC, "r12") is None
    assert indicator(con, "mash_contacts", FEB15, "month") == (1, None, 1)


def test_spine_ends_at_last_complete_month(con):
    # the last contact is on 31 Jan 2016, so January is complete and there is no February
    last = con.execute("select max(period_end) from intermediate.int_months").fetchone()[0]
    assert last == JAN


def test_contacts_breakdowns(con):
    assert breakdown(con, "contacts_by_source", JAN) == {"6": 7, "2A": 1}
    assert breakdown(con, "contacts_by_outcome", JAN) == {
        "REFERRAL": 2, "NFA": 3, "EARLY_HELP": 1, "INFO_ADVICE": 1, "not recorded": 1}


def test_contacts_by_source_falls_back_to_annex_a_list_1():
    con = new_warehouse()
    insert(con, "annex_a_contacts", [
        {"child_unique_id": "a", "date_of_contact": date(2016, 1, 4), "contact_source": "6"},
        {"child_unique_id": "b", "date_of_contact": date(2016, 1, 9), "contact_source": "6"},
        {"child_unique_id": "c", "date_of_contact": date(2016, 1, 31), "contact_source": None},
    ], la_code="312")
    build(con)
    assert breakdown(con, "contacts_by_source", JAN, la_code="312") == {"6": 2, "not recorded": 1}
    # List 1 does not stand in for the MASH indicators
    assert indicator(con, "mash_contacts", JAN, "month", la_code="312") is None
