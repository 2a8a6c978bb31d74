"""Streamlit glue shared by the pages: language, the store and cached reads, the sidebar, tables.

Pages `import ui` and call these; everything they compute comes from the `scoring` library.
"""

from ui import session
from ui.data import (
    active_model,
    db,
    history,
    method_analysis,
    model_version,
    model_versions,
    official_model,
    published_periods,
    published_version,
    rankings,
    result,
    save_model,
    sens_input,
    statistical_audit,
    store,
    warnings,
)
from ui.output import grade_styler, memo, xlsx_bytes
from ui.quarter import quarter_state, warning_label, warning_rules
from ui.session import current, require, service
from ui.sidebar import need_period, period, sidebar
from ui.state import flag_label, flag_text, join, lang, md, t
from ui.table import headers, height, table

__all__ = ["active_model", "current", "db", "flag_label", "flag_text", "grade_styler", "headers", "height", "history", "join", "lang", "md",
           "memo", "method_analysis", "model_version", "model_versions", "need_period", "official_model", "period", "published_periods",
           "published_version", "quarter_state", "rankings", "require", "result", "save_model", "session", "sens_input", "service", "sidebar",
           "statistical_audit", "store", "t", "table", "warning_label", "warning_rules", "warnings", "xlsx_bytes"]
