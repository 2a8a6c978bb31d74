"""Turn uploaded spreadsheets into the normalised inputs of one period, or a located report.

Reading (file formats, header row, messy cells, hostile files) is `scoring.reader`'s job;
this module gives the columns their meaning: it matches headers to the alias table and the
model, units to the roster, answers to the scale, and collects every problem at once.
An import is all or nothing: with any error, no inputs are returned.

Speed: a province's quarter is a million survey rows; every mapping (units to the roster, answers
to the scale, words to statuses) is done once per distinct value and spread back to the cells
by their codes (`_each_distinct`), never once per cell.

What a report may quote (`scoring.report`): a cell's content only when it is a number or a word
of a known vocabulary (roster, model); a cell that failed to match one is free text and is named
by its location and the kind of problem only.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import aliases, cells, formalism
from scoring.formalism import Exclusion
from scoring.inputs import (
    ADJUSTMENT_COLUMNS,
    COMPLIANCE_COLUMNS,
    INDICATOR_COLUMNS,
    SURVEY_ID_COLUMNS,
    UNIT_COLUMNS,
    PeriodInputs,
    anonymise_raters,
    empty,
    is_period,
)
from scoring.model import Model, ScreenAction
from scoring.reader import Table, read_table
from scoring.report import InputError, Report

KINDS = tuple(aliases.FILE_KINDS)
KIND_NAMES = aliases.FILE_KINDS
SHEET_HINTS = tuple(n for pair in KIND_NAMES.values() for n in pair)
MAX_CELL_ISSUES = 50  # per file and column; beyond that one summary line


@dataclass
class Loaded:
    kind: str
    table: Table
    columns: dict[int, str]  # position -> canonical fixed column


def read_period(model: Model, period: str, files: list[tuple[str, bytes | Path]],
                 roster: pd.DataFrame | None = None, tables: dict[str, Table] | None = None
                 ) -> tuple[PeriodInputs | None, Report]:
    """Read, recognise and validate every file of one period (`period` like 2026Q3; "" only to
    validate files without storing them). `tables` holds files already read (by name) so an
    upload previewed first is not read twice. Returns (inputs, report); inputs is None on any error."""
    report = Report()
    if period and not is_period(period):
        report.error("", f"期次“{period}”格式不对，应为“2026Q3”这样的年份加季度", f"period {period!r} must look like 2026Q3",
                     value=period, expected="YYYYQ1–YYYYQ4")
        return None, report
    loaded: list[Loaded] = []
    extra = model_headers(model)
    for name, source in files:
        try:
            table = (tables or {}).get(name) or read_table(source, name, extra_headers=extra, sheet_hint=SHEET_HINTS)
        except InputError as err:
            report.extend(err.report)
            continue
        report.extend(table.report)
        kind = detect_kind(table, model)
        if kind is None:
            report.error(table.file, "无法识别文件类型：表头中没有单位、问卷或指标列",
                         "cannot tell what this file holds: no unit, survey or indicator columns in the header",
                         sheet=table.sheet)
            continue
        loaded.append(Loaded(kind, table, {i: c for i, h in enumerate(table.header) if (c := aliases.canonical(h))}))

    rosters = [item for item in loaded if item.kind == "units"]
    if rosters:
        roster = _read_roster(model, rosters, report)
    if roster is None:
        if not rosters:
            report.error(files[0][0] if files else "", "缺少单位名录：请一并上传单位名录文件",
                         "no unit roster: upload the units file with the others")
        return None, report

    inputs = PeriodInputs(period=period, units=roster.reset_index(drop=True))
    matcher = UnitMatcher(roster)
    parts: dict[str, list] = {k: [] for k in KINDS}
    for item in loaded:
        if item.kind == "units":
            continue
        handler = {"survey": _read_survey, "indicators": _read_indicators, "compliance": _read_compliance,
                   "reverse": _read_reverse}[item.kind]
        parts[item.kind].append(handler(model, item, matcher, report, inputs.excluded))

    if parts["survey"]:
        inputs.survey = pd.concat(parts["survey"], ignore_index=True)
    if parts["indicators"]:
        inputs.indicators = _merge(pd.concat(parts["indicators"], ignore_index=True), ["unit_id", "code"], ["value"],
                                   ("指标", "indicator"), report)[INDICATOR_COLUMNS]
    if parts["compliance"]:
        comp = pd.concat([p[0] for p in parts["compliance"]], ignore_index=True)
        inputs.compliance = _merge(comp, ["unit_id", "item"], ["status", "points"], ("合规项", "compliance item"),
                                   report)[COMPLIANCE_COLUMNS]
        inputs.adjustments = _adjustments(pd.concat([p[1] for p in parts["compliance"]], ignore_index=True), report)
    if parts["reverse"]:  # raters become random numbers per department; row order is not kept
        inputs.reverse = anonymise_raters(pd.concat(parts["reverse"], ignore_index=True))
    _warn_missing_dimensions(model, parts, files, report)
    inputs.warnings = list(report.warnings)
    return (inputs if report.ok else None), report


def load_period(model: Model, period: str, files: list[tuple[str, bytes | Path]],
                roster: pd.DataFrame | None = None) -> PeriodInputs:
    """Like read_period, but raise InputError with the full report on any error."""
    inputs, report = read_period(model, period, files, roster)
    if inputs is None:
        raise InputError(report)
    return inputs


def _text(values: pd.Series) -> pd.Series:
    """Cell text as an object Series (None when blank). The reader already cleaned every cell
    (`scoring.cells.clean_text`) and reported control characters."""
    return pd.Series(_each_distinct(values, lambda v: v), index=values.index, dtype=object)


def _objects(values: pd.Series) -> pd.Series:
    """An object column for a frame: assigning an object array would convert it to Arrow text cell by cell."""
    return pd.Series(values.to_numpy(dtype=object), dtype=object)


def _each_distinct(values: pd.Series, fn) -> np.ndarray:
    """`fn` of every non-blank cell as an object array (None for blank cells), calling `fn` once
    per distinct value: the cells are factorised (Arrow dictionary encoding) and the results
    spread back by code."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [fn(str(u)) for u in uniques]
    mapped[-1] = None
    return mapped[codes]


