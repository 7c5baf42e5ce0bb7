"""Simulate one synthetic council's children's social care activity, vectorised with numpy.

The simulation produces the *true* events (typed, tidy) from which `extracts.py` writes the untidy
files an analyst would receive: MASH contacts and MERLIN notifications, referrals (the contacts whose
MASH outcome is REFERRAL), child protection plans and looked-after episodes with their children.

Every array is built in bulk (no loop over rows), so that a council of any size costs about the same
per event. Dates are numpy `datetime64[D]`, date-times `datetime64[s]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")

# CIN census referral sources of contacts that did not come from MERLIN, with their shares.
SOURCES = np.array(["1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4",
                    "5A", "5B", "5C", "5D", "6", "7", "8", "9", "10"])
SOURCE_P = np.array([5, 2, 1, 1, 17, 3, 4, 4, 2, 2, 5, 2, 4, 4, 3, 2, 1, 14, 3, 13, 2, 6], float)
OUTCOMES_BELOW = np.array(["NFA", "INFO_ADVICE", "EARLY_HELP"])
RAGS = np.array(["RED", "AMBER", "GREEN"])
RAG_HOURS = np.array([4, 24, 72])
NOTIFICATION_TYPES = np.array(["DOMESTIC_ABUSE", "CHILD_COMING_TO_NOTICE", "MISSING",
                               "CRIME_VICTIM", "CRIME_SUSPECT", "OTHER"])
CATEGORIES = np.array(["NEGLECT", "EMOTIONAL", "PHYSICAL", "SEXUAL", "MULTIPLE"])
ETHNICITIES = np.array(["WBRI", "WIRI", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
                        "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU",
                        "NOBT"])
ETHNICITY_P = np.array([70, 1, 5, 0.5, 2, 1, 1, 1.5, 2, 1.5, 0.5, 1, 2, 5, 1, 0.5, 2, 1, 1.5])
# Legal status at entry to care (later changes: see _legal_changes).
ENTRY_LS = np.array(["V2", "J2", "L2", "L3", "C1", "C2"])
ENTRY_LS_P = np.array([55, 4, 3, 2, 31, 5], float)
# Age at entry to care, in bands (under 1, 1-4, 5-9, 10-15, 16-17), shares near England's.
ENTRY_AGE_BANDS = np.array([[0, 1], [1, 5], [5, 10], [10, 16], [16, 17.8]])
ENTRY_AGE_P = np.array([18, 16, 17, 32, 17.])
# Placement moves: the rate relative to the year's rate, by year in care (first, second, later),
# and the shape of the children's gamma frailty (mean 1; small = a few children move very often).
MOVE_WEIGHT = np.array([1.8, 0.6, 0.45])
FRAILTY_SHAPE = 0.5
FOSTER = np.array(["U1", "U2", "U3", "U4", "U5", "U6"])
OTHER_PLACES = np.array(["R1", "K2", "P1", "H5", "T0", "S1", "Z1"])
OTHER_PLACES_P = np.array([3, 7, 5, 2, 1, 1, 1], float)
PROVIDERS = np.array(["PR1", "PR2", "PR4", "PR5"])
PROVIDERS_P = np.array([62, 5, 25, 8], float)
REASON_CHANGE = np.array(["CARPL", "PLACE", "LAREQ", "CHILD", "STAND", "ALLEG", "APPRR", "OTHER"])
CEASE = np.array(["E13", "E4A", "E8", "E41", "E45", "E46", "E15", "E3", "E5"])
CEASE_P = np.array([38, 10, 12, 10, 8, 8, 5, 5, 4], float)
NEEDS = np.array(["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"])
NEEDS_P = np.array([60, 3, 3, 10, 10, 5, 2, 7], float)


@dataclass(frozen=True)
class Profile:
    """What makes a council: its size and the rates that drive its activity (per year)."""

    la_code: str
    population: int  # children aged 0-17
    referrals_per_10k: float = 256.0
    not_meeting_threshold: float = 0.78  # share of contacts that do not become referrals
    merlin_share: float = 0.40  # share of contacts that come from MERLIN
    merlin_conversion: float = 0.06  # share of MERLIN contacts that become referrals
    rereferral: float = 0.165  # share of referrals linked to a referral in the previous year
    nfa_share: float = 0.012
    screening_from: str | None = "2013-10"  # police screening of MERLIN from this month
    screening_cut: float = 0.40
    timely: float = 0.90  # share of MASH decisions within the RAG target
    cp_starts_per_10k: float = 30.4
    cp_subsequent: float = 0.057
    cp_short_share: float = 0.23  # plans ending at about three months
    cp_long_mean_days: float = 375.0
    cla_starts_per_10k: float = 20.5
    cla_long_share: float = 0.32
    # Placement moves per child-year by year ending March from `moves_start_year`, improving; a
    # child's rate is this times its year-in-care weight (MOVE_WEIGHT) and its frailty.
    moves_per_year: tuple[float, ...] = (1.75, 0.9, 0.8)
    moves_start_year: int = 2011
    short_break_children: int = 12
    growth_per_year: float = 0.02  # growth of the child population and of demand

    def demand(self, years_from_2012: np.ndarray) -> np.ndarray:
        """Demand multiplier, 1 in the year ending March 2013."""
        return (1 + self.growth_per_year) ** years_from_2012


DEMO = Profile(la_code="311", population=52_150)


@dataclass
class Council:
    """A simulated council: its profile, the simulated span and the true events."""

    profile: Profile
    start: np.datetime64  # first day of the first extract month
    end: np.datetime64  # last day of the last extract month
    contacts: pd.DataFrame = field(default_factory=pd.DataFrame)
    merlin: pd.DataFrame = field(default_factory=pd.DataFrame)
    referrals: pd.DataFrame = field(default_factory=pd.DataFrame)
    cp_plans: pd.DataFrame = field(default_factory=pd.DataFrame)
    episodes: pd.DataFrame = field(default_factory=pd.DataFrame)
    children: pd.DataFrame = field(default_factory=pd.DataFrame)
    cla_dob: pd.Series = field(default_factory=pd.Series)


def add_months(days: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    """Calendar `date + n months`, clamped to the month's last day (as DuckDB's interval arithmetic)."""
    days = np.asarray(days, dtype="datetime64[D]")
    month = days.astype("datetime64[M]")
    day_of_month = days - month.astype("datetime64[D]")
    target = month + n
    last = (target + 1).astype("datetime64[D]") - DAY
    return np.minimum(target.astype("datetime64[D]") + day_of_month, last)


def _choice(rng: np.random.Generator, values: np.ndarray, p: np.ndarray, n: int) -> np.ndarray:
    return values[rng.choice(len(values), size=n, p=p / p.sum())]


def _monthly_times(rng: np.random.Generator, months: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Uniform random date-times within each month, `counts[i]` of them in `months[i]`, sorted."""
    first = np.repeat(months.astype("datetime64[s]"), counts)
    length = np.repeat(((months + 1).astype("datetime64[s]") - months.astype("datetime64[s]"))
                       .astype(np.int64), counts)
    times = first + (rng.random(first.size) * length).astype(np.int64).astype("timedelta64[s]")
    return np.sort(times)


