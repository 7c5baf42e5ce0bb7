"""Settings: lscb.toml, overridden by command-line options, recorded with every run."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_CONFIG = Path("lscb.toml")


@dataclass
class Settings:
    la_code: str = "311"
    raw: Path = Path("data/raw")
    db: Path = Path("data/processed/lscb.duckdb")
    reference: Path | None = Path("data/reference")
    reports: Path = Path("reports")
    out: Path | None = None
    period: str | None = None  # YYYY-MM
    sn_model: str = "2021"
    suppress_min: int = 1
    suppress_max: int = 5
    trend_months: int = 24
    targets: dict[str, float] = field(default_factory=dict)
    strict: bool = False
    config_file: Path | None = None

    def as_record(self) -> dict:
        """The settings as written into run-manifest.json."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


def load(path: Path | None = None) -> Settings:
    """Read the config file (lscb.toml in the working folder by default, if there is one)."""
    path = path or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    if path is None:
        return Settings()
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    base = path.resolve().parent

    def p(value: str | None) -> Path | None:
        if value is None:
            return None
        v = Path(value)
        return v if v.is_absolute() else base / v

    paths = cfg.get("paths", {})
    s = Settings(config_file=path.resolve())
    s.la_code = str(cfg.get("council", {}).get("la_code", s.la_code)).zfill(3)
    s.raw = p(paths.get("raw")) or base / s.raw
    s.db = p(paths.get("db")) or base / s.db
    s.reference = p(paths.get("reference")) if "reference" in paths else base / s.reference
    s.reports = p(paths.get("reports")) or base / s.reports
    s.sn_model = str(cfg.get("benchmarks", {}).get("sn_model", s.sn_model))
    sup = cfg.get("suppression", {})
    s.suppress_min = int(sup.get("min", s.suppress_min))
    s.suppress_max = int(sup.get("max", s.suppress_max))
    s.trend_months = int(cfg.get("pack", {}).get("trend_months", s.trend_months))
    s.targets = {k: float(v) for k, v in cfg.get("targets", {}).items()}
    return s