def model_headers(model: Model) -> frozenset[str]:
    """Normalised codes and names of every model column (indicators, items, criteria)."""
    names: list[str] = []
    for i in model.indicators.values():
        names += [i.code, i.name]
    for c in model.compliance.item:
        names += [c.code, c.name]
    if model.survey:
        for q in model.survey.item:
            names += [q.code, q.name]
    if model.reverse:
        names += list(model.reverse.criteria)
    return frozenset(aliases.normalise(n) for n in names)


def detect_kind(table: Table, model: Model) -> str | None:
    """What a file holds, from its fixed columns and the model columns it carries."""
    canon = {aliases.canonical(h) for h in table.header}
    if "response_id" in canon:
        return "survey"
    if "department" in canon:
        return "reverse"
    known = model_headers(model)
    carries_model_columns = any(aliases.normalise(h) in known for h in table.header)
    if {"unit_type", "group"} & canon and ("unit_id" in canon or "unit_name" in canon) and not carries_model_columns:
        return "units"
    if not canon & {"unit_id", "unit_name"}:
        return None
    compliance_names = {c.code: c.name for c in model.compliance.item}
    if {"bonus", "deduction", "veto"} & canon or any(aliases.match_model_column(h, compliance_names) for h in table.header):
        return "compliance"
    return "indicators"


# ------------------------------------------------------------------------- units

class UnitMatcher:
    """Resolve a unit cell (code or name, possibly with stray spaces) to a roster unit_id."""

    def __init__(self, roster: pd.DataFrame):
        self.by_key: dict[str, str] = {}
        for uid, name in zip(roster["unit_id"], roster["unit_name"], strict=True):
            self.by_key[aliases.normalise(name)] = uid
        for uid in roster["unit_id"]:
            self.by_key[aliases.normalise(uid)] = uid
        self.names = list(roster["unit_name"])

    def resolve(self, values: pd.Series) -> pd.Series:
        """Roster unit ids of the cells (None where blank or not in the roster), one lookup per distinct value."""
        return pd.Series(_each_distinct(values, lambda v: self.by_key.get(aliases.normalise(v))), index=values.index,
                         dtype=object)

    def closest(self, value: str) -> tuple[str, ...]:
        return tuple(difflib.get_close_matches(str(value).strip(), self.names, n=3, cutoff=0.4))


