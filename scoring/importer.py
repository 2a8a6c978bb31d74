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
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import aliases, cells, formalism, period_hint
from scoring.formalism import Exclusion
from scoring.inputs import (
    ADJUSTMENT_COLUMNS,
    COMPLIANCE_COLUMNS,
    EXEMPTION_COLUMNS,
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
                 roster: pd.DataFrame | None = None, tables: dict[str, Table] | None = None,
                 *, period_override: bool = False) -> tuple[PeriodInputs | None, Report]:
    """Read, recognise and validate every file of one period (`period` like 2026Q3; "" only to
    validate files without storing them). `tables` holds files already read (by name) so an
    upload previewed first is not read twice. A file whose name, sheet title or response ids name
    another period is an error unless `period_override` confirms `period` (`scoring.period_hint`).
    Every file is checked, whatever another file's problems. Returns (inputs, report); inputs is
    None on any error."""
    report = Report()
    if period and not is_period(period):
        report.error("", f"期次“{period}”格式不对，应为“2026Q3”这样的年份加季度", f"period {period!r} must look like 2026Q3",
                     value=period, expected="YYYYQ1–YYYYQ4")
        return None, report
    loaded: list[Loaded] = []
    extra = model_headers(model)
    said: list[period_hint.Evidence] = []
    for name, source in files:
        try:
            table = (tables or {}).get(name) or read_table(source, name, extra_headers=extra, sheet_hint=SHEET_HINTS)
        except InputError as err:
            report.extend(err.report)
            said += period_hint.of_file(name)
            continue
        report.extend(table.report)
        said += file_periods(table)
        kind = detect_kind(table, model)
        if kind is None:
            report.error(table.file, "无法识别文件类型：表头中没有单位、问卷或指标列",
                         "cannot tell what this file holds: no unit, survey or indicator columns in the header",
                         sheet=table.sheet)
            continue
        loaded.append(Loaded(kind, table, {i: c for i, h in enumerate(table.header) if (c := aliases.canonical(h))}))
    if period:
        period_hint.check(report, period, said, period_override)

    rosters = [item for item in loaded if item.kind == "units"]
    if rosters:  # a units file with errors: the other files are still checked, against the stored roster if any
        read = _read_roster(model, rosters, report)
        roster = read if read is not None else roster
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
                   "reverse": _read_reverse, "exemptions": _read_exemptions}[item.kind]
        parts[item.kind].append(handler(model, item, matcher, report, inputs.excluded))

    if parts["survey"]:
        inputs.survey = pd.concat(parts["survey"], ignore_index=True)
    if parts["indicators"]:
        no_points = {c for c in model.indicators if model.is_formalism(c)}
        inputs.indicators = _merge(pd.concat(parts["indicators"], ignore_index=True), ["unit_id", "code"], ["value"],
                                   ("指标", "indicator"), report, no_points)[INDICATOR_COLUMNS]
    if parts["compliance"]:
        comp = pd.concat([p[0] for p in parts["compliance"]], ignore_index=True)
        inputs.compliance = _merge(comp, ["unit_id", "item"], ["status", "points"], ("合规项", "compliance item"),
                                   report)[COMPLIANCE_COLUMNS]
        inputs.adjustments = _adjustments(pd.concat([p[1] for p in parts["compliance"]], ignore_index=True), report)
    if parts["exemptions"]:
        inputs.exemptions = pd.concat(parts["exemptions"], ignore_index=True).drop_duplicates(
            ["unit_id", "target", "document"]).reset_index(drop=True)[EXEMPTION_COLUMNS]
    if parts["reverse"]:  # raters become random numbers per department; row order is not kept
        inputs.reverse = anonymise_raters(pd.concat(parts["reverse"], ignore_index=True))
    _warn_missing_dimensions(model, parts, files, report)
    inputs.warnings = list(report.warnings)
    return (inputs if report.ok else None), report


