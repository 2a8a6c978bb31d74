"""A file uploader in the session's language.

Streamlit draws the uploader's button ("Upload") and its limit line ("200MB per file • XLSX") in
English whatever the page's language, and the limit it names is the server's, not the one the
product enforces. A style scoped to the uploader's key draws ours instead (our own words only:
no data reaches the style)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ui.state import join, t

FONT = "14px"  # the size Streamlit draws both texts in


def _css_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _replace(selector: str, text: str) -> str:
    return f"{selector}{{font-size:0}}{selector}::after{{content:{_css_text(text)};font-size:{FONT}}}"


def style(key: str, types: Sequence[str], max_mb: int) -> str:
    """The style that words the uploader with `key` in the session's language."""
    root = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    limit = t("upload.limit", mb=max_mb, types=join(x.upper() for x in types))
    return "<style>" + _replace(f"{root} button [data-testid='stMarkdownContainer'] p", t("upload.button")) + \
        _replace(f"{root} [data-testid='stFileUploaderDropzoneInstructions'] span", limit) + "</style>"


def file_uploader(where, label: str, types: Sequence[str], key: str, max_mb: int | None = None, **kwargs):
    """`where.file_uploader` (a column, a form or `st`) worded in the session's language; `max_mb`, when
    smaller than the server's limit, is enforced by the browser too."""
    st.html(style(key, types, max_mb or st.get_option("server.maxUploadSize")))
    return where.file_uploader(label, type=list(types), key=key, max_upload_size=max_mb, **kwargs)
