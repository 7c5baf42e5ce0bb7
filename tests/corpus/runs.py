"""Helpers of the end-to-end robustness tests: a small generated council and `lscb run` as a process."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SMALL_SPAN = {"start": "2012-04", "end": "2013-03"}  # one year: a run takes ~20 s on 2 cores


def generate_small(root: Path) -> dict[str, Path]:
    """The demo council over one year, with its synthetic reference files."""
    from pipeline.generate import generate

    raw, ref = root / "raw", root / "reference"
    generate(raw, ref, **SMALL_SPAN)
    return {"raw": raw, "reference": ref}


def run_args(raw: Path, ref: Path, db: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--reference", str(ref),
            "--db", str(db), "--out", str(out), *extra]


def lscb_run(raw: Path, ref: Path, db: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(run_args(raw, ref, db, out, *extra), capture_output=True, text=True,
                          cwd=REPO)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file in a folder (recursively), by relative path."""
    return {p.relative_to(folder).as_posix(): sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}
