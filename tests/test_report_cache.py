"""Rendered charts are kept in the warehouse, so a refresh does not redraw what has not changed."""

from __future__ import annotations

from pipeline import warehouse
from pipeline.report import drawing, write_pack
from test_report_warehouse import LA, MANIFEST, PERIOD_END, build_fixture_warehouse, settings


def test_second_pack_draws_nothing_and_is_the_same(tmp_path, monkeypatch):
    con = warehouse.connect()
    build_fixture_warehouse(con)
    write_pack(con, tmp_path / "a", la_code=LA, period_end=PERIOD_END, settings=settings(),
               manifest=MANIFEST)
    kept = con.execute("select count(*) from meta.chart_cache").fetchone()[0]
    assert kept > 0

    drawn = []
    original = drawing._png
    monkeypatch.setattr(drawing, "_png", lambda fig: drawn.append(1) or original(fig))
    write_pack(con, tmp_path / "b", la_code=LA, period_end=PERIOD_END, settings=settings(),
               manifest=MANIFEST)
    assert drawn == []
    assert (tmp_path / "a" / "indicator-pack.html").read_bytes() == \
        (tmp_path / "b" / "indicator-pack.html").read_bytes()
    assert con.execute("select count(*) from meta.chart_cache").fetchone()[0] == kept


def test_a_changed_figure_is_drawn_again_and_the_old_chart_dropped(tmp_path):
    con = warehouse.connect()
    build_fixture_warehouse(con)
    write_pack(con, tmp_path / "a", la_code=LA, period_end=PERIOD_END, settings=settings(),
               manifest=MANIFEST)
    before = set(k for (k,) in con.execute("select key from meta.chart_cache").fetchall())
    con.execute("update marts.indicators set value = value + 1 "
                "where indicator_id = 'mash_contacts' and period_end = ?", [PERIOD_END])
    write_pack(con, tmp_path / "b", la_code=LA, period_end=PERIOD_END, settings=settings(),
               manifest=MANIFEST)
    after = set(k for (k,) in con.execute("select key from meta.chart_cache").fetchall())
    assert after != before and len(after) == len(before)
