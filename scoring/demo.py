"""The demo data set: a fictional city (示范市) over six quarters, made by a seeded generator.

It exists so a new user can open realistic spreadsheets, import them and see every rule at
work: 不了解 answers, a few bad survey rows (two careless, fast straight-liners among many
genuinely satisfied respondents), indicators from several providing departments (多表合一),
formalism columns that earn nothing, 精文简会 violations that count because the model marks them
substantive, 减负成效 measures that earn a bonus, bonuses, deductions, vetoes, 容错纠错 exemptions
that waive a deduction, a veto and a violation, and a reverse-evaluation department with too few
raters.

Everything comes from `numpy.random.default_rng` keyed by (seed, part, quarter), so the same
seed always gives the same cell contents, and a change to one part leaves the others alone.
Names of survey items, answers, indicators and compliance items are read from the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from scoring.model import Model, load_model

PERIODS = ["2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
# The demo's accounts, one per role (two officers, so the four-eyes rule can be tried): signed in
# with one click on the sign-in page of a demo store only; they have no password.
DEMO_ACCOUNTS = (  # username, display name, roles, unit
    ("admin", "系统管理员 Admin", ("admin",), None),
    ("officer", "考核办 王科长", ("officer",), None),
    ("officer2", "考核办 李干事", ("officer",), None),
    ("analyst", "分析员 张工", ("analyst",), None),
    ("leader", "市领导 赵书记", ("leader",), None),
    ("jd01", "青山街道 考核联络员", ("unit",), "JD01"),
)

STREET, TOWN, DEPT = "城区街道", "农业乡镇", "市直部门"
GRASSROOTS, DEPARTMENT = "乡镇街道", "市直部门"  # unit types

STREETS = ["青山街道", "东湖街道", "西城街道", "南门街道", "北关街道", "文昌街道",
           "凤鸣街道", "新华街道", "滨江街道", "桂花街道", "龙泉街道", "翠屏街道"]
TOWNS = ["柳河镇", "白沙镇", "石桥镇", "桃源镇", "金坪乡", "马家湾镇",
         "双河乡", "清水镇", "高店乡", "杨柳乡", "三岔镇", "红岩镇"]
DEPTS = ["市发展和改革委员会", "市教育局", "市公安局", "市民政局", "市人力资源和社会保障局",
         "市自然资源和规划局", "市住房和城乡建设局", "市交通运输局", "市农业农村局",
         "市市场监督管理局", "市卫生健康委员会", "市生态环境局"]

# Indicator files per quarter: file slug -> (providing department, indicator codes).
# Every indicator of the model sits in exactly one file, so no unit x indicator repeats.
PROVIDERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tongji": ("市统计局", ("ECO01", "ECO02", "ECO03", "ECO04", "LIV01", "LIV02")),
    "yingji": ("市应急管理局", ("SAF01", "SAF04", "FOR02")),
    "zhengwu": ("市政务服务和数据管理局", ("LIV03", "LIV04", "LIV05", "DEP03")),
    "ducha": ("市委市政府督查室", ("DEP01", "DEP02", "SAF02", "SAF03", "FOR01", "BR01", "BR02", "BR03")),
}
# 减负成效 measures the 督查室 reports for the departments: (mean, sd, low, high, decimals)
BURDEN: dict[str, tuple[float, float, float, float, int]] = {
    "BR01": (2.0, 3.0, 0, 15, 0),    # forms merged or dropped under 多表合一
    "BR02": (3.0, 8.0, -10, 30, 1),  # % fewer meetings than the annual plan (below 0: more than planned)
    "BR03": (4.0, 8.0, -10, 30, 1),  # % fewer documents than the annual plan
}
VIOLATIONS = "C07"  # 精文简会 violations of the 市直部门, a count per quarter


@dataclass(frozen=True)
class Spread:
    """How one indicator varies: mean and sd (a dict gives the mean per group), clip range,
    decimals (0 = integer), and its correlation with the unit's latent performance
    (negative for lower-is-better, and for the formalism columns on purpose)."""

    mean: float | dict[str, float]
    sd: float
    lo: float
    hi: float
    decimals: int
    corr: float = 0.6
    poisson: bool = False


SPREADS: dict[str, Spread] = {
    "ECO01": Spread(6.5, 4.0, -8, 20, 1),
    "ECO02": Spread({STREET: 78, TOWN: 64}, 7.0, 40, 93, 1),
    "ECO03": Spread(95, 12, 55, 130, 1),
    "ECO04": Spread({STREET: 180, TOWN: 85}, 35, 12, 400, 0),
    "DEP01": Spread(94, 5, 70, 100, 1),
    "DEP02": Spread(96, 8, 62, 116, 1, corr=0.3),
    "LIV01": Spread(102, 12, 60, 140, 1),
    "LIV02": Spread(5.5, 1.5, 0, 10, 1),
    "DEP03": Spread(3.0, 2.0, 0, 15, 2, corr=-0.6),
    "LIV03": Spread(95, 3, 80, 100, 1),
    "LIV04": Spread(6.0, 2.5, 0.5, 20, 1, corr=-0.6),
    "LIV05": Spread(97, 1.5, 88, 100, 2),
    "SAF01": Spread({STREET: 0.5, TOWN: 1.0, DEPT: 0.3}, 0, 0, 9, 0, corr=-0.35, poisson=True),
    "SAF02": Spread(88, 6, 60, 100, 1),
    "SAF03": Spread(96, 2, 85, 100, 1),
    "SAF04": Spread(92, 5, 70, 100, 1),
    # formalism: thick ledgers and many meetings go with weak units, and earn nothing
    "FOR01": Spread(900, 350, 150, 3000, 0, corr=-0.6),
    "FOR02": Spread(24, 8, 4, 60, 0, corr=-0.5),
}

# Veto events: (period, unit) -> reason; both hit units that otherwise score well.
ACCIDENT = ("2026Q2", "XZ03")  # the accident also shows in that quarter's 生产安全事故起数
VETOES = {
    ("2025Q4", "JD08"): "班子成员严重违纪违法被立案审查",
    ACCIDENT: "发生较大生产安全事故",
    ("2026Q3", "JD05"): "拆迁安置改革试点引发集体上访",
}
# 容错纠错: approved exemptions per quarter: (unit, exempted item, reason, document, date). A unit of
# None is the first unit the item hit that quarter (deducted, or with a violation).
EXEMPTIONS: dict[str, list[tuple[str | None, str, str, str, str]]] = {
    "2026Q1": [(None, "扣分", "为推进营商环境改革先行先试被通报，经认定符合容错情形（程序合规、未谋私利、及时纠错）",
                "示考容〔2026〕2号", "2026-04-08")],
    "2026Q3": [("JD05", "一票否决", "试点方案经集体决策、程序合规，失误系政策探索所致且未谋取私利，经市考核委员会认定免责",
                "示考容〔2026〕9号", "2026-10-12"),
               (None, "违反精文简会规定发文开会次数", "防汛抢险紧急部署会议，经市委办公室批准临时召开，不计入违规",
                "示考容〔2026〕10号", "2026-10-12")],
}
PRACTICES = ["“接诉即办”经验做法", "网格化治理经验", "营商环境改革举措", "数字化治理案例",
             "矛盾纠纷多元化解经验", "基层减负典型做法"]
CRITICISMS = [(2, "被市委通报批评（环保督察问题整改不力）"), (2, "被市政府通报批评（安全检查走过场）"),
              (1, "主要负责人被约谈（信访积案化解滞后）")]

# Reverse evaluation: a department rated low throughout, and one rated by too few in a quarter.
REVERSE_LOW = "BM07"
REVERSE_FEW = ("2025Q4", "BM12", 4)

CHANNELS = ["电话", "入户", "网络"]
CHANNEL_P = {GRASSROOTS: [0.45, 0.35, 0.20], DEPARTMENT: [0.50, 0.10, 0.40]}
RESPONDENT_P = {GRASSROOTS: [0.60, 0.15, 0.25], DEPARTMENT: [0.35, 0.35, 0.30]}
RESPONDENT_SHIFT = [0.0, -0.15, 0.10]  # 企业 are a little harder to please
CUTS = [-1.0, 0.0, 1.0]  # latent cut points between the four answers, worst to best
FIXED_DATE = datetime(2026, 1, 1)  # workbook metadata, so files are reproducible byte for byte


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def units_table() -> pd.DataFrame:
    rows = (
        [(f"JD{i:02d}", n, GRASSROOTS, STREET) for i, n in enumerate(STREETS, 1)]
        + [(f"XZ{i:02d}", n, GRASSROOTS, TOWN) for i, n in enumerate(TOWNS, 1)]
        + [(f"BM{i:02d}", n, DEPARTMENT, DEPT) for i, n in enumerate(DEPTS, 1)]
    )
    return pd.DataFrame(rows, columns=["unit_id", "unit_name", "unit_type", "group"])


@dataclass
class _World:
    """Latent traits per unit and quarter that tie the files together."""

    perf: np.ndarray        # (quarters, units) real performance, about N(0, 1)
    sat: np.ndarray         # (quarters, units) latent satisfaction, mean near 0.95
    item_bias: np.ndarray   # (units, items) a unit's persistent strengths and weaknesses
    dept_view: np.ndarray   # (quarters, departments) how the grassroots see each department


def _world(seed: int, n_units: int, n_items: int, dept_ids: list[str]) -> _World:
    rng = _rng(seed, 0)
    t = np.linspace(-1, 1, len(PERIODS))[:, None]
    quality = rng.normal(0, 1, n_units)
    slope = rng.normal(0, 0.5, n_units)
    perf = quality + slope * t + rng.normal(0, 0.25, (len(PERIODS), n_units))
    walk = np.cumsum(rng.normal(0, 0.12, (len(PERIODS), n_units)), axis=0)
    sat = 0.95 + 0.15 * quality + 0.2 * rng.normal(0, 1, n_units) + walk
    dept_view = 0.7 + rng.normal(0, 0.3, len(dept_ids)) + 0.1 * rng.normal(0, 1, (len(PERIODS), len(dept_ids)))
    dept_view[:, dept_ids.index(REVERSE_LOW)] = np.linspace(-0.8, -0.5, len(PERIODS))
    return _World(perf, sat, rng.normal(0, 0.2, (n_units, n_items)), dept_view)


def _answers(latent: np.ndarray, rng: np.random.Generator, p_unknown: np.ndarray | float, labels: list[str]) -> np.ndarray:
    """Latent values to answer labels; `labels` runs worst to best, then the unknown label."""
    idx = np.digitize(latent, CUTS)
    idx[rng.random(latent.shape) < p_unknown] = len(labels) - 1
    return np.asarray(labels, dtype=object)[idx]


def _scale(model: Model) -> tuple[list[str], dict[str, str]]:
    """Answer labels worst to best then the unknown label, and each label's first alias."""
    scored = sorted((a for a in model.survey.answer if not a.unknown), key=lambda a: a.score)
    unknown = next(a for a in model.survey.answer if a.unknown)
    labels = [a.label for a in scored] + [unknown.label]
    return labels, {a.label: a.aliases[0] for a in model.survey.answer if a.aliases}


