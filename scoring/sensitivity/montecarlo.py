"""Monte Carlo over the weight simplex: each unit's rank and grade distribution, kept as histograms.

Rank histograms are filled by blocks of units that fit in cache, so percentiles, P(top-k) and
P(grade) come from the histograms with no column sorts. Blocks of samples are spread over a thread
pool (numpy releases the GIL in the heavy calls), each worker reusing its own scratch arrays.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from scoring.sensitivity.inputs import SensitivityInput
from scoring.sensitivity.kernel import (
    CHUNK,
    Evaluation,
    _competition,
    _evaluate,
    _grades,
    _group_ranks,
    _keys,
    _rank_keys,
    _Scratch,
    _sort,
    _to_units,
)
from scoring.sensitivity.sampling import sample_dirichlet, sample_tree_factors, sample_uniform


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
