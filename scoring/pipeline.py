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
from scoring.model import BelowK, Indicator, MissingPolicy, Model, ReverseCycle, Scope, Treatment
from scoring.ranking import competition_rank, round_half_up
from scoring.report import Issue, Severity

# `note` is a scoring.flags.Flag with a NoteCode (no spread, a filled or dropped missing value…), or None;
# `treatment` the note of an outlier treatment that changed the raw value before scoring, or None
BREAKDOWN_COLUMNS = ["unit_id", "dimension", "code", "name", "raw", "score", "weight", "contribution", "note",
                     "treatment"]
# per exemption: what it waives (kind veto | deduction | level | item, key = level name or item code),
# whether it applied (something was there to waive) and the deduction points it waived
EXEMPTION_REPORT = ["unit_id", "target", "kind", "key", "reason", "document", "approved_on", "applied", "waived_points"]
BURDEN_COLUMNS = ["unit_id", "code", "name", "value", "points"]  # 减负成效 per unit and measure
UNIT_COLUMNS = ["unit_id", "unit_name", "unit_type", "group", "status", "total", "total_unclipped", "mass",
                "performance", "compliance", "bonus", "deduction", "rank_group", "rank_overall", "grade",
                "veto", "grade_cap", "n_raters", "reverse_rule", "flags"]


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
    exemptions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EXEMPTION_REPORT))  # 容错纠错
    burden: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BURDEN_COLUMNS))  # 减负成效
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
class _Reverse:
    """基层评议上级 as it counts in this period (SPEC 2.5, issue 13 §6)."""

    table: pd.DataFrame  # per rated department: score, raters, ratings, suppressed, one column per criterion
    n_raters: pd.Series  # per unit: distinct raters (0 when none) for the rated unit types, NaN otherwise
    used: pd.Series  # the value in the department's mass score: its own result or, below k, the group mean
    counts: pd.Series  # departments whose reverse share counts (their result, or a fill under the below-k policy)
    below_k: pd.Series  # departments rated by fewer than k distinct raters in a period with ratings
    filled: pd.Series  # below k and filled with the group mean (below_k = "group_mean")
    missing: pd.Series  # below k and therefore incomplete (below_k = "incomplete")
    grade_cap: pd.Series  # best tier index allowed (own result below the floor → 1)

    def rule(self, cycle: ReverseCycle | None) -> pd.Series:
        """What counted for each rated department: "own" result, "group_mean", "survey_only",
        "incomplete", or "year" (a yearly evaluation, counted in the annual result); None otherwise."""
        rule = pd.Series(None, index=self.n_raters.index, dtype=object)
        rated = self.n_raters.notna()
        if cycle == ReverseCycle.YEAR:
            return rule.mask(rated, "year")
        rule[rated & ~self.below_k] = "own"
        rule[rated & self.below_k] = "survey_only"
        rule[self.filled] = "group_mean"
        rule[self.missing] = "incomplete"
        return rule

    @classmethod
    def none(cls, idx: pd.Index, criteria: tuple[str, ...] = ()) -> _Reverse:
        no = pd.Series(False, index=idx)
        return cls(pd.DataFrame(columns=survey.REVERSE_COLUMNS + list(criteria)), pd.Series(np.nan, index=idx),
                   pd.Series(np.nan, index=idx), no, no, no, no, pd.Series(0, index=idx))


@dataclass
class _Mass:
    score: pd.Series
    stats: pd.DataFrame
    answers: pd.DataFrame
    reverse: _Reverse
    rows: list[pd.DataFrame]
    screened: survey.Screened | None

    @property
    def grade_cap(self) -> pd.Series:
        return self.reverse.grade_cap


