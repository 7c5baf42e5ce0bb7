"""Shared fixtures.

Tests that read ../shared skip when it is absent (a new user's clone). CI sets LSCB_FORBID_SKIPS=1,
which turns every skip into a failure, so a missing folder or browser can never pass silently there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSCB_SHARED", REPO.parent / "shared"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("LSCB_FORBID_SKIPS") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where skips are forbidden: {report.longrepr}"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (it is present in CI)")
    return SHARED


@pytest.fixture(scope="session")
def reference_dir(shared_dir) -> Path:
    return shared_dir / "reference"


@pytest.fixture(scope="session")
def samples_dir(shared_dir) -> Path:
    return shared_dir / "samples"


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo council generated once per session, with its synthetic reference files.

    Returns a dict with `raw`, `reference` and `root` paths.
    """
    from pipeline.generate import generate

    root = tmp_path_factory.mktemp("demo")
    raw, ref = root / "raw", root / "reference"
    generate(raw, ref)
    return {"root": root, "raw": raw, "reference": ref}


@pytest.fixture(scope="session")
def demo_run(demo, tmp_path_factory):
    """One full `lscb run` over the demo council. Returns a dict with `out`, `db`, `result`."""
    from pipeline import config, run

    root = tmp_path_factory.mktemp("demo_run")
    settings = config.Settings(
        la_code="311", raw=demo["raw"], reference=demo["reference"],
        db=root / "lscb.duckdb", out=root / "out",
    )
    result = run.run(settings)
    return {"out": root / "out", "db": root / "lscb.duckdb", "result": result, "settings": settings}