def _pick(rng: np.random.Generator, is_dept: np.ndarray, probs: dict[str, list[float]]) -> np.ndarray:
    """A category index per row, drawn with the probabilities of the row's unit type."""
    u = rng.random(len(is_dept))
    return np.where(is_dept, np.searchsorted(np.cumsum(probs[DEPARTMENT]), u),
                    np.searchsorted(np.cumsum(probs[GRASSROOTS]), u))


def survey_table(model: Model, units: pd.DataFrame, world: _World, q: int, seed: int) -> pd.DataFrame:
    """One row per respondent, generated for all units at once, then a few bad rows."""
    rng = _rng(seed, 1, q)
    labels, alias = _scale(model)
    items = [i.name for i in model.survey.item]
    groups = list(model.survey.respondent_groups)
    n = rng.integers(80, 151, len(units))
    unit = np.repeat(np.arange(len(units)), n)
    seq = np.concatenate([np.arange(1, k + 1) for k in n])
    is_dept = (units["unit_type"].to_numpy() == DEPARTMENT)[unit]
    group = _pick(rng, is_dept, RESPONDENT_P)
    channel = _pick(rng, is_dept, CHANNEL_P)
    person = world.sat[q, unit] + np.asarray(RESPONDENT_SHIFT)[group] + rng.normal(0, 0.3, len(unit))
    latent = person[:, None] + world.item_bias[unit] + rng.normal(0, 1.1, (len(unit), len(items)))
    p_unknown = np.linspace(0.015, 0.06, len(items))  # later items (e.g. 政务公开透明) are less known
    df = pd.DataFrame(_answers(latent, rng, p_unknown, labels), columns=items)
    codes = units["unit_id"].to_numpy()[unit]
    df.insert(0, "问卷编号", [f"{PERIODS[q]}-{c}-{s:03d}" for c, s in zip(codes, seq, strict=True)])
    df.insert(1, "单位编码", codes)
    df.insert(2, "受访者类别", np.asarray(groups, dtype=object)[group])
    df.insert(3, "调查方式", np.asarray(CHANNELS, dtype=object)[channel])

    # realistic flaws, never an answer outside the scale and its aliases
    picked = rng.choice(len(df), 16, replace=False)
    liners, variants, blanks = picked[:2], picked[2:10], picked[10:]
    df.loc[liners, items] = rng.choice([labels[-2], labels[-3]])  # all 满意 or all 比较满意
    for row, col in zip(variants, rng.integers(0, len(items), len(variants)), strict=True):
        df.iat[row, 4 + col] = alias.get(df.iat[row, 4 + col], df.iat[row, 4 + col])
    for row, col in zip(blanks, rng.integers(0, len(items), len(blanks)), strict=True):
        df.iat[row, 4 + col] = None
    df.insert(4, "答题时长", _durations(channel, liners, seed, q))
    dup = rng.choice(len(df), rng.integers(1, 3), replace=False)
    order = np.sort(np.concatenate([np.arange(len(df)), dup]), kind="stable")  # copy follows original
    return df.iloc[order].reset_index(drop=True)


