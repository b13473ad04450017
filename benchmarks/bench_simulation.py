"""Throughput and memory benchmark of the built-in simulator.

Run from the project root (about 1-2 minutes)::

    python benchmarks/bench_simulation.py            # default statistics
    python benchmarks/bench_simulation.py --quick    # a few seconds, smoke test only

Everything runs in one process on one core (the numba kernels are single-threaded), after
a small warm-up so that no numba compilation or cache loading is timed. It measures

1. a full ``simulate_run`` (the engine of ``iactpipe simulate``) of point-like gammas on
   CTAO-North-alpha in an energy range where most showers trigger: thrown showers/s,
   thrown events/s, triggered telescope events/s, and the part of the time spent writing
   the HDF5 file;
2. the camera simulation alone (`simulate_camera_event`: pixel lookup, NSB, pulse shaping,
   trigger and the 2-gain x 40-sample waveforms) on stored LSTCam photoelectron lists of
   triggering gamma images: triggered LSTCam telescope events/s, compared with the target
   of 500/s per core;
3. the peak memory of ``simulate_run`` for N and 4N showers, each in a fresh child
   process (peak resident memory of the child, ``VmHWM`` on Linux, and the tracemalloc
   peak of its Python/numpy allocations during the run), to show that memory does not
   grow with the number of showers.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

#: Target of the issue: triggered LSTCam telescope events per second and core.
TARGET_LST_EVENTS_PER_S = 500.0

#: Run settings of the throughput and memory measurements: gammas from the pointing
#: direction, 0.3-3 TeV, cores within 300 m of the array centre (most events trigger).
RUN_SETTINGS = dict(array="CTAO-North-alpha", energy_min_tev=0.3, energy_max_tev=3.0, spectral_index=-2.0,
                    scatter_radius_max_m=300.0, shower_reuse=5)


def _config(n_showers, seed):
    from iactpipe.simulation.config import SimulationConfig

    return SimulationConfig.from_dict({**RUN_SETTINGS, "n_showers": n_showers, "seed": seed}, particle="gamma")


def warm_up(folder):
    """Load (or compile) every numba kernel with a tiny run, so that nothing below is compile time."""
    from iactpipe.simulation.run import simulate_run

    simulate_run(_config(2, 99), os.path.join(folder, "warmup.h5"))


def bench_run(n_showers, folder, seed=1):
    """Time one ``simulate_run``; the HDF5 appends are timed separately by wrapping the writer."""
    from iactpipe.io import hdf5
    from iactpipe.simulation.run import simulate_run

    io_time = [0.0]
    original = hdf5.HDF5Writer.append

    def timed_append(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            io_time[0] += time.perf_counter() - start

    hdf5.HDF5Writer.append = timed_append
    try:
        start = time.perf_counter()
        summary = simulate_run(_config(n_showers, seed), os.path.join(folder, "bench_run.h5"))
        wall = time.perf_counter() - start
    finally:
        hdf5.HDF5Writer.append = original
    return {"n_showers": summary.n_showers, "n_thrown": summary.n_thrown, "n_triggered": summary.n_triggered,
            "n_telescope_events": summary.n_telescope_events, "wall_s": wall, "hdf5_write_s": io_time[0],
            "showers_per_s": summary.n_showers / wall, "thrown_events_per_s": summary.n_thrown / wall,
            "tel_events_per_s": summary.n_telescope_events / wall,
            "tel_events_per_s_without_io": summary.n_telescope_events / max(wall - io_time[0], 1e-9)}


def lst_images(n_images, seed=2):
    """Photoelectron lists of LSTCam gamma images that trigger (0.1-1 TeV, impact 40-200 m).

    The trigger check draws from its own generator, so that the showers (and hence the
    images, up to the few near the threshold) do not depend on how many random numbers
    the camera simulation consumes: versions of the camera code are then timed on the
    same images.
    """
    from iactpipe.instrument.catalog import build_telescope
    from iactpipe.simulation.atmosphere import Atmosphere
    from iactpipe.simulation.camera_response import build_camera_model, draw_calibration, simulate_camera_event
    from iactpipe.simulation.config import DEFAULT_EFFICIENCY
    from iactpipe.simulation.light import photoelectrons_at_telescopes
    from iactpipe.simulation.showers import generate_shower

    rng = np.random.default_rng(seed)
    atm = Atmosphere.la_palma()
    tel = build_telescope("LST_LST_LSTCam")
    model = build_camera_model(tel)
    calibration = draw_calibration(model, None, rng)
    check_rng = np.random.default_rng(seed + 1)
    fov = np.rad2deg(tel.camera.camera_radius / tel.focal_length_m) + 3 * tel.optics.psf_sigma_deg
    images = []
    while len(images) < n_images:
        energy = float(np.exp(rng.uniform(np.log(0.1), np.log(1.0))))
        emitters, _ = generate_shower("gamma", energy, 70.0, 180.0, atm, rng)
        impact = rng.uniform(40.0, 200.0)
        pe = photoelectrons_at_telescopes(emitters, impact, 0.0, np.zeros((1, 3)), [tel.optics.mirror_area_m2],
                                          [DEFAULT_EFFICIENCY["LST"]], 70.0, 180.0, atm, rng, [fov])
        lon, lat, t = (np.array(a) for a in pe.telescope(0))
        if simulate_camera_event(model, lon, lat, t, calibration, check_rng).triggered:
            images.append((lon, lat, t))
    return model, calibration, images


def bench_camera(model, calibration, images, min_seconds, seed=3):
    """Triggered LSTCam events per second of `simulate_camera_event` alone, looping over ``images``."""
    from iactpipe.simulation.camera_response import simulate_camera_event

    rng = np.random.default_rng(seed)
    n_events = n_triggered = 0
    n_pe = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    while True:
        for lon, lat, t in images:
            event = simulate_camera_event(model, lon, lat, t, calibration, rng)
            n_events += 1
            n_triggered += event.triggered
            n_pe += lon.size
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            break
    # CPU time as well: on a shared machine the wall time also counts time spent waiting
    # for the core, the CPU time (mostly) does not
    cpu = time.process_time() - cpu_start
    return {"n_events": n_events, "n_triggered": n_triggered, "wall_s": elapsed, "cpu_s": cpu,
            "mean_pe": n_pe / n_events, "triggered_per_s": n_triggered / elapsed,
            "triggered_per_cpu_s": n_triggered / max(cpu, 1e-9), "ms_per_event": 1e3 * elapsed / n_events,
            "n_samples": model.n_samples, "n_channels": model.n_channels, "n_pixels": model.n_pixels}


def _peak_rss_mb():
    """Peak resident memory of this process, MB.

    Linux: ``VmHWM`` of /proc/self/status (belongs to the process image, unlike
    ``ru_maxrss``, which keeps the parent's peak across fork + exec); elsewhere ru_maxrss
    (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024.0


def _reset_peak_rss():
    """Reset the peak-RSS counter to the current RSS (Linux >= 4.0); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def child_memory(n_showers):
    """(child process) Run ``simulate_run`` once and print its memory use as JSON."""
    import tracemalloc

    import iactpipe.simulation.run  # noqa: F401  (imports counted in the first figure)

    after_imports = _peak_rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        warm_up(folder)
        after_warm_up = _peak_rss_mb()
        # peak of the measured run alone where the kernel lets us reset the counter
        reset = _reset_peak_rss()
        tracemalloc.start()
        from iactpipe.simulation.run import simulate_run

        start = time.perf_counter()
        summary = simulate_run(_config(n_showers, 7), os.path.join(folder, "mem.h5"))
        wall = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = os.path.getsize(os.path.join(folder, "mem.h5"))
    print(json.dumps({"n_showers": n_showers, "peak_rss_mb": _peak_rss_mb(), "imports_rss_mb": after_imports,
                      "warm_up_rss_mb": after_warm_up, "peak_reset": reset, "tracemalloc_peak_mb": peak / 2**20,
                      "n_telescope_events": summary.n_telescope_events, "file_mb": size / 2**20, "wall_s": wall}))


def bench_memory(n_showers):
    """Memory of runs with N and 4N showers, each in a fresh interpreter."""
    rows = []
    for n in (n_showers, 4 * n_showers):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child-memory", str(n)], check=True,
                             capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny statistics (smoke test)")
    parser.add_argument("--showers", type=int, default=None, help="showers of the run benchmark (default 60)")
    parser.add_argument("--memory-showers", type=int, default=None, help="N of the memory benchmark (default 20)")
    parser.add_argument("--camera-seconds", type=float, default=None, help="duration of the camera loop (default 8)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_memory:
        child_memory(args.child_memory)
        return 0

    n_run = args.showers or (6 if args.quick else 60)
    n_mem = args.memory_showers or (3 if args.quick else 20)
    camera_s = args.camera_seconds or (1.0 if args.quick else 8.0)
    from iactpipe.version import __version__

    print(f"iactpipe {__version__} simulation benchmark, python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs visible (one used)")
    total = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        warm_up(folder)
        print(f"warm-up (numba cache load/compile): {time.perf_counter() - start:.1f} s")
        run = bench_run(n_run, folder)
    model, calibration, images = lst_images(30 if not args.quick else 8)
    camera = bench_camera(model, calibration, images, camera_s)
    memory = bench_memory(n_mem)

    settings = ", ".join(f"{k}={v}" for k, v in RUN_SETTINGS.items())
    print(f"\n1. simulate_run, gamma, {settings}")
    print(f"   {'showers':>8} {'thrown':>7} {'array-trig':>10} {'tel-events':>10} {'wall s':>7} {'HDF5 s':>7}")
    print(f"   {run['n_showers']:>8} {run['n_thrown']:>7} {run['n_triggered']:>10} {run['n_telescope_events']:>10} "
          f"{run['wall_s']:>7.1f} {run['hdf5_write_s']:>7.1f}")
    print(f"   thrown showers/s            {run['showers_per_s']:8.2f}")
    print(f"   thrown events/s             {run['thrown_events_per_s']:8.2f}")
    print(f"   triggered tel-events/s      {run['tel_events_per_s']:8.1f}  "
          f"({run['tel_events_per_s_without_io']:.1f}/s excluding the HDF5 writing)")
    print(f"\n2. camera simulation alone, LSTCam ({camera['n_pixels']} pixels, {camera['n_channels']} gains x "
          f"{camera['n_samples']} samples), {len(images)} triggering γ images, mean {camera['mean_pe']:.0f} pe")
    print(f"   {camera['n_events']} events in {camera['wall_s']:.1f} s: {camera['ms_per_event']:.2f} ms/event")
    ratio = camera["triggered_per_s"] / TARGET_LST_EVENTS_PER_S
    print(f"   triggered LSTCam tel-events/s per core  {camera['triggered_per_s']:8.1f}   "
          f"target {TARGET_LST_EVENTS_PER_S:.0f}/s -> ratio {ratio:.2f} ({'meets' if ratio >= 1 else 'BELOW'} target)")
    print(f"   per CPU second (process time {camera['cpu_s']:.1f} s)  {camera['triggered_per_cpu_s']:8.1f}   "
          f"(wall/CPU = {camera['wall_s'] / max(camera['cpu_s'], 1e-9):.2f}; > 1 when the core is shared)")
    print("\n3. peak memory of simulate_run (fresh process each)")
    print("   (peak RSS of the whole process after the imports, after a 2-shower warm-up, and during the measured")
    print("   run (counter reset before it where Linux allows); tracemalloc: peak of the Python/numpy allocations)")
    print(f"   {'showers':>8} {'tel-events':>10} {'imports MB':>10} {'warm-up MB':>10} {'run peak MB':>11} "
          f"{'tracemalloc MB':>14} {'file MB':>8}")
    for row in memory:
        print(f"   {row['n_showers']:>8} {row['n_telescope_events']:>10} {row['imports_rss_mb']:>10.0f} "
              f"{row['warm_up_rss_mb']:>10.0f} {row['peak_rss_mb']:>11.0f} {row['tracemalloc_peak_mb']:>14.1f} "
              f"{row['file_mb']:>8.1f}")
    growth = memory[1]["peak_rss_mb"] / memory[0]["peak_rss_mb"]
    print(f"   peak RSS ratio 4N/N = {growth:.2f}; tracemalloc peak ratio = "
          f"{memory[1]['tracemalloc_peak_mb'] / max(memory[0]['tracemalloc_peak_mb'], 1e-9):.2f}")
    print(f"\ntotal benchmark time {time.perf_counter() - total:.0f} s")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"run": run, "camera": camera, "memory": memory, "target_lst_events_per_s":
                       TARGET_LST_EVENTS_PER_S, "camera_ratio_to_target": ratio}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