def _unit_column(item: Loaded, report: Report) -> int | None:
    for want in ("unit_id", "unit_name", "department"):
        for pos, canon in item.columns.items():
            if canon == want:
                return pos
    t = item.table
    report.error(t.file, "缺少单位列（单位编码或单位名称）", "no unit column (unit code or unit name)",
                 sheet=t.sheet)
    return None


def _resolve_units(item: Loaded, pos: int, matcher: UnitMatcher, report: Report) -> pd.Series:
    """Unit ids for every data row; an unknown unit is an error naming the cell and the closest names."""
    t = item.table
    raw = t.data[pos]
    ids = matcher.resolve(raw)
    blank = raw.isna()
    bad = ~blank & ids.isna()
    for i in np.flatnonzero(bad.to_numpy())[:MAX_CELL_ISSUES]:  # the cell is free text: not quoted
        report.error(t.file, "单位不在单位名录中", "the unit is not in the roster",
                     sheet=t.sheet, row=int(t.rows[i]), column=t.columns[pos], header=t.header[pos],
                     expected="单位名录中的编码或名称 / a roster code or name",
                     suggestions=matcher.closest(raw.iat[i]))
    _summarise(report, t, pos, int(bad.sum()), "单位不在名录中", "units not in the roster")
    for i in np.flatnonzero(blank.to_numpy())[:MAX_CELL_ISSUES]:
        report.error(t.file, "单位为空", "the unit cell is blank", sheet=t.sheet, row=int(t.rows[i]),
                     column=t.columns[pos], header=t.header[pos])
    _summarise(report, t, pos, int(blank.sum()), "单位为空", "blank unit cells")
    return ids


def _summarise(report: Report, t: Table, pos: int, count: int, zh: str, en: str, add=None) -> None:
    if count > MAX_CELL_ISSUES:
        (add or report.error)(t.file, f"另有 {count - MAX_CELL_ISSUES} 处{zh}（未逐一列出）",
                     f"{count - MAX_CELL_ISSUES} more {en} not listed one by one",
                     sheet=t.sheet, column=t.columns[pos], header=t.header[pos])


def _read_roster(model: Model, items: list[Loaded], report: Report) -> pd.DataFrame | None:
    frames = []
    for item in items:
        t = item.table
        cols = {canon: pos for pos, canon in item.columns.items()}
        missing = [c for c in UNIT_COLUMNS if c not in cols]
        if missing:
            report.error(t.file, "单位名录缺少列：" + "、".join(aliases.ALIASES[c][0] for c in missing),
                         "the roster lacks columns: " + ", ".join(missing), sheet=t.sheet)
            continue
        df = pd.DataFrame({c: _text(t.data[cols[c]]).to_numpy() for c in UNIT_COLUMNS})
        df["_row"] = t.rows
        for c in UNIT_COLUMNS:
            for i in np.flatnonzero(df[c].isna().to_numpy())[:MAX_CELL_ISSUES]:
                report.error(t.file, f"“{aliases.ALIASES[c][0]}”为空", f"{c} is blank", sheet=t.sheet,
                             row=int(df["_row"].iat[i]), column=t.columns[cols[c]], header=t.header[cols[c]])
        dup = df["unit_id"].duplicated(keep=False) & df["unit_id"].notna()
        for i in np.flatnonzero(dup.to_numpy()):
            report.error(t.file, f"单位编码“{df['unit_id'].iat[i]}”重复", f"duplicate unit code {df['unit_id'].iat[i]!r}",
                         sheet=t.sheet, row=int(df["_row"].iat[i]), column=t.columns[cols["unit_id"]],
                         header=t.header[cols["unit_id"]], value=str(df["unit_id"].iat[i]))
        if model.group:
            types = {g.name: g.unit_type for g in model.group}
            for i in range(len(df)):
                g, ut = df["group"].iat[i], df["unit_type"].iat[i]
                if g is None or ut is None:
                    continue
                if g not in types:  # free text: not quoted
                    report.error(t.file, "考核组别不在模型中", "the group is not in the model",
                                 sheet=t.sheet, row=int(df["_row"].iat[i]), column=t.columns[cols["group"]],
                                 header=t.header[cols["group"]], expected="、".join(types))
                elif types[g] != ut:
                    report.error(t.file, f"单位类型与组别“{g}”不符（应为“{types[g]}”）",
                                 f"the unit type does not fit the group {g!r} (expected {types[g]!r})",
                                 sheet=t.sheet, row=int(df["_row"].iat[i]), column=t.columns[cols["unit_type"]],
                                 header=t.header[cols["unit_type"]], expected=types[g])
        frames.append(df.drop(columns="_row"))
    if not frames or not report.ok:
        return None
    roster = pd.concat(frames, ignore_index=True)
    if roster.empty:
        t = items[0].table
        report.error(t.file, "单位名录没有数据行", "the roster has no rows", sheet=t.sheet)
        return None
    twice = roster["unit_id"][roster["unit_id"].duplicated()].unique()
    if len(twice):
        report.error(items[-1].table.file, "多个单位名录中重复出现单位：" + "、".join(map(str, twice[:10])),
                     "units listed in more than one roster file: " + ", ".join(map(str, twice[:10])))
        return None
    return roster


