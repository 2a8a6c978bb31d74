"""Located, bilingual validation findings, collected lazily so the user sees them all at once.

Errors block an import, warnings do not; information changes nothing and is there to be read
(the columns that earn no points, a disagreement between two files in such a column).

What an issue may quote (issue 10 §4; the rule for every report, stored or shown, the JSON and
every export): an issue names where (file, sheet, row, column letter, header) and what kind of
problem, and lists what is `expected` from the model or the roster. Its `value`, `suggestions`
and messages may carry a cell's content only when that content is a number or a word of a known
vocabulary (a roster unit's code or name, a model code, label or alias, a period) — content that
identifies nothing beyond what the store holds anyway. A cell that matched no vocabulary is free
text (an off-scale answer, an unknown unit, group, category or rater, a veto reason, a note) and
is never quoted: "B17: the answer is not on the scale", not what the respondent wrote there.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import pandas as pd


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # worth knowing, changes nothing (a column that earns no points, a disagreement in one)


_CJK = re.compile(r"[\u3400-\u9fff]")


def in_language(text: object, lang: str) -> object:
    """One language of a bilingual "中文 / English" text (an `expected` written for both); any
    other text unchanged."""
    if not isinstance(text, str) or " / " not in text:
        return text
    zh, _, en = text.rpartition(" / ")
    if not (_CJK.search(zh) and not _CJK.search(en)):
        return text
    return en if lang == "en" else zh


@dataclass(frozen=True)
class Issue:
    """One finding. `row` is the row number as the user sees it in Excel (1-based), `column`
    the column letter; either may be None when the finding concerns a whole file or row."""

    severity: Severity
    file: str
    message_zh: str
    message_en: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    header: str | None = None
    value: str | None = None
    expected: str | None = None
    suggestions: tuple[str, ...] = ()

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"[{self.sheet}]")
        cell = f"{self.column or ''}{self.row or ''}"
        if cell:
            parts.append(cell)
        if self.header:
            parts.append(f"({self.header})")
        return " ".join(parts)

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def as_json(self) -> dict:
        return {**asdict(self), "severity": self.severity.value, "suggestions": list(self.suggestions)}

    @classmethod
    def from_json(cls, data: dict) -> Issue:
        return cls(**{**data, "severity": Severity(data["severity"]), "suggestions": tuple(data.get("suggestions") or ())})

    def text(self, lang: str = "zh") -> str:
        msg = self.message(lang)
        if self.suggestions:
            msg += ("；最接近：" if lang == "zh" else "; closest: ") + "、".join(self.suggestions)
        return f"{self.location()}: {msg}"


COLUMNS = ["severity", "file", "sheet", "row", "column", "header", "value", "expected",
           "message_zh", "message_en", "suggestions"]


@dataclass
class Report:
    """Every error and warning of one validation run. Errors block an import; warnings do not."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def error(self, file: str, zh: str, en: str, **where) -> None:
        self.issues.append(Issue(Severity.ERROR, file, zh, en, **where))

    def warning(self, file: str, zh: str, en: str, **where) -> None:
        self.issues.append(Issue(Severity.WARNING, file, zh, en, **where))

    def info(self, file: str, zh: str, en: str, **where) -> None:
        self.issues.append(Issue(Severity.INFO, file, zh, en, **where))

    def extend(self, other: Report) -> None:
        self.issues.extend(other.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def infos(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.INFO]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        rows = [{**asdict(i), "severity": i.severity.value, "suggestions": "、".join(i.suggestions)}
                for i in self.issues]
        return pd.DataFrame(rows, columns=COLUMNS)

    def to_text(self, lang: str = "zh") -> str:
        if not self.issues:
            return "no problems found" if lang == "en" else "没有发现问题"
        head = {"zh": {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"},
                "en": {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}}[lang]
        return "\n".join(f"{head[i.severity]}: {i.text(lang)}" for i in self.issues)


class InputError(Exception):
    """Input that cannot be used; carries the full report so callers can show every problem."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__(report.to_text())
