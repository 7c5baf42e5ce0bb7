"""Determinism: the same extracts, however named and ordered on disk, give byte-identical
indicators.csv and benchmarks.csv (5 runs into fresh warehouses)."""

from __future__ import annotations

import random
import shutil

import pytest

from corpus.runs import generate_small, lscb_run, sha256

pytestmark = pytest.mark.slow
RUNS = 5


def _shuffled_copy(raw, dest, rng: random.Random, variant: int) -> None:
    """Copy every file under a new, shuffled layout: other folders, other names, same extract dates
    (the date in a name is the extract's date), created in a random order."""
    files = sorted(p for p in raw.rglob("*") if p.is_file())
    rng.shuffle(files)
    for n, p in enumerate(files):
        folder = dest / (f"drop-{rng.randrange(3)}" if variant else p.parent.relative_to(raw))
        stem = p.stem if variant == 0 else f"{rng.choice(['x', 'export', 'Copy of'])} {p.stem}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{stem}-{n:02d}{p.suffix}" if variant else folder / p.name
        shutil.copy2(p, target)


def test_outputs_are_byte_identical_whatever_the_file_order(tmp_path):
    data = generate_small(tmp_path / "src")
    rng = random.Random(7)
    digests = []
    for i in range(RUNS):
        raw = tmp_path / f"raw{i}"
        _shuffled_copy(data["raw"], raw, rng, variant=i)
        out = tmp_path / f"out{i}"
        proc = lscb_run(raw, data["reference"], tmp_path / f"w{i}.duckdb", out, "--no-pack")
        assert proc.returncode == 0, proc.stderr
        digests.append((sha256(out / "indicators.csv"), sha256(out / "benchmarks.csv")))
    print(f"\nruns: {RUNS}, distinct indicators.csv: {len({d[0] for d in digests})}, "
          f"distinct benchmarks.csv: {len({d[1] for d in digests})}")
    assert len(set(digests)) == 1, digests