# ------------------------------------------------------------------------- survey

def _model_columns(item: Loaded, names: dict[str, str], file_kind: str, report: Report,
                   excluded: list[Exclusion], keep_formalism: set[str] = frozenset(),
                   substantive: dict[str, str] | None = None) -> dict[int, str]:
    """Match the non-fixed columns to model codes. Formalism columns are excluded (and reported);
    anything else unknown is a warning and ignored."""
    t = item.table
    matched: dict[int, str] = {}
    for pos, header in enumerate(t.header):
        if pos in item.columns or not header:
            continue
        code = aliases.match_model_column(header, names)
        kw = formalism.match(header)
        if code is not None and code in matched.values():
            first = next(q for q, c in matched.items() if c == code)
            report.error(t.file, f"列“{t.header[first]}”（{t.columns[first]}）与列“{header}”（{t.columns[pos]}）是同一项目 {code}",
                         f"columns {t.header[first]!r} ({t.columns[first]}) and {header!r} ({t.columns[pos]}) are both {code}",
                         sheet=t.sheet, column=t.columns[pos], header=header)
            continue
        if code is not None and code not in keep_formalism:
            matched[pos] = code
            if kw is not None:  # a model indicator marked substantive despite the keyword: shown, not hidden
                excluded.append(formalism.substantive(t.file, header, kw, (substantive or {}).get(code) or ""))
        elif kw is not None or code in keep_formalism:
            excluded.append(formalism.exclusion(t.file, header, kw or "形式主义类别"))
            if code is not None:
                matched[pos] = code
        else:
            report.warning(t.file, f"列“{header}”不是{KIND_NAMES[file_kind][0]}模型中的项目，已忽略",
                           f"column {header!r} is not in the model's {KIND_NAMES[file_kind][1]}: ignored",
                           sheet=t.sheet, column=t.columns[pos], header=header)
    return matched