def _counts(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    """Whole counts with the expected totals: randomised rounding, far less noisy than Poisson, so
    that the demo council lands near its calibration figures whatever the seed."""
    return np.floor(expected + rng.random(np.shape(expected))).astype(np.int64)


def _roots(parent: np.ndarray) -> np.ndarray:
    """Follow parent pointers (-1 = root) to the root of each element, by pointer jumping."""
    idx = np.arange(parent.size)
    root = np.where(parent < 0, idx, parent)
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def _years_from_2012(days: np.ndarray) -> np.ndarray:
    """Years since 1 April 2012 (0 in the year ending March 2013), as a float."""
    return (days.astype("datetime64[D]") - np.datetime64("2012-04-01")).astype(np.int64) / 365.25


def simulate(profile: Profile, start: str, end: str, seed: int) -> Council:
    """Simulate a council from `start` (YYYY-MM) to the end of month `end`, with 3 years of history
    before `start` (15 for periods of care) so that the first extracts are in a steady state."""
    rng = np.random.default_rng(seed)
    first = np.datetime64(start, "M")
    last = np.datetime64(end, "M")
    council = Council(profile, first.astype("datetime64[D]"), (last + 1).astype("datetime64[D]") - DAY)
    months = np.arange(first - 36, last + 1)
    _front_door(council, rng, months)
    _child_protection(council, rng)
    _looked_after(council, rng, np.arange(first - 180, last + 1))
    _children(council, rng)
    return council


def _front_door(c: Council, rng: np.random.Generator, months: np.ndarray) -> None:
    """MERLIN notifications, MASH contacts and the referrals that come out of them."""
    p = c.profile
    mid = months.astype("datetime64[D]") + 14
    demand = p.demand(_years_from_2012(mid))
    season = 1 + 0.08 * np.cos(2 * np.pi * (months.astype(np.int64) % 12 - 2) / 12)  # spring peak
    referrals_pm = p.referrals_per_10k * p.population / 1e4 / 12
    contacts_pm = referrals_pm / (1 - p.not_meeting_threshold)
    merlin_pm = contacts_pm * p.merlin_share
    other_pm = contacts_pm - merlin_pm
    # Non-MERLIN contacts carry the rest of the referrals.
    other_conversion = (referrals_pm - merlin_pm * p.merlin_conversion) / other_pm
    screened = (months >= np.datetime64(p.screening_from, "M")) if p.screening_from else \
        np.zeros(months.size, bool)

    # MERLIN notifications; about 8% are never matched to a child and never become a contact.
    n_merlin = _counts(rng, merlin_pm / 0.92 * demand * season * np.where(screened, 1 - p.screening_cut, 1))
    m_time = _monthly_times(rng, months, n_merlin)
    m_month = m_time.astype("datetime64[M]")
    m_screened = (m_month >= np.datetime64(p.screening_from, "M")) if p.screening_from else \
        np.zeros(m_month.size, bool)
    nm = m_time.size
    m_matched = rng.random(nm) < 0.92
    merlin = pd.DataFrame({
        "merlin_id": np.char.add(f"M{p.la_code}-", np.char.zfill((np.arange(nm) + 1).astype(str), 7)),
        "received_at": m_time,
        "notification_type": _choice(rng, NOTIFICATION_TYPES, np.array([40, 25, 12, 10, 8, 5.]), nm),
        "police_risk": _choice(rng, np.array(["STANDARD", "MEDIUM", "HIGH"]),
                               np.array([70, 24, 6.]), nm),
        "screened": np.where(m_screened, rng.random(nm) < 0.97, rng.random(nm) < 0.03),
    })
    # Screened notifications are fewer but more serious: they convert more often.
    m_conv = np.where(merlin["screened"], p.merlin_conversion * 1.6, p.merlin_conversion)

    n_other = _counts(rng, other_pm * demand * season)
    o_time = _monthly_times(rng, months, n_other)
    mc = np.flatnonzero(m_matched)
    # The MASH receives the notification's contact a few minutes to a day after the notification.
    mc_time = m_time[mc] + rng.integers(300, 86_400, mc.size).astype("timedelta64[s]")
    received = np.concatenate([o_time, mc_time])
    is_merlin = np.concatenate([np.zeros(o_time.size, bool), np.ones(mc.size, bool)])
    merlin_id = np.concatenate([np.full(o_time.size, None, object),
                                merlin["merlin_id"].to_numpy()[mc].astype(object)])
    conversion = np.concatenate([np.full(o_time.size, other_conversion), m_conv[mc]])
    order = np.argsort(received, kind="stable")
    received, is_merlin, merlin_id, conversion = (a[order] for a in
                                                  (received, is_merlin, merlin_id, conversion))
    n = received.size
    source = np.where(is_merlin, "6", _choice(rng, SOURCES, SOURCE_P, n))
    # Systematic sampling in time order: any window holds its expected number of referrals (+-1).
    cum = rng.random() + np.cumsum(conversion)
    is_referral = np.diff(np.floor(cum), prepend=np.floor(cum[0] - conversion[0])) > 0
    outcome = np.where(is_referral, "REFERRAL",
                       _choice(rng, OUTCOMES_BELOW, np.array([45, 30, 25.]), n)).astype(object)
    rag = _choice(rng, RAGS, np.array([10, 35, 55.]), n)
    target_h = RAG_HOURS[np.select([rag == "RED", rag == "AMBER"], [0, 1], 2)]
    on_time = rng.random(n) < p.timely + 0.02 * _years_from_2012(received.astype("datetime64[D]"))
    delay_h = np.where(on_time, rng.random(n) * target_h * 0.98,
                       target_h * (1.02 + rng.exponential(0.6, n)))
    decided = received + (delay_h * 3600).astype(np.int64).astype("timedelta64[s]")
    # Contacts still undecided when the last extract was taken have no outcome yet.
    undecided = decided > np.datetime64(c.end, "s") + np.timedelta64(86_399, "s")
    outcome[undecided] = None

    ref_idx = np.flatnonzero(is_referral & ~undecided)
    child = _contact_children(rng, p, received, ref_idx, decided)
    c.merlin = merlin
    matched_child = np.full(nm, None, object)
    inv = np.empty(n, np.int64)
    inv[order] = np.arange(n)
    # Matched notifications carry the child of their contact.
    matched_child[mc] = child[inv[o_time.size + np.arange(mc.size)]]
    c.merlin["child_id"] = matched_child
    c.contacts = pd.DataFrame({
        "contact_id": np.char.add(f"C{p.la_code}", np.char.zfill((np.arange(n) + 1).astype(str), 8)),
        "child_id": child, "received_at": received, "source": source, "merlin_id": merlin_id,
        "rag": rag, "decided_at": np.where(undecided, np.datetime64("NaT"), decided),
        "outcome": outcome,
    })
    c.referrals = pd.DataFrame({
        "child_id": child[ref_idx],
        "referral_date": decided[ref_idx].astype("datetime64[D]"),
        "source": source[ref_idx],
        "nfa": rng.random(ref_idx.size) < p.nfa_share,
        "contact_id": c.contacts["contact_id"].to_numpy()[ref_idx],
    })
    # A child referred twice on one day is one referral (the record key is child and date).
    c.referrals = c.referrals.drop_duplicates(["child_id", "referral_date"]).reset_index(drop=True)


def _contact_children(rng, p: Profile, received, ref_idx, decided) -> np.ndarray:
    """Child ids of the contacts: referrals are linked to earlier referrals at the re-referral rate;
    other contacts are mostly new children, some known ones."""
    n = received.size
    base = int(p.la_code) * 10_000_000 + 1_000_000
    child = (base + np.arange(n)).astype(np.int64)
    # Referrals: a share copies the child of a referral 2 weeks to 11.5 months earlier.
    rdate = decided[ref_idx].astype("datetime64[D]")
    order = np.argsort(rdate, kind="stable")
    rdate_sorted = rdate[order]
    nr = ref_idx.size
    link = rng.random(nr) < p.rereferral
    returning = ~link & (rng.random(nr) < 0.06)  # referred again after more than a year
    lag = np.where(link, rng.integers(14, 350, nr), rng.integers(380, 900, nr))
    j = np.searchsorted(rdate_sorted, rdate_sorted - lag.astype("timedelta64[D]"))
    ok = (link | returning) & (j < np.arange(nr)) & (rdate_sorted[np.minimum(j, nr - 1)] < rdate_sorted)
    parent = np.where(ok, j, -1)
    root = _roots(parent)
    child[ref_idx[order]] = child[ref_idx[order]][root]
    # Other contacts: 25% are about a child already known (any earlier contact).
    not_ref = np.ones(n, bool)
    not_ref[ref_idx] = False
    other = np.flatnonzero(not_ref)
    known = other[(rng.random(other.size) < 0.25) & (other > 0)]
    child[known] = child[(rng.random(known.size) * known).astype(np.int64)]
    return child.astype(str)


def _child_protection(c: Council, rng: np.random.Generator) -> None:
    """CP plans: first plans from newly referred children, second plans for children whose earlier
    plan ended, and a cluster of plans ending at about three months."""
    p = c.profile
    refs = c.referrals
    first_ref = refs.drop_duplicates("child_id")
    years = _years_from_2012(first_ref["referral_date"].to_numpy())
    # Share of a child's first referral that leads to a plan, so that starts match the profile.
    fresh_per_year = p.referrals_per_10k * p.population / 1e4 * (1 - p.rereferral) * 0.94
    expected_first = p.cp_starts_per_10k * p.population / 1e4 * (1 - p.cp_subsequent)
    q = np.minimum(expected_first / fresh_per_year * p.demand(years) / p.demand(0.0), 1)
    # Pick that share within each month exactly (in a random order), not by coin toss.
    month = first_ref["referral_date"].to_numpy().astype("datetime64[M]")
    shuffled = rng.permutation(len(first_ref))
    rank = pd.Series(month[shuffled]).groupby(month[shuffled]).cumcount().to_numpy()
    per_month = pd.Series(month).groupby(month).transform("size").to_numpy()[shuffled]
    quota = _counts(rng, per_month * q[shuffled])
    quota_of_month = pd.Series(quota).groupby(month[shuffled]).transform("first").to_numpy()
    pick = np.zeros(len(first_ref), bool)
    pick[shuffled[rank < quota_of_month]] = True
    fr = first_ref[pick]
    start = fr["referral_date"].to_numpy() + rng.integers(15, 50, len(fr)).astype("timedelta64[D]")
    plans = pd.DataFrame({"child_id": fr["child_id"].to_numpy(), "start": start,
                          "previous": np.zeros(len(fr), np.int64)})
    # Second or subsequent plans: the child of a plan that ended 3 months to 2.5 years before.
    span_years = (c.end - (c.start - 1095 * DAY)).astype(np.int64) / 365.25
    n_sub = int(round(p.cp_starts_per_10k * p.population / 1e4 * p.cp_subsequent * span_years))
    # Evenly spread with jitter, so that each year has about its share.
    spacing = span_years * 365.25 / max(n_sub, 1)
    offset = (np.arange(n_sub) + rng.random(n_sub)) * spacing
    sub_start = c.start - 1095 * DAY + offset.astype(np.int64).astype("timedelta64[D]")
    plans["end"] = _plan_ends(rng, p, plans["start"].to_numpy())
    ended = plans.sort_values("end")
    gap = rng.integers(90, 900, n_sub).astype("timedelta64[D]")
    k = np.searchsorted(ended["end"].to_numpy(), sub_start - gap, side="right")
    have = k > 0
    pick_prev = (rng.random(n_sub) * k).astype(np.int64)
    prev_child = np.where(have, ended["child_id"].to_numpy()[np.minimum(pick_prev, len(ended) - 1)],
                          (int(p.la_code) * 10_000_000 + 9_000_000 + np.arange(n_sub)).astype(str))
    sub = pd.DataFrame({"child_id": prev_child, "start": sub_start,
                        "previous": np.ones(n_sub, np.int64)})
    sub["end"] = _plan_ends(rng, p, sub_start)
    sub = sub.drop_duplicates("child_id")
    plans = pd.concat([plans, sub], ignore_index=True).sort_values(["start", "child_id"])
    plans = plans[plans["start"] <= c.end].reset_index(drop=True)
    n = len(plans)
    plans["initial_category"] = _choice(rng, CATEGORIES, np.array([45, 34, 11, 4, 6.]), n)
    changed = rng.random(n) < 0.1
    plans["latest_category"] = np.where(changed, _choice(rng, CATEGORIES, np.ones(5), n),
                                        plans["initial_category"])
    plans.loc[plans["end"] > c.end, "end"] = pd.NaT
    c.cp_plans = plans


def _plan_ends(rng, p: Profile, start: np.ndarray) -> np.ndarray:
    n = start.size
    short = rng.random(n) < p.cp_short_share
    exactly = short & (rng.random(n) < 0.45)
    long_days = 20 + rng.gamma(3.0, (p.cp_long_mean_days - 20) / 3.0, n)
    days = np.where(short, rng.integers(70, 92, n), long_days).astype(np.int64)
    end = start + days.astype("timedelta64[D]")
    return np.where(exactly, add_months(start, 3), end)


def _looked_after(c: Council, rng: np.random.Generator, months: np.ndarray) -> None:
    """SSDA903 episodes: periods of care split into episodes at placement and legal status changes.

    Periods start up to 15 years before the first extract, so the children already in care at its
    start carry their real, earlier DECOM. Placement moves are frequent in a child's first year in
    care and rare once settled, and a few children (a heavy-tailed frailty) move far more than the
    rest: the mix that gives both the "3 or more placements" share and long-term stability.
    """
    p = c.profile
    mid = months.astype("datetime64[D]") + 14
    n_start = _counts(rng, p.cla_starts_per_10k * p.population / 1e4 / 12 * p.demand(
        np.maximum(_years_from_2012(mid), -3)))
    start = np.sort(_monthly_times(rng, months, n_start).astype("datetime64[D]"))
    n = start.size
    band = rng.choice(ENTRY_AGE_BANDS.shape[0], n, p=ENTRY_AGE_P / ENTRY_AGE_P.sum())
    lo, hi = ENTRY_AGE_BANDS[band].T
    age = lo + rng.random(n) * (hi - lo)  # age at entry in years
    dob = start - (age * 365.25).astype(np.int64).astype("timedelta64[D]")
    kind = rng.choice(3, n, p=[0.36, 1 - 0.36 - p.cla_long_share, p.cla_long_share])
    dur = np.select([kind == 0, kind == 1], [rng.gamma(1.5, 40, n), rng.gamma(2.0, 220, n)],
                    rng.gamma(2.0, 1100, n)).astype(np.int64) + 1
    eighteen = add_months(dob, 216)
    end = np.minimum(start + dur.astype("timedelta64[D]"), eighteen)
    end = np.maximum(end, start + DAY)
    base = int(p.la_code) * 10_000_000 + 5_000_000
    period_child = (base + np.arange(n)).astype(str)
    entry = rng.choice(ENTRY_LS.size, n, p=ENTRY_LS_P / ENTRY_LS_P.sum())
    moves_t, moves_per = _placement_moves(p, rng, start, end)
    legal_t, legal_per, legal_ls, legal_rne = _legal_changes(rng, entry, start, end, dob)
    moved = moves_per.size
    ep = pd.DataFrame({
        "period": np.concatenate([np.arange(n), moves_per, legal_per]),
        "decom": np.concatenate([start, moves_t, legal_t]),
        "rne": np.concatenate([np.full(n, "S"), _choice(rng, np.array(["P", "T"]),
                                                          np.array([92, 8.]), moved), legal_rne]),
        "new_ls": np.concatenate([ENTRY_LS[entry], np.full(moved, None, object), legal_ls]),
    })
    ep = ep.sort_values(["period", "decom"], kind="stable").drop_duplicates(["period", "decom"])
    period = ep["period"].to_numpy()
    rne = ep["rne"].to_numpy()
    decom = ep["decom"].to_numpy()
    # The legal status holds until the next legal change (a move keeps it).
    ls = ep["new_ls"].groupby(period).ffill().to_numpy().astype(str)
    # Placement: a new one at S, P and B; the same carer otherwise.
    m = period.size
    new_place = np.isin(rne, ["S", "P", "B"])
    place_new = np.where(rng.random(m) < 0.74, _choice(rng, FOSTER, np.array([8, 1, 6, 30, 4, 51.]), m),
                         _choice(rng, OTHER_PLACES, OTHER_PLACES_P, m))
    place_id = np.maximum.accumulate(np.where(new_place, np.arange(m), 0))
    place = place_new[place_id]
    place = np.where(ls == "E1", np.where(rng.random(m) < 0.5, "A4", "A6"), place)
    provider = _choice(rng, PROVIDERS, PROVIDERS_P, m)[place_id]
    provider = np.where(place == "P1", "PR0", provider)
    nxt_same = np.append(period[1:] == period[:-1], False)
    dec = np.where(nxt_same, np.append(decom[1:], np.datetime64("NaT")), end[period])
    rec = np.where(nxt_same, "X1", np.where(ls == "E1", np.where(rng.random(m) < 0.7, "E11", "E12"),
                                             _choice(rng, CEASE, CEASE_P, m)))
    adult = dec >= eighteen[period]
    rec = np.where(~nxt_same & adult & (ls != "E1"), np.where(rng.random(m) < 0.5, "E8", "E46"), rec)
    open_ = dec > c.end
    episodes = pd.DataFrame({
        "child": period_child[period], "decom": decom, "rne": rne, "ls": ls,
        "cin": _choice(rng, NEEDS, NEEDS_P, n)[period], "place": place, "place_provider": provider,
        "dec": np.where(open_, np.datetime64("NaT"), dec), "rec": np.where(open_, None, rec),
        "reason_place_change": np.where(rne == "P", _choice(rng, REASON_CHANGE,
                                                            np.array([30, 20, 15, 10, 10, 3, 7, 5.]), m),
                                        None),
    })
    episodes = episodes[episodes["decom"] <= c.end]
    short, short_children, short_dob = _short_breaks(c, rng, base + 900_000)
    c.episodes = pd.concat([episodes, short], ignore_index=True).sort_values(
        ["child", "decom"], kind="stable").reset_index(drop=True)
    c.cla_dob = pd.Series(np.concatenate([dob, short_dob]),
                          index=np.concatenate([period_child, short_children]))


def _placement_moves(p: Profile, rng: np.random.Generator, start: np.ndarray, end: np.ndarray):
    """Placement moves within each period (times and period index): a Poisson process at the
    period's highest possible rate, thinned to the year's rate times the year-in-care weight."""
    n = start.size
    rates = np.asarray(p.moves_per_year)
    frailty = rng.gamma(FRAILTY_SHAPE, 1 / FRAILTY_SHAPE, n)
    top = rates.max() * MOVE_WEIGHT.max()
    length = (end - start).astype(np.int64)
    k = rng.poisson(top * frailty * length / 365.25)
    per = np.repeat(np.arange(n), k)
    offset = (rng.random(per.size) * length[per]).astype(np.int64)
    t = start[per] + offset.astype("timedelta64[D]")
    year_idx = np.clip((t.astype("datetime64[M]") - np.datetime64(f"{p.moves_start_year}-04", "M"))
                       .astype(np.int64) // 12, 0, rates.size - 1)
    weight = MOVE_WEIGHT[np.minimum(offset // 365, MOVE_WEIGHT.size - 1)]
    keep = (rng.random(per.size) < rates[year_idx] * weight / top) & (t > start[per]) & (t < end[per])
    return t[keep], per[keep]


def _legal_changes(rng: np.random.Generator, entry: np.ndarray, start: np.ndarray, end: np.ndarray,
                   dob: np.ndarray):
    """Legal status changes along the ladder accommodated (V2) -> interim care order (C1) -> care
    order (C2) -> placement order (E1, young children only), at the pace of care proceedings.
    Returns times, period index, the new legal status and the reason for the new episode."""
    n = start.size
    ls0 = ENTRY_LS[entry]
    days = lambda a, b: rng.integers(a, b, n).astype("timedelta64[D]")  # noqa: E731
    # A quarter of accommodated children come under an interim care order within months.
    to_c1 = (ls0 == "V2") & (rng.random(n) < 0.25)
    t_c1 = start + days(20, 240)
    # Proceedings end in a care order about 5 to 14 months after the interim order.
    on_c1 = (ls0 == "C1") | to_c1
    t_c2 = np.where(ls0 == "C1", start, t_c1) + days(150, 420)
    to_c2 = on_c1 & (rng.random(n) < 0.85)
    # Half the young children on a care order get a placement order a few months later.
    on_c2 = (ls0 == "C2") | to_c2
    t_e1 = np.where(ls0 == "C2", start, t_c2) + days(60, 300)
    to_e1 = on_c2 & ((t_e1 - dob).astype(np.int64) < 5 * 365) & (rng.random(n) < 0.5)
    times, pers, new = [], [], []
    for flag, when, status in ((to_c1, t_c1, "C1"), (to_c2, t_c2, "C2"),
                               (to_e1, t_e1, "E1")):
        hit = np.flatnonzero(flag & (when < end))
        times.append(when[hit])
        pers.append(hit)
        new.append(np.full(hit.size, status, object))
    times, pers, new = np.concatenate(times), np.concatenate(pers), np.concatenate(new)
    # A placement order often comes with a move to adopters (B) or to the carers as adopters (U).
    k = new.size
    rne = np.where(new == "E1", _choice(rng, np.array(["U", "B", "L"]), np.array([40, 30, 30.]), k),
                   _choice(rng, np.array(["L", "B"]), np.array([85, 15.]), k))
    return times, pers, new, rne


def _short_breaks(c: Council, rng: np.random.Generator, base: int):
    """Children on a series of short breaks (V3/V4): a two- to three-night episode each month."""
    p = c.profile
    k = max(int(round(p.short_break_children * p.population / 52_150)), 1)
    children = (base + np.arange(k)).astype(str)
    months = np.arange((c.start - 400 * DAY).astype("datetime64[M]"), c.end.astype("datetime64[M]") + 1)
    who = np.repeat(np.arange(k), months.size)
    month = np.tile(months, k)
    keep = rng.random(who.size) < 0.8
    who, month = who[keep], month[keep]
    decom = month.astype("datetime64[D]") + rng.integers(0, 25, who.size).astype("timedelta64[D]")
    dec = decom + rng.integers(2, 4, who.size).astype("timedelta64[D]")
    short_dob = c.start - rng.integers(5 * 365, 15 * 365, k).astype("timedelta64[D]")
    open_ = dec > c.end
    frame = pd.DataFrame({
        "child": children[who], "decom": decom, "rne": "S",
        "ls": np.where(rng.random(k) < 0.8, "V3", "V4")[who], "cin": "N2",
        "place": "H5", "place_provider": "PR1",
        "dec": np.where(open_, np.datetime64("NaT"), dec), "rec": np.where(open_, None, "E13"),
        "reason_place_change": None,
    })
    return frame, children, short_dob


def _children(c: Council, rng: np.random.Generator) -> None:
    """One row per child: sex, date of birth and ethnicity, consistent across every extract."""
    ct = c.contacts
    first_seen = ct.groupby("child_id", sort=True)["received_at"].min()
    ids = first_seen.index.to_numpy()
    n = ids.size
    age_days = (rng.random(n) * 16.5 * 365.25).astype(np.int64)
    dob = first_seen.to_numpy().astype("datetime64[D]") - age_days.astype("timedelta64[D]")
    cp_ids = np.unique(c.cp_plans["child_id"].to_numpy().astype(str))
    cp_extra = cp_ids[~pd.Series(cp_ids).isin(ids).to_numpy()]  # (np.setdiff1d is slow on strings)
    extra_dob = c.start - rng.integers(365, 12 * 365, cp_extra.size).astype("timedelta64[D]")
    cla_ids = c.cla_dob.index.to_numpy()
    all_ids = np.concatenate([ids, cp_extra, cla_ids])
    m = all_ids.size
    c.children = pd.DataFrame({
        "child_id": all_ids,
        "sex": np.where(rng.random(m) < 0.52, 1, 2),
        "dob": np.concatenate([dob, extra_dob, c.cla_dob.to_numpy()]).astype("datetime64[D]"),
        "ethnicity": _choice(rng, ETHNICITIES, ETHNICITY_P, m),
    }).drop_duplicates("child_id").set_index("child_id")


def with_more_contacts(profile: Profile, factor: float) -> Profile:
    """The profile with `factor` times as many contacts (MASH and MERLIN), the extra ones all below
    the referral threshold: referrals, plans and episodes are unchanged. For scale tests."""
    if factor < 1:
        raise ValueError("the contacts factor must be at least 1")
    more = replace(profile, not_meeting_threshold=1 - (1 - profile.not_meeting_threshold) / factor)
    # MERLIN's own referrals must leave some for the other contacts to carry (_front_door).
    merlin_referral_share = (more.merlin_share * more.merlin_conversion
                             / (1 - more.not_meeting_threshold))
    if merlin_referral_share >= 1:
        raise ValueError(f"council {profile.la_code}: {factor}x contacts would make MERLIN alone "
                         "give more referrals than the council has")
    return more


def profile_for(la_code: str, rng: np.random.Generator, population: int | None = None) -> Profile:
    """A plausible profile for another council: England-like rates with local variation."""
    if la_code == DEMO.la_code and population is None:
        return DEMO
    pop = population or int(rng.lognormal(np.log(70_000), 0.5))
    ln = lambda mean, sd: float(mean * rng.lognormal(0, sd))  # noqa: E731
    return replace(
        DEMO, la_code=la_code, population=pop,
        referrals_per_10k=ln(500, 0.25), not_meeting_threshold=float(rng.uniform(0.6, 0.82)),
        merlin_share=float(rng.uniform(0.15, 0.45)), rereferral=float(rng.uniform(0.14, 0.26)),
        nfa_share=float(rng.uniform(0.01, 0.12)),
        screening_from=str(rng.choice(["2012-10", "2013-04", "2013-10", "2014-04"])),
        timely=float(rng.uniform(0.8, 0.95)), cp_starts_per_10k=ln(45, 0.3),
        cp_subsequent=float(rng.uniform(0.1, 0.2)), cp_short_share=float(rng.uniform(0.1, 0.25)),
        cla_starts_per_10k=ln(25, 0.3), cla_long_share=float(rng.uniform(0.3, 0.45)),
        moves_per_year=tuple(float(x) for x in np.sort(rng.uniform(0.6, 1.0, 3))[::-1]),
        short_break_children=int(rng.integers(5, 30)),
    )
