"""Weight sensitivity of the ranking (SPEC §4 权重分析): is a rank a fact or an artefact of 40/40/20?

Everything works on plain arrays of the ranked (`ok`) units of one period:

    dims (n, d)   dimension scores            adjust (n,)  bonus − deduction
    groups (n,)   comparison-group codes      veto (n,)    forces the veto grade, keeps score and rank
    cap (n,)      best tier index allowed (0 = no cap; e.g. reverse evaluation below 60 → 1)

and reproduces the pipeline's rules for any weight vector w (rows of a matrix W):

    total = clip(dims @ w + adjust, 0, 100), rounded half up to `decimals` → integer key q (ranking.rounded_keys)
    rank  = standard competition rank on q, overall and within the comparison group
    grade = `scoring.grades.grade_rows` (thresholds, cap, veto, quota per scope) on q / 10^decimals

Scores stay float64: ranks are taken on totals rounded to 2 decimals and must equal the pipeline's,
and in float32 about 1 total in 2,000 (measured on uniform 50–100 scores) rounds to a different
cent. Speed comes from elsewhere: one matrix product per block, int16 rounded scores sorted by a
radix argsort, ties resolved by one flat cumsum, rank histograms filled by blocks of units that
fit in cache (percentiles, P(top-k), P(grade) then come from the histograms, no column sorts),
blocks of samples spread over a thread pool (numpy releases the GIL in the heavy calls), each
worker reusing its scratch arrays and no BLAS call whose spinning threads would take the other core.

Public API: `SensitivityInput` (`from_result`, `from_arrays`), `evaluate`, `sweep`, `crossings`,
`monte_carlo`, `ternary`, `sobol_weights`, `sobol_indices`, the samplers, `model_with_weights`.
Results are dataclasses with `to_frames()` (dict of DataFrames, ready for an xlsx export).
`SensitivityInput` is the validating layer; the `_` functions are the kernel and trust their input.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from scoring.flags import FlagCode
from scoring.grades import grade_rows
from scoring.model import DIMENSIONS, Grades, Model, Scope
from scoring.ranking import ROUND_EPS

CHUNK = 500  # samples per block: ~75 MB of scratch per worker at 2,000 units


# ---------------------------------------------------------------------------------------------
# the performance indicator tree, for perturbing its weights
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Tree:
    """The performance tree flattened for the kernel.

    Edges 0..L-1 are the leaves (columns of `leaf_scores`, NaN = absent for that unit), edges
    L.. are the internal nodes in post-order, the root last. `weights[e]` is edge e's weight
    relative to its siblings; `nodes[k]` lists the child edges of internal node L + k.
    A node's score is the weighted mean of its present children, absent children's weight shared
    out in proportion — the same rule as `scoring.tree.aggregate`.
    """

    leaf_scores: np.ndarray
    weights: np.ndarray
    nodes: tuple[np.ndarray, ...]
    codes: tuple[str, ...]

    @property
    def n_edges(self) -> int:
        return len(self.weights)

    @cached_property
    def patterns(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(leaves present, units) for each distinct presence pattern: units sharing one have the
        same effective leaf weights, so the whole tree is one matrix product per pattern."""
        present = ~np.isnan(self.leaf_scores)
        uniq, inverse = np.unique(present, axis=0, return_inverse=True)
        return [(pat, np.flatnonzero(inverse.ravel() == i)) for i, pat in enumerate(uniq)]


