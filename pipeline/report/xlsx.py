"""The pack's tables as a workbook for analysts, after gptables: a Cover sheet, a Notes sheet,
then one sheet per table with a single header row, no merged cells and numbers stored as numbers
(symbols such as ``c`` as text)."""

from __future__ import annotations

import re
from pathlib import Path

import xlsxwriter

from pipeline import catalogue
from pipeline.report.model import Pack
from pipeline.report.suppression import SYMBOLS


def _sheet_name(key: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "-", key)[:31]
    base, n = name, 2
    while name.lower() in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name.lower())
    return name


def write(pack: Pack, path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "nan_inf_to_errors": True})
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    used: set[str] = {"cover", "notes"}
    names = [_sheet_name(t.key, used) for t in pack.tables]

    cover = wb.add_worksheet("Cover")
    cover_rows = [
        ("Item", "Detail"),
        ("Title", pack.title),
        ("Council", f"{pack.la_name} ({pack.la_code})"),
        ("Period", pack.period_label),
        ("Run date", pack.run_date),
        ("About", "The tables of the indicator pack, one sheet each. Counts from 1 to 5, and "
                  "figures derived from them, are shown as c (see Notes)."),
    ]
    cover_rows += [(f"Sheet: {n}", t.title + (f". {t.note}" if t.note else ""))
                   for n, t in zip(names, pack.tables)]
    for r, (a, b) in enumerate(cover_rows):
        cover.write_string(r, 0, a, bold if r == 0 else None)
        cover.write_string(r, 1, b, bold if r == 0 else wrap)
    cover.set_column(0, 0, 28)
    cover.set_column(1, 1, 100)

    notes = wb.add_worksheet("Notes")
    note_rows = [("Symbol or indicator", "Meaning", "Unit", "Polarity")]
    note_rows += [(sym, text, "", "") for sym, text in SYMBOLS.items()]
    note_rows += [(i.title, i.definition, i.unit, i.polarity) for i in catalogue.load()]
    for r, row in enumerate(note_rows):
        for c, v in enumerate(row):
            notes.write_string(r, c, v, bold if r == 0 else wrap)
    notes.set_column(0, 0, 45)
    notes.set_column(1, 1, 90)
    notes.set_column(2, 3, 16)

    for name, t in zip(names, pack.tables):
        ws = wb.add_worksheet(name)
        for c, col in enumerate(t.columns):
            ws.write_string(0, c, col, bold)
        for r, row in enumerate(t.rows, start=1):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                else:
                    ws.write_number(r, c, v)
        ws.set_column(0, 0, 45)
        ws.set_column(1, max(len(t.columns) - 1, 1), 16)
        ws.freeze_panes(1, 0)
    wb.close()
    return path