def _answers(model: Model, t: Table, pos: int, report: Report) -> pd.Series:
    """Map answer cells to canonical labels of the model's scale; out-of-scale cells per the model."""
    raw = t.data[pos]
    lookup = {aliases.normalise(k): a.label for k, a in model.survey.lookup.items()}
    labels = pd.Series(_each_distinct(raw, lambda v: lookup.get(aliases.normalise(v))), index=raw.index, dtype=object)
    bad = raw.notna() & labels.isna()
    if bad.any():
        is_error = model.survey.out_of_scale == ScreenAction.ERROR
        add = report.error if is_error else report.warning
        zh_tail, en_tail = ("", "") if is_error else ("，该答案不计入", "; the answer is left out")
        allowed = "、".join(a.label for a in model.survey.answer)
        for i in np.flatnonzero(bad.to_numpy())[:MAX_CELL_ISSUES]:  # free text: not quoted
            add(t.file, f"答案不在量表中{zh_tail}", f"the answer is not on the scale{en_tail}",
                sheet=t.sheet, row=int(t.rows[i]), column=t.columns[pos], header=t.header[pos], expected=allowed)
        if bad.sum() > MAX_CELL_ISSUES:
            add(t.file, f"另有 {int(bad.sum()) - MAX_CELL_ISSUES} 个答案不在量表中{zh_tail}",
                f"{int(bad.sum()) - MAX_CELL_ISSUES} more answers are not on the scale{en_tail}",
                sheet=t.sheet, column=t.columns[pos], header=t.header[pos])
    return labels


def _read_survey(model: Model, item: Loaded, matcher: UnitMatcher, report: Report, excluded: list[Exclusion]) -> pd.DataFrame:
    t = item.table
    if model.survey is None:
        report.warning(t.file, "模型未设置群众评价，文件已忽略", "the model has no survey: file ignored", sheet=t.sheet)
        return empty(SURVEY_ID_COLUMNS)
    names = {q.code: q.name for q in model.survey.item} or {h: h for p, h in enumerate(t.header) if p not in item.columns}
    items = _model_columns(item, names, "survey", report, excluded)
    pos = _unit_column(item, report)
    cols = {canon: p for p, canon in item.columns.items()}
    out = pd.DataFrame(index=range(len(t.data)))
    out["response_id"] = t.data[cols["response_id"]].reset_index(drop=True)  # Arrow text, as read
    out["unit_id"] = _objects(_resolve_units(item, pos, matcher, report)) if pos is not None else None
    out["respondent_group"] = _objects(_text(t.data[cols["respondent_group"]])) if "respondent_group" in cols else None
    out["channel"] = _objects(_text(t.data[cols["channel"]])) if "channel" in cols else None
    blank_id = out["response_id"].isna()
    for i in np.flatnonzero(blank_id.to_numpy())[:MAX_CELL_ISSUES]:
        report.error(t.file, "问卷编号为空", "the response id is blank", sheet=t.sheet, row=int(t.rows[i]),
                     column=t.columns[cols["response_id"]], header=t.header[cols["response_id"]])
    groups = model.survey.respondent_groups
    if groups and "respondent_group" in cols:
        p = cols["respondent_group"]
        bad = ~out["respondent_group"].isin(list(groups))
        for i in np.flatnonzero(bad.to_numpy())[:MAX_CELL_ISSUES]:  # free text: not quoted
            report.warning(t.file, "受访者类别不在模型中，该问卷不计入类别加权均值",
                           "the respondent group is not in the model: left out of the weighted mean",
                           sheet=t.sheet, row=int(t.rows[i]), column=t.columns[p], header=t.header[p],
                           expected="、".join(groups))
        _summarise(report, t, p, int(bad.sum()), "受访者类别不在模型中", "respondent groups not in the model",
                   report.warning)
    for p, code in items.items():
        out[code] = _objects(_answers(model, t, p, report))
    if not items:
        report.error(t.file, "没有找到任何问卷题目列", "no survey item columns found", sheet=t.sheet)
    return out


# ------------------------------------------------------------------------- indicators

def _numbers(t: Table, pos: int, report: Report, what: str = "数值 / a number") -> pd.Series:
    values, bad = cells.parse_numbers(t.data[pos])
    for i in np.flatnonzero(np.asarray(bad))[:MAX_CELL_ISSUES]:  # not a number: free text, not quoted
        report.error(t.file, "单元格不是数值", "the cell is not a number",
                     sheet=t.sheet, row=int(t.rows[i]), column=t.columns[pos], header=t.header[pos], expected=what)
    _summarise(report, t, pos, int(np.asarray(bad).sum()), "不是数值", "cells that are not numbers")
    return pd.Series(np.asarray(values, dtype=float))


