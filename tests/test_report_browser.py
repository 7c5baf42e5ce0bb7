"""The HTML pack in a real headless Chromium: every image decodes, nothing is fetched from the
network, and a full-page screenshot is saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import warehouse
from pipeline.report import write_pack
from test_report_warehouse import LA, MANIFEST, PERIOD_END, build_fixture_warehouse, settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.mark.browser
def test_pack_renders_offline_in_chromium(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install it with `apt-get install -y chromium`")
    sync_api = pytest.importorskip("playwright.sync_api")
    con = warehouse.connect()
    build_fixture_warehouse(con)
    html = write_pack(con, tmp_path, la_code=LA, period_end=PERIOD_END, settings=settings(),
                      manifest=MANIFEST)[0]
    con.close()
    url = html.resolve().as_uri()
    requests = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete && e.naturalWidth > 0, e.alt])")
            page.screenshot(path=str(tmp_path / "pack.png"), full_page=True)
            page.emulate_media(media="print")
            breaks = page.eval_on_selector_all(
                "section.pack-section",
                "els => els.map(e => getComputedStyle(e).breakBefore)")
        finally:
            browser.close()
    assert len(images) >= 40
    assert all(ok for ok, _alt in images)
    assert all(alt for _ok, alt in images)
    # data: URIs are not network requests; only the file itself may be requested
    assert [u for u in requests if not u.startswith("data:")] == [url]
    assert (tmp_path / "pack.png").stat().st_size > 10_000
    assert breaks[1:] and all(b == "page" for b in breaks[1:])
