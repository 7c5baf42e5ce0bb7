"""XmR (individuals) statistical process control charts, with NHS "Making Data Count" rules.

Centre line = mean of the points; moving range = |x_i - x_(i-1)|; natural process limits =
mean +/- 2.66 x mean moving range (2.66 = 3 / d2, d2 = 1.128 for ranges of two points).

Special-cause rules, as listed by NHS England / NHS Improvement, "Making Data Count: getting
started" (2019) and "Making Data Count: strengthening your decisions" (2019), section on
statistical process control:

1. ``outside``: a single point outside the natural process limits;
2. ``shift``: a run of 7 or more consecutive points all above, or all below, the mean
   (a point on the mean breaks the run);
3. ``trend``: 6 or more consecutive points all increasing, or all decreasing
   (equal neighbours break the run);
4. ``two_of_three``: 2 out of 3 consecutive points beyond two thirds of the way from the mean to
   a limit, on the same side (the third may be anywhere).

A point flagged by a rule is "high" or "low" (above or below the mean; for a trend, increasing
or decreasing). Its meaning follows the indicator's polarity: high is ``improvement`` when higher
is better, ``concern`` when lower is better, and ``neither`` for context indicators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

SCALING = 2.66
SHIFT_RUN = 7
TREND_RUN = 6

RULE_NAMES = {
    "outside": "a point outside the process limits",
    "shift": f"a run of {SHIFT_RUN} or more points on one side of the mean",
    "trend": f"{TREND_RUN} or more points steadily rising or falling",
    "two_of_three": "2 of 3 points close to a process limit",
}


@dataclass
class XmR:
    """An XmR chart of one series: the limits and, per point, the rules it triggers."""

    values: np.ndarray
    mean: float
    mean_moving_range: float
    upper: float
    lower: float
    moving_ranges: np.ndarray
    # per point: set of (rule, "high"|"low")
    signals: list[set[tuple[str, str]]] = field(default_factory=list)

    def point_variation(self, i: int, polarity: str) -> str:
        """`improvement`, `concern`, `neither` (special cause) or `common` for point i."""
        sides = {side for _rule, side in self.signals[i]}
        if not sides:
            return "common"
        return _meaning(sides, polarity)

    def latest_variation(self, polarity: str) -> str:
        return self.point_variation(len(self.values) - 1, polarity)

    def latest_rules(self) -> list[str]:
        return sorted({rule for rule, _side in self.signals[-1]})


def _meaning(sides: set[str], polarity: str) -> str:
    if polarity == "context" or len(sides) > 1:
        return "neither"
    side = next(iter(sides))
    better = "high" if polarity == "higher_is_better" else "low"
    return "improvement" if side == better else "concern"


def xmr(values: Sequence[float]) -> XmR:
    """Compute an XmR chart for the given points (in time order, no missing values).

    Needs at least two points (one moving range).
    """
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise ValueError("an XmR chart needs at least two points")
    if np.isnan(x).any():
        raise ValueError("an XmR chart cannot have missing points: drop them first")
    mr = np.abs(np.diff(x))
    mean, mr_bar = float(x.mean()), float(mr.mean())
    upper, lower = mean + SCALING * mr_bar, mean - SCALING * mr_bar
    signals: list[set[tuple[str, str]]] = [set() for _ in x]

    for i, v in enumerate(x):
        if v > upper:
            signals[i].add(("outside", "high"))
        elif v < lower:
            signals[i].add(("outside", "low"))

    side = np.sign(x - mean)
    _mark_runs(signals, side, SHIFT_RUN, "shift")

    step = np.sign(np.diff(x))
    # A trend of n points is n-1 steps in the same direction; mark every point of the run.
    start = 0
    for i in range(1, len(step) + 1):
        if i == len(step) or step[i] != step[start] or step[start] == 0:
            if step[start] != 0 and (i - start) + 1 >= TREND_RUN:
                for j in range(start, i + 1):
                    signals[j].add(("trend", "high" if step[start] > 0 else "low"))
            start = i

    near_high = mean + 2 / 3 * (upper - mean)
    near_low = mean - 2 / 3 * (mean - lower)
    for i in range(len(x) - 2):
        window = x[i:i + 3]
        for s, beyond in (("high", window > near_high), ("low", window < near_low)):
            if beyond.sum() >= 2:
                for j in np.flatnonzero(beyond):
                    signals[i + j].add(("two_of_three", s))

    return XmR(x, mean, mr_bar, upper, lower, mr, signals)


def _mark_runs(signals, side: np.ndarray, run: int, rule: str) -> None:
    start = 0
    for i in range(1, len(side) + 1):
        if i == len(side) or side[i] != side[start]:
            if side[start] != 0 and i - start >= run:
                for j in range(start, i):
                    signals[j].add((rule, "high" if side[start] > 0 else "low"))
            start = i
