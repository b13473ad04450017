"""Reading speed of sim_telarray files: iactpipe's SimtelEventSource vs ctapipe's SimTelEventSource.

Both read the same file(s), in one run, ``--repeat`` times each (interleaved); events/s
is the total number of array events over the best-of wall time. Both produce R0 and R1
(ctapipe always calibrates to R1; we time ``open_events`` plus `r0_to_r1` on every
telescope event so the work is comparable).

Usage::

    python benchmarks/bench_simtel_read.py [FILE ...] [--repeat 5]

Without files, every file in ``../shared/data/simtel`` is used.
"""
import argparse
import time
import warnings
from pathlib import Path


def read_ours(path):
    from iactpipe.calib.r1 import r0_to_r1
    from iactpipe.io import open_events

    n = 0
    with open_events(path, focal_length_choice="equivalent") as source:
        for event in source:
            for tel in event.tel.values():
                cal = tel.calibration
                r0_to_r1(tel.waveform, cal.pedestal_per_sample, cal.dc_to_pe,
                         gain_selection=event.event_type == 32)
            n += 1
    return n


def read_ctapipe(path):
    from ctapipe.io import SimTelEventSource

    n = 0
    with SimTelEventSource(path, focal_length_choice="EQUIVALENT", skip_calibration_events=False) as source:
        for _ in source:
            n += 1
    return n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    files = args.files or sorted((Path(__file__).resolve().parents[1].parent / "shared" / "data" / "simtel")
                                 .glob("*.simtel*"))
    warnings.simplefilter("ignore")
    read_ours(files[0]), read_ctapipe(files[0])  # imports and numba/astropy warm-up
    totals = {"iactpipe": 0.0, "ctapipe": 0.0}
    print(f"{'file':45s} {'events':>6s} {'iactpipe ev/s':>14s} {'ctapipe ev/s':>13s} {'ratio':>6s}")
    for path in files:
        best = {}
        for _ in range(args.repeat):
            for name, reader in (("iactpipe", read_ours), ("ctapipe", read_ctapipe)):
                start = time.perf_counter()
                n = reader(path)
                elapsed = time.perf_counter() - start
                best[name] = min(best.get(name, elapsed), elapsed)
        for name in totals:
            totals[name] += best[name]
        print(f"{path.name:45s} {n:6d} {n / best['iactpipe']:14.1f} {n / best['ctapipe']:13.1f} "
              f"{best['ctapipe'] / best['iactpipe']:6.2f}")
    print(f"total time (best of {args.repeat}): iactpipe {totals['iactpipe']:.3f} s, ctapipe "
          f"{totals['ctapipe']:.3f} s, speed-up x{totals['ctapipe'] / totals['iactpipe']:.2f}")


if __name__ == "__main__":
    main()
