"""Small-number suppression for the pack, as the DfE does in its statistical releases.

Primary suppression: a count from `lo` to `hi` (1 to 5 by default) is shown as ``c``, and so is a
percentage or rate whose numerator, denominator or complement (denominator - numerator) is such a
count. Zero is shown: it identifies no child.

Secondary suppression: where cells add up to a total that is shown (or known from elsewhere in the
pack), hiding one cell is not enough, since it can be recovered by subtraction. The next smallest
cell is hidden as well, and again until the hidden cells' total cannot be split back into the
individual counts (a total of k cells is decomposable when every hidden cell is a small count and
the total is k x lo or k x hi, e.g. two hidden cells adding up to 2 must both be 1).

This module works on numbers only; the pack's tables are built from its results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

SUPPRESSED = "c"
NOT_AVAILABLE = "x"
SYMBOLS = {
    SUPPRESSED: "Suppressed: a count from 1 to 5, or a figure derived from one, or a figure that "
                "would let such a count be worked out (secondary suppression), as the DfE does.",
    NOT_AVAILABLE: "Not available: the data for this figure were not loaded, or the published "
                   "source has no value.",
    "z": "Not applicable (published symbol).",
    "k": "Fewer than 0.5 (published symbol).",
    "low": "A low number (published symbol).",
    "u": "Low reliability (published symbol).",
    ":": "Not available (published symbol).",
    "..": "Not available (published symbol).",
}


@dataclass(frozen=True)
class Rule:
    """The range of counts that must not be shown."""

    lo: int = 1
    hi: int = 5

    @classmethod
    def from_settings(cls, settings) -> "Rule":
        return cls(int(settings.suppress_min), int(settings.suppress_max))

    def is_small(self, count: float | None) -> bool:
        """True when the count lies in the suppressed range."""
        if count is None or _isnan(count):
            return False
        return self.lo <= count <= self.hi

    def hides_ratio(self, numerator: float | None, denominator: float | None) -> bool:
        """True when a percentage or rate built from these counts must be suppressed.

        The complement is checked too: 98% of 100 reveals that 2 did not.
        """
        if self.is_small(numerator) or self.is_small(denominator):
            return True
        if numerator is None or denominator is None or _isnan(numerator) or _isnan(denominator):
            return False
        return self.is_small(denominator - numerator)

    def hides_indicator(self, unit: str, numerator: float | None,
                        denominator: float | None, *, denominator_is_count: bool) -> bool:
        """Whether an indicator value from marts.indicators is shown as ``c``.

        A count's value is its numerator. A rate per 10,000's denominator is a population, never
        small, and its complement is meaningless, so only the numerator is checked.
        """
        if unit == "count" or not denominator_is_count:
            return self.is_small(numerator)
        return self.hides_ratio(numerator, denominator)

    def decomposable(self, hidden: Sequence[float]) -> bool:
        """Whether the individual hidden counts can be recovered from their total alone."""
        if not hidden:
            return False
        if len(hidden) == 1:
            return True
        if not all(self.is_small(v) for v in hidden):
            return False
        total = sum(hidden)
        return total in (len(hidden) * self.lo, len(hidden) * self.hi)

    def suppress_with_total(self, counts: Sequence[float | None]) -> list[bool]:
        """Which cells of a group adding up to a known total must be hidden.

        Primary: every small count. Secondary: while the hidden cells could be recovered from the
        total, also hide the smallest shown cell that is above zero (ties: the first).
        """
        hide = [self.is_small(v) for v in counts]
        while any(hide) and self.decomposable([v for v, h in zip(counts, hide) if h]):
            candidates = [(v, i) for i, (v, h) in enumerate(zip(counts, hide))
                          if not h and v is not None and not _isnan(v) and v > 0]
            if not candidates:
                break
            hide[min(candidates)[1]] = True
        return hide

    def suppress_group(self, counts: Sequence[float | None]) -> tuple[list[bool], bool]:
        """Cells to hide in a group shown with its total, and whether the total must go too.

        The total is hidden when it is itself small, or when the hidden cells would still be
        recoverable from it (e.g. cells 5 and 5 of total 10 with nothing else to hide).
        """
        hide = self.suppress_with_total(counts)
        total = sum(v for v in counts if v is not None and not _isnan(v))
        hidden = [v for v, h in zip(counts, hide) if h]
        return hide, self.is_small(total) or self.decomposable(hidden)


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)
