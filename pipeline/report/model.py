"""The pack as data: sections, tables and charts, built once and rendered as HTML, PDF and XLSX.

Suppression happens here, before any renderer sees a number, so the three files cannot disagree
about what is hidden. Table cells are numbers (already rounded for display), symbol strings
(``c``, ``x`` and the published symbols) or plain text.
"""

from __future__ import annotations

import base64
import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from pipeline import catalogue
from pipeline.report import charts, data
from pipeline.report.spc import RULE_NAMES, XmR, xmr
from pipeline.report.suppression import NOT_AVAILABLE, SUPPRESSED, Rule

log = logging.getLogger("lscb.report")

Cell = str | int | float | None

UNIT_SUFFIX = {"percent": "%", "rate_per_10k": " per 10k", "count": ""}
WINDOW_LABEL = {"month": "in the month", "r12": "in the 12 months", "snapshot": "at month end"}
VARIATION_LABEL = {
    "improvement": "Special cause: improvement",
    "concern": "Special cause: concern",
    "neither": "Special cause (neither better nor worse)",
    "common": "Common cause",
    "none": "Not judged",
}


@dataclass
class Table:
    key: str  # the XLSX sheet name (31 characters at most, unique)
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""
    total_row: bool = False  # the last row is a total of the rows above


@dataclass
class Chart:
    alt: str
    request: charts.Request  # what to draw: `build` fills in `png` once all charts are known
    png: bytes = b""

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class IndicatorView:
    id: str
    title: str
    definition: str
    latest: str  # formatted for display
    window: str
    variation: str
    chart: Chart | None
    benchmark: Chart | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    indicators: list[IndicatorView] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Pack:
    title: str
    la_name: str
    la_code: str
    period_end: date
    period_label: str
    run_date: str
    sections: list[Section]

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]


def fmt(cell: Cell, unit: str = "count") -> str:
    """A cell as shown in the HTML and PDF."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return NOT_AVAILABLE
    if isinstance(cell, str):
        return cell
    if isinstance(cell, float) or unit in ("percent", "rate_per_10k"):
        return f"{cell:,.1f}"
    return f"{cell:,.0f}"


def display(value: float | None, unit: str) -> Cell:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    return round(float(value), 1) if unit != "count" else int(round(value))


def with_unit(cell: Cell, unit: str) -> str:
    text = fmt(cell, unit)
    return text + UNIT_SUFFIX[unit] if not isinstance(cell, str) else text


def chart_window(ind: catalogue.Indicator) -> str:
    for w in ("month", "r12", "snapshot"):
        if w in ind.windows:
            return w
    return ind.windows[0]


def _lc(title: str) -> str:
    """A title inside a sentence: lower-case its first word unless it is an acronym (MASH)."""
    first = title.split(" ", 1)[0]
    return title if first.isupper() else title[:1].lower() + title[1:]


def _month_label(d: date) -> str:
    return d.strftime("%B %Y")


def _shift_months(d: date, months: int) -> date:
    ts = pd.Timestamp(d) + pd.offsets.MonthEnd(months)
    return ts.date()


# --------------------------------------------------------------------------- indicators


@dataclass
class _Series:
    """One indicator's chart series with suppression applied."""

    ind: catalogue.Indicator
    window: str
    frame: pd.DataFrame  # period_end, numerator, denominator, value, hidden
    latest: Cell
    previous: Cell
    r12: Cell
    variation: str = "none"
    rules: list[str] = field(default_factory=list)
    xmr: XmR | None = None


def _denominator_is_count(ind: catalogue.Indicator) -> bool:
    return ind.unit == "percent"


