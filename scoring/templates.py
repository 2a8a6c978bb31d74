"""Blank spreadsheet templates for every file kind, built from the alias table and the model.

Written by the formula-safe writer (`scoring.safe_export`) like every other workbook: a survey
item or criterion named `=HYPERLINK(...)` in a model becomes text, never a live formula. Answer,
criterion and compliance columns offer the model's words as a drop-down (a warning, not a block).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd

from scoring.aliases import ALIASES, COMPLIANCE_WORDS, FILE_KINDS
from scoring.model import Model
from scoring.safe_export import SheetStyle, write_xlsx

KINDS = tuple(FILE_KINDS)
SHEET_NAMES = {kind: zh for kind, (zh, _) in FILE_KINDS.items()}


def _fixed(*names: str) -> list[str]:
    return [ALIASES[n][0] for n in names]


def headers(kind: str, model: Model) -> list[str]:
    """The header row of a blank template: fixed columns (Chinese names) then model columns."""
    if kind == "units":
        return _fixed("unit_id", "unit_name", "unit_type", "group")
    if kind == "survey":
        items = [q.name for q in model.survey.item] if model.survey else []
        return _fixed("response_id", "unit_id", "respondent_group", "channel") + items
    if kind == "indicators":
        return _fixed("unit_id", "unit_name") + [i.name for i in model.scored_indicators] + \
            [b.name for b in model.burden_measures.values()]
    if kind == "compliance":
        return _fixed("unit_id") + [c.name for c in model.compliance.item] + _fixed("bonus", "deduction", "veto", "note")
    if kind == "reverse":
        return _fixed("rater", "department") + list(model.reverse.criteria if model.reverse else ())
    if kind == "exemptions":
        return _fixed("unit_id", "unit_name", "exempt_item", "exempt_reason", "document_no", "approved_on")
    raise ValueError(f"unknown template kind {kind!r}; expected one of {', '.join(KINDS)}")


def _notes(kind: str, model: Model) -> list[str]:
    common = ["第一行为表头；表头可用中文或英文，顺序不限。 / The first row is the header, Chinese or English, in any order.",
              "单位列可填单位编码或单位名称。 / The unit column takes a unit code or a unit name."]
    if kind == "survey" and model.survey:
        scale = "、".join(a.label for a in model.survey.answer)
        common.append(f"答案从量表中选择：{scale}。 / Answers come from the scale: {scale}.")
        if model.survey.respondent_groups:
            common.append("受访者类别：" + "、".join(model.survey.respondent_groups))
    if kind == "indicators":
        common.append("台账页数、会议次数等形式主义指标不计分，无需填报。 / Formalism measures (ledger pages, "
                      "meeting counts…) earn no points and need not be filled in.")
        if model.adjustments.burden:
            names = "、".join(b.name for b in model.burden_measures.values())
            common.append(f"{model.adjustments.burden.name}（{names}）按模型计加分，只填适用的单位。 / Burden-reduction "
                          "measures earn a bonus under the model; fill them in for the units they apply to.")
    if kind == "compliance":
        levels = "、".join(model.adjustments.bonus_levels)
        common.append(f"考核项填 通过/部分/未通过 或分值；加分填分值或级别（{levels}）；一票否决填事由；没有就填“无”或留空。 / Items: "
                      "pass/partial/fail or points; bonus: points or level; veto: the reason; none: 无 or blank.")
        for c in model.compliance.item:
            if c.per_violation:
                only = f"（仅{'、'.join(c.applies_to)}）" if c.applies_to else ""
                common.append(f"“{c.name}”{only}填违规次数，每次扣 {c.per_violation:g} 分，最多扣 {c.points:g} 分。 / "
                              f"{c.code}: the number of violations, {c.per_violation:g} points each, at most {c.points:g}.")
    if kind == "reverse":
        common.append(f"评议单位必须填写单位名录中的单位（编码或名称），不在名录中的视为错误；每个部门至少 {model.reverse.min_raters if model.reverse else 5} "
                      "个不同的评议单位才显示结果。 / The rater must be a roster unit (code or name); anything else is an "
                      "error. A department's result is shown only with at least k distinct raters.")
        common.append("评议单位只用于统计每个部门的评议单位数：导入时替换为随机编号（每次导入、每个部门重新编号），不保存单位名称，"
                      "也不保存行的顺序。 / The rater is used only to count each department's distinct raters: on import it is "
                      "replaced by a random number (drawn afresh per import and department); neither the name nor the row "
                      "order is stored.")
    if kind == "exemptions":
        levels = "、".join(model.adjustments.deduction_levels)
        items = "、".join(c.name for c in model.compliance.item)
        common += [
            "容错纠错：每行一条经批准的容错免责，免除所列单位本期的一项扣分或一票否决。 / One approved exemption per row: "
            "it waives one deduction or the veto of that unit this period.",
            f"容错事项填：一票否决；扣分（免除全部扣分）；扣分类别（{levels}）；或过程合规考核项（{items}）。 / Exempted item: "
            "一票否决 (the veto), 扣分 (the whole deduction), a deduction level, or a compliance item.",
            "容错理由、批准文号、批准日期均须填写；批准日期如 2026-03-05。 / Reason, approving document number and "
            "date are required; dates like 2026-03-05.",
            "免除的一票否决在结果中显示为“已容错免除”，不会悄悄消失。 / A waived veto is shown as waived, never silently gone.",
        ]
    return common


NOTES_SHEET = "填写说明"


def _choices(kind: str, model: Model, columns: list[str]) -> dict[str, tuple[str, ...]]:
    """Drop-down words per column: the answer scale under survey items and criteria, pass/partial/fail
    under compliance items."""
    if kind in ("survey", "reverse") and model.survey:
        fixed = set(_fixed("response_id", "unit_id", "respondent_group", "channel", "rater", "department"))
        return {c: tuple(a.label for a in model.survey.answer) for c in columns if c not in fixed}
    if kind == "compliance":
        words = tuple(COMPLIANCE_WORDS[w][0] for w in ("pass", "partial", "fail"))
        return {c.name: words for c in model.compliance.item}
    return {}


def write_template(kind: str, model: Model, out: str | Path | BytesIO) -> None:
    columns = headers(kind, model)
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in dict.fromkeys(columns)})
    notes = pd.DataFrame({"note": _notes(kind, model)})
    style = SheetStyle(widths={c: max(12, int(2.2 * len(str(c)))) for c in frame.columns},
                       choices=_choices(kind, model, list(frame.columns)))
    write_xlsx({SHEET_NAMES[kind]: frame, NOTES_SHEET: notes}, out,
               {SHEET_NAMES[kind]: style, NOTES_SHEET: SheetStyle(header=False, widths={"note": 120})})


def template_bytes(kind: str, model: Model) -> bytes:
    buf = BytesIO()
    write_template(kind, model, buf)
    return buf.getvalue()