def _durations(channel: np.ndarray, liners: np.ndarray, seed: int, q: int) -> np.ndarray:
    """Seconds each respondent took (a part of its own, so the answers stay as they were): a few
    minutes by phone or in person, less online; the two careless respondents under 20 seconds."""
    rng = _rng(seed, 7, q)
    typical = np.array([300.0, 420.0, 200.0])[channel]  # 电话, 入户, 网络
    seconds = np.round(typical * rng.lognormal(0, 0.35, len(channel)))
    seconds[liners] = rng.integers(9, 20, len(liners))
    return seconds.astype(int)


def indicator_table(model: Model, units: pd.DataFrame, world: _World, q: int, seed: int) -> pd.DataFrame:
    """Indicator values by code (units x codes); NaN where an indicator does not apply."""
    rng = _rng(seed, 2, q)
    out = pd.DataFrame(index=units["unit_id"], columns=list(SPREADS), dtype=float)
    perf = world.perf[q]
    for code, s in SPREADS.items():
        mean = units["group"].map(s.mean).to_numpy(float) if isinstance(s.mean, dict) else np.full(len(units), s.mean)
        noise = rng.normal(0, 1, len(units))
        if s.poisson:
            values = rng.poisson(mean * np.exp(s.corr * perf)).astype(float)
        else:
            values = mean + s.sd * (s.corr * perf + np.sqrt(1 - s.corr**2) * noise)
        values = np.round(np.clip(values, s.lo, s.hi), s.decimals)
        applies = units["unit_type"].map(lambda t, c=code: model.applies(c, t)).to_numpy(bool)
        out[code] = np.where(applies, values, np.nan)
    if ACCIDENT[0] == PERIODS[q]:
        out.at[ACCIDENT[1], "SAF01"] = max(out.at[ACCIDENT[1], "SAF01"], 2)
    # one or two values the provider failed to report
    scored = [not model.is_formalism(c) for c in out.columns]
    cells = np.argwhere(out.notna().to_numpy() & np.asarray(scored))
    for r, c in cells[rng.choice(len(cells), rng.integers(1, 3), replace=False)]:
        out.iat[r, c] = np.nan
    return out


