"""``iactpipe validate-simulation``: measure the simulator against its physics expectations.

Runs the seven checks of `iactpipe.simulation.validation` (light pool, amplitude vs
energy, image pointing, width vs intensity, trigger threshold, muon rings, time gradient),
writes one PNG per check and ``summary.json`` (measured numbers, pass/fail per
expectation, seed, statistics, version) into ``--output-dir``. Every file is written to a
temporary name and renamed, so an interrupted run never leaves a half-written file.
"""
from ._common import command_parser, run_command, run_main

__all__ = ["main", "build_parser", "CHECKS", "STATISTICS", "run_checks", "validate"]

#: Check names, in the order they run and appear in the summary.
CHECKS = ("light_pool", "amplitude_vs_energy", "image_pointing", "width_vs_intensity", "trigger_threshold",
          "muon_ring_radius", "time_gradient_vs_impact")

#: Statistics per mode. ``images``: showers per γ / proton / diffuse-proton image sample
#: (2 images each, shared by image_pointing and width_vs_intensity); ``trigger``: showers
#: per subarray (4 cores each). Full: ~4 min on one core; quick: < 1 min.
STATISTICS = {
    "full": {"light_pool": 200, "amplitude_vs_energy": 30, "images": 600, "trigger_threshold": 2000,
             "muon_ring_radius": 300, "time_gradient_vs_impact": 300},
    "quick": {"light_pool": 16, "amplitude_vs_energy": 6, "images": 80, "trigger_threshold": 300,
              "muon_ring_radius": 40, "time_gradient_vs_impact": 40},
}


_SAMPLES = ("gamma", "proton", "proton_diffuse")


def build_parser():
    parser = command_parser(
        "validate-simulation",
        "Validate the built-in simulator on itself: light pool, image amplitude vs energy, image\n"
        "pointing (γ vs protons), width vs intensity, trigger threshold of the LST-only and MST-only\n"
        "subarrays, muon ring radius, time gradient vs impact. Writes one PNG per check and\n"
        "summary.json (measured numbers, pass/fail against the expectations, seed, version).",
        epilog="examples:\n"
               "  iactpipe validate-simulation --output-dir validation/ --seed 1\n"
               "  iactpipe validate-simulation --output-dir /tmp/v --quick --checks light_pool muon_ring_radius",
    )
    parser.add_argument("--output-dir", "-o", required=True, help="folder for the PNGs and summary.json (created)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="small statistics (< 1 min) instead of the full run")
    parser.add_argument("--checks", nargs="+", choices=CHECKS, metavar="CHECK",
                        help="run only these checks (default: all): " + ", ".join(CHECKS))
    return parser


def _check_rng(seed, name):
    """An independent generator per check, so a check's numbers do not depend on which others ran."""
    import numpy as np

    return np.random.default_rng(np.random.SeedSequence([int(seed), CHECKS.index(name)]))


def run_checks(seed=0, quick=False, checks=CHECKS, log=None):
    """Run validation checks in memory.

    Parameters
    ----------
    seed : int
        Base seed (each check gets its own stream derived from it).
    quick : bool
        Use the ``quick`` statistics of `STATISTICS`.
    checks : sequence of str
        Names from `CHECKS`.
    log : logging.Logger, optional

    Returns
    -------
    results : dict
        Check name -> result dict of `iactpipe.simulation.validation`.
    timings : dict
        Check name -> wall time, s.
    """
    import time

    import numpy as np

    from ..simulation import validation as v

    stats = STATISTICS["quick" if quick else "full"]
    results, timings = {}, {}
    samples = {}

    def image_sample(which):
        # the γ / proton samples are shared by image_pointing and width_vs_intensity, each
        # with its own stream (same numbers whichever of the two checks asks first)
        if which not in samples:
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), len(CHECKS) + _SAMPLES.index(which)]))
            samples.update(v.image_samples(stats["images"], rng, which=[which]))
        return samples[which]

    runners = {
        "light_pool": lambda rng: v.light_pool(stats["light_pool"], rng),
        "amplitude_vs_energy": lambda rng: v.amplitude_vs_energy(stats["amplitude_vs_energy"], rng),
        "image_pointing": lambda rng: v.image_pointing(image_sample("gamma"), image_sample("proton_diffuse"),
                                                       image_sample("proton")),
        "width_vs_intensity": lambda rng: v.width_vs_intensity(image_sample("gamma"), image_sample("proton")),
        "trigger_threshold": lambda rng: v.trigger_threshold(stats["trigger_threshold"], rng),
        "muon_ring_radius": lambda rng: v.muon_ring_radius(stats["muon_ring_radius"], rng),
        "time_gradient_vs_impact": lambda rng: v.time_gradient_vs_impact(stats["time_gradient_vs_impact"], rng),
    }
    for name in CHECKS:
        if name not in checks:
            continue
        start = time.perf_counter()
        results[name] = runners[name](_check_rng(seed, name))
        timings[name] = time.perf_counter() - start
        if log is not None:
            failed = [row["quantity"] for row in results[name]["expectations"] if not row["passed"]]
            log.info("%s: %s (%.1f s)", name, "all expectations met" if not failed else "NOT met: " + "; ".join(failed),
                     timings[name])
    return results, timings