@dataclass
class _Exemptions:
    """容错纠错: the period's approved exemptions of the roster's units, each with what it waives."""

    table: pd.DataFrame  # EXEMPTION_REPORT; `applied` and `waived_points` are filled in by the steps that waive

    @classmethod
    def of(cls, run: _Run) -> _Exemptions:
        ex = run.inputs.exemptions
        ex = ex[ex["unit_id"].isin(run.idx)].reset_index(drop=True)
        kind = ex["target"].str.partition(":")[0] if len(ex) else pd.Series(dtype=object)
        key = ex["target"].str.partition(":")[2] if len(ex) else pd.Series(dtype=object)
        return cls(ex.assign(kind=kind, key=key, applied=False, waived_points=0.0)[EXEMPTION_REPORT])

    def rows(self, kind: str) -> pd.DataFrame:
        return self.table[self.table["kind"] == kind]

    def documents(self, rows: pd.DataFrame) -> pd.Series:
        """Per unit, the approving documents of these exemptions, as one text."""
        return rows.groupby("unit_id", sort=False)["document"].agg(lambda d: "、".join(dict.fromkeys(d)))


@dataclass
class _Adjustments:
    bonus_raw: pd.Series
    bonus: pd.Series
    deduction: pd.Series
    veto: pd.Series  # the reason, or None (also when an exemption waived it)
    veto_waived: pd.Series  # the reason of a veto an exemption waived, or None
    deduction_waived: pd.Series  # points an exemption waived
    burden: pd.Series  # the 减负成效 bonus (within the category's cap), part of bonus_raw
    burden_rows: pd.DataFrame  # BURDEN_COLUMNS: each measure's value and the points it earned


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
    exempt = _Exemptions.of(run)
    mass = _mass(run)
    perf, nodes, perf_rows = _performance(run)
    items, comp_score, comp_rows = _compliance(run, exempt)
    adj = _adjustments(run, exempt)
    totals = _totals(run, mass, perf, comp_score, adj, [*mass.rows, perf_rows, comp_rows])
    scores = round_half_up(totals.total.where(totals.ok), model.model.rank_decimals)
    tiers, demoted = grading.grade_units(model.grades, scores, run.units["group"], totals.ok, adj.veto.notna(),
                                         mass.grade_cap)
    flags = _flags(run, mass, adj, exempt, items, totals, tiers, demoted)
    return PeriodResult(
        period=inputs.period, model=model, units=_unit_table(run, totals, adj, mass.reverse, tiers, flags),
        breakdown=totals.breakdown, nodes=nodes, survey=mass.stats, answers=mass.answers, compliance=items,
        reverse=mass.reverse.table, exemptions=exempt.table, burden=adj.burden_rows, excluded=list(inputs.excluded), warnings=[*inputs.warnings, *_screen_warnings(mass.screened)],
    )


# ---------------------------------------------------------------------------------------- steps

def _mass(run: _Run) -> _Mass:
    """The survey mean per unit and, for departments, its blend with the reverse evaluation."""
    model, idx, inputs = run.model, run.idx, run.inputs
    nothing = pd.Series(np.nan, index=idx)
    out = _Mass(score=nothing, stats=pd.DataFrame(index=idx, columns=survey.STAT_COLUMNS + survey.SCREEN_COLUMNS,
                                                  dtype=float),
                answers=pd.DataFrame(columns=["unit_id", "item", "answer", "count"]),
                reverse=_Reverse.none(idx), rows=[], screened=None)
    if model.survey is None:
        return out
    responses = inputs.survey[inputs.survey["unit_id"].isin(idx)]
    out.screened = survey.screen(survey.encode(responses, inputs.item_columns(), model.survey), model.survey)
    stats = survey.unit_statistics(out.screened.kept, model.survey).reindex(idx)
    out.stats = stats.join(out.screened.summary.reindex(idx))
    out.answers = survey.answer_distribution(out.screened.kept, model.survey)
    survey_mean = out.stats["mean"]
    out.reverse = rev = _reverse(run, survey_mean)
    share = pd.Series(np.where(rev.counts, model.reverse.share if model.reverse else 0.0, 0.0), index=idx)
    out.score = survey_mean * (1 - share) + rev.used.fillna(0) * share
    parts = [("MASS.SURVEY", survey_mean, "群众满意度调查", None)]
    if model.reverse is not None:
        notes = pd.Series([make(NoteCode.REVERSE_FILLED, value=float(rev.used[u]), n=int(rev.n_raters[u]),
                                k=model.reverse.min_raters) if rev.filled[u] else None for u in idx],
                          index=idx, dtype=object)
        parts.append(("MASS.REVERSE", rev.used.where(rev.counts), "基层评议上级", notes))
    for code, score, name, note in parts:
        weight = model.weights["mass"] * (share if code == "MASS.REVERSE" else 1 - share)
        out.rows.append(_rows(idx, "mass", code, name, score, score, weight.where(score.notna(), 0.0), note))
    return out


