"""The pack's charts in matplotlib (Agg), in the house style of style.py, returned as PNG bytes.

One figure is reused for every chart and cleared between charts: creating ~50 figures costs more
than drawing them.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from pipeline.report import style  # noqa: E402
from pipeline.report.spc import XmR  # noqa: E402

_figure: Figure | None = None
_store = None  # the warehouse connection that keeps rendered charts between runs, if any
_used: set[str] = set()


def use_store(con) -> None:
    """Keep rendered charts in the warehouse (meta.chart_cache), keyed by everything drawn.

    A monthly refresh redraws the trend charts, but the annual comparison charts are the same from
    one month to the next: drawing them again was a third of the pack's time.
    """
    global _store
    _store = con
    _used.clear()
    try:
        con.execute("create table if not exists meta.chart_cache (key VARCHAR PRIMARY KEY, "
                    "png BLOB NOT NULL)")
    except Exception:  # a read-only warehouse (notebooks): draw without keeping
        _store = None


def _cached(draw):
    """Decorator: look the chart up by a digest of its arguments and the house style first."""
    def wrapper(*args, **kwargs):
        key = hashlib.sha256(repr((draw.__name__, args, sorted(kwargs.items()),
                                   sorted(style.RC.items()), style.FIGSIZE)).encode()).hexdigest()
        _used.add(key)
        if _store is not None:
            row = _store.execute("select png from meta.chart_cache where key = ?", [key]).fetchone()
            if row:
                return bytes(row[0])
        png = draw(*args, **kwargs)
        if _store is not None:
            _store.execute("insert or replace into meta.chart_cache values (?, ?)", [key, png])
        return png
    wrapper.__name__, wrapper.__doc__ = draw.__name__, draw.__doc__
    return wrapper


def release_store() -> None:
    """Forget the charts this pack did not use (the cache holds one pack's worth) and detach."""
    global _store
    if _store is not None and _used:
        _store.execute("delete from meta.chart_cache where not list_contains(?, key)",
                       [sorted(_used)])
    _store = None


def _fresh_figure(height: float) -> Figure:
    global _figure
    if _figure is None:
        with plt.rc_context(style.rc_params()):
            _figure = Figure(figsize=style.FIGSIZE, dpi=style.DPI)
    _figure.clear()
    _figure.set_size_inches(style.FIGSIZE[0], height)
    return _figure


def _title(fig: Figure, text: str) -> None:
    """A title aligned with the figure's left edge, as afcharts does."""
    fig.text(0.01, 0.985, text, ha="left", va="top", fontsize=10, fontweight="bold",
             color=style.TEXT)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # Fixed margins rather than bbox_inches="tight", which draws every chart twice.
    fig.savefig(buf, format="png", dpi=style.DPI)
    return buf.getvalue()


@_cached
def xmr_chart(title: str, dates: Sequence[date], values: Sequence[float | None], chart: XmR | None,
              variations: Sequence[str], *, unit: str, target: float | None = None) -> bytes:
    """An XmR chart: the monthly points (None = suppressed, left as a gap), mean and limits.

    `variations` gives, for each plotted (non-None) point, `common` or a special-cause meaning
    (`improvement`, `concern`, `neither`) that sets its colour.
    """
    with plt.rc_context(style.rc_params()):
        fig = _fresh_figure(style.FIGSIZE[1])
        ax = fig.add_subplot()
        ys = [float("nan") if v is None else v for v in values]
        ax.plot(dates, ys, color=style.DARK_GREY, linewidth=1.2, zorder=2)
        shown = [(d, v) for d, v in zip(dates, values) if v is not None]
        ax.scatter([d for d, _ in shown], [v for _, v in shown], s=18, zorder=3,
                   c=[style.SIGNAL_COLOURS[v] for v in variations])
        if chart is not None:
            ax.axhline(chart.mean, color=style.DARK_BLUE, linewidth=1, zorder=1)
            for limit in (chart.upper, chart.lower):
                ax.axhline(limit, color=style.DARK_BLUE, linewidth=0.8, linestyle="--", zorder=1)
        if target is not None:
            ax.axhline(target, color=style.TURQUOISE, linewidth=1.2, linestyle=":", zorder=1)
        if unit == "percent":
            ax.set_ylim(bottom=max(0, ax.get_ylim()[0]))
        _title(fig, title)
        fig.subplots_adjust(left=0.09, right=0.98, top=0.86, bottom=0.17)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(3, 6, 9, 12)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
        ax.tick_params(axis="x", labelsize=8)
        return _png(fig)


@_cached
def benchmark_chart(title: str, rows: Sequence[tuple[str, float, bool]], *, england: float | None,
                    london: float | None) -> bytes:
    """Horizontal bars of each council's value (the local council highlighted), with England and
    London as vertical lines. `rows` are (name, value, is_local), drawn top to bottom."""
    height = 0.9 + 0.22 * max(len(rows), 3)
    with plt.rc_context({**style.rc_params(), "axes.grid.axis": "x"}):
        fig = _fresh_figure(height)
        ax = fig.add_subplot()
        names = [r[0] for r in rows][::-1]
        vals = [r[1] for r in rows][::-1]
        colours = [style.DARK_BLUE if r[2] else "#A7B4C3" for r in rows][::-1]
        ax.barh(range(len(rows)), vals, color=colours, height=0.7)
        ax.set_yticks(range(len(rows)), names, fontsize=8)
        for value, label, colour, dash in ((england, "England", style.ORANGE, "-"),
                                           (london, "London", style.DARK_PINK, "--")):
            if value is not None:
                ax.axvline(value, color=colour, linewidth=1.5, linestyle=dash, label=label)
        if england is not None or london is not None:
            ax.legend(loc="upper left", fontsize=8, bbox_to_anchor=(0, -0.12 * 3.2 / height), ncols=2)
        _title(fig, title)
        inches = height
        fig.subplots_adjust(left=0.24, right=0.97, top=1 - 0.42 / inches, bottom=0.62 / inches)
        return _png(fig)
