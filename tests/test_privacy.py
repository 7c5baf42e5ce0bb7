"""Data protection: no postcode, UPN, date of birth or worker's name of the demo council in any
output of its run (marts, pack, manifest, data-quality.csv, the log), owner-only permissions, and
`--strict` turning one rejected row into a failed run that changes nothing."""

from __future__ import annotations

import datetime as dt
import shutil
import stat

import duckdb
import pandas as pd
import pytest
from pypdf import PdfReader

from corpus.runs import digest, generate_small, lscb_run, sha256

pytestmark = pytest.mark.slow


def _personal_strings(raw) -> set[str]:
    """Postcodes, UPNs, mother's and child's dates of birth (both written forms), worker names."""
    found: set[str] = set()
    for p in raw.rglob("*.csv"):
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        for col in ("HOME_POST", "PL_POST", "UPN"):
            if col in df:
                found |= {v.strip() for v in df[col] if v.strip()}
        for col in ("DOB", "MC_DOB"):
            if col in df:
                for v in df[col]:
                    try:
                        d = dt.datetime.strptime(v.strip(), "%d/%m/%Y").date()
                    except ValueError:
                        continue
                    found |= {d.strftime("%d/%m/%Y"), d.isoformat()}
    for p in raw.rglob("*.xlsx"):
        for sheet, df in pd.read_excel(p, sheet_name=None, header=None, dtype=str, engine="calamine").items():
            for _, row in df.iterrows():
                cells = [str(c).strip() for c in row.tolist()]
                if "Allocated Worker" in cells:
                    col = cells.index("Allocated Worker")
                    names = df.iloc[row.name + 1:, col].dropna().astype(str).str.strip()
                    found |= {n for n in names if n}
                    break
    return found


def _event_dates(raw) -> set[str]:
    """Every date of an event (not of a birth) in the extracts, in ISO form: a date of birth that is
    also, say, some plan's end date may rightly appear in the outputs as that end date."""
    found: set[str] = set()
    for p in raw.rglob("*.csv"):
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        for col in ("DECOM", "DEC"):
            if col in df:
                found |= set(pd.to_datetime(df[col], format="%d/%m/%Y", errors="coerce")
                              .dropna().dt.strftime("%Y-%m-%d"))
    for p in raw.rglob("*.xlsx"):
        for df in pd.read_excel(p, sheet_name=None, header=None, engine="calamine").values():
            for col in df.columns:
                heads = " ".join(str(v) for v in df[col].head(3))
                if "Date" in heads and "Birth" not in heads:
                    # cells are datetimes or DD/MM/YYYY text: parse each by its own shape
                    days = pd.to_datetime(df[col], errors="coerce", dayfirst=True,
                                          format="mixed").dropna()
                    found |= set(days.dt.strftime("%Y-%m-%d"))
    return found


def _month_ends(strings: set[str]) -> set[str]:
    """Dates of birth that are also the last day of a month: period_end dates of the pack carry
    these, so a match there is not a date of birth (they are dropped from the scan)."""
    out = set()
    for s in strings:
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                d = dt.datetime.strptime(s, fmt).date()
            except ValueError:
                continue
            if (d + dt.timedelta(days=1)).day == 1:
                out.add(s)
    return out


def _iso(s: str) -> str:
    try:
        return dt.datetime.strptime(s, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return s


def _texts(out, db, log: str) -> dict[str, str]:
    texts = {"log": log}
    for p in out.rglob("*"):
        if p.suffix in (".csv", ".json", ".html"):
            texts[p.name] = p.read_text(encoding="utf-8", errors="replace")
        elif p.suffix == ".pdf":
            texts[p.name] = "\n".join(page.extract_text() or "" for page in PdfReader(p).pages)
        elif p.suffix == ".xlsx":
            sheets = pd.read_excel(p, sheet_name=None, header=None, dtype=str, engine="calamine")
            texts[p.name] = "\n".join(df.to_csv(index=False) for df in sheets.values())
    with duckdb.connect(str(db), read_only=True) as con:
        for (table,) in con.execute("select table_name from information_schema.tables "
                                    "where table_schema = 'marts' order by 1").fetchall():
            texts[f"marts.{table}"] = con.execute(f'select * from marts."{table}"').df().to_csv()
    return texts


def test_no_personal_data_in_any_output_and_owner_only(demo, tmp_path):
    personal = _personal_strings(demo["raw"])
    assert len(personal) > 1000  # the scan looks for something: postcodes, UPNs, DOBs, names
    events = _event_dates(demo["raw"])
    scanned = {s for s in personal - _month_ends(personal)
               if s not in events and _iso(s) not in events}
    db, out = tmp_path / "w" / "lscb.duckdb", tmp_path / "reports" / "out"
    proc = lscb_run(demo["raw"], demo["reference"], db, out)
    assert proc.returncode == 0, proc.stderr
    texts = _texts(out, db, proc.stderr + proc.stdout)
    assert {"indicators.csv", "run-manifest.json", "data-quality.csv", "indicator-pack.pdf",
            "indicator-tables.xlsx", "indicator-pack.html", "log"} <= set(texts)
    hits = {(where, s) for where, text in texts.items() for s in scanned if s in text}
    print(f"\npersonal strings searched: {len(scanned)} in {len(texts)} outputs; found: {len(hits)}")
    assert not hits, sorted(hits)[:20]
    # owner only: the warehouse and every output file and folder
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for p in out.rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p


def test_strict_fails_on_one_rejected_row_and_changes_nothing(tmp_path):
    data = generate_small(tmp_path / "src")
    raw = tmp_path / "raw"
    shutil.copytree(data["raw"], raw)
    db, out = tmp_path / "lscb.duckdb", tmp_path / "out"
    # The generated extracts carry a few bad rows of their own: drop those files' rows first by
    # running without --strict, then add one file with a single bad row and run with --strict.
    first = lscb_run(raw, data["reference"], db, out, "--no-pack")
    assert first.returncode == 0, first.stderr
    before_db, before_out = sha256(db), digest(out)
    (raw / "late_mash_2013-03-31.csv").write_text(
        "contact_id,child_id,received_at,source\nZ1,K1,2013-03-01 09:00:00,6\n"
        "Z2,,2013-03-02 09:00:00,6\n")
    proc = lscb_run(raw, data["reference"], db, out, "--no-pack", "--strict")
    assert proc.returncode == 2, proc.stderr
    assert "strict" in proc.stderr and "late_mash_2013-03-31.csv" in proc.stderr
    assert "row 3" in proc.stderr and "child_id" in proc.stderr
    assert sha256(db) == before_db and digest(out) == before_out