def _reverse(run: _Run, survey_mean: pd.Series) -> _Reverse:
    """Each rated department's result and what it counts for: its own result with at least k distinct
    raters; below k, what the model's `below_k` says (the group mean of the shown departments, the
    survey alone, or incomplete). A yearly evaluation (`cycle = "year"`) is reported here and counts
    in the annual result, not in the quarter."""
    model, idx, inputs = run.model, run.idx, run.inputs
    spec = model.reverse
    if spec is None or model.survey is None:
        return _Reverse.none(idx)
    out = _Reverse.none(idx, spec.criteria)
    if inputs.reverse.empty:
        return out
    out.table = survey.reverse_scores(inputs.reverse, inputs.criterion_columns(), model.survey, spec.min_raters)
    rated = run.units["unit_type"].isin(spec.applies_to)
    out.n_raters = out.table["n_raters"].reindex(idx).astype(float).fillna(0.0).where(rated)
    if spec.cycle == ReverseCycle.YEAR:
        return out
    own = out.table["score"].reindex(idx).astype(float)
    shown = rated & own.notna() & survey_mean.notna()
    out.used = own.where(shown)
    out.counts = shown.copy()
    below = rated & own.isna()
    if spec.below_k == BelowK.SURVEY_ONLY:  # as before 2026.2: only departments with some ratings are told
        out.below_k = below & idx.isin(out.table.index)
    else:
        out.below_k = below
    if spec.below_k == BelowK.GROUP_MEAN:
        groups = run.units["group"]
        fill = own.where(shown).groupby(groups).transform("mean")
        fill = fill.fillna(own.where(shown).mean())  # a group without any shown department: all departments
        out.filled = out.below_k & fill.notna() & survey_mean.notna()
        out.used = out.used.where(~out.filled, fill)
        out.counts = out.counts | out.filled
    elif spec.below_k == BelowK.INCOMPLETE:
        out.missing = out.below_k.copy()
    below_floor = shown & (round_half_up(own, model.model.rank_decimals) < spec.excellent_floor)
    out.grade_cap = out.grade_cap.mask(below_floor, 1)
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