def file_periods(table: Table) -> list[period_hint.Evidence]:
    """The periods a read file names: file name, sheet title, response ids."""
    ids = next((j for j, h in enumerate(table.header) if aliases.canonical(h) == "response_id"), None)
    if ids is None:
        return period_hint.of_file(table.file, table.sheet)
    return period_hint.of_file(table.file, table.sheet, table.data[ids], column=table.columns[ids], header=table.header[ids])


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
    for i in (*model.indicators.values(), *model.burden_measures.values()):
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
    if {"exempt_item", "document_no"} & canon and canon & {"unit_id", "unit_name"}:
        return "exemptions"
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
        self._name = dict(zip(roster["unit_id"], roster["unit_name"], strict=True))

    def name_of(self, unit_id: str) -> str:
        return str(self._name.get(unit_id, unit_id))

    def resolve(self, values: pd.Series) -> pd.Series:
        """Roster unit ids of the cells (None where blank or not in the roster), one lookup per distinct value."""
        return pd.Series(_each_distinct(values, lambda v: self.by_key.get(aliases.normalise(v))), index=values.index,
                         dtype=object)

    def closest(self, value: str) -> tuple[str, ...]:
        return tuple(difflib.get_close_matches(str(value).strip(), self.names, n=3, cutoff=0.4))


def _unit_columns(item: Loaded) -> list[int]:
    """Positions of the unit columns: the code and the name columns when both are there (a row may
    fill either: SPEC 3 "code or name"), else the 被评部门 column of a reverse file."""
    found = {canon: pos for pos, canon in sorted(item.columns.items(), reverse=True)}
    return [found[c] for c in ("unit_id", "unit_name") if c in found] or \
        ([found["department"]] if "department" in found else [])


def _units_of(item: Loaded, matcher: UnitMatcher, report: Report) -> pd.Series | None:
    """Unit ids for every data row, by code or by name: a row with a blank 单位编码 and a valid
    单位名称 resolves by name; a code and a name of two different units on one row is an error naming
    both; an unknown unit is an error naming the cell and the closest names. None without any unit column."""
    t = item.table
    positions = _unit_columns(item)
    if not positions:
        report.error(t.file, "缺少单位列（单位编码或单位名称）", "no unit column (unit code or unit name)", sheet=t.sheet)
        return None
    raws = [_text(t.data[p]) for p in positions]
    found = [matcher.resolve(r) for r in raws]
    ids = found[0].copy()
    if len(positions) == 2:
        (code_pos, name_pos), (code, name), (by_code, by_name) = positions, raws, found
        ids = by_code.where(code.notna(), by_name)
        clash = by_code.notna() & by_name.notna() & (by_code != by_name)
        for i in np.flatnonzero(clash.to_numpy())[:MAX_CELL_ISSUES]:
            report.error(t.file, f"单位编码“{code.iat[i]}”（{matcher.name_of(by_code.iat[i])}）与单位名称“{name.iat[i]}”"
                         f"（{by_name.iat[i]}）不是同一个单位",
                         f"the unit code {code.iat[i]!r} ({matcher.name_of(by_code.iat[i])}) and the unit name "
                         f"{name.iat[i]!r} ({by_name.iat[i]}) are two different units",
                         sheet=t.sheet, row=int(t.rows[i]), column=t.columns[name_pos], header=t.header[name_pos],
                         value=f"{code.iat[i]} / {name.iat[i]}", expected=f"{matcher.name_of(by_code.iat[i])}")
        _summarise(report, t, name_pos, int(clash.sum()), "单位编码与名称不一致", "rows whose unit code and name disagree")
        ids = ids.where(~clash, None)
        odd = by_code.notna() & name.notna() & by_name.isna()
        for i in np.flatnonzero(odd.to_numpy())[:MAX_CELL_ISSUES]:  # the name matched nothing: free text, not quoted
            report.warning(t.file, f"单位名称与名录中 {by_code.iat[i]} 的名称“{matcher.name_of(by_code.iat[i])}”不同，按单位编码计",
                           f"the unit name differs from the roster's name of {by_code.iat[i]} "
                           f"({matcher.name_of(by_code.iat[i])!r}): the code counts",
                           sheet=t.sheet, row=int(t.rows[i]), column=t.columns[name_pos], header=t.header[name_pos])
        # what is left to report: the code cell when a code is given, else the name cell
        pos = pd.Series(np.where(code.notna(), code_pos, name_pos))
        raw = code.where(code.notna(), name)
        bad = raw.notna() & np.where(code.notna(), by_code.isna(), by_name.isna())
        by_name_only = code.isna().to_numpy()
    else:
        pos, raw = pd.Series(positions[0], index=raws[0].index), raws[0]
        bad = raw.notna() & ids.isna()
        by_name_only = np.zeros(len(raw), dtype=bool)
    bad = pd.Series(np.asarray(bad, dtype=bool))
    for i in np.flatnonzero(bad.to_numpy())[:MAX_CELL_ISSUES]:  # the cell is free text: not quoted
        p = int(pos.iat[i])
        zh, en = (("单位编码为空，单位名称不在单位名录中", "the unit code is blank and the unit name is not in the roster")
                  if by_name_only[i] else ("单位不在单位名录中", "the unit is not in the roster"))
        report.error(t.file, zh, en,
                     sheet=t.sheet, row=int(t.rows[i]), column=t.columns[p], header=t.header[p],
                     expected="单位名录中的编码或名称 / a roster code or name",
                     suggestions=matcher.closest(raw.iat[i]))
    _summarise(report, t, positions[0], int(bad.sum()), "单位不在名录中", "units not in the roster")
    blank = raw.isna()
    for i in np.flatnonzero(blank.to_numpy())[:MAX_CELL_ISSUES]:
        report.error(t.file, "单位为空", "the unit cell is blank", sheet=t.sheet, row=int(t.rows[i]),
                     column=t.columns[positions[0]], header=t.header[positions[0]])
    _summarise(report, t, positions[0], int(blank.sum()), "单位为空", "blank unit cells")
    return ids