def compliance_table(model: Model, units: pd.DataFrame, world: _World, q: int, seed: int) -> pd.DataFrame:
    rng = _rng(seed, 3, q)
    period = PERIODS[q]
    bad = np.clip(0.10 - 0.05 * world.perf[q], 0.02, 0.30)[:, None]
    checked = [i for i in model.compliance.item if not i.per_violation]
    u = rng.random((len(units), len(checked)))
    status = np.where(u < 0.3 * bad, "未通过", np.where(u < bad, "部分", "通过"))
    df = pd.DataFrame(status, columns=[i.name for i in checked], dtype=object)
    for item in model.compliance.item:
        if item.per_violation:  # 精文简会 violations, counted for the departments only
            df[item.name] = _violations(model, units, world, q, seed, item.code)
    df = df[[i.name for i in model.compliance.item]]
    df.insert(0, "单位编码", units["unit_id"].to_numpy())
    bonus, deduction, veto, note = ([None] * len(units) for _ in range(4))
    levels = list(model.adjustments.bonus_levels)
    picked = rng.choice(len(units), 5, replace=False)
    for k, i in enumerate(picked[:3]):
        level = levels[rng.choice(len(levels), p=[0.6, 0.3, 0.1])]
        if k == 0 and q % 2 == 1:  # a practice promoted at two levels counts once, at the higher one
            level = f"{levels[0]}、{levels[1]}"
        bonus[i], note[i] = level, f"{PRACTICES[rng.integers(len(PRACTICES))]}获{level.split('、')[-1]}推广"
    for i in picked[3:3 + rng.integers(1, 3)]:
        points, reason = CRITICISMS[rng.integers(len(CRITICISMS))]
        deduction[i], note[i] = points, reason
    for i, unit_id in enumerate(units["unit_id"]):
        if (period, unit_id) in VETOES:
            veto[i] = VETOES[period, unit_id]
            note[i] = "；".join(filter(None, [note[i], "经市考核委员会认定，实行一票否决"]))
    df["加分"], df["扣分"], df["一票否决"], df["说明"] = bonus, deduction, veto, note
    return df


