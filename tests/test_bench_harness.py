"""The benchmark harness's own parts on tiny inputs: table formatting, peak-memory measurement, the
comparison with earlier results and the ten-fold episodes file. No timing is asserted."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


peer = _load("peer_liiatools")
bench = _load("bench")

linux_only = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")


def test_format_table_aligns_and_computes_rows_per_second():
    rows = [bench.Row("demo", "models", 2.0, 1000, 150.4, cpu_s=3.456),
            bench.Row("demo", "total (one process)", 123.4, None, None, "all")]
    expected = "\n".join([
        "| scale | stage               | wall s | CPU s |  rows | rows/s | peak RSS MiB | note |",
        "|-------|---------------------|-------:|------:|------:|-------:|-------------:|------|",
        "| demo  | models              |   2.00 |  3.46 | 1,000 |    500 |          150 |      |",
        "| demo  | total (one process) |    123 |     - |     - |      - |            - | all  |",
    ])
    assert bench.format_table(rows) == expected


def test_rows_per_second_is_none_without_rows_or_time():
    assert bench.Row("x", "y", 0.0, 10).rows_per_s is None
    assert bench.Row("x", "y", 1.0, None).rows_per_s is None
    assert bench.Row("x", "y", 4.0, 10).rows_per_s == 2.5


def test_format_peer_gives_the_ratio():
    text = bench.format_peer([{"file": "sample", "rows": 5050, "peer_s": 9.8, "lscb_s": 0.7,
                               "ratio": 14.0, "peer_cpu_s": 9.5, "lscb_cpu_s": 1.9,
                               "cpu_ratio": 5.0, "peer_peak_mib": 116.2, "lscb_peak_mib": 180.6}])
    assert text.splitlines()[-1] == ("| sample | 5,050 | 9.80 | 0.70 | 14.0x | 9.50 | 1.90 | 5.0x "
                                     "| 116 | 181 |")


@linux_only
def test_run_measured_reports_the_childs_own_peak():
    big = bench.run_measured([sys.executable, "-c", "b = b'x' * (200 << 20)"])
    small = bench.run_measured([sys.executable, "-c", "pass"])
    # 200 MiB written by the child, plus an interpreter of a few tens of MiB at most.
    assert 200 <= big.peak_rss_mib < 280
    # The second child's peak is its own, not the first child's.
    assert small.peak_rss_mib < 60
    assert big.returncode == 0 and big.wall_s > 0 and big.cpu_s > 0


def test_run_measured_raises_with_stderr_on_failure():
    with pytest.raises(RuntimeError, match=r"exited with 3:\nboom"):
        bench.run_measured([sys.executable, "-c",
                            "import sys; sys.stderr.write('boom'); sys.exit(3)"])


@linux_only
def test_stage_clock_gives_each_stage_its_own_peak():
    clock = bench.StageClock()
    clock.run("big", lambda: len(b"x" * (100 << 20)))
    clock.run("small", lambda: None)
    big, small = clock.stages
    assert big["peak_is_stage_own"] and small["peak_is_stage_own"]
    # After the reset the 100 MiB of the first stage (freed) no longer count.
    assert big["peak_rss_mib"] - small["peak_rss_mib"] >= 90


def test_compare_flags_stages_slower_by_a_fifth():
    previous = [{"scale": "demo", "stage": "models", "wall_s": 1.0},
                {"scale": "demo", "stage": "pack", "wall_s": 2.0},
                {"scale": "demo", "stage": "ingest", "wall_s": 3.0}]
    current = [bench.Row("demo", "models", 1.25), bench.Row("demo", "pack", 2.1),
               bench.Row("demo", "ingest", 2.0), bench.Row("demo", "new stage", 9.0)]
    assert bench.compare(current, previous) == [
        "SLOWER demo / models: 1.25 s, was 1.00 s (1.25x)",
        "faster demo / ingest: 2.00 s, was 3.00 s (0.67x)",
    ]


def test_compare_leaves_out_a_scale_measured_on_other_data():
    previous = [{"scale": "national", "stage": "read", "wall_s": 50.0, "rows": 17_000_000},
                {"scale": "national", "stage": "nothing new", "wall_s": 20.0, "rows": 0},
                {"scale": "demo", "stage": "read", "wall_s": 2.0, "rows": 195_000}]
    current = [bench.Row("national", "read", 140.0, 68_000_000),
               bench.Row("national", "nothing new", 34.0, 0),
               bench.Row("demo", "read", 3.0, 195_000)]
    assert bench.compare(current, previous) == [
        "not compared: national has other data (68,000,000 input rows, was 17,000,000)",
        "SLOWER demo / read: 3.00 s, was 2.00 s (1.50x)",
    ]


def test_previous_rows_take_each_stage_from_its_latest_file(tmp_path):
    def write(name, rows):
        (tmp_path / name).write_text(bench.render_results(
            bench.Results(rows=rows),
            {"when": name, "machine": {"host": "box", "cores": 2, "memory_gib": 1, "cpu": "c",
                                       "os": "o"},
             "load_average": {"start": None, "end": None}, "versions": {}, "commit": "x",
             "scales": [], "repeats": 1, "command": "c"}))

    write("2026-01-01T0000-box.md", [bench.Row("demo", "models", 1.0),
                                      bench.Row("decade", "models", 5.0)])
    write("2026-02-01T0000-box.md", [bench.Row("demo", "models", 2.0)])
    write("2026-03-01T0000-other.md", [bench.Row("demo", "models", 9.0)])
    got = {(r["scale"], r["stage"]): (r["wall_s"], r["file"])
           for r in bench.previous_rows("box", tmp_path)}
    assert got == {("demo", "models"): (2.0, "2026-02-01T0000-box.md"),
                   ("decade", "models"): (5.0, "2026-01-01T0000-box.md")}


def test_results_file_round_trips_its_figures(tmp_path):
    results = bench.Results(rows=[bench.Row("demo", "models", 1.5, 300, 99.0)],
                            bars=[{"bar": "b", "measured": "1 s", "ok": True}])
    meta = {"when": "2026-11-25T23:00:00+00:00", "machine": bench.machine_info(),
            "load_average": {"start": 0.5, "end": None}, "versions": bench.versions(),
            "commit": "abc1234", "scales": ["demo"], "repeats": 3,
            "command": "python benchmarks/bench.py"}
    path = tmp_path / "r.md"
    path.write_text(bench.render_results(results, meta))
    data = bench.read_results(path)
    assert data["rows"][0]["stage"] == "models" and data["rows"][0]["wall_s"] == 1.5
    assert "- PASS: b (measured 1 s)" in path.read_text()
    assert "abc1234" in path.read_text()


def test_busy_when_the_load_exceeds_the_cores():
    meta = {"machine": {"cores": 2}, "load_average": {"start": 1.5, "end": 2.5}}
    assert bench.busy(meta)
    meta["load_average"] = {"start": 1.5, "end": None}
    assert not bench.busy(meta)


def test_machine_info_and_versions_name_what_they_should():
    m = bench.machine_info()
    assert m["cores"] >= 1 and m["host"]
    v = bench.versions()
    assert v["python"].count(".") == 2 and v["duckdb"]


def test_results_path_is_one_file_per_run_and_host():
    from datetime import datetime, timezone

    p = bench.results_path(datetime(2026, 11, 25, 23, 5, tzinfo=timezone.utc), "box/1")
    assert p.name == "2026-11-25T2305-box-1.md" and p.parent == bench.RESULTS_DIR


def test_month_after_rolls_over_the_year():
    assert bench._month_after("2014-03") == "2014-04"
    assert bench._month_after("2014-12") == "2015-01"


def test_hold_back_month_links_all_but_that_months_extracts(tmp_path):
    raw, dest = tmp_path / "raw", tmp_path / "base"
    files = ["mash/mash_contacts_2014-03-31.csv", "mash/mash_contacts_2014-04-30.csv",
             "annex_a/annex_a_2014-04-30.xlsx", "ssda903/2014/episodes_2014-03-31.csv",
             "310/mash/mash_contacts_2014-04-30.csv", "notes.txt"]
    for f in files:
        (raw / f).parent.mkdir(parents=True, exist_ok=True)
        (raw / f).write_text(f)
    held = bench.hold_back_month(raw, "2014-04", dest)
    assert sorted(map(str, held)) == ["310/mash/mash_contacts_2014-04-30.csv",
                                      "annex_a/annex_a_2014-04-30.xlsx",
                                      "mash/mash_contacts_2014-04-30.csv"]
    kept = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert kept == ["mash/mash_contacts_2014-03-31.csv", "notes.txt",
                    "ssda903/2014/episodes_2014-03-31.csv"]
    assert (dest / "notes.txt").stat().st_ino == (raw / "notes.txt").stat().st_ino


def test_multiplied_episodes_keep_rows_and_make_children_unique(tmp_path):
    src = tmp_path / "episodes.csv"
    src.write_text("CHILD,DECOM,RNE\n12,01/01/2016,S\n12,02/02/2016,P\n345,03/03/2016,S\n")
    dst = tmp_path / "x3.csv"
    assert peer.write_multiplied_episodes(src, dst, copies=3) == 9
    with dst.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["CHILD"] for r in rows] == ["1012", "1012", "1345", "2012", "2012", "2345",
                                          "3012", "3012", "3345"]
    assert [r["DECOM"] for r in rows[:3]] == ["01/01/2016", "02/02/2016", "03/03/2016"]
    assert peer.count_csv_rows(dst) == 9


def test_count_csv_rows_counts_records_not_lines(tmp_path):
    f = tmp_path / "q.csv"
    f.write_text('a,b\n1,"two\nlines"\n3,4\n')
    assert peer.count_csv_rows(f) == 2


def test_cleanfile_argv_and_prepared_copy(tmp_path):
    src = tmp_path / "episodes.csv"
    src.write_text("CHILD,DECOM\n1,01/01/2016\n")
    inp, logs, out = peer.prepare_run(src, tmp_path / "work")
    assert inp.name == "SSDA903_2018_episodes.csv" and inp.read_text() == src.read_text()
    assert logs.is_dir() and out.is_dir()
    argv = peer.cleanfile_argv(Path("/venv/bin/python"), inp, logs, out)
    assert argv[1:5] == ["-m", "liiatools", "s903", "cleanfile"]
    assert argv[argv.index("--la_code") + 1] == "BAR"


def test_check_cleaned_fails_loudly_when_liiatools_wrote_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="wrote no SSDA903_2018_episodes_clean.csv"):
        peer.check_cleaned(tmp_path, 5)
    (tmp_path / "SSDA903_2018_episodes_clean.csv").write_text("CHILD\n1\n")
    with pytest.raises(RuntimeError, match="cleaned 1 rows of 5"):
        peer.check_cleaned(tmp_path, 5)
    peer.check_cleaned(tmp_path, 1)


def test_floor_copies_every_csv_row_and_counts_the_lists_rows(tmp_path):
    """benchmarks/floor.py on a tiny set: two CSV layouts (header spellings) copied whole, and a
    workbook's List 3 rows counted below its header (the title row above it is not a row)."""
    from corpus.cases import LIST3_COLS, LIST3_ROWS, MASH_COLS, MASH_ROWS, csv_text, workbook

    floor = _load("floor")
    raw = tmp_path / "raw" / "311"
    (raw / "mash").mkdir(parents=True)
    (raw / "mash" / "mash_contacts_2013-01-31.csv").write_text(csv_text(MASH_COLS, MASH_ROWS))
    spelled = [c.upper() for c in MASH_COLS]
    (raw / "mash" / "mash_contacts_2013-02-28.csv").write_text(
        csv_text(spelled, MASH_ROWS + MASH_ROWS[:1]))
    book = raw / "annex_a_2013-01-31.xlsx"
    book.write_bytes(workbook({"List 3": (LIST3_COLS, LIST3_ROWS)}))
    files = sorted(p for p in raw.rglob("*") if p.is_file())
    seconds, rows, left = floor.csv_copy(files, tmp_path / "floor.duckdb")
    assert (rows, left) == (2 * len(MASH_ROWS) + 1, 0) and seconds > 0
    assert floor._parse(str(book)) == len(LIST3_ROWS)
    assert bench.generated_params("national")["end"] == "2016-04"
