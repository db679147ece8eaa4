"""Compiled loops for finding homes (model/allocation.py), each with the numpy code of allocation.py as its
bit-identical fallback (see model/kernels.py: ``ZODRENTHE_NUMBA=0`` uses the fallbacks).

The matching draws its random numbers round by round, and how many it draws depends on the round before; in
numpy each round is a handful of calls of microseconds on a few hundred buyers and homes, and a municipality
of allocate_dwellings some forty calls. These loops draw from the caller's numpy Generator themselves, through
its bit generator's C interface (numpy's ``bitgen_t``: the state and the functions that advance it, the same
functions numpy's Generator calls), with numpy's algorithms: ``Generator.random`` (one ``next_double`` per
number) and ``Generator.permutation`` (a Fisher-Yates shuffle of ``arange(n)`` drawing bounded integers by
masked rejection from ``next_uint32``). They give the same numbers and leave the generator in the same state
as the numpy calls (tests/test_kernels_allocation.py checks both). A loop gets the address of the
``bitgen_t`` (:func:`bitgen_address`, about a microsecond) instead of the Generator (the entry points
:func:`match` and :func:`allocate` take the Generators and pass their addresses on): numba can take a
Generator too, but unboxing one costs 15-30 us a call (three ctypes casts), which is what the loops save.

- :func:`homes_on_offer`: the vacant homes a household can move into, in one pass over the dwelling slots
  (numpy: some fifteen passes and gathers), with their municipality, value and whether they are for sale.
- :func:`match`: all rounds of :func:`model.allocation.match_free` in one call (the stable sort of the homes
  by value included).
- :func:`allocate`: all municipalities of :func:`model.allocation.allocate_dwellings` (who prefers to buy,
  the buyers' match, the renters' homes, the other segment for who is left) in one call instead of about
  forty per municipality.
"""

from __future__ import annotations

import ctypes

import numpy as np

from .kernels import COMPILED, _Lazy, njit, use_compiled
from .state import CORPORATION_FUND, FUND, FUND_LET_TEMP, VACANT, for_sale_code

if COMPILED:
    from .kernels_market import match_affordable, match_bids

__all__ = ["allocate", "bitgen_address", "homes_on_offer", "match", "use_compiled"]

_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))


def bitgen_address(rng: np.random.Generator) -> int:
    """The address of the ``bitgen_t`` of ``rng``'s bit generator (from its documented ``capsule``), for the
    loops here. Valid only while ``rng`` is alive: the entry points take the Generators and hold them for the
    call."""
    return _capsule_pointer(rng.bit_generator.capsule, b"BitGenerator")


class _Intrinsic(_Lazy):
    """A numba intrinsic that the kernels calling it build at their first compilation (``fn`` returns it), so
    that numba is imported only then."""

    def dispatcher(self):
        if self.compiled is None:
            self.compiled = self.fn()
        return self.compiled


def homes_on_offer(alive, status, in_stock, written_off, owner, fund_status, municipality, value, last_sale_year,
                   year):
    """allocation.homes_on_offer's homes from the dwelling columns: their rows (ascending), municipalities,
    values, and whether each is for sale (and not sold yet in ``year``)."""
    n = alive.size
    rows, mun, val, sale = (np.empty(n, dtype=np.int64), np.empty(n, dtype=municipality.dtype),
                            np.empty(n, dtype=np.float64), np.empty(n, dtype=np.bool_))
    k = _offer_loop(alive, status, in_stock, written_off, owner, fund_status, municipality, value, last_sale_year,
                    year, rows, mun, val, sale)
    return rows[:k], mun[:k], val[:k], sale[:k]


@njit
def _offer_loop(alive, status, in_stock, written_off, owner, fund_status, municipality, value, last_sale_year,
                year, rows, mun, val, sale):  # pragma: no cover - compiled
    """The homes on offer written to the front of rows/mun/val/sale; returns how many."""
    k = 0
    for r in range(alive.size):
        if not (alive[r] and status[r] == VACANT and in_stock[r]):
            continue
        o, s = owner[r], fund_status[r]
        if written_off[r] and not ((o == FUND or o == CORPORATION_FUND) and s == FUND_LET_TEMP):
            continue
        rows[k] = r
        mun[k] = municipality[r]
        val[k] = value[r]
        sale[k] = for_sale_code(o, s) and last_sale_year[r] != year
        k += 1
    return k


