"""The ``calibrate``, ``validate`` and ``sensitivity`` commands of run.py (arguments and implementations)."""

from __future__ import annotations

import sys
from pathlib import Path

from .calibrate import (
    CALIBRATED_FILE,
    CALIBRATION_SCENARIO,
    PRIORS_FILE,
    CalibrationError,
    Executor,
    calibrate,
    calibration_scenario,
    load_priors,
    write_result,
)
from .targets import TARGETS_FILE, TargetError, load_targets

HERE = Path(__file__).resolve().parent
REPORT_DIR = HERE / "report"


def _seeds(text: str) -> tuple[int, ...]:
    from experiments import parse_seeds

    return parse_seeds(text)


def _executor_args(p) -> None:
    p.add_argument("--executor", choices=("serial", "local", "dask"), default="local",
                   help="where candidates run: serial, a local Dask cluster on 127.0.0.1 (default), or an "
                        "existing Dask cluster (--scheduler)")
    p.add_argument("--scheduler", help="address of a Dask scheduler for --executor dask (tcp://HOST:PORT)")
    p.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")


def _target_args(p) -> None:
    p.add_argument("--targets", default=str(TARGETS_FILE), help="targets CSV (default calibration/targets.csv)")
    p.add_argument("--statline", action="append", default=[], metavar="FILE",
                   help="a CBS StatLine export (CSV or OData JSON) whose figures replace or add targets; repeatable")
    p.add_argument("--statline-year", type=int, help="year of the StatLine table when it has no Perioden column")


def add_calibrate_args(p) -> None:
    _target_args(p)
    p.add_argument("--priors", default=str(PRIORS_FILE), help="free parameters and prior ranges (TOML)")
    p.add_argument("--scenario", default=str(CALIBRATION_SCENARIO), help="the back-cast scenario (2012 stock)")
    p.add_argument("--seeds", default="0-2", help="seeds per candidate (common to all candidates), e.g. 0-2")
    p.add_argument("--scale", type=float, default=0.05, help="share of the population simulated per run")
    p.add_argument("--popsize", type=int, default=2, help="differential evolution: candidates per free parameter")
    p.add_argument("--maxiter", type=int, default=4, help="differential evolution: generations")
    p.add_argument("--polish", type=int, default=6, help="least-squares polish: steps")
    p.add_argument("--out", default=str(REPORT_DIR), help="folder for parameters.csv, fit_table.csv, plots")
    p.add_argument("--write", default=str(CALIBRATED_FILE),
                   help="the calibrated scenario file to write (default calibration/calibrated.toml)")
    p.add_argument("--validation-seeds", default="10-13", help="fresh seeds for the fit report")
    p.add_argument("--validation-scale", type=float, default=1.0, help="scale of the fit report's runs")
    p.add_argument("--start", help="a calibrated scenario file whose values start the search (default: the model "
                                   "defaults)")
    _executor_args(p)


def add_validate_args(p) -> None:
    _target_args(p)
    p.add_argument("--calibrated", default=str(CALIBRATED_FILE), help="calibrated values (scenario TOML)")
    p.add_argument("--scenario", default=str(CALIBRATION_SCENARIO), help="the back-cast scenario (2012 stock)")
    p.add_argument("--seeds", default="10-13", help="seeds of the validation runs")
    p.add_argument("--scale", type=float, default=1.0,
                   help="share of the population simulated (default 1.0: at smaller scales simulation noise "
                        "alone adds tenths of a percent to the errors)")
    p.add_argument("--forecast-to", type=int, default=2035, help="last year of the forecast in the plots")
    p.add_argument("--out", default=str(REPORT_DIR))
    _executor_args(p)


def add_sensitivity_args(p) -> None:
    p.add_argument("scenario", nargs="?", default="scenarios/transformatiefonds.toml")
    p.add_argument("--parameters", default=str(HERE / "sensitivity.toml"), help="parameters and ranges (TOML)")
    p.add_argument("--method", choices=("morris", "sobol", "both"), default="both")
    p.add_argument("--trajectories", type=int, default=10, help="Morris trajectories")
    p.add_argument("--sobol-n", type=int, default=32, help="Sobol base sample size (a power of 2)")
    p.add_argument("--seeds", default="1", help="seeds per sample (the same for every sample)")
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--year", type=int, default=2030, help="outcome year")
    p.add_argument("--out", default="results/sensitivity")
    _executor_args(p)


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2


def _validate(sc, targets, seeds, scale, end_year, ex, out: Path, header: str):
    from .validation import fit_table, format_mape, mape_table, plot, simulate_seeds, write_report

    runs = simulate_seeds(sc, seeds, scale, end_year, ex)
    fit = fit_table(runs, targets)
    mape = mape_table(fit)
    report = write_report(fit, mape, out, header)
    plots = plot(runs, out)
    print("\nIn-sample fit 2017-2019, mean absolute percentage error over the six municipalities "
          f"({len(seeds)} seeds, scale {scale}):\n")
    print(format_mape(mape))
    other = fit[fit["kind"] != "core"]
    for _, r in other.iterrows():
        print(f"{r['kind']}: {r['target_id']}: observed {r['observed']:.4g}, simulated {r['simulated']:.4g}"
              f"{'' if r['met'] else '  (not met)'}")
    print(f"\nreport: {report}\nplots: {plots[0].parent}/backcast_GM*.png")
    return fit, mape


