"""Scalar arithmetic that gives, bit for bit, what the vectorised model's numpy expressions give.

Plain Python float arithmetic (+ - * / and comparisons) is IEEE double arithmetic, exactly like numpy's
element-wise float64 operations, so most of the reference needs nothing special. The exceptions, each
measured on this machine (numpy 2.5) and checked by ``self_check()``:

* **Transcendental functions.** numpy's ``exp``, ``log`` and ``power`` ufuncs use their own SIMD
  implementations, which differ from ``math.exp`` etc. in the last bit for about one value in twenty.
  The reference calls the numpy ufunc on a single number (``ufunc_exp`` ...): a one-element call runs the
  same loop. ``x ** y`` on a numpy *scalar* (not array) goes through numpy's scalar math, which is the C
  library's ``pow``, the same as Python's ``**`` on floats.
* **float32 columns.** Floor area, EP2, condition and priced condition are stored as float32. The
  reference stores them as Python floats holding float32 values (``f32``). numpy computes ``python float x
  float32 array`` in float32 (NEP 50) and compares a float32 array with a Python float in float32; the
  two places where the model does so are written out with :func:`f32`.
* **Sums.** ``np.bincount(..., weights=...)`` adds in input order (as a Python loop does), but
  ``ndarray.sum()`` and ``np.average`` use pairwise summation: :func:`numpy_sum` replicates it.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

# -- float32 storage -----------------------------------------------------------------------------------


def f32(x: float) -> float:
    """The float32 value nearest to x, as a Python float (what storing x in a float32 column keeps)."""
    return float(np.float32(x))


# -- ufuncs on one number ------------------------------------------------------------------------------


def ufunc_exp(x: float) -> float:
    return float(np.exp(x))


def ufunc_log(x: float) -> float:
    return float(np.log(x))


def ufunc_power(x: float, y: float) -> float:
    """``array ** y`` for a float64 array (numpy's special cases for the exponents 2, 1, -1, 0.5, 0)."""
    if y == 2.0:
        return x * x
    if y == 1.0:
        return x
    if y == -1.0:
        return 1.0 / x
    if y == 0.0:
        return 1.0
    if y == 0.5:
        return float(np.sqrt(x))
    return float(np.power(x, y))


# -- sums ----------------------------------------------------------------------------------------------


def _pairwise(a: list[float], lo: int, n: int) -> float:
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= 128:
        r = a[lo:lo + 8]
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += a[lo + i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a, lo, n2) + _pairwise(a, lo + n2, n - n2)


def numpy_sum(values) -> float:
    """``np.array(values, dtype=float).sum()``: numpy's pairwise summation (blocks of 8, 128 per leaf)."""
    a = [float(v) for v in values]
    return _pairwise(a, 0, len(a))


def numpy_median(values: list[float]) -> float:
    """``np.median``: the middle value, or the mean (a + b) / 2 of the two middle values."""
    s = sorted(values)
    n = len(s)
    if n == 0:
        return float("nan")
    if n % 2:
        return s[n // 2]
    return (s[n // 2 - 1] + s[n // 2]) / 2.0


def interp(path: dict, x: float) -> float:
    """``np.interp(x, sorted(path), values)`` for one x: linear between the points, constant outside."""
    xs = [float(k) for k in sorted(path)]
    ys = [float(path[k]) for k in sorted(path)]
    if len(xs) == 1:
        return ys[0]
    if x < xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    j = bisect_right(xs, x) - 1
    if xs[j] == x:
        return ys[j]
    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
    return slope * (x - xs[j]) + ys[j]


def self_check(seed: int = 0) -> list[str]:
    """Compare the replicas above with numpy on random inputs; returns the failures (empty: all agree)."""
    rng = np.random.default_rng(seed)
    failures = []
    for n in (1, 7, 8, 9, 100, 129, 1000, 20000):
        x = rng.random(n) * np.exp(rng.normal(0, 3, n))
        if numpy_sum(x.tolist()) != x.sum():
            failures.append(f"numpy_sum differs from ndarray.sum for {n} values")
    x = rng.normal(0, 5, 1000)
    if not np.array_equal(np.exp(x), [ufunc_exp(v) for v in x.tolist()]):
        failures.append("ufunc_exp differs from np.exp on an array")
    x = rng.random(1000) * 0.2
    if not np.array_equal(np.power(1.0 + x, -25.0), [ufunc_power(1.0 + v, -25.0) for v in x.tolist()]):
        failures.append("ufunc_power differs from np.power on an array")
    if any(np.float64(1.0 + v) ** -25.0 != (1.0 + v) ** -25.0 for v in x.tolist()):
        failures.append("numpy scalar power differs from Python's **")
    path = {2019: 0.8, 2022: 1.4, 2030: 1.1, 2050: 1.0}
    for y in range(2010, 2060):
        if interp(path, y) != np.interp(y, sorted(path), [path[k] for k in sorted(path)]):
            failures.append(f"interp differs from np.interp at {y}")
    return failures