def _bitgen_call(slot: int, name: str):
    """An intrinsic calling function ``slot`` of a ``bitgen_t`` (given by its address) on its state: the
    struct is ``{void *state; uint64_t (*next_uint64)(void *); uint32_t (*next_uint32)(void *);
    double (*next_double)(void *); ...}`` (numpy/random/bitgen.h)."""
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    ret = {"next_uint32": types.uint32, "next_double": types.float64}[name]

    @intrinsic
    def call(typingctx, address):
        def codegen(context, builder, sig, args):
            void_p = ir.IntType(8).as_pointer()
            words = builder.inttoptr(args[0], void_p.as_pointer())
            fnty = ir.FunctionType(context.get_value_type(ret), [void_p])
            fn = builder.bitcast(builder.load(builder.gep(words, [ir.Constant(ir.IntType(32), slot)])),
                                 fnty.as_pointer())
            return builder.call(fn, [builder.load(words)])

        return ret(types.int64), codegen

    return call


_next_uint32 = _Intrinsic(lambda: _bitgen_call(2, "next_uint32"))
_next_double = _Intrinsic(lambda: _bitgen_call(3, "next_double"))


@njit
def _random(bg, n):  # pragma: no cover - compiled
    """Generator.random(n) of the bit generator at address bg."""
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        out[i] = _next_double(bg)
    return out


@njit
def _permutation(bg, n):  # pragma: no cover - compiled
    """Generator.permutation(n) of the bit generator at address bg (n < 2**32): numpy's shuffle of arange(n),
    each swap partner a random_interval(i) (the smallest bit mask >= i, 32-bit draws until one is <= i)."""
    out = np.arange(n)
    for i in range(n - 1, 0, -1):
        mask = i
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        j = np.int64(_next_uint32(bg)) & mask
        while j > i:
            j = np.int64(_next_uint32(bg)) & mask
        out[i], out[j] = out[j], out[i]
    return out


@njit
def _rounds(bg, rounds, width, by_score, avail_idx, avail_value, avail_score, n_avail, todo, todo_budget, n_todo,
            got):  # pragma: no cover - compiled
    """The rounds of match_free on the available homes (the first n_avail of avail_idx/avail_value/avail_score,
    sorted by value) and the buyers (the first n_todo of todo/todo_budget), drawing as numpy does: each round's
    buyers who can afford a home, their draws (random) and their order (permutation), then the bids. Writes
    got; returns the number of homes left (still first in the avail arrays, in order)."""
    k = np.empty(n_todo, dtype=np.int64)
    for _ in range(rounds):
        if n_todo == 0 or n_avail == 0:
            break
        n_todo = match_affordable(avail_value, n_avail, todo, todo_budget, n_todo, k)
        if n_todo == 0:
            break
        draws = _random(bg, n_todo * width).reshape((n_todo, width))
        perm = _permutation(bg, n_todo)
        n_avail, n_todo = match_bids(draws, perm, k, todo, todo_budget, n_todo, avail_idx, avail_value, avail_score,
                                     n_avail, by_score, got)
    return n_avail


@njit
def _sorted_homes(value, score, by_score):  # pragma: no cover - compiled
    """The homes in the matching's order: indices (a stable sort by value, as np.argsort(kind="stable")), their
    values and, if the buyers choose by score, their scores."""
    idx = np.argsort(value, kind="mergesort")
    return idx, value[idx], score[idx] if by_score else np.zeros(0, dtype=np.float64)


def match(rng, budget, value, score, by_score, width, rounds):
    """allocation.match_free: per buyer (budget) the index of the home (value, score: float64 arrays, score
    empty unless by_score) it got, or -1; drawing from the Generator ``rng``."""
    return _match(bitgen_address(rng), budget, value, score, by_score, width, rounds)