def _read_indicators(model: Model, item: Loaded, matcher: UnitMatcher, report: Report,
                     excluded: list[Exclusion]) -> pd.DataFrame:
    t = item.table
    names = {i.code: i.name for i in model.indicators.values()}
    keep_formalism = {c for c in model.indicators if model.is_formalism(c)}
    reasons = {c: i.substantive for c, i in model.indicators.items() if i.substantive}
    matched = _model_columns(item, names, "indicators", report, excluded, keep_formalism, reasons)
    pos = _unit_column(item, report)
    if pos is None:
        return empty(INDICATOR_COLUMNS + WHERE)
    units = _resolve_units(item, pos, matcher, report)
    frames = []
    for p, code in matched.items():
        values = _numbers(t, p, report)
        frames.append(pd.DataFrame({"unit_id": units.to_numpy(), "code": code, "value": values.to_numpy(),
                                    "source": t.file, **_where(t, p)}))
    if not frames:
        report.warning(t.file, "文件中没有模型指标列", "no model indicator columns in this file", sheet=t.sheet)
        return empty(INDICATOR_COLUMNS + WHERE)
    df = pd.concat(frames, ignore_index=True)
    return df[df["value"].notna() & df["unit_id"].notna()]


WHERE = ["_file", "_sheet", "_row", "_col", "_header"]


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _where(t: Table, pos: int) -> dict:
    """Location columns of every cell of column `pos`, carried until the merge has checked conflicts."""
    return {"_file": t.file, "_sheet": t.sheet, "_row": t.rows, "_col": t.columns[pos], "_header": t.header[pos]}


def _merge(df: pd.DataFrame, keys: list[str], values: list[str], what: tuple[str, str], report: Report,
           quote=lambda key: True) -> pd.DataFrame:
    """多表合一: rows from several files merge; the same key with two different values is an error
    naming both cells (file, sheet, cell), whether the two rows come from two files or one. The two
    values are quoted only where `quote(key)` says they are numbers or codes (never free text)."""
    dup = df[df.duplicated(keys, keep=False)]
    dup = dup.assign(_show=[" / ".join(_shown(v) for v in row) for row in dup[values].itertuples(index=False)])
    for key, g in dup.groupby(keys, sort=False):
        if g["_show"].nunique() > 1:
            a, b = g.iloc[0], g[g["_show"] != g["_show"].iloc[0]].iloc[0]
            cell_a, cell_b = f"{a['_file']} [{a['_sheet']}] {a['_col']}{a['_row']}", f"{b['_file']} [{b['_sheet']}] {b['_col']}{b['_row']}"
            if quote(key):
                report.error(b["_file"], f"单位 {key[0]} 的{what[0]} {key[1]} 在 {cell_a}（{a['_show']}）与 {cell_b}（{b['_show']}）中不一致",
                             f"unit {key[0]}, {what[1]} {key[1]}: {a['_show']} in {cell_a} but {b['_show']} in {cell_b}",
                             sheet=b["_sheet"], row=int(b["_row"]), column=b["_col"], header=b["_header"], value=b["_show"])
            else:
                report.error(b["_file"], f"单位 {key[0]} 的{what[0]} {key[1]} 在 {cell_a} 与 {cell_b} 中不一致",
                             f"unit {key[0]}, {what[1]} {key[1]}: {cell_a} and {cell_b} differ",
                             sheet=b["_sheet"], row=int(b["_row"]), column=b["_col"], header=b["_header"])
    return df.drop_duplicates(keys).drop(columns=WHERE).reset_index(drop=True)


# ------------------------------------------------------------------------- compliance

def _levels(text: str | None, levels: dict[str, float], combine) -> float | None:
    """A bonus or deduction cell: a number, or level words like "市级、省级" (combined by `combine`)."""
    if text is None:
        return None
    found = [v for k, v in levels.items() if k in text]
    return combine(found) if found else None