def _compliance(run: _Run, exempt: _Exemptions) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Per unit × item earned/possible, the dimension score and the breakdown rows. An exemption of
    an item waives the points it lost (full points; no deduction), with the document in `waived`."""
    model, idx = run.model, run.idx
    rows = run.inputs.compliance[run.inputs.compliance["unit_id"].isin(idx)]
    limited = {c.code: set(c.applies_to) for c in model.compliance.item if c.applies_to}
    if limited and len(rows):  # an item for some unit types only (精文简会 for departments) is not assessed for others
        types = rows["unit_id"].map(run.units["unit_type"])
        rows = rows[np.array([i not in limited or t in limited[i] for i, t in zip(rows["item"], types, strict=True)],
                             dtype=bool)]
    items = comp.item_results(rows, model.compliance)
    items["waived"] = None
    ex = exempt.rows("item")
    if len(ex) and len(items):
        lost = items["earned"] < (items["possible"] if model.compliance.style == "points" else 0.0)
        docs = ex.groupby(["unit_id", "key"])["document"].agg(lambda d: "、".join(dict.fromkeys(d)))
        keys = pd.MultiIndex.from_arrays([items["unit_id"], items["item"]])
        waived = lost.to_numpy() & keys.isin(docs.index)
        items.loc[waived, "waived"] = docs.reindex(keys[waived]).to_numpy()
        items.loc[waived, "earned"] = items.loc[waived, "possible"] if model.compliance.style == "points" else 0.0
        done = set(zip(items.loc[waived, "unit_id"], items.loc[waived, "item"], strict=True))
        hit = [(u, k) in done for u, k in zip(ex["unit_id"], ex["key"], strict=True)]
        exempt.table.loc[ex.index[hit], "applied"] = True
    dims = comp.dimension_scores(items, model.compliance).reindex(idx)
    return items, dims["score"], _compliance_rows(model, items, dims, model.weights["compliance"])


def _adjustments(run: _Run, exempt: _Exemptions) -> _Adjustments:
    """Bonus (capped), deduction (capped) and the veto reason per unit, after the exemptions: one of
    the veto waives it (kept as `veto_waived`), one of the deduction waives all of it, one of a
    deduction level (通报批评 …) waives that level's points."""
    spec = run.model.adjustments
    idx = run.idx
    adj = run.inputs.adjustments.drop_duplicates("unit_id", keep="last").set_index("unit_id").reindex(idx)
    burden, burden_rows = _burden(run)
    bonus_raw = pd.to_numeric(adj["bonus"], errors="coerce").fillna(0.0) + burden
    deduction = pd.to_numeric(adj["deduction"], errors="coerce").fillna(0.0)
    veto = adj["veto"].map(aliases.veto_reason).astype(object)
    table = exempt.table
    whole = idx.isin(exempt.rows("deduction")["unit_id"])
    levels = exempt.rows("level").drop_duplicates(["unit_id", "key"])
    points_of = lambda keys: keys.map(lambda k: float(spec.deduction_levels.get(k, 0.0))).astype(float)  # noqa: E731
    level_points = points_of(levels["key"]).groupby(levels["unit_id"]).sum()
    waived = pd.Series(np.where(whole, deduction, np.minimum(level_points.reindex(idx).fillna(0.0), deduction)), index=idx)
    for kind in ("deduction", "level"):
        rows = exempt.rows(kind)
        had = deduction.reindex(rows["unit_id"]).to_numpy() > 0
        table.loc[rows.index, "applied"] = had
        points = deduction.reindex(rows["unit_id"]).to_numpy() if kind == "deduction" else \
            np.minimum(points_of(rows["key"]).to_numpy(), deduction.reindex(rows["unit_id"]).to_numpy())
        table.loc[rows.index, "waived_points"] = np.where(had, points, 0.0)
    vetoes = exempt.rows("veto")
    veto_waived = veto.where(idx.isin(vetoes["unit_id"]) & veto.notna())
    table.loc[vetoes.index, "applied"] = veto.reindex(vetoes["unit_id"]).notna().to_numpy()
    return _Adjustments(
        bonus_raw=bonus_raw, bonus=bonus_raw.clip(upper=spec.bonus_cap),
        deduction=(deduction - waived).clip(upper=spec.deduction_cap),
        veto=veto.where(veto_waived.isna()).astype(object), veto_waived=veto_waived.astype(object),
        deduction_waived=waived, burden=burden, burden_rows=burden_rows)


def _burden(run: _Run) -> tuple[pd.Series, pd.DataFrame]:
    """减负成效: each measure's value (reported like an indicator, e.g. forms merged under 多表合一, or
    meetings cut against the annual plan in %) times its points per unit, within its own cap; the
    category within its cap. A measure applies to the unit types the model says."""
    spec = run.model.adjustments.burden
    idx = run.idx
    if spec is None or not spec.measure:
        return pd.Series(0.0, index=idx), pd.DataFrame(columns=BURDEN_COLUMNS)
    measures = {m.code: m for m in spec.measure}
    ind = run.inputs.indicators
    rows = ind[ind["code"].isin(measures) & ind["unit_id"].isin(idx)].drop_duplicates(["unit_id", "code"], keep="last")
    types = rows["unit_id"].map(run.units["unit_type"])
    keep = [not measures[c].applies_to or t in measures[c].applies_to for c, t in zip(rows["code"], types, strict=True)]
    rows = rows[np.array(keep, dtype=bool)]
    value = rows["value"].astype(float)
    per = rows["code"].map(lambda c: measures[c].per).astype(float)
    cap = rows["code"].map(lambda c: measures[c].cap if measures[c].cap is not None else np.inf).astype(float)
    points = np.minimum(value.clip(lower=0.0) * per, cap).fillna(0.0)
    out = pd.DataFrame({"unit_id": rows["unit_id"], "code": rows["code"],
                        "name": rows["code"].map(lambda c: measures[c].name), "value": value, "points": points})
    total = points.groupby(rows["unit_id"]).sum().reindex(idx).fillna(0.0).clip(upper=spec.cap)
    return total, out[BURDEN_COLUMNS].reset_index(drop=True)