def _series(pd_: data.PackData, ind: catalogue.Indicator, rule: Rule, trend_months: int) -> _Series:
    window = chart_window(ind)
    df = pd_.indicators
    rows = df[(df["indicator_id"] == ind.id) & (df["window"] == window)].copy()
    first = _shift_months(pd_.period_end, -(trend_months - 1))
    rows = rows[(rows["period_end"] >= first) & (rows["period_end"] <= pd_.period_end)]
    rows = rows.sort_values("period_end").reset_index(drop=True)
    rows["hidden"] = [
        rule.hides_indicator(ind.unit, _num(r.numerator), _num(r.denominator),
                             denominator_is_count=_denominator_is_count(ind))
        for r in rows.itertuples()]

    def at(d: date) -> Cell:
        hit = rows[rows["period_end"] == d]
        if hit.empty:
            return NOT_AVAILABLE
        r = hit.iloc[0]
        return SUPPRESSED if r["hidden"] else display(r["value"], ind.unit)

    latest = at(pd_.period_end)
    previous = at(_shift_months(pd_.period_end, -1))

    r12: Cell = None
    if window == "month" and "r12" in ind.windows:
        r12rows = df[(df["indicator_id"] == ind.id) & (df["window"] == "r12")
                     & (df["period_end"] == pd_.period_end)]
        if r12rows.empty:
            r12 = NOT_AVAILABLE
        else:
            r = r12rows.iloc[0]
            hidden = rule.hides_indicator(ind.unit, _num(r["numerator"]), _num(r["denominator"]),
                                          denominator_is_count=_denominator_is_count(ind))
            if ind.unit == "count" and not hidden:
                # The 12-month total minus the months shown on the chart gives the hidden months.
                start = _shift_months(pd_.period_end, -11)
                in_year = rows[(rows["period_end"] >= start)]
                hidden = rule.decomposable(list(in_year.loc[in_year["hidden"], "numerator"]))
            r12 = SUPPRESSED if hidden else display(r["value"], ind.unit)

    return _Series(ind, window, rows, latest, previous, r12)


def _judge(s: _Series, period_end: date) -> None:
    """XmR over the points that are shown (a hidden point must not move the limits either: the
    mean of 24 points less the 23 shown would give it back), and the latest month's variation."""
    rows = s.frame
    rows["variation"] = None
    visible = rows[~rows["hidden"] & rows["value"].notna()]
    if len(visible) < 2:
        return
    s.xmr = xmr(visible["value"].astype(float).tolist())
    rows.loc[visible.index, "variation"] = [s.xmr.point_variation(i, s.ind.polarity)
                                            for i in range(len(visible))]
    if rows.iloc[-1]["period_end"] == period_end and rows.index[-1] == visible.index[-1]:
        s.variation, s.rules = s.xmr.latest_variation(s.ind.polarity), s.xmr.latest_rules()


def _num(v) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return None
    return float(v)


def _xmr_chart(s: _Series, target: float | None) -> Chart | None:
    rows = s.frame
    chart = s.xmr
    if chart is None:
        return None
    values = [None if (h or pd.isna(v)) else float(v) for v, h in zip(rows["value"], rows["hidden"])]
    variations = [rows.at[i, "variation"] for i, v in zip(rows.index, values) if v is not None]
    title = f"{s.ind.title}, {WINDOW_LABEL[s.window]}"
    limits = (chart.mean, chart.lower, chart.upper)
    request = charts.Request("xmr_chart", (title, list(rows["period_end"]), values, limits,
                                           variations), {"unit": s.ind.unit, "target": target})
    n_hidden = int(rows["hidden"].sum())
    first, last = rows["period_end"].iloc[0], rows["period_end"].iloc[-1]
    latest_text = (f"the latest value, for {_month_label(last)}, is "
                   f"{with_unit(s.latest, s.ind.unit)}" if s.latest not in (SUPPRESSED, NOT_AVAILABLE)
                   else f"the value for {_month_label(last)} is not shown")
    alt = (f"XmR chart of {_lc(s.ind.title)} {WINDOW_LABEL[s.window]}, monthly from "
           f"{_month_label(first)} to {_month_label(last)}: {latest_text}; mean "
           f"{fmt(round(chart.mean, 1), s.ind.unit)}, process limits "
           f"{fmt(round(chart.lower, 1), s.ind.unit)} to {fmt(round(chart.upper, 1), s.ind.unit)}"
           f"; latest month: {VARIATION_LABEL[s.variation].lower()}.")
    if n_hidden:
        alt += f" {n_hidden} months are left out because the count was from 1 to 5."
    if target is not None:
        alt += f" Target {fmt(target, s.ind.unit)}."
    return Chart(alt, request)


def _target_state(value: Cell, target: float | None, polarity: str) -> str | None:
    if target is None or isinstance(value, str):
        return None
    if polarity == "higher_is_better":
        return "meets" if value >= target else "misses"
    if polarity == "lower_is_better":
        return "meets" if value <= target else "misses"
    return None


