"""The DuckDB warehouse: connection and the tables every stage agrees on (docs/architecture.md).

The `raw`, `meta` and `reference` tables are declared here once; `staging`, `intermediate` and
`marts` are built by the SQL models in sql/.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

# DuckDB may otherwise take 80% of the machine's memory, and at national scale it fills whatever it
# is allowed; the process holds ~0.65 GB besides and the workbook readers ~0.5 GB. Measured on the
# national set (69-76 M rows): 2 GB peaked at 3.1 GiB with the readers, 2.5 GB at 3.6, 3 GB at 3.5-3.8,
# against the 4 GiB bar; 2 GB costs ~3% of speed. LSCB_MEMORY_LIMIT overrides it.
MEMORY_LIMIT = "2GB"
# DuckDB checkpoints at a commit once the write-ahead log passes 16 MB; an ingest commits once per
# group of councils, and each checkpoint rewrote the growing tables' last row groups and metadata
# (19 s of 52 commits nationally). Large inserts go straight to the database file, so the log stays
# small; the checkpoint comes once, when the connection closes.
CHECKPOINT_THRESHOLD = "1GB"

PROVENANCE = """
    la_code VARCHAR NOT NULL,
    extract_date DATE,
    source_file VARCHAR NOT NULL,
    source_sheet VARCHAR,
    source_row INTEGER NOT NULL,
    file_sha256 VARCHAR NOT NULL
"""

# Column declarations of the raw tables (besides provenance), and each table's record key.
RAW_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "mash_contacts": (
        """contact_id VARCHAR NOT NULL, child_id VARCHAR NOT NULL, received_at TIMESTAMP NOT NULL,
        source VARCHAR, merlin_id VARCHAR, rag VARCHAR, decided_at TIMESTAMP, outcome VARCHAR""",
        ("contact_id",),
    ),
    "merlin_notifications": (
        """merlin_id VARCHAR NOT NULL, received_at TIMESTAMP NOT NULL, child_id VARCHAR,
        notification_type VARCHAR, police_risk VARCHAR, screened BOOLEAN""",
        ("merlin_id",),
    ),
    "annex_a_contacts": (
        """child_unique_id VARCHAR NOT NULL, gender VARCHAR, ethnicity VARCHAR,
        date_of_contact DATE NOT NULL, contact_source VARCHAR""",
        ("child_unique_id", "date_of_contact", "contact_source"),
    ),
    "annex_a_referrals": (
        """child_unique_id VARCHAR NOT NULL, gender VARCHAR, ethnicity VARCHAR,
        date_of_referral DATE NOT NULL, referral_source VARCHAR, referral_nfa BOOLEAN,
        referrals_in_last_12_months INTEGER""",
        ("child_unique_id", "date_of_referral"),
    ),
    "annex_a_cp_plans": (
        """child_unique_id VARCHAR NOT NULL, gender VARCHAR, ethnicity VARCHAR,
        cpp_start_date DATE NOT NULL, initial_category VARCHAR, latest_category VARCHAR,
        cpp_end_date DATE, previous_cpp_count INTEGER""",
        ("child_unique_id", "cpp_start_date"),
    ),
    "ssda903_header": (
        """child VARCHAR NOT NULL, sex VARCHAR, dob DATE, ethnic VARCHAR""",
        ("child",),
    ),
    "ssda903_episodes": (
        """child VARCHAR NOT NULL, decom DATE NOT NULL, rne VARCHAR, ls VARCHAR, cin VARCHAR,
        place VARCHAR, place_provider VARCHAR, dec DATE, rec VARCHAR,
        reason_place_change VARCHAR""",
        ("child", "decom"),
    ),
}

META_DDL = """
create schema if not exists meta;
create table if not exists meta.loaded_files (
    file_sha256 VARCHAR NOT NULL, source_file VARCHAR NOT NULL, la_code VARCHAR, extract VARCHAR,
    sheet VARCHAR, extract_date DATE, rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
    rows_flagged BIGINT, loaded_at TIMESTAMP
);
create table if not exists meta.reference_state (
    fingerprint VARCHAR NOT NULL, summary VARCHAR, loaded_at TIMESTAMP
);
create table if not exists meta.data_quality (
    file_sha256 VARCHAR NOT NULL, source_file VARCHAR NOT NULL, sheet VARCHAR, "row" BIGINT,
    "column" VARCHAR, rule VARCHAR, value VARCHAR, severity VARCHAR
);
"""

REFERENCE_DDL = """
create schema if not exists reference;
create table if not exists reference.local_authorities (
    la_code VARCHAR, la_name VARCHAR, region_name VARCHAR, is_london BOOLEAN
);
create table if not exists reference.population (
    area_level VARCHAR, la_code VARCHAR, area_name VARCHAR, mid_year INTEGER, population INTEGER
);
create table if not exists reference.published (
    area_level VARCHAR, la_code VARCHAR, area_name VARCHAR, indicator_id VARCHAR,
    year_ending DATE, value DOUBLE, symbol VARCHAR, source_file VARCHAR
);
create table if not exists reference.statistical_neighbours (
    model VARCHAR, la_code VARCHAR, rank INTEGER, sn_la_code VARCHAR, closeness VARCHAR
);
"""


def create_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw, meta and reference tables if they are not there yet."""
    con.execute("create schema if not exists raw")
    for name, (columns, _key) in RAW_TABLES.items():
        con.execute(f"create table if not exists raw.{name} ({columns}, {PROVENANCE})")
    con.execute(META_DDL)
    con.execute(REFERENCE_DDL)
    for schema in ("staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")


def connect(path: Path | str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating its tables when writable)."""
    config = {"memory_limit": os.environ.get("LSCB_MEMORY_LIMIT", MEMORY_LIMIT)}
    if str(path) != ":memory:":
        config["temp_directory"] = str(Path(path).with_name(Path(path).name + ".tmp"))
        if not read_only:
            config["checkpoint_threshold"] = CHECKPOINT_THRESHOLD
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    if not read_only:
        create_schemas(con)
    return con
