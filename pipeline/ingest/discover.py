"""Find the files under the raw folder and recognise each extract by its columns or sheet names.

A raw folder holds one council's extracts, or one sub-folder per council named by its three-digit
DfE code. File names do not matter, except for the extract date they may carry.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import normalise, schemas

CSV_SUFFIXES = {".csv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
COUNCIL_DIR = re.compile(r"^\d{3}$")
ANNEX_A_SHEET = re.compile(r"^list[\s_-]*(\d{1,2})(?!\d)", re.IGNORECASE)

# Tables of the same returns that no indicator uses: recognised so that the reason is precise.
KNOWN_UNUSED: list[tuple[set[str], str]] = [
    ({"child", "review", "review_code"}, "SSDA903 reviews table: not used by any indicator"),
    ({"child", "missing", "mis_start"}, "SSDA903 missing table: not used by any indicator"),
    ({"child", "dob", "review"}, "SSDA903 reviews table: not used by any indicator"),
    ({"child", "upn", "date_uasc_ceased"}, "SSDA903 UASC table: not used by any indicator"),
]


@dataclass
class RawFile:
    path: Path
    source_file: str  # relative to the raw folder, with '/' separators
    la_code: str
    sha256: str


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def find_files(raw_dir: Path, la_code: str) -> list[RawFile]:
    """Every file under raw_dir (sorted by path), with the council it belongs to."""
    paths = sorted(p for p in raw_dir.rglob("*") if p.is_file())
    # hashlib lets go of the GIL while it hashes a block, so threads hash on every core (a
    # national set's 5.4 GB: 3.8 s in one thread, 2.7 s in two).
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        digests = list(pool.map(sha256, paths))
    found = []
    for path, digest in zip(paths, digests):
        rel = path.relative_to(raw_dir)
        council = rel.parts[0] if len(rel.parts) > 1 and COUNCIL_DIR.match(rel.parts[0]) else la_code
        found.append(RawFile(path, rel.as_posix(), council, digest))
    return found


def not_an_extract(path: Path) -> str | None:
    """Why a file is not read at all, or None when it may be an extract."""
    name = path.name
    if name.startswith((".", "~$")):
        return "hidden or lock file"
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return "XML return (CIN census / SSDA903 XML) is not read: supply the CSV or XLSX extract"
    if suffix not in CSV_SUFFIXES | EXCEL_SUFFIXES:
        return f"not a CSV or Excel file ({suffix or 'no extension'})"
    return None


@functools.cache
def header_map(extract: str) -> dict[str, str]:
    """Canonical header spelling -> model column, for one extract."""
    mapping = {}
    for column, meta in schemas.columns(extract).items():
        mapping[column] = column
        for alias in meta["headers"]:
            mapping[normalise.canonical_header(alias)] = column
    return mapping


def _signature(extract: str, headers: set[str]) -> bool:
    """Does a header row (canonical spellings) look like this extract?"""
    cols = {header_map(extract).get(h) for h in headers} - {None}
    return {
        "mash_contacts": {"contact_id"} <= cols,
        "merlin_notifications": "merlin_id" in cols and "contact_id" not in headers
        and bool(cols & {"notification_type", "police_risk", "screened"}),
        "annex_a_contacts": {"child_unique_id", "date_of_contact"} <= cols,
        "annex_a_referrals": {"child_unique_id", "date_of_referral"} <= cols,
        "annex_a_cp_plans": {"child_unique_id", "cpp_start_date"} <= cols,
        "ssda903_episodes": {"child", "decom"} <= cols,
        "ssda903_header": {"child", "sex"} <= cols and "decom" not in headers,
    }[extract]


def recognise(headers: list[str]) -> tuple[str | None, str | None]:
    """(extract, None) for a header row that is an extract, else (None, reason to skip it)."""
    canon = {normalise.canonical_header(h) for h in headers} - {""}
    for signature, reason in KNOWN_UNUSED:
        if signature <= canon:
            return None, reason
    matches = [e for e in schemas.MODELS if _signature(e, canon)]
    if len(matches) == 1:
        return matches[0], None
    if matches:
        return None, f"columns match several extracts ({', '.join(matches)})"
    return None, "columns not recognised as any extract"


def annex_a_list(sheet: str) -> int | None:
    """The list number of an Annex A sheet name ('List 3', 'List_3', 'List 1 - Contacts')."""
    m = ANNEX_A_SHEET.match(sheet.strip())
    return int(m.group(1)) if m else None


def date_in_name(name: str) -> dt.date | None:
    """The extract date written in a file name: YYYY-MM-DD, YYYYMMDD, or YYYY-MM (first day)."""
    stem = Path(name).stem
    for pattern, parts in (
        (r"(?<!\d)(\d{4})[-_.](\d{2})[-_.](\d{2})(?!\d)", 3),
        (r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)", 3),
        (r"(?<!\d)(\d{4})[-_.](\d{2})(?![-_.]?\d)", 2),
    ):
        for m in re.finditer(pattern, stem):
            y, mth = int(m.group(1)), int(m.group(2))
            day = int(m.group(3)) if parts == 3 else 1
            try:
                found = dt.date(y, mth, day)
            except ValueError:
                continue
            if 1990 <= found.year <= 2100:
                return found
    return None