def _change_sentence(s: _Series) -> str | None:
    unit = s.ind.unit
    if isinstance(s.latest, str) or isinstance(s.previous, str):
        return None
    a, b = with_unit(s.previous, unit), with_unit(s.latest, unit)
    name = s.ind.title.replace(" (%)", "")
    if s.latest == s.previous:
        return f"{name} was unchanged at {b}."
    verb = "rose" if s.latest > s.previous else "fell"
    return f"{name} {verb} from {a} to {b}."


# --------------------------------------------------------------------------- benchmarks


def _benchmark(pd_: data.PackData, ind: catalogue.Indicator, rule: Rule
               ) -> tuple[list[Cell] | None, Chart | None]:
    """The latest year ending March: a table row and the neighbours chart."""
    bm = pd_.benchmarks
    if bm is None or bm.empty or not ind.benchmark:
        return None, None
    rows = bm[bm["indicator_id"] == ind.id].copy()
    if rows.empty:
        return None, None
    rows["year_ending"] = pd.to_datetime(rows["year_ending"]).dt.date
    r = rows.sort_values("year_ending").iloc[-1]
    year = r["year_ending"]
    local = display(_num(r["local_value"]), ind.unit)
    if r.get("local_source") == "computed" and not isinstance(local, str):
        window = "snapshot" if "snapshot" in ind.windows else "r12"
        m = pd_.indicators
        hit = m[(m["indicator_id"] == ind.id) & (m["window"] == window) & (m["period_end"] == year)]
        if not hit.empty and rule.hides_indicator(
                ind.unit, _num(hit.iloc[0]["numerator"]), _num(hit.iloc[0]["denominator"]),
                denominator_is_count=_denominator_is_count(ind)):
            local = SUPPRESSED
        elif ind.unit == "count" and rule.is_small(_num(r["local_value"])):
            local = SUPPRESSED
    n = _num(r.get("sn_n"))
    row: list[Cell] = [ind.title, year.isoformat(), local,
                       display(_num(r.get("sn_mean")), ind.unit),
                       display(_num(r.get("sn_median")), ind.unit),
                       int(n) if n is not None else NOT_AVAILABLE,
                       display(_num(r.get("london")), ind.unit),
                       display(_num(r.get("england")), ind.unit),
                       str(r.get("quartile_band")) if pd.notna(r.get("quartile_band")) else NOT_AVAILABLE]

    pub = pd_.neighbours
    keys = {ind.id, ind.benchmark}
    pub = pub[pub["indicator_id"].isin(keys) & (pub["year_ending"] == year)] if not pub.empty else pub
    bars: list[tuple[str, float, bool]] = []
    if not pub.empty:
        la = pub[(pub["area_level"] == "la") & pub["la_code"].isin(pd_.neighbour_codes)
                 & pub["value"].notna()]
        bars = [(str(x.area_name), float(x.value), False) for x in la.itertuples()]
    if not isinstance(local, str):
        bars.append((pd_.la_name, float(local), True))
    if len(bars) < 2:
        return row, None
    bars.sort(key=lambda b: -b[1])
    eng, lon = _num(r.get("england")), _num(r.get("london"))
    title = f"{ind.title}: year ending {year:%B %Y}"
    request = charts.Request("benchmark_chart", (title, bars), {"england": eng, "london": lon})
    alt = (f"Bar chart of {_lc(ind.title)} for {pd_.la_name} and {len(bars) - 1} statistical "
           f"neighbours, year ending {year:%d %B %Y}: {pd_.la_name} "
           + (f"{with_unit(local, ind.unit)}" if not isinstance(local, str) else "not shown")
           + (f", England {fmt(eng, ind.unit)}" if eng is not None else "")
           + (f", London {fmt(lon, ind.unit)}" if lon is not None else "") + ".")
    return row, Chart(alt, request)


# --------------------------------------------------------------------------- breakdowns