def _totals(run: _Run, mass: _Mass, perf: pd.Series, compliance: pd.Series, adj: _Adjustments,
            rows: list[pd.DataFrame]) -> _Totals:
    parts = [r for r in rows if not r.empty]
    breakdown = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    contrib = breakdown.groupby("unit_id", sort=False)["contribution"].sum().reindex(run.idx).fillna(0.0)
    raw = contrib + adj.bonus - adj.deduction
    dims = pd.DataFrame({"mass": mass.score, "performance": perf, "compliance": compliance})
    missing = dims[list(run.model.required_dimensions)].isna()
    if mass.reverse.missing.any():  # below k raters under below_k = "incomplete"
        missing["reverse"] = mass.reverse.missing
    return _Totals(breakdown, raw, raw.clip(0.0, 100.0), dims, missing)


def _flags(run: _Run, mass: _Mass, adj: _Adjustments, exempt: _Exemptions, items: pd.DataFrame, totals: _Totals,
           tiers: pd.Series, demoted: pd.Series) -> pd.Series:
    """Every unit's flags, in a fixed order of codes."""
    model, idx = run.model, run.idx
    flags: dict[str, list[Flag]] = {u: [] for u in idx}
    stats = mass.stats
    if model.survey is not None:
        for u in idx[stats["low_sample"].fillna(False).astype(bool) & stats["n_valid"].notna()]:
            flags[u].append(make(FlagCode.LOW_SAMPLE, n=int(stats.at[u, "n_valid"]), min=model.survey.min_sample))
        for u in idx[stats["n_straight_dropped"].fillna(0) > 0]:
            flags[u].append(make(FlagCode.STRAIGHT_LINING, n=int(stats.at[u, "n_straight_lining"]),
                                 dropped=int(stats.at[u, "n_straight_dropped"])))
        for u in idx[stats["screen_guarded"].eq(True)]:
            flags[u].append(make(FlagCode.SCREEN_GUARDED, n=int(stats.at[u, "n_straight_lining"])))
        if model.survey.respondent_groups:
            for u in idx[stats["n_uncategorised"].fillna(0) > 0]:
                flags[u].append(make(FlagCode.UNCATEGORISED, n=int(stats.at[u, "n_uncategorised"])))
            for u in idx[stats["weighted"].eq(False)]:
                flags[u].append(make(FlagCode.UNWEIGHTED))
    rev = mass.reverse
    if model.reverse is not None and model.reverse.cycle == ReverseCycle.QUARTER:
        for u in idx[rev.below_k]:
            flags[u].append(make(FlagCode.REVERSE_SUPPRESSED, k=model.reverse.min_raters))
        for u in idx[rev.filled]:
            flags[u].append(make(FlagCode.REVERSE_GROUP_MEAN, n=int(rev.n_raters[u]), k=model.reverse.min_raters,
                                 value=float(rev.used[u])))
        top = model.grades.tier[0]
        for u in idx[rev.grade_cap > 0]:
            flags[u].append(make(FlagCode.REVERSE_BELOW_FLOOR, score=float(rev.used[u]),
                                 floor=model.reverse.excellent_floor, tier=top.label, tier_en=top.label_en))
    for u in idx[adj.burden > 0]:
        flags[u].append(make(FlagCode.BURDEN_BONUS, points=float(adj.burden[u]),
                             name=model.adjustments.burden.name, name_en=model.adjustments.burden.name_en))
    for u in idx[adj.bonus_raw > adj.bonus]:
        flags[u].append(make(FlagCode.BONUS_CAPPED, bonus=float(adj.bonus_raw[u]), cap=model.adjustments.bonus_cap))
    for u in idx[totals.raw != totals.total]:
        flags[u].append(make(FlagCode.CLIPPED, raw=float(totals.raw[u])))
    for u in idx[~totals.ok]:
        flags[u].append(make(FlagCode.INCOMPLETE, dimensions=[d for d in totals.missing.columns if totals.missing.at[u, d]]))
    for u in idx[adj.veto.notna()]:
        flags[u].append(make(FlagCode.VETO, reason=adj.veto[u]))
    docs = exempt.documents(exempt.table[exempt.table["applied"]])
    for u in idx[adj.veto_waived.notna()]:
        flags[u].append(make(FlagCode.VETO_WAIVED, reason=adj.veto_waived[u], document=docs[u]))
    for u in idx[adj.deduction_waived > 0]:
        flags[u].append(make(FlagCode.DEDUCTION_WAIVED, points=float(adj.deduction_waived[u]), document=docs[u]))
    names = {c.code: c.name for c in model.compliance.item}
    for r in items[items["waived"].notna()].itertuples() if "waived" in items else ():
        flags[r.unit_id].append(make(FlagCode.COMPLIANCE_WAIVED, item=names.get(r.item, r.item), document=r.waived))
    for r in exempt.table[~exempt.table["applied"]].itertuples():
        zh, en = exemption_target(model, r.target)
        flags[r.unit_id].append(make(FlagCode.EXEMPTION_UNUSED, target=zh, target_en=en, document=r.document))
    for u in idx[demoted & totals.ok]:
        tier = model.grades.tier[tiers[u]]
        flags[u].append(make(FlagCode.QUOTA, tier=tier.label, tier_en=tier.label_en))
    return pd.Series(flags)


