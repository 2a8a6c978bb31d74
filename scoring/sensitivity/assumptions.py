"""Uncertainty over method choices, not only weights (COINr's `get_sensitivity` over assumptions), on
the vectorised kernel.

An analysis varies any of these assumptions, each sample drawing one option of each uniformly:

    weights       the dimension weights, independent raw weights U(w ± delta) renormalised (as `sobol_weights`)
    method:CODE   the normalisation method of indicator CODE among the options given (the model's first)
    aggregation   every performance node arithmetic, or every node geometric (the model's shift); when the
                  model mixes the rules, "model" (as configured) is a third option
    treatment     outlier treatment off or on (the model's settings, or COINr's winsorisation when off)
    missing       the missing-value policy among the options given (the model's first)

Fast because the choices only touch the performance dimension: every indicator's scores are computed
once per variant it can take (method × treatment × missing policy) by the pipeline's own `score_leaf`,
and a sample then gathers one variant per indicator and aggregates the tree node by node with the
pipeline's `tree.combine`, vectorised over samples × units; totals, ranks and grades are the weight
kernel's (`_keys` with the sampled performance scores). `straightforward.model_with_choices` builds
the model a sample stands for, and the tests check the kernel against `score_period` of it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from scoring import tree as trees
from scoring.inputs import PeriodInputs
from scoring.model import Indicator, MissingPolicy, Model, OutlierTreatment, Treatment
from scoring.pipeline import _Run, leaf_inputs
from scoring.sensitivity.inputs import SensitivityInput
from scoring.sensitivity.kernel import Evaluation, _grades, _group_ranks, _keys, _ranks, _Scratch
from scoring.sensitivity.montecarlo import _Hists, _quantile_from_hist
from scoring.sensitivity.sobol import sobol_indices
from scoring.text import Text

CHUNK = 250  # samples per block: the node arrays are samples × units each
AGGREGATIONS = ("arithmetic", "geometric")


@dataclass(frozen=True)
class Assumptions:
    """Which assumptions vary (hashable: usable as a cache key)."""

    weights_delta: float | None = 0.05
    methods: tuple[tuple[str, tuple[str, ...]], ...] = ()
    aggregation: bool = False
    treatment: bool = False
    missing: tuple[str, ...] = ()

    @classmethod
    def of(cls, weights_delta: float | None = 0.05, methods: Mapping[str, Sequence[str]] | None = None,
           aggregation: bool = False, treatment: bool = False, missing: Sequence[str] = ()) -> Assumptions:
        return cls(weights_delta, tuple((c, tuple(m)) for c, m in (methods or {}).items()), aggregation, treatment,
                   tuple(missing))


@dataclass(frozen=True)
class Factor:
    name: str  # "weights", "method:CODE", "aggregation", "treatment", "missing"
    label: Text
    levels: tuple  # the options (for weights: the dimension names)
    columns: int  # uniform columns of the design it takes

    def pick(self, u: np.ndarray) -> np.ndarray:
        """Option index for uniform draws `u` (samples,)."""
        return np.minimum((u * len(self.levels)).astype(np.int64), len(self.levels) - 1)


@dataclass(frozen=True, eq=False)
class MethodSpace:
    """Every indicator's scores under every variant it can take, in the kernel's unit order, and the
    factors that pick the variants. Build with `method_space`."""

    inp: SensitivityInput
    model: Model
    assumptions: Assumptions
    factors: tuple[Factor, ...]
    variants: tuple[np.ndarray, ...]  # per tree leaf: (n_methods · n_treatment · n_missing) × units
    methods: tuple[tuple[str, ...], ...]  # per tree leaf: its method options (one if not varied)
    n_treatment: int
    n_missing: int
    nodes: tuple[np.ndarray, ...]  # child edges of each internal node, post-order (as `Tree`)
    edge_weights: np.ndarray
    node_rules: tuple[str, ...]  # the model's rule of each internal node
    shift: float
    notes: tuple[Text, ...] = ()

    @property
    def n_columns(self) -> int:
        return sum(f.columns for f in self.factors)

    def nominal_row(self) -> np.ndarray:
        """A design row (uniforms) that stands for the model's own choices."""
        row = []
        for f in self.factors:
            if f.name == "weights":
                w = self.inp.weights
                lo, hi = self._bounds()
                row += list(np.where(hi > lo, (w - lo) / np.where(hi > lo, hi - lo, 1), 0.5))
            else:
                row.append((self._nominal_level(f) + 0.5) / len(f.levels))
        return np.array(row)

    def _nominal_level(self, f: Factor) -> int:
        if f.name == "aggregation":
            return 0 if f.levels[0] == "model" else f.levels.index(self.node_rules[0] if self.node_rules else "arithmetic")
        if f.name == "treatment":
            return int(self.model.performance.treatment.on)
        return 0

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        delta = self.assumptions.weights_delta
        w = self.inp.weights
        return np.maximum(w - delta, 0.0), w + delta

    def decode(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """Design rows (samples × columns) → weights (samples × dims) and the option index of each factor."""
        out: dict[str, np.ndarray] = {}
        j = 0
        for f in self.factors:
            cols = u[:, j:j + f.columns]
            j += f.columns
            if f.name == "weights":
                lo, hi = self._bounds()
                x = lo + cols * (hi - lo)
                sums = x.sum(axis=1, keepdims=True)
                out["weights"] = np.divide(x, sums, out=np.full_like(x, 1 / x.shape[1]), where=sums > 0)
            else:
                out[f.name] = f.pick(cols[:, 0])
        if "weights" not in out:
            out["weights"] = np.repeat(self.inp.weights[None, :], len(u), axis=0)
        return out

    def choices(self, u: np.ndarray) -> list[dict]:
        """The readable choices of design rows (for the per-sample table and the straightforward check)."""
        d = self.decode(u)
        out = []
        for i in range(len(u)):
            c: dict = {"weights": d["weights"][i]}
            for f in self.factors:
                if f.name != "weights":
                    c[f.name] = f.levels[d[f.name][i]]
            out.append(c)
        return out

    def performance(self, u: np.ndarray) -> np.ndarray:
        """The performance score (samples × units) of design rows `u`."""
        d = self.decode(u)
        n = len(u)
        n_leaves = len(self.variants)
        t = d.get("treatment", np.full(n, self._nominal_level_by_name("treatment")))
        p = d.get("missing", np.zeros(n, np.int64))
        values: list[np.ndarray | None] = [None] * (n_leaves + len(self.nodes))
        for e in range(n_leaves):
            name = f"method:{self.inp.tree.codes[e]}" if self.inp.tree else ""
            m = d.get(name, np.zeros(n, np.int64))
            values[e] = self.variants[e][(m * self.n_treatment + t) * self.n_missing + p]
        level = None
        if "aggregation" in d:
            level = np.array(next(f for f in self.factors if f.name == "aggregation").levels, dtype=object)[d["aggregation"]]
        for k, kids in enumerate(self.nodes):
            children = [values[c] for c in kids]
            w = self.edge_weights[kids]
            if level is None:
                score, _ = trees.combine(children, w, self.node_rules[k], self.shift)
            else:
                geometric = (level == trees.GEOMETRIC) | ((level == "model") & (self.node_rules[k] == trees.GEOMETRIC))
                if geometric.all() or not geometric.any():  # one rule for the whole block: compute only it
                    rule = trees.GEOMETRIC if geometric.all() else trees.ARITHMETIC
                    score, _ = trees.combine(children, w, rule, self.shift)
                else:
                    ari, _ = trees.combine([c[~geometric] for c in children], w, trees.ARITHMETIC, self.shift)
                    geo, _ = trees.combine([c[geometric] for c in children], w, trees.GEOMETRIC, self.shift)
                    score = np.empty(children[0].shape)
                    score[~geometric], score[geometric] = ari, geo
            values[n_leaves + k] = score
            for c in kids:
                values[c] = None  # spent: keep memory to a few samples × units arrays
        return values[-1]

    def _nominal_level_by_name(self, name: str) -> int:
        f = next((f for f in self.factors if f.name == name), None)
        return 0 if f is None else self._nominal_level(f)

    def evaluate(self, u: np.ndarray, chunk: int = CHUNK) -> Evaluation:
        """Scores, ranks, group ranks and grades of design rows `u`, block by block."""
        n_rows, n = len(u), self.inp.n_units
        out = Evaluation(np.empty((n_rows, n)), np.empty((n_rows, n), np.int32), np.empty((n_rows, n), np.int32),
                         np.empty((n_rows, n), np.int8))
        sc = _Scratch()
        for a in range(0, n_rows, chunk):
            b = min(a + chunk, n_rows)
            q = self._keys(u[a:b], sc)
            out.score[a:b] = q / 10.0 ** self.inp.decimals
            out.rank[a:b] = _ranks(self.inp, q, sc)
            out.group_rank[a:b] = _group_ranks(self.inp, q, sc)
            out.tier[a:b] = _grades(self.inp, q)
        return out

    def _keys(self, u: np.ndarray, sc: _Scratch) -> np.ndarray:
        return _keys(self.inp, self.decode(u)["weights"], None, sc, self.performance(u))


def method_space(model: Model, inputs: PeriodInputs, inp: SensitivityInput, assumptions: Assumptions) -> MethodSpace:
    """Precompute every variant of every indicator's scores for `assumptions` (raises ValueError when an
    option is impossible: an unknown indicator, or a method the indicator lacks parameters for)."""
    if model.performance is None or inp.tree is None:
        raise ValueError("the method-choice analysis needs the performance tree (SensitivityInput.from_result)")
    perf = model.performance
    factors: list[Factor] = []
    if assumptions.weights_delta is not None:
        if not 0 < assumptions.weights_delta <= 1:
            raise ValueError("weights_delta must be within (0, 1]")
        factors.append(Factor("weights", Text("维度权重", "dimension weights"), tuple(inp.dimensions), len(inp.weights)))
    options: dict[str, tuple[Indicator, ...]] = {}
    for code, methods in assumptions.methods:
        if code not in model.indicators or model.is_formalism(code):
            raise ValueError(f"unknown or unscored indicator {code!r}")
        ind = model.indicators[code]
        alts = tuple(dict.fromkeys((ind.method.value, *methods)))
        try:
            options[code] = tuple(Indicator.model_validate({**ind.model_dump(), "method": m}) for m in alts)
        except Exception as err:  # pydantic's ValidationError, worded by the model
            raise ValueError(f"indicator {code}: {err}") from None
        factors.append(Factor(f"method:{code}", Text(f"{ind.name} 计分方法", f"{ind.name}: method"), alts, 1))
    if assumptions.aggregation:
        mixed = len({str(r) for r in model.aggregation.values()}) > 1
        factors.append(Factor("aggregation", Text("聚合方式", "aggregation"), (("model",) if mixed else ()) + AGGREGATIONS, 1))
    spec = perf.treatment if perf.treatment.on else Treatment(outliers=OutlierTreatment.WINSORISE)
    if assumptions.treatment:
        factors.append(Factor("treatment", Text("异常值处理", "outlier treatment"), (False, True), 1))
    missing = tuple(MissingPolicy(m) for m in dict.fromkeys((perf.missing.value, *assumptions.missing)))
    if len(missing) > 1:
        factors.append(Factor("missing", Text("缺失值处理", "missing values"), tuple(m.value for m in missing), 1))
    if not factors:
        raise ValueError("choose at least one assumption to vary")

    li = leaf_inputs(_Run.of(model, inputs))
    treat_levels = (False, True) if assumptions.treatment else (perf.treatment.on,)
    order = list(inp.unit_ids)
    variants, methods = [], []
    for code in inp.tree.codes[: inp.tree.leaf_scores.shape[1]]:
        alts = options.get(code, (model.indicators[code],))
        methods.append(tuple(a.method.value for a in alts))
        rows = []
        for ind in alts:
            for on in treat_levels:
                treated = on and ind.relative and (not spec.indicators or code in spec.indicators)
                for policy in missing:
                    s = li.score(ind, policy, spec if treated else None).score
                    rows.append(s.reindex(order).to_numpy(dtype=float))
        variants.append(np.array(rows))
    tr = inp.tree
    n_leaves = tr.leaf_scores.shape[1]
    rules = tuple(str(model.aggregation.get(tr.codes[n_leaves + k], "arithmetic")) for k in range(len(tr.nodes)))
    space = MethodSpace(inp, model, assumptions, tuple(factors), tuple(variants), tuple(methods), len(treat_levels),
                        len(missing), tr.nodes, tr.weights, rules, perf.geometric_shift)
    gap = np.nanmax(np.abs(space.performance(space.nominal_row()[None, :])[0] - inp.dims[:, inp.tree_dimension]))
    if gap > 1e-6:  # the model's own choices must give the published scores back: say so if not
        space = replace(space, notes=(Text(f"按模型自身选择复算的实绩数据得分与已发布得分最多相差 {gap:.2g} 分。",
                                        f"The performance scores recomputed with the model's own choices differ from "
                                        f"the published ones by up to {gap:.2g} points."),))
    return space


@dataclass(frozen=True, eq=False)
class AssumptionResult:
    """Rank intervals over samples of every varied assumption, and each assumption's Sobol indices."""

    space: MethodSpace = field(repr=False)
    n_samples: int
    rank_hist: np.ndarray
    tier_hist: np.ndarray
    abs_shift: np.ndarray  # per Monte Carlo sample: mean |rank − nominal rank|
    choices: pd.DataFrame  # per Monte Carlo sample: the options drawn and its mean |rank shift|
    sobol: pd.DataFrame  # per assumption: S1, ST (with bootstrap 95% half-widths) on the mean |rank shift|
    sobol_units: pd.DataFrame  # per unit: ST of each assumption on its rank
    elapsed: float = 0.0

    def rank_quantile(self, q: float) -> np.ndarray:
        return _quantile_from_hist(self.rank_hist, q)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        inp = self.space.inp
        nom = inp.nominal
        labels = np.array(inp.tier_labels, dtype=object)
        units = pd.DataFrame({
            "unit_id": inp.unit_ids, "unit_name": inp.unit_names, "group": np.array(inp.group_names, dtype=object)[inp.groups],
            "score": nom.score, "rank": nom.rank, "rank_p05": self.rank_quantile(0.05),
            "rank_median": self.rank_quantile(0.5), "rank_p95": self.rank_quantile(0.95),
            "grade": labels[nom.tier],
            "p_same_grade": self.tier_hist[np.arange(inp.n_units), nom.tier] / self.n_samples})
        return {"assumption_units": units, "assumption_sobol": self.sobol, "assumption_unit_sobol": self.sobol_units,
                "assumption_samples": self.choices}


def analyse(space: MethodSpace, n_samples: int = 1000, n_sobol: int = 256, seed: int = 0,
            n_boot: int = 200) -> AssumptionResult:
    """Monte Carlo over the assumptions (rank intervals, P(grade kept)) and Sobol indices of each
    assumption (a group of columns for the weights), N·(k + 2) evaluations on a scrambled Sobol' design."""
    if n_samples < 1 or n_sobol < 2 or n_sobol & (n_sobol - 1):
        raise ValueError("n_samples ≥ 1, and n_sobol a power of 2")
    started = time.perf_counter()
    inp = space.inp
    rng = np.random.default_rng(seed)
    u = rng.random((n_samples, space.n_columns))
    n = inp.n_units
    hists = _Hists(n, n, len(inp.grades.tier))
    nominal0 = inp.nominal.rank - 1
    shift = np.empty(n_samples)
    for a in range(0, n_samples, CHUNK):
        ev = space.evaluate(u[a:a + CHUNK])
        r0 = ev.rank - 1
        hists.add(hists.rank, r0)
        hists.add(hists.tier, ev.tier)
        shift[a:a + CHUNK] = np.abs(r0 - nominal0).mean(axis=1)
    table = pd.DataFrame(space.choices(u))
    weights = np.vstack(table.pop("weights").to_numpy())
    for j, d in enumerate(inp.dimensions):
        table[f"w_{d}"] = weights[:, j]
    table["mean_abs_rank_shift"] = shift

    # Sobol: each factor a group of design columns (A with the group's columns from B)
    base = qmc.Sobol(2 * space.n_columns, scramble=True, seed=seed).random(n_sobol)
    a_rows, b_rows = base[:, : space.n_columns], base[:, space.n_columns:]
    groups, j = [], 0
    for f in space.factors:
        groups.append(slice(j, j + f.columns))
        j += f.columns
    ab = np.repeat(a_rows[None], len(groups), axis=0)
    for i, g in enumerate(groups):
        ab[i, :, g] = b_rows[:, g]
    design = np.concatenate([a_rows, b_rows, ab.reshape(-1, space.n_columns)])
    ranks = space.evaluate(design).rank.astype(float)
    mar = np.abs(ranks - inp.nominal.rank).mean(axis=1)
    k = len(groups)

    def split(y):
        return y[:n_sobol], y[n_sobol:2 * n_sobol], y[2 * n_sobol:].reshape(k, n_sobol, *y.shape[1:])

    _, st_units = sobol_indices(*split(ranks))
    ma, mb, mab = split(mar[:, None])
    s1, st = sobol_indices(ma, mb, mab)
    boots = np.array([np.concatenate(sobol_indices(ma[r], mb[r], mab[:, r]))[:, 0]
                      for r in rng.integers(0, n_sobol, size=(n_boot, n_sobol))])
    conf = stats.norm.ppf(0.975) * np.nanstd(boots, axis=0)
    sobol = pd.DataFrame({"factor": [f.name for f in space.factors], "label_zh": [f.label.zh for f in space.factors],
                          "label_en": [f.label.en for f in space.factors],
                          "options": [" / ".join(map(str, f.levels)) for f in space.factors],
                          "S1": s1[:, 0], "S1_conf": conf[:k], "ST": st[:, 0], "ST_conf": conf[k:],
                          "n_evaluations": len(design)})
    units = pd.DataFrame({"unit_id": inp.unit_ids, "unit_name": inp.unit_names, "rank": inp.nominal.rank})
    for i, f in enumerate(space.factors):
        units[f"ST_{f.name}"] = st_units[i]
    return AssumptionResult(space, n_samples, hists.rank, hists.tier, shift, table, sobol, units,
                            time.perf_counter() - started)
