"""The office stack, whole, on loopback: PostgreSQL, two app processes and Debian's nginx with a
self-signed certificate (tests/stack.py, configured by scoring.deploy as deploy/ does), driven in
the real browser through nginx.

Checks what the office relies on: the security headers arrive; the WebSocket works through the
proxy (pages render and react); a publication made on one app process is what a leader on the
other one sees; and killing an app process (SIGKILL) loses no stored data while the other keeps
serving everyone, including the killed process's users after they sign in again.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

from scoring.store import Store
from tests.e2e.test_dashboard_e2e import ARGS, CHROMIUM, DEMO, _require_chromium, idle
from tests.stack import App, Nginx, NginxUnavailable, free_port
from tests.tempserver import drop_database, fresh_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _require_nginx(err: Exception) -> None:
    if os.environ.get("SANWEI_REQUIRE_NGINX") == "1":
        pytest.fail(f"nginx is required (SANWEI_REQUIRE_NGINX=1) but unavailable: {err}")
    pytest.skip(f"stack test skipped: {err}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory, postgres_url):
    _require_chromium()
    work = tmp_path_factory.mktemp("stack")
    url = fresh_database(postgres_url, f"stack_{uuid.uuid4().hex[:10]}")
    env = {"SANWEI_DATABASE_URL": url, "SANWEI_DEMO": "1"}
    apps = [App(free_port(), env, work), App(free_port(), env, work)]
    nginx = None
    try:
        for app in apps:
            app.start()
        try:
            nginx = Nginx([a.backend for a in apps], work).start()
        except NginxUnavailable as err:
            _require_nginx(err)
        yield {"url": nginx.url, "db": url, "apps": apps, "nginx": nginx}
    finally:
        if nginx:
            nginx.stop()
        for app in apps:
            app.stop()
        drop_database(url)


@pytest.fixture(scope="module")
def browser(stack):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--ignore-certificate-errors"])
        yield b
        b.close()


def tab(browser, stack, backend: int):
    """A new browser (own cookie jar) whose sticky cookie already names app process b1 or b2."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN", ignore_https_errors=True)
    ctx.add_cookies([{"name": "sanwei_backend", "value": f"b{backend}", "url": stack["url"]}])
    page = ctx.new_page()
    page.set_default_timeout(90_000)
    page.sockets = []
    page.on("websocket", lambda ws: page.sockets.append({"url": ws.url, "frames": ws}) or ws.on(
        "framereceived", lambda _f: page.sockets[-1].__setitem__("n", page.sockets[-1].get("n", 0) + 1)))
    return page


def sign_in(page, base: str, path: str, user: str):
    response = page.goto(f"{base}/{path}")
    page.locator("h1").filter(has_text=re.compile("登录|Sign in")).wait_for()
    idle(page)
    page.locator(f".st-key-demo_{user} button").first.click()
    page.locator("h1").filter(has_not_text=re.compile("登录|Sign in")).wait_for()
    idle(page)
    return response


def backend_of(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "sanwei_backend")


def stored(url: str) -> tuple[list, list[str]]:
    with Store(url) as store:
        versions = [(v.period, v.number, v.checksum, v.published) for p in store.periods()["period"]
                    for v in store.versions(p)]
        return versions, store.verify()


def test_the_office_stack_through_nginx(stack, browser):
    base = stack["url"]
    leader = tab(browser, stack, 2)
    response = sign_in(leader, base, "", "leader")
    # security headers on the document nginx served
    h = response.headers
    assert "frame-ancestors 'none'" in h["content-security-policy"] and "default-src 'self'" in h["content-security-policy"]
    assert h["strict-transport-security"].startswith("max-age=")
    assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "same-origin"
    assert h["x-frame-options"] == "DENY"
    assert "2026Q3" in leader.locator("h1").first.inner_text()
    # the WebSocket runs through nginx, over TLS, and the page reacts to a click
    leader.get_by_role("link", name="排名总览").click()
    leader.locator("h1").filter(has_text="排名总览").wait_for()
    idle(leader)
    assert [s["url"] for s in leader.sockets] == [f"wss://127.0.0.1:{stack['nginx'].port}/_stcore/stream"]
    assert leader.sockets[0].get("n", 0) > 10
    assert backend_of(leader) == "b2"
    leader.get_by_text(re.compile("2026Q3 已发布第 1 版")).wait_for()

    # an officer on the other process imports and publishes version 2 of 2026Q3
    officer = tab(browser, stack, 1)
    sign_in(officer, base, "import", "officer")
    assert backend_of(officer) == "b1"
    period = officer.get_by_label("季度", exact=True).first
    period.fill("2026Q3")
    period.press("Enter")
    idle(officer)
    files = [DEMO / "units.xlsx", *sorted(DEMO.glob("2026Q3_*.xlsx"))]
    officer.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(f) for f in files])
    officer.locator("[data-testid='stFileChip']").first.wait_for()
    idle(officer, 1.5)
    button = officer.get_by_role("button", name="读取并校验")
    officer.wait_for_function("b => !b.disabled", arg=button.element_handle())
    button.click()
    officer.get_by_text(re.compile(r"校验完成：0 个错误")).wait_for()
    idle(officer)
    officer.get_by_role("button", name="保存为草稿").click()
    officer.get_by_text("已保存 2026Q3 第 2 版（草稿）").wait_for()
    idle(officer)
    officer.get_by_role("button", name="发布此版本").click()
    officer.get_by_label("发布理由（必填）").fill("复核无误，经另一进程发布")
    idle(officer)
    officer.get_by_role("button", name="确认发布").click()
    officer.get_by_text("已发布 2026Q3 第 2 版。").wait_for()
    idle(officer)
    assert backend_of(officer) == "b1"  # uploads went to the page's own process (sticky)

    # the leader, on the other process, sees it at the next click
    leader.get_by_role("link", name="首页").click()
    leader.get_by_text(re.compile("2026Q3 已发布第 2 版 .* 发布人 officer")).wait_for()
    assert backend_of(leader) == "b2"

    # kill the leader's process: nothing stored is lost, and the other process serves everyone
    before, problems = stored(stack["db"])
    assert problems == [] and ("2026Q3", 2, before[-1][2], True) in before
    victim = stack["apps"][1]
    victim.kill()
    after, problems = stored(stack["db"])
    assert after == before and problems == []
    sign_in(leader, base, "rankings", "leader")  # a reload signs in again: the session lived in the dead process
    leader.locator("h1").filter(has_text="排名总览").wait_for()
    leader.get_by_text(re.compile("2026Q3 已发布第 2 版")).wait_for()
    assert backend_of(leader) == "b1"  # the cookie follows the process that answered
    officer.get_by_role("link", name="排名总览").click()  # the survivor's own sessions go on undisturbed
    officer.locator("h1").filter(has_text="排名总览").wait_for()
    fresh = tab(browser, stack, 2)  # a newcomer whose cookie names the dead process
    sign_in(fresh, base, "", "leader")
    assert "2026Q3" in fresh.locator("h1").first.inner_text()
    for page in (leader, officer, fresh):
        page.context.close()
    assert Path(stack["nginx"].prefix / "error.log").exists()
