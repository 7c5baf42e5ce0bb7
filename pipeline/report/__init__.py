"""The indicator pack: HTML, PDF and XLSX built from one model of the pack (model.py).

`write_pack` is what `run.py` calls. Suppression is applied while the model is built, so the
three files show exactly the same figures.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path

from pipeline.report import charts, html, pdf, xlsx
from pipeline.report.model import Pack, build

log = logging.getLogger("lscb.report")

__all__ = ["write_pack", "build", "Pack"]


def write_pack(con, out_dir: Path, *, la_code: str, period_end: date, settings,
               manifest: dict) -> list[Path]:
    """Write indicator-pack.html, indicator-pack.pdf and indicator-tables.xlsx into out_dir."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts.use_store(con)
    try:
        pack = build(con, la_code=la_code, period_end=period_end, settings=settings,
                     manifest=manifest)
    finally:
        charts.release_store()
    paths = [html.write(pack, out_dir / "indicator-pack.html"),
             pdf.write(pack, out_dir / "indicator-pack.pdf"),
             xlsx.write(pack, out_dir / "indicator-tables.xlsx")]
    log.info("pack written: %d files, %d tables, in %.1f s", len(paths), len(pack.tables),
             time.perf_counter() - started)
    return paths