def _leaf_weights(tree: Tree, fw: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Each leaf's share of the root (samples × leaves) for one presence pattern, given the
    factor-scaled edge weights `fw`: the product of the normalised sibling weights down its path."""
    n_leaves = len(present)
    alive = np.concatenate([present, np.zeros(len(tree.nodes), bool)])
    for k, children in enumerate(tree.nodes):  # post-order: children before parents
        alive[n_leaves + k] = alive[children].any()
    share = np.zeros_like(fw)
    share[:, -1] = 1.0
    for k in range(len(tree.nodes) - 1, -1, -1):  # root first
        kids = tree.nodes[k][alive[tree.nodes[k]]]
        if len(kids):
            w = fw[:, kids]
            share[:, kids] = share[:, [n_leaves + k]] * w / w.sum(axis=1, keepdims=True)
    return share[:, :n_leaves]


def _tree_rows(tree: Tree, factors: np.ndarray) -> np.ndarray:
    """Performance score (samples × units) with every edge weight multiplied by `factors` (samples × edges)."""
    fw = factors * tree.weights
    filled = np.nan_to_num(tree.leaf_scores)
    out = np.full((len(factors), len(filled)), np.nan)
    for present, units in tree.patterns:
        if present.any():
            out[:, units] = _leaf_weights(tree, fw, present) @ filled[units].T
    return out


def tree_from_model(model: Model, leaf_scores: pd.DataFrame) -> Tree:
    """Flatten the model's performance tree (formalism subtrees left out, as in the pipeline)."""
    leaves = [i.code for i in model.scored_indicators]
    children = model.scored_children
    edge = {c: j for j, c in enumerate(leaves)}
    nodes: list[np.ndarray] = []
    codes = list(leaves)
    weights = [model.indicators[c].weight for c in leaves]

    def visit(code: str) -> int | None:
        if code in edge:
            return edge[code]
        kids = [e for e in (visit(k) for k in children.get(code, [])) if e is not None]
        if not kids:
            return None
        nodes.append(np.array(kids))
        codes.append(code)
        weights.append(model.nodes[code].weight if code else 1.0)
        edge[code] = len(codes) - 1
        return edge[code]

    visit("")
    scores = leaf_scores.reindex(columns=leaves).to_numpy(dtype=float)
    return Tree(scores, np.array(weights, dtype=float), tuple(nodes), tuple(codes))


# ---------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SensitivityInput:
    """The ranked units of one period as arrays, plus the rules that grade them. Build with
    `from_arrays` (validated) or `from_result` (from the pipeline's `PeriodResult`)."""

    dims: np.ndarray
    adjust: np.ndarray
    groups: np.ndarray
    veto: np.ndarray
    cap: np.ndarray
    weights: np.ndarray
    grades: Grades
    decimals: int = 2
    unit_ids: tuple[str, ...] = ()
    unit_names: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = DIMENSIONS
    tree: Tree | None = None
    tree_dimension: int = 1
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["unit_id", "unit_name", "flags"]))
    notes: tuple[str, ...] = ()

    # ---- construction -----------------------------------------------------------------------
    @classmethod
    def from_arrays(cls, dims, adjust=None, groups=None, veto=None, cap=None, *, weights, grades: Grades,
                    decimals: int = 2, unit_ids: Sequence[str] | None = None, **extra) -> SensitivityInput:
        dims = np.asarray(dims, dtype=float)
        if dims.ndim != 2 or dims.shape[0] == 0:
            raise ValueError(f"dims must be (units, dimensions), got shape {dims.shape}")
        n, d = dims.shape
        if not np.isfinite(dims).all():
            raise ValueError("dims: every ranked unit needs every dimension score (NaN or inf found)")
        w = np.asarray(weights, dtype=float)
        if w.shape != (d,) or (w < 0).any() or abs(w.sum() - 1) > 1e-9:
            raise ValueError(f"weights must be {d} non-negative numbers summing to 1, got {w}")

        def vec(x, default, dtype, name):
            x = np.full(n, default, dtype=dtype) if x is None else np.asarray(x).astype(dtype)
            if x.shape != (n,):
                raise ValueError(f"{name} must have one value per unit ({n}), got shape {x.shape}")
            return x

        adjust = vec(adjust, 0.0, float, "adjust")
        groups = vec(groups, 0, np.int64, "groups")
        veto = vec(veto, False, bool, "veto")
        cap = vec(cap, 0, np.int8, "cap")
        if not np.isfinite(adjust).all() or groups.min() < 0 or not 0 <= cap.min() <= cap.max() < len(grades.tier):
            raise ValueError("adjust must be finite, group codes ≥ 0, caps valid tier indices")
        if not 0 <= decimals <= 6:
            raise ValueError("decimals must be within 0..6")
        ids = tuple(map(str, unit_ids)) if unit_ids is not None else tuple(f"U{i + 1}" for i in range(n))
        if len(ids) != n:
            raise ValueError(f"unit_ids must have one id per unit ({n})")
        extra.setdefault("unit_names", ids)
        extra.setdefault("group_names", tuple(str(g) for g in range(groups.max() + 1)))
        extra.setdefault("dimensions", DIMENSIONS if d == len(DIMENSIONS) else tuple(f"d{j + 1}" for j in range(d)))
        if len(extra["dimensions"]) != d or len(extra["group_names"]) <= groups.max():
            raise ValueError("need one dimension name per column of dims and a name for every group code")
        if extra.get("tree") is not None and extra["tree"].leaf_scores.shape[0] != n:
            raise ValueError("tree.leaf_scores must have one row per unit")
        # units are kept grouped (stable): each comparison group is then a contiguous slice
        p = np.argsort(groups, kind="stable")
        extra["unit_names"] = tuple(np.array(extra["unit_names"], dtype=object)[p])
        if extra.get("tree") is not None:
            extra["tree"] = replace(extra["tree"], leaf_scores=extra["tree"].leaf_scores[p])
        return cls(dims[p], adjust[p], groups[p], veto[p], cap[p], w, grades, decimals,
                   tuple(np.array(ids, dtype=object)[p]), **extra)

    @classmethod
    def from_result(cls, result, model: Model | None = None, tree: bool = True) -> SensitivityInput:
        """Arrays of the `ok` units of a scored period; incomplete units are listed in `excluded`.

        With `tree`, the performance tree and each unit's leaf scores are kept so its weights can
        be perturbed. The arrays are checked against the result: `notes` says if the kernel's
        ranks or grades at the official weights differ from the published ones (they should not).
        """
        model = model or result.model
        u = result.units
        ok = (u["status"] == "ok").to_numpy()
        kept = u[ok].reset_index(drop=True)
        names = [g.name for g in model.group]
        names += [g for g in pd.unique(kept["group"]) if g not in names]
        code = {g: i for i, g in enumerate(names)}
        excluded = pd.DataFrame({"unit_id": u.loc[~ok, "unit_id"], "unit_name": u.loc[~ok, "unit_name"],
                                 "flags": u.loc[~ok, "flags"].map(lambda fs: [f for f in fs if f.code == FlagCode.INCOMPLETE])})
        tr = None
        if tree and model.performance is not None and model.scored_indicators and model.weights["performance"] > 0:
            ind = result.indicators
            leaf = ind.pivot_table(index="unit_id", columns="code", values="score", aggfunc="last", dropna=False)
            tr = tree_from_model(model, leaf.reindex(index=kept["unit_id"]))
        inp = cls.from_arrays(
            kept[list(DIMENSIONS)].to_numpy(dtype=float), (kept["bonus"] - kept["deduction"]).to_numpy(dtype=float),
            kept["group"].map(code).to_numpy(), kept["veto"].notna().to_numpy(), kept["grade_cap"].to_numpy(),
            weights=[model.weights[d] for d in DIMENSIONS], grades=model.grades, decimals=model.model.rank_decimals,
            unit_ids=kept["unit_id"].tolist(), unit_names=tuple(kept["unit_name"].astype(str)),
            group_names=tuple(names), tree=tr, tree_dimension=DIMENSIONS.index("performance"), excluded=excluded)
        notes = []
        nom = inp.nominal
        for what, mine, theirs in [("rank_overall", nom.rank, kept["rank_overall"]), ("rank_group", nom.group_rank, kept["rank_group"]),
                                   ("grade", np.array(inp.tier_labels, dtype=object)[nom.tier], kept["grade"])]:
            if (bad := int((mine != theirs.to_numpy()).sum())):
                notes.append(f"{what}: {bad} units differ from the published result")
        if tr is not None:
            gap = np.nanmax(np.abs(_tree_rows(tr, np.ones((1, tr.n_edges)))[0] - inp.dims[:, inp.tree_dimension]))
            if gap > 1e-6:
                notes.append(f"performance tree reproduces the published scores only to {gap:.2g}")
        return inp if not notes else replace(inp, notes=tuple(notes))

    # ---- derived views ----------------------------------------------------------------------
    @property
    def n_units(self) -> int:
        return self.dims.shape[0]

    @property
    def tier_labels(self) -> list[str]:
        return [t.label for t in self.grades.tier]

    @cached_property
    def scope(self) -> np.ndarray:
        """Quota scope code per unit: the comparison group, or one scope for all."""
        return self.groups if self.grades.quota_scope is Scope.GROUP else np.zeros_like(self.groups)

    @cached_property
    def augmented(self) -> np.ndarray:
        """[dims | adjust]ᵀ, contiguous by row: one product with [w, 1] gives dims·w + adjust."""
        return np.ascontiguousarray(np.column_stack([self.dims, self.adjust]).T)

    @cached_property
    def members(self) -> list[slice]:
        """The column slice of each non-empty comparison group."""
        edges = np.flatnonzero(np.diff(self.groups)) + 1
        bounds = [0, *edges.tolist(), self.n_units]
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    @cached_property
    def group_key(self) -> np.ndarray | None:
        """Per unit: group index · (top + 1) + top, top = 100·10^decimals; key − q sorts groups, best first."""
        top = 100 * 10 ** self.decimals
        if len(self.members) * (top + 1) > 2 ** 16:
            return None
        seg = np.repeat(np.arange(len(self.members)), [m.stop - m.start for m in self.members])
        return (seg * (top + 1) + top).astype(np.uint16)

    @cached_property
    def group_start(self) -> np.ndarray:
        return np.repeat([m.start for m in self.members], [m.stop - m.start for m in self.members]).astype(np.int32)

    @cached_property
    def nominal(self) -> Evaluation:
        return _evaluate(self, self.weights[None, :]).row(0)

    def frame(self) -> pd.DataFrame:
        """The units as the kernel sees them, with their nominal score, ranks and grade."""
        nom = self.nominal
        df = pd.DataFrame({"unit_id": self.unit_ids, "unit_name": self.unit_names,
                           "group": np.array(self.group_names, dtype=object)[self.groups]})
        for j, d in enumerate(self.dimensions):
            df[d] = self.dims[:, j]
        return df.assign(adjust=self.adjust, veto=self.veto, grade_cap=self.cap, score=nom.score, rank=nom.rank,
                         group_rank=nom.group_rank, grade=np.array(self.tier_labels, dtype=object)[nom.tier])


