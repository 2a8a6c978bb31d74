"""统计审查 Statistical audit of a scored period (COINr's `get_stats`, `get_corr`, `get_cronbach`,
`get_PCA`): do the indicators measure what the tree claims, before anyone argues about weights?

Everything is computed with numpy/pandas/scipy on the period's own result (tests compare each
statistic with scipy, pingouin and scikit-learn to 1e-9):

- per indicator, on the raw values reported by the audited units: coverage (reported / units it
  applies to), missing share, mean, standard deviation, min, max, bias-corrected skewness and
  excess kurtosis (Excel's SKEW/KURT), the outlier flag of the model's treatment rule (|skewness| ≥
  2 and kurtosis ≥ 3.5 by default, COINr's), the comparison groups where that rule fires (where
  `[performance.treatment]` would act), and Tukey's count of values beyond 1.5·IQR;
- within every node of the tree, the Pearson and Spearman correlation matrices of its children's
  scores (indicator scores of reported values only, node scores), pairwise complete; every child
  against its parent, the performance dimension and the unit's total; pairs with a negative
  correlation or |r| > 0.92 (near-duplicates) listed;
- per node, Cronbach's α of its children and the share of variance of the first principal component
  of their standardised scores (both on the units reporting every child);
- the effective weight of each indicator: its squared Pearson correlation with the performance score
  (the first-order effect under linearity, Paruolo, Saisana & Saltelli 2013), normalised to sum to 1,
  next to its nominal share of the performance score (tree weights after reweighting, averaged over
  the units that report it, normalised the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.model import Model
from scoring.treatment import flagged, kurtosis, skewness

NEAR_DUPLICATE = 0.92  # |r| above this: two children measure nearly the same thing
MIN_PAIRS = 3  # a correlation needs at least this many units with both values


def cronbach_alpha(data: pd.DataFrame) -> float:
    """Cronbach's α of the columns of `data` (items), on the rows with every item: k/(k−1)·(1 − Σσᵢ²/σ²ₜ)."""
    x = data.dropna().to_numpy(dtype=float)
    n, k = x.shape
    if k < 2 or n < 2:
        return float("nan")
    total = x.sum(axis=1).var(ddof=1)
    if total == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total))


def first_component_share(data: pd.DataFrame) -> float:
    """Share of the variance of the standardised columns that the first principal component explains
    (largest eigenvalue of their correlation matrix / number of columns), on the complete rows."""
    x = data.dropna().to_numpy(dtype=float)
    n, k = x.shape
    if k < 2 or n < 3:
        return float("nan")
    sd = x.std(axis=0, ddof=0)
    if (sd == 0).any():
        return float("nan")
    z = (x - x.mean(axis=0)) / sd
    eig = np.linalg.eigvalsh(z.T @ z / n)
    return float(eig[-1] / eig.sum())


def _corr(frame: pd.DataFrame, method: str) -> pd.DataFrame:
    return frame.corr(method=method, min_periods=MIN_PAIRS)


def _pair_corr(a: pd.Series, b: pd.Series, method: str) -> float:
    both = a.notna() & b.notna()
    if both.sum() < MIN_PAIRS or a[both].nunique() < 2 or b[both].nunique() < 2:
        return float("nan")
    return float(a[both].corr(b[both], method=method))


@dataclass(frozen=True)
class Audit:
    """The audit of one period (or one comparison group of it); `views.audit_frames` makes its workbook."""

    period: str
    scope: str  # "" = every unit, else the comparison group audited
    indicators: pd.DataFrame
    within: dict[str, tuple[pd.DataFrame, pd.DataFrame]]  # node -> (Pearson, Spearman) of its children
    against: pd.DataFrame  # every child against its parent, the performance score and the total
    pairs: pd.DataFrame  # negative and near-duplicate pairs within nodes
    nodes: pd.DataFrame  # per node: children, complete units, α, first component share
    effective: pd.DataFrame  # per indicator: nominal vs correlation-based effective share
    names: dict[str, str]
    levels: dict[int, tuple[pd.DataFrame, pd.DataFrame]]  # depth (1 = top categories) -> (Pearson, Spearman) of its nodes


