"""Synthetic published reference files, in the DfE's and ONS's CSV formats (same columns as the real
files, so that the reference reader recognises them by their columns).

About 150 synthetic councils ("Synthetic Borough 311" ...), 33 of them in London (Inner/Outer), with
England and regional rows, for the years ending March 2011 to 2014 (population mid-2010 to mid-2013).
Counts of 1 to 5 are suppressed with `c`, as the DfE does. A council that was generated gets figures
worked out from its own simulated events, nudged by a few per cent, so that a reconciliation between
its extracts and its "published" figures shows small differences. Every file name starts `SYNTHETIC_`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.generate.council import Council, Profile, profile_for
from pipeline.generate.extracts import _previous_plans, _referral_counts

YEARS = (2011, 2012, 2013, 2014)
LONDON = ("E12000007", "London")
INNER, OUTER = ("E13000001", "Inner London"), ("E13000002", "Outer London")
REGIONS = [("E12000001", "North East", 4), ("E12000002", "North West", 5),
           ("E12000003", "Yorkshire and The Humber", 9), ("E12000004", "East Midlands", 1),
           ("E12000005", "West Midlands", 8), ("E12000006", "East of England", 2),
           ("E12000008", "South East", 6), ("E12000009", "South West", 7)]
HEAD = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
        "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
CLOSENESS_2021 = ["Very Close", "Close", "Somewhat close", "Not Close"]
CLOSENESS_2025 = ["Extremely close", "Very close", "Close ", "Somewhat close"]
TINY = {"202": 1_500, "936": 2_800}
STABILITY_LT = "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years"


def council_codes(seed: int, first: str = "311") -> list[str]:
    """The synthetic councils' three-digit codes, `first` first (the same whatever the seed)."""
    london = [str(c) for c in range(202, 214)] + [str(c) for c in range(301, 321)]
    others = [str(c) for c in range(330, 395)] + [str(c) for c in range(800, 938, 2)]
    fixed = set(london + [first])
    codes = sorted(fixed | set([c for c in others if c not in fixed][:150 - len(fixed)]))
    codes.remove(first)
    return [first] + codes


def _meta(codes: list[str]) -> pd.DataFrame:
    """Name, region and ONS-like code of every council (fixed, not seeded)."""
    rows = []
    for i, code in enumerate(sorted(codes)):
        n = int(code)
        if 202 <= n <= 213 or 301 <= n <= 320:
            inner = n < 300
            region = INNER if inner else OUTER
            rows.append((code, f"Synthetic Borough {code}", region[0], region[1], True, inner,
                         f"E09900{code}"))
        else:
            reg = REGIONS[i % len(REGIONS)]
            kind = "City" if n < 800 else "County"
            rows.append((code, f"Synthetic {kind} {code}", reg[0], reg[1], False, False,
                         f"E{'08' if n < 800 else '10'}900{code}"))
    return pd.DataFrame(rows, columns=["code", "name", "region_code", "region_name", "london", "inner",
                                       "ons"]).set_index("code")


