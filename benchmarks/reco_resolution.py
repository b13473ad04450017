"""Angular and core resolution vs true energy of the stereo reconstruction, point-like gammas.

One command from simulation to table and plot (default array CTAO-North-alpha, 4 LST + 9 MST)::

    python benchmarks/reco_resolution.py --output-dir results/reco_resolution
    python benchmarks/reco_resolution.py --runs 2 --n-showers 4000 --spectral-index -1.5 --energy-min 0.02
    python benchmarks/reco_resolution.py --dl1 a.dl1.h5 b.dl1.h5 --output-dir out   # existing DL1 files

Each run is simulated with ``iactpipe simulate`` (point-like gammas from the pointing
direction, alt 70 deg, 5 cores per shower), processed with ``iactpipe process`` and
reconstructed with ``iactpipe reconstruct`` (default configuration); the resolution of
all runs together (`iactpipe.reco.resolution`: 68 % containment of the angular distance
to the true direction, 68 % quantile of the core distance, per bin of true energy,
5 bins per decade) goes to ``resolution.ecsv``, ``resolution.json`` and
``resolution.png`` in the output folder, and is printed.
"""
import argparse
from pathlib import Path
import subprocess
import sys


def run(command):
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", default="results/reco_resolution")
    parser.add_argument("--dl1", nargs="+", help="existing DL1 files (skip the simulation)")
    parser.add_argument("--runs", type=int, default=2, help="runs to simulate (default %(default)s)")
    parser.add_argument("--n-showers", type=int, default=4000, help="showers per run, each used 5 times")
    parser.add_argument("--spectral-index", type=float, default=-1.5,
                        help="simulated spectrum (flatter than the preset's -2 for statistics at high energy)")
    parser.add_argument("--energy-min", type=float, default=0.02, help="TeV")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    from iactpipe.reco.resolution import write_resolution

    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    iactpipe = [sys.executable, "-m", "iactpipe.cli.main"]
    dl1_files = [Path(p) for p in args.dl1] if args.dl1 else []
    if not dl1_files:
        for run_number in range(1, args.runs + 1):
            raw, dl1 = out / f"run{run_number:06d}.r0.h5", out / f"run{run_number:06d}.dl1.h5"
            if not dl1.exists():
                run([*iactpipe, "simulate", "--particle", "gamma", "--n-showers", str(args.n_showers),
                     "--spectral-index", str(args.spectral_index), "--energy-min", str(args.energy_min),
                     "--run", str(run_number), "--seed", str(args.seed), "--output", str(raw), "--overwrite",
                     "--no-progress"])
                run([*iactpipe, "process", "--input", str(raw), "--output", str(dl1), "--overwrite", "--no-progress"])
                raw.unlink()
            dl1_files.append(dl1)
    dl2_files = []
    for dl1 in dl1_files:
        dl2 = out / dl1.name.replace(".dl1.h5", ".dl2.h5")
        run([*iactpipe, "reconstruct", "--input", str(dl1), "--output", str(dl2), "--overwrite"])
        dl2_files.append(dl2)
    table = write_resolution(dl2_files, out, title="point-like gammas, CTAO-North-alpha (4 LST + 9 MST), alt 70 deg")
    print()
    print(f"{'E_true / TeV':>16} {'triggered':>9} {'valid':>6} {'ang. res. 68% / deg':>20} {'core res. 68% / m':>18}")
    for row in table:
        print(f"{row['true_energy_low'].value:7.3f}-{row['true_energy_high'].value:<8.3f} {row['n_events']:9d} "
              f"{row['n_valid']:6d} {row['angular_resolution'].value:20.3f} {row['core_resolution'].value:18.1f}")
    print(f"\nwrote {out}/resolution.ecsv, resolution.json, resolution.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