def _jsonable(value, max_list=64):
    """Plain JSON types: numpy scalars converted, NaN/inf -> None, long per-event arrays dropped."""
    import math

    import numpy as np

    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            converted = _jsonable(item, max_list)
            if converted is not _DROP:
                out[str(key)] = converted
        return out
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value, dtype=object if isinstance(value, (list, tuple)) else None)
        if arr.ndim != 1 or arr.size > max_list:
            return _DROP
        return [_jsonable(item, max_list) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


_DROP = object()


def _summary(results, timings, seed, quick, wall_time_s):
    from ..version import __version__

    checks = {}
    for name, result in results.items():
        expectations = _jsonable(result["expectations"])
        measured = _jsonable({k: v for k, v in result.items() if k != "expectations"})
        checks[name] = {"passed": all(row["passed"] for row in result["expectations"]),
                        "expectations": expectations, "measured": measured, "wall_time_s": round(timings[name], 2)}
    return {
        "iactpipe_version": __version__,
        "seed": int(seed),
        "mode": "quick" if quick else "full",
        "statistics": STATISTICS["quick" if quick else "full"],
        "all_passed": all(check["passed"] for check in checks.values()),
        "n_expectations": sum(len(c["expectations"]) for c in checks.values()),
        "n_failed": sum(not row["passed"] for c in checks.values() for row in c["expectations"]),
        "wall_time_s": round(wall_time_s, 1),
        "checks": checks,
    }


def _atomic_write(path, write):
    """Call ``write(tmp_path)`` then rename onto ``path`` (same folder, so the rename is atomic).

    The temporary name is unique per process and call; the file is created by ``write``
    itself, so it gets the usual permissions (umask), unlike a `tempfile.mkstemp` file.
    """
    import os
    import uuid
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_outputs(results, summary, output_dir):
    """Write ``<check>.png`` per result and ``summary.json`` into ``output_dir`` (atomically).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import json
    from pathlib import Path

    from ..simulation.validation_plots import PLOTTERS

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, result in results.items():
        figure = PLOTTERS[name](result)
        path = out / f"{name}.png"
        _atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=110))
        written.append(path)
    path = out / "summary.json"

    def dump(tmp):
        with open(tmp, "w") as handle:
            json.dump(summary, handle, indent=1, allow_nan=False)
            handle.write("\n")

    _atomic_write(path, dump)
    written.append(path)
    return written


def validate(output_dir, seed=0, quick=False, checks=CHECKS, log=None):
    """Run the checks and write the PNGs and ``summary.json``.

    Returns
    -------
    results : dict
        Check name -> result dict.
    summary : dict
        The content of ``summary.json``.
    """
    import time

    start = time.perf_counter()
    results, timings = run_checks(seed, quick, checks, log)
    summary = _summary(results, timings, seed, quick, time.perf_counter() - start)
    write_outputs(results, summary, output_dir)
    return results, summary


@run_command("validate-simulation")
def run(args):
    import logging

    log = logging.getLogger("iactpipe.validate_simulation")
    checks = tuple(args.checks) if args.checks else CHECKS
    _, summary = validate(args.output_dir, args.seed, args.quick, checks, log)
    for name, check in summary["checks"].items():
        for row in check["expectations"]:
            value = "nan" if row["value"] is None else f"{row['value']:.4g}"
            print(f"{'PASS' if row['passed'] else 'FAIL'}  {name:<24} {row['quantity']}: {value}  "
                  f"[expected: {row['expected']}]")
    print(f"{summary['n_expectations'] - summary['n_failed']}/{summary['n_expectations']} expectations met "
          f"({summary['mode']} statistics, seed {summary['seed']}, {summary['wall_time_s']:.0f} s); "
          f"wrote {args.output_dir}/summary.json and {len(summary['checks'])} PNGs")
    return 0


def main(argv=None):
    """Run ``iactpipe validate-simulation``; returns the exit code."""
    return run_main(build_parser(), argv, run)
