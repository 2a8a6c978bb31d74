"""Data is text: the one escaping helper for every string that comes from a spreadsheet, a model
file or a file name and is shown where markup is interpreted.

Streamlit renders markdown (with GitHub extensions, KaTeX math between `$`, colour and icon
directives such as `:red[...]`) in titles, captions, banners, tabs, metric labels and values,
radio and segmented-control options, progress and status texts and toasts; plotly renders a
subset of HTML (`<a href>`, `<b>`, `<br>`…) in every label, legend entry and hover text. A unit
named `[点此重新登录](https://phish)` must show those characters, not become a link.

- `markdown(text)`: every ASCII punctuation character backslash-escaped (CommonMark allows this
  for all of them, and remark-math and the directive syntax respect it), line breaks as spaces.
- `html(text)`: `&`, `<`, `>` as character references, which plotly shows as the characters.

Cells of `st.dataframe`/`st.data_editor`, and options of select boxes and multiselects, are
plain text already and are not escaped (a backslash would show).
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_BREAKS = re.compile(r"[\r\n\t]+")


def markdown(value: object) -> str:
    """`value` as text that markdown shows literally."""
    if value is None:
        return ""
    return _PUNCTUATION.sub(r"\\\1", _BREAKS.sub(" ", str(value)))


def html(value: object) -> str:
    """`value` as text that plotly's label HTML shows literally."""
    if value is None:
        return ""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