def published_figures(c: Council) -> dict[int, dict]:
    """The figures a council's return would publish, year by year, from its simulated events."""
    out = {}
    refs = c.referrals.assign(n12=_referral_counts(c.referrals))
    plans = c.cp_plans.assign(prev=_previous_plans(c.cp_plans))
    ep = c.episodes[~c.episodes["ls"].isin(["V3", "V4"])]
    for y in YEARS:
        lo, snap = pd.Timestamp(f"{y - 1}-04-01"), pd.Timestamp(f"{y}-03-31")
        if snap > pd.Timestamp(c.end) or lo < pd.Timestamp(c.start) - pd.DateOffset(years=2):
            continue
        r = refs[(refs["referral_date"] >= lo) & (refs["referral_date"] <= snap)]
        re = r[r["n12"] > 1]
        st = plans[(plans["start"] >= lo) & (plans["start"] <= snap)]
        op = plans[(plans["start"] <= snap) & (plans["end"].isna() | (plans["end"] > snap))]
        age_days = (snap - op["start"]).dt.days
        bands = np.select([age_days <= 91, age_days <= 182, age_days < 365, age_days < 730],
                          [0, 1, 2, 3], 4)
        open_ep = ep[(ep["decom"] <= snap) & (ep["dec"].isna() | (ep["dec"] > snap))]
        kids = open_ep["child"].unique()
        mine = ep[ep["child"].isin(kids)]
        at_start = mine[(mine["decom"] <= lo) & (mine["dec"].isna() | (mine["dec"] > lo))]["child"]
        moves = mine[(mine["decom"] > lo) & (mine["decom"] <= snap) & mine["rne"].isin(["S", "P", "B"])]
        placements = (pd.Series(1, index=at_start.unique()).reindex(kids, fill_value=0)
                      + moves.groupby("child").size().reindex(kids, fill_value=0))
        place_start = mine[mine["rne"].isin(["S", "P", "B"]) & (mine["decom"] <= snap)].groupby(
            "child")["decom"].max()
        care_start = mine[(mine["rne"] == "S") & (mine["decom"] <= snap)].groupby("child")["decom"].max()
        dob = c.children["dob"].reindex(kids).to_numpy().astype("datetime64[D]")
        under16 = pd.Series((snap.to_datetime64().astype("datetime64[D]") - dob).astype(np.int64)
                            < 16 * 365.25, index=kids)
        long_term = under16 & (care_start.reindex(kids) <= snap - pd.DateOffset(months=30))
        stable = long_term & (place_start.reindex(kids) <= snap - pd.DateOffset(years=2))
        two_years = care_start.reindex(kids) <= snap - pd.DateOffset(years=2)
        out[y] = {
            "referral_count": len(r), "rereferral_count": len(re),
            "no_further_action_count": int(r["nfa"].sum()),
            "referral_child_count": r["child_id"].nunique(),
            "rereferral_child_count": re["child_id"].nunique(),
            "CPP_start": len(st), "CPP_subsequent": int((st["prev"] > 0).sum()),
            "CPP_At31": op["child_id"].nunique(),
            "bands": np.bincount(bands, minlength=5).tolist(),
            "cla_at31": len(kids),
            "cla_start": ep[(ep["rne"] == "S") & (ep["decom"] >= lo) & (ep["decom"] <= snap)]["child"].nunique(),
            "cla_cease": ep[(ep["dec"] >= lo) & (ep["dec"] <= snap) & (ep["rec"] != "X1")]["child"].nunique(),
            "cla_3plus": int((placements >= 3).sum()),
            "cla_2y": int(two_years.sum()), "cla_2y_3plus": int((two_years & (placements >= 3)).sum()),
            "lt_total": int(long_term.sum()), "lt_stable": int(stable.sum()),
        }
    return out


def _expected_figures(p: Profile, rng: np.random.Generator) -> dict[int, dict]:
    """Figures for a council that was not generated: its profile's rates with Poisson noise."""
    out = {}
    for y in YEARS:
        g = p.demand(y - 2013)
        pop10k = p.population * g / 1e4
        refs = rng.poisson(p.referrals_per_10k * pop10k)
        starts = rng.poisson(p.cp_starts_per_10k * pop10k)
        at31 = rng.poisson(p.cp_starts_per_10k * pop10k * 0.8)
        cla = rng.poisson(p.cla_starts_per_10k * pop10k * 1.9)
        lt = int(cla * 0.3)
        out[y] = {
            "referral_count": refs, "rereferral_count": rng.binomial(refs, p.rereferral * 1.05),
            "no_further_action_count": rng.binomial(refs, p.nfa_share),
            "referral_child_count": int(refs * 0.95), "rereferral_child_count": int(refs * p.rereferral * 0.9),
            "CPP_start": starts, "CPP_subsequent": rng.binomial(starts, p.cp_subsequent),
            "CPP_At31": at31, "bands": rng.multinomial(at31, [0.25, 0.25, 0.3, 0.17, 0.03]).tolist(),
            "cla_at31": cla, "cla_start": rng.poisson(p.cla_starts_per_10k * pop10k),
            "cla_cease": rng.poisson(p.cla_starts_per_10k * pop10k * 0.97),
            "cla_3plus": rng.binomial(cla, float(np.clip(0.11 + 0.02 * (2013 - y), 0.05, 0.2))),
            "cla_2y": int(cla * 0.55), "cla_2y_3plus": rng.binomial(int(cla * 0.55), 0.2),
            "lt_total": lt, "lt_stable": rng.binomial(lt, 0.68),
        }
    return out


def _nudge(figures: dict[int, dict], rng: np.random.Generator) -> dict[int, dict]:
    """Published figures differ a little from a council's own extracts (later corrections)."""
    out = {}
    for y, f in figures.items():
        g = dict(f)
        for k in ("referral_count", "rereferral_count", "CPP_At31", "cla_at31", "cla_start",
                  "cla_cease", "referral_child_count"):
            g[k] = int(round(f[k] * rng.uniform(0.97, 1.03)))
        out[y] = g
    return out