# ---------------------------------------------------------------------------------------------
# kernel: score, rank and grade many weight vectors at once
# ---------------------------------------------------------------------------------------------

class _Scratch:
    """Named work arrays, kept from one block of samples to the next.

    A block's temporaries come to ~80 bytes per sample and unit; allocated afresh each time, glibc
    hands them back to the kernel and every block faults new zeroed pages in, which cost up to ~40%
    of the kernel's time on this machine. Results returned by the kernel functions are views into
    these arrays, valid until the next call that uses the same name.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        size = math.prod(shape)
        a = self._arrays.get(name)
        if a is None or a.size < size or a.dtype != dtype:
            a = self._arrays[name] = np.empty(size, dtype)
        return a[:size].reshape(shape)


def _keys(inp: SensitivityInput, w: np.ndarray, tree_factors: np.ndarray | None = None,
          sc: _Scratch | None = None) -> np.ndarray:
    """Rounded totals as integers q = round-half-up(clip(dims·w + adjust, 0, 100)·10^decimals), samples ×
    units — the pipeline's own rounding (ranking.rounded_keys). int16 when it fits (radix argsort), else int32.

    The product is an einsum, not `@`: with 4 columns BLAS saves only ~2 ms per 1,000 samples, and
    OpenBLAS threads then spin for tens of ms after every call, taking the core the other worker needs.
    """
    sc = sc or _Scratch()
    shape = (len(w), inp.n_units)
    s = np.einsum("ij,jk->ik", np.column_stack([w, np.ones(len(w))]), inp.augmented,
                  out=sc.get("total", shape, np.float64))  # dims·w + adjust
    if tree_factors is not None:
        j = inp.tree_dimension
        s += w[:, [j]] * (_tree_rows(inp.tree, tree_factors) - inp.dims[:, j])
    np.clip(s, 0.0, 100.0, out=s)
    s *= 10.0 ** inp.decimals
    s += 0.5 + ROUND_EPS
    np.floor(s, out=s)
    q = sc.get("q", shape, np.int16 if inp.decimals <= 2 else np.int32)
    np.copyto(q, s, casting="unsafe")
    return q


def _sort(keys: np.ndarray, sc: _Scratch | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the units in ascending key order (best first, as intp: it is used as an index) and
    the sorted keys.

    Keys below 2^16 and up to 2^16 units: key and unit index are packed into one uint32 and
    sorted by value (a SIMD sort, about twice as fast as argsort + gather), ties by unit index.
    """
    sc = sc or _Scratch()
    rows, n = keys.shape
    if keys.dtype == np.uint16 and n <= 2 ** 16:
        packed = np.left_shift(keys, 16, out=sc.get("packed", keys.shape, np.uint32), dtype=np.uint32)
        packed |= np.arange(n, dtype=np.uint32)
        packed.sort(axis=1)
        order = np.bitwise_and(packed, 0xFFFF, out=sc.get("order", keys.shape, np.intp))
        packed >>= 16
        return order, packed
    order = np.argsort(keys, axis=1)
    return order, np.take_along_axis(keys, order, axis=1)


def _rank_keys(inp: SensitivityInput, q: np.ndarray, sc: _Scratch | None = None) -> np.ndarray:
    """Ascending sort keys, best first: uint16 (top − q) when the rounded scores fit, else −q."""
    top = 100 * 10 ** inp.decimals
    if top >= 2 ** 16:
        return -q
    return np.subtract(top, q, out=(sc or _Scratch()).get("keys", q.shape, np.uint16), casting="unsafe")


