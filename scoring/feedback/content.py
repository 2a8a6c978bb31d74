"""What a unit's feedback report says, as format-neutral blocks in one language.

Every figure is formatted here once (scores with two decimals, as the JSON result rounds them for
ranking), so the PDF and the Word file carry the same text. Data strings (unit, indicator and item
names, reasons) stay plain text: the renderers escape them for their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from scoring import i18n, views
from scoring import warning as early
from scoring.feedback import charts
from scoring.flags import Flag
from scoring.model import Model
from scoring.pipeline import PeriodResult


# ---------------------------------------------------------------- blocks
@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    tone: str = ""  # "" | "muted" | "alert"


@dataclass(frozen=True)
class Fields:
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float]  # relative column widths
    numeric: frozenset[int] = frozenset()  # right-aligned columns


@dataclass(frozen=True)
class Chart:
    png: bytes
    width_cm: float = 17.0


@dataclass
class Document:
    title: str
    subtitle: str
    lines: list[str]
    blocks: list[Any]
    footer: str  # with {page}
    lang: str = "zh"


# ---------------------------------------------------------------- inputs
@dataclass
class ReportInputs:
    """Everything a report shows besides the scored period itself, read by the service."""

    result: PeriodResult
    unit_id: str
    version: int
    published_at: str = ""
    published_by: str = ""
    history: pd.DataFrame = field(default_factory=pd.DataFrame)   # Store.history of the unit
    appeals: list = field(default_factory=list)                    # the unit's appeals of the period
    warning: Any = None                                            # its row of Service.warnings, or None
    annual: pd.DataFrame | None = None                             # its row of Service.annual
    annual_quarters: pd.DataFrame | None = None                    # its rows of Service.annual_quarters
    state: str = "published"                                       # Service.period_status
    announcement: Any = None
    office: str = ""
    made_on: date = field(default_factory=date.today)
    reverse_round: Any = None                                      # the online round the reverse ratings came from
    participation: pd.DataFrame | None = None                      # its participation per rater unit


def f2(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):.2f}"


def _pct(v: Any, digits: int = 1) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):.{digits}%}"


def _int(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else str(int(v))


def grade_reason(model: Model, row: pd.Series, lang: str) -> str:
    """Why the unit has its grade, in words: its tier line, or the veto, quota or floor that moved it."""
    flags: list[Flag] = row["flags"] if isinstance(row["flags"], list) else []
    codes = {f.code.value: f for f in flags}
    grade = views.grade_label(model, row["grade"], lang)
    if row["status"] != "ok":
        why = "；".join(i18n.flag_text(f, lang) for f in flags if f.code.value == "incomplete") or row["status"]
        return i18n.t("grade.reason.incomplete", lang, why=why)
    if "veto" in codes:
        return i18n.t("grade.reason.veto", lang, reason=codes["veto"].params.get("reason", ""), grade=grade)
    if "quota" in codes:
        return i18n.t("grade.reason.quota", lang, grade=grade)
    tiers = model.grades.tier
    idx = next((i for i, t in enumerate(tiers) if t.label == row["grade"]), None)
    if "reverse_below_floor" in codes and idx is not None and idx > 0 and float(row["total"]) >= tiers[0].min:
        return i18n.t("grade.reason.cap", lang, grade=grade)
    if idx is None:
        return ""
    text = i18n.t("grade.reason.tier", lang, total=float(row["total"]), grade=grade, min=tiers[idx].min)
    if idx > 0:
        text += i18n.t("grade.reason.below", lang, upper=views.grade_label(model, tiers[idx - 1].label, lang),
                       umin=tiers[idx - 1].min)
    return text


def _step_label(r: Any, lang: str) -> str:
    if r.kind == "dimension":
        return i18n.t(f"dim.{r.dimension}", lang)
    if r.kind in ("category", "item"):
        return str(r.name)
    return i18n.t(f"part.{r.kind}", lang)


def _target_label(model: Model, target: str, lang: str) -> str:
    kind, _, code = target.partition(":")
    if kind == "indicator":
        return model.indicators[code].name if code in model.indicators else code
    if kind == "compliance":
        return next((c.name for c in model.compliance.item if c.code == code), code)
    return i18n.t(f"ap.item.{kind}", lang) if kind in ("deduction", "veto") else target


def build(inp: ReportInputs, lang: str = "zh", with_charts: bool = True) -> Document:
    """The report of one unit as blocks in `lang`."""
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    res, uid, model = inp.result, inp.unit_id, inp.result.model
    units = res.units.set_index("unit_id")
    row = units.loc[uid].copy()
    row["unit_id"] = uid
    ok = row["status"] == "ok"
    ranked = units[units["status"] == "ok"]
    in_group = ranked[ranked["group"] == row["group"]]
    blocks: list[Any] = []
    B = blocks.append

    if inp.state == "announcing" and inp.announcement is not None:
        state = t("state.announcing", start=inp.announcement.starts_on, end=inp.announcement.ends_on)
    else:
        state = t(f"state.{inp.state}")
    lines = [t("rep.issued", office=inp.office, date=inp.made_on.isoformat()),
             t("rep.published", at=(inp.published_at or "")[:16].replace("T", " "), who=inp.published_by, state=state)]

    # 1. the result
    B(Heading(t("rep.summary")))
    level = inp.warning["level"] if inp.warning is not None else None
    fields = [
        (t("rep.group"), str(row["group"])),
        (t("rep.total"), f2(row["total"]) if ok else "—"),
        (t("rep.rank_overall"), t("rep.of", rank=_int(row["rank_overall"]), n=len(ranked)) if ok else t("rep.not_ranked")),
        (t("rep.rank_group"), t("rep.of", rank=_int(row["rank_group"]), n=len(in_group)) if ok else t("rep.not_ranked")),
        (t("rep.grade"), views.grade_label(model, row["grade"], lang) or "—"),
        (t("rep.grade_reason"), grade_reason(model, row, lang)),
    ]
    if level is not None:
        rules = "；".join(f.text.get(lang) for f in inp.warning["rules"]) if inp.warning["rules"] else ""
        fields.append((t("rep.warning"), t(f"warn.{level}") + (f"：{rules}" if lang == "zh" and rules else
                                                               f": {rules}" if rules else "")))
    if row["flags"]:
        fields.append((t("rep.flags"), "；".join(i18n.flag_text(f, lang) for f in row["flags"])))
    B(Fields(fields))

    # 2. dimensions against the group
    B(Heading(t("rep.dims")))
    dims = views.dimension_vs_group(res.units, uid)
    B(Table([t("col.dimension"), t("rep.weight_dim"), t("chart.this_unit"), t("col.group_mean"), t("col.gap")],
            [[t(f"dim.{d}"), f"{model.weights[d]:.0%}", f2(u), f2(g), "—" if pd.isna(u) else f"{float(u) - float(g):+.2f}"]
             for d, u, g in zip(dims["dimension"], dims["unit"], dims["group_mean"], strict=True)],
            [3, 2, 2, 2, 2], frozenset({1, 2, 3, 4})))
    if with_charts and ok:
        B(Chart(charts.dimensions(dims, lang), 15))

    # 3. waterfall
    B(Heading(t("rep.waterfall")))
    steps = views.waterfall_steps(res.breakdown, row, model)
    labels = [_step_label(r, lang) for r in steps.itertuples()]
    B(Table([t("rep.part"), t("rep.points")], [[lab, f2(v) if k == "total" else f"{float(v):+.2f}"]
                                                for lab, k, v in zip(labels, steps["kind"], steps["value"], strict=True)
                                                if pd.notna(v)], [5, 2], frozenset({1})))
    if with_charts and ok:
        B(Chart(charts.waterfall(steps, labels, lang), 16))

    # 4. indicators
    B(Heading(t("rep.indicators")))
    ind = views.indicator_rows(res.breakdown, uid, model, lang)
    B(Table([t("col.category"), t("col.name"), t("col.raw"), t("col.score"), t("col.weight"), t("col.contribution"),
             t("col.rule")],
            [[str(r.category), str(r.name) + (f"（{r.note}）" if r.note and lang == "zh" else f" ({r.note})" if r.note else ""),
              ("—" if pd.isna(r.raw) else f"{r.raw:g}" + (f" {r.unit}" if r.unit else "")), f2(r.score),
              f"{float(r.weight) * 100:.2f}%", f2(r.contribution), str(r.rule or "")] for r in ind.itertuples()],
            [2.2, 3.2, 1.6, 1.2, 1.3, 1.4, 5.2], frozenset({2, 3, 4, 5})) if len(ind) else Para(t("rep.none"), "muted"))

    # 5. survey
    B(Heading(t("rep.survey")))
    stats = views.survey_stats(res.survey, uid)
    if stats is None:
        B(Para(t("unit.no_survey"), "muted"))
    else:
        level_ci = model.survey.ci_level if model.survey else 0.95
        B(Fields([(t("unit.n_valid"), _int(stats["n_valid"])), (t("unit.n_unknown"), _int(stats["n_unknown"])),
                  (t("unit.mean"), f2(stats["mean"])),
                  (t("rep.interval", level=level_ci), f"{f2(stats['ci_low'])} – {f2(stats['ci_high'])}"),
                  (t("unit.sat_rate"), _pct(stats["satisfaction_rate"]))]))
    if (screen := views.survey_screen(res.survey, uid)) is not None and model.survey is not None:
        B(Para(t("unit.screen_text", **screen, policy=t(f"straight.{model.survey.straight_lining}")), "muted"))
    if (rev := views.unit_reverse(res, uid)) is not None:
        shown = t("rev.hidden", k=model.reverse.min_raters) if rev["score"] is None else f2(rev["score"])
        B(Para(t("unit.reverse") + "：" + t("unit.reverse_text", n=rev["n_raters"], result=shown,
                                           rule=t(f"rev.rule.{rev['rule']}") if rev["rule"] else "")))
        line, part = views.reverse_source(inp.reverse_round, inp.participation, res.units, lang)
        B(Para(line, "muted"))
        if part is not None:
            B(Table([t("col.unit_name"), t("col.issued"), t("col.cast"), t("col.rate")],
                    [[str(r.unit_name), str(int(r.issued)), str(int(r.cast)), _pct(r.rate, 0)] for r in part.itertuples()],
                    [4, 1.3, 1.3, 1.3], frozenset({1, 2, 3})))

    # 6. compliance, bonus, deductions
    B(Heading(t("rep.compliance")))
    comp = views.compliance_rows(res.compliance, uid, model, lang)
    if len(comp):
        B(Table([t("col.item"), t("col.status"), t("col.violations"), t("col.earned"), t("col.possible"), t("col.note")],
                [[str(r.item), t(f"status.{r.status}") if isinstance(r.status, str) else "",
                  "" if pd.isna(r.violations) else f"{r.violations:g}", f2(r.earned), f2(r.possible), str(r.note or "")]
                 for r in comp.itertuples()], [4, 1.5, 1.3, 1.3, 1.3, 4], frozenset({2, 3, 4})))
    adj = [(t("rep.bonus"), f2(row["bonus"])), (t("rep.deduction"), f2(row["deduction"]))]
    if isinstance(row["veto"], str):
        adj.append((t("rep.veto"), row["veto"]))
    for b in views.burden_rows(res.burden, uid, model).itertuples():
        adj.append((f"{t('unit.burden')}：{b.name}", f"{b.value:g} {b.unit or ''} → {f2(b.points)}"))
    B(Fields(adj))

    # 7. no points
    B(Heading(t("rep.excluded")))
    ex = views.excluded_rows(res.excluded, lang)
    B(Table([t("col.column"), t("col.points"), t("col.reason")],
            [[str(r.column), t("col.points") if r.overridden else t("unit.no_points"), str(r.reason)]
             for r in ex.itertuples()], [3, 1.5, 8]) if len(ex) else Para(t("rep.none"), "muted"))

    # 8. strengths and weaknesses
    B(Heading(t("rep.strengths")))
    good, bad = views.strengths_weaknesses(res.breakdown, res.units, uid)
    for title, df in ((t("unit.strengths"), good), (t("unit.weaknesses"), bad)):
        B(Para(title))
        B(Table([t("col.name"), t("col.score"), t("col.group_mean"), t("col.gap")],
                [[str(r.name), f2(r.score), f2(r.group_mean), f"{r.gap:+.2f}"] for r in df.itertuples()],
                [5, 2, 2, 2], frozenset({1, 2, 3})) if len(df) else Para(t("rep.none"), "muted"))

    # 9. trend
    B(Heading(t("rep.trend")))
    if len(inp.history):
        hist = views.trend(inp.history)
        hist = hist.assign(grade=hist["grade"].map(lambda g: views.grade_label(model, g, lang)))
        B(Table([t("col.period"), t("col.total"), t("col.rank_overall"), t("col.rank_group"), t("col.grade"),
                 t("col.delta_total")],
                [[str(r.period), f2(r.total), _int(r.rank_overall), _int(r.rank_group), str(r.grade or ""),
                  "" if pd.isna(r.delta_total) else f"{r.delta_total:+.2f}"] for r in hist.itertuples()],
                [2, 2, 2, 2, 2, 2], frozenset({1, 2, 3, 5})))
        if with_charts and len(hist) > 1:
            B(Chart(charts.trend(hist, lang), 16))
    else:
        B(Para(t("rep.none"), "muted"))

    # 10. exemptions
    B(Heading(t("rep.exemptions")))
    exm = views.exemption_rows(res, lang, uid)
    B(Table([t("ex.target"), t("ex.reason"), t("col.document"), t("col.approved_on"), t("col.effect")],
            [[str(r.target), str(r.reason), str(r.document), str(r.approved_on), str(r.effect)] for r in exm.itertuples()],
            [2.5, 4, 2.5, 2, 4]) if len(exm) else Para(t("unit.no_exemptions"), "muted"))

    # 11. appeals
    B(Heading(t("rep.appeals")))
    if inp.appeals:
        B(Table([t("col.appeal"), t("col.appeal_target"), t("col.appeal_reason"), t("col.filed_at"), t("col.status"),
                 t("col.reply"), t("col.correction")],
                [[str(a.id), _target_label(model, a.target, lang), a.reason, a.filed_at[:10], t(f"ap.status.{a.status}"),
                  a.reply or "", "" if a.correction_version is None else str(a.correction_version)] for a in inp.appeals],
                [1, 2.6, 4, 2, 2, 4, 1.4]))
    else:
        B(Para(t("rep.none"), "muted"))

    # 12. the year so far
    year = res.period[:4]
    B(Heading(t("rep.annual", year=year, period=res.period)))
    if inp.annual is not None and len(inp.annual):
        a = inp.annual.iloc[0]
        B(Fields([(t("rep.annual_total"), f2(a["total"])), (t("col.quarters"), str(a["quarters"])),
                  (t("rep.rank_overall"), _int(a["rank_overall"])), (t("rep.rank_group"), _int(a["rank_group"])),
                  (t("rep.grade"), views.grade_label(model, a.get("grade"), lang) or "—")]))
        if inp.annual_quarters is not None and len(inp.annual_quarters):
            q = inp.annual_quarters
            B(Table([t("col.quarter"), t("col.total"), t("col.rank_overall"), t("col.grade"), t("col.share"),
                     t("col.contribution")],
                    [[str(r.quarter), f2(r.total) if r.state == "ok" else t(f"an.{r.state}"), _int(r.rank_overall),
                      views.grade_label(model, r.grade, lang), f"{r.share:.0%}" if r.state == "ok" else "",
                      f2(r.contribution) if r.state == "ok" else ""] for r in q.itertuples()],
                    [2, 2, 2, 2, 2, 2], frozenset({1, 2, 4, 5})))
    else:
        B(Para(t("rep.annual_none"), "muted"))

    return Document(
        title=t("rep.title"),
        subtitle=t("rep.subtitle", unit=row["unit_name"], unit_id=uid, period=res.period, version=inp.version),
        lines=lines, blocks=blocks, lang=lang,
        footer=t("rep.footer", office=inp.office, unit=row["unit_name"], period=res.period, page="{page}"))


def level_text(level: str, lang: str) -> str:
    return early.LEVEL_TEXT[level].get(lang)
