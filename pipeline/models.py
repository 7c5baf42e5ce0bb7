"""Run the SQL models in sql/ (staging -> intermediate -> marts) in dependency order.

One model per file: `sql/<schema>/<name>.sql` holds a single `select`, which becomes the table
`<schema>.<name>` (`create or replace table ... as <select>`). A model's dependencies are the
`staging.*`, `intermediate.*` and `marts.*` names it mentions; `raw.*` and `reference.*` tables are
sources that exist before the build (pipeline/warehouse.py).

Besides the models, the runner writes one seed: `staging.seed_indicator_catalogue`, the indicator
catalogue (catalogue.toml) as a table, so that the SQL can say which inputs each indicator needs
without repeating the catalogue.

The only value parameter is `$as_of` (the last complete month, or null): it is bound, never
formatted, and only passed to models that mention it.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import date
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from pipeline import catalogue
from pipeline.errors import LscbError

log = logging.getLogger("lscb.models")

SCHEMAS = ("staging", "intermediate", "marts")
SEEDS = ("staging.seed_indicator_catalogue",)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REFERENCE = re.compile(r"\b(staging|intermediate|marts)\.([a-z][a-z0-9_]*)\b")
_AS_OF = re.compile(r"\$as_of\b")
_LINE_COMMENT = re.compile(r"--[^\n]*")


class ModelError(LscbError):
    """A model file cannot be built: a bad name, an unknown reference, a cycle or failing SQL."""


@dataclass(frozen=True)
class Model:
    schema: str
    name: str
    path: Path
    sql: str

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def depends_on(self) -> frozenset[str]:
        code = _LINE_COMMENT.sub("", self.sql)
        return frozenset(f"{s}.{n}" for s, n in _REFERENCE.findall(code)) - {self.table}


def default_sql_dir() -> Path:
    """The repository's sql/ folder beside the package, else a sql/ folder inside the package."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "sql", package / "sql"):
        if candidate.is_dir():
            return candidate
    raise ModelError(f"no sql/ folder found beside or inside {package}")


def discover(sql_dir: Path) -> dict[str, Model]:
    """Every model file under sql_dir, keyed by its table name."""
    models: dict[str, Model] = {}
    for schema in SCHEMAS:
        for path in sorted((sql_dir / schema).glob("*.sql")):
            name = path.stem
            if not _NAME.match(name):
                raise ModelError(
                    f"model file name {path.name!r} is not a valid table name "
                    "(lowercase letters, digits and underscores, starting with a letter)",
                )
            sql = path.read_text(encoding="utf-8").strip().rstrip(";")
            models[f"{schema}.{name}"] = Model(schema, name, path, sql)
    if not models:
        raise ModelError(f"no model files under {sql_dir}")
    return models


def build_order(models: dict[str, Model]) -> list[str]:
    """Table names in an order where every model comes after the models it reads."""
    graph: dict[str, set[str]] = {}
    for table, model in models.items():
        unknown = model.depends_on - models.keys() - set(SEEDS)
        if unknown:
            raise ModelError(
                f"model {model.path} reads {', '.join(sorted(unknown))}, "
                "which no model file defines"
            )
        # Layers only read downwards: staging <- intermediate <- marts.
        upward = {d for d in model.depends_on
                  if SCHEMAS.index(d.split(".")[0]) > SCHEMAS.index(model.schema)}
        if upward:
            raise ModelError(
                f"model {model.path} ({model.schema}) reads {', '.join(sorted(upward))} "
                "from a later layer"
            )
        graph[table] = set(model.depends_on & models.keys())
    try:
        # Sorting first makes the order reproducible between runs.
        sorter = TopologicalSorter({t: sorted(graph[t]) for t in sorted(graph)})
        return list(sorter.static_order())
    except CycleError as e:
        raise ModelError(f"models depend on each other in a cycle: {' -> '.join(e.args[1])}") from e


def write_catalogue_seed(con: duckdb.DuckDBPyConnection) -> None:
    """staging.seed_indicator_catalogue: one row per catalogue indicator."""
    con.execute("create schema if not exists staging")
    con.execute(
        """create or replace table staging.seed_indicator_catalogue (
            indicator_id VARCHAR, area VARCHAR, model VARCHAR, unit VARCHAR,
            windows VARCHAR[], requires VARCHAR[]
        )"""
    )
    con.executemany(
        "insert into staging.seed_indicator_catalogue values (?, ?, ?, ?, ?, ?)",
        [[i.id, i.area, i.model, i.unit, list(i.windows), list(i.requires)]
         for i in catalogue.load()],
    )


def build(con: duckdb.DuckDBPyConnection, sql_dir: Path | None = None, *,
          as_of: date | None = None) -> list[str]:
    """Build every model in dependency order; return the table names built, in that order.

    `as_of` caps the month spine at that month (the last complete month); by default the spine ends
    at the last complete month of the loaded data.
    """
    sql_dir = Path(sql_dir) if sql_dir is not None else default_sql_dir()
    models = discover(sql_dir)
    order = build_order(models)
    write_catalogue_seed(con)
    for schema in SCHEMAS:
        con.execute(f"create schema if not exists {schema}")  # names from the fixed SCHEMAS
    started = time.perf_counter()
    # One transaction: one commit rather than one per model (a third of the models' time), and a
    # model that fails leaves the warehouse as it was.
    con.begin()
    try:
        for table in order:
            model = models[table]
            params = {"as_of": as_of} if _AS_OF.search(model.sql) else None
            t0 = time.perf_counter()
            # Staging models only rename and cast raw columns: views, so that the raw logs (tens
            # of millions of contacts nationally) are not copied; the rest are tables, and so is a
            # model that binds $as_of (a view cannot keep a parameter).
            kind = "view" if table.startswith("staging.") and params is None else "table"
            try:
                schema, name = table.split(".")
                other = "table" if kind == "view" else "view"
                found = con.execute(
                    "select table_type from information_schema.tables where table_schema = ? "
                    "and table_name = ?", [schema, name]).fetchall()
                if found and found[0][0] != ("VIEW" if kind == "view" else "BASE TABLE"):
                    con.execute(f"drop {other} {table}")  # built the other way by an older lscb
                con.execute(f"create or replace {kind} {table} as\n{model.sql}", params)
            except duckdb.Error as e:
                raise ModelError(f"model {model.path} failed: {e}") from e
            if kind == "table":
                (rows,), = con.execute(f"select count(*) from {table}").fetchall()
                log.debug("built %s: %d rows in %.3f s", table, rows, time.perf_counter() - t0)
    except BaseException:
        con.rollback()
        raise
    con.commit()
    log.info("built %d models in %.2f s", len(order), time.perf_counter() - started)
    return order