def _summarise(report: Report, t: Table, pos: int, count: int, zh: str, en: str, add=None) -> None:
    if count > MAX_CELL_ISSUES:
        (add or report.error)(t.file, f"另有 {count - MAX_CELL_ISSUES} 处{zh}（未逐一列出）",
                     f"{count - MAX_CELL_ISSUES} more {en} not listed one by one",
                     sheet=t.sheet, column=t.columns[pos], header=t.header[pos])


def _read_roster(model: Model, items: list[Loaded], report: Report) -> pd.DataFrame | None:
    """The roster of the units files; None when they have errors of their own (another file's
    errors do not stop the roster: every file is checked in one pass)."""
    before = len(report.errors)
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
    if not frames or len(report.errors) > before:
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
        where = {"sheet": t.sheet, "column": t.columns[pos], "header": header}
        if code is not None and code not in keep_formalism:
            matched[pos] = code
            if kw is not None:  # a model indicator marked substantive despite the keyword: shown, not hidden
                excluded.append(e := formalism.substantive(t.file, header, kw, (substantive or {}).get(code) or ""))
                report.info(t.file, f"列“{header}”{e.reason.zh}", f"column {header!r}: {e.reason.en}", **where)
        elif kw is not None or code in keep_formalism:
            excluded.append(e := formalism.exclusion(t.file, header, kw or "形式主义类别"))
            report.info(t.file, f"列“{header}”{e.reason.zh}", f"column {header!r} {e.reason.en}", **where)
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
        nearest = {}
        for i in np.flatnonzero(bad.to_numpy())[:MAX_CELL_ISSUES]:  # free text: not quoted; the scale words are
            cell = raw.iat[i]
            if cell not in nearest:
                nearest[cell] = _nearest_answers(lookup, cell)
            add(t.file, f"答案不在量表中{zh_tail}", f"the answer is not on the scale{en_tail}",
                sheet=t.sheet, row=int(t.rows[i]), column=t.columns[pos], header=t.header[pos], expected=allowed,
                suggestions=nearest[cell])
        if bad.sum() > MAX_CELL_ISSUES:
            add(t.file, f"另有 {int(bad.sum()) - MAX_CELL_ISSUES} 个答案不在量表中{zh_tail}",
                f"{int(bad.sum()) - MAX_CELL_ISSUES} more answers are not on the scale{en_tail}",
                sheet=t.sheet, column=t.columns[pos], header=t.header[pos])
    return labels


