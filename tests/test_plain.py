"""The one escaping helper for data shown in the UI (issue 10 §3)."""

import re

import pytest

from scoring.plain import html, markdown
from tests.fixtures.make_fixtures import MARKUP_NAMES


@pytest.mark.parametrize("name", [*MARKUP_NAMES, ":red[x]", "# 标题", "a\n\n- b", "`code`", "~~s~~", "a|b", "&lt;b&gt;"])
def test_markdown_escapes_every_punctuation_character(name):
    out = markdown(name)
    assert "\n" not in out
    unescaped = [c for i, c in enumerate(out) if c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
                 and (i == 0 or out[i - 1] != "\\") and not (c == "\\" and i + 1 < len(out))]
    assert unescaped == [], out
    assert out.replace("\\", "") == re.sub(r"[\r\n\t]+", " ", name)


def test_html_keeps_text_as_text():
    assert html('<a href="https://phish">点我</a> & more') == '&lt;a href="https://phish"&gt;点我&lt;/a&gt; &amp; more'
    assert markdown(None) == "" and html(None) == ""