def _breakdown_table(name: str, df: pd.DataFrame | None, rule: Rule, key: str,
                     period_end: date) -> tuple[Table, dict[str, float]]:
    """A breakdown with its total, and the hidden cells (category -> count) for cross-checks."""
    title = f"{data.BREAKDOWNS[name]}, {_month_label(period_end)}"
    columns = ["Category", "Count", "Percent of total"]
    if df is None or df.empty:
        note = ("Not available: this breakdown is not in the warehouse." if df is None
                else "No records for this month.")
        return Table(key, title, columns, [], note), {}
    counts = [float(v) for v in df["count"]]
    hide, hide_total = rule.suppress_group(counts)
    total = sum(counts)
    rows: list[list[Cell]] = []
    for cat, v, h in zip(df["category"], counts, hide):
        pct = round(100 * v / total, 1) if total else NOT_AVAILABLE
        rows.append([cat, SUPPRESSED if h else int(v), SUPPRESSED if (h or hide_total) else pct])
    rows.append(["Total", SUPPRESSED if hide_total else int(total), SUPPRESSED if hide_total else 100.0])
    hidden = {c: v for c, v, h in zip(df["category"], counts, hide) if h}
    note = ""
    if hidden:
        note = ("c: a count from 1 to 5, or a further cell hidden so that it cannot be worked out "
                "from the total.")
    return Table(key, title, columns, rows, note, total_row=True), hidden


# --------------------------------------------------------------------------- the pack


