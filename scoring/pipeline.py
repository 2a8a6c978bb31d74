"""Score one period: inputs + model -> every unit's total, dimensions, breakdown, rank and grade.

`score_period` is orchestration over named steps — mass, performance, compliance, adjustments,
totals, grades, flags — each vectorised over units (loops run over indicators, tree nodes and
tiers only). The breakdown is built so that, per unit, the contributions plus bonus minus
deduction are the total before clipping (SPEC 2.2, 2.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring import aliases, methods, survey, tree
from scoring import compliance as comp
from scoring import grades as grading
from scoring import treatment as treating
from scoring.flags import Flag, FlagCode, NoteCode, make
from scoring.formalism import Exclusion
from scoring.inputs import PeriodInputs
from scoring.model import Indicator, MissingPolicy, Model, Scope, Treatment
from scoring.ranking import competition_rank, round_half_up
from scoring.report import Issue, Severity

# `note` is a scoring.flags.Flag with a NoteCode (no spread, a filled or dropped missing value…), or None;
# `treatment` the note of an outlier treatment that changed the raw value before scoring, or None
BREAKDOWN_COLUMNS = ["unit_id", "dimension", "code", "name", "raw", "score", "weight", "contribution", "note",
                     "treatment"]
UNIT_COLUMNS = ["unit_id", "unit_name", "unit_type", "group", "status", "total", "total_unclipped", "mass",
                "performance", "compliance", "bonus", "deduction", "rank_group", "rank_overall", "grade",
                "veto", "grade_cap", "flags"]


@dataclass
class PeriodResult:
    period: str
    model: Model
    units: pd.DataFrame  # one row per unit, see UNIT_COLUMNS; `flags` holds lists of scoring.flags.Flag
    breakdown: pd.DataFrame  # BREAKDOWN_COLUMNS: every contribution to every total
    nodes: pd.DataFrame  # units × performance tree nodes ("" = the dimension)
    survey: pd.DataFrame  # per unit survey statistics
    answers: pd.DataFrame  # unit_id, item, answer, count
    compliance: pd.DataFrame  # per unit × item earned / possible
    reverse: pd.DataFrame  # per department reverse-evaluation score, raters, suppressed
    excluded: list[Exclusion] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def indicators(self) -> pd.DataFrame:
        """The performance rows of the breakdown."""
        return self.breakdown[self.breakdown["dimension"] == "performance"]

    def to_json(self) -> dict:
        from scoring.results_json import result_to_json

        return result_to_json(self)


@dataclass(frozen=True)
class _Run:
    """What every step of one scoring run shares: the model, the inputs and the roster."""

    model: Model
    inputs: PeriodInputs
    units: pd.DataFrame  # indexed by unit_id
    scope: pd.Series  # where relative scoring compares a unit: its group, or all units

    @property
    def idx(self) -> pd.Index:
        return self.units.index

    @classmethod
    def of(cls, model: Model, inputs: PeriodInputs) -> _Run:
        units = inputs.units.drop_duplicates("unit_id").set_index("unit_id", drop=False)
        scope = units["group"] if model.model.normalise_within == Scope.GROUP else pd.Series("all", index=units.index)
        return cls(model, inputs, units, scope)


@dataclass
class _Mass:
    score: pd.Series
    stats: pd.DataFrame
    answers: pd.DataFrame
    reverse: pd.DataFrame
    reverse_rated: pd.Series  # departments whose reverse evaluation counts
    reverse_score: pd.Series
    grade_cap: pd.Series  # best tier index allowed (reverse evaluation below the floor → 1)
    rows: list[pd.DataFrame]
    screened: survey.Screened | None


@dataclass
class _Adjustments:
    bonus_raw: pd.Series
    bonus: pd.Series
    deduction: pd.Series
    veto: pd.Series  # the reason, or None


@dataclass
class _Totals:
    breakdown: pd.DataFrame
    raw: pd.Series  # before clipping
    total: pd.Series
    dims: pd.DataFrame  # mass, performance, compliance
    missing: pd.DataFrame  # required dimensions a unit lacks

    @property
    def ok(self) -> pd.Series:
        return ~self.missing.any(axis=1)


def score_period(model: Model, inputs: PeriodInputs) -> PeriodResult:
    run = _Run.of(model, inputs)
    mass = _mass(run)
    perf, nodes, perf_rows = _performance(run)
    items, comp_score, comp_rows = _compliance(run)
    adj = _adjustments(run)
    totals = _totals(run, mass, perf, comp_score, adj, [*mass.rows, perf_rows, comp_rows])
    scores = round_half_up(totals.total.where(totals.ok), model.model.rank_decimals)
    tiers, demoted = grading.grade_units(model.grades, scores, run.units["group"], totals.ok, adj.veto.notna(),
                                         mass.grade_cap)
    flags = _flags(run, mass, adj, totals, tiers, demoted)
    return PeriodResult(
        period=inputs.period, model=model, units=_unit_table(run, totals, adj, mass.grade_cap, tiers, flags),
        breakdown=totals.breakdown, nodes=nodes, survey=mass.stats, answers=mass.answers, compliance=items,
        reverse=mass.reverse, excluded=list(inputs.excluded), warnings=[*inputs.warnings, *_screen_warnings(mass.screened)],
    )


# ---------------------------------------------------------------------------------------- steps

def _mass(run: _Run) -> _Mass:
    """The survey mean per unit and, for departments, its blend with the reverse evaluation."""
    model, idx, inputs = run.model, run.idx, run.inputs
    nothing = pd.Series(np.nan, index=idx)
    out = _Mass(score=nothing, stats=pd.DataFrame(index=idx, columns=survey.STAT_COLUMNS, dtype=float),
                answers=pd.DataFrame(columns=["unit_id", "item", "answer", "count"]),
                reverse=pd.DataFrame(columns=["score", "n_raters", "n_ratings", "suppressed"]),
                reverse_rated=pd.Series(False, index=idx), reverse_score=nothing,
                grade_cap=pd.Series(0, index=idx), rows=[], screened=None)
    if model.survey is None:
        return out
    responses = inputs.survey[inputs.survey["unit_id"].isin(idx)]
    out.screened = survey.screen(survey.encode(responses, inputs.item_columns(), model.survey), model.survey)
    out.stats = survey.unit_statistics(out.screened.kept, model.survey).reindex(idx)
    out.answers = survey.answer_distribution(out.screened.kept, model.survey)
    survey_mean = out.stats["mean"]
    out.score = survey_mean.copy()
    share = pd.Series(0.0, index=idx)
    parts = [("MASS.SURVEY", survey_mean, "群众满意度调查")]
    if model.reverse is not None and not inputs.reverse.empty:
        out.reverse = survey.reverse_scores(inputs.reverse, inputs.criterion_columns(), model.survey,
                                            model.reverse.min_raters)
        out.reverse_score = out.reverse["score"].reindex(idx)
        out.reverse_rated = run.units["unit_type"].isin(model.reverse.applies_to) & out.reverse_score.notna() \
            & survey_mean.notna()
        share = pd.Series(np.where(out.reverse_rated, model.reverse.share, 0.0), index=idx)
        out.score = survey_mean * (1 - share) + out.reverse_score.fillna(0) * share
        below = out.reverse_rated & (round_half_up(out.reverse_score, model.model.rank_decimals)
                                     < model.reverse.excellent_floor)
        out.grade_cap = out.grade_cap.mask(below, 1)
        parts.append(("MASS.REVERSE", out.reverse_score.where(out.reverse_rated), "基层评议上级"))
    for code, score, name in parts:
        weight = model.weights["mass"] * (share if code == "MASS.REVERSE" else 1 - share)
        out.rows.append(_rows(idx, "mass", code, name, score, score, weight.where(score.notna(), 0.0), None))
    return out


def _performance(run: _Run) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """Every scored indicator within its comparison scope, missing values per the model's policy,
    aggregated up the tree: the dimension score, node scores and the breakdown rows."""
    model, idx = run.model, run.idx
    if model.performance is None or not model.scored_indicators:
        return pd.Series(np.nan, index=idx), pd.DataFrame(index=idx), pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    li = leaf_inputs(run)
    leaves, values, applicable, any_value = li.leaves, li.values, li.applicable, li.any_value
    scores = pd.DataFrame(index=idx, columns=leaves, dtype=float)
    notes = pd.DataFrame(None, index=idx, columns=leaves, dtype=object)
    treatments = pd.DataFrame(None, index=idx, columns=leaves, dtype=object)
    for code in leaves:
        app = applicable[code]
        leaf = li.score(model.indicators[code], model.performance.missing,
                        model.performance.treatment if model.treated(code) else None)
        scores.loc[app, code] = leaf.score
        notes.loc[app, code] = leaf.note
        treatments.loc[app, code] = leaf.treatment
    agg = tree.aggregate(scores, model.scored_children, model.tree_weights, model.aggregation,
                         model.performance.geometric_shift)
    perf = agg.node_scores[""] if "" in agg.node_scores else pd.Series(np.nan, index=idx)
    w_perf = model.weights["performance"]
    frames = []
    for code in leaves:
        app = applicable[code] & any_value
        frames.append(_rows(idx[app], "performance", code, model.indicators[code].name, values.loc[app, code],
                            scores.loc[app, code], (agg.effective[code] * w_perf)[app], notes.loc[app, code],
                            treatments.loc[app, code]))
    return perf.where(any_value), agg.node_scores.where(any_value, np.nan), pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class LeafInputs:
    """What scoring each indicator starts from: raw values (units × scored leaves, NaN where missing or
    not applicable), where each applies, which units reported anything, previous-quarter values."""

    run: _Run
    leaves: list[str]
    values: pd.DataFrame
    applicable: pd.DataFrame
    any_value: pd.Series
    previous: dict[str, pd.DataFrame]

    def score(self, ind: Indicator, policy: MissingPolicy, treatment: Treatment | None) -> LeafScores:
        """`score_leaf` of one indicator (possibly with another method) over the units it applies to."""
        code, app = ind.code, self.applicable[ind.code]
        x = self.values.loc[app, code]
        return score_leaf(ind, x, self.run.scope[app], x.isna() & self.any_value[app], policy,
                          self.run.model.performance.efficacy_floor, treatment, self.previous.get(code))


def leaf_inputs(run: _Run) -> LeafInputs:
    model, idx, units = run.model, run.idx, run.units
    leaves = [i.code for i in model.scored_indicators]
    values = run.inputs.indicators.pivot_table(index="unit_id", columns="code", values="value", aggfunc="last")
    values = values.reindex(index=idx, columns=leaves).astype(float)
    types = units["unit_type"].unique()
    applicable = pd.DataFrame({c: units["unit_type"].map({t: model.applies(c, t) for t in types}) for c in leaves},
                              index=idx).astype(bool)
    values = values.where(applicable)
    return LeafInputs(run, leaves, values, applicable, values.notna().any(axis=1), _previous(run))


@dataclass
class LeafScores:
    """One indicator's scores for the units it applies to, with the note of each filled, dropped or
    full-marks value (`note`) and of each treated raw value (`treatment`), Flags or None."""

    score: pd.Series
    note: pd.Series
    treatment: pd.Series


def score_leaf(ind: Indicator, values: pd.Series, scope: pd.Series, missing: pd.Series, policy: MissingPolicy,
               efficacy_floor: float, treatment: Treatment | None = None, previous: pd.DataFrame | None = None
               ) -> LeafScores:
    """Score one indicator as the pipeline does, in order: fill missing raw values from the previous
    quarter (policy `previous`), treat outliers (`treatment`, None = off), score within the comparison
    scope, then apply the missing policy to the scores. `missing` marks the units whose value is
    missing and must be filled or reweighted; `previous` is indexed by unit with `value` and `period`.
    Shared by the pipeline and the method-choice sensitivity analysis, which must agree with it."""
    raw = values.astype(float).copy()
    note = pd.Series(None, index=values.index, dtype=object)
    if policy == MissingPolicy.PREVIOUS and previous is not None and len(previous):
        prev = previous.reindex(values.index)
        fill = missing & prev["value"].notna()
        raw[fill] = prev.loc[fill, "value"]
        missing = missing & ~fill
    else:
        fill = pd.Series(False, index=values.index)
    treated = pd.Series(None, index=values.index, dtype=object)
    if treatment is not None:
        raw, treated = treating.treat(raw, scope, treatment)
    s, no_spread = methods.score_indicator(ind, raw, scope, efficacy_floor)
    note[no_spread.to_numpy()] = make(NoteCode.NO_SPREAD)
    if fill.any():
        note[fill] = [make(NoteCode.MISSING_PREVIOUS, value=float(v), period=str(p))
                      for v, p in zip(previous.reindex(values.index).loc[fill, "value"],
                                      previous.reindex(values.index).loc[fill, "period"], strict=True)]
    _fill_missing(policy, s, note, missing, scope)
    return LeafScores(s, note, treated)


def _previous(run: _Run) -> dict[str, pd.DataFrame]:
    """The previous quarter's values per indicator code, indexed by unit (value, period)."""
    prev = run.inputs.previous
    if prev is None or prev.empty:
        return {}
    prev = prev.dropna(subset=["value"]).drop_duplicates(["unit_id", "code"], keep="last")
    return {code: g.set_index("unit_id")[["value", "period"]] for code, g in prev.groupby("code", sort=False)}