def _nearest_answers(lookup: dict[str, str], cell: str) -> tuple[str, ...]:
    """The scale's labels closest to an off-scale answer (by its words and the labels' aliases)."""
    close = difflib.get_close_matches(aliases.normalise(cell), list(lookup), n=8, cutoff=0.4)
    return tuple(dict.fromkeys(lookup[k] for k in close))[:3]


def _read_survey(model: Model, item: Loaded, matcher: UnitMatcher, report: Report, excluded: list[Exclusion]) -> pd.DataFrame:
    t = item.table
    if model.survey is None:
        report.warning(t.file, "模型未设置群众评价，文件已忽略", "the model has no survey: file ignored", sheet=t.sheet)
        return empty(SURVEY_ID_COLUMNS)
    names = {q.code: q.name for q in model.survey.item} or {h: h for p, h in enumerate(t.header) if p not in item.columns}
    reasons = {q.code: q.substantive for q in model.survey.item if q.substantive}
    items = _model_columns(item, names, "survey", report, excluded, substantive=reasons)
    units = _units_of(item, matcher, report)
    cols = {canon: p for p, canon in item.columns.items()}
    out = pd.DataFrame(index=range(len(t.data)))
    out["response_id"] = t.data[cols["response_id"]].reset_index(drop=True)  # Arrow text, as read
    out["unit_id"] = _objects(units) if units is not None else None
    out["respondent_group"] = _objects(_text(t.data[cols["respondent_group"]])) if "respondent_group" in cols else None
    out["channel"] = _objects(_text(t.data[cols["channel"]])) if "channel" in cols else None
    out["duration"] = _durations(t, cols["duration"], report).to_numpy() if "duration" in cols else np.nan
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


def _durations(t: Table, pos: int, report: Report) -> pd.Series:
    """Seconds a respondent took: evidence for the straight-lining screen only, so a cell that is not
    a number of seconds (or is negative) is a warning and left out, never an error."""
    values, bad = cells.parse_numbers(t.data[pos])
    bad = np.asarray(bad) | (values.to_numpy() < 0)
    for i in np.flatnonzero(bad)[:MAX_CELL_ISSUES]:
        report.warning(t.file, "答题时长应为秒数，该单元格不作为答题速度的依据",
                       "the duration should be a number of seconds: this cell is not used as speed evidence",
                       sheet=t.sheet, row=int(t.rows[i]), column=t.columns[pos], header=t.header[pos],
                       expected="秒数 / seconds")
    return pd.Series(np.where(bad, np.nan, values.to_numpy(dtype=float)))


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
    names = {i.code: i.name for i in model.indicators.values()} | {b.code: b.name for b in model.burden_measures.values()}
    keep_formalism = {c for c in model.indicators if model.is_formalism(c)}
    reasons = {c: i.substantive for c, i in (model.indicators | model.burden_measures).items() if i.substantive}
    matched = _model_columns(item, names, "indicators", report, excluded, keep_formalism, reasons)
    units = _units_of(item, matcher, report)
    if units is None:
        return empty(INDICATOR_COLUMNS + WHERE)
    frames = []
    for p, code in matched.items():
        values = _numbers(t, p, report)
        spec = model.indicators.get(code) or model.burden_measures[code]
        if spec.unit == "%" and not (code in model.indicators and model.is_formalism(code)):
            _warn_fractions(t, p, values, spec.name, report)
        frames.append(pd.DataFrame({"unit_id": units.to_numpy(), "code": code, "value": values.to_numpy(),
                                    "source": t.file, **_where(t, p)}))
    if not frames:
        report.warning(t.file, "文件中没有模型指标列", "no model indicator columns in this file", sheet=t.sheet)
        return empty(INDICATOR_COLUMNS + WHERE)
    df = pd.concat(frames, ignore_index=True)
    return df[df["value"].notna() & df["unit_id"].notna()]


WHERE = ["_file", "_sheet", "_row", "_col", "_header"]
FRACTION_MAX = 1.5  # a % indicator whose plain numbers all lie in [0, 1.5] was probably written as fractions


