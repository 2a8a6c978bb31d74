"""The office stack, whole, on loopback: PostgreSQL, two app processes and Debian's nginx with a
self-signed certificate (tests/stack.py, configured by scoring.deploy as deploy/ does), driven in
the real browser through nginx.

The processes run as an office runs them: no demo switch, accounts with passwords signed in
through the form, one cookie secret shared by both processes, both bound to loopback.

Checks what the office relies on: the security headers arrive (on the page, a static file, the
WebSocket upgrade); only nginx faces the network; nginx refuses an upload larger than the product
accepts and a WebSocket from a foreign page, an app process one for a foreign Host; the WebSocket
works through the proxy (pages render and react); a publication made on one app process is what a
leader on the other one sees; and killing an app process (SIGKILL) loses no stored data while the
other keeps serving everyone, including the killed process's users after they sign in again.
"""

from __future__ import annotations

import os
import re
import urllib.request
import uuid
from pathlib import Path

import pytest

from scoring.auth import hash_password
from scoring.deploy import MULTIPART_MARGIN_MB, upload_mb
from scoring.limits import MiB
from scoring.model import load_model
from scoring.service import Service
from scoring.store import Store
from scoring.store.store import NewAccount
from tests.e2e.test_dashboard_e2e import ARGS, CHROMIUM, DEMO, _require_chromium, idle
from tests.stack import App, Nginx, NginxUnavailable, free_port, listening, raw_request, websocket_head
from tests.tempserver import drop_database, fresh_database
from tests.wsclient import ssl_context

PASSWORDS = {"leader": "Qingshan-Leader-2026", "officer": "Qingshan-Officer-2026"}
ROLES = {"leader": "leader", "officer": "officer"}

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
    # the office's store: the demo quarters as its history, and accounts with passwords (no demo switch)
    with Store(url) as store:
        Service.load_demo(store, DEMO, load_model(), [
            NewAccount(name, name, hash_password(pw), frozenset({ROLES[name]})) for name, pw in PASSWORDS.items()])
    env = {"SANWEI_DATABASE_URL": url, "STREAMLIT_SERVER_COOKIE_SECRET": uuid.uuid4().hex, "SANWEI_DEMO": "0"}
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
    """Open `path` and sign in with the account's password, as a person does."""
    response = page.goto(f"{base}/{path}")
    page.locator("h1").filter(has_text=re.compile("登录|Sign in")).wait_for()
    idle(page)
    assert page.locator("[class*='st-key-demo_']").count() == 0  # no demo accounts on an office server
    page.get_by_label("账户名").fill(user)
    page.get_by_label("密码").fill(PASSWORDS[user])
    page.get_by_role("button", name="登录").click()
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


def test_only_nginx_faces_the_network_and_it_guards_the_edges(stack):
    nginx, apps = stack["nginx"], stack["apps"]
    # every app process listens on loopback only, on IPv4 and not on IPv6's any-address
    for app in apps:
        assert listening(app.port) == ["127.0.0.1"], listening(app.port)
    assert listening(nginx.port) == ["127.0.0.1"]  # the test's nginx too (an office's listens on :443)
    host = f"127.0.0.1:{nginx.port}"
    # the headers are on every answer: a static file, an error, the WebSocket upgrade
    index = raw_request(nginx.port, f"GET / HTTP/1.1\nHost: {host}\nConnection: close\n")[1]
    assets = re.findall(r'src="(\./)?(static/js/[^"]+)"', urllib.request.urlopen(  # noqa: S310 - loopback
        f"{stack['url']}/", context=ssl_context()).read().decode())
    static = raw_request(nginx.port, f"GET /{assets[0][1]} HTTP/1.1\nHost: {host}\nConnection: close\n")
    missing = raw_request(nginx.port, f"GET /_stcore/metrics HTTP/1.1\nHost: {host}\nConnection: close\n")
    upgrade = raw_request(nginx.port, websocket_head(host, f"https://{host}"))
    assert static[0] == 200 and missing[0] == 404 and upgrade[0] == 101
    for headers in (index, static[1], missing[1], upgrade[1]):
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["strict-transport-security"] == "max-age=31536000"
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
    # a WebSocket opened by another site's page: refused by nginx before it reaches an app process
    assert raw_request(nginx.port, websocket_head(host, "https://evil.example"))[0] == 403
    assert raw_request(nginx.port, websocket_head(host, f"http://{host}"))[0] == 403  # not over TLS
    # an app process accepts a WebSocket only for the names it serves (server.allowedHosts)
    assert raw_request(apps[0].port, websocket_head("sanwei.evil.example"), tls=False)[0] == 403
    assert raw_request(apps[0].port, websocket_head(apps[0].backend), tls=False)[0] == 101
    # uploads: nginx lets the product's largest file through and refuses what is larger, before reading it
    allowed = (upload_mb() + MULTIPART_MARGIN_MB) * MiB
    put = "PUT /_stcore/upload_file/s/f HTTP/1.1\nHost: " + host + "\nContent-Type: multipart/form-data; boundary=x\n"
    assert raw_request(nginx.port, put + f"Content-Length: {allowed + 1}\n")[0] == 413
    passed = raw_request(nginx.port, put + f"Content-Length: {upload_mb() * MiB}\n")[0]
    assert passed in (400, 403, 404), passed  # Streamlit's own answer (no XSRF token, no such session), not 413


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
