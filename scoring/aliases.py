"""The header alias table: every accepted spelling of every fixed column, in one place.

Indicator, survey-item, compliance-item and criterion columns are matched against the model's
codes and names instead (see `match_model_column`).
"""

from __future__ import annotations

import re
import unicodedata

# canonical column -> accepted headers (Chinese first, then English)
ALIASES: dict[str, tuple[str, ...]] = {
    "unit_id": ("单位编码", "单位代码", "单位编号", "编码", "unit_id", "unit id", "unit code"),
    "unit_name": ("单位名称", "单位", "被考核单位", "被评价单位", "unit_name", "unit name", "unit"),
    "unit_type": ("单位类型", "类型", "unit_type", "unit type", "type"),
    "group": ("考核组别", "组别", "分组", "考核分组", "group", "comparison group"),
    "response_id": ("问卷编号", "问卷号", "答卷编号", "样本编号", "response_id", "response id", "respondent id"),
    "respondent_group": ("受访者类别", "受访者类型", "受访对象", "respondent_group", "respondent group"),
    "channel": ("调查方式", "调查渠道", "channel", "survey method"),
    "duration": ("答题时长", "答题用时", "作答时长", "填答时长", "用时", "答题时间", "duration", "duration (s)", "seconds",
                 "time taken"),
    "bonus": ("加分", "加分项", "bonus"),
    "deduction": ("扣分", "扣分项", "deduction", "deductions"),
    "veto": ("一票否决", "一票否决事项", "veto"),
    "note": ("说明", "备注", "note", "notes", "remark", "remarks"),
    "rater": ("评议单位", "评议人单位", "rater", "rating unit"),
    "exempt_item": ("容错事项", "免责事项", "容错免责事项", "豁免事项", "exempted item", "exemption item", "waived item"),
    "exempt_reason": ("容错理由", "免责理由", "容错情形", "容错免责理由", "exemption reason", "grounds"),
    "document_no": ("批准文号", "批复文号", "审批文号", "文号", "document no", "document number", "approval document"),
    "approved_on": ("批准日期", "批复日期", "审批日期", "approval date", "approved on", "date approved"),
    "department": ("被评部门", "被评议部门", "被评单位", "department", "rated department"),
}

# the five kinds of file: (Chinese name, English name); the Chinese name is also the template's sheet
FILE_KINDS: dict[str, tuple[str, str]] = {
    "units": ("单位名录", "units"), "survey": ("群众评价", "survey"), "indicators": ("实绩数据", "indicators"),
    "compliance": ("过程合规", "compliance"), "reverse": ("基层评议", "reverse ratings"),
    "exemptions": ("容错纠错", "exemptions"),
}

# what an exemption (容错纠错) may waive, besides a deduction level or a compliance item by name
VETO_WORDS: tuple[str, ...] = ("一票否决", "否决", "一票否决事项", "veto")
DEDUCTION_WORDS: tuple[str, ...] = ("扣分", "扣分项", "全部扣分", "deduction", "deductions")

# accepted spellings of a compliance result
COMPLIANCE_WORDS: dict[str, tuple[str, ...]] = {
    "pass": ("通过", "合格", "是", "达标", "已落实", "pass", "passed", "yes", "√", "✓"),
    "partial": ("部分", "部分通过", "基本合格", "部分落实", "partial", "partly"),
    "fail": ("未通过", "不通过", "不合格", "否", "未落实", "fail", "failed", "no", "×", "✗"),
}

# what officers write in a yes/no column (加分, 扣分, 一票否决, 容错免责) when nothing happened: all of
# these and a blank cell mean the same, "none"
NOTHING_WORDS: tuple[str, ...] = ("无", "否", "没有", "无此情况", "不涉及", "0", "0.0", "-", "—", "/", "n/a", "na", "none",
                                  "no", "nil")
# in a pass/fail compliance item 否 and 0 mean fail; these mean "not assessed", like a blank cell
NOT_ASSESSED_WORDS: tuple[str, ...] = ("无", "没有", "无此情况", "不涉及", "-", "—", "/", "n/a", "na", "none", "nil")

_SPACE = re.compile(r"\s+")
_TRAILING_PAREN = re.compile(r"\([^()]*\)$")


def normalise(text: object) -> str:
    """Header text as compared: NFKC (full-width to half-width), no spaces, lower case."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text))).lower().rstrip("*:：")


_LOOKUP: dict[str, str] = {normalise(a): canon for canon, names in ALIASES.items() for a in names}


_STATUS: dict[str, str] = {normalise(w): s for s, words in COMPLIANCE_WORDS.items() for w in words}


def compliance_status(text: object) -> str | None:
    """"pass" | "partial" | "fail" for an accepted spelling, else None."""
    return _STATUS.get(normalise(text))


_NOTHING = {normalise(w) for w in NOTHING_WORDS}
_NOT_ASSESSED = {normalise(w) for w in NOT_ASSESSED_WORDS}


def is_nothing(text: object) -> bool:
    """A blank cell or a "none" word (无, 否, 0 …) in a yes/no column."""
    if text is None or (isinstance(text, float) and text != text):
        return True
    return not str(text).strip() or normalise(text) in _NOTHING


def not_assessed(text: object) -> bool:
    """A "not applicable" word (无, 不涉及 …) in a pass/fail compliance item: left out, like a blank."""
    return normalise(text) in _NOT_ASSESSED


def veto_reason(text: object) -> str | None:
    """The veto reason in a 一票否决 cell, or None for a blank cell or a "none" word like 无."""
    return None if is_nothing(text) else str(text).strip()


def canonical(header: object) -> str | None:
    """The canonical column a header stands for, or None."""
    key = normalise(header)
    if key in _LOOKUP:
        return _LOOKUP[key]
    stripped = _TRAILING_PAREN.sub("", key)
    return _LOOKUP.get(stripped) if stripped != key else None


def match_model_column(header: object, names: dict[str, str]) -> str | None:
    """Match a header to a model code. `names` maps code -> name; code or name both match,
    with or without a trailing unit in parentheses (e.g. "台账页数（页）")."""
    key = normalise(header)
    table = {}
    for code, name in names.items():
        table[normalise(code)] = code
        table[normalise(name)] = code
        table[_TRAILING_PAREN.sub("", normalise(name))] = code
    if key in table:
        return table[key]
    return table.get(_TRAILING_PAREN.sub("", key))


def recognised(cell: object, extra: frozenset[str] | set[str] = frozenset()) -> bool:
    """A known fixed column, or one of `extra` (normalised model codes/names), also with a
    trailing unit such as "(页)"."""
    if cell is None or not str(cell).strip():
        return False
    key = normalise(cell)
    return canonical(cell) is not None or key in extra or _TRAILING_PAREN.sub("", key) in extra


def header_score(cells: list[object], extra: frozenset[str] | set[str] = frozenset()) -> int:
    """How many cells of a candidate header row are recognised headers; used to find the header row."""
    return sum(1 for c in cells if recognised(c, extra))
