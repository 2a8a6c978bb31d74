"""Issue 10 in a real browser: data shown as text on every page, and the hostile corpus uploaded
through the dashboard, after which the server still answers /_stcore/health and serves a second
browser session.

The store (tests/hostile_store.py) names everything with markup: the model, groups, categories,
indicators, items, grades, units, a veto reason, file names. A page that rendered any of them as
markdown or HTML would hold a link to phish, an image from the beacon host, KaTeX or bold text.
"""

from __future__ import annotations

import time
import urllib.request

import pytest

from tests import hostile_store
from tests.e2e.test_dashboard_e2e import ARGS, CHROMIUM, DEMO, goto, idle, streamlit_server
from tests.fixtures import make_fixtures
from tests.test_hostile import EXPECTED, HOSTILE

pytestmark = pytest.mark.e2e

PAGES = ["", "import", "rankings", "unit?unit=JD02", "unit?unit=BM12", "weights", "audit", "reverse", "model"]
# elements that only markup from data could have made
FROM_DATA = {
    "link to phish": "a[href*='phish']",
    "link to the beacon host": "a[href*='host']",
    "image from the beacon host": "img[src*='beacon'], img[src*='host']",
    "injected <img>": "img[src='x'], img[onerror]",
    "KaTeX formula": ".katex, .katex-mathml",
    "MathJax formula": "mjx-container, .MathJax",
    "link inside a chart": "svg a",
}


def markup_found(pg) -> dict[str, int]:
    found = {what: pg.locator(selector).count() for what, selector in FROM_DATA.items()}
    found["bold text from a name"] = pg.locator("strong, b").filter(has_text="bold").count()
    return {k: v for k, v in found.items() if v}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e_hostile")
    url = f"sqlite:///{tmp}/sanwei.db"
    hostile_store.fill(url)
    with streamlit_server(url, tmp) as base:
        yield base


@pytest.fixture(scope="module")
def browser(hostile_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def new_page(browser, base: str):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(90_000)
    pg.base = base
    return pg


@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_names_as_text(browser, hostile_server, path):
    pg = new_page(browser, hostile_server)
    goto(pg, path, "analyst" if path in ("weights", "audit") else "officer")
    for tab in pg.get_by_role("tab").all():  # tabs render lazily: open each
        tab.click()
        idle(pg, 0.3)
    assert markup_found(pg) == {}, path
    body = pg.locator("body").inner_text()
    assert hostile_store.BEACON in body, "the model name (sidebar) shows as text"
    if path.startswith("unit?unit=JD02"):
        assert pg.locator("h1").first.inner_text().startswith(hostile_store.PHISH)
    pg.context.close()


def test_a_markup_file_name_and_the_hostile_corpus_uploaded_through_the_dashboard(browser, hostile_server,
                                                                                     tmp_path_factory):
    """Every corpus file (and the 190 MB csv) uploaded at once: the report answers for each, the
    server stays up (/_stcore/health) and a second browser session is served."""
    pg = new_page(browser, hostile_server)
    goto(pg, "import")
    period = pg.get_by_label("季度", exact=True).first
    period.fill("2026Q4")
    period.press("Enter")
    idle(pg)
    large = make_fixtures.large(tmp_path_factory.mktemp("large"))
    corpus = [HOSTILE / name for name in sorted(EXPECTED)] + large
    named = large[0].parent / "[点此重新登录](phish)$x^2$.xlsx"  # a file name is data too ("/" cannot be in one)
    named.write_bytes((DEMO / "units.xlsx").read_bytes())
    pg.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(named), *map(str, corpus)])
    pg.locator("[data-testid='stFileChip']").first.wait_for()
    idle(pg, 3)
    button = pg.get_by_role("button", name="读取并校验")
    pg.wait_for_function("b => !b.disabled", arg=button.element_handle())
    started = time.monotonic()
    button.click()
    pg.get_by_text("校验完成").first.wait_for(timeout=180_000)
    idle(pg)
    assert time.monotonic() - started < 120
    tabs = pg.get_by_role("tab").all_inner_texts()
    accepted = [p for p in corpus if p.suffix in (".xlsx", ".xlsm", ".csv")]  # the uploader itself turns .xls away
    assert sorted(tabs) == sorted([named.name, *(p.name for p in accepted)])
    assert markup_found(pg) == {}
    with urllib.request.urlopen(f"{hostile_server}/_stcore/health", timeout=10) as r:
        assert r.status == 200
    second = new_page(browser, hostile_server)
    goto(second, "rankings")
    assert "2026Q3" in second.locator("h1").first.inner_text()
    second.context.close()
    pg.context.close()
