"""Property-based tests of the readers and normalisers: any bytes give rows or a clear InputError."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.ingest import normalise, parallel, quality

HEADER = b"contact_id,child_id,received_at,source,merlin_id,rag,decided_at,outcome\n"
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])
cells = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)


def _ingest_file(path, name):
    """What ingest's pandas path does with one file, without the warehouse: read, check."""
    for table in parallel.read_file(path, name):
        if table.extract is None:
            assert table.skip_reason
            continue
        checked = quality.check(table.extract, table.frame, name, table.sheet)
        assert checked.rows_read == len(checked.rows) + checked.rows_rejected


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".txt", ".xlsx"]))
def test_any_bytes_read_or_clear_error(tmp_path, data, suffix):
    path = tmp_path / f"f{suffix}"
    path.write_bytes(data)
    try:
        _ingest_file(path, path.name)
    except InputError as exc:
        assert exc.file == path.name


@FUZZ
@given(body=st.binary(max_size=400))
def test_recognised_header_any_body(tmp_path, body):
    path = tmp_path / "mash.csv"
    path.write_bytes(HEADER + body)
    try:
        _ingest_file(path, "mash.csv")
    except InputError as exc:
        assert exc.file == "mash.csv" and exc.rule


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=8, max_size=8), max_size=6),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_recognised_header_any_text_rows(tmp_path, rows, enc):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([HEADER.decode().strip().split(",")] + rows)
    try:
        data = buf.getvalue().encode(enc)
    except UnicodeEncodeError:
        return
    path = tmp_path / "mash.csv"
    path.write_bytes(data)
    try:
        _ingest_file(path, "mash.csv")
    except InputError as exc:
        assert exc.file == "mash.csv"


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), cells, st.from_regex(r"\d{1,6}(\.\d{0,3})?"))))
def test_normalisers_never_raise(values):
    s = pd.Series(values, dtype="string")
    for out in (normalise.ids(s), normalise.dates(s), normalise.datetimes(s), normalise.text(s),
                normalise.yes_no(s), normalise.integers(s),
                normalise.codes(s, ["1A", "6", "RED"], {"POLICE": "6"}), normalise.codes(s, None)):
        assert len(out) == len(s) and list(out.index) == list(s.index)
