"""The DuckDB fast path for large CSVs (pipeline/ingest/fastcsv.py).

Equivalence: every CSV case of the corpus and the demo council's CSVs go through the pandas path and
the fast path (threshold forced to 0), and the warehouse, the data-quality rows and the per-file
accounting must be identical, errors included. Hand-worked cases check the fast path on its own,
and the cheap checks that send a file back to the pandas path.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from corpus.cases import CASES, MASH_COLS, MASH_ROWS, csv_text
from pipeline.errors import InputError
from pipeline.ingest import discover, fastcsv, ingest
from pipeline.warehouse import RAW_TABLES, connect

TABLES = [f"raw.{t}" for t in RAW_TABLES] + ["meta.data_quality"]


def _norm(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _rows(con, table: str) -> list[tuple]:
    rows = con.execute(f"select * from {table}").fetchall()
    return sorted((tuple(_norm(v) for v in r) for r in rows), key=repr)


def _run(raw: Path, monkeypatch, threshold: str | None, strict: bool = False) -> dict:
    """Ingest raw into a fresh warehouse; everything the two paths must agree on. threshold None:
    the pandas path only."""
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, str(1 << 62) if threshold is None else threshold)
    taken = []
    real = fastcsv._prepare_group

    def spy(con, layout, files):
        found = real(con, layout, files)
        taken.append(bool(found))
        return found
    monkeypatch.setattr(fastcsv, "_prepare_group", spy)
    con = connect()
    try:
        try:
            result = ingest(con, raw, "311", strict=strict)
        except InputError as exc:
            return {"error": (str(exc), exc.file, exc.sheet, exc.row, exc.column, exc.rule),
                    "tables": {t: _rows(con, t) for t in TABLES}, "fast": any(taken)}
        files = [{k: _norm(v) for k, v in f.items()} for f in result.files]
        quality = sorted((tuple(_norm(v) for v in r) for r in
                          result.quality.itertuples(index=False)), key=repr)
        loaded = con.execute("select * exclude (loaded_at) from meta.loaded_files").fetchall()
        temp = con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0]
        return {"files": files, "quality": quality, "tables": {t: _rows(con, t) for t in TABLES},
                "loaded_files": sorted(loaded, key=repr), "fast": any(taken), "temp": temp}
    finally:
        con.close()


# Cases whose inputs are Excel workbooks: the fast path never sees them.
WORKBOOK_CASES = ("xls", "value-annex_a", "duplicate-within-file-annex_a",
                  "duplicate-across-workbooks")
CSV_CASES = [c for c in CASES if not c.big and not c.id.startswith(WORKBOOK_CASES)]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CSV_CASES])
def test_corpus_case_same_on_both_paths(case, tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    case.build(raw)
    pandas_path = _run(raw, monkeypatch, None)
    assert not pandas_path["fast"]
    fast_path = _run(raw, monkeypatch, "0")
    assert fast_path == {**pandas_path, "fast": fast_path["fast"]}
    assert fast_path.get("temp", 0) == 0  # no temp table left behind


def test_fast_path_taken_by_the_value_and_duplicate_cases(tmp_path, monkeypatch):
    """The equivalence above means something only if the fast path did the work: every value and
    within-file duplicate case of the CSV extracts must take it (not fall back to pandas)."""
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, "0")
    wanted = [c for c in CSV_CASES if c.id.startswith(("value-", "duplicate-within-file-"))]
    assert len(wanted) >= 80
    con = connect()
    for n, case in enumerate(wanted):
        raw = tmp_path / str(n)
        raw.mkdir()
        case.build(raw)
        [path] = [p for p in raw.rglob("*") if p.is_file()]
        found = fastcsv.prepare(con, discover.RawFile(path, path.name, "311", "x"))
        assert found is not None, case.id
        fastcsv.discard(con, [found])
    con.close()


def test_strict_mode_same_on_both_paths(tmp_path, monkeypatch):
    rows = [list(r) for r in MASH_ROWS]
    rows[1][MASH_COLS.index("outcome")] = "MAYBE"
    (tmp_path / "mash_2013-01-31.csv").write_text(csv_text(MASH_COLS, rows))
    pandas_path = _run(tmp_path, monkeypatch, None, strict=True)
    fast_path = _run(tmp_path, monkeypatch, "0", strict=True)
    assert fast_path["fast"] and "error" in pandas_path
    assert fast_path["error"] == pandas_path["error"]
    assert pandas_path["error"][3:] == (3, "outcome", "not_in_code_list")


def test_same_layout_files_read_together(tmp_path, monkeypatch):
    """Files of one layout go through one DuckDB read: row numbers, within-file duplicates, extract
    dates and data-quality rows stay per file, and a file DuckDB refuses (a short row) or that
    pandas would refuse (a value past the header's last column) leaves the group for the pandas
    path on its own while the others stay. Hand-worked, then against the pandas path."""
    blank = [""] * len(MASH_COLS)
    dup = [list(MASH_ROWS[0])]
    dup[0][MASH_COLS.index("child_id")] = "K9"
    files = {
        "mash_2013-01-31.csv": csv_text(MASH_COLS, MASH_ROWS),                 # 3 rows, clean
        "mash_2013-02-28.csv": csv_text(MASH_COLS, [blank] + MASH_ROWS + dup),  # blank, dup of C1
        "mash_2013-03-31.csv": csv_text(MASH_COLS, MASH_ROWS) + "C9,K9\n",     # short row
        "mash_2013-04-30.csv": csv_text(MASH_COLS + [""], [r + [""] for r in MASH_ROWS[:2]]
                                        + [MASH_ROWS[2] + ["x"]]),             # past the header
        "mash_2013-05-31.csv": csv_text(MASH_COLS, MASH_ROWS[1:]),              # 2 rows, clean
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    raws = [discover.RawFile(tmp_path / n, n, "311", discover.sha256(tmp_path / n))
            for n in files]
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, "0")
    con = connect()
    groups, rest = fastcsv.prepare_files(con, raws)
    # The file with a value past its header's last column has its own layout (one more field).
    assert [r.source_file for r in rest] == ["mash_2013-03-31.csv", "mash_2013-04-30.csv"]
    # The short row's file is found by halving the group: the others stay in DuckDB's hands.
    got = {f.raw.source_file: f for g in groups for f in g.files}
    assert list(got) == ["mash_2013-01-31.csv", "mash_2013-02-28.csv", "mash_2013-05-31.csv"]
    feb = got["mash_2013-02-28.csv"].checked
    # Feb: line 2 blank, C1 on line 3 replaced by its later copy on line 6.
    assert (feb.rows_read, feb.rows_rejected, feb.rows_flagged) == (4, 1, 0)
    assert [(r.row, r.rule, r.value) for r in feb.quality.itertuples(index=False)] == [
        (3, "duplicate_key", "C1")]
    assert [(f.checked.rows_read, f.checked.rows_rejected, len(f.checked.quality))
            for f in (got["mash_2013-01-31.csv"], got["mash_2013-05-31.csv"])] == [(3, 0, 0),
                                                                                  (2, 0, 0)]
    assert [f.extract_date for f in got.values()] == [dt.date(2013, 1, 31), dt.date(2013, 2, 28),
                                                      dt.date(2013, 5, 31)]
    fastcsv.discard(con, groups)
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0
    con.close()
    # The whole folder, both paths (the two refused files raise or load as pandas has them).
    for name in ("mash_2013-03-31.csv", "mash_2013-04-30.csv"):
        (tmp_path / name).unlink()
    pandas_path = _run(tmp_path, monkeypatch, None)
    fast_path = _run(tmp_path, monkeypatch, "0")
    assert fast_path["fast"] and fast_path == {**pandas_path, "fast": True}
    assert len(fast_path["tables"]["raw.mash_contacts"]) == 3  # C1 (Feb's K9), C2, C3: latest wins


# --- Hand-worked: the fast path on its own -------------------------------------------------------

MASH_TEXT = (
    "Contact ID,child_id,received_at,source,merlin_id,rag,decided_at,outcome,notes\n"
    "C1,K1,2013-01-05 09:00:00,6,,RED,2013-01-05 12:00:00,REFERRAL,x\n"          # 2 ok
    " C2.0 ,K 2,06/01/2013 10:00,q) 6: Police,M1,r,,,\n"                         # 3 normalised
    "C3,K3,41280,Health,,PURPLE,,,\n"                                             # 4 two flags
    "C4,,2013-01-07 11:00:00,1A,,GREEN,,,\n"                                      # 5 missing child
    "C5,K5,2013-01-07 11:00:00,1A,,GREEN,2013-01-06 11:00:00,NFA,\n"              # 6 end<start
    "C6,K6,31/02/2013 10:00,1A,,,,,\n"                                            # 7 not a date
    "C7,K7,2099-01-01 00:00:00,1A,,,,maybe,\n"                                    # 8 future+outcome
    ",,,,,,,,\n"                                                                  # 9 blank
    "C1,K9,2013-01-09T08:30,2a,,amber,,early help,\n"                             # 10 dup of row 2
)


def test_fast_path_hand_worked(tmp_path, monkeypatch):
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, "0")
    path = tmp_path / "mash.csv"
    path.write_text(MASH_TEXT)
    raw = discover.RawFile(path, "mash.csv", "311", discover.sha256(path))
    con = connect()
    group = fastcsv.prepare(con, raw)
    assert group is not None and group.extract == "mash_contacts"
    [fast] = group.files
    c = fast.checked
    # 9 records below the header, one blank: 8 read; rows 5-8 and the duplicate row 2 rejected.
    assert (c.rows_read, c.rows_rejected, c.rows_flagged) == (8, 5, 1)
    got = {(r.row, r.column, r.rule, r.severity, _norm(r.value))
           for r in c.quality.itertuples(index=False)}
    assert got == {
        (4, "source", "not_in_code_list", "flagged", "Health"),  # as typed
        (4, "rag", "not_in_code_list", "flagged", "PURPLE"),
        (5, "child_id", "missing_value", "rejected", None),
        (6, "decided_at", "end_before_start", "rejected", "2013-01-06 11:00:00"),
        (7, "received_at", "valid_datetime", "rejected", "31/02/2013 10:00"),
        (8, "received_at", "date_in_future", "rejected", "2099-01-01 00:00:00"),
        (8, "outcome", "not_in_code_list", "rejected", "maybe"),
        (2, "contact_id", "duplicate_key", "rejected", "C1"),
    }
    # No date in the file name: the latest event among loadable rows.
    assert fast.extract_date == dt.date(2013, 1, 9)
    rows = fastcsv.loadable(con, group, [{"la_code": "311", "extract_date": fast.extract_date,
                                          "source_file": "mash.csv", "sheet": None,
                                          "sha256": raw.sha256}])
    stored = con.execute(
        "select source_row, contact_id, child_id, received_at, source, merlin_id, rag, outcome "
        f"from ({rows}) order by source_row").fetchall()
    assert stored == [
        (3, "C2", "K2", dt.datetime(2013, 1, 6, 10), "6", "M1", "RED", None),
        (4, "C3", "K3", dt.datetime(2013, 1, 6), None, None, None, None),  # serial 41280
        (10, "C1", "K9", dt.datetime(2013, 1, 9, 8, 30), "2A", None, "AMBER", "EARLY_HELP"),
    ]
    con.close()


@pytest.mark.parametrize("text, encoding, why", [
    ("a blank line", "utf-8", "\n\n"),
    ("cp1252 text", "cp1252", "£"),
    ("a title row above the header", "utf-8", "title"),
    ("a row with fewer fields (DuckDB's strict reader refuses it)", "utf-8", "short"),
    ("a value past the header's last column", "utf-8", "beyond"),
])
def test_cheap_checks_send_file_to_pandas(tmp_path, monkeypatch, text, encoding, why):
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, "0")
    body = csv_text(MASH_COLS, MASH_ROWS)
    if why == "\n\n":
        body = body.replace("\n", "\n\n", 2)
    elif why == "£":
        body = body.replace("café", "£5")
    elif why == "short":
        body += "C9,K9\n"
    elif why == "beyond":  # pandas raises too_many_fields for it
        body = csv_text(MASH_COLS + [""], [r + ["extra" if i == 0 else ""]
                                           for i, r in enumerate(MASH_ROWS)])
    else:
        body = "Extract for the board\n" + body
    path = tmp_path / "mash_2013-01-31.csv"
    path.write_bytes(body.encode(encoding))
    raw = discover.RawFile(path, path.name, "311", discover.sha256(path))
    con = connect()
    assert fastcsv.prepare(con, raw) is None, text
    con.close()


def test_threshold_keeps_small_files_on_pandas_path(tmp_path, monkeypatch):
    path = tmp_path / "mash_2013-01-31.csv"
    path.write_text(csv_text(MASH_COLS, MASH_ROWS))
    raw = discover.RawFile(path, path.name, "311", discover.sha256(path))
    con = connect()
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, str(path.stat().st_size + 1))
    assert fastcsv.prepare_files(con, [raw]) == ([], [raw])
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, str(path.stat().st_size))
    fast, rest = fastcsv.prepare_files(con, [raw])
    assert rest == [] and [f.raw for g in fast for f in g.files] == [raw]
    monkeypatch.delenv(fastcsv.MIN_BYTES_ENV)
    assert fastcsv.min_bytes() == fastcsv.DEFAULT_MIN_BYTES
    fastcsv.discard(con, fast)
    con.close()


@pytest.mark.slow
def test_demo_council_csvs_same_on_both_paths(demo, tmp_path, monkeypatch):
    """The generated council's CSV extracts (MASH, MERLIN, SSDA903) through both paths."""
    raw = tmp_path / "raw"
    for path in demo["raw"].rglob("*"):
        if path.is_file() and path.suffix.lower() in discover.CSV_SUFFIXES:
            target = raw / path.relative_to(demo["raw"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    pandas_path = _run(raw, monkeypatch, None)
    fast_path = _run(raw, monkeypatch, "0")
    assert fast_path["fast"] and "error" not in fast_path
    assert sum(len(v) for v in fast_path["tables"].values()) > 10_000
    assert fast_path == {**pandas_path, "fast": True}


@pytest.mark.parametrize("data, empty", [
    (b"a\nb\n", False), (b"a\n\nb\n", True), (b"\na\n", True), (b"a\r\nb\r\n", False),
    (b"a\r\n\r\nb", True), (b"a\rb\n", True), (b"a\r\nb", False), (b"\r\na", True),
])
@pytest.mark.parametrize("chunk", [2, 1 << 20])
def test_empty_line_check(tmp_path, monkeypatch, data, empty, chunk):
    """Empty lines and lone carriage returns, also across block boundaries (blocks of 2 bytes)."""
    monkeypatch.setattr(fastcsv.read, "CHUNK", chunk)
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert fastcsv._has_empty_line(path) is empty
    assert fastcsv._empty_line_in(data) is empty  # the same check over a small file in memory


@pytest.mark.parametrize("data, head", [
    (b"id,name\n1,a\n", "id,name\n1,a\n"),  # ASCII: not decoded whole
    ("\ufeffid,name\n1,café\n".encode(), "id,name\n1,café\n"),  # UTF-8, BOM dropped
    ("id,name\n1,café\n".encode("cp1252"), None),  # not UTF-8
    (b"id,name\n1,a\x00\n", None),
])
def test_plain_head(tmp_path, data, head):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert fastcsv._plain_head(path) == head


def test_whitespace_only_rows_are_blank_on_both_paths(tmp_path, monkeypatch):
    """A row whose every field is whitespace (spaces, a tab, a non-breaking space) is blank, not
    read; a row with one value among such fields is read (and rejected: no contact id)."""
    ws = [" ", "\t", "\u00a0"] + [""] * (len(MASH_COLS) - 3)
    one = [""] * len(MASH_COLS)
    one[MASH_COLS.index("outcome")] = " NFA "
    (tmp_path / "mash_2013-01-31.csv").write_text(
        csv_text(MASH_COLS, MASH_ROWS[:1] + [ws] + [one] + MASH_ROWS[1:2]), encoding="utf-8")
    pandas_path = _run(tmp_path, monkeypatch, None)
    fast_path = _run(tmp_path, monkeypatch, "0")
    assert fast_path["fast"]
    assert fast_path == {**pandas_path, "fast": True}
    [entry] = fast_path["files"]
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (3, 2, 1)


def test_no_fast_path_without_insertion_order(tmp_path, monkeypatch):
    """Row numbers come from the order DuckDB keeps: on a connection set not to keep it, the CSVs
    go to the pandas path, with the same results."""
    (tmp_path / "mash_2013-01-31.csv").write_text(csv_text(MASH_COLS, MASH_ROWS))
    monkeypatch.setenv(fastcsv.MIN_BYTES_ENV, "0")
    con = connect()
    con.execute("set preserve_insertion_order = false")
    files = discover.find_files(tmp_path, "311")
    fast, rest = fastcsv.prepare_files(con, files)
    assert (fast, [f.path for f in rest]) == ([], [f.path for f in files])
    con.execute("set preserve_insertion_order = true")
    fast, rest = fastcsv.prepare_files(con, files)
    assert len(fast) == 1 and rest == []
    fastcsv.discard(con, fast)
    con.close()
