"""The kernel: score, rank and grade many weight vectors at once, on the arrays of a `SensitivityInput`.

Each row w of a weight matrix W is run through the pipeline's rules, restated for arrays (each
twin's docstring names the pipeline function it must equal):

    total = clip(dims @ w + adjust, 0, 100), rounded half up to `decimals` → integer key q (ranking.rounded_keys)
    rank  = standard competition rank on q, overall and within the comparison group (ranking.competition_rank)
    grade = `scoring.grades.grade_rows` (thresholds, cap, veto, quota per scope) on q / 10^decimals

Scores stay float64: ranks are taken on totals rounded to 2 decimals and must equal the pipeline's,
and in float32 about 1 total in 2,000 (measured on uniform 50–100 scores) rounds to a different
cent. Speed comes from elsewhere: one matrix product per block of samples, int16 rounded scores
sorted by a radix argsort, ties resolved by one flat cumsum, scratch arrays reused from one block
to the next (`_Scratch`), and no BLAS call whose spinning threads would take another worker's core.

The `_` functions trust their input (`SensitivityInput` validates it); `evaluate` is the checked entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from scoring.grades import grade_rows
from scoring.ranking import ROUND_EPS
from scoring.sensitivity.tree import _tree_rows

if TYPE_CHECKING:  # annotations only: inputs imports this module
    from scoring.sensitivity.inputs import SensitivityInput

CHUNK = 500  # samples per block: ~75 MB of scratch per worker at 2,000 units


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
          sc: _Scratch | None = None, perf: np.ndarray | None = None) -> np.ndarray:
    """Rounded totals as integers q = round-half-up(clip(dims·w + adjust, 0, 100)·10^decimals), samples ×
    units; with `perf` (samples × units) the performance dimension's score of each sample replaces the
    published one (the method-choice analysis, `scoring.sensitivity.assumptions`). Must equal the pipeline's rounding, `scoring.ranking.rounded_keys` of its clipped total (the
    same formula and ROUND_EPS). int16 when it fits (radix argsort), else int32.

    The product is an einsum, not `@`: with 4 columns BLAS saves only ~2 ms per 1,000 samples, and
    OpenBLAS threads then spin for tens of ms after every call, taking the core the other worker needs.
    """
    sc = sc or _Scratch()
    shape = (len(w), inp.n_units)
    s = np.einsum("ij,jk->ik", np.column_stack([w, np.ones(len(w))]), inp.augmented,
                  out=sc.get("total", shape, np.float64))  # dims·w + adjust
    if tree_factors is not None or perf is not None:  # the performance score differs per sample
        j = inp.tree_dimension
        s += w[:, [j]] * ((_tree_rows(inp.tree, tree_factors) if perf is None else perf) - inp.dims[:, j])
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
    """Competition ranks in unit order, per row: 1 + the number of units with a higher rounded total.

    The array twin of the pipeline's overall rank: must equal `scoring.ranking.competition_rank`
    of the same totals, row by row (tests/test_grades.py::test_kernel_ranks_equal_competition_rank;
    against the whole pipeline: tests/test_sensitivity.py::test_kernel_equals_per_sample_pipeline).
    """
    sc = sc or _Scratch()
    order, sk = _sort(_rank_keys(inp, q, sc), sc)
    return _to_units(order, _competition(sk, sc=sc)[0], sc, "rank")


def _group_ranks(inp: SensitivityInput, q: np.ndarray, sc: _Scratch | None = None) -> np.ndarray:
    """Competition ranks within each comparison group. Groups are contiguous column slices; when
    group × score fits in 16 bits one sort of (group, −q) ranks every group at once.

    The array twin of the pipeline's group rank: must equal `scoring.ranking.competition_rank` with
    `by` = the comparison group, row by row (tested with `_ranks`).
    """
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
    """Tier index per row and unit by `scoring.grades.grade_rows`: the array twin of the pipeline's
    grading (thresholds, cap, veto, quota, built on `scoring.grades`), which it must equal on the same
    rounded totals (tests/test_sensitivity.py: test_grade_rows_equals_pipeline_grading,
    test_kernel_equals_per_sample_pipeline)."""
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
