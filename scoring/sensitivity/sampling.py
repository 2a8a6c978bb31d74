"""Weight samples around the official weights: uniform within ±delta, Dirichlet, tree weight factors."""

from __future__ import annotations

import numpy as np


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
