"""Which quarter uploaded files say they belong to: their names, sheet titles and survey response ids.

Offices name files `2026Q3_survey.xlsx` or `2026年第三季度群众评价.xlsx` and number responses
`2026Q3-JD01-001`. A period typed into the import form that disagrees with what the files say is
the classic way to store a quarter under the wrong one, so `check` makes it an error that only an
explicit override (the officer confirms the chosen quarter) turns into a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from scoring.report import Report

_CN_Q = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PATTERNS = (  # the year must not continue a longer number (a phone number, an id)
    re.compile(r"(?<!\d)(20\d\d)\s*[-_ ]?\s*[Qq]([1-4])(?!\d)"),
    re.compile(r"(?<!\d)(20\d\d)\s*年?\s*第?\s*([一二三四1-4])\s*季度?"),
)
ID_SAMPLE = 200  # response ids looked at from each end of a survey: the ids of one file share their period


class Source(StrEnum):
    NAME = "name"
    SHEET = "sheet"
    RESPONSE_ID = "response_id"


_WHAT = {Source.NAME: ("文件名", "the file name"), Source.SHEET: ("工作表名称", "the sheet title"),
         Source.RESPONSE_ID: ("问卷编号", "the response ids")}


@dataclass(frozen=True)
class Evidence:
    """`file` says it belongs to `period`, through `source` (at `sheet`/`column` for ids)."""

    period: str
    file: str
    source: Source
    sheet: str | None = None
    column: str | None = None
    header: str | None = None


def in_text(text: object) -> str | None:
    """The one period a text names (2026Q3, 2026-q3, 2026年第三季度, 2026年3季度), else None
    (none, or two different ones)."""
    if not isinstance(text, str):
        return None
    found = {f"{m.group(1)}Q{_CN_Q[m.group(2)]}" for p in _PATTERNS for m in p.finditer(text)}
    return found.pop() if len(found) == 1 else None


def in_ids(ids: pd.Series) -> str | None:
    """The period the response ids name, when the sampled ids that name one all agree."""
    ids = ids.dropna()
    sample = pd.concat([ids.head(ID_SAMPLE), ids.tail(ID_SAMPLE)]) if len(ids) > 2 * ID_SAMPLE else ids
    found = Counter(p for p in map(in_text, sample.astype(str)) if p)
    return next(iter(found)) if len(found) == 1 else None


def of_file(name: str, sheet: str | None = None, ids: pd.Series | None = None, *,
            column: str | None = None, header: str | None = None) -> list[Evidence]:
    """What one file says: its name, its sheet title, its response ids (each only when present)."""
    found = []
    if p := in_text(name):
        found.append(Evidence(p, name, Source.NAME))
    if p := in_text(sheet):
        found.append(Evidence(p, name, Source.SHEET, sheet))
    if ids is not None and (p := in_ids(ids)):
        found.append(Evidence(p, name, Source.RESPONSE_ID, sheet, column, header))
    return found


def agreed(evidence: Iterable[Evidence]) -> str | None:
    """The period every piece of evidence names, or None (no evidence, or files of several quarters)."""
    periods = {e.period for e in evidence}
    return periods.pop() if len(periods) == 1 else None


def from_names(names: Iterable[str]) -> str | None:
    """The period the file names agree on: what the import form preselects before anything is read."""
    return agreed(e for n in names for e in of_file(n))


def check(report: Report, chosen: str, evidence: Iterable[Evidence], override: bool = False) -> None:
    """Every file that names another period than `chosen` is an error (a warning when the officer
    confirmed the chosen period with `override`); one finding per file and source."""
    for e in evidence:
        if e.period == chosen:
            continue
        zh, en = _WHAT[e.source]
        where = {"sheet": e.sheet, "column": e.column, "header": e.header, "value": e.period, "expected": chosen}
        if override:
            report.warning(e.file, f"{zh}表明期次为 {e.period}，已按确认的期次 {chosen} 导入",
                           f"{en} says {e.period}; imported as {chosen}, as confirmed", **where)
        else:
            report.error(e.file, f"{zh}表明期次为 {e.period}，与所选期次 {chosen} 不符：请改选 {e.period}，"
                         f"或确认按 {chosen} 导入", f"{en} says {e.period}, not the chosen {chosen}: choose "
                         f"{e.period}, or confirm importing as {chosen}", **where)
