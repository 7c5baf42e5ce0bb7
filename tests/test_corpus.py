"""The corpus of bad inputs (tests/corpus/cases.py): every case gets its documented behaviour.

Each case is built in its own tmp folder and ingested into an in-memory warehouse. Loaded cases check
the accounting (rows read = loaded + rejected), the data-quality rows and stored values; skipped
cases the reason in the manifest; fatal cases the InputError's file, sheet, row, column and rule and
that nothing was written.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from corpus.cases import CASES, Fatal, Loaded, Skipped
from pipeline.errors import InputError
from pipeline.ingest import ingest
from pipeline.warehouse import connect


def _params():
    for case in CASES:  # a list, so that pytest keeps the order
        marks = []
        if case.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
        yield pytest.param(case, id=case.id, marks=marks)


def _nothing_written(con) -> bool:
    tables = ["meta.loaded_files", "meta.data_quality", "raw.mash_contacts",
              "raw.merlin_notifications", "raw.annex_a_referrals", "raw.annex_a_cp_plans",
              "raw.annex_a_contacts", "raw.ssda903_header", "raw.ssda903_episodes"]
    return all(con.execute(f"select count(*) from {t}").fetchone()[0] == 0 for t in tables)


@pytest.mark.parametrize("case", list(_params()))
def test_corpus_case(case, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    case.build(raw)
    con = connect()
    expect = case.expect
    try:
        if isinstance(expect, Fatal):
            with pytest.raises(InputError) as err:
                ingest(con, raw, "311")
            e = err.value
            assert expect.message in str(e)
            assert e.file == expect.file and expect.file in str(e)
            for name in ("sheet", "row", "column", "rule"):
                if getattr(expect, name) is not None:
                    assert getattr(e, name) == getattr(expect, name), name
            assert _nothing_written(con)
            return
        result = ingest(con, raw, "311")
        if isinstance(expect, Skipped):
            statuses = [(f["status"], f["reason"] or "") for f in result.files]
            assert statuses and all(s == "skipped" for s, _ in statuses), statuses
            assert any(expect.reason in r for _, r in statuses), statuses
            assert _nothing_written(con)
            return
        _check_loaded(con, result, expect)
    finally:
        con.close()


def _check_loaded(con, result, expect: Loaded) -> None:
    entries = [f for f in result.files if f["status"] == "loaded"]
    assert len(entries) == expect.files, result.files
    for f in entries:  # nothing dropped silently, file by file
        assert f["rows_read"] == f["rows_loaded"] + f["rows_rejected"], f
    mine = [f for f in entries if f["extract"] == expect.extract]
    got = tuple(sum(f[k] for f in mine) for k in
                ("rows_read", "rows_loaded", "rows_rejected", "rows_flagged"))
    assert got == (expect.read, expect.loaded, expect.rejected, expect.flagged), result.files
    stored = con.execute(f"select count(*) from raw.{expect.extract}").fetchone()[0]
    assert stored == (expect.stored if expect.stored is not None else expect.loaded)
    quality = {(int(r.row), r.column, r.rule, r.severity) for r in result.quality.itertuples()}
    assert quality == expect.quality
    recorded = con.execute(
        'select "row", "column", rule, severity from meta.data_quality').fetchall()
    assert set(recorded) == expect.quality
    if expect.key:
        column, value = expect.key
        df = con.execute(f"select * from raw.{expect.extract} where {column} = ?", [value]).df()
        assert len(df) == 1, df
        for col, want in expect.values.items():
            have = df.at[0, col]
            if want is None:
                assert pd.isna(have), (col, have)
            elif isinstance(want, dt.date):
                assert pd.Timestamp(have) == pd.Timestamp(want), (col, have, want)
            else:
                assert have == want, (col, have, want)