def _fill_missing(policy: MissingPolicy, scores: pd.Series, notes: pd.Series, missing: pd.Series,
                  scope: pd.Series) -> None:
    """Apply the missing-value policy in place; every filled or dropped value gets a note. The
    `previous` policy filled raw values before scoring; what it could not fill is reweighted."""
    if policy == MissingPolicy.ZERO:
        scores[missing] = 0.0
        notes[missing] = make(NoteCode.MISSING_ZERO)
        return
    if policy in (MissingPolicy.GROUP_MEAN, MissingPolicy.GROUP_MEDIAN):
        median = policy == MissingPolicy.GROUP_MEDIAN
        fill = scores.groupby(scope).transform("median" if median else "mean")
        filled = missing & fill.notna()
        scores[filled] = fill[filled]
        code = NoteCode.MISSING_GROUP_MEDIAN if median else NoteCode.MISSING_GROUP_MEAN
        notes[filled] = [make(code, value=float(v)) for v in fill[filled]]
        missing = missing & ~filled  # nobody in the group reported it: nothing to fill with, so reweight
    notes[missing] = make(NoteCode.MISSING_REWEIGHTED)


def _compliance(run: _Run) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Per unit × item earned/possible, the dimension score and the breakdown rows."""
    model, idx = run.model, run.idx
    items = comp.item_results(run.inputs.compliance[run.inputs.compliance["unit_id"].isin(idx)], model.compliance)
    dims = comp.dimension_scores(items, model.compliance).reindex(idx)
    return items, dims["score"], _compliance_rows(model, items, dims, model.weights["compliance"])


def _adjustments(run: _Run) -> _Adjustments:
    """Bonus (capped), deduction (capped) and the veto reason per unit."""
    spec = run.model.adjustments
    adj = run.inputs.adjustments.drop_duplicates("unit_id", keep="last").set_index("unit_id").reindex(run.idx)
    bonus_raw = pd.to_numeric(adj["bonus"], errors="coerce").fillna(0.0)
    return _Adjustments(
        bonus_raw=bonus_raw, bonus=bonus_raw.clip(upper=spec.bonus_cap),
        deduction=pd.to_numeric(adj["deduction"], errors="coerce").fillna(0.0).clip(upper=spec.deduction_cap),
        veto=adj["veto"].map(aliases.veto_reason).astype(object))


def _totals(run: _Run, mass: _Mass, perf: pd.Series, compliance: pd.Series, adj: _Adjustments,
            rows: list[pd.DataFrame]) -> _Totals:
    parts = [r for r in rows if not r.empty]
    breakdown = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    contrib = breakdown.groupby("unit_id", sort=False)["contribution"].sum().reindex(run.idx).fillna(0.0)
    raw = contrib + adj.bonus - adj.deduction
    dims = pd.DataFrame({"mass": mass.score, "performance": perf, "compliance": compliance})
    return _Totals(breakdown, raw, raw.clip(0.0, 100.0), dims, dims[list(run.model.required_dimensions)].isna())


def _flags(run: _Run, mass: _Mass, adj: _Adjustments, totals: _Totals, tiers: pd.Series,
           demoted: pd.Series) -> pd.Series:
    """Every unit's flags, in a fixed order of codes."""
    model, idx = run.model, run.idx
    flags: dict[str, list[Flag]] = {u: [] for u in idx}
    stats = mass.stats
    if model.survey is not None:
        for u in idx[stats["low_sample"].fillna(False).astype(bool) & stats["n_valid"].notna()]:
            flags[u].append(make(FlagCode.LOW_SAMPLE, n=int(stats.at[u, "n_valid"]), min=model.survey.min_sample))
        if model.survey.respondent_groups:
            for u in idx[stats["n_uncategorised"].fillna(0) > 0]:
                flags[u].append(make(FlagCode.UNCATEGORISED, n=int(stats.at[u, "n_uncategorised"])))
            for u in idx[stats["weighted"].eq(False)]:
                flags[u].append(make(FlagCode.UNWEIGHTED))
    if model.reverse is not None and not mass.reverse.empty:
        departments = run.units["unit_type"].isin(model.reverse.applies_to)
        suppressed = mass.reverse["suppressed"].reindex(idx).fillna(False).astype(bool) & departments
        for u in idx[suppressed]:
            flags[u].append(make(FlagCode.REVERSE_SUPPRESSED, k=model.reverse.min_raters))
        top = model.grades.tier[0]
        for u in idx[mass.grade_cap > 0]:
            flags[u].append(make(FlagCode.REVERSE_BELOW_FLOOR, score=float(mass.reverse_score[u]),
                                 floor=model.reverse.excellent_floor, tier=top.label, tier_en=top.label_en))
    for u in idx[adj.bonus_raw > adj.bonus]:
        flags[u].append(make(FlagCode.BONUS_CAPPED, bonus=float(adj.bonus_raw[u]), cap=model.adjustments.bonus_cap))
    for u in idx[totals.raw != totals.total]:
        flags[u].append(make(FlagCode.CLIPPED, raw=float(totals.raw[u])))
    for u in idx[~totals.ok]:
        flags[u].append(make(FlagCode.INCOMPLETE, dimensions=[d for d in totals.missing.columns if totals.missing.at[u, d]]))
    for u in idx[adj.veto.notna()]:
        flags[u].append(make(FlagCode.VETO, reason=adj.veto[u]))
    for u in idx[demoted & totals.ok]:
        tier = model.grades.tier[tiers[u]]
        flags[u].append(make(FlagCode.QUOTA, tier=tier.label, tier_en=tier.label_en))
    return pd.Series(flags)


