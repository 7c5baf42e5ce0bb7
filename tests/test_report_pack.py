"""The pack written from the fixture warehouse: content, suppression in all three files, the PDF
and the workbook's shape, and a warehouse with tables missing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import openpyxl
import pypdf
import pytest

from pipeline import catalogue, warehouse
from pipeline.report import write_pack
from test_report_warehouse import (BREAKDOWN_ROWS, LA, MANIFEST, PERIOD_END,
                                   build_fixture_warehouse, settings)

SECTION_TITLES = ["Summary", *catalogue.AREAS.values(), "Data quality"]
COUNT_TITLES = {i.title for i in catalogue.load() if i.unit == "count"}
# Tables that count records in files, not children: not statistics, not suppressed.
FILE_ACCOUNTING = {"Files loaded", "Rows rejected or flagged, by file and rule"}


@pytest.fixture(scope="module")
def pack_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    con = warehouse.connect()
    build_fixture_warehouse(con)
    paths = write_pack(con, out, la_code=LA, period_end=PERIOD_END, settings=settings(),
                       manifest=MANIFEST)
    con.close()
    return {p.name: p for p in paths}


class _Tables(HTMLParser):
    """Tables of an HTML file as {caption: [rows of cell text]}, and every <img>'s attributes."""

    def __init__(self):
        super().__init__()
        self.tables, self.images = {}, []
        self._rows = self._cell = self._caption = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "caption":
            self._caption = ""
            self._in_caption = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = ""
        elif tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "table":
            self.tables[self._caption.strip()] = self._rows
            self._rows = None
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if getattr(self, "_in_caption", False):
            self._caption += data
        elif self._cell is not None:
            self._cell += data


def html_tables(path):
    p = _Tables()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def xlsx_tables(path):
    wb = openpyxl.load_workbook(path)
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=2, values_only=True)}
    tables = {}
    for ws in wb.worksheets[2:]:
        title = cover[f"Sheet: {ws.title}"].split(". ")[0]
        tables[title] = [["" if v is None else str(v) for v in row]
                         for row in ws.iter_rows(values_only=True)]
    return wb, tables


def _number(text):
    t = text.replace(",", "")
    try:
        return float(t)
    except ValueError:
        return None


def assert_no_small_count(tables: dict[str, list[list[str]]]):
    """No count from 1 to 5 shown, and none recoverable from a total (fixture's true values)."""
    checked = 0
    for title, rows in tables.items():
        if title in FILE_ACCOUNTING or not rows:
            continue
        header, body = rows[0], rows[1:]
        if "Count" in header and body:  # a breakdown: category, count, percent, with a Total row
            truth = next(v for k, v in BREAKDOWN_ROWS.items()
                         if title.startswith(_breakdown_title(k)))
            shown = {r[0]: r[1] for r in body}
            for cat, v in truth.items():
                if 1 <= v <= 5:
                    assert shown[cat] == "c", (title, cat)
                    checked += 1
            hidden = [truth[c] for c, s in shown.items() if s == "c" and c != "Total"]
            if shown["Total"] != "c" and hidden:
                # a single hidden cell, or hidden cells all 1 (or all 5), come back by subtraction
                assert len(hidden) >= 2 and not (all(h == 1 for h in hidden)
                                                 or all(h == 5 for h in hidden)), title
            # percentages of the total must not give a hidden count back either
            for r in body:
                if r[1] == "c":
                    assert r[2] == "c", (title, r)
        for r in body:
            if r and r[0] in COUNT_TITLES:
                for cell in r[1:]:
                    v = _number(cell)
                    assert v is None or not (1 <= v <= 5) or "Year" in header, (title, r)
    assert checked >= 5
    return checked


def _breakdown_title(name):
    from pipeline.report.data import BREAKDOWNS
    return BREAKDOWNS[name]


def row(tables, title_start, first_cell):
    title = next(t for t in tables if t.startswith(title_start))
    return next(r for r in tables[title] if r and r[0] == first_cell)


def test_three_files_written(pack_files):
    assert set(pack_files) == {"indicator-pack.html", "indicator-pack.pdf",
                               "indicator-tables.xlsx"}


def test_summary_says_what_changed_and_what_needs_attention(pack_files):
    text = pack_files["indicator-pack.html"].read_text(encoding="utf-8")
    assert "Contacts not meeting the threshold rose from 78.1% to 81.0%." in text
    # 81.0% is far above a process centred on ~70%: a concern, since lower is better
    assert re.search(r"Contacts not meeting the threshold \(%\): 81\.0% in March 2024; shows "
                     r"special-cause variation \(concern: a point outside the process limits", text)
    assert "MASH decisions within the RAG timescale (%): 88.0% in March 2024; misses its target " \
           "of 90.0%." in text
    # a suppressed month is not described in words
    assert "Children starting to be looked after rose" not in text
    assert "Children starting to be looked after fell" not in text


def test_html_is_self_contained_with_alt_text(pack_files):
    text = pack_files["indicator-pack.html"].read_text(encoding="utf-8")
    assert "<script" not in text
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)
    assert "@media print" in text and "page-break-before" in text
    parsed = html_tables(pack_files["indicator-pack.html"])
    assert len(parsed.images) >= 40
    for img in parsed.images:
        assert img["src"].startswith("data:image/png;base64,")
        assert len(img.get("alt", "")) > 40
    alts = " ".join(i["alt"] for i in parsed.images)
    assert "the latest value, for March 2024, is 1,000" in alts  # mash_contacts
    assert "Bar chart of children looked after for Havering and 10 statistical neighbours" in alts
    for title in SECTION_TITLES:
        assert f"<h2>{title}</h2>" in text


