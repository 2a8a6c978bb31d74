"""The dashboard in a real headless Chromium, started the way Streamlit's own e2e_playwright does:
`streamlit run` on a free port, wait for /_stcore/health, then drive the pages as a user would.

Takes a screenshot of every page; with SANWEI_SCREENSHOTS=1 (`make screenshots`) into docs/screenshots/
(the ones shown in README), otherwise into a temporary folder, so a test run leaves the checkout clean.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("SANWEI_SCREENSHOTS") == "1" else \
    Path(tempfile.gettempdir()) / "sanwei-screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

pytestmark = pytest.mark.e2e


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("SANWEI_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"Chromium is required (SANWEI_REQUIRE_CHROMIUM=1) but {CHROMIUM} is missing")
    pytest.skip(f"browser tests skipped: {CHROMIUM} not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(str):
    """The server's URL (a str), with the store it uses."""

    def __new__(cls, url: str, db: str):
        self = super().__new__(cls, url)
        self.db = db
        return self


@contextmanager
def streamlit_server(db_url: str, folder: Path, demo: bool = True):
    """`streamlit run app.py` on a free port over the store at `db_url` (with the demo switch, an
    empty store gets the demo quarters and the demo accounts); yields a Server."""
    _require_chromium()
    port = _free_port()
    env = {**os.environ, "SANWEI_DATABASE_URL": db_url}
    env.pop("SANWEI_DEMO", None)
    if demo:
        env["SANWEI_DEMO"] = "1"
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"streamlit did not start: {(folder / 'server.log').read_text()[-2000:]}")
        time.sleep(0.3)
    try:
        yield Server(url, db_url)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A dashboard server on a fresh SQLite store (filled with the demo quarters on first page load)."""
    tmp = tmp_path_factory.mktemp("e2e")
    with streamlit_server(f"sqlite:///{tmp}/sanwei.db", tmp) as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True, locale="zh-CN")
        pg = ctx.new_page()
        pg.set_default_timeout(90_000)
        pg.base = server
        yield pg
        browser.close()


def idle(pg, settle: float = 0.6) -> None:
    """Wait until the script run the last action started has finished."""
    time.sleep(settle)
    pg.wait_for_selector(IDLE)
    time.sleep(0.3)


def goto(pg, path: str, user: str = "officer") -> None:
    """Open `path` as a new visitor would (a new session), then sign in as the demo account `user`:
    the page asked for opens after signing in."""
    pg.goto(f"{pg.base}/{path}")
    pg.locator("h1").filter(has_text=re.compile("登录|Sign in")).wait_for()
    idle(pg)
    demo = pg.locator(f".st-key-demo_{user} button").first
    demo.click()
    demo.wait_for(state="detached")  # (not "an h1 without 登录": a page title from data may hold the word)
    pg.locator("h1").first.wait_for()
    idle(pg)


def shoot(pg, name: str) -> None:
    """A full-length PNG of the page: Streamlit scrolls inside its main block, so grow the viewport to fit."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    pg.set_viewport_size({"width": 1440, "height": min(max(1000, height), 6000)})
    time.sleep(1.2)  # plotly re-lays out to the new size
    pg.screenshot(path=str(SHOTS / f"{name}.png"))
    pg.set_viewport_size({"width": 1440, "height": 1000})


def test_deep_link_first_then_home(page):
    """The first request after start is a deep link: it goes through app.py's router and, after
    signing in, opens the page it asked for."""
    goto(page, "reverse", "leader")
    page.locator("h1").filter(has_text="基层评议上级").wait_for()
    page.get_by_role("link", name="首页").wait_for()
    goto(page, "", "leader")
    assert "2026Q3" in page.locator("h1").first.inner_text()
    page.get_by_text("台账厚度、会议次数不得分").wait_for()
    shoot(page, "home")


