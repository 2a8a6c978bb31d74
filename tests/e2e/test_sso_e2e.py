"""Single sign-on in the real browser against a real OIDC provider (oidc-provider on Node.js) that
the test starts on loopback: Streamlit's st.login, the provider's login form, the identity mapped
to a Sanwei account with its roles; an identity without an account is refused; sign-out ends both."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from scoring.service import Service
from scoring.store import Store
from scoring.store.store import NewAccount
from tests.e2e.test_dashboard_e2e import ARGS, CHROMIUM, ROOT, _free_port, _require_chromium

OIDC = ROOT / "tests" / "oidc"
DEMO = ROOT / "data" / "demo"
pytestmark = pytest.mark.e2e


def _require_node() -> None:
    if shutil.which("node") and shutil.which("npm"):
        if not (OIDC / "node_modules" / "oidc-provider").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=OIDC, check=True, timeout=300)
        return
    if os.environ.get("SANWEI_REQUIRE_CHROMIUM") == "1":
        pytest.fail("Node.js and npm are required for the single sign-on browser test")
    pytest.skip("single sign-on test skipped: Node.js/npm not installed (apt-get install nodejs npm)")


def _wait(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{url}: the process ended early\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def sso(tmp_path_factory):
    """The provider and a dashboard configured for it, on a store with the demo quarters and one
    account (leader) mapped to the provider's alice."""
    _require_chromium()
    _require_node()
    tmp = tmp_path_factory.mktemp("sso")
    op_port, app_port = _free_port(), _free_port()
    issuer, app = f"http://127.0.0.1:{op_port}", f"http://127.0.0.1:{app_port}"
    db = f"sqlite:///{tmp}/sanwei.db"
    with Store(db) as store:
        Service.load_demo(store, DEMO)
        store.create_account(NewAccount("zhao", "赵书记", None, frozenset({"leader"}), sso="alice@example.test"), "test")
    (tmp / "secrets.toml").write_text(f'''[auth]
redirect_uri = "{app}/oauth2callback"
cookie_secret = "{os.urandom(24).hex()}"
client_id = "sanwei-test"
client_secret = "sanwei-test-secret"
server_metadata_url = "{issuer}/.well-known/openid-configuration"
''')
    procs = []
    op_log, app_log = tmp / "provider.log", tmp / "streamlit.log"
    with open(op_log, "w") as out:  # noqa: SIM117 - both logs stay open while the servers run
        procs.append(subprocess.Popen(["node", "provider.mjs", "--port", str(op_port), "--app-port", str(app_port)],
                                      cwd=OIDC, stdout=out, stderr=subprocess.STDOUT))
    _wait(f"{issuer}/.well-known/openid-configuration", procs[0], op_log)
    env = {**os.environ, "SANWEI_DATABASE_URL": db}
    env.pop("SANWEI_DEMO", None)
    with open(app_log, "w") as out:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(app_port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--secrets.files", str(tmp / "secrets.toml")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
    _wait(f"{app}/_stcore/health", procs[1], app_log)
    yield issuer, app, db
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def test_single_sign_on_maps_the_provider_user_to_its_account(sso):
    from playwright.sync_api import sync_playwright

    issuer, app, db = sso
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        # loopback only: the provider's pages would load web fonts from the internet
        ctx.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname == "127.0.0.1" else r.abort())
        page = ctx.new_page()
        page.set_default_timeout(60_000)

        def provider_login(user: str) -> None:
            page.goto(f"{app}/rankings")
            page.get_by_role("button", name="使用统一身份认证登录").click()
            page.wait_for_url(f"{issuer}/interaction/**")
            page.fill("input[name=login]", user)
            page.fill("input[name=password]", "any")
            page.get_by_role("button", name="Sign-in").click()
            page.wait_for_url(f"{app}/**")

        provider_login("alice")
        page.locator("h1").filter(has_text="三维考评结果").wait_for()  # mapped to zhao, a leader
        page.get_by_text("当前账户：赵书记（领导）").wait_for()
        assert page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="数据导入").count() == 0
        page.reload()  # the provider's identity cookie signs the new session in again
        page.get_by_text("当前账户：赵书记（领导）").wait_for()
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_url(f"{issuer}/session/end**")  # sign-out ends the provider's session too
        page.get_by_role("button", name="Yes, sign me out").click()
        page.locator("h1").filter(has_text="登录").wait_for()

        provider_login("bob")  # the provider knows bob; Sanwei has no account for him
        page.get_by_text("身份“bob@example.test”没有对应的账户").wait_for()
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        page.get_by_role("button", name="退出统一身份认证，换一个身份").click()
        page.wait_for_url(f"{issuer}/session/end**")
        page.get_by_role("button", name="Yes, sign me out").click()
        page.get_by_role("button", name="使用统一身份认证登录").wait_for()
        browser.close()
    with Store(db) as store:
        log = store.audit()
    assert ((log["action"] == "sign_in") & (log["who"] == "zhao")).sum() >= 2
