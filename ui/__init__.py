"""Streamlit glue shared by the pages: language, the store and cached reads, the sidebar, tables.

Pages `import ui` and call these; everything they compute comes from the `scoring` library.
Importing `ui` first makes client `clear_cache`/`load_git_info` messages harmless (ui/hardening.py).
"""

import logging

from ui import hardening, session  # noqa: F401 - hardening first: before any session can ask anything
from ui.data import (
    active_model,
    db,
    derived,
    history,
    method_analysis,
    model_version,
    model_versions,
    official_model,
    published_info,
    published_periods,
    published_version,
    rankings,
    result,
    reverse_source,
    save_model,
    sens_input,
    state,
    statistical_audit,
    store,
    warnings,
)
from ui.output import grade_column, grade_display, memo, xlsx_bytes
from ui.quarter import quarter_state, show_reverse_source, warning_icon, warning_label, warning_rules
from ui.session import current, require, service, visible_units
from ui.sidebar import need_period, period, sidebar
from ui.state import flag_label, flag_text, join, label, lang, md, t
from ui.table import headers, height, table
from ui.upload import file_uploader

_LOG = logging.getLogger("sanwei")  # what the shared cache loads and what hardening refuses, in the process's log
if not _LOG.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _LOG.addHandler(_handler)
    _LOG.setLevel(logging.INFO)
    _LOG.propagate = False

__all__ = ["active_model", "current", "db", "derived", "file_uploader", "flag_label", "flag_text", "grade_column", "grade_display", "headers",
           "height", "history", "join", "label", "lang", "md", "memo", "method_analysis", "model_version", "model_versions", "need_period",
           "official_model", "period", "published_info", "published_periods", "published_version", "quarter_state", "rankings",
           "require", "result", "reverse_source", "save_model", "session", "sens_input", "service", "show_reverse_source", "sidebar", "state",
           "statistical_audit", "store", "t", "table", "warning_icon", "warning_label", "visible_units", "warning_rules", "warnings", "xlsx_bytes"]