def test_html_tables_suppress_small_counts(pack_files):
    tables = html_tables(pack_files["indicator-pack.html"]).tables
    assert_no_small_count(tables)
    la = row(tables, "Children looked after: latest", "Children starting to be looked after")
    # latest month 3: c; the 12-month total would give it back from the 11 months shown: c
    assert la[2] == "c" and la[4] == "c"
    three = row(tables, "Children looked after: latest",
                "Children looked after with 3 or more placements in 12 months (%)")
    assert three[2] == "c"  # 10 of 200 = the hidden "3+" cell of the placements table
    src = row(tables, "Contacts by source", "Total")
    assert src[1] == "1,000"
    assert [row(tables, "Contacts by source", c)[1] for c in ("1A", "1B", "2A", "3A")] == \
        ["c", "c", "c", "160"]
    rec = row(tables, "Reconciliation", "Children starting to be looked after")
    assert rec[2] == "c" and rec[4] == "c"


def test_xlsx_suppresses_and_has_the_expected_shape(pack_files):
    wb, tables = xlsx_tables(pack_files["indicator-tables.xlsx"])
    assert wb.sheetnames[:2] == ["Cover", "Notes"]
    assert "Summary" in wb.sheetnames and "Reconciliation" in wb.sheetnames
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True))
        assert all(isinstance(h, str) and h for h in header), ws.title
        second = next(ws.iter_rows(min_row=2, max_row=2, values_only=True), None)
        # one header row: the second row is data (a number, a symbol or a label), not headers
        assert second is None or second != header
    notes = [r for r in wb["Notes"].iter_rows(values_only=True)]
    assert any(r[0] == "c" and "Suppressed" in r[1] for r in notes)
    assert {i.title for i in catalogue.load()} <= {r[0] for r in notes}
    assert_no_small_count(tables)
    src = {r[0]: r[1] for r in tables[next(t for t in tables if t.startswith("Contacts by source"))]}
    assert src["3A"] == "160" and src["1A"] == "c"


def test_pdf_pages_titles_and_suppression(pack_files):
    reader = pypdf.PdfReader(pack_files["indicator-pack.pdf"])
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= len(SECTION_TITLES)
    for n, text in enumerate(pages, start=1):
        assert f"Page {n}" in text
        assert "Period: March 2024" in text and "Run on 2024-04-05" in text
    alltext = "\n".join(pages)
    for title in SECTION_TITLES:
        assert title in alltext
    lines = [ln.strip() for ln in alltext.splitlines() if ln.strip()]
    for name, cats in BREAKDOWN_ROWS.items():
        for cat, v in cats.items():
            if 1 <= v <= 5:
                i = lines.index(cat)
                assert lines[i + 1] == "c", (name, cat, lines[i:i + 3])
    # every count indicator's row: no number from 1 to 5 before the next label
    for i, ln in enumerate(lines):
        if ln in COUNT_TITLES and i + 5 < len(lines) and lines[i + 1].startswith(("in the", "at ")):
            for cell in lines[i + 2:i + 5]:
                v = _number(cell)
                assert v is None or not (1 <= v <= 5), (ln, lines[i:i + 6])


def test_pack_says_what_is_missing_rather_than_failing(tmp_path):
    con = warehouse.connect()  # only the contract's schemas: no marts at all
    paths = write_pack(con, tmp_path, la_code=LA, period_end=PERIOD_END, settings=settings(),
                       manifest={"inputs": [], "run_started_at": "2024-04-05"})
    text = paths[0].read_text(encoding="utf-8")
    assert "Not available: this breakdown is not in the warehouse." in text
    assert "Not available: no reconciliation in this run." in text
    assert "No values in the warehouse for this council and period." in text
    assert "the benchmarks were not built" in text
    assert len(pypdf.PdfReader(paths[1]).pages) >= len(SECTION_TITLES)


def test_unavailable_indicator_and_missing_breakdown_are_reported(pack_files):
    tables = html_tables(pack_files["indicator-pack.html"]).tables
    assert row(tables, "Indicators not available", "Police MERLIN notifications received")[2] \
        == "No MERLIN log loaded."
    text = pack_files["indicator-pack.html"].read_text(encoding="utf-8")
    assert "Children looked after by placement type, March 2024" in text


def test_pack_lists_only_its_own_councils_files(tmp_path):
    """A hub's warehouse holds every council's files: a council's pack lists its own (and the
    reference-free ones of no council), in the files table and the data-quality table."""
    con = warehouse.connect()
    build_fixture_warehouse(con)
    con.execute("insert into meta.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                ["def", "999/mash/contacts_2024-03.csv", "999", "mash_contacts", None,
                 PERIOD_END, 500, 499, 1, 0])
    con.execute("insert into meta.data_quality values (?, ?, ?, ?, ?, ?, ?, ?)",
                ["def", "999/mash/contacts_2024-03.csv", None, 7, "received_at",
                 "valid_datetime", "x", "rejected"])
    other = {"la_code": "999", "source_file": "999/mash/contacts_2024-03.csv",
             "extract": "mash_contacts", "status": "loaded", "rows_read": 500,
             "rows_loaded": 499, "rows_rejected": 1, "rows_flagged": 0}
    own = {**MANIFEST["inputs"][0], "la_code": LA}
    manifest = {**MANIFEST, "inputs": [own, other]}
    paths = write_pack(con, tmp_path, la_code=LA, period_end=PERIOD_END, settings=settings(),
                       manifest=manifest)
    con.close()
    tables = html_tables(next(p for p in paths if p.suffix == ".html")).tables
    files = tables["Files loaded"]
    quality = tables["Rows rejected or flagged, by file and rule"]
    assert [r[0] for r in files[1:]] == ["mash/contacts_2024-03.csv"]
    assert [r[0] for r in quality[1:]] == ["mash/contacts_2024-03.csv"]