def _unit_table(run: _Run, totals: _Totals, adj: _Adjustments, reverse: _Reverse, tiers: pd.Series,
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
        "veto": adj.veto, "grade_cap": reverse.grade_cap, "n_raters": reverse.n_raters.round().astype("Int64"),
        "reverse_rule": reverse.rule(run.model.reverse.cycle if run.model.reverse else None), "flags": flags,
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
    """What the survey screens removed or marked, for the whole period (per unit: PeriodResult.survey)."""
    if screened is None:
        return []
    out = []

    if len(dup := screened.duplicates):  # a count, never the response ids: they are free text from the cells
        out.append(Issue(Severity.WARNING, "", f"群众评价：{len(dup)} 条重复问卷编号已剔除",
                         f"survey: {len(dup)} duplicate response ids removed"))
    liners, dropped = screened.straight_liners, screened.dropped
    if len(dropped):
        out.append(Issue(Severity.WARNING, "", f"群众评价：{len(liners)} 份问卷所有题目答案相同，按模型规则剔除 {len(dropped)} 份",
                         f"survey: {len(liners)} respondents gave one identical answer throughout; {len(dropped)} dropped "
                         "under the model's rule"))
    elif len(liners):
        out.append(Issue(Severity.WARNING, "", f"群众评价：{len(liners)} 份问卷所有题目答案相同，已标记，未剔除",
                         f"survey: {len(liners)} respondents gave one identical answer throughout: marked, not dropped"))
    if (guarded := screened.summary.index[screened.summary["screen_guarded"]]).size:
        out.append(Issue(Severity.WARNING, "", f"群众评价：剔除答案雷同问卷会使 {'、'.join(map(str, guarded[:10]))} "
                         "没有有效问卷，这些单位的问卷全部保留",
                         f"survey: dropping identical answers would leave {', '.join(map(str, guarded[:10]))} without a "
                         "valid respondent: all of theirs are kept"))
    return out


def exemption_target(model: Model, target: str) -> tuple[str, str]:
    """What an exemption's canonical target names, in Chinese and English."""
    kind, _, key = str(target).partition(":")
    if kind == "veto":
        return "一票否决", "the veto"
    if kind == "deduction":
        return "扣分", "the deduction"
    if kind == "item":
        name = next((c.name for c in model.compliance.item if c.code == key), key)
        return f"{name}（{key}）", f"{name} ({key})"
    return key, key


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
        "contribution": df["contribution"],
        "note": [make(NoteCode.WAIVED, document=w) if isinstance(w, str) else None for w in df.get("waived", [None] * len(df))],
        "treatment": None,
    })
    return pd.concat([out, extra], ignore_index=True) if not extra.empty else out
