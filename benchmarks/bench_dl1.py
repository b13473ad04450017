"""R0 -> DL1 speed of iactpipe against ctapipe 0.28, n_jobs scaling and memory.

Run from the project root (about 2-3 minutes; ``--quick``: about 40 s)::

    python benchmarks/bench_dl1.py
    python benchmarks/bench_dl1.py --quick
    python benchmarks/bench_dl1.py --json out.json

1. Single core (``NUMBA_NUM_THREADS=1`` is set before numba is imported, unless already
   set): the same simulated telescope events (``simulate_run`` on CTAO-North-LST, LSTCam
   2 gains x 40 samples, and CTAO-North-MST, NectarCam) go through

   * ours: R0 -> R1 and NeighborPeakWindowSum extraction in one pass per event
     (``NeighborPeakWindowSum.from_r0``, with the invalid-pixel step of `process_batch`),
     `tailcuts_clean` and all image parameters (in camera angles), stage by stage on the
     batches `process_file` uses, and also through
     `iactpipe.dl1.processor.process_batch` as a whole; `iactpipe.calib.r1.r0_to_r1`
     alone (the R0 -> R1 of the other extractors) for reference;
   * ctapipe: ``apply_simtel_r1_calibration`` (its R0 -> R1 of sim_telarray data,
     ThresholdGainSelector), then ``CameraCalibrator`` (R1 -> DL0 -> DL1,
     NeighborPeakWindowSum) and ``ImageProcessor`` (defaults: tail cuts, TelescopeFrame,
     all parameters) on ``ArrayEventContainer`` s holding *our* R1 waveforms, so that both
     extract from identical R1 (the subarray is read from our file with
     ``SubarrayDescription.from_hdf``).

   Every figure is microseconds per telescope event (ours: best of several passes;
   ctapipe: one pass after a warm-up event). Building the ctapipe containers is not timed.
2. ``process_file`` with ``n_jobs=1`` and ``n_jobs=2`` on the larger simulated LST file
   of item 3 (wall time including the worker start-up and the input's checksum, output
   written to a temporary folder), twice each, interleaved, best of the two; the
   speed-up is only meaningful with nothing else running on the machine's cores.
3. Peak resident memory (``VmHWM``) of ``process_file`` on files of N and 10 N showers
   (both several batches long), each in a fresh interpreter.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

#: Issue targets
TARGET_RATIO_LST = 30.0
TARGET_SCALING_2 = 1.8
TARGET_RSS_GROWTH = 0.20

ARRAYS = {"LSTCam": "CTAO-North-LST", "NectarCam": "CTAO-North-MST"}


def simulate(array, n_showers, path, seed=1):
    from iactpipe.simulation.config import SimulationConfig
    from iactpipe.simulation.run import simulate_run

    config = SimulationConfig.from_dict({"array": array, "n_showers": n_showers, "energy_min_tev": 0.05,
                                         "energy_max_tev": 5, "scatter_radius_max_m": 300, "seed": seed,
                                         "run": 1})
    return simulate_run(config, path)


def load_batches(path, camera, max_tel_events):
    """Batches (as `process_file` builds them) of telescopes with ``camera``, plus calibration arrays."""
    from iactpipe.dl1.processor import BATCH_EVENTS, _calibration_arrays
    from iactpipe.io import open_events

    batches, total = [], 0
    with open_events(path) as source:
        for batch in source.iter_batches(max_events=BATCH_EVENTS):
            if batch.description.camera.name != camera:
                continue
            n_channels, n_pixels = batch.waveforms.shape[1:3]
            pedestal, dc_to_pe, broken, time_shift = _calibration_arrays(source.calibration, batch.tel_id,
                                                                        n_channels, n_pixels)
            keep = min(len(batch), max_tel_events - total)
            batches.append({"description": batch.description, "tel_id": batch.tel_id[:keep],
                            "waveforms": np.ascontiguousarray(batch.waveforms[:keep]),
                            "pedestal": pedestal[:keep], "dc_to_pe": dc_to_pe[:keep], "broken": broken[:keep],
                            "time_shift": None if time_shift is None else time_shift[:keep]})
            total += keep
            if total >= max_tel_events:
                break
    return batches, total


def ours_stages(setup, batch):
    """One batch through our stages (the steps of `process_batch`); seconds per stage.

    R0 -> R1 and extraction are one stage: `process_batch` calibrates and extracts each
    event in one pass (``NeighborPeakWindowSum.from_r0``), without a batch of R1 waveforms.
    """
    from iactpipe.dl1.processor import _parameters
    from iactpipe.image.cleaning import tailcuts_clean

    config = setup.config
    times = {}
    t0 = time.perf_counter()
    image, peak_time, _, _, invalid = setup.extractor.from_r0(batch["waveforms"], batch["pedestal"],
                                                              batch["dc_to_pe"], config.gain_threshold_adc,
                                                              batch["broken"])
    if invalid.any():
        from iactpipe.calib._extractor_kernels import interpolate_invalid

        interpolate_invalid(image, peak_time, np.ascontiguousarray(invalid), setup.indptr, setup.indices)
    t2 = time.perf_counter()
    cleaning = config.cleaning
    masks = tailcuts_clean(image, setup.description.camera.neighbors, cleaning["picture_threshold_pe"],
                           cleaning["boundary_threshold_pe"], keep_isolated_pixels=cleaning["keep_isolated_pixels"],
                           min_number_picture_neighbors=cleaning["min_picture_neighbors"])
    masks = np.asarray(masks, bool).reshape(image.shape)
    t3 = time.perf_counter()
    quality = config.image_quality
    good = ((np.where(masks, image, 0.0).sum(axis=1) > quality["min_intensity_pe"])
            & (masks.sum(axis=1) >= quality["min_pixels"]))
    _parameters(setup, image, peak_time, masks, good)
    t4 = time.perf_counter()
    times.update(r0_to_r1_extraction=t2 - t0, cleaning=t3 - t2, parameters=t4 - t3)
    return times


def r0_to_r1_alone(batches, n_tel_events, repeats):
    """Microseconds per telescope event of `iactpipe.calib.r1.r0_to_r1` alone (the unfused R0 -> R1)."""
    from iactpipe.calib.r1 import r0_to_r1

    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            r0_to_r1(batch["waveforms"], batch["pedestal"], batch["dc_to_pe"], return_finite=True)
        best = min(best, time.perf_counter() - start)
    return 1e6 * best / n_tel_events


def bench_ours(batches, n_tel_events, repeats):
    from iactpipe.dl1.config import ProcessConfig
    from iactpipe.dl1.processor import TelescopeSetup, process_batch

    config = ProcessConfig(None)
    setup = TelescopeSetup(batches[0]["description"], config.for_telescope(batches[0]["description"]))
    best = None
    for _ in range(repeats):
        totals = dict.fromkeys(("r0_to_r1_extraction", "cleaning", "parameters"), 0.0)
        for batch in batches:
            times = ours_stages(setup, batch)
            for key, value in times.items():
                totals[key] += value
        best = totals if best is None else {k: min(best[k], totals[k]) for k in totals}
    whole = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            process_batch(setup, batch["waveforms"], batch["pedestal"], batch["dc_to_pe"], batch["broken"],
                          batch["time_shift"])
        whole = min(whole, time.perf_counter() - start)
    result = {key: 1e6 * value / n_tel_events for key, value in best.items()}
    result["total"] = sum(result.values())
    result["process_batch"] = 1e6 * whole / n_tel_events
    result["r0_to_r1_alone"] = r0_to_r1_alone(batches, n_tel_events, repeats)
    return result


def ctapipe_events(path, batches, max_events):
    """ArrayEventContainers (one telescope each) with our R1, plus the R0 inputs of ctapipe's R1 step."""
    from ctapipe.containers import ArrayEventContainer, PixelStatus
    from ctapipe.instrument import SubarrayDescription

    from iactpipe.calib.r1 import r0_to_r1

    subarray = SubarrayDescription.from_hdf(path)
    events, r0_inputs = [], []
    for batch in batches:
        r1, gain = r0_to_r1(batch["waveforms"], batch["pedestal"], batch["dc_to_pe"])
        for i in range(len(r1)):
            if len(events) >= max_events:
                return subarray, events, r0_inputs
            tel_id = int(batch["tel_id"][i])
            event = ArrayEventContainer()
            event.index.event_id = len(events)
            event.trigger.tels_with_trigger = [tel_id]
            event.r1.tel[tel_id].waveform = r1[i]
            event.r1.tel[tel_id].selected_gain_channel = gain[i].astype(np.int8)
            status = np.where(gain[i] == 0, np.uint8(PixelStatus.HIGH_GAIN_STORED),
                              np.uint8(PixelStatus.LOW_GAIN_STORED)).astype(np.uint8)
            event.r1.tel[tel_id].pixel_status = status
            n_channels = batch["waveforms"].shape[1]
            broken = np.broadcast_to(batch["broken"][i], (n_channels, r1.shape[-2])).copy()
            event.monitoring.tel[tel_id].camera.coefficients.outlier_mask = broken
            events.append((tel_id, event))
            r0_inputs.append((batch["waveforms"][i], batch["pedestal"][i], batch["dc_to_pe"][i]))
    return subarray, events, r0_inputs


