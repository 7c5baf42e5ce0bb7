"""The looked-after models on a real-format SSDA903 return written by another project.

The fake return (data-to-insight/csc-validator-be-903) is loaded into raw.ssda903_* here with
pandas, and the indicators are worked out again with plain Python loops over the same file,
following indicators.md word by word, then compared with the mart.
"""

from collections import Counter
from datetime import date

import pandas as pd
import pytest

from test_models_helpers import breakdown, build, indicator, new_warehouse

LA = "999"


def read_903(path):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("DECOM", "DEC", "DOB"):
        if column in frame:
            parsed = pd.to_datetime(frame[column], format="%d/%m/%Y", errors="coerce")
            frame[column] = parsed.dt.date
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


@pytest.fixture(scope="module")
def sample(samples_dir):
    folder = samples_dir / "ssda903-validator-fake"
    return read_903(folder / "header.csv"), read_903(folder / "episodes.csv")


@pytest.fixture(scope="module")
def con(sample):
    header, episodes = sample
    con = new_warehouse()
    provenance = {"la_code": LA, "extract_date": None, "source_sheet": None,
                  "file_sha256": "0" * 64}
    raw_header = pd.DataFrame({
        "child": header.CHILD, "sex": header.SEX, "dob": header.DOB, "ethnic": header.ETHNIC,
        **provenance, "source_file": "header.csv", "source_row": range(2, len(header) + 2),
    })
    raw_episodes = pd.DataFrame({
        "child": episodes.CHILD, "decom": episodes.DECOM, "rne": episodes.RNE,
        "ls": episodes.LS, "cin": episodes.CIN, "place": episodes.PLACE,
        "place_provider": episodes.PLACE_PROVIDER, "dec": episodes.DEC,
        "rec": episodes.REC.replace("", None),
        "reason_place_change": episodes.REASON_PLACE_CHANGE.replace("", None),
        **provenance, "source_file": "episodes.csv", "source_row": range(2, len(episodes) + 2),
    })
    con.register("header_frame", raw_header)
    con.register("episodes_frame", raw_episodes)
    con.execute("insert into raw.ssda903_header by name select * from header_frame")
    con.execute("insert into raw.ssda903_episodes by name select * from episodes_frame")
    build(con)
    return con


def expected_by_hand(episodes: pd.DataFrame, period_end: date) -> dict[str, int]:
    """{child: placements during the r12 window} for the children looked after at period_end."""
    window_start = date(period_end.year - 1, 4, 1)  # the r12 window of a March period end
    open_children, placements = set(), {}
    by_child = {child: rows for child, rows in episodes.groupby("CHILD")}
    for row in episodes.itertuples():
        if row.LS in ("V3", "V4"):
            continue
        if row.DECOM <= period_end and (row.DEC is None or period_end < row.DEC):
            open_children.add(row.CHILD)
    for child in open_children:
        count, open_on_first_day = 0, False
        for row in by_child[child].itertuples():
            if row.LS in ("V3", "V4"):
                continue
            if row.DECOM <= window_start and (row.DEC is None or window_start < row.DEC):
                open_on_first_day = True
            if window_start < row.DECOM <= period_end and row.RNE in ("S", "P", "B"):
                count += 1
        placements[child] = count + (1 if open_on_first_day else 0)
    return placements


# 2016 and 2017 have no child with 3+ placements in this return; 2018 has some
@pytest.mark.parametrize("period_end", [date(2016, 3, 31), date(2017, 3, 31), date(2018, 3, 31)])
def test_cla_indicators_match_a_hand_count(con, sample, period_end):
    _, episodes = sample
    placements = expected_by_hand(episodes, period_end)
    children = len(placements)
    three_plus = sum(1 for n in placements.values() if n >= 3)
    assert children > 0
    assert indicator(con, "cla_children", period_end, "snapshot", la_code=LA) == (
        children, None, children)
    assert indicator(con, "cla_3plus_placements_pct", period_end, "r12", la_code=LA) == (
        three_plus, children, 100 * three_plus / children)
    # the DfE table: children by number of placements. This return starts some children
    # mid-placement (first episode RNE L/T/U after the window's first day): 0 by the definition
    by_count = Counter("3+" if n >= 3 else str(n) for n in placements.values())
    assert breakdown(con, "cla_placements_count", period_end, la_code=LA) == dict(by_count)
