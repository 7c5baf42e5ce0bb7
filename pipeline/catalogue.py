"""The indicator catalogue (catalogue.toml): the one place where each indicator is described."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")

AREAS = {
    "front_door": "Front door: MASH and MERLIN",
    "referrals": "Referrals",
    "child_protection": "Child protection",
    "looked_after": "Children looked after",
}


@dataclass(frozen=True)
class Indicator:
    id: str
    area: str
    title: str
    definition: str
    unit: str
    polarity: str
    windows: tuple[str, ...]
    benchmark: str
    model: str
    requires: tuple[str, ...]

    @property
    def is_count(self) -> bool:
        return self.unit == "count"


@lru_cache(maxsize=1)
def load() -> tuple[Indicator, ...]:
    """All indicators, in catalogue order."""
    with CATALOGUE_FILE.open("rb") as f:
        raw = tomllib.load(f)["indicator"]
    return tuple(
        Indicator(**{**r, "windows": tuple(r["windows"]), "requires": tuple(r["requires"])})
        for r in raw
    )


def by_id() -> dict[str, Indicator]:
    return {i.id: i for i in load()}
