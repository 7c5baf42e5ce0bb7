"""Both notebooks execute against a fixture warehouse file, read-only, and are committed clean."""

from __future__ import annotations

import json

import pytest

from pipeline import notebooks, warehouse
from test_report_warehouse import LA, PERIOD_END, build_fixture_warehouse


@pytest.mark.slow
def test_notebooks_execute_against_a_warehouse_file(tmp_path):
    db = tmp_path / "lscb.duckdb"
    con = warehouse.connect(db)
    build_fixture_warehouse(con)
    con.close()
    paths = notebooks.execute(db, tmp_path / "out", la_code=LA, period_end=PERIOD_END, timeout=120)
    names = sorted(p.name for p in paths)
    assert names == ["explore-warehouse.html", "pack-section-child-protection.html"]
    cp = (tmp_path / "out" / "notebooks" / "pack-section-child-protection.html").read_text()
    assert "Children subject to a child protection plan" in cp
    assert "data:image/png;base64" in cp  # the pack's charts were drawn
    assert "Traceback" not in cp
    explore = (tmp_path / "out" / "notebooks" / "explore-warehouse.html").read_text()
    assert "latest month: concern" in explore  # 81.0% after ~70%: the fixture's special cause


def test_notebooks_are_committed_without_outputs():
    paths = sorted(notebooks.NOTEBOOK_DIR.glob("*.ipynb"))
    assert {p.name for p in paths} >= {"explore-warehouse.ipynb",
                                       "pack-section-child-protection.ipynb"}
    for p in paths:
        nb = json.loads(p.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, p.name


@pytest.mark.slow
def test_notebooks_execute_against_the_demo_council(demo_run, tmp_path):
    """The same notebooks, through the CLI step `make demo` uses, on the demo council's warehouse."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "notebooks", "--db", str(demo_run["db"]), "--la", "311",
         "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("explore-warehouse.html", "pack-section-child-protection.html"):
        assert "Traceback" not in (tmp_path / "notebooks" / name).read_text(), name
    cp = (tmp_path / "notebooks" / "pack-section-child-protection.html").read_text()
    assert "Children subject to a child protection plan" in cp
    assert "data:image/png;base64" in cp