def _unit_table(run: _Run, totals: _Totals, adj: _Adjustments, grade_cap: pd.Series, tiers: pd.Series,
                flags: pd.Series) -> pd.DataFrame:
    units, ok, decimals = run.units, totals.ok, run.model.model.rank_decimals
    score_ok = totals.total.where(ok)
    labels = np.array(run.model.tier_labels(), dtype=object)
    out = pd.DataFrame({
        "unit_id": run.idx, "unit_name": units["unit_name"], "unit_type": units["unit_type"], "group": units["group"],
        "status": np.where(ok, "ok", "incomplete"),
        "total": score_ok, "total_unclipped": totals.raw.where(ok),
        **{d: totals.dims[d] for d in totals.dims.columns},
        "bonus": adj.bonus, "deduction": adj.deduction,
        "rank_group": competition_rank(score_ok, decimals, by=units["group"]),
        "rank_overall": competition_rank(score_ok, decimals),
        "grade": pd.Series(np.where(ok, labels[tiers.to_numpy()], None), index=run.idx),
        "veto": adj.veto, "grade_cap": grade_cap, "flags": flags,
    }, index=run.idx)
    return out[UNIT_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------- helpers

def _rows(idx, dimension, code, name, raw, score, weight, note, treatment=None) -> pd.DataFrame:
    weight = pd.Series(weight, index=idx, dtype=float)
    score = pd.Series(score, index=idx, dtype=float)
    return pd.DataFrame({
        "unit_id": idx, "dimension": dimension, "code": code, "name": name,
        "raw": pd.Series(raw, index=idx, dtype=float), "score": score, "weight": weight,
        "contribution": (weight * score).where(weight > 0, 0.0).fillna(0.0),
        "note": note,
        "treatment": pd.Series(treatment, index=idx, dtype=object).map(lambda t: t if isinstance(t, Flag) else None),
    })


def _screen_warnings(screened: survey.Screened | None) -> list[Issue]:
    if screened is None:
        return []
    out = []
    for frame, zh, en in ((screened.duplicates, "条重复问卷编号已剔除", "duplicate response ids removed"),
                          (screened.straight_liners, "份问卷所有题目答案完全相同，已剔除", "straight-lining respondents removed")):
        if len(frame):
            ids = "、".join(map(str, frame["response_id"].head(10)))
            out.append(Issue(Severity.WARNING, "", f"群众评价：{len(frame)} {zh}（{ids}）",
                             f"survey: {len(frame)} {en} ({ids})"))
    return out


def _compliance_rows(model: Model, items: pd.DataFrame, dims: pd.DataFrame, w_comp: float) -> pd.DataFrame:
    names = {i.code: i.name for i in model.compliance.item}
    if items.empty:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    df = items[items["earned"].notna()].copy()
    if model.compliance.style == "points":
        possible = df.groupby("unit_id")["possible"].transform("sum")
        df["score"] = df["earned"] / df["possible"] * 100
        df["weight"] = w_comp * df["possible"] / possible
        extra = pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    else:
        df["score"] = df["earned"]  # a deduction, as negative points
        df["weight"] = w_comp
        base = dims["score"].dropna()
        floor = dims.loc[base.index, "floor_added"]
        floored = floor.index[floor > 0]
        extra = pd.concat([
            _rows(base.index, "compliance", "COMP.BASE", "基础分", 100.0, 100.0, w_comp, None),
            _rows(floored, "compliance", "COMP.FLOOR", "保底至 0 分", floor[floored], floor[floored], w_comp,
                  make(NoteCode.DEDUCTIONS_FLOORED)),
        ], ignore_index=True)
    df["contribution"] = df["weight"] * df["score"]
    out = pd.DataFrame({
        "unit_id": df["unit_id"], "dimension": "compliance", "code": df["item"], "name": df["item"].map(names),
        "raw": df["status"].where(df["status"].notna(), df["points"]), "score": df["score"], "weight": df["weight"],
        "contribution": df["contribution"], "note": None, "treatment": None,
    })
    return pd.concat([out, extra], ignore_index=True) if not extra.empty else out
