"""The peer in the benchmark: Social Finance's liiatools, in a throwaway virtualenv of its own.

liiatools 0.2.0 (PyPI, January 2024) pins pandas < 2 and `cchardet==2.1.7`, which no longer builds
on current Pythons. We install it with `--no-deps` and then its dependencies by hand, with
`faust-cchardet` (the maintained fork, same `cchardet` module) in its place. The venv lives outside
the repository and is never a dependency of lscb; the harness creates it on demand.

`liiatools s903 cleanfile` has two habits that the harness works around:
- it rewrites its input file in place (drops blank rows), so every repeat gets a fresh copy;
- it reads the return's year from the file name and silently does nothing (exit 0, a note in its log
  folder) when the name has no year within its 12-year retention window, so the harness names the
  copy `SSDA903_2018_episodes.csv` and checks that the cleaned file came out with every row.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger("lscb.bench.peer")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VENV = Path(os.environ.get("LSCB_PEER_VENV",
                                   REPO.parent / ".bench-peer" / "liiatools-venv"))

LIIATOOLS = "liiatools==0.2.0"
# liiatools 0.2.0's own requirements, with faust-cchardet for cchardet and numpy < 2 for pandas 1.5.
LIIATOOLS_DEPS = [
    "pandas==1.5.3", "numpy>=1.23,<2", "faust-cchardet>=2.1.18", "PyYAML>=6.0,<7",
    "XlsxWriter>=3.0.3,<4", "click>=8.1.2,<9", "click-log>=0.4.0,<0.5", "dacite>=1.6.0,<2",
    "lxml>=4.9.1,<5", "more-itertools>=8.12.0,<9", "openpyxl>=3.0.9,<4", "python-decouple>=3.8,<4",
    "regex>=2022.4.24,<2023", "sfdata-stream-parser==0.4.1", "tablib[cli,xlsx]>=3.2.0,<4",
    "xlrd>=2.0.1,<3", "xmlschema>=1.10.0,<2",
]
# A return year inside liiatools' retention window (until 2029) that has an SSDA903 schema in 0.2.0.
RETURN_FILE_NAME = "SSDA903_2018_episodes.csv"
PEER_LA = "BAR"  # liiatools accepts only London councils' three-letter codes


def venv_python(venv: Path = DEFAULT_VENV) -> Path:
    return venv / "bin" / "python"


def _has_liiatools(python: Path) -> bool:
    if not python.exists():
        return False
    probe = subprocess.run(
        [str(python), "-c", "import liiatools.datasets.s903.s903_main_functions"],
        capture_output=True)
    return probe.returncode == 0


def ensure_venv(venv: Path = DEFAULT_VENV, base_python: str = sys.executable) -> Path:
    """Create the peer's venv if it is missing or broken; return its Python."""
    python = venv_python(venv)
    if _has_liiatools(python):
        return python
    log.info("creating the liiatools venv in %s", venv)
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    # A venv made from inside another venv is based on the base interpreter, as wanted.
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", LIIATOOLS], check=True)
    subprocess.run([*pip, *LIIATOOLS_DEPS], check=True)
    if not _has_liiatools(python):
        raise RuntimeError(f"liiatools does not import in {venv} after installation")
    return python


def peer_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; "
         "print(m.version('liiatools'), m.version('pandas'), m.version('numpy'))"],
        capture_output=True, text=True, check=True).stdout.split()
    return f"liiatools {out[0]} (pandas {out[1]}, numpy {out[2]})"


def prepare_run(episodes: Path, workdir: Path) -> tuple[Path, Path, Path]:
    """A fresh input copy and empty log/output folders for one cleanfile run."""
    if workdir.exists():
        shutil.rmtree(workdir)
    inp, logs, out = workdir / "in", workdir / "log", workdir / "out"
    for d in (inp, logs, out):
        d.mkdir(parents=True)
    shutil.copyfile(episodes, inp / RETURN_FILE_NAME)
    return inp / RETURN_FILE_NAME, logs, out


def cleanfile_argv(python: Path, input_file: Path, log_dir: Path, out_dir: Path) -> list[str]:
    return [str(python), "-m", "liiatools", "s903", "cleanfile", "--i", str(input_file),
            "--la_code", PEER_LA, "--la_log_dir", str(log_dir), "--o", str(out_dir)]


def check_cleaned(out_dir: Path, expected_rows: int) -> None:
    """Fail loudly unless liiatools wrote its cleaned file with every input row."""
    cleaned = out_dir / RETURN_FILE_NAME.replace(".csv", "_clean.csv")
    if not cleaned.exists():
        raise RuntimeError(f"liiatools wrote no {cleaned.name}; see its log folder "
                           f"{out_dir.parent / 'log'}")
    rows = count_csv_rows(cleaned)
    if rows != expected_rows:
        raise RuntimeError(f"liiatools cleaned {rows} rows of {expected_rows} in {cleaned}")


def count_csv_rows(path: Path) -> int:
    """Data rows of a CSV file (the header excluded), counted as records, not lines."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        return max(sum(1 for _ in csv.reader(f)) - 1, 0)


def write_multiplied_episodes(src: Path, dst: Path, copies: int = 10) -> int:
    """Write `copies` copies of an SSDA903 episodes CSV with child ids made unique per copy.

    Copy k (1 to `copies`) prefixes every CHILD with `k` after padding the original id with zeros
    to the longest id's width, so ids stay distinct across copies and each child's episodes stay
    together (no id starts with 0). Returns the number of data rows written.
    """
    with src.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    child = [h.strip().upper() for h in header].index("CHILD")
    width = max(len(r[child].strip()) for r in body)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for k in range(1, copies + 1):
            for r in body:
                r2 = list(r)
                r2[child] = f"{k}{r[child].strip().zfill(width)}"
                w.writerow(r2)
    return len(body) * copies