def _competition(sk: np.ndarray, mid: bool = False, sc: _Scratch | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Competition rank (and mid-rank of the tie, if asked) at each sorted position.

    A run of equal keys ranks at its start's position in the row + 1: the runs' ranks are picked
    out in one `compress` and spread over the runs by a flat cumsum numbering them (a
    maximum.accumulate along rows is several times slower). A mid-rank adds half the run's
    length − 1, computed per run, not per position.
    """
    sc = sc or _Scratch()
    rows, n = sk.shape
    flat = sk.ravel()
    new = sc.get("new", flat.shape, bool)
    new[0] = True
    np.not_equal(flat[1:], flat[:-1], out=new[1:])
    new[::n] = True
    runs = np.compress(new, _positions(rows, n), out=sc.get("runs", (np.count_nonzero(new),), np.int32))
    run = np.cumsum(new, dtype=np.intp, out=sc.get("run", flat.shape, np.intp))
    run -= 1
    first = runs.take(run, out=sc.get("first", flat.shape, np.int32)).reshape(rows, n)
    if not mid:
        return first, None
    half = sc.get("half", runs.shape, np.float64)
    np.subtract(runs[1:], runs[:-1], out=half[:-1])  # a run's length: the next run's rank − its own,
    row_last = run[n - 1::n]
    half[row_last] = n + 1 - runs[row_last]  # or n + 1 − its own for the last run of a row
    half -= 1
    half *= 0.5
    centre = half.take(run, out=sc.get("mid", flat.shape, np.float64)).reshape(rows, n)
    centre += first
    return first, centre


@lru_cache(maxsize=8)
def _positions(rows: int, n: int) -> np.ndarray:
    """Position within its row + 1 of every element of a flat rows × n array (the rank it would have)."""
    return np.tile(np.arange(1, n + 1, dtype=np.int32), rows)


def _to_units(order: np.ndarray, sorted_values: np.ndarray, sc: _Scratch | None = None,
              name: str = "units") -> np.ndarray:
    """Scatter values from sorted positions back to unit order (into `name`), through one flat intp index."""
    sc = sc or _Scratch()
    rows, n = order.shape
    flat = np.add(order, _row_offsets(rows, n), out=sc.get("flat", order.shape, np.intp))
    out = sc.get(name, order.shape, sorted_values.dtype)
    out.ravel()[flat.ravel()] = sorted_values.ravel()
    return out


@lru_cache(maxsize=8)
def _row_offsets(rows: int, n: int) -> np.ndarray:
    return (np.arange(rows, dtype=np.intp) * n)[:, None]


def _ranks(inp: SensitivityInput, q: np.ndarray, sc: _Scratch | None = None) -> np.ndarray:
    """Competition ranks in unit order, per row."""
    sc = sc or _Scratch()
    order, sk = _sort(_rank_keys(inp, q, sc), sc)
    return _to_units(order, _competition(sk, sc=sc)[0], sc, "rank")


def _group_ranks(inp: SensitivityInput, q: np.ndarray, sc: _Scratch | None = None) -> np.ndarray:
    """Competition ranks within each comparison group. Groups are contiguous column slices; when
    group × score fits in 16 bits one sort of (group, −q) ranks every group at once."""
    sc = sc or _Scratch()
    if inp.group_key is None:
        out = np.empty(q.shape, dtype=np.int32)
        for cols in inp.members:
            out[:, cols] = _ranks(inp, q[:, cols])
        return out
    order, sk = _sort(np.subtract(inp.group_key, q, out=sc.get("keys", q.shape, np.uint16), casting="unsafe"), sc)
    first, _ = _competition(sk, sc=sc)
    first -= inp.group_start  # each group occupies the same positions in every sorted row
    return _to_units(order, first, sc, "group")


def _grades(inp: SensitivityInput, q: np.ndarray) -> np.ndarray:
    return grade_rows(q, inp.scope, inp.grades, inp.cap, inp.veto, scale=10.0 ** inp.decimals)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Rounded scores, ranks and tier indices for rows of weight vectors (or one row: 1-D arrays)."""

    score: np.ndarray
    rank: np.ndarray
    group_rank: np.ndarray
    tier: np.ndarray

    def row(self, i: int) -> Evaluation:
        return Evaluation(self.score[i], self.rank[i], self.group_rank[i], self.tier[i])


def _evaluate(inp: SensitivityInput, w: np.ndarray, tree_factors: np.ndarray | None = None,
              chunk: int = CHUNK) -> Evaluation:
    """Score, rank and grade every row of `w`; ranks in unit order (for sweeps, maps and Sobol)."""
    n_rows, n = len(w), inp.n_units
    out = Evaluation(np.empty((n_rows, n)), np.empty((n_rows, n), np.int32), np.empty((n_rows, n), np.int32),
                     np.empty((n_rows, n), np.int8))
    sc = _Scratch()
    for a in range(0, n_rows, chunk):
        b = min(a + chunk, n_rows)
        q = _keys(inp, w[a:b], None if tree_factors is None else tree_factors[a:b], sc)
        out.score[a:b] = q / 10.0 ** inp.decimals
        out.rank[a:b] = _ranks(inp, q, sc)
        out.group_rank[a:b] = _group_ranks(inp, q, sc)
        out.tier[a:b] = _grades(inp, q)
    return out


def evaluate(inp: SensitivityInput, weights) -> Evaluation:
    """Scores, ranks and grades under each row of `weights` (samples × dimensions; one vector → 1-D)."""
    w = np.asarray(weights, dtype=float)
    one = w.ndim == 1
    w = np.atleast_2d(w)
    if w.shape[1] != len(inp.weights) or (w < 0).any() or not np.allclose(w.sum(axis=1), 1, atol=1e-9):
        raise ValueError("each weight vector needs one non-negative weight per dimension, summing to 1")
    ev = _evaluate(inp, w)
    return ev.row(0) if one else ev


# ---------------------------------------------------------------------------------------------
# one-at-a-time sweeps and exact crossings
# ---------------------------------------------------------------------------------------------

def _sweep_lines(inp: SensitivityInput, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weight j = t, the others (1 − t)·r with r the official others rescaled to sum 1:
    w(t) = r + t·(e_j − r), so every unit's unclipped total is a + b·t."""
    r = inp.weights.copy()
    r[j] = 0.0
    r = r / r.sum() if r.sum() > 0 else np.where(np.arange(len(r)) == j, 0.0, 1.0 / (len(r) - 1))
    slope_w = -r
    slope_w[j] += 1.0
    return r, inp.dims @ r + inp.adjust, inp.dims @ slope_w


def _beyond(a: np.ndarray, b: np.ndarray, bound: float, upper: bool) -> tuple[np.ndarray, np.ndarray]:
    """The interval of t where a + b·t is at or beyond `bound` (above if `upper`), as (left, right)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tc = (bound - a) / b
    right_side = b > 0 if upper else b < 0  # beyond the bound for t ≥ tc
    left = np.where(b == 0, -np.inf, np.where(right_side, tc, -np.inf))
    right = np.where(b == 0, np.inf, np.where(right_side, np.inf, tc))
    return left, right


def crossings(inp: SensitivityInput, dimension: str, units: Sequence[int] | None = None) -> pd.DataFrame:
    """Every weight t in (0, 1) of `dimension` at which two units' totals are equal, solved exactly.

    Unclipped totals are lines a + b·t, so the pair (u, v) meets at t = (a_v − a_u)/(b_u − b_v) and the
    steeper one is ahead afterwards (`up` overtakes `down`). The clip to [0, 100] bends the lines: when
    they meet at or beyond a bound both are clipped there, so the pair is tied over [tie_from, tie_to]
    and `up` is ahead only after tie_to. Ranks use scores rounded to `decimals`, so a pair also shares a
    rank within about 0.5·10^−decimals / |b_u − b_v| of t.
    """
    j = inp.dimensions.index(dimension)
    _, a, b = _sweep_lines(inp, j)
    idx = np.arange(inp.n_units) if units is None else np.asarray(units)
    iu, iv = np.triu_indices(len(idx), k=1)
    u, v = idx[iu], idx[iv]
    db = b[u] - b[v]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (a[v] - a[u]) / db
    hit = (db != 0) & (t > 1e-12) & (t < 1 - 1e-12)  # a tie at an end point is no overtaking
    u, v, t, db = u[hit], v[hit], t[hit], db[hit]
    y = a[u] + b[u] * t
    up = np.where(db > 0, u, v)
    down = np.where(db > 0, v, u)
    # met at or beyond a bound: tied where both lines are beyond it (an interval around t)
    tie_from, tie_to = t.copy(), t.copy()
    for bound, upper in ((100.0, True), (0.0, False)):
        beyond = y >= bound if upper else y <= bound
        if beyond.any():
            lu, ru = _beyond(a[u[beyond]], b[u[beyond]], bound, upper)
            lv, rv = _beyond(a[v[beyond]], b[v[beyond]], bound, upper)
            tie_from[beyond] = np.clip(np.maximum(lu, lv), 0, 1)
            tie_to[beyond] = np.clip(np.minimum(ru, rv), 0, 1)
    ids = np.array(inp.unit_ids, dtype=object)
    names = np.array(inp.unit_names, dtype=object)
    same = inp.groups[up] == inp.groups[down]
    out = pd.DataFrame({"dimension": dimension, "weight": t, "up_id": ids[up], "up_name": names[up],
                        "down_id": ids[down], "down_name": names[down], "score": np.clip(y, 0, 100),
                        "tie_from": tie_from, "tie_to": tie_to, "same_group": same,
                        "official": inp.weights[j]})
    return out.sort_values("weight", kind="stable").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Scores, ranks and grades along one dimension's weight from 0 to 1 (others in proportion)."""

    dimension: str
    t: np.ndarray
    weights: np.ndarray
    eval: Evaluation
    crossings: pd.DataFrame
    official: float
    unit_ids: tuple[str, ...]
    tier_labels: list[str]

    def to_frames(self) -> dict[str, pd.DataFrame]:
        n_t, n = self.eval.rank.shape
        long = pd.DataFrame({
            "dimension": self.dimension, "weight": np.repeat(self.t, n),
            "unit_id": np.tile(np.array(self.unit_ids, dtype=object), n_t), "score": self.eval.score.ravel(),
            "rank": self.eval.rank.ravel(), "group_rank": self.eval.group_rank.ravel(),
            "grade": np.array(self.tier_labels, dtype=object)[self.eval.tier.ravel()]})
        return {f"sweep_{self.dimension}": long, f"crossings_{self.dimension}": self.crossings}


def sweep(inp: SensitivityInput, dimension: str, n_points: int = 101,
          units: Sequence[int] | None = None) -> SweepResult:
    """One-at-a-time sweep; `units` restricts the crossing list (all pairs of 2,000 units is ~2M pairs)."""
    if dimension not in inp.dimensions:
        raise ValueError(f"unknown dimension {dimension!r}; one of {inp.dimensions}")
    j = inp.dimensions.index(dimension)
    r, _, _ = _sweep_lines(inp, j)
    t = np.linspace(0.0, 1.0, n_points)
    w = r[None, :] * (1 - t[:, None])
    w[:, j] = t
    return SweepResult(dimension, t, w, _evaluate(inp, w), crossings(inp, dimension, units), float(inp.weights[j]),
                       inp.unit_ids, inp.tier_labels)


# ---------------------------------------------------------------------------------------------
# weight samples
# ---------------------------------------------------------------------------------------------

def sample_uniform(w0: np.ndarray, delta: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform on the part of the simplex within ±delta of every official weight (rejection).

    Draw the first d−1 perturbations in [−delta, delta], the last is minus their sum so the weights
    still sum to 1; reject if it leaves [−delta, delta] or a weight turns negative. This is exactly
    uniform on the slice (a linear image of a box); for d = 3 about 3/4 of draws are kept.
    delta = 0 returns the official weights bit for bit.
    """
    d = len(w0)
    out = np.empty((0, d))
    while len(out) < n:
        e = rng.uniform(-delta, delta, size=(max(2 * (n - len(out)), 64), d))
        e[:, -1] = -e[:, :-1].sum(axis=1)
        w = w0 + e
        keep = (np.abs(e[:, -1]) <= delta) & (w >= 0).all(axis=1)
        out = np.vstack([out, w[keep]])
    return out[:n]


def sample_dirichlet(w0: np.ndarray, kappa: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Dirichlet(kappa·w0): mean = official weights, larger kappa = tighter. Zero weights stay zero."""
    out = np.zeros((n, len(w0)))
    live = w0 > 0
    out[:, live] = rng.dirichlet(kappa * w0[live], size=n)
    return out


def sample_tree_factors(n_edges: int, delta: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative factors U(1 − delta, 1 + delta) on every tree weight; siblings renormalise in the tree."""
    return rng.uniform(1 - delta, 1 + delta, size=(n, n_edges))


# ---------------------------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------------------------

def _quantile_from_hist(hist: np.ndarray, q: float) -> np.ndarray:
    """Inverted-CDF quantile (numpy method 'inverted_cdf') of each row's histogram over ranks 1.."""
    cum = np.cumsum(hist, axis=1)
    need = np.maximum(np.ceil(q * cum[:, -1] - 1e-9), 1)
    return (cum < need[:, None]).sum(axis=1) + 1


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Per unit rank and grade distributions over the weight samples, kept as histograms so every
    percentile and P(top-k) for any k is exact and cheap after the run."""

    weights: np.ndarray  # samples × dimensions
    nominal: Evaluation
    rank_hist: np.ndarray  # units × ranks (column r−1 counts rank r)
    group_rank_hist: np.ndarray  # units × group ranks
    tier_hist: np.ndarray  # units × tiers
    abs_shift: np.ndarray  # per sample: mean over units of |rank − nominal rank| (COINr's measure)
    spearman: np.ndarray  # per sample: Spearman rho of sampled vs nominal ranks
    kendall: np.ndarray  # Kendall tau-b on the first `kendall_samples` samples
    top_k: int
    settings: dict
    inp: SensitivityInput = field(repr=False)
    elapsed: float = 0.0

    @property
    def n_samples(self) -> int:
        return len(self.weights)

    def rank_quantile(self, q: float, group: bool = False) -> np.ndarray:
        return _quantile_from_hist(self.group_rank_hist if group else self.rank_hist, q)

    def p_top(self, k: int | None = None, group: bool = False) -> np.ndarray:
        hist = self.group_rank_hist if group else self.rank_hist
        return hist[:, : (k or self.top_k)].sum(axis=1) / self.n_samples

    @property
    def p_grade(self) -> np.ndarray:
        return self.tier_hist / self.n_samples

    @property
    def p_same_grade(self) -> np.ndarray:
        return self.p_grade[np.arange(len(self.nominal.tier)), self.nominal.tier]

    @property
    def mean_abs_shift(self) -> float:
        return float(self.abs_shift.mean())

    def to_frames(self) -> dict[str, pd.DataFrame]:
        inp, nom, k = self.inp, self.nominal, self.top_k
        labels = np.array(inp.tier_labels, dtype=object)
        ranks = np.arange(1, self.rank_hist.shape[1] + 1)
        units = pd.DataFrame({
            "unit_id": inp.unit_ids, "unit_name": inp.unit_names,
            "group": np.array(inp.group_names, dtype=object)[inp.groups], "score": nom.score,
            "rank": nom.rank, "rank_median": self.rank_quantile(0.5), "rank_p05": self.rank_quantile(0.05),
            "rank_p95": self.rank_quantile(0.95),
            "rank_mean_abs_shift": (self.rank_hist * np.abs(ranks - nom.rank[:, None])).sum(axis=1) / self.n_samples,
            f"p_top{k}": self.p_top(k),
            "group_rank": nom.group_rank, "group_rank_median": self.rank_quantile(0.5, True),
            "group_rank_p05": self.rank_quantile(0.05, True), "group_rank_p95": self.rank_quantile(0.95, True),
            f"p_group_top{k}": self.p_top(k, True),
            "grade": labels[nom.tier], "p_same_grade": self.p_same_grade,
        })
        for t, label in enumerate(labels):
            units[f"p_{label}"] = self.p_grade[:, t]
        summary = pd.DataFrame([{
            **self.settings, "n_samples": self.n_samples, "n_units": inp.n_units,
            "mean_abs_rank_shift": self.mean_abs_shift, "spearman_mean": float(self.spearman.mean()),
            "spearman_p05": float(np.quantile(self.spearman, 0.05)),
            "kendall_mean": float(self.kendall.mean()) if len(self.kendall) else np.nan,
            "kendall_samples": len(self.kendall), "seconds": self.elapsed}])
        samples = pd.DataFrame(self.weights, columns=[f"w_{d}" for d in inp.dimensions]).assign(
            mean_abs_rank_shift=self.abs_shift, spearman=self.spearman)
        return {"mc_units": units, "mc_summary": summary, "mc_samples": samples}


class _Hists:
    """The running rank, group-rank and tier histograms (units × values), one set shared by all
    workers: a set per worker would double the fresh memory a run must fault in, and the adds under
    the lock are a small part of the work (the bincounts run outside it)."""

    def __init__(self, n: int, g: int, t: int):
        self.rank = np.zeros((n, n), np.int64)
        self.group = np.zeros((n, g), np.int64)
        self.tier = np.zeros((n, t), np.int64)
        self.lock = threading.Lock()

    def add(self, hist: np.ndarray, values: np.ndarray, block: int = 64) -> None:
        """hist[u, values[:, u]] += 1 for every row, by blocks of units: each block's bins stay in cache
        (one bincount over all units scatters into n² bins and is ~6× slower)."""
        n, m = hist.shape
        offsets = np.arange(block, dtype=np.int64 if block * m >= 2 ** 31 else np.int32) * m
        for a in range(0, n, block):
            b = min(a + block, n)
            counts = np.bincount((values[:, a:b] + offsets[: b - a]).ravel(), minlength=(b - a) * m)
            with self.lock:
                hist[a:b] += counts.reshape(b - a, m)


def _spearman(x_sorted: np.ndarray, y_sorted: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per row: Pearson correlation of mid-ranks (= Spearman's rho with ties); both average (n+1)/2."""
    n = len(x)
    c = n * ((n + 1) / 2.0) ** 2
    sxy = np.einsum("ij,ij->i", x_sorted, y_sorted) - c
    syy = np.einsum("ij,ij->i", y_sorted, y_sorted) - c
    with np.errstate(invalid="ignore", divide="ignore"):
        return sxy / np.sqrt((x @ x - c) * syy)


def _mc_chunk(inp: SensitivityInput, w: np.ndarray, f: np.ndarray | None, hists: _Hists, sc: _Scratch,
              nom_rank0: np.ndarray, nom_mid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score, rank and grade one block of samples into the histograms; returns the per-sample
    mean absolute rank shift and Spearman's rho."""
    q = _keys(inp, w, f, sc)
    order, sk = _sort(_rank_keys(inp, q, sc), sc)
    first, mid = _competition(sk, mid=True, sc=sc)
    rho = _spearman(nom_mid.take(order, out=sc.get("x", order.shape, np.float64)), mid, nom_mid)
    rank0 = _to_units(order, first, sc, "rank")
    rank0 -= 1
    hists.add(hists.rank, rank0)
    gap = np.subtract(rank0, nom_rank0, out=first)  # `first` is spent: reuse it
    shift = np.abs(gap, out=gap).mean(axis=1)
    group0 = _group_ranks(inp, q, sc)
    group0 -= 1
    hists.add(hists.group, group0)
    hists.add(hists.tier, _grades(inp, q))
    return shift, rho


def monte_carlo(inp: SensitivityInput, n_samples: int = 1000, *, delta: float | None = 0.05,
                kappa: float | None = None, tree_delta: float = 0.0, top_k: int = 10, seed: int = 0,
                kendall_samples: int = 200, chunk: int = CHUNK, workers: int | None = None,
                progress: Callable[[float], None] | None = None) -> MonteCarloResult:
    """Monte Carlo over the dimension-weight simplex around the official weights.

    `delta`: uniform within ±delta (weight units: 0.05 = ±5 percentage points), see `sample_uniform`;
    or `kappa`: Dirichlet(kappa·w0). `tree_delta` > 0 also multiplies every performance-tree weight
    by U(1 ± tree_delta) per sample (siblings renormalised, absent indicators reweighted as in the
    pipeline). Seeded: the same arguments give the same result whatever `chunk` and `workers`.
    Kendall's tau costs O(n log n) per sample in scipy, so it is taken on the first
    `kendall_samples` samples only (they are an iid subsample).
    """
    if n_samples < 1 or top_k < 1:
        raise ValueError("n_samples and top_k must be ≥ 1")
    if (kappa is None) == (delta is None):
        raise ValueError("give exactly one of delta (uniform) or kappa (Dirichlet)")
    if delta is not None and not 0 <= delta <= 1:
        raise ValueError("delta must be within [0, 1]")
    if kappa is not None and kappa <= 0:
        raise ValueError("kappa must be > 0")
    if tree_delta and (inp.tree is None or not 0 < tree_delta < 1):
        raise ValueError("tree_delta needs the performance tree (from_result) and must be within (0, 1)")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    w = sample_uniform(inp.weights, delta, n_samples, rng) if kappa is None else \
        sample_dirichlet(inp.weights, kappa, n_samples, rng)
    f = sample_tree_factors(inp.tree.n_edges, tree_delta, n_samples, rng) if tree_delta else None
    n = inp.n_units
    gmax = max(c.stop - c.start for c in inp.members)
    nom = inp.nominal
    nom_rank0, nom_mid = nom.rank - 1, _mid_ranks(nom.score)
    workers = workers or os.cpu_count() or 1
    hists = _Hists(n, gmax, len(inp.grades.tier))
    pool: queue.Queue[_Scratch] = queue.Queue()  # one scratch per worker, reused block after block
    for _ in range(workers):
        pool.put(_Scratch())
    shift = np.empty(n_samples)
    rho = np.empty(n_samples)

    def run(a: int) -> int:
        b = min(a + chunk, n_samples)
        sc = pool.get()
        try:
            shift[a:b], rho[a:b] = _mc_chunk(inp, w[a:b], None if f is None else f[a:b], hists, sc, nom_rank0, nom_mid)
        finally:
            pool.put(sc)
        return b - a

    done = 0
    with ThreadPoolExecutor(workers) as ex:
        for size in ex.map(run, range(0, n_samples, chunk)):
            done += size
            if progress:
                progress(done / n_samples)
    kendall = np.array([stats.kendalltau(nom.score, s).statistic
                        for s in _evaluate(inp, w[:kendall_samples], None if f is None else f[:kendall_samples]).score])
    settings = {"method": "uniform" if kappa is None else "dirichlet", "delta": delta, "kappa": kappa,
                "tree_delta": tree_delta, "seed": seed, "top_k": top_k}
    return MonteCarloResult(
        w, nom, hists.rank, hists.group, hists.tier, shift, rho, kendall, top_k, settings, inp, time.perf_counter() - started)


def _mid_ranks(scores: np.ndarray) -> np.ndarray:
    return stats.rankdata(-scores, method="average")


# ---------------------------------------------------------------------------------------------
# ternary map of the whole simplex
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class TernaryResult:
    """Every unit's rank, group rank and grade at every point of a grid over the weight simplex."""

    weights: np.ndarray  # points × 3
    eval: Evaluation  # points × units
    official: np.ndarray
    inp: SensitivityInput = field(repr=False)

    @cached_property
    def leader(self) -> np.ndarray:
        """Index of the first-ranked unit at each point (the first in input order if several tie)."""
        return np.argmax(self.eval.rank == 1, axis=1)

    @cached_property
    def n_leaders(self) -> np.ndarray:
        return (self.eval.rank == 1).sum(axis=1)

    def unit(self, unit_id: str) -> pd.DataFrame:
        i = self.inp.unit_ids.index(unit_id)
        return self._points().assign(
            unit_id=unit_id, score=self.eval.score[:, i], rank=self.eval.rank[:, i],
            group_rank=self.eval.group_rank[:, i],
            grade=np.array(self.inp.tier_labels, dtype=object)[self.eval.tier[:, i]])

    def _points(self) -> pd.DataFrame:
        return pd.DataFrame(self.weights, columns=[f"w_{d}" for d in self.inp.dimensions])

    def to_frames(self, unit_id: str | None = None) -> dict[str, pd.DataFrame]:
        ids = np.array(self.inp.unit_ids, dtype=object)
        names = np.array(self.inp.unit_names, dtype=object)
        out = {"ternary": self._points().assign(leader_id=ids[self.leader], leader_name=names[self.leader],
                                                n_leaders=self.n_leaders)}
        if unit_id is not None:
            out["ternary_unit"] = self.unit(unit_id)
        return out


def ternary(inp: SensitivityInput, step: float = 0.01) -> TernaryResult:
    """Grid of step `step` over the 3-weight simplex (0.01 → 5,151 points), corners included."""
    if len(inp.weights) != 3:
        raise ValueError("the ternary map needs exactly three dimensions")
    m = round(1 / step)
    if not math.isclose(m * step, 1.0):
        raise ValueError("step must divide 1")
    i, j = np.divmod(np.arange((m + 1) ** 2), m + 1)
    keep = i + j <= m
    grid = np.column_stack([i[keep], j[keep], m - i[keep] - j[keep]]) / m
    return TernaryResult(grid, _evaluate(inp, grid), inp.weights, inp)


# ---------------------------------------------------------------------------------------------
# Sobol indices of the dimension weights
# ---------------------------------------------------------------------------------------------

def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen 1999) indices, the estimators SALib uses.

    f_a, f_b: (N, m) outputs on the two base matrices; f_ab: (k, N, m), f_ab[i] on A with column i
    from B. Returns (S1, ST), each (k, m). Outputs are centred on their mean over all evaluations
    first, as SALib does: the first-order estimator is biased for outputs far from 0, like ranks.
    An output that never varies gets NaN.
    """
    centre = (f_a.sum(axis=0) + f_b.sum(axis=0) + f_ab.sum(axis=(0, 1))) / (len(f_a) * (len(f_ab) + 2))
    f_a, f_b, f_ab = f_a - centre, f_b - centre, f_ab - centre
    var = np.var(np.concatenate([f_a, f_b]), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1 = np.mean(f_b * (f_ab - f_a), axis=1) / var
        st = 0.5 * np.mean((f_a - f_ab) ** 2, axis=1) / var
    return s1, st


@dataclass(frozen=True, eq=False)
class SobolResult:
    """Sobol indices of the independent weight factors on each unit's rank and on the mean
    absolute rank shift (`mar_*`, with bootstrap 95% half-widths)."""

    factors: tuple[str, ...]
    bounds: np.ndarray  # k × 2 range of each raw factor
    s1_rank: np.ndarray  # factors × units
    st_rank: np.ndarray
    mar_s1: np.ndarray
    mar_st: np.ndarray
    mar_s1_conf: np.ndarray
    mar_st_conf: np.ndarray
    n_evaluations: int
    inp: SensitivityInput = field(repr=False)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        summary = pd.DataFrame({"factor": self.factors, "low": self.bounds[:, 0], "high": self.bounds[:, 1],
                                "S1": self.mar_s1, "S1_conf": self.mar_s1_conf, "ST": self.mar_st,
                                "ST_conf": self.mar_st_conf, "n_evaluations": self.n_evaluations})
        units = pd.DataFrame({"unit_id": self.inp.unit_ids, "unit_name": self.inp.unit_names,
                              "rank": self.inp.nominal.rank})
        for i, f in enumerate(self.factors):
            units[f"S1_{f}"] = self.s1_rank[i]
            units[f"ST_{f}"] = self.st_rank[i]
        return {"sobol_mean_abs_shift": summary, "sobol_units": units}


def sobol_weights(inp: SensitivityInput, n_base: int = 1024, *, delta: float | None = 0.1, seed: int = 0,
                  n_boot: int = 200) -> SobolResult:
    """Sobol indices of the dimension weights, N·(k + 2) evaluations on a scrambled Sobol' sequence.

    Weights on the simplex are dependent (they sum to 1), and Sobol indices need independent
    inputs, so the factors are independent raw weights x_i ~ U(max(0, w_i − delta), w_i + delta)
    (U(0, 1) with delta None) and the weights are x / Σx: the index of "mass" measures the effect of
    the mass weight's uncertainty through its share of the total, including what it takes from the others.
    """
    if n_base < 2 or n_base & (n_base - 1):
        raise ValueError("n_base must be a power of 2 (Sobol' sequence balance)")
    k = len(inp.weights)
    lo = np.zeros(k) if delta is None else np.maximum(inp.weights - delta, 0)
    hi = np.ones(k) if delta is None else inp.weights + delta
    base = qmc.Sobol(2 * k, scramble=True, seed=seed).random(n_base)
    a = lo + base[:, :k] * (hi - lo)
    b = lo + base[:, k:] * (hi - lo)
    ab = np.repeat(a[None], k, axis=0)
    for i in range(k):
        ab[i, :, i] = b[:, i]
    x = np.concatenate([a, b, ab.reshape(-1, k)])
    sums = x.sum(axis=1, keepdims=True)
    w = np.divide(x, sums, out=np.full_like(x, 1.0 / k), where=sums > 0)
    ranks = _evaluate(inp, w).rank.astype(float)
    mar = np.abs(ranks - inp.nominal.rank).mean(axis=1)

    def split(y):
        return y[:n_base], y[n_base:2 * n_base], y[2 * n_base:].reshape(k, n_base, *y.shape[1:])

    s1, st = sobol_indices(*split(ranks))
    ma, mb, mab = split(mar[:, None])
    m1, mt = sobol_indices(ma, mb, mab)
    rng = np.random.default_rng(seed)
    boots = np.array([np.concatenate(sobol_indices(ma[r], mb[r], mab[:, r]))[:, 0]
                      for r in rng.integers(0, n_base, size=(n_boot, n_base))])
    conf = stats.norm.ppf(0.975) * np.nanstd(boots, axis=0)
    return SobolResult(inp.dimensions, np.column_stack([lo, hi]), s1, st, m1[:, 0], mt[:, 0], conf[:k], conf[k:],
                       len(w), inp)


# ---------------------------------------------------------------------------------------------
# the straightforward method, for checks and the benchmark
# ---------------------------------------------------------------------------------------------

def model_with_weights(model: Model, weights, tree_factors: np.ndarray | None = None,
                       tree: Tree | None = None) -> Model:
    """A fresh model with other dimension weights (and tree weights times `tree_factors`, edges as in
    `tree`). Built with `model_validate` from a dump: `model_copy(update=...)` would keep the
    cached `Model.weights` of the original."""
    data = model.model_dump()
    data["dimensions"] = dict(zip(DIMENSIONS, map(float, weights), strict=True))
    if tree_factors is not None:
        factor = dict(zip(tree.codes, tree_factors, strict=True))
        for kind in ("node", "indicator"):
            for item in data["performance"][kind]:
                item["weight"] = item["weight"] * float(factor.get(item["code"], 1.0))
    return Model.model_validate(data)
