"""考核结果反馈单: each unit's feedback report for a quarter, in PDF (reportlab) and Word (python-docx),
and the 公示 list (PDF, xlsx).

`content.build` turns a scored period and what surrounds it (history, appeals, warnings, the annual
result so far) into format-neutral blocks in one language; `pdf` and `docx` lay the same blocks
out, so the two files always say the same thing. Charts are drawn once (`charts`, 200 dpi PNG)
and placed in both. Chinese text renders with an embedded CJK TrueType font (`fonts`).
"""

from scoring.feedback.content import ReportInputs, build
from scoring.feedback.docx import render_docx
from scoring.feedback.pdf import render_pdf

__all__ = ["ReportInputs", "build", "render_docx", "render_pdf"]