def bench_ctapipe(path, batches, max_events):
    from ctapipe.calib import CameraCalibrator
    from ctapipe.calib.camera.gainselection import ThresholdGainSelector
    from ctapipe.image import ImageProcessor
    from ctapipe.io.simteleventsource import apply_simtel_r1_calibration

    subarray, events, r0_inputs = ctapipe_events(path, batches, max_events + 1)
    calibrator = CameraCalibrator(subarray)
    processor = ImageProcessor(subarray)
    selector = ThresholdGainSelector()
    # warm-up event (numba compilation / lazy set-up), not timed
    apply_simtel_r1_calibration(*r0_inputs[0], selector)
    calibrator(events[0][1])
    processor(events[0][1])
    events, r0_inputs = events[1:], r0_inputs[1:]
    n = len(events)
    start = time.perf_counter()
    for waveform, pedestal, dc_to_pe in r0_inputs:
        apply_simtel_r1_calibration(waveform, pedestal, dc_to_pe, selector)
    t_r1 = time.perf_counter() - start
    start = time.perf_counter()
    for _, event in events:
        calibrator(event)
    t_cal = time.perf_counter() - start
    start = time.perf_counter()
    for _, event in events:
        processor(event)
    t_img = time.perf_counter() - start
    result = {"r0_to_r1": 1e6 * t_r1 / n, "calibrator": 1e6 * t_cal / n, "image_processor": 1e6 * t_img / n}
    result["total"] = sum(result.values())
    result["n_tel_events"] = n
    return result