def build(con, *, la_code: str, period_end: date, settings, manifest: dict) -> Pack:
    """Read the warehouse and assemble every section of the pack."""
    rule = Rule.from_settings(settings)
    pd_ = data.load(con, la_code=la_code, period_end=period_end, sn_model=settings.sn_model)
    inds = catalogue.load()
    targets = dict(getattr(settings, "targets", {}) or {})
    run_started = manifest.get("run_started_at") or datetime.now()
    run_date = str(run_started)[:10]

    breakdown_tables: dict[str, Table] = {}
    hidden_cells: dict[str, dict[str, float]] = {}
    for i, name in enumerate(data.BREAKDOWNS):
        t, hidden = _breakdown_table(name, pd_.breakdowns[name], rule, f"B{i + 1} {name}"[:31],
                                     period_end)
        breakdown_tables[name], hidden_cells[name] = t, hidden

    series = {ind.id: _series(pd_, ind, rule, settings.trend_months) for ind in inds}
    _hide_linked(series, pd_, hidden_cells, rule)
    for s in series.values():
        _judge(s, period_end)

    summary_rows, changes = [], []
    # The board reads concerns first, then improvements, then unusual movement in context figures.
    flagged: dict[str, list[str]] = {"concern": [], "improvement": [], "neither": []}
    for ind in inds:
        s = series[ind.id]
        target = targets.get(ind.id)
        state = _target_state(s.latest, target, ind.polarity)
        prev_state = _target_state(s.previous, target, ind.polarity)
        summary_rows.append([ind.title, WINDOW_LABEL[s.window], s.latest, s.previous,
                             VARIATION_LABEL[s.variation],
                             target if target is not None else "",
                             {"meets": "Meets target", "misses": "Misses target"}.get(state, "")])
        reasons = []
        group = None
        if s.variation not in ("common", "none"):
            why = " and ".join(RULE_NAMES[r] for r in s.rules)
            reasons.append(f"shows special-cause variation ({s.variation}: {why})")
            group = s.variation
        if state == "misses":
            reasons.append(f"misses its target of {with_unit(target, ind.unit)}")
            group = "concern"
        elif state and prev_state and state != prev_state:
            reasons.append(f"now meets its target of {with_unit(target, ind.unit)}")
            group = group or "improvement"
        if reasons:
            flagged[group].append(f"{ind.title}: {with_unit(s.latest, ind.unit)} in "
                                  f"{_month_label(period_end)}; " + "; ".join(reasons) + ".")
        sentence = _change_sentence(s)
        if sentence:
            changes.append(sentence)

    summary = Section("summary", "Summary")
    summary.paragraphs.append(
        f"Indicator pack for {pd_.la_name} ({la_code}), {_month_label(period_end)}. "
        f"Charts are XmR charts of up to {settings.trend_months} months; counts from "
        f"{rule.lo} to {rule.hi}, and figures derived from them, are shown as c.")
    headings = {
        "concern": "Needs attention this month (special cause of concern, or target missed):",
        "improvement": "Improving (special cause of improvement, or target now met):",
        "neither": "Unusual movement in context indicators (neither better nor worse):",
    }
    if not any(flagged.values()):
        summary.paragraphs.append("No indicator shows special-cause variation or misses its "
                                  "target this month.")
    for group, heading in headings.items():
        if flagged[group]:
            summary.paragraphs.append(heading)
            summary.paragraphs += [f"- {f}" for f in flagged[group]]
    summary.paragraphs.append("What changed since last month:" if changes
                              else "No month-on-month changes can be shown.")
    summary.paragraphs += [f"- {c}" for c in changes]
    summary.tables.append(Table("Summary", f"All indicators, {_month_label(period_end)}",
                                ["Indicator", "Measure", "Latest", "Previous month", "Variation",
                                 "Target", "Against target"], summary_rows))
    sections = [summary]

    area_breakdowns = {"front_door": ["contacts_by_source", "contacts_by_outcome"],
                       "referrals": [], "child_protection": ["cp_plans_by_category"],
                       "looked_after": ["cla_by_placement_type", "cla_by_legal_status",
                                        "cla_placements_count"]}
    for n, (area, area_title) in enumerate(catalogue.AREAS.items(), start=1):
        sec = Section(area, area_title)
        ind_rows, bm_rows = [], []
        for ind in (i for i in inds if i.area == area):
            s = series[ind.id]
            target = targets.get(ind.id)
            bm_row, bm_chart = _benchmark(pd_, ind, rule)
            if bm_row:
                bm_rows.append(bm_row)
            view = IndicatorView(ind.id, ind.title, ind.definition, with_unit(s.latest, ind.unit),
                                 WINDOW_LABEL[s.window], VARIATION_LABEL[s.variation],
                                 _xmr_chart(s, target), bm_chart)
            n_hidden = int(s.frame["hidden"].sum()) if not s.frame.empty else 0
            if n_hidden:
                view.notes.append(f"{n_hidden} months not plotted: the figure was a count from "
                                  f"{rule.lo} to {rule.hi} or derived from one.")
            if view.chart is None:
                view.notes.append("Too few months with a value to draw a chart.")
            sec.indicators.append(view)
            ind_rows.append([ind.title, WINDOW_LABEL[s.window], s.latest, s.previous,
                             s.r12 if s.r12 is not None else "", VARIATION_LABEL[s.variation]])
        sec.tables.append(Table(f"{n} {area} latest"[:31], f"{area_title}: latest values",
                                ["Indicator", "Measure", "Latest", "Previous month",
                                 "12 months to date", "Variation"], ind_rows))
        if bm_rows:
            sec.tables.append(Table(f"{n} {area} comparison"[:31],
                                    f"{area_title}: comparison with statistical neighbours, "
                                    "London and England (latest year ending March)",
                                    ["Indicator", "Year ending", pd_.la_name, "Neighbours mean",
                                     "Neighbours median", "Neighbours with data", "London",
                                     "England", "Quartile band"], bm_rows))
        elif pd_.benchmarks is None:
            sec.paragraphs.append("Comparisons with neighbours are not available: the benchmarks "
                                  "were not built in this run.")
        sec.tables += [breakdown_tables[b] for b in area_breakdowns[area]]
        sections.append(sec)

    sections.append(_data_quality(pd_, manifest, inds, rule))
    # All charts at once, so that those not cached can be drawn in parallel.
    pack_charts = [c for sec in sections for view in sec.indicators
                   for c in (view.chart, view.benchmark) if c]
    for c, png in zip(pack_charts, charts.draw_all([c.request for c in pack_charts])):
        c.png = png
    log.info("pack: %d sections, %d tables, %d indicators flagged", len(sections),
             sum(len(s.tables) for s in sections), sum(len(v) for v in flagged.values()))
    return Pack(f"Safeguarding children indicator pack: {pd_.la_name}", pd_.la_name, la_code,
                period_end, _month_label(period_end), run_date, sections)


def _hide_linked(series: dict[str, _Series], pd_: data.PackData,
                 hidden_cells: dict[str, dict[str, float]], rule: Rule) -> None:
    """Hide a latest percentage that would give back a hidden breakdown cell.

    E.g. the share with 3+ placements times the number looked after is the "3+" cell of the
    placements breakdown: if that cell is hidden, the percentage must be too.
    """
    for name, hidden in hidden_cells.items():
        if not hidden:
            continue
        total = sum(float(v) for v in pd_.breakdowns[name]["count"])
        for s in series.values():
            if s.ind.unit != "percent" or isinstance(s.latest, str):
                continue
            r = s.frame[s.frame["period_end"] == pd_.period_end]
            if r.empty:
                continue
            num, den = _num(r.iloc[0]["numerator"]), _num(r.iloc[0]["denominator"])
            if den == total and ({num, den - num} & set(hidden.values())):
                s.latest = SUPPRESSED
                s.frame.loc[r.index, "hidden"] = True