def _warn_fractions(t: Table, pos: int, values: pd.Series, name: str, report: Report) -> None:
    """A percentage indicator whose numbers (not formatted as percentages) all lie in [0, 1.5]: most
    likely 90% written as 0.9. Scored as written, with a warning at the column."""
    plain = values[~t.percent_rows(pos) & values.notna().to_numpy()]
    if plain.empty or not plain.between(0, FRACTION_MAX).all():
        return
    first = int(plain.index[0])
    report.warning(t.file, f"指标“{name}”以百分数（%）计，但本列 {len(plain)} 个数值都在 0–{FRACTION_MAX:g} 之间且不是百分比格式："
                   f"是否把 90% 写成了 0.9？如是，请改为 90 或把单元格设为百分比格式；现按原值计分",
                   f"indicator {name!r} is in percent, but the {len(plain)} numbers of this column all lie in "
                   f"0–{FRACTION_MAX:g} and are not formatted as percentages: was 90% written as 0.9? If so write 90 or "
                   "format the cells as percentages; they are scored as written",
                   sheet=t.sheet, row=int(t.rows[first]), column=t.columns[pos], header=t.header[pos],
                   expected="0–100 (%)")


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _where(t: Table, pos: int) -> dict:
    """Location columns of every cell of column `pos`, carried until the merge has checked conflicts."""
    return {"_file": t.file, "_sheet": t.sheet, "_row": t.rows, "_col": t.columns[pos], "_header": t.header[pos]}


