"""Small sampling helpers used when building the stock and in processes."""

from __future__ import annotations

import numpy as np


def apportion(total: int, weights) -> np.ndarray:
    """Integers summing exactly to ``total`` in proportion to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(w.size, dtype=np.int64)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    rest = total - out.sum()
    if rest > 0:
        order = np.argsort(-(exact - out), kind="stable")
        out[order[:rest]] += 1
    return out


def weighted_choice_without_replacement(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` items drawn without replacement with probability proportional to ``weights``
    (Efraimidis-Spirakis keys; zero-weight items come last)."""
    w = np.asarray(weights, dtype=float)
    k = int(k)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k >= w.size:
        return np.arange(w.size)
    u = rng.random(w.size)
    with np.errstate(divide="ignore"):
        keys = np.where(w > 0, np.log(u) / np.where(w > 0, w, 1.0), -np.inf)
    idx = np.argpartition(-keys, k - 1)[:k]
    return np.sort(idx)


def rank_match(score_a: np.ndarray, score_b: np.ndarray) -> np.ndarray:
    """For equal-length score arrays, the index into b matched to each a by rank (highest with highest)."""
    order_a = np.argsort(score_a, kind="stable")
    order_b = np.argsort(score_b, kind="stable")
    out = np.empty(score_a.size, dtype=np.int64)
    out[order_a] = order_b
    return out
