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
        grade, why = {"zh": ("良好", "名额"), "en": ("Good", "quota")}[lang]
        cells = page.evaluate(CELLS, 0)
        assert any(grade in c and why in c for c in cells), cells[:40]  # the grade says what set it
    page.get_by_role("link", name="Home").click()
    page.get_by_text("Biggest risers").wait_for()
    idle(page, 1.5)
    home = overflow(page)
    assert len(home) >= 3 and set(home) == {0}, home  # risers, fallers, the warnings (issue 14), vetoes
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


BOXES = """([n, sel]) => [...document.querySelectorAll("[data-testid='stPlotlyChart']")[n].querySelectorAll(sel)]
    .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, e.textContent]; })
    .filter(b => b[2] > b[0] && b[3] > b[1])"""


def boxes(pg, chart: int, selector: str) -> list:
    return pg.evaluate(BOXES, [chart, selector])


def overlapping(a: list, b: list | None = None, slack: float = 0.5) -> list:
    """Pairs of boxes that overlap (within one list, or between two)."""
    hit = lambda p, q: p[0] < q[2] - slack and q[0] < p[2] - slack and p[1] < q[3] - slack and q[1] < p[3] - slack  # noqa: E731
    if b is None:
        return [(p[4], q[4]) for i, p in enumerate(a) for q in a[i + 1:] if hit(p, q)]
    return [(p[4], q[4]) for p in a for q in b if hit(p, q)]


def chart_index(pg, title: str) -> int:
    titles = pg.evaluate("() => [...document.querySelectorAll(\"[data-testid='stPlotlyChart']\")]"
                         ".map(c => (c.querySelector('.gtitle') || {}).textContent || '')")
    return next(i for i, t in enumerate(titles) if title in t)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_read_at_1280(page, lang):  # noqa: F811
    """Issue 15 §6: the waterfall squeezed ~30 bars, the rank axis showed 5.33, the floor label sat on a
    bar, counts had 0.2 steps, the colour bar covered an axis title, red dots were unexplained and
    36 names overlapped under the contribution chart."""
    words = {"zh": {"contrib": "总分构成", "grades": "等次分布", "waterfall": "从 0 到总分", "trend": "历季总分",
                    "trend_tab": "历季趋势", "detail": "显示每个指标"},
             "en": {"contrib": "Totals by weighted", "grades": "Grade distribution", "waterfall": "From 0 to the total",
                    "trend": "Score and rank", "trend_tab": "Trend", "detail": "Show every indicator"}}[lang]
    page.set_viewport_size({"width": 1280, "height": 1000})
    goto(page, "", "analyst")
    if lang == "en":
        page.get_by_text("English").click()
        page.get_by_text("Ledger thickness").wait_for()
    idle(page, 2)
    counts = chart_index(page, words["grades"])
    assert all(float(t[4]).is_integer() for t in boxes(page, counts, ".ytick text"))

    page.get_by_role("link", name={"zh": "排名总览", "en": "Rankings"}[lang]).click()
    page.locator("[data-testid='stPlotlyChart']").nth(1).wait_for()
    idle(page, 2)
    names = boxes(page, chart_index(page, words["contrib"]), ".xtick text")
    assert len(names) == 36 and not overlapping(names)

    page.get_by_role("link", name={"zh": "单位详情", "en": "Unit breakdown"}[lang]).click()
    page.get_by_text(words["detail"]).click()
    idle(page, 2)
    steps = boxes(page, chart_index(page, words["waterfall"]), ".ytick text")
    assert len(steps) > 20 and not overlapping(steps)
    page.get_by_role("tab", name=words["trend_tab"]).click()
    idle(page, 1.5)
    ranks = boxes(page, chart_index(page, words["trend"]), ".y2tick text")
    assert ranks and all(float(t[4]).is_integer() for t in ranks)
    top, bottom = min(ranks, key=lambda b: b[1]), max(ranks, key=lambda b: b[1])
    assert float(top[4]) < float(bottom[4])  # rank 1 side on top

    page.get_by_role("link", name={"zh": "基层评议", "en": "Reverse evaluation"}[lang]).click()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    idle(page, 2)
    label = boxes(page, 0, ".annotation")
    assert label and not overlapping(label, boxes(page, 0, ".bars path"))

    page.get_by_role("link", name={"zh": "权重分析", "en": "Weight analysis"}[lang]).click()
    page.get_by_role("tab", name={"zh": "敏感性分析", "en": "Sensitivity analysis"}[lang]).click()
    page.locator(".colorbar").first.wait_for()
    idle(page, 2)
    mc = next(i for i in range(page.locator("[data-testid='stPlotlyChart']").count())
              if boxes(page, i, ".legendtext") and any("稳健" in b[4] or "robust" in b[4] for b in boxes(page, i, ".legendtext")))
    legend = " ".join(b[4] for b in boxes(page, mc, ".legendtext"))
    assert {"zh": "敏感", "en": "sensitive"}[lang] in legend
    unit_map = next(i for i in range(page.locator("[data-testid='stPlotlyChart']").count()) if boxes(page, i, ".colorbar"))
    titles = boxes(page, unit_map, ".atitle, .btitle, .ctitle")
    assert len(titles) == 3 and not overlapping(boxes(page, unit_map, ".colorbar"), titles)
    if lang == "en":
        page.get_by_text("中文").click()
        idle(page)
    page.set_viewport_size({"width": 1440, "height": 1000})


def test_rapid_arrow_keys_on_a_weight_slider_keep_every_step(page):  # noqa: F811
    """Issue 15 §7: rapid arrow-key presses on a weight slider lost steps: the browser's older values
    of the other two sliders, sent with each press, were taken as moves and set the pressed one back."""
    goto(page, "weights", "analyst")
    page.get_by_text("当前为正式权重").wait_for()
    slider = page.get_by_role("slider").first
    value = lambda: int(slider.evaluate("e => e.getAttribute('aria-valuetext') || e.textContent").rstrip("%"))  # noqa: E731
    start = value()
    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")
    idle(page, 2.5)
    sliders = page.get_by_role("slider").all()[:3]
    values = [int(s.evaluate("e => e.getAttribute('aria-valuetext') || e.textContent").rstrip("%")) for s in sliders]
    # every press arrived, and the other two gave way 40 : 20, as one move to 50% would have made them
    assert values == [start + 10, 33, 17]
    page.get_by_role("button", name="恢复正式权重").click()
    page.get_by_text("当前为正式权重").wait_for()


def test_file_uploaders_speak_the_page_language(page):  # noqa: F811
    """Streamlit drew "Upload" and "200MB per file • XLSX, XLSM, CSV" on the Chinese import page."""
    goto(page, "import", "officer")
    zone = page.locator(".st-key-imp_files [data-testid='stFileUploaderDropzone']")
    after = "(e) => getComputedStyle(e, '::after').content"
    assert zone.locator("button p").evaluate(after) == '"选择文件"'
    assert zone.locator("[data-testid='stFileUploaderDropzoneInstructions'] span").evaluate(after) == \
        '"每个文件不超过 200 MB · XLSX、XLSM、CSV"'
    assert zone.locator("button p").evaluate("(e) => getComputedStyle(e).fontSize") == "0px"  # "Upload" not drawn
    box = zone.locator("button").bounding_box()
    assert box["width"] > 60  # the button keeps its size with our word in it
