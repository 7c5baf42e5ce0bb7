"""The pack's charts drawn with matplotlib (Agg), in the house style of style.py, as PNG bytes.

charts.py decides what to draw and calls these functions; this module (and matplotlib) is imported
only when a chart has to be drawn, not when every chart of the pack is already in the cache.

Figures are reused rather than created for each chart (creating ~50 figures costs more than
drawing them). They have their own Agg canvas, so pyplot (made for interactive use) is not needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import matplotlib
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from pipeline.report import style

_figure: Figure | None = None  # the comparison charts' figure, cleared for each chart
_xmr: tuple[Figure, Axes, Text] | None = None  # the XmR charts' figure, axes and title


def _fresh_figure(height: float) -> Figure:
    global _figure
    if _figure is None:
        with matplotlib.rc_context(style.rc_params()):
            _figure = Figure(figsize=style.FIGSIZE, dpi=style.DPI)
        FigureCanvasAgg(_figure)
    _figure.clear()
    _figure.set_size_inches(style.FIGSIZE[0], height)
    return _figure


def _xmr_figure() -> tuple[Figure, Axes, Text]:
    """The figure of every XmR chart, made once: each chart replaces only the data drawn on it.

    All XmR charts have the same size, margins and axis formats. Clearing the figure and making
    new axes (with new ticks and tick labels) for each chart was a third of its time.
    """
    global _xmr
    if _xmr is None:
        fig = Figure(figsize=style.FIGSIZE, dpi=style.DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        title = _title(fig, "")
        fig.subplots_adjust(left=0.09, right=0.98, top=0.86, bottom=0.17)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(3, 6, 9, 12)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
        ax.tick_params(axis="x", labelsize=8)
        _xmr = fig, ax, title
    return _xmr


def _title(fig: Figure, text: str) -> Text:
    """A title aligned with the figure's left edge, as afcharts does."""
    return fig.text(0.01, 0.985, text, ha="left", va="top", fontsize=10, fontweight="bold",
                    color=style.TEXT)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # Fixed margins rather than bbox_inches="tight", which draws every chart twice.
    fig.savefig(buf, format="png", dpi=style.DPI)
    return buf.getvalue()


def xmr_chart(title: str, dates: Sequence[date], values: Sequence[float | None],
              limits: tuple[float, float, float] | None, variations: Sequence[str], *, unit: str,
              target: float | None = None) -> bytes:
    """An XmR chart: the monthly points (None = suppressed, left as a gap), mean and limits.

    `limits` are the XmR chart's (mean, lower limit, upper limit). `variations` gives, for each
    plotted (non-None) point, `common` or a special-cause meaning (`improvement`, `concern`,
    `neither`) that sets its colour.
    """
    with matplotlib.rc_context(style.rc_params()):
        fig, ax, heading = _xmr_figure()
        for artist in [*ax.lines, *ax.collections]:  # the previous chart's
            artist.remove()
        ax.relim()
        ax.set_autoscale_on(True)  # set_ylim below turns it off
        ys = [float("nan") if v is None else v for v in values]
        ax.plot(dates, ys, color=style.DARK_GREY, linewidth=1.2, zorder=2)
        shown = [(d, v) for d, v in zip(dates, values) if v is not None]
        ax.scatter([d for d, _ in shown], [v for _, v in shown], s=18, zorder=3,
                   c=[style.SIGNAL_COLOURS[v] for v in variations])
        if limits is not None:
            mean, lower, upper = limits
            ax.axhline(mean, color=style.DARK_BLUE, linewidth=1, zorder=1)
            for limit in (upper, lower):
                ax.axhline(limit, color=style.DARK_BLUE, linewidth=0.8, linestyle="--", zorder=1)
        if target is not None:
            ax.axhline(target, color=style.TURQUOISE, linewidth=1.2, linestyle=":", zorder=1)
        if unit == "percent":
            ax.set_ylim(bottom=max(0, ax.get_ylim()[0]))
        heading.set_text(title)
        return _png(fig)


def benchmark_chart(title: str, rows: Sequence[tuple[str, float, bool]], *, england: float | None,
                    london: float | None) -> bytes:
    """Horizontal bars of each council's value (the local council highlighted), with England and
    London as vertical lines. `rows` are (name, value, is_local), drawn top to bottom."""
    height = 0.9 + 0.22 * max(len(rows), 3)
    with matplotlib.rc_context({**style.rc_params(), "axes.grid.axis": "x"}):
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
