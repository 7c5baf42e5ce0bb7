"""The command line: `lscb run`, `lscb generate`, `lscb notebooks`."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time
import traceback
from pathlib import Path

from pipeline import config, startup
from pipeline.errors import LscbError

log = logging.getLogger("lscb")


def _settings(args: argparse.Namespace) -> config.Settings:
    s = config.load(Path(args.config) if args.config else None)
    for name in ("raw", "db", "reference", "out"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(s, name, Path(value))
    if getattr(args, "la", None):
        s.la_code = str(args.la).zfill(3)
    if getattr(args, "period", None):
        s.period = args.period
    if getattr(args, "sn_model", None):
        s.sn_model = args.sn_model
    if getattr(args, "strict", False):
        s.strict = True
    return s


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="configuration file (default: ./lscb.toml)")
    p.add_argument("--la", help="three-digit DfE code of the council (default from the config)")
    p.add_argument("--db", help="DuckDB warehouse file (default data/processed/lscb.duckdb)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("--debug", action="store_true", help="print tracebacks of internal errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lscb", description="Safeguarding board indicators: extracts -> warehouse -> pack.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="validate and load the extracts, compute, write the pack")
    _add_common(run)
    run.add_argument("--raw", help="folder of extracts, searched recursively (default data/raw)")
    run.add_argument("--out", help="output folder (default reports/<period>)")
    run.add_argument("--period", help="the month the pack is for, YYYY-MM (default: latest)")
    run.add_argument("--reference", help="folder of published DfE/ONS files")
    run.add_argument("--sn-model", choices=["2021", "2025"], help="statistical neighbour model")
    run.add_argument("--strict", action="store_true", help="fail the run if any row is rejected")
    run.add_argument("--rebuild", action="store_true",
                     help="start from an empty warehouse instead of adding to the existing one")
    run.add_argument("--no-pack", action="store_true",
                     help="write the CSV outputs and manifest but not the HTML/PDF/XLSX pack")

    gen = sub.add_parser("generate", help="write a synthetic council's extracts (and reference)")
    gen.add_argument("--raw", default="data/raw", help="folder to write the extracts into")
    gen.add_argument("--reference", help="folder to write synthetic DfE/ONS reference files into")
    gen.add_argument("--councils", type=int, default=1, help="how many councils (default 1)")
    gen.add_argument("--la", default="311", help="code of the (first) council (default 311)")
    gen.add_argument("--seed", type=int, default=2013)
    gen.add_argument("--start", default="2011-04", help="first month, YYYY-MM")
    gen.add_argument("--end", default="2014-03", help="last month, YYYY-MM")
    gen.add_argument("--annex-a-every-months", type=int, default=1,
                     help="write an Annex A workbook every N months (default 1)")
    gen.add_argument("--contacts-factor", type=float, default=1.0,
                     help="N times the contacts below the referral threshold, for scale tests "
                          "(default 1)")
    gen.add_argument("--workers", type=int, help="processes to write councils with (default: cores)")
    gen.add_argument("-q", "--quiet", action="store_true")
    gen.add_argument("--debug", action="store_true")

    nb = sub.add_parser("notebooks", help="execute the analysts' notebooks into HTML")
    _add_common(nb)
    nb.add_argument("--out", required=True, help="output folder (notebooks/ is written inside)")
    nb.add_argument("--period", help="YYYY-MM (default: latest in the warehouse)")
    nb.add_argument("--timeout", type=int, default=300, help="seconds per notebook cell")
    return parser


def _setup_logging(quiet: bool) -> None:
    """Progress per stage on stderr (counts only); --quiet keeps warnings and errors."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING if quiet else logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s",
                                           datefmt="%H:%M:%S"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def cmd_run(args) -> int:
    # A run is one short process: its modules imported with the collector off (startup.py).
    startup.import_frozen("pipeline.benchmarks", "pipeline.ingest", "pipeline.models",
                          "pipeline.run", *(() if args.no_pack else ("pipeline.report",)))
    from pipeline import run

    settings = _settings(args)
    t = time.perf_counter()
    result = run.run(settings, rebuild=args.rebuild, pack=not args.no_pack)
    print(f"lscb: pack for council {settings.la_code}, period ending {result.period_end}, "
          f"written in {time.perf_counter() - t:.1f} s:")
    for p in result.outputs:
        print(f"  {p}")
    print(f"  warehouse: {result.db}")
    gc.freeze()  # the process is ending: the collections at exit need not scan what is left
    return 0


def cmd_generate(args) -> int:
    from pipeline.generate import generate

    summary = generate(
        Path(args.raw), Path(args.reference) if args.reference else None,
        councils=args.councils, la_code=str(args.la).zfill(3), seed=args.seed, start=args.start,
        end=args.end, annex_a_every_months=args.annex_a_every_months,
        contacts_factor=args.contacts_factor, workers=args.workers)
    print(f"lscb: synthetic data written to {args.raw}"
          + (f" and synthetic reference files to {args.reference}" if args.reference else ""))
    for key, value in summary.items():
        if isinstance(value, (int, float, str)):
            print(f"  {key}: {value}")
    return 0


def cmd_notebooks(args) -> int:
    import duckdb

    from pipeline import notebooks, run

    settings = _settings(args)
    if args.period:
        period_end = run._period_end(args.period)
    else:
        with duckdb.connect(str(settings.db), read_only=True) as con:
            period_end = run.latest_period(con, settings.la_code)
    written = notebooks.execute(Path(settings.db), Path(args.out), la_code=settings.la_code,
                                period_end=period_end, timeout=args.timeout)
    print("lscb: notebooks executed:")
    for p in written:
        print(f"  {p}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.quiet)
    handler = {"run": cmd_run, "generate": cmd_generate, "notebooks": cmd_notebooks}[args.command]
    try:
        return handler(args)
    except LscbError as e:
        print(f"lscb: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lscb: interrupted; the warehouse and earlier outputs are unchanged", file=sys.stderr)
        return 130
    except Exception as e:  # an internal error still gets a sentence, not only a traceback
        if args.debug:
            traceback.print_exc()
        print(f"lscb: internal error ({type(e).__name__}: {e}); the warehouse and earlier outputs "
              "are unchanged. Run again with --debug for the traceback and report it.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