def _merge(df: pd.DataFrame, keys: list[str], values: list[str], what: tuple[str, str], report: Report,
           no_points: set[str] = frozenset(), quote=lambda key: True) -> pd.DataFrame:
    """多表合一: rows from several files merge; the same key with two different values is an error
    naming both cells (file, sheet, cell), whether the two rows come from two files or one. In a
    column that earns no points (`no_points`: formalism codes) a disagreement blocks nothing: it is
    noted as information, the first value kept. The two values are quoted only where `quote(key)`
    says they are numbers or codes (never free text)."""
    dup = df[df.duplicated(keys, keep=False)]
    dup = dup.assign(_show=[" / ".join(_shown(v) for v in row) for row in dup[values].itertuples(index=False)])
    for key, g in dup.groupby(keys, sort=False):
        if g["_show"].nunique() > 1:
            a, b = g.iloc[0], g[g["_show"] != g["_show"].iloc[0]].iloc[0]
            cell_a, cell_b = f"{a['_file']} [{a['_sheet']}] {a['_col']}{a['_row']}", f"{b['_file']} [{b['_sheet']}] {b['_col']}{b['_row']}"
            shown = quote(key)
            where = {"sheet": b["_sheet"], "row": int(b["_row"]), "column": b["_col"], "header": b["_header"],
                     "value": b["_show"] if shown else None}
            va, vb = (f"（{a['_show']}）", f"（{b['_show']}）") if shown else ("", "")
            ea, eb = (f"{a['_show']} in ", f"{b['_show']} in ") if shown else ("", "")
            if key[1] in no_points:
                report.info(b["_file"], f"单位 {key[0]} 的不计分列 {key[1]}（{b['_header']}）在 {cell_a}{va}与 "
                            f"{cell_b}{vb}中不一致；该列不计分，不影响任何得分",
                            f"unit {key[0]}, column {key[1]} ({b['_header']}) that earns no points: {ea}{cell_a} but "
                            f"{eb}{cell_b}; it changes no score", **where)
                continue
            report.error(b["_file"], f"单位 {key[0]} 的{what[0]} {key[1]} 在 {cell_a}{va}与 {cell_b}{vb}中不一致",
                         f"unit {key[0]}, {what[1]} {key[1]}: {ea}{cell_a} but {eb}{cell_b}", **where)
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
    reasons = {c.code: c.substantive for c in model.compliance.item if c.substantive}
    matched = _model_columns(item, names, "compliance", report, excluded, substantive=reasons)
    resolved = _units_of(item, matcher, report)
    if resolved is None:
        return empty(COMPLIANCE_COLUMNS + WHERE), empty(ADJUSTMENT_LONG + WHERE)
    units = resolved.to_numpy()
    frames = []
    for p, code in matched.items():
        text = _text(t.data[p])
        text = text.where(~text.map(lambda v: isinstance(v, str) and aliases.not_assessed(v)), None)  # 无: like a blank
        status = pd.Series(_each_distinct(text, aliases.compliance_status), dtype=object)
        numbers = pd.Series(np.asarray(cells.parse_numbers(t.data[p])[0], dtype=float))
        bad = text.notna() & status.isna() & numbers.isna()
        spec = next(c for c in model.compliance.item if c.code == code)
        points = spec.points
        if spec.per_violation:  # a count of violations: any whole number from 0
            over = numbers.notna() & ((numbers < 0) | (numbers != numbers.round()))
            expected = "通过/部分/未通过，或违规次数（0, 1, 2 …） / pass, partial, fail, or a number of violations"
        else:
            over = numbers.notna() & ((numbers < 0) | (numbers > points))
            expected = f"通过/部分/未通过，或 0–{points:g} 分 / pass, partial, fail, or 0–{points:g} points"
        for i in np.flatnonzero((bad | over).to_numpy())[:MAX_CELL_ISSUES]:  # quoted only when a number
            report.error(t.file, "不是有效的合规结果", "not a valid compliance result",
                         sheet=t.sheet, row=int(t.rows[i]), column=t.columns[p], header=t.header[p],
                         value=f"{numbers.iat[i]:g}" if over.iat[i] else None, expected=expected)
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
            value = _text(t.data[cols[field]])
            if field == "veto":  # 无, 否, 0 and a blank all mean no veto event
                value = value.map(aliases.veto_reason)
            adjustments.append(pd.DataFrame({"unit_id": units, "field": field, "value": value.to_numpy(),
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
    text = text.where(~text.map(aliases.is_nothing), None)  # 无, 否, 0 and a blank all mean none
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
    units = _units_of(item, matcher, report)
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
    out["unit_id"] = units.to_numpy() if units is not None else None
    for q, code in matched.items():
        out[code] = _answers(model, t, q, report).to_numpy()
    return out[pd.notna(out["unit_id"])]


# ------------------------------------------------------------------------- exemptions (容错纠错)

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_EXCEL_EPOCH = date(1899, 12, 30)


def _iso_date(text: str | None) -> str | None:
    """An approval date as ISO text: 2026-03-05, 2026/3/5, 2026.3.5, 2026年3月5日 (a time is ignored),
    or an Excel date number (days since 1899-12-30); None when it is none of these."""
    if text is None:
        return None
    if m := _DATE.match(text.strip()):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    if re.fullmatch(r"\d{5}(?:\.0+)?", text.strip()):
        day = _EXCEL_EPOCH + timedelta(days=int(float(text)))
        return day.isoformat() if 1990 <= day.year <= 2100 else None
    return None


def exemption_targets(model: Model) -> dict[str, str]:
    """Every accepted spelling of what an exemption may waive -> its canonical target: the veto, the
    whole deduction, one deduction level (通报批评 …) or one compliance item (by code or name)."""
    table = {aliases.normalise(w): "veto" for w in aliases.VETO_WORDS}
    table |= {aliases.normalise(w): "deduction" for w in aliases.DEDUCTION_WORDS}
    table |= {aliases.normalise(level): f"level:{level}" for level in model.adjustments.deduction_levels}
    for c in model.compliance.item:
        table[aliases.normalise(c.code)] = table[aliases.normalise(c.name)] = f"item:{c.code}"
    return table


def _read_exemptions(model: Model, item: Loaded, matcher: UnitMatcher, report: Report,
                     excluded: list[Exclusion]) -> pd.DataFrame:
    """容错纠错: one row per approved exemption — unit, what it waives, the reason, the approving
    document number and date. Every field is required; a target the model does not know and a
    date that cannot be read are errors naming the cell."""
    t = item.table
    cols = {canon: p for p, canon in sorted(item.columns.items(), reverse=True)}
    units = _units_of(item, matcher, report)
    required = [("exempt_item", "容错事项", "the exempted item"), ("exempt_reason", "容错理由", "the reason"),
                ("document_no", "批准文号", "the approving document number"), ("approved_on", "批准日期", "the approval date")]
    missing = [zh for canon, zh, _ in required if canon not in cols]
    if missing or units is None:
        if missing:
            report.error(t.file, "容错纠错表缺少列：" + "、".join(missing),
                         "the exemptions file lacks columns: " + ", ".join(en for c, _, en in required if c not in cols),
                         sheet=t.sheet)
        return empty(EXEMPTION_COLUMNS)
    text = {canon: _text(t.data[cols[canon]]) for canon, _, _ in required}
    targets = exemption_targets(model)
    target = text["exempt_item"].map(lambda v: _target(v, targets) if isinstance(v, str) else None)
    approved = text["approved_on"].map(_iso_date)
    for canon, zh, en in required:
        p = cols[canon]
        for i in np.flatnonzero(text[canon].isna().to_numpy())[:MAX_CELL_ISSUES]:
            report.error(t.file, f"“{zh}”为空：每条容错免责都须写明", f"{en} is blank: every exemption must state it",
                         sheet=t.sheet, row=int(t.rows[i]), column=t.columns[p], header=t.header[p])
    p = cols["exempt_item"]
    allowed = "一票否决、扣分、" + "、".join([*model.adjustments.deduction_levels, *(c.name for c in model.compliance.item)])
    for i in np.flatnonzero((text["exempt_item"].notna() & target.isna()).to_numpy())[:MAX_CELL_ISSUES]:
        report.error(t.file, f"容错事项“{text['exempt_item'].iat[i]}”不是一票否决、扣分、扣分类别或过程合规考核项",
                     f"the exempted item {text['exempt_item'].iat[i]!r} is not the veto, the deduction, a deduction "
                     "level or a compliance item", sheet=t.sheet, row=int(t.rows[i]), column=t.columns[p],
                     header=t.header[p], value=str(text["exempt_item"].iat[i]), expected=allowed)
    p = cols["approved_on"]
    for i in np.flatnonzero((text["approved_on"].notna() & approved.isna()).to_numpy())[:MAX_CELL_ISSUES]:
        report.error(t.file, f"批准日期“{text['approved_on'].iat[i]}”无法识别", f"the approval date {text['approved_on'].iat[i]!r} "
                     "cannot be read", sheet=t.sheet, row=int(t.rows[i]), column=t.columns[p], header=t.header[p],
                     value=str(text["approved_on"].iat[i]), expected="2026-03-05 / 2026年3月5日")
    out = pd.DataFrame({"unit_id": units.to_numpy(), "target": target.to_numpy(),
                        "reason": text["exempt_reason"].to_numpy(), "document": text["document_no"].to_numpy(),
                        "approved_on": approved.to_numpy()})
    return out[out.notna().all(axis=1)]


def _target(text: str, targets: dict[str, str]) -> str | None:
    """The canonical target of an exempted-item cell: an exact spelling, else a known one it contains
    (通报批评扣分 -> the 通报批评 level)."""
    key = aliases.normalise(text)
    if key in targets:
        return targets[key]
    found = {v for k, v in targets.items() if len(k) >= 2 and k in key}
    specific = {v for v in found if v.startswith(("level:", "item:"))} or found
    return specific.pop() if len(specific) == 1 else None


DIMENSION_FILES = {"mass": ("survey", "群众评价问卷", "survey"), "performance": ("indicators", "实绩数据", "indicators"),
                   "compliance": ("compliance", "过程合规", "compliance")}


def _warn_missing_dimensions(model: Model, parts: dict[str, list], files: list, report: Report) -> None:
    """A period without any file for a weighted dimension leaves every unit incomplete: say so now."""
    for dim in model.required_dimensions:
        kind, zh, en = DIMENSION_FILES[dim]
        if not parts[kind]:
            report.warning(files[0][0] if files else "", f"本次导入没有{zh}文件：所有单位将因缺少该维度而不排名",
                           f"no {en} file in this import: every unit will be incomplete without that dimension")
