"""Data is text on every page (issue 10 §3): with every name in the store and the model being markup
(tests/hostile_store.py), no page hands a raw name to anything that renders markdown (titles,
captions, banners, tabs, metrics, radio and segmented options, the sidebar) and no chart label
carries HTML from data. The browser run (tests/e2e) checks the rendered page itself."""

from __future__ import annotations

import json

import pytest

from scoring import plain
from tests import hostile_store
from tests.apptest import open_page
from tests.fixtures.make_fixtures import MARKUP_NAMES

PAGES = ["home", "import_data", "rankings", "unit", "weights", "audit", "reverse", "model_settings"]
MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "toast")


@pytest.fixture(scope="module", autouse=True)
def hostile_env(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('markup')}/sanwei.db"
    hostile_store.fill(url)
    mp = pytest.MonkeyPatch()
    mp.setenv("SANWEI_DATABASE_URL", url)
    mp.setenv("SANWEI_USER", "apptest")
    yield url
    mp.undo()


def rendered_as_markdown(at) -> list[str]:
    """Every string of the page that Streamlit renders as markdown."""
    out = [str(e.value) for kind in MARKDOWN_KINDS for e in getattr(at, kind)]
    out += [str(m.label) for m in at.metric] + [str(m.value) for m in at.metric]
    out += [str(t.label) for t in at.tabs] + [str(x.label) for x in at.expander]
    out += [str(o) for r in at.radio for o in r.options]
    for group in at.get("button_group"):  # segmented controls and pills
        out += [o.content for o in group.proto.options]
    return out


def chart_strings(at) -> list[str]:
    """Every string in the page's plotly figures (data and layout, not the theme)."""
    out: list[str] = []

    def walk(v) -> None:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                if k != "template":
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return out


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_page_renders_data_as_markup(page, lang):
    state = {"unit_pick": "JD02"} if page == "unit" else {}  # JD02 is named [点此重新登录](https://phish)
    at = open_page(page, lang, **state)
    assert not at.exception, [e.value for e in at.exception]
    texts = rendered_as_markdown(at)
    for name in MARKUP_NAMES:
        leaks = [t for t in texts if name in t]
        assert not leaks, f"{page}: {name!r} rendered as markdown in {leaks[:3]}"
    assert any(plain.markdown(hostile_store.BEACON) in t for t in texts), "the model name is shown, as text"
    for s in chart_strings(at):
        assert "<a" not in s and "<img" not in s and "<b>" not in s, f"{page}: HTML from data in a chart: {s!r}"
    if page == "unit":
        assert at.title[0].value.startswith(plain.markdown(hostile_store.PHISH))


def test_chart_labels_keep_the_names_as_text():
    at = open_page("rankings")
    labels = chart_strings(at)
    assert plain.html(hostile_store.IMG) in labels and plain.html(hostile_store.ANCHOR) not in ("",)
