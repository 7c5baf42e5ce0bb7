"""The run as a whole: outputs, accounting, atomicity, the lock, the command line."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline import catalogue, config, run
from pipeline.errors import LscbError, RunLockedError

pytestmark = pytest.mark.slow


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def _settings(raw: Path, ref: Path, root: Path, out: str = "out") -> config.Settings:
    return config.Settings(la_code="311", raw=raw, reference=ref, db=root / "lscb.duckdb",
                           out=root / out)


def test_demo_run_writes_every_contract_file(demo_run):
    names = {p.name for p in demo_run["out"].iterdir()}
    assert set(run.OUTPUT_FILES) <= names


def test_every_catalogue_indicator_is_in_indicators_csv(demo_run):
    df = pd.read_csv(demo_run["out"] / "indicators.csv", dtype={"la_code": str})
    assert list(df.columns) == run.INDICATOR_COLUMNS
    ids = set(df.loc[df.la_code == "311", "indicator_id"])
    assert ids == {i.id for i in catalogue.load()}
    for ind in catalogue.load():  # each indicator in each of its windows, and no other window
        windows = set(df.loc[df.indicator_id == ind.id, "window"])
        assert windows == set(ind.windows), ind.id


def test_manifest_accounts_for_every_row(demo_run):
    manifest = json.loads((demo_run["out"] / "run-manifest.json").read_text())
    inputs = manifest["inputs"]
    assert inputs, "the manifest lists the inputs"
    for f in inputs:
        if f["status"] in ("loaded", "unchanged"):
            assert f["rows_read"] == f["rows_loaded"] + f["rows_rejected"], f["source_file"]
            assert len(f["sha256"]) == 64
    assert {"ingest", "models", "pack"} <= set(manifest["timings_s"])
    assert manifest["settings"]["la_code"] == "311"


def test_data_quality_rows_name_file_row_column_and_rule(demo_run):
    dq = pd.read_csv(demo_run["out"] / "data-quality.csv")
    assert list(dq.columns) == run.QUALITY_COLUMNS
    assert len(dq) > 0, "the synthetic council carries some untidy rows"
    assert dq[["file", "row", "column", "rule", "severity"]].notna().all().all()
    manifest = json.loads((demo_run["out"] / "run-manifest.json").read_text())
    rejected = sum(f["rows_rejected"] for f in manifest["inputs"] if f.get("rows_rejected"))
    assert (dq.severity == "rejected").groupby([dq.file, dq.sheet.fillna(""), dq.row]).any().sum() \
        == rejected


def test_rerun_on_same_drop_is_identical_and_incremental(demo, tmp_path):
    s = _settings(demo["raw"], demo["reference"], tmp_path, "first")
    first = run.run(s)
    s.out = tmp_path / "second"
    second = run.run(s)
    a = (first.out / "indicators.csv").read_bytes()
    b = (second.out / "indicators.csv").read_bytes()
    assert a == b
    assert (first.out / "benchmarks.csv").read_bytes() == (second.out / "benchmarks.csv").read_bytes()
    statuses = {f["status"] for f in second.manifest["inputs"]} - {"skipped"}
    assert statuses == {"unchanged"}, "files already loaded are not read again"


def test_bad_input_leaves_warehouse_and_outputs_unchanged(demo, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(demo["raw"], raw)
    s = _settings(raw, demo["reference"], tmp_path)
    run.run(s)
    db_before = hashlib.sha256(s.db.read_bytes()).hexdigest()
    out_before = _digest(s.out)
    # A MASH log that lacks a required column: recognised, then refused.
    (raw / "mash_contacts_2014-04-30.csv").write_text(
        "contact_id,child_id,source,outcome\nC1,K1,6,NFA\n")
    with pytest.raises(LscbError, match="mash_contacts_2014-04-30.csv"):
        run.run(s)
    assert hashlib.sha256(s.db.read_bytes()).hexdigest() == db_before
    assert _digest(s.out) == out_before
    assert not list(tmp_path.glob("lscb.duckdb.run-*")), "no temporary warehouse left behind"


def test_second_run_refuses_while_first_holds_the_lock(tmp_path):
    db = tmp_path / "lscb.duckdb"
    with run.warehouse_lock(db):
        with pytest.raises(RunLockedError, match="another lscb run"):
            with run.warehouse_lock(db):
                pass
    with run.warehouse_lock(db):  # released again
        pass


def test_cli_reports_bad_input_without_a_traceback(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "contacts.csv").write_text("contact_id,child_id,source\nC1,K1,6\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(tmp_path / "o"),
         "--db", str(tmp_path / "w.duckdb"), "--reference", str(tmp_path)],
        capture_output=True, text=True)
    assert proc.returncode != 0
    assert "contacts.csv" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()