def _violations(model: Model, units: pd.DataFrame, world: _World, q: int, seed: int, code: str) -> list:
    """Violations of the 精文简会 limits in a quarter: mostly none, more for weaker departments."""
    rng = _rng(seed, 5, q)
    counts = rng.poisson(np.clip(0.5 - 0.35 * world.perf[q], 0.05, 2.0))
    item = next(i for i in model.compliance.item if i.code == code)
    applies = units["unit_type"].map(lambda t: not item.applies_to or t in item.applies_to).to_numpy(bool)
    return [int(c) if a else None for c, a in zip(counts, applies, strict=True)]


def burden_table(model: Model, units: pd.DataFrame, world: _World, q: int, seed: int) -> pd.DataFrame:
    """减负成效 measures (units x codes): what the departments cut; NaN where a measure does not apply."""
    rng = _rng(seed, 6, q)
    out = pd.DataFrame(index=units["unit_id"], columns=list(BURDEN), dtype=float)
    for code, (mean, sd, lo, hi, decimals) in BURDEN.items():
        values = np.round(np.clip(mean + sd * (0.4 * world.perf[q] + rng.normal(0, 1, len(units))), lo, hi), decimals) + 0.0
        measure = model.burden_measures[code]
        applies = units["unit_type"].map(lambda t, m=measure: not m.applies_to or t in m.applies_to).to_numpy(bool)
        out[code] = np.where(applies, values, np.nan)
    return out


def exemptions_table(period: str, compliance: pd.DataFrame) -> pd.DataFrame | None:
    """The quarter's approved exemptions (容错纠错), or None when it has none."""
    rows = []
    for unit, item, reason, document, day in EXEMPTIONS.get(period, []):
        if unit is None:  # the first unit the item hit this quarter
            column = compliance["扣分" if item == "扣分" else item]
            unit = compliance.loc[pd.to_numeric(column, errors="coerce").fillna(0) > 0, "单位编码"].iloc[0]
        rows.append((unit, item, reason, document, datetime.fromisoformat(day)))
    return pd.DataFrame(rows, columns=["单位编码", "容错事项", "容错理由", "批准文号", "批准日期"]) if rows else None