def _pct(num, den) -> float | None:
    return None if not den else round(100 * num / den, 1)


def _cell(value, *, suppress: bool = True) -> str:
    """A published count: `c` for 1-5 (as the DfE), the number otherwise."""
    if value is None:
        return "z"
    if suppress and 0 < value <= 5:
        return "c"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def write_reference(folder: Path, codes: list[str], truths: dict[str, tuple], seed: int) -> list[str]:
    """Write the synthetic reference files; return their names."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 1])
    meta = _meta(codes)
    streams = rng.spawn(len(meta))
    profiles, figures = {}, {}
    for stream, code in zip(streams, meta.index):
        if code in truths:
            profiles[code], figures[code] = truths[code][0], _nudge(truths[code][1], stream)
        else:
            # (the demo profile for 311; two very small councils, where suppression bites)
            profiles[code] = profile_for(code, stream, population=TINY.get(code))
            figures[code] = _expected_figures(profiles[code], stream)
    files = []

    def write(name: str, frame: pd.DataFrame) -> None:
        frame.to_csv(folder / name, index=False, lineterminator="\n")
        files.append(name)

    pop = _population_rows(meta, profiles)
    write("SYNTHETIC_ons_mid-year_population_estimates_2010_to_2013.csv", pop)
    write("SYNTHETIC_c1_children_in_need_referrals_and_rereferrals_2011_to_2014.csv",
          _measure_file(meta, figures, _c1))
    write("SYNTHETIC_d3_cpps_subsequent_plan_2011_to_2014.csv", _measure_file(meta, figures, _d3))
    write("SYNTHETIC_d5_cpps_at31march_by_duration_2011_to_2014.csv", _measure_file(meta, figures, _d5))
    write("SYNTHETIC_cla_number_and_rate_per_10k_children.csv", _cla_numbers(meta, figures, pop))
    write("SYNTHETIC_la_cla_placement_stability.csv", _stability(meta, figures))
    write("SYNTHETIC_New_Statistical_Neighbour_Groupings_April_2021.csv", _sn_2021(meta, rng))
    write("SYNTHETIC_sn_model_2025_wide.csv", _sn_2025(meta, rng))
    (folder / "README.md").write_text(
        "# SYNTHETIC reference data\n\nEvery file here is **synthetic**: made up by `lscb generate`, "
        "in the column layout of the DfE's and ONS's published CSV files, for about 150 invented "
        "councils (\"Synthetic Borough 311\" ...). No figure is a real statistic and no name is a "
        "real local authority. Counts of 1 to 5 are shown as `c`, as the DfE suppresses them.\n",
        encoding="utf-8")
    files.append("README.md")
    return files


def _area_rows(meta: pd.DataFrame):
    """(geographic_level, region_code, region_name, codes) for England, each region, each LA."""
    yield "National", "", "", list(meta.index)
    for code, name in (LONDON, INNER, OUTER):
        members = meta.index[meta["london"]] if code == LONDON[0] else \
            meta.index[meta["region_code"] == code]
        yield "Regional", code, name, list(members)
    for code, name, _ in REGIONS:
        yield "Regional", code, name, list(meta.index[meta["region_code"] == code])


def _head(year: int, level: str, region_code: str, region_name: str, la: pd.Series | None) -> list:
    if la is None:
        return [year, "Reporting year", level, "E92000001", "England", region_code, region_name,
                "", "", ""]
    return [year, "Reporting year", "Local authority", "E92000001", "England", la["region_code"],
            la["region_name"], la.name, la["ons"], la["name"]]


def _population_rows(meta: pd.DataFrame, profiles: dict) -> pd.DataFrame:
    rows = []
    for mid_year in (2010, 2011, 2012, 2013):
        values = {code: int(round(p.population * p.demand(mid_year - 2012) ** 0.5))
                  for code, p in profiles.items()}
        for level, rc, rn, members in _area_rows(meta):
            rows.append(_head(mid_year, level, rc, rn, None)
                        + ["Children aged 0 to 17 years", sum(values[m] for m in members)])
        for code, la in meta.iterrows():
            rows.append(_head(mid_year, "", "", "", la) + ["Children aged 0 to 17 years", values[code]])
    return pd.DataFrame(rows, columns=HEAD + ["age_group", "population_estimate"])


def _c1(f: dict, rounded: bool) -> list:
    r, rr = f["referral_count"], f["rereferral_count"]
    nfa, nin = f["no_further_action_count"], int(r * 0.12)
    rc, rrc = f["referral_child_count"], f["rereferral_child_count"]
    return ["Referrals and Re-referrals", r, rr, _pct(rr, r), nfa, _pct(nfa, r), nin, _pct(nin, r),
            rc, rrc, _pct(rrc, rc)]


def _d3(f: dict, rounded: bool) -> list:
    s, sub = f["CPP_start"], f["CPP_subsequent"]
    return ["Child Protection Plans which are a second or subsequent plan", s, sub, _pct(sub, s)]


def _d5(f: dict, rounded: bool) -> list:
    total, bands = f["CPP_At31"], f["bands"]
    out = ["Child Protection Plans by length of time", total]
    for b in bands:
        out += [b, _pct(b, sum(bands))]
    return out


MEASURES = {
    _c1: ["category", "referral_count", "rereferral_count", "rereferral_percent",
          "no_further_action_count", "no_further_action_percent", "not_in_need_count",
          "not_in_need_percent", "referral_child_count", "rereferral_child_count",
          "rereferral_child_percent"],
    _d3: ["category", "CPP_start", "CPP_subsequent", "CPP_subsequent_percent"],
    _d5: ["category", "CPP_At31", "3_months_or_less", "3_months_or_less_percent",
          "more_than_3_months_6_months", "more_than_3_months_6_months_percent",
          "more_than_6_months_less_than_1_year", "more_than_6_months_less_than_1_year_percent",
          "1_year_less_than_2_years", "1_year_less_than_2_years_percent", "2_years_or_more",
          "2_years_or_more_percent"],
}


def _sum_figures(figs: list[dict]) -> dict:
    out = {}
    for k in figs[0]:
        out[k] = ([sum(f[k][i] for f in figs) for i in range(len(figs[0][k]))]
                  if isinstance(figs[0][k], list) else sum(f[k] for f in figs))
    return out


def _round10(f: dict) -> dict:
    """National and regional counts are rounded to the nearest 10, as the DfE publishes them."""
    return {k: ([int(round(x, -1)) for x in v] if isinstance(v, list) else int(round(v, -1)))
            for k, v in f.items()}


def _measure_file(meta: pd.DataFrame, figures: dict, fn) -> pd.DataFrame:
    rows = []
    for y in sorted(YEARS, reverse=True):
        for level, rc, rn, members in _area_rows(meta):
            figs = [figures[m][y] for m in members if y in figures[m]]
            if figs:
                rows.append(_head(y, level, rc, rn, None)
                            + [_cell(v, suppress=False) if not isinstance(v, str) else v
                               for v in fn(_round10(_sum_figures(figs)), True)])
        for code, la in meta.iterrows():
            if y not in figures[code]:
                continue
            values = fn(figures[code][y], False)
            cells = [values[0]] + [_cell(v) for v in values[1:]]
            # A percentage next to a suppressed count is suppressed too.
            for i in range(1, len(cells) - 1):
                if cells[i] == "c" and MEASURES[fn][i + 1].endswith("percent"):
                    cells[i + 1] = "c"
            rows.append(_head(y, "", "", "", la) + cells)
    return pd.DataFrame(rows, columns=HEAD + MEASURES[fn])


def _area_years(meta: pd.DataFrame, figures: dict):
    """Each year (newest first) and area (England, regions, then councils) that has figures: the
    year, the area's level, region code and name, its council row (None above council level) and
    its totals (rounded to 10 above council level, as the DfE publishes them)."""
    for y in sorted(YEARS, reverse=True):
        areas = [(level, rc, rn, members, None) for level, rc, rn, members in _area_rows(meta)]
        areas += [("Local authority", la["region_code"], la["region_name"], [code], la)
                  for code, la in meta.iterrows()]
        for level, rc, rn, members, la in areas:
            figs = [figures[m][y] for m in members if y in figures[m]]
            if figs:
                total = _sum_figures(figs) if la is not None else _round10(_sum_figures(figs))
                yield y, level, rc, rn, la, total


def _cla_numbers(meta, figures, pop: pd.DataFrame) -> pd.DataFrame:
    la_cols = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
               "region_code", "region_name", "old_la_code", "la_name", "new_la_code"]
    kinds = [("Children ceasing to be looked after each year", "cla_cease"),
             ("Children looked after on 31 March each year", "cla_at31"),
             ("Children starting to be looked after each year", "cla_start")]
    popl = pop.set_index(["time_period", "geographic_level", "region_name", "old_la_code"])[
        "population_estimate"]
    rows = []
    for y, level, rc, rn, la, total in _area_years(meta, figures):
        p = int(popl[(y - 1, level, rn if la is None else la["region_name"],
                      "" if la is None else la.name)])
        h = _head(y, level, rc, rn, la)
        h = h[:7] + [h[7], h[9], h[8]]  # this file has la_name before new_la_code
        for label, key in kinds:
            v = total[key]
            rows.append(h + [label, p, _cell(v, suppress=la is not None),
                             "c" if la is not None and 0 < v <= 5 else str(round(v / p * 1e4))])
    return pd.DataFrame(rows, columns=la_cols + ["population_type", "population_estimate",
                                                 "children_count", "rate_per_10000"])


def _stability(meta, figures) -> pd.DataFrame:
    la_cols = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
               "region_code", "region_name", "old_la_code", "la_name", "new_la_code"]
    groups = [(STABILITY_LT, "Living with the same carer for at least 2 years", "lt_stable", "lt_total"),
              (STABILITY_LT, "Total children", "lt_total", "lt_total"),
              ("CLA 2 years on 31 March", "Total children", "cla_2y", "cla_2y"),
              ("CLA 2 years on 31 March", "With 3 or more placements during the previous 2 years",
               "cla_2y_3plus", "cla_2y"),
              ("CLA on 31 March", "Total children", "cla_at31", "cla_at31"),
              ("CLA on 31 March", "With 3 or more placements during the year", "cla_3plus", "cla_at31")]
    rows = []
    for y, level, rc, rn, la, total in _area_years(meta, figures):
        h = _head(y, level, rc, rn, la)
        h = h[:7] + [h[7], h[9], h[8]]
        for group, measure, num, den in groups:
            v, d = total[num], total[den]
            small = la is not None and 0 < v <= 5
            pct = "z" if not d else ("c" if small else str(round(100 * v / d)))
            rows.append(h + [group, measure, "c" if small else str(v), pct])
    return pd.DataFrame(rows, columns=la_cols + ["cla_group", "placement_stability",
                                                 "children_count", "children_percent"])


def _neighbours(meta: pd.DataFrame, rng: np.random.Generator, jitter: float) -> tuple:
    """Ten nearest councils on made-up socio-economic features; closeness from the distance."""
    feats = np.random.default_rng(7).normal(size=(len(meta), 3))  # fixed features of each council
    feats[:, 0] += np.where(meta["london"], 2.0, 0.0)
    feats = feats + rng.normal(scale=jitter, size=feats.shape)
    d = np.sqrt(((feats[:, None, :] - feats[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1, kind="stable")[:, :10]
    dist = np.take_along_axis(d, nearest, axis=1)
    band = np.digitize(dist, np.quantile(dist, [0.25, 0.5, 0.75]))
    return nearest, band


def _sn_2021(meta: pd.DataFrame, rng) -> pd.DataFrame:
    nearest, band = _neighbours(meta, rng, 0.05)
    codes = meta.index.to_numpy()
    header = ["LA num", "LA Name", "LA number", "GOInd", "GOReg"]
    for k in range(1, 11):
        header += [f"SN{k}", "SNP"]
    rows = []
    for i, (code, la) in enumerate(meta.iterrows()):
        region = ("London (Inner)" if la["inner"] else "London (Outer)") if la["london"] else \
            la["region_name"].replace("The Humber", "the Humber")
        ind = 3 if la["london"] else dict((r[0], r[2]) for r in REGIONS)[la["region_code"]]
        row = [code, la["name"], code, ind, region]
        for k in range(10):
            row += [codes[nearest[i, k]], CLOSENESS_2021[band[i, k]]]
        rows.append(row + [""])  # the published file ends each line with a comma
    return pd.DataFrame(rows, columns=header + [""])


def _sn_2025(meta: pd.DataFrame, rng) -> pd.DataFrame:
    nearest, band = _neighbours(meta, rng, 0.3)
    codes = meta.index.to_numpy()
    header = ["old_la_code", "la_name", "region_ind", "region_name"]
    for k in range(1, 11):
        header += [f"SN_{k}", f"SN_{k}P"]
    rows = []
    for i, (code, la) in enumerate(meta.iterrows()):
        ind = 3 if la["london"] else dict((r[0], r[2]) for r in REGIONS)[la["region_code"]]
        row = [code, la["name"], ind, "London" if la["london"] else la["region_name"]]
        for k in range(10):
            row += [codes[nearest[i, k]], CLOSENESS_2025[band[i, k]]]
        rows.append(row)
    return pd.DataFrame(rows, columns=header)