def _data_quality(pd_: data.PackData, manifest: dict, inds, rule: Rule) -> Section:
    sec = Section("data_quality", "Data quality")
    sec.paragraphs.append(
        "Files loaded in this run, indicators that could not be computed, and how the computed "
        "figures compare with those the DfE published. Row counts here count records in files, "
        "not children.")
    # The run's inputs of this council (and those of no council): a hub runs many councils' drops.
    inputs = [i for i in manifest.get("inputs") or [] if i.get("la_code") in (pd_.la_code, None)]
    cols = ["source_file", "extract", "status", "rows_read", "rows_loaded", "rows_rejected",
            "rows_flagged"]
    if inputs:
        rows = [[_cell(i.get(c)) for c in cols] for i in inputs]
    else:
        lf = pd_.loaded_files
        rows = [[_cell(r.get(c)) if c != "status" else "loaded earlier" for c in cols]
                for r in lf.to_dict("records")]
    sec.tables.append(Table("Files loaded", "Files loaded",
                            ["File", "Extract", "Status", "Rows read", "Rows loaded",
                             "Rows rejected", "Rows flagged"], rows,
                            "" if rows else "No files were loaded."))

    by_id = {i.id: i for i in inds}
    av = pd_.availability
    missing_rows = []
    if not av.empty:
        for r in av[~av["is_available"].astype(bool)].itertuples():
            ind = by_id.get(r.indicator_id)
            missing_rows.append([ind.title if ind else r.indicator_id, r.indicator_id,
                                 str(r.reason) if pd.notna(r.reason) else "No reason given"])
    listed = {r[1] for r in missing_rows}
    present = set(pd_.indicators["indicator_id"]) if not pd_.indicators.empty else set()
    for ind in inds:
        if ind.id not in present and ind.id not in listed:
            missing_rows.append([ind.title, ind.id, "No values in the warehouse for this council "
                                                    "and period."])
    sec.tables.append(Table("Indicators missing", "Indicators not available and why",
                            ["Indicator", "Indicator id", "Reason"], missing_rows,
                            "" if missing_rows else "Every indicator of the catalogue is available."))

    rec = pd_.reconciliation
    rec_rows = []
    if rec is not None and not rec.empty:
        for r in rec.sort_values(["indicator_id", "year_ending"]).to_dict("records"):
            ind = by_id.get(r["indicator_id"])
            unit = ind.unit if ind else "percent"
            computed = display(_num(r["computed"]), unit)
            hidden = unit == "count" and rule.is_small(_num(r["computed"]))
            rec_rows.append([ind.title if ind else r["indicator_id"],
                             str(pd.Timestamp(r["year_ending"]).date()),
                             SUPPRESSED if hidden else computed,
                             display(_num(r["published"]), unit),
                             SUPPRESSED if hidden else display(_num(r["difference"]), unit),
                             SUPPRESSED if hidden else display(_num(r["percent_difference"]),
                                                               "percent")])
    sec.tables.append(Table("Reconciliation", "Reconciliation with published figures",
                            ["Indicator", "Year ending", "Computed", "Published", "Difference",
                             "Difference (%)"], rec_rows,
                            "" if rec_rows else "Not available: no reconciliation in this run."))

    dq = pd_.data_quality
    dq_rows = []
    if not dq.empty and {"source_file", "rule", "severity"} <= set(dq.columns):
        grouped = dq.groupby(["source_file", "rule", "severity"], dropna=False).size()
        dq_rows = [[f, r, s, int(n)] for (f, r, s), n in grouped.items()]
    sec.tables.append(Table("Data quality rules", "Rows rejected or flagged, by file and rule",
                            ["File", "Rule", "Severity", "Rows"], dq_rows,
                            "" if dq_rows else "No rows were rejected or flagged."))
    return sec


def _cell(v) -> Cell:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, (int, float, str)):
        return v
    if hasattr(v, "item"):  # numpy scalars
        return _cell(v.item())
    return str(v)