def test_upload_validate_store_and_publish(page):
    goto(page, "import")
    period = page.get_by_label("季度", exact=True).first
    period.fill("2026Q3")
    period.press("Enter")
    idle(page)
    files = [DEMO / "units.xlsx", *sorted(DEMO.glob("2026Q3_*.xlsx"))]
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(f) for f in files])
    page.locator("[data-testid='stFileChip']").first.wait_for()
    idle(page, 1.5)
    button = page.get_by_role("button", name="读取并校验")
    page.wait_for_function("b => !b.disabled", arg=button.element_handle())
    button.click()
    page.get_by_text(re.compile(r"校验完成：0 个错误")).wait_for()
    idle(page)
    page.get_by_role("tab", name="2026Q3_survey.xlsx").wait_for()
    shoot(page, "import")
    page.get_by_role("button", name="保存为草稿").click()
    page.get_by_text("已保存 2026Q3 第 2 版（草稿）").wait_for()
    idle(page)
    page.get_by_role("button", name="发布此版本").click()
    page.get_by_label("发布理由（必填）").fill("导入本季度全部表格后复核无误")
    idle(page)
    page.get_by_role("button", name="确认发布").click()
    page.get_by_text("已发布 2026Q3 第 2 版。").wait_for()
    idle(page)
    page.get_by_text(re.compile("2026Q3 已发布第 2 版 .* 发布人 officer")).wait_for()


def test_rankings_download_and_click_through(page, tmp_path):
    goto(page, "rankings", "leader")
    assert "2026Q3" in page.locator("h1").inner_text()
    page.get_by_text("共 36 个单位").wait_for()
    shoot(page, "rankings")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载排名（Excel）").click()
    path = tmp_path / "ranking.xlsx"
    dl.value.save_as(path)
    ws = openpyxl.load_workbook(path, read_only=True)["排名"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("总排名", "单位") and len(rows) == 37
    assert [r[0] for r in rows[1:4]] == [1, 2, 3]
    # select the first row of the table (a canvas grid): the row-selection cell at its left edge
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 35 + 17)
    page.wait_for_function("() => location.pathname.endsWith('/unit')")
    page.locator("h1").filter(has_text="市市场监督管理局").wait_for()  # rank 1 of 2026Q3
    idle(page)


def test_unit_breakdown(page):
    goto(page, "unit?unit=XZ03", "leader")
    assert page.locator("h1").inner_text().startswith("石桥镇")
    page.get_by_text("从 0 到总分").first.wait_for()
    shoot(page, "unit")
    page.get_by_role("tab", name="群众评价").click()
    page.get_by_text("95% 置信区间").wait_for()
    shoot(page, "unit_survey")


def test_weight_slider_changes_the_ranking(page, tmp_path):
    goto(page, "weights", "analyst")
    page.get_by_text("当前为正式权重").wait_for()
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")
    idle(page, 1.5)
    banner = page.get_by_text("假设分析，不是正式结果").locator("xpath=..")
    moved = int(re.search(r"(\d+) 个单位名次变化", banner.inner_text()).group(1))
    assert moved > 0
    shoot(page, "weights_live")
    page.get_by_role("button", name="恢复正式权重").click()
    page.get_by_text("当前为正式权重").wait_for()
    page.get_by_role("tab", name="敏感性分析").click()
    page.get_by_text("蒙特卡洛名次区间").first.wait_for()
    page.get_by_text("Sobol 敏感性指数").first.wait_for()
    idle(page, 2)
    shoot(page, "weights_analysis")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载完整分析（Excel）").click()
    dl.value.save_as(tmp_path / "analysis.xlsx")
    book = openpyxl.load_workbook(tmp_path / "analysis.xlsx", read_only=True)
    assert {"蒙特卡洛-单位", "Sobol 指数", "三元图", "扫描-群众评价", "交叉点-过程合规"} <= set(book.sheetnames)
    assert book["蒙特卡洛-单位"].max_row == 37 and "名次 5% 分位" in next(book["蒙特卡洛-单位"].iter_rows(values_only=True))


def test_audit_page_heatmap_and_download(page, tmp_path):
    goto(page, "audit", "analyst")
    page.locator("h1").filter(has_text="统计审查").wait_for()
    page.get_by_text("指标数据质量").wait_for()
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for()  # a correlation heatmap drawn by plotly
    idle(page, 2)
    shoot(page, "audit")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载统计审查（Excel）").click()
    dl.value.save_as(tmp_path / "audit.xlsx")
    book = openpyxl.load_workbook(tmp_path / "audit.xlsx", read_only=True)
    assert {"指标数据质量", "节点一致性", "有效权重", "Pearson 相关-实绩数据", "Spearman 相关-LIV"} <= set(book.sheetnames)
    assert book["指标数据质量"].max_row == 17  # 16 scored indicators


