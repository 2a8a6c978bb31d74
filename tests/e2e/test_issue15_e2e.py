"""Issue 15 in a real headless Chromium: the language across a row click and a reload, and the
columns that matter visible at 1280 and 1440 px."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_dashboard_e2e import DEMO, goto, idle, page, server  # noqa: F401 - the module's fixtures

pytestmark = pytest.mark.e2e


def click_first_row(pg) -> None:
    grid = pg.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 14, box["y"] + 35 + 17)


def test_english_survives_a_row_click_and_a_reload(page):  # noqa: F811
    """English flipped back to Chinese on the unit page after a row click on Rankings (issue 15 §1)."""
    goto(page, "rankings", "leader")
    page.get_by_text("English").click()
    page.locator("h1").filter(has_text="rankings").wait_for()
    idle(page)
    click_first_row(page)  # at once, as a user would
    page.wait_for_function("() => location.pathname.endsWith('/unit')")
    idle(page, 1.5)
    assert "lang=en" in page.url
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Unit breakdown" in nav and "单位详情" not in nav
    page.get_by_text("Rank in group").wait_for()
    page.get_by_text("Quarter", exact=True).wait_for()
    page.reload()  # a new session: signs in again in English, and the account keeps English too
    page.locator("h1").filter(has_text="Sign in").wait_for()
    idle(page)
    page.locator(".st-key-demo_leader button").first.click()
    page.wait_for_function("() => location.pathname.endsWith('/unit')")
    page.get_by_text("Rank in group").wait_for()
    assert "单位详情" not in page.locator("[data-testid='stSidebarNav']").inner_text()
    page.get_by_text("中文").click()  # leave the account in Chinese for the other tests
    page.get_by_text("组内排名").wait_for()
    idle(page)


SCROLLERS = "() => [...document.querySelectorAll(\"[data-testid='stDataFrame'] .dvn-scroller\")].map(e => e.scrollWidth - e.clientWidth)"
HEADERS = "n => [...document.querySelectorAll(\"[data-testid='stDataFrame']\")[n].querySelectorAll(\"[role='columnheader']\")].map(e => e.innerText)"
CELLS = "n => [...document.querySelectorAll(\"[data-testid='stDataFrame']\")[n].querySelectorAll(\"[role='gridcell']\")].map(e => e.innerText)"


def overflow(pg) -> list[int]:
    """Pixels each table on the page would need to scroll sideways (0: every column fits)."""
    return pg.evaluate(SCROLLERS)


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_columns_that_matter_fit(page, width, tmp_path):  # noqa: F811
    """At 1440 px 分数变化 was cut ("Sco" in English), 一票否决 and 提示 needed sideways scrolling, the
    quota reason was only on the unit page, Home clipped score changes and Import cut the message
    and suggestion columns (issue 15 §4)."""
    import openpyxl

    page.set_viewport_size({"width": width, "height": 1000})
    goto(page, "rankings", "leader")
    for lang in ("zh", "en"):
        if lang == "en":
            page.get_by_text("English").click()
            page.locator("h1").filter(has_text="rankings").wait_for()
        idle(page, 1.5)
        assert overflow(page) == [0], (lang, overflow(page))
        heads = page.evaluate(HEADERS, 0)
        assert {"zh": "变化", "en": "Change"}[lang] in heads and {"zh": "提示", "en": "Flags"}[lang] in heads
        grades = set(page.evaluate(CELLS, 0))
        assert {"zh": "良好 · 名额", "en": "Good · quota"}[lang] in grades  # the grade says what set it
    page.get_by_role("link", name="Home").click()
    page.get_by_text("Biggest risers").wait_for()
    idle(page, 1.5)
    assert overflow(page) == [0, 0, 0]
    page.get_by_text("中文").click()
    page.locator("h1").filter(has_text="三维考评结果").wait_for()
    idle(page)

    book = openpyxl.Workbook()
    book.active.append(["单位名称", "税收收入占比"])
    book.active.append(["青山街", 80])
    book.save(tmp_path / "2026Q3_tax.xlsx")
    goto(page, "import", "officer")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        [str(DEMO / "units.xlsx"), str(tmp_path / "2026Q3_tax.xlsx")])
    page.locator("[data-testid='stFileChip']").first.wait_for()
    idle(page, 1.5)
    button = page.get_by_role("button", name="读取并校验")
    page.wait_for_function("b => !b.disabled", arg=button.element_handle())
    button.click()
    page.get_by_text(re.compile(r"校验完成：1 个错误")).wait_for()
    idle(page, 1.5)
    tables = [page.evaluate(HEADERS, n) for n in range(page.locator("[data-testid='stDataFrame']").count())]
    report = next(h for h in tables if "级别" in h)
    assert {"文件", "单元格", "问题", "建议"} <= set(report), report
    page.set_viewport_size({"width": 1440, "height": 1000})
