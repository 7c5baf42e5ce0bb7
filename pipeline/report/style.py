"""The pack's one house style: afcharts-like colours and matplotlib settings, shared by every chart.

Analysis Function palette (afcharts / GSS guidance): dark blue, turquoise, dark pink, orange,
dark grey, light purple.
"""

from __future__ import annotations

PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE = PALETTE
GRID = "#D9D9D9"
TEXT = "#0B0C0C"

# Chart geometry: small PNGs at modest dpi keep ~50 charts within a few seconds.
FIGSIZE = (6.4, 2.8)
DPI = 80

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.spines.left": False,
    "axes.edgecolor": DARK_GREY,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "axes.prop_cycle": None,  # filled in below: cycler needs matplotlib imported
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "ytick.left": False,
    "legend.frameon": False,
    "savefig.dpi": DPI,
}


def rc_params() -> dict:
    """matplotlib rcParams of the house style."""
    from cycler import cycler

    return {**RC, "axes.prop_cycle": cycler(color=list(PALETTE))}


# Colours for SPC signals, as in NHS "Making Data Count": improvement blue, concern orange.
SIGNAL_COLOURS = {"improvement": DARK_BLUE, "concern": ORANGE, "neither": DARK_PINK,
                  "common": DARK_GREY}
