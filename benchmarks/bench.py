"""The benchmark harness (issue "Speed and scale"): lscb's speed by stage, and against a peer.

    python benchmarks/bench.py [--scale demo|decade|national|peer|all ...] [--repeats N]
                               [--no-record]

Each measured step runs in a child process of its own, so that a stage's wall time and peak memory
are its own and the interpreter's start-up is counted where a user would pay it:

- `pipeline` scales (demo, decade, national): the data are generated once into the scratch folder
  (`.bench/` in the repository, gitignored; reused while the generator's code and parameters are
  unchanged), one month longer than the scale's period; that last month's files are held back. One
  child runs the stages of `lscb run` in order on one warehouse file, timing each and taking each
  stage's peak RSS from the kernel's high-water mark (`VmHWM`, reset between stages through
  `/proc/self/clear_refs`); ingest is split into reading + validating and loading at its load step.
  Rows are the input rows read, so rows/s is comparable across stages and with the "1 million input
  rows/s" bar. Then `lscb run` itself is timed as a process: on an empty warehouse, again with
  nothing new, and after the held-back month is added (the incremental refresh).
- `peer`: Social Finance's liiatools `s903 cleanfile` against lscb reading, validating and loading
  the same SSDA903 episodes file into a new DuckDB warehouse (a child that calls
  `pipeline.ingest.ingest`; models and pack are not included on either side), both as whole
  processes, the median of `--repeats` runs. See peer_liiatools.py.

The table is printed, compared with the latest earlier results of the same machine, and written to
`benchmarks/results/<UTC time>-<host>.md` with the machine, the versions and the git commit.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

# The harness runs as a script: its sibling module and the repository's `pipeline` are imported from
# their folders, whatever the current directory.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import peer_liiatools  # noqa: E402

log = logging.getLogger("lscb.bench")

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "benchmarks" / "results"
DEFAULT_SCRATCH = REPO / ".bench"
SAMPLE_EPISODES = (Path(os.environ.get("LSCB_SHARED", REPO.parent / "shared"))
                   / "samples" / "ssda903-validator-fake" / "episodes.csv")
LA_CODE = "311"
MIB = 1024 * 1024

# The data sets of the pipeline scales: arguments of pipeline.generate.generate, for the period
# measured. One month after `end` is generated too and held back for the incremental refresh.
SCALES: dict[str, dict] = {
    "demo": {},
    "decade": {"start": "2011-04", "end": "2021-03"},
    # A national collection holds each council's annual Annex A return, not twelve overlapping
    # monthly re-runs of the rolling year (a council's own monthly drop, as in demo and decade).
    # The issue asks for "on the order of 50 million contacts"; the generator's England-like rates
    # give about 10 million in 5 years, so 5x the contacts below the referral threshold makes the
    # issue's volume (~51 million MASH contacts) with the same referrals, plans and episodes.
    "national": {"councils": 150, "start": "2011-04", "end": "2016-03",
                 "annex_a_every_months": 12, "contacts_factor": 5},
}
ALL_SCALES = ("demo", "decade", "peer", "national")
# Bars from the issue, checked and printed with the results.
BAR_DEMO_RUN_S = 10.0
BAR_DEMO_INCREMENTAL_S = 3.0
BAR_NATIONAL_ROWS_PER_S = 1_000_000
BAR_NATIONAL_PEAK_MIB = 4 * 1024
BAR_PEER_RATIO = {"sample": 10.0, "sample x10": 50.0}
PACK_STAGE = "benchmarks + outputs + pack"
SLOWER_FLAG = 1.20  # a stage 20% slower than the previous results of this machine is flagged


@dataclass
class Row:
    """One line of the results table."""

    scale: str
    stage: str
    wall_s: float
    rows: int | None = None
    peak_rss_mib: float | None = None
    note: str = ""
    cpu_s: float | None = None  # user + system time of all the process's threads

    @property
    def rows_per_s(self) -> float | None:
        if not self.rows or self.wall_s <= 0:
            return None
        return self.rows / self.wall_s


@dataclass
class ProcessResult:
    argv: list[str]
    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    stdout: str
    stderr: str


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    peer: list[dict] = field(default_factory=list)
    bars: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- measurement -------------------------------------------------------------------------------

# A small launcher between the harness and the measured process. A child forked straight from a
# large parent (the harness, or pytest) starts with the parent's resident pages in its high-water
# mark, which would inflate its measured peak; forked from this ~10 MiB launcher it does not.
_LAUNCHER = """
import os, sys
fd = int(sys.argv[1])
pid = os.fork()
if pid == 0:
    os.close(fd)
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
os.write(fd, f"{ru.ru_maxrss} {ru.ru_utime + ru.ru_stime}".encode())
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def run_measured(argv: list[str], *, cwd: Path | None = None, env: dict | None = None,
                 check: bool = True) -> ProcessResult:
    """Run a process to its end; its wall time, CPU time and peak RSS (from `wait4` of that one
    child, through a small launcher: see _LAUNCHER)."""
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(write_fd), *argv], cwd=cwd,
                                env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                pass_fds=(write_fd,))
        os.close(write_fd)
        proc.wait()
        wall = time.perf_counter() - t0
        with os.fdopen(read_fd) as r:
            maxrss_kib, cpu_s = r.read().split()
        out.seek(0)
        err.seek(0)
        result = ProcessResult(argv, proc.returncode, wall, float(cpu_s),
                               int(maxrss_kib) * 1024 / MIB, out.read(), err.read())
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])} ... exited with {result.returncode}:\n"
                           f"{result.stderr[-3000:]}")
    return result


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (Linux >= 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    """This process's RSS high-water mark since start or the last reset, in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # not Linux: the peak since the process started (KiB on Linux, bytes on macOS)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024


def tree_rss_mib(pid: int) -> float:
    """The resident memory of a process and all its descendants now, in MiB (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            for task in os.listdir(f"/proc/{p}/task"):
                children = Path(f"/proc/{p}/task/{task}/children").read_text()
                stack += [int(c) for c in children.split()]
        except (OSError, ValueError):
            continue
    return total / 1024


class TreePeak:
    """The largest sum of RSS over this process and its descendants (ingest's workbook readers),
    sampled every 0.1 s in a thread while the block runs: the kernel's high-water mark is per
    process, and the bar is about the machine's memory."""

    def __enter__(self) -> "TreePeak":
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, tree_rss_mib(os.getpid()))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class StageClock:
    """Times named stages inside one process, with each stage's own peak RSS, and the peak of the
    process tree (sampled)."""

    def __init__(self) -> None:
        self.stages: list[dict] = []

    def run(self, name: str, fn, *args, **kwargs):
        exact = reset_peak_rss()
        t0, c0 = time.perf_counter(), time.process_time()
        with TreePeak() as tree:
            value = fn(*args, **kwargs)
        self.stages.append({"stage": name, "wall_s": time.perf_counter() - t0,
                            "cpu_s": time.process_time() - c0, "peak_rss_mib": peak_rss_mib(),
                            "peak_is_stage_own": exact, "tree_peak_mib": tree.peak})
        return value


# --- formatting --------------------------------------------------------------------------------

def _fmt(value, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "s":
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    if kind == "int":
        return f"{value:,}"
    if kind == "mib":
        return f"{value:,.0f}"
    if kind == "x":
        return f"{value:.1f}x"
    return str(value)


TABLE_COLUMNS = [("scale", "scale", "str"), ("stage", "stage", "str"), ("wall s", "wall_s", "s"),
                 ("CPU s", "cpu_s", "s"),
                 ("rows", "rows", "int"), ("rows/s", "rows_per_s", "int"),
                 ("peak RSS MiB", "peak_rss_mib", "mib"), ("note", "note", "str")]


def format_table(rows: list[Row]) -> str:
    """A Markdown table: text columns left-aligned, numbers right-aligned, '-' where unknown."""
    header = [title for title, _, _ in TABLE_COLUMNS]
    cells = []
    for r in rows:
        line = []
        for _, attr, kind in TABLE_COLUMNS:
            v = getattr(r, attr)
            line.append(_fmt(round(v) if attr == "rows_per_s" and v is not None else v, kind))
        cells.append(line)
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(header)]
    numeric = [kind != "str" for _, _, kind in TABLE_COLUMNS]

    def render(line: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if n else c.ljust(w)
                                 for c, w, n in zip(line, widths, numeric)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if n else ("-" * (w + 2))
                          for w, n in zip(widths, numeric)) + "|"
    return "\n".join([render(header), rule, *(render(c) for c in cells)])


def format_peer(peer: list[dict]) -> str:
    lines = ["| file | episodes | liiatools s | lscb s | ratio | liiatools CPU s | lscb CPU s "
             "| CPU ratio | liiatools MiB | lscb MiB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in peer:
        lines.append(f"| {p['file']} | {p['rows']:,} | {p['peer_s']:.2f} | {p['lscb_s']:.2f} | "
                     f"{p['ratio']:.1f}x | {p['peer_cpu_s']:.2f} | {p['lscb_cpu_s']:.2f} | "
                     f"{p['cpu_ratio']:.1f}x | {p['peer_peak_mib']:,.0f} | "
                     f"{p['lscb_peak_mib']:,.0f} |")
    return "\n".join(lines)


def format_bars(bars: list[dict]) -> str:
    return "\n".join(f"- {'PASS' if b['ok'] else 'FAIL'}: {b['bar']} (measured {b['measured']})"
                     for b in bars)


# --- machine and versions ----------------------------------------------------------------------

def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    mem_gib = None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        cpu = m.group(1).strip() if m else cpu
        m = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        mem_gib = round(int(m.group(1)) / MIB, 1) if m else None
    except OSError:
        pass
    return {"host": socket.gethostname(), "cores": os.cpu_count(), "memory_gib": mem_gib,
            "cpu": cpu, "os": platform.platform()}


def _load_average() -> float | None:
    """The 1-minute load average (the benchmark's own processes count in it too)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def versions() -> dict:
    found = {"python": platform.python_version()}
    for dist in ("duckdb", "pandas", "pandera", "pyarrow", "numpy"):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[dist] = None
    return found


def git_commit() -> str:
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)

    head = git("rev-parse", "--short", "HEAD")
    commit = head.stdout.strip() if head.returncode == 0 else "no commit yet"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return commit + (" (with uncommitted changes)" if dirty else "")


# --- results file and comparison --------------------------------------------------------------

def busy(meta: dict) -> bool:
    loads = [v for v in meta["load_average"].values() if v is not None]
    return bool(loads) and max(loads) > (meta["machine"]["cores"] or 1)


def results_path(when: datetime, host: str) -> Path:
    safe_host = re.sub(r"[^A-Za-z0-9_.-]", "-", host)
    return RESULTS_DIR / f"{when:%Y-%m-%dT%H%M}-{safe_host}.md"


def render_results(results: Results, meta: dict) -> str:
    m, v = meta["machine"], meta["versions"]
    parts = [
        f"# lscb benchmark, {meta['when']}", "",
        f"- machine: {m['host']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, {m['os']}",
        "- versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- git commit: {meta['commit']}",
        f"- load average (1 min) at start and end: {meta['load_average']['start']}, "
        f"{meta['load_average']['end']}"
        + (" (busy: above the core count, so times are inflated)" if busy(meta) else ""),
        f"- scales: {', '.join(meta['scales'])}; command: `{meta['command']}`", "",
    ]
    if results.rows:
        parts += ["## Stages", "", format_table(results.rows), ""]
    if results.peer:
        parts += ["## Against liiatools (end to end, as processes, median of "
                  f"{meta['repeats']})", "", format_peer(results.peer), ""]
    if results.bars:
        parts += ["## Bars", "", format_bars(results.bars), ""]
    if results.notes:
        parts += ["## Notes", "", *(f"- {n}" for n in results.notes), ""]
    data = {"meta": meta, "rows": [asdict(r) for r in results.rows], "peer": results.peer,
            "bars": results.bars}
    parts += ["<!-- the same figures for scripts -->", "```json",
              json.dumps(data, indent=1, default=str), "```", ""]
    return "\n".join(parts)


def read_results(path: Path) -> dict | None:
    m = re.search(r"```json\n(.*?)\n```", path.read_text(), re.S)
    return json.loads(m.group(1)) if m else None


def compare(current: list[Row], previous: list[dict], threshold: float = SLOWER_FLAG) -> list[str]:
    """Lines saying which stages got slower (or faster) than in the previous results. A scale whose
    input rows differ from the previous results' (other generator parameters) is not compared."""
    def size(rows) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for scale, n in rows:
            if n:
                sizes[scale] = max(sizes.get(scale, 0), int(n))
        return sizes

    now = size((r.scale, r.rows) for r in current)
    then = size((p["scale"], p.get("rows")) for p in previous)
    other_data = {s for s in now if s in then and now[s] != then[s]}
    lines = [f"not compared: {s} has other data ({now[s]:,} input rows, was {then[s]:,})"
             for s in sorted(other_data)]
    before = {(p["scale"], p["stage"]): p["wall_s"] for p in previous}
    for r in current:
        old = before.get((r.scale, r.stage))
        if old is None or old <= 0 or r.scale in other_data:
            continue
        ratio = r.wall_s / old
        if ratio >= threshold or ratio <= 1 / threshold:
            word = "SLOWER" if ratio >= threshold else "faster"
            lines.append(f"{word} {r.scale} / {r.stage}: {r.wall_s:.2f} s, was {old:.2f} s "
                         f"({ratio:.2f}x)")
    return lines


def previous_rows(host: str, results_dir: Path = RESULTS_DIR) -> list[dict]:
    """For each (scale, stage), its row in the latest earlier results file of this host."""
    safe_host = re.sub(r"[^A-Za-z0-9_.-]", "-", host)
    latest: dict[tuple[str, str], dict] = {}
    for path in sorted(results_dir.glob(f"*-{safe_host}.md"), reverse=True):
        data = read_results(path) or {}
        for row in data.get("rows", []):
            latest.setdefault((row["scale"], row["stage"]), {**row, "file": path.name})
    return list(latest.values())


# --- data sets ---------------------------------------------------------------------------------

def _generator_fingerprint(params: dict) -> str:
    h = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    gen = REPO / "pipeline" / "generate"
    for p in sorted(gen.rglob("*")) if gen.is_dir() else [REPO / "pipeline" / "generate.py"]:
        if p.is_file() and p.suffix in (".py", ".toml", ".csv", ".json"):
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


def python_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def generated(scratch: Path, scale: str, params: dict) -> tuple[Path, Path, float | None]:
    """The scale's raw and reference folders, generated unless already there; the seconds taken."""
    root = scratch / "data" / f"{scale}-{_generator_fingerprint(params)}"
    raw, ref, done = root / "raw", root / "reference", root / "complete"
    if done.exists():
        return raw, ref, None
    for stale in root.parent.glob(f"{scale}-*"):  # data of an older generator or other parameters
        if re.fullmatch(rf"{re.escape(scale)}-[0-9a-f]{{12}}", stale.name):
            shutil.rmtree(stale)
    root.mkdir(parents=True)
    code = ("import json, sys; from pathlib import Path; from pipeline.generate import generate; "
            "generate(Path(sys.argv[1]), Path(sys.argv[2]), **json.loads(sys.argv[3]))")
    r = run_measured([sys.executable, "-c", code, str(raw), str(ref), json.dumps(params)],
                     cwd=REPO, env=python_env())
    done.write_text(json.dumps(params))
    return raw, ref, r.wall_s


def _month_after(yyyymm: str) -> str:
    y, m = map(int, yyyymm.split("-"))
    return f"{y + m // 12}-{m % 12 + 1:02d}"


# --- the stages child --------------------------------------------------------------------------

def child_stages(raw: Path, ref: Path, db: Path, out: Path, la_code: str, result: Path) -> None:
    """Run the stages of `lscb run` in order in this process and write their timings to `result`.

    Mirrors pipeline.run.run (keep the two in step) without its lock, copy and swap, which the
    process benchmark of `lscb run` measures.
    """
    from pipeline import benchmarks, ingest, models, reference, report, run, warehouse
    from pipeline.config import Settings

    clock = StageClock()
    settings = Settings(la_code=la_code, raw=raw, reference=ref, db=db, out=out)
    con = warehouse.connect(db)
    split = _split_ingest_at_load()
    ingested = clock.run("read + validate + load", ingest.ingest, con, raw, la_code)
    if split and "load_s" in split:  # one ingest, reported as its halves: read and check, then load
        whole = clock.stages.pop()
        clock.stages += [
            {"stage": "read + validate", "wall_s": whole["wall_s"] - split["load_s"],
             "cpu_s": whole["cpu_s"] - split["load_cpu_s"],
             "peak_rss_mib": split["read_peak"], "peak_is_stage_own": whole["peak_is_stage_own"],
             "tree_peak_mib": whole["tree_peak_mib"]},
            {"stage": "load into DuckDB", "wall_s": split["load_s"], "cpu_s": split["load_cpu_s"],
             "peak_rss_mib": split["load_peak"], "peak_is_stage_own": whole["peak_is_stage_own"],
             "tree_peak_mib": whole["tree_peak_mib"]},
        ]
    rows_read = sum(int(f.get("rows_read") or 0) for f in ingested.files)
    ref_summary = clock.run("reference", reference.load_reference, con, ref)
    clock.run("models", models.build, con)
    period_end = run.latest_period(con, la_code)
    out.mkdir(parents=True, exist_ok=True)

    def pack() -> None:
        table, _ = benchmarks.build(con, la_code, settings.sn_model)
        run.write_indicators(con, out / "indicators.csv")
        table.to_csv(out / "benchmarks.csv", index=False)
        run.write_quality(con, ingested.files, out / "data-quality.csv")
        manifest = run._manifest(settings, datetime.now(timezone.utc), ingested, ref_summary, con,
                                 period_end, {})
        report.write_pack(con, out, la_code=la_code, period_end=period_end, settings=settings,
                          manifest=manifest)

    clock.run(PACK_STAGE, pack)
    con.close()
    result.write_text(json.dumps({"rows_read": rows_read, "stages": clock.stages}))


def _split_ingest_at_load() -> dict | None:
    """Wrap ingest's load step (`core._load_all`: stage, merge, record; one transaction per group
    of councils) in a timer that adds up its calls.

    ingest reads and validates a group's files first (staging the pandas path's rows in DuckDB
    temp tables as it goes) and then loads them, so the rest of its time is reading and
    validating. Returns the dict the timer fills, or None when the ingest package no longer has
    that step (the stage is then reported whole).
    """
    from pipeline.ingest import core

    inner = getattr(core, "_load_all", None)
    if inner is None:
        return None
    marks: dict = {}

    def timed(con, *args, **kwargs):
        t0, c0 = time.perf_counter(), time.process_time()
        marks["read_peak"] = max(marks.get("read_peak", 0.0), peak_rss_mib())
        reset_peak_rss()
        inner(con, *args, **kwargs)
        marks["load_s"] = marks.get("load_s", 0.0) + time.perf_counter() - t0
        marks["load_cpu_s"] = marks.get("load_cpu_s", 0.0) + time.process_time() - c0
        marks["load_peak"] = max(marks.get("load_peak", 0.0), peak_rss_mib())

    core._load_all = timed
    return marks


def child_ingest(raw: Path, db: Path, la_code: str) -> None:
    """Read, validate and load one raw folder into a new warehouse; print the rows loaded.

    lscb's side of the peer comparison: it starts as `lscb run` does (pipeline.startup).
    """
    from pipeline import startup

    startup.import_frozen("pipeline.ingest", "pipeline.warehouse")
    from pipeline import ingest, warehouse

    con = warehouse.connect(db)
    ingested = ingest.ingest(con, raw, la_code)
    con.close()
    print(json.dumps({k: sum(int(f.get(k) or 0) for f in ingested.files)
                      for k in ("rows_read", "rows_loaded", "rows_rejected")}))


# --- scales ------------------------------------------------------------------------------------

def lscb_run_argv(raw: Path, ref: Path, db: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--reference", str(ref),
            "--db", str(db), "--out", str(out), "--la", LA_CODE, "-q"]


def hold_back_month(raw: Path, month: str, dest: Path) -> list[Path]:
    """Mirror `raw` into `dest` (hard links) without the extracts dated in `month` (YYYY-MM).

    The generator writes one file per extract and month, named `<extract>_<YYYY-MM-DD>.<ext>`; the
    held-back files are the next month's delivery. Returns them (paths relative to `raw`).
    """
    dated = re.compile(rf"_{re.escape(month)}-\d{{2}}\.[A-Za-z]+$")
    held = []
    for p in sorted(raw.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(raw)
        if dated.search(p.name):
            held.append(rel)
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(p, dest / rel)
    return held


def rows_loaded_by(out: Path) -> int | None:
    """Input rows that the run read from new files (`status` loaded), from its run-manifest.json."""
    manifest = out / "run-manifest.json"
    if not manifest.exists():
        return None
    inputs = json.loads(manifest.read_text()).get("inputs", [])
    return sum(int(i.get("rows_read") or 0) for i in inputs if i.get("status") == "loaded")


def generated_params(scale: str) -> dict:
    """The generator's arguments for a scale: one month more than the scale's period is generated,
    and that month (params["end"]) is held back for the refresh."""
    params = dict(SCALES[scale])
    params["end"] = _month_after(params.get("end", "2014-03"))
    return params


def bench_pipeline(scale: str, scratch: Path, results: Results, repeats: int = 3) -> None:
    params = generated_params(scale)
    raw_all, ref, gen_s = generated(scratch, scale, params)
    if gen_s is not None:
        results.notes.append(f"{scale}: data generated in {gen_s:.1f} s (not part of any stage)")
    work = scratch / "work" / scale
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    raw = work / "raw"
    held = hold_back_month(raw_all, params["end"], raw)

    stages_json = work / "stages.json"
    total = run_measured(
        [sys.executable, str(Path(__file__).resolve()), "_stages", str(raw), str(ref),
         str(work / "stages.duckdb"), str(work / "stages-out"), LA_CODE, str(stages_json)],
        cwd=REPO, env=python_env())
    child = json.loads(stages_json.read_text())
    rows = child["rows_read"]
    staged = 0.0
    for st in child["stages"]:
        staged += st["wall_s"]
        note = "" if st["peak_is_stage_own"] else "peak since process start"
        results.rows.append(Row(scale, st["stage"], st["wall_s"], rows, st["peak_rss_mib"], note,
                                st["cpu_s"]))
    before_pack = [st for st in child["stages"] if st["stage"] != PACK_STAGE]
    ingest_models = sum(st["wall_s"] for st in before_pack)
    ingest_models_cpu = sum(st["cpu_s"] for st in before_pack)
    ingest_models_peak = max(st["peak_rss_mib"] for st in before_pack)
    # With its workbook readers (worker processes at national scale) counted in.
    tree_peak = max([ingest_models_peak] + [st.get("tree_peak_mib", 0.0) for st in before_pack])
    results.rows.append(Row(scale, "start-up + imports", total.wall_s - staged, None, None,
                            "the rest; its CPU s includes processes the stages started",
                            total.cpu_s - sum(st["cpu_s"] for st in child["stages"])))
    results.rows.append(Row(scale, "ingest + validate + models", ingest_models, rows,
                            ingest_models_peak,
                            "the stages above but the pack" + (
                                f"; with worker processes {tree_peak:,.0f} MiB"
                                if tree_peak > ingest_models_peak * 1.02 else ""),
                            ingest_models_cpu))
    # Resetting the high-water mark also lowers what wait4 reports, so the process's peak is the
    # larger of that and the stages' peaks.
    total_peak = max(total.peak_rss_mib, *(st["peak_rss_mib"] for st in child["stages"]))
    results.rows.append(Row(scale, "total (one process)", total.wall_s, rows, total_peak,
                            cpu_s=total.cpu_s))

    # Each `lscb run` line is the median of `repeats` runs from the same starting warehouse (a
    # copy of it each time): one run's time on a shared 2-core machine varies by 20-30%.
    db, out = work / "run.duckdb", work / "run-out"
    start = work / "start.duckdb"

    def runs(note: str) -> ProcessResult:
        if db.exists():
            shutil.copyfile(db, start)
        measured = []
        for i in range(repeats):
            db.unlink(missing_ok=True)
            if start.exists():
                shutil.copyfile(start, db)
            measured.append(run_measured(lscb_run_argv(raw, ref, db, out), cwd=REPO,
                                         env=python_env()))
        start.unlink(missing_ok=True)
        log.info("%s %s: %s s", scale, note, ", ".join(f"{r.wall_s:.2f}" for r in measured))
        return sorted(measured, key=lambda r: r.wall_s)[len(measured) // 2]

    full = runs("empty warehouse")
    results.rows.append(Row(scale, "lscb run (empty warehouse)", full.wall_s, rows_loaded_by(out),
                            full.peak_rss_mib, f"process: lock, copy, all stages, swap; "
                            f"median of {repeats}", full.cpu_s))
    again = runs("nothing new")
    results.rows.append(Row(scale, "lscb run (nothing new)", again.wall_s, rows_loaded_by(out),
                            again.peak_rss_mib, f"every file already loaded; median of {repeats}",
                            again.cpu_s))
    for rel in held:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(raw_all / rel, raw / rel)
    refresh = runs("one more month")
    results.rows.append(Row(scale, "lscb run (one more month)", refresh.wall_s,
                            rows_loaded_by(out), refresh.peak_rss_mib,
                            f"{len(held)} new files of {params['end']}; median of {repeats}",
                            refresh.cpu_s))

    if scale == "demo":
        results.bars.append({"bar": f"demo: full lscb run < {BAR_DEMO_RUN_S:g} s",
                             "measured": f"{full.wall_s:.2f} s",
                             "ok": full.wall_s < BAR_DEMO_RUN_S})
        results.bars.append({"bar": f"demo: refresh after one more month < "
                                    f"{BAR_DEMO_INCREMENTAL_S:g} s",
                             "measured": f"{refresh.wall_s:.2f} s",
                             "ok": refresh.wall_s < BAR_DEMO_INCREMENTAL_S})
    if scale == "national":
        rate = rows / ingest_models if ingest_models else 0
        results.bars.append({"bar": f"national: ingest+validate+models >= "
                                    f"{BAR_NATIONAL_ROWS_PER_S:,} input rows/s",
                             "measured": f"{rate:,.0f} rows/s",
                             "ok": rate >= BAR_NATIONAL_ROWS_PER_S})
        results.bars.append({"bar": f"national: peak memory of ingest+validate+models < "
                                    f"{BAR_NATIONAL_PEAK_MIB:,} MiB",
                             "measured": f"{tree_peak:,.0f} MiB, the process and its workbook "
                                         f"readers (the process alone: {ingest_models_peak:,.0f} "
                                         f"MiB; with the pack: {total_peak:,.0f} MiB)",
                             "ok": tree_peak < BAR_NATIONAL_PEAK_MIB})


def bench_peer(scratch: Path, repeats: int, results: Results) -> None:
    if not SAMPLE_EPISODES.exists():
        results.notes.append(f"peer: skipped, {SAMPLE_EPISODES} is absent")
        return
    peer_python = peer_liiatools.ensure_venv()
    results.notes.append(f"peer: {peer_liiatools.peer_version(peer_python)} in "
                         f"{peer_python.parent.parent}")
    work = scratch / "work" / "peer"
    if work.exists():
        shutil.rmtree(work)
    tenfold = work / "episodes-x10.csv"
    peer_liiatools.write_multiplied_episodes(SAMPLE_EPISODES, tenfold, 10)
    for label, episodes in (("sample", SAMPLE_EPISODES), ("sample x10", tenfold)):
        n = peer_liiatools.count_csv_rows(episodes)
        raw = work / f"raw-{label.replace(' ', '')}"
        raw.mkdir(parents=True)
        shutil.copyfile(episodes, raw / "episodes.csv")
        peer_runs, ours = [], []
        for i in range(repeats):
            inp, logs, out = peer_liiatools.prepare_run(episodes, work / "liiatools")
            argv = peer_liiatools.cleanfile_argv(peer_python, inp, logs, out)
            peer_runs.append(run_measured(argv))
            peer_liiatools.check_cleaned(out, n)
            db = work / f"lscb-{i}.duckdb"
            r = run_measured([sys.executable, str(Path(__file__).resolve()), "_ingest", str(raw),
                              str(db), LA_CODE], cwd=REPO, env=python_env())
            loaded = json.loads(r.stdout.strip().splitlines()[-1])
            if loaded["rows_read"] != n:
                raise RuntimeError(f"lscb read {loaded['rows_read']} rows of {n} in {episodes}")
            ours.append(r)
            db.unlink(missing_ok=True)
            log.info("peer %s run %d: liiatools %.2f s (CPU %.2f s), lscb %.2f s (CPU %.2f s)",
                     label, i + 1, peer_runs[-1].wall_s, peer_runs[-1].cpu_s, r.wall_s, r.cpu_s)
        peer_s = statistics.median(p.wall_s for p in peer_runs)
        lscb_s = statistics.median(p.wall_s for p in ours)
        peer_cpu = statistics.median(p.cpu_s for p in peer_runs)
        lscb_cpu = statistics.median(p.cpu_s for p in ours)
        results.peer.append({
            "file": label, "rows": n, "peer_s": peer_s, "lscb_s": lscb_s,
            "ratio": peer_s / lscb_s, "peer_cpu_s": peer_cpu, "lscb_cpu_s": lscb_cpu,
            "cpu_ratio": peer_cpu / lscb_cpu,
            "peer_peak_mib": max(p.peak_rss_mib for p in peer_runs),
            "lscb_peak_mib": max(p.peak_rss_mib for p in ours),
            "peer_runs_s": [round(p.wall_s, 3) for p in peer_runs],
            "lscb_runs_s": [round(p.wall_s, 3) for p in ours],
            "lscb_rows_loaded": loaded["rows_loaded"],
            "lscb_rows_rejected": loaded["rows_rejected"],
        })
        bar = BAR_PEER_RATIO[label]
        results.bars.append({"bar": f"peer: >= {bar:g}x faster than liiatools on the {label} "
                                    f"({n:,} episodes)",
                             "measured": f"{peer_s / lscb_s:.1f}x", "ok": peer_s / lscb_s >= bar})


# --- main --------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Benchmark lscb stage by stage and against liiatools.")
    p.add_argument("--scale", action="append", choices=[*SCALES, "peer", "all"],
                   help="what to run (repeatable; default: demo). all = demo, decade, peer, "
                        "national")
    p.add_argument("--repeats", type=int, default=3,
                   help="runs per side in the peer comparison, and of each `lscb run` line "
                        "(national: one)")
    p.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH,
                   help="folder for generated data and warehouses (default .bench/)")
    p.add_argument("--no-record", action="store_true", help="print only; write no results file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_stages"]:
        a = argv[1:]
        child_stages(Path(a[0]), Path(a[1]), Path(a[2]), Path(a[3]), a[4], Path(a[5]))
        return 0
    if argv[:1] == ["_ingest"]:
        child_ingest(Path(argv[1]), Path(argv[2]), argv[3])
        return 0
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        datefmt="%H:%M:%S")
    chosen = args.scale or ["demo"]
    scales = list(ALL_SCALES) if "all" in chosen else list(dict.fromkeys(chosen))
    started = datetime.now(timezone.utc)
    load_at_start = _load_average()
    results = Results()
    failed = []
    for scale in scales:
        log.info("benchmark: %s", scale)
        try:
            if scale == "peer":
                bench_peer(args.scratch, args.repeats, results)
            else:
                bench_pipeline(scale, args.scratch, results,
                               1 if scale == "national" else args.repeats)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            # Keep what the other scales measured; the failure is recorded with them.
            log.error("benchmark %s failed: %s", scale, e)
            failed.append(scale)
            results.notes.append(f"{scale}: FAILED: {str(e).strip().splitlines()[-1][:300]}")

    meta = {"when": started.isoformat(timespec="seconds"), "machine": machine_info(),
            "load_average": {"start": load_at_start, "end": _load_average()},
            "versions": versions(), "commit": git_commit(), "scales": scales,
            "repeats": args.repeats, "command": "python benchmarks/bench.py " + " ".join(argv)}
    text = render_results(results, meta)
    previous = previous_rows(meta["machine"]["host"])
    earlier = {(p["scale"], p["stage"]) for p in previous}
    if any((r.scale, r.stage) in earlier for r in results.rows):
        changes = compare(results.rows, previous)
        results.notes += changes or ["no stage changed by 20% or more since the latest earlier "
                                     "results of this machine"]
        text = render_results(results, meta)
    print(text.split("<!-- the same figures")[0])
    if not args.no_record:
        path = results_path(started, meta["machine"]["host"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"results written to {path.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