def validate_command(args) -> int:
    try:
        targets = load_targets(args.targets, args.statline, args.statline_year)
        calibrated = args.calibrated if Path(args.calibrated).exists() else None
        if calibrated is None:
            print(f"note: {args.calibrated} not found; validating the model defaults", file=sys.stderr)
        sc = calibration_scenario(calibrated, args.scenario)
        seeds = _seeds(args.seeds)
        with Executor(args.executor, args.workers, args.scheduler) as ex:
            _validate(sc, targets, seeds, args.scale, max(args.forecast_to, 2019), ex, Path(args.out),
                      f"Calibrated values: {calibrated or 'model defaults'}; back-cast scenario {args.scenario}.")
    except (CalibrationError, TargetError, ValueError, OSError) as exc:
        return _fail(exc)
    return 0


def calibrate_command(args) -> int:
    from .validation import fit_lines

    try:
        targets = load_targets(args.targets, args.statline, args.statline_year)
        free = load_priors(args.priors)
        sc = calibration_scenario(None, args.scenario)
        seeds = _seeds(args.seeds)
        x0 = [p.value_in(calibration_scenario(args.start, args.scenario) if args.start else sc) for p in free]
        with Executor(args.executor, args.workers, args.scheduler) as ex:
            print(f"calibrating {len(free)} parameters on {sum(t.weight > 0 and t.kind != 'soft' for t in targets)} "
                  f"targets; {len(seeds)} seeds per candidate, scale {args.scale}, executor {args.executor}")
            res = calibrate(sc, targets, free, seeds=seeds, scale=args.scale, executor=ex, popsize=args.popsize,
                            maxiter=args.maxiter, polish_nfev=args.polish, x0=x0, log=print)
            print(f"\n{res.evaluations} runs in {res.seconds:.0f} s; distance {res.distance:.1f} over "
                  f"{res.n_moments} moments (s2 = {res.s2:.2f})\n")
            print(res.table(sc).to_string(index=False, float_format=lambda x: f"{x:.4g}"))
            out = Path(args.out)
            # the fit of the estimate, with fresh seeds
            write_result(res, out, [], None)
            tmp = out / "candidate.toml"
            from .calibrate import backcast_file, write_calibrated

            write_calibrated(res, [], tmp)
            fitted = calibration_scenario(tmp, args.scenario)
            fit, mape = _validate(fitted, targets, _seeds(args.validation_seeds), args.validation_scale, 2035, ex, out,
                                  f"Calibration: {res.evaluations} runs, distance {res.distance:.1f}.")
            paths = write_result(res, out, fit_lines(mape), Path(args.write) if args.write else None)
            tmp.unlink()
            backcast_file(tmp).unlink(missing_ok=True)
            print(f"\nparameters and 95 % ranges: {paths['parameters']}")
            if "calibrated" in paths:
                print(f"calibrated scenario values: {paths['calibrated']}")
            if "calibrated_2012" in paths:
                print(f"calibrated 2012 starting stock (back-cast only): {paths['calibrated_2012']}")
    except (CalibrationError, TargetError, ValueError, OSError) as exc:
        return _fail(exc)
    return 0


def sensitivity_command(args) -> int:
    from model.params import load_scenario

    from . import sensitivity as sa

    try:
        sc = load_scenario(args.scenario)
        problem = sa.load_problem(args.parameters)
        seeds = _seeds(args.seeds)
        out = Path(args.out)
        m = s = None
        info = {"scenario": args.scenario, "year": args.year, "scale": args.scale, "seeds": list(seeds),
                "parameters": dict(zip(problem["names"], problem["bounds"], strict=True))}
        with Executor(args.executor, args.workers, args.scheduler) as ex:
            if args.method in ("morris", "both"):
                m, info["morris"] = sa.morris(sc, problem, args.trajectories, seeds, args.scale, args.year, ex)
                print(f"Morris ({info['morris']['runs']} runs): mu* by outcome")
                print(m.pivot(index="parameter", columns="outcome", values="mu_star").to_string(float_format="%.4g"))
            if args.method in ("sobol", "both"):
                s, info["sobol"] = sa.sobol(sc, problem, args.sobol_n, seeds, args.scale, args.year, ex)
                print(f"\nSobol ({info['sobol']['runs']} runs): total-order index ST by outcome")
                print(s.pivot(index="parameter", columns="outcome", values="ST").to_string(float_format="%.3f"))
        sa.write(out, m, s, info)
        path = sa.plot(m, s, out / "sensitivity.png")
        print(f"\ntables and plot: {out}/ ({path.name})")
    except (CalibrationError, ValueError, OSError) as exc:
        return _fail(exc)
    return 0