@njit
def _match(bg, budget, value, score, by_score, width, rounds):  # pragma: no cover - compiled
    """match, drawing from the bit generator at address bg."""
    avail_idx, avail_value, avail_score = _sorted_homes(value, score, by_score)
    got = np.full(budget.size, -1, dtype=np.int64)
    _rounds(bg, rounds, width, by_score, avail_idx, avail_value, avail_score, avail_idx.size, np.arange(budget.size),
            budget.copy(), budget.size, got)
    return got


@njit
def _allocate_in(bg, want, budget, share, own_rows, own_value, own_score, by_score, width, rounds, rent_rows,
                 dwelling):  # pragma: no cover - compiled
    """One municipality of allocate_dwellings: the households at positions ``want`` (ascending; budget and
    dwelling are indexed by position) and the vacant homes for sale (own_rows, values, scores) and to let
    (rent_rows) of their municipality. Writes each housed household's dwelling row; draws what the numpy code
    draws, in its order."""
    n = want.size
    u = _random(bg, n)
    cheapest = np.inf
    for v in own_value:  # own_value.min(): NaN if any is NaN
        if v != v:
            cheapest = v
            break
        cheapest = min(cheapest, v)
    buyers = np.empty(n, dtype=np.int64)
    renters = np.empty(n, dtype=np.int64)  # first those who prefer renting, then the buyers left without a home
    n_buy = n_rent = 0
    for i in range(n):
        w = want[i]
        if u[i] < share and budget[w] >= cheapest:
            buyers[n_buy] = w
            n_buy += 1
        else:
            renters[n_rent] = w
            n_rent += 1
    # buyers first
    avail_idx, avail_value, avail_score = _sorted_homes(own_value, own_score, by_score)
    got = np.full(n_buy, -1, dtype=np.int64)
    n_avail = _rounds(bg, rounds, width, by_score, avail_idx, avail_value, avail_score, avail_idx.size,
                      np.arange(n_buy), budget[buyers[:n_buy]], n_buy, got)
    for i in range(n_buy):
        if got[i] >= 0:
            dwelling[buyers[i]] = own_rows[got[i]]
        else:
            renters[n_rent] = buyers[i]
            n_rent += 1
    # then renters, in random order, each a random home to let
    renters = renters[:n_rent][_permutation(bg, n_rent)]
    k = min(n_rent, rent_rows.size)
    homes = _permutation(bg, rent_rows.size)
    for i in range(k):
        dwelling[renters[i]] = rent_rows[homes[i]]
    # who is left tries the homes for sale that are left (still sorted by value, ties in their order)
    n_still = n_rent - k
    if n_still and n_avail:
        still = renters[k:]
        got = np.full(n_still, -1, dtype=np.int64)
        _rounds(bg, rounds, width, by_score, avail_idx, avail_value, avail_score, n_avail, np.arange(n_still),
                budget[still], n_still, got)
        for i in range(n_still):
            if got[i] >= 0:
                dwelling[still[i]] = own_rows[got[i]]


def allocate(rngs, muns, mun_h, budget, share, offer_mun, offer_sale, offer_rent, offer_rows, offer_value,
             offer_score, by_score, width, rounds, dwelling):
    """allocation._allocate for the households of municipalities ``muns`` (ascending; rngs: each one's
    Generator): each municipality's households (positions where mun_h is it, ascending; budget float64) and
    its homes on offer for sale and to let (in the offer's order), as the numpy loop selects them."""
    _allocate(np.array([bitgen_address(rng) for rng in rngs], dtype=np.int64), muns, mun_h, budget, share,
              offer_mun, offer_sale, offer_rent, offer_rows, offer_value, offer_score, by_score, width, rounds,
              dwelling)


@njit
def _allocate(bgs, muns, mun_h, budget, share, offer_mun, offer_sale, offer_rent, offer_rows, offer_value,
              offer_score, by_score, width, rounds, dwelling):  # pragma: no cover - compiled
    """allocate, drawing from the bit generators at the addresses bgs."""
    for g in range(muns.size):
        m = muns[g]
        want = np.flatnonzero(mun_h == m)
        in_m = offer_mun == m
        own = np.flatnonzero(in_m & offer_sale)
        _allocate_in(bgs[g], want, budget, share, offer_rows[own], offer_value[own], offer_score[own], by_score,
                     width, rounds, offer_rows[in_m & offer_rent], dwelling)
