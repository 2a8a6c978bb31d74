"""Online rating in a real headless Chromium (issue 17): a phone opens its ballot from the link,
casts it, is refused the second time; the officer closes the round and a department's result
appears only past k distinct rater units."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from scoring.service import Service
from scoring.store import Store
from tests.actors import staff
from tests.e2e.test_dashboard_e2e import ARGS, CHROMIUM, DEMO, SHOTS, goto, idle, streamlit_server

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A demo store with an open round: 2 departments, 5 townships (k = 5) with one ballot each."""
    from ui.session import demo_accounts

    tmp = tmp_path_factory.mktemp("rounds_e2e")
    url = f"sqlite:///{tmp}/sanwei.db"
    with Store(url) as store:
        Service.load_demo(store, DEMO, demo_accounts=demo_accounts())
        service = Service(store, staff("wang"))
        roster = store.roster()
        depts = list(roster.loc[roster["unit_type"] == "市直部门", "unit_id"])[:2]
        towns = list(roster.loc[roster["unit_type"] != "市直部门", "unit_id"])[:5]
        names = dict(zip(roster["unit_id"], roster["unit_name"], strict=True))
        spec = service.round_spec("2026Q3", depts, {u: 1 for u in towns}, date.today(),
                                  date.today() + timedelta(days=7))
        round_id, tokens = service.create_round(spec)
        service.open_round(round_id)
    with streamlit_server(url, tmp) as server:
        yield server, round_id, tokens, depts, towns, names


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_phone_ballot_once_then_results_only_past_k(setup, browser):
    server, round_id, tokens, depts, towns, names = setup
    phone = browser.new_context(locale="zh-CN", **PHONE).new_page()
    phone.set_default_timeout(90_000)
    link = f"{server}/ballot?t={tokens[towns[0]][0]}"
    phone.goto(link)
    phone.locator("h1").filter(has_text="匿名评议票").wait_for()
    idle(phone)
    radios = phone.locator("[data-testid='stMain'] [data-testid='stRadio']")
    assert radios.count() == 3 * len(depts)
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    assert phone.get_by_text(names[depts[0]]).count() >= 1
    for i in range(radios.count()):
        radios.nth(i).get_by_text("比较满意", exact=True).click()
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "ballot_phone.png"))
    phone.get_by_role("button", name="提交评议").click()
    phone.get_by_text("已提交，谢谢").wait_for()

    again = browser.new_context(locale="zh-CN", **PHONE).new_page()
    again.set_default_timeout(90_000)
    again.goto(link)
    again.get_by_text("此评议票已经使用过").wait_for()
    assert again.locator("[data-testid='stMain'] [data-testid='stRadio']").count() == 0

    # three more townships rate both departments; the fifth rates only the first: k = 5 raters for
    # the first department, 4 for the second
    with Store(server.db) as store:
        for n, town in enumerate(towns[1:], 1):
            second = ["满意"] * 3 if n < 4 else ["不了解"] * 3
            Service.submit_ballot(store, tokens[town][0], {depts[0]: ["满意"] * 3, depts[1]: second}, "e2e")

    desk = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN").new_page()
    desk.set_default_timeout(90_000)
    desk.base = server
    goto(desk, "rounds", "officer")
    desk.get_by_text("评议进行中：结果在本轮结束后才显示").wait_for()
    desk.get_by_text(re.compile(r"发放 5 张，已收回 5 张")).wait_for()
    desk.get_by_text("我确认结束本轮评议").click()
    idle(desk)
    desk.get_by_role("button", name="结束评议").click()
    shown = desk.get_by_text(re.compile(r"显示得分的部门 1/2 个"))
    shown.wait_for()
    assert names[depts[1]] in shown.inner_text() and names[depts[0]] not in shown.inner_text()

    closed = browser.new_context(locale="zh-CN", **PHONE).new_page()
    closed.goto(f"{server}/ballot?t={tokens[towns[0]][0]}x")
    closed.get_by_text("此评议链接无效").wait_for()