def test_reverse_and_model_pages(page):
    goto(page, "reverse", "leader")
    page.get_by_text("评议单位身份只用于统计数量").wait_for()
    shoot(page, "reverse")
    goto(page, "model", "analyst")
    page.get_by_text("模型校验通过").wait_for()
    shoot(page, "model")


def test_switch_to_english(page, tmp_path):
    goto(page, "rankings", "leader")
    page.get_by_text("English").click()
    page.locator("h1").filter(has_text="rankings").wait_for()
    idle(page)
    shoot(page, "rankings_en")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download rankings (Excel)").click()
    dl.value.save_as(tmp_path / "ranking_en.xlsx")
    header = next(openpyxl.load_workbook(tmp_path / "ranking_en.xlsx", read_only=True)["Ranking"].iter_rows(values_only=True))
    assert header[:3] == ("Overall rank", "Unit", "Group")
    page.get_by_role("link", name="Home").click()  # in-app navigation keeps the session's language
    page.get_by_text("Ledger thickness and meeting counts earn no points").wait_for()
    page.get_by_text("中文").click()  # back to Chinese: the account keeps the choice for its next visit
    page.locator("h1").filter(has_text="三维考评结果").wait_for()


TITLE = {"admin": "账户与审计"}  # the one page of a one-page role
NAV = {  # demo account -> the page links its roles show
    "admin": {"账户与审计"},
    "officer": {"首页", "数据导入", "排名总览", "单位详情", "申诉复核", "反馈报告", "年度考核", "基层评议", "模型设置",
                "账户与审计"},
    "analyst": {"首页", "排名总览", "单位详情", "反馈报告", "年度考核", "权重分析", "统计审查", "基层评议", "模型设置"},
    "leader": {"首页", "排名总览", "单位详情", "申诉复核", "反馈报告", "年度考核", "基层评议"},
    "jd01": {"单位详情", "申诉复核", "反馈报告"},
}
ALL_NAV = set().union(*NAV.values())


@pytest.mark.parametrize("user", list(NAV))
def test_each_role_signs_in_and_sees_only_its_pages(page, user):
    goto(page, "", user)
    nav = page.locator("[data-testid='stSidebarNav']")
    if len(NAV[user]) == 1:  # one page: Streamlit shows no menu, the page itself is it
        page.locator("h1").filter(has_text=TITLE[user]).wait_for()
        assert nav.count() == 0
    else:
        for name in NAV[user]:
            nav.get_by_role("link", name=name).wait_for()
        assert not [name for name in ALL_NAV - NAV[user] if nav.get_by_role("link", name=name).count()]
    page.get_by_role("button", name="退出登录").click()
    page.locator("h1").filter(has_text="登录").wait_for()


def test_a_unit_account_cannot_open_another_unit(page):
    goto(page, "unit?unit=XZ03", "jd01")
    assert page.locator("h1").first.inner_text().startswith("青山街道")
    page.goto(f"{page.base}/rankings")  # typed by hand: not one of its pages
    page.locator("h1").filter(has_text="登录").wait_for()
    idle(page)
    page.locator(".st-key-demo_jd01 button").first.click()
    page.locator("h1").filter(has_text="青山街道").wait_for()