def reverse_table(model: Model, units: pd.DataFrame, world: _World, q: int, seed: int) -> pd.DataFrame:
    """The 24 乡镇街道 rate the 12 departments; most raters rate most departments."""
    rng = _rng(seed, 4, q)
    labels, _ = _scale(model)
    raters = units.loc[units["unit_type"] == GRASSROOTS, "unit_id"].to_numpy()
    depts = units.loc[units["unit_type"] == DEPARTMENT]
    take = rng.random((len(depts), len(raters))) < 0.85
    period, few_dept, few_n = REVERSE_FEW
    if period == PERIODS[q]:
        row = depts["unit_id"].tolist().index(few_dept)
        take[row] = False
        take[row, rng.choice(len(raters), few_n, replace=False)] = True
    d, r = np.nonzero(take)
    criteria = list(model.reverse.criteria)
    latent = (world.dept_view[q, d] + rng.normal(0, 0.5, len(d)))[:, None] + rng.normal(0, 0.7, (len(d), len(criteria)))
    df = pd.DataFrame(_answers(latent, rng, 0.02, labels), columns=criteria)
    df.insert(0, "评议单位", raters[r])
    df.insert(1, "被评部门", depts["unit_name"].to_numpy()[d])
    return df


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _write_xlsx(path: Path, sheet: str, df: pd.DataFrame) -> Path:
    """One sheet, bold header, blank for missing, widths fitted to the content."""
    with xlsxwriter.Workbook(str(path)) as wb:
        wb.set_properties({"created": FIXED_DATE})
        ws = wb.add_worksheet(sheet)
        bold = wb.add_format({"bold": True})
        day = wb.add_format({"num_format": "yyyy-mm-dd"})
        head = df.head(300)
        for c, name in enumerate(df.columns):
            width = max([_width(name), *(_width(v) for v in head[name] if not pd.isna(v))])
            ws.set_column(c, c, min(width + 2, 40))
        ws.write_row(0, 0, list(df.columns), bold)
        ws.freeze_panes(1, 0)
        for r, row in enumerate(df.itertuples(index=False), 1):
            for c, v in enumerate(row):
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    continue
                if isinstance(v, datetime):
                    ws.write_datetime(r, c, v, day)
                    continue
                ws.write(r, c, v.item() if isinstance(v, np.generic) else v)
    return path


def _provider_rows(model: Model, units: pd.DataFrame, codes: tuple[str, ...]) -> np.ndarray:
    """A provider's file lists the units one of its scored indicators applies to."""
    scored = [c for c in codes if c in model.indicators and not model.is_formalism(c)]
    return units["unit_type"].map(lambda t: any(model.applies(c, t) for c in scored)).to_numpy(bool)


def write_demo(out_dir: Path, seed: int = 2026) -> list[Path]:
    """Write the units roster and, per quarter, the survey, indicator, compliance and reverse
    files into `out_dir`; return the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_model()
    units = units_table()
    dept_ids = units.loc[units["unit_type"] == DEPARTMENT, "unit_id"].tolist()
    world = _world(seed, len(units), len(model.survey.item), dept_ids)
    roster = units.set_axis(["单位编码", "单位名称", "单位类型", "考核组别"], axis=1)
    written = [_write_xlsx(out_dir / "units.xlsx", "单位名录", roster)]
    names = {code: ind.name for code, ind in model.indicators.items()} | {
        code: m.name for code, m in model.burden_measures.items()}
    for q, period in enumerate(PERIODS):
        written.append(_write_xlsx(out_dir / f"{period}_survey.xlsx", "群众评价",
                                   survey_table(model, units, world, q, seed)))
        values = indicator_table(model, units, world, q, seed).join(burden_table(model, units, world, q, seed))
        for slug, (provider, codes) in PROVIDERS.items():
            part = values.loc[_provider_rows(model, units, codes), list(codes)]
            sheet = part.rename(columns=names).astype(object)
            for code in codes:
                if (SPREADS[code].decimals if code in SPREADS else BURDEN[code][4]) == 0:
                    sheet[names[code]] = [None if pd.isna(v) else int(v) for v in part[code]]
            sheet.insert(0, "单位名称", units.set_index("unit_id").loc[part.index, "unit_name"].to_numpy())
            sheet.insert(0, "单位编码", part.index.to_numpy())
            written.append(_write_xlsx(out_dir / f"{period}_indicators_{slug}.xlsx", provider, sheet))
        compliance = compliance_table(model, units, world, q, seed)
        written.append(_write_xlsx(out_dir / f"{period}_compliance.xlsx", "过程合规", compliance))
        if (exemptions := exemptions_table(period, compliance)) is not None:
            written.append(_write_xlsx(out_dir / f"{period}_exemptions.xlsx", "容错纠错", exemptions))
        written.append(_write_xlsx(out_dir / f"{period}_reverse.xlsx", "基层评议",
                                   reverse_table(model, units, world, q, seed)))
    return written