def bench_scaling(path, folder):
    from iactpipe.dl1.processor import process_file

    out = {1: np.inf, 2: np.inf}
    for n_jobs in (1, 2, 1, 2):
        start = time.perf_counter()
        summary = process_file(path, os.path.join(folder, f"scaling_{n_jobs}.h5"), n_jobs=n_jobs, overwrite=True)
        out[n_jobs] = min(out[n_jobs], time.perf_counter() - start)
    return {"n_tel_events": summary.n_telescope_events, "wall_s_1": out[1], "wall_s_2": out[2],
            "speedup": out[1] / out[2]}


def _peak_rss_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def child_rss(path):
    """(child process) process_file once; print peak RSS as JSON."""
    from iactpipe.dl1.processor import process_file

    with tempfile.TemporaryDirectory() as folder:
        summary = process_file(path, os.path.join(folder, "dl1.h5"))
    print(json.dumps({"peak_rss_mb": _peak_rss_mb(), "n_tel_events": summary.n_telescope_events}))


def bench_rss(small, large):
    rows = []
    for path in (small, large):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child-rss", path], check=True,
                             capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"small": rows[0], "large": rows[1], "ratio": rows[1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small statistics, smoke test (~40 s)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--child-rss", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_rss:
        child_rss(args.child_rss)
        return 0
    quick = args.quick
    n_showers = {"LSTCam": 25 if quick else 120, "NectarCam": 15 if quick else 60}
    max_ours, max_ctapipe, repeats = (256, 40, 2) if quick else (1024, 300, 3)
    # both inputs hold several batches (BATCH_EVENTS telescope events), so the memory
    # comparison sees the streaming, not one partial batch against full ones
    n_small, n_large = (60, 600) if quick else (150, 1500)
    results = {"numba_threads": os.environ.get("NUMBA_NUM_THREADS"), "cameras": {}}
    with tempfile.TemporaryDirectory() as folder:
        for camera, array in ARRAYS.items():
            path = os.path.join(folder, f"{camera}.h5")
            simulate(array, n_showers[camera], path)
            batches, n_tel = load_batches(path, camera, max_ours)
            ours_stages_warm = bench_ours(batches[:1], len(batches[0]["tel_id"]), 1)  # loads the kernels
            del ours_stages_warm
            ours = bench_ours(batches, n_tel, repeats)
            theirs = bench_ctapipe(path, batches, max_ctapipe)
            results["cameras"][camera] = {"n_tel_events_ours": n_tel, "ours": ours, "ctapipe": theirs,
                                          "ratio": theirs["total"] / ours["total"],
                                          "ratio_process_batch": theirs["total"] / ours["process_batch"]}
        small, large = os.path.join(folder, "small.h5"), os.path.join(folder, "large.h5")
        simulate("CTAO-North-LST", n_small, small, seed=2)
        simulate("CTAO-North-LST", n_large, large, seed=3)
        results["scaling"] = bench_scaling(large, folder)
        results["memory"] = bench_rss(small, large)
    print_table(results)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


def print_table(results):
    print(f"\nR0 -> DL1, microseconds per telescope event, single core (NUMBA_NUM_THREADS="
          f"{results['numba_threads']})")
    print(f"{'camera':<10} {'stage':<34} {'iactpipe':>10} {'ctapipe':>10} {'ratio':>8}")
    for camera, row in results["cameras"].items():
        ours, theirs = row["ours"], row["ctapipe"]
        pairs = [("R0->R1 + extraction (one pass)", ours["r0_to_r1_extraction"],
                  theirs["r0_to_r1"] + theirs["calibrator"]),
                 ("  (R0->R1 alone, unfused r0_to_r1)", ours["r0_to_r1_alone"], theirs["r0_to_r1"]),
                 ("  (ctapipe: CameraCalibrator)", float("nan"), theirs["calibrator"]),
                 ("cleaning + parameters (ImageProcessor)", ours["cleaning"] + ours["parameters"],
                  theirs["image_processor"]),
                 ("  cleaning", ours["cleaning"], float("nan")),
                 ("  parameters", ours["parameters"], float("nan")),
                 ("total", ours["total"], theirs["total"]),
                 ("total (ours: process_batch)", ours["process_batch"], theirs["total"])]
        for name, a, b in pairs:
            print(f"{camera:<10} {name:<34} {a:>10.1f} {b:>10.1f} {b / a:>8.1f}")
        print(f"{camera:<10} {'telescope events (ours / ctapipe)':<34} {row['n_tel_events_ours']:>10d} "
              f"{theirs['n_tel_events']:>10d}")
    lst = results["cameras"].get("LSTCam")
    if lst:
        print(f"LSTCam ratio {lst['ratio']:.1f}x (target >= {TARGET_RATIO_LST:.0f}x)")
    s = results["scaling"]
    print(f"\nprocess_file on {s['n_tel_events']} LST telescope events: n_jobs=1 {s['wall_s_1']:.2f} s, "
          f"n_jobs=2 {s['wall_s_2']:.2f} s, speed-up {s['speedup']:.2f}x (target >= {TARGET_SCALING_2}x)")
    m = results["memory"]
    print(f"peak RSS of process_file: {m['small']['peak_rss_mb']:.0f} MB ({m['small']['n_tel_events']} tel. events)"
          f", {m['large']['peak_rss_mb']:.0f} MB ({m['large']['n_tel_events']} tel. events), ratio {m['ratio']:.2f} "
          f"(target <= {1 + TARGET_RSS_GROWTH:.2f})")


if __name__ == "__main__":
    sys.exit(main())
