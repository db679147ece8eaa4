"""Paired speed comparison of two source trees of the model, in one process.

    python -m benchmarks.ab OLD_TREE NEW_TREE [--scale 1.0] [--repeat 4] [--end-year 2050]

On a shared machine whose speed drifts by a third within the hour, two runs minutes apart say little about a
change. Here each tree's ``model/`` is imported as a package of its own, and two models of the same scenario and
seed step in alternation, year by year (which goes first alternates too), so that both meet the same machine
state. Each repeat prints both trees' process time over the run, the ratio of the totals and the median of the
yearly ratios (NEW / OLD: below 1 is faster). The first repeat includes compiling or loading the kernels.

numba caches compiled code under the module's name, which differs here from a normal run (``model_old``,
``model_new``), so the kernels are cached in a directory of their own (``NUMBA_CACHE_DIR``, by default
``zodrenthe-ab-numba`` in the system's temporary directory): the first use compiles them (a minute or two).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def load_tree(tree: Path, name: str):
    """Import ``tree/model`` as the package ``name`` and return its ``core`` module."""
    init = tree / "model" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"{tree}: no model/__init__.py (expected the root of a source tree of this project)")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{name}.core")


def compare(old: Path, new: Path, scale: float, end_year: int, seed: int, repeat: int, scenario: str) -> list[dict]:
    cores = (load_tree(old, "model_old"), load_tree(new, "model_new"))
    results = []
    for rep in range(repeat):
        models = [core.HousingModel(tree / scenario, rng=seed, scale=scale, end_year=end_year)
                  for core, tree in zip(cores, (old, new), strict=True)]
        times: tuple[list[float], list[float]] = ([], [])
        year = 0
        while any(m.running for m in models):
            for k in ((0, 1) if year % 2 == 0 else (1, 0)):
                if models[k].running:
                    t = time.process_time()
                    models[k].step()
                    times[k].append(time.process_time() - t)
            year += 1
        old_s, new_s = sum(times[0]), sum(times[1])
        yearly = statistics.median(b / a for a, b in zip(*times, strict=True) if a > 0)
        results.append(dict(repeat=rep, years=len(times[0]), old_s=old_s, new_s=new_s, ratio=new_s / old_s,
                            median_yearly_ratio=yearly))
        note = "  [includes loading the kernels]" if rep == 0 else ""
        print(f"repeat {rep}: old {old_s:.3f} s, new {new_s:.3f} s over {len(times[0])} years; "
              f"new/old {new_s / old_s:.3f} (median of the yearly ratios {yearly:.3f}){note}", flush=True)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path, help="root of the source tree to compare against (e.g. a git worktree)")
    ap.add_argument("new", type=Path, help="root of the source tree with the change")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--end-year", type=int, default=2050)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--scenario", default="scenarios/baseline.toml", help="scenario file, relative to each tree")
    args = ap.parse_args(argv)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "zodrenthe-ab-numba"))
    compare(args.old.resolve(), args.new.resolve(), args.scale, args.end_year, args.seed, args.repeat, args.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