def test_password_sign_in_wrong_then_right(page, server):
    from scoring.auth import hash_password
    from scoring.store import Store
    from scoring.store.store import NewAccount

    with Store(server.db) as store:
        if store.account("zhou") is None:
            store.create_account(NewAccount("zhou", "周主任", hash_password("Qingshan-Secret-2026"),
                                            frozenset({"leader"})), "e2e")
    page.goto(f"{page.base}/rankings")
    page.locator("h1").filter(has_text="登录").wait_for()
    idle(page)
    page.get_by_label("账户名").fill("zhou")
    page.get_by_label("密码").fill("not-my-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("账户名或密码不正确").wait_for()
    page.get_by_label("密码").fill("Qingshan-Secret-2026")
    page.get_by_role("button", name="登录").click()
    page.locator("h1").filter(has_text="排名总览").wait_for()
    page.get_by_text(re.compile("当前账户：周主任")).wait_for()


def test_a_unit_appeals_an_officer_accepts_a_corrected_version_is_published_and_the_unit_downloads_its_report(
        page, tmp_path):
    """The quarter's end as the people do it: 青山街道 files an appeal with evidence during the 公示; the
    officer accepts it with a reply and enters the corrected value, which becomes a new draft version;
    a second officer publishes it; the unit sees its appeal corrected and downloads its report."""
    evidence = tmp_path / "更正证明.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    goto(page, "appeals", "jd01")
    page.get_by_text("公示中").first.wait_for()
    page.get_by_label("申诉理由（必填）").fill("一般公共预算收入增速报送有误，应为 15.5%")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(evidence))
    page.locator("[data-testid='stFileChip']").first.wait_for()
    idle(page, 1.0)
    page.get_by_role("button", name="提交申诉").click()
    filed = page.get_by_text(re.compile(r"已提交第 \d+ 号申诉"))
    filed.wait_for()
    number = re.search(r"第 (\d+) 号", filed.inner_text()).group(1)
    idle(page)
    shoot(page, "appeals_unit")

    goto(page, "appeals", "officer")
    with page.expect_download() as dl:  # evidence only as a download, never shown in the page
        page.get_by_role("button", name="下载 更正证明.pdf").first.click()
    assert dl.value.suggested_filename == "更正证明.pdf"
    assert Path(dl.value.path()).read_bytes() == evidence.read_bytes()
    idle(page)
    page.get_by_label("答复意见（必填，单位可见）").fill("经核实统计公报，予以更正")
    idle(page)
    page.get_by_role("button", name="受理（将更正）").click()
    page.get_by_text(f"已处理第 {number} 号申诉。").wait_for()
    idle(page)
    page.get_by_label("更正后的值", exact=True).and_(page.get_by_test_id("stTextInputField")).fill("15.5")
    idle(page)
    page.get_by_role("button", name="录入更正并生成新版本").click()
    made = page.get_by_text(re.compile(r"已生成 2026Q3 第 \d+ 版"))
    made.wait_for()
    version = re.search(r"第 (\d+) 版", made.inner_text()).group(1)
    idle(page)
    shoot(page, "appeals_officer")

    goto(page, "import", "officer2")  # the normal publish rules: a reason, and here a second officer
    page.get_by_role("button", name="发布此版本…").click()
    page.get_by_label("发布理由（必填）").fill(f"第 {number} 号申诉受理后更正")
    idle(page)
    page.get_by_role("button", name="确认发布").click()
    page.get_by_text(f"已发布 2026Q3 第 {version} 版。").wait_for()
    idle(page)

    goto(page, "appeals", "jd01")
    page.locator("[data-testid='stText']").filter(has_text="已更正").first.wait_for()
    goto(page, "reports", "jd01")
    page.locator("h1").filter(has_text="考核结果反馈报告").wait_for()
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载反馈单（PDF）").click()
    path = tmp_path / "report.pdf"
    dl.value.save_as(path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "青山街道" in text and f"第 {version} 版" in text and "已更正" in text and "经核实统计公报" in text


def test_annual_page(page, tmp_path):
    goto(page, "annual", "leader")
    page.locator("h1").filter(has_text="年度考核").wait_for()
    page.get_by_text("年度总分构成").first.wait_for()
    idle(page, 1.5)
    shoot(page, "annual")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载年度结果（Excel）").click()
    dl.value.save_as(tmp_path / "annual.xlsx")
    assert openpyxl.load_workbook(tmp_path / "annual.xlsx", read_only=True).sheetnames == ["年度考核", "季度明细"]


def teardown_module(module):
    """Leave no partial screenshot set behind if a browser was never started."""
    if SHOTS.exists() and not any(SHOTS.iterdir()):
        shutil.rmtree(SHOTS)
