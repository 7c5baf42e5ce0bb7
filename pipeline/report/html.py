"""The pack as one self-contained HTML file: inline CSS, charts as base64 PNG, no scripts."""

from __future__ import annotations

from pathlib import Path

import jinja2

from pipeline.report.model import Pack, fmt

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("pipeline.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True, lstrip_blocks=True,
)
_env.filters["cell"] = fmt


def render(pack: Pack) -> str:
    return _env.get_template("pack.html.j2").render(pack=pack)


def write(pack: Pack, path: Path) -> Path:
    path.write_text(render(pack), encoding="utf-8")
    return path