def _read_compliance(model: Model, item: Loaded, matcher: UnitMatcher, report: Report,
                     excluded: list[Exclusion]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compliance results (long, with locations) and the adjustments the file states (long:
    unit_id, field, value) — only for the columns it has, so a second file never blanks the first."""
    t = item.table
    names = {c.code: c.name for c in model.compliance.item}
    matched = _model_columns(item, names, "compliance", report, excluded)
    pos = _unit_column(item, report)
    if pos is None:
        return empty(COMPLIANCE_COLUMNS + WHERE), empty(ADJUSTMENT_LONG + WHERE)
    units = _resolve_units(item, pos, matcher, report).to_numpy()
    frames = []
    for p, code in matched.items():
        text = _text(t.data[p])
        status = pd.Series(_each_distinct(t.data[p], aliases.compliance_status), dtype=object)
        numbers = pd.Series(np.asarray(cells.parse_numbers(t.data[p])[0], dtype=float))
        bad = text.notna() & status.isna() & numbers.isna()
        points = next(c.points for c in model.compliance.item if c.code == code)
        over = numbers.notna() & ((numbers < 0) | (numbers > points))
        for i in np.flatnonzero((bad | over).to_numpy())[:MAX_CELL_ISSUES]:  # quoted only when a number
            report.error(t.file, "不是有效的合规结果", "not a valid compliance result",
                         sheet=t.sheet, row=int(t.rows[i]), column=t.columns[p], header=t.header[p],
                         value=f"{numbers.iat[i]:g}" if over.iat[i] else None,
                         expected=f"通过/部分/未通过，或 0–{points:g} 分 / pass, partial, fail, or 0–{points:g} points")
        frame = pd.DataFrame({"unit_id": units, "item": code, "status": status.to_numpy(),
                              "points": numbers.where(status.isna()).to_numpy(), **_where(t, p)})
        frames.append(frame[frame["status"].notna() | frame["points"].notna()])
    comp = pd.concat(frames, ignore_index=True) if frames else empty(COMPLIANCE_COLUMNS + WHERE)
    cols = {canon: p for p, canon in item.columns.items()}
    adjustments = []
    for field, levels, combine in (("bonus", model.adjustments.bonus_levels, max),
                                   ("deduction", model.adjustments.deduction_levels, sum)):
        if field in cols:
            value = _adjustment(levels, combine, t, cols[field], report)
            adjustments.append(pd.DataFrame({"unit_id": units, "field": field, "value": value, **_where(t, cols[field])}))
    for field in ("veto", "note"):
        if field in cols:
            adjustments.append(pd.DataFrame({"unit_id": units, "field": field, "value": _text(t.data[cols[field]]).to_numpy(),
                                             **_where(t, cols[field])}))
    adj = pd.concat(adjustments, ignore_index=True) if adjustments else empty(ADJUSTMENT_LONG + WHERE)
    adj = adj[pd.notna(adj["value"])]
    return comp[pd.notna(comp["unit_id"])], adj[pd.notna(adj["unit_id"])]


ADJUSTMENT_LONG = ["unit_id", "field", "value"]


def _adjustments(long: pd.DataFrame, report: Report) -> pd.DataFrame:
    """One row per unit from every file's 加分/扣分/一票否决/说明: a value stated twice differently is
    an error naming both cells; notes from several files are kept together."""
    notes = long[long["field"] == "note"].groupby("unit_id", sort=False)["value"].agg(lambda v: "；".join(dict.fromkeys(v)))
    merged = _merge(long[long["field"] != "note"], ["unit_id", "field"], ["value"], ("调整项", "adjustment"), report,
                    quote=lambda key: key[1] != "veto")  # a veto reason is free text
    wide = merged.pivot(index="unit_id", columns="field", values="value") if len(merged) else pd.DataFrame()
    wide = wide.reindex(index=wide.index.union(notes.index), columns=["bonus", "deduction", "veto"])
    wide["note"] = notes
    wide["bonus"] = pd.to_numeric(wide["bonus"]).fillna(0.0)
    wide["deduction"] = pd.to_numeric(wide["deduction"]).fillna(0.0)
    wide["veto"] = wide["veto"].astype(object).where(wide["veto"].notna(), None)
    return wide.rename_axis("unit_id").reset_index()[ADJUSTMENT_COLUMNS]


def _adjustment(levels: dict[str, float], combine, t: Table, pos: int, report: Report) -> np.ndarray:
    """A 加分/扣分 column as points: numbers as they are, level words (省级, 通报批评) by the model's table."""
    numbers = np.asarray(cells.parse_numbers(t.data[pos])[0], dtype=float)
    text = _text(t.data[pos])
    out = numbers.copy()
    for i in np.flatnonzero(np.isnan(numbers) & text.notna().to_numpy()):
        value = _levels(text.iat[i], levels, combine)
        if value is None:  # free text: not quoted
            report.error(t.file, "既不是分值也不是已知级别", "neither points nor a known level",
                         sheet=t.sheet, row=int(t.rows[i]), column=t.columns[pos], header=t.header[pos],
                         expected="、".join(levels) or "数值 / a number")
        out[i] = np.nan if value is None else value
    for i in np.flatnonzero(out < 0):
        report.error(t.file, "分值不能为负", "points cannot be negative", sheet=t.sheet, row=int(t.rows[i]),
                     column=t.columns[pos], header=t.header[pos], value=f"{out[i]:g}")
    return out


# ------------------------------------------------------------------------- reverse

def _read_reverse(model: Model, item: Loaded, matcher: UnitMatcher, report: Report,
                  excluded: list[Exclusion]) -> pd.DataFrame:
    t = item.table
    if model.reverse is None or model.survey is None:
        report.warning(t.file, "模型未设置基层评议，文件已忽略", "the model has no reverse evaluation: file ignored", sheet=t.sheet)
        return empty(["rater", "unit_id"])
    names = {c: c for c in model.reverse.criteria}
    matched = _model_columns(item, names, "reverse", report, excluded)
    pos = _unit_column(item, report)
    cols = {canon: p for p, canon in item.columns.items()}
    out = pd.DataFrame(index=range(len(t.data)))
    if "rater" not in cols:  # without it, k copies of one rating would pass as k raters
        report.error(t.file, "基层评议表缺少“评议单位”列：只有名录中的评议单位才计入评议单位数",
                     "the reverse ratings lack the rater column (评议单位): only roster units count as raters",
                     sheet=t.sheet, expected="、".join(aliases.ALIASES["rater"][:2]))
        return empty(["rater", "unit_id"])
    p = cols["rater"]
    raters = matcher.resolve(t.data[p])  # roster unit ids; replaced by random numbers in read_period
    blank = t.data[p].isna().to_numpy()
    for i in np.flatnonzero(blank | raters.isna().to_numpy())[:MAX_CELL_ISSUES]:  # free text: not quoted
        report.error(t.file, "评议单位为空或不在单位名录中（只有名录中的单位才计入评议单位数）",
                     "the rater is blank or not in the roster (only roster units count as raters)",
                     sheet=t.sheet, row=int(t.rows[i]), column=t.columns[p], header=t.header[p],
                     expected="单位名录中的编码或名称 / a roster code or name")
    _summarise(report, t, p, int((blank | raters.isna().to_numpy()).sum()), "评议单位为空或不在名录中",
               "raters blank or not in the roster")
    out["rater"] = raters.to_numpy()
    out["unit_id"] = _resolve_units(item, pos, matcher, report).to_numpy() if pos is not None else None
    for q, code in matched.items():
        out[code] = _answers(model, t, q, report).to_numpy()
    return out[pd.notna(out["unit_id"])]


DIMENSION_FILES = {"mass": ("survey", "群众评价问卷", "survey"), "performance": ("indicators", "实绩数据", "indicators"),
                   "compliance": ("compliance", "过程合规", "compliance")}


def _warn_missing_dimensions(model: Model, parts: dict[str, list], files: list, report: Report) -> None:
    """A period without any file for a weighted dimension leaves every unit incomplete: say so now."""
    for dim in model.required_dimensions:
        kind, zh, en = DIMENSION_FILES[dim]
        if not parts[kind]:
            report.warning(files[0][0] if files else "", f"本次导入没有{zh}文件：所有单位将因缺少该维度而不排名",
                           f"no {en} file in this import: every unit will be incomplete without that dimension")