def audit(result, units: Sequence[str] | None = None, scope: str = "") -> Audit:
    """Audit a scored period (`scoring.pipeline.PeriodResult`), on `units` (default: every unit)."""
    model: Model = result.model
    roster = result.units.set_index("unit_id")
    ids = list(roster.index if units is None else [u for u in roster.index if u in set(units)])
    roster = roster.loc[ids]
    leaves = [i.code for i in model.scored_indicators]
    perf = result.indicators
    perf = perf[perf["unit_id"].isin(ids)]
    raw = perf.pivot_table(index="unit_id", columns="code", values="raw", aggfunc="last", dropna=False) \
        .reindex(index=ids, columns=leaves).astype(float)
    score = perf.pivot_table(index="unit_id", columns="code", values="score", aggfunc="last", dropna=False) \
        .reindex(index=ids, columns=leaves).astype(float).where(raw.notna())  # reported values only
    nodes = result.nodes.reindex(index=pd.Index(ids)) if len(result.nodes.columns) else pd.DataFrame(index=ids)
    names = {c: model.indicators[c].name for c in leaves} | {c: n.name for c, n in model.nodes.items()} | {"": "实绩数据"}
    spec = model.performance.treatment if model.performance else None
    skew_t, kurt_t = (spec.skew, spec.kurtosis) if spec else (2.0, 3.5)

    # ---- per indicator
    rows = []
    for code in leaves:
        applies = roster["unit_type"].map(lambda t, c=code: model.applies(c, t)).astype(bool)
        x = raw.loc[applies, code]
        v = x.dropna().to_numpy()
        q1, q3 = (np.percentile(v, [25, 75]) if len(v) else (np.nan, np.nan))
        groups = [g for g, part in x.groupby(roster.loc[applies, "group"]) if flagged(part.to_numpy(), skew_t, kurt_t)]
        rows.append({
            "code": code, "name": names[code], "parent": model.indicators[code].parent,
            "method": model.indicators[code].method.value, "n_units": int(applies.sum()), "n_reported": len(v),
            "coverage": len(v) / applies.sum() if applies.sum() else np.nan,
            "missing_share": 1 - len(v) / applies.sum() if applies.sum() else np.nan,
            "mean": v.mean() if len(v) else np.nan, "sd": v.std(ddof=1) if len(v) > 1 else np.nan,
            "min": v.min() if len(v) else np.nan, "max": v.max() if len(v) else np.nan,
            "skewness": skewness(v), "kurtosis": kurtosis(v), "outlier_flag": flagged(v, skew_t, kurt_t),
            "groups_flagged": "、".join(map(str, groups)),
            "n_beyond_iqr": int(((v < q1 - 1.5 * (q3 - q1)) | (v > q3 + 1.5 * (q3 - q1))).sum()) if len(v) else 0,
        })
    indicators = pd.DataFrame(rows)

    # ---- children of every node: correlations, alpha, PCA
    def values(code: str) -> pd.Series:
        if code in score.columns:
            return score[code]
        return nodes[code] if code in nodes.columns else pd.Series(np.nan, index=ids)

    perf_score = roster["performance"].astype(float)
    total = roster["total"].astype(float)
    within: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    against, pairs, node_rows = [], [], []
    for parent, kids in model.scored_children.items():
        if not kids or (parent and model.is_formalism(parent)):
            continue
        frame = pd.DataFrame({k: values(k) for k in kids})
        frame = frame.loc[:, frame.notna().sum() > 0]
        if frame.shape[1] >= 2:
            pearson, spearman = _corr(frame, "pearson"), _corr(frame, "spearman")
            within[parent] = (pearson, spearman)
            for i, a in enumerate(frame.columns):
                for b in frame.columns[i + 1:]:
                    for method, m in (("pearson", pearson), ("spearman", spearman)):
                        r = m.at[a, b]
                        if pd.notna(r) and (r < 0 or abs(r) > NEAR_DUPLICATE):
                            pairs.append({"node": parent, "a": a, "a_name": names.get(a, a), "b": b,
                                          "b_name": names.get(b, b), "method": method, "r": r,
                                          "kind": "negative" if r < 0 else "near_duplicate"})
        complete = frame.dropna()
        node_rows.append({"code": parent, "name": names.get(parent, parent), "n_children": frame.shape[1],
                          "n_complete": len(complete), "alpha": cronbach_alpha(frame),
                          "pca_first_share": first_component_share(frame)})
        parent_score = values(parent) if parent else perf_score
        for k in frame.columns:
            against.append({"code": k, "name": names.get(k, k), "kind": "indicator" if k in score.columns else "node",
                            "parent": parent,
                            **{f"{m}_{what}": _pair_corr(frame[k], target, m)
                               for what, target in (("parent", parent_score), ("performance", perf_score), ("total", total))
                               for m in ("pearson", "spearman")}})
    against_df = pd.DataFrame(against)

    # ---- effective weights
    w_perf = model.weights["performance"] or 1.0
    eff_rows = perf.assign(share=perf["weight"] / w_perf)[perf["raw"].notna()].groupby("code")["share"].mean()
    r = pd.Series({c: _pair_corr(score[c], perf_score, "pearson") for c in leaves})
    s = (r ** 2).fillna(0.0)
    nominal = eff_rows.reindex(leaves).fillna(0.0)
    effective = pd.DataFrame({"code": leaves, "name": [names[c] for c in leaves], "pearson_performance": r.to_numpy(),
                              "r_squared": s.to_numpy(),
                              "nominal_share": (nominal / nominal.sum()).to_numpy() if nominal.sum() else np.nan,
                              "effective_share": (s / s.sum()).to_numpy() if s.sum() else np.nan})
    effective["ratio"] = effective["effective_share"] / effective["nominal_share"].replace(0, np.nan)

    # ---- every level of nodes against each other (COINr's correlations by level: e.g. all pillars)
    levels: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}
    depth = {c: len(model.ancestors(c)) + 1 for c in model.nodes if not model.is_formalism(c) and c in nodes.columns}
    for d in sorted(set(depth.values())):
        frame = nodes[[c for c, k in depth.items() if k == d]]
        if frame.shape[1] >= 2:
            levels[d] = (_corr(frame, "pearson"), _corr(frame, "spearman"))

    return Audit(result.period, scope, indicators, within, against_df,
                 pd.DataFrame(pairs, columns=["node", "a", "a_name", "b", "b_name", "method", "r", "kind"]),
                 pd.DataFrame(node_rows), effective, names, levels)
