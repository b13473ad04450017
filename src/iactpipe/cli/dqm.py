"""``iactpipe dqm``: per-run data-quality plots and summaries, and outlier runs across runs.

``iactpipe dqm run`` reads one DL1 file (and optionally its raw file) and writes the
per-run plots and ``summary.json``; ``iactpipe dqm compare`` reads several summaries and
writes the outlier tables. Both write into a temporary folder next to ``--output-dir`` and
rename it into place at the end, so a failed run leaves no half-written folder.
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from ._common import add_logging_options, logging_to, require_at_least, run_command

__all__ = ["main", "build_parser"]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="iactpipe dqm",
        description="Data-quality monitoring: per-run plots and summary from DL1 (and R0), and\n"
                    "outlier runs compared with the ensemble of the other runs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  iactpipe dqm run --input run1.dl1.h5 --raw run1.h5 --output-dir dqm/run1\n"
               "  iactpipe dqm run --input gamma.dl1.h5 --compare proton.dl1.h5 --output-dir dqm/gamma\n"
               "  iactpipe dqm compare dqm/run1 dqm/run2 dqm/run3 --output-dir dqm/outliers\n"
               "  iactpipe dqm events --input run1.dl2.h5 --output-dir dqm/events/run1",
    )
    sub = parser.add_subparsers(dest="action", metavar="{run,compare,events}", required=True)

    run = sub.add_parser("run", help="plots and summary.json of one run",
                         description="Per-run DQM of one DL1 file: trigger multiplicity, pixel charge and "
                                     "peak-time distributions, camera maps (noise, cleaning survival, peak "
                                     "time; pedestal and pixel status with --raw), image survival, image "
                                     "parameters (optionally against other samples), example events.")
    run.add_argument("--input", "-i", required=True, help="DL1 HDF5 file (images needed for the pixel plots)")
    run.add_argument("--raw", help="the run's raw R0 HDF5 file (pedestal and pixel-status maps)")
    run.add_argument("--compare", nargs="+", default=[], metavar="DL1",
                     help="other DL1 files whose parameter distributions to overlay (e.g. protons)")
    run.add_argument("--label", help="run label (default: input file name)")
    run.add_argument("--compare-labels", nargs="+", metavar="LABEL", help="labels of the --compare files")
    run.add_argument("--n-examples", type=int, default=6, help="example events in the gallery (default: %(default)s)")
    run.add_argument("--tel-ids", type=int, nargs="+", metavar="TEL_ID",
                     help="draw camera maps of these telescopes only (default: all)")
    run.add_argument("--summary-only", action="store_true",
                     help="write summary.json only (no plots), e.g. as input of 'dqm compare'")
    _common_output_options(run)

    compare = sub.add_parser("compare", help="outlier runs: each run against the ensemble of the others",
                             description="Compare per-run summaries (summary.json files or folders written by "
                                         "'iactpipe dqm run') and write outliers.csv, checks.csv, "
                                         "outliers.html and run_metrics.png.")
    compare.add_argument("summaries", nargs="+", help="summary.json files or 'dqm run' output folders (>= 3)")
    compare.add_argument("--p-value", type=float, default=1e-3,
                         help="family-wise p-value threshold per run for the distributions (default: %(default)g)")
    compare.add_argument("--min-distance", type=float, default=0.05,
                         help="minimal max-CDF difference of a flagged distribution (default: %(default)g)")
    compare.add_argument("--z-score", type=float, default=5.0,
                         help="robust z-score threshold of the scalar metrics (default: %(default)g)")
    _common_output_options(compare)

    events = sub.add_parser("events", help="gallery of array events with their reconstruction (DL2)",
                            description="Array displays of a few reconstructed events of one DL2 file: triggered "
                                        "telescopes, image axes projected on the ground, true and reconstructed "
                                        "core and direction (array_events.png).")
    events.add_argument("--input", "-i", required=True, help="DL2 HDF5 file ('iactpipe reconstruct' or 'apply')")
    events.add_argument("--n-events", type=int, default=4, help="events in the gallery (default: %(default)s)")
    events.add_argument("--geometry", default="HillasReconstructor",
                        help="geometry algorithm to draw (default: %(default)s)")
    _common_output_options(events)
    return parser


def _common_output_options(sub):
    sub.add_argument("--output-dir", "-o", required=True, help="folder to write (created; atomically replaced)")
    sub.add_argument("--pdf", action="store_true", help="also write every plot as PDF")
    sub.add_argument("--dpi", type=int, default=110, help="PNG resolution (default: %(default)s)")
    sub.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    add_logging_options(sub)


class _AtomicFolder:
    """Write into ``<parent>/.<name>.tmp-*`` and rename it to ``<name>`` on success."""

    def __init__(self, target, overwrite):
        from ..errors import ConfigurationError

        self.target = Path(target)
        if self.target.exists() and not (self.target.is_dir() and not any(self.target.iterdir())) and not overwrite:
            raise ConfigurationError(f"{self.target}: output folder exists (use --overwrite to replace it)")
        if self.target.exists() and not self.target.is_dir():
            raise ConfigurationError(f"{self.target}: exists and is not a folder")
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.target.parent))

    def commit(self):
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{self.tmp.name.rsplit('-', 1)[-1]}")
            self.target.rename(old)
        self.tmp.rename(self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abort(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def _save(fig, folder, name, args, written):
    fig.savefig(folder / f"{name}.png", dpi=args.dpi)
    written.append(f"{name}.png")
    if args.pdf:
        fig.savefig(folder / f"{name}.pdf")
        written.append(f"{name}.pdf")


def _run(args, folder, log):
    from ..dqm import plots
    from ..dqm.examples import example_events
    from ..dqm.summary import summarize_run
    from ..errors import ConfigurationError
    from ..io.instrument_io import read_subarray_hdf5
    from ..visualization.gallery import plot_event_gallery

    if args.compare_labels and len(args.compare_labels) != len(args.compare):
        raise ConfigurationError(f"--compare-labels: {len(args.compare_labels)} labels for "
                                 f"{len(args.compare)} --compare files")
    require_at_least("--n-examples", args.n_examples, 0)
    summary = summarize_run(args.input, args.raw, run=args.label)
    others = [summarize_run(path, run=label) for path, label in
              zip(args.compare, args.compare_labels or [None] * len(args.compare))]
    subarray = read_subarray_hdf5(args.input)
    written = []
    summary.to_json(folder / "summary.json")
    written.append("summary.json")
    for note in summary.notes:
        log.warning("%s: %s", args.input, note)
    if args.summary_only:
        return written, f"summary of run {summary.run}"
    tel_ids = sorted(int(t) for t in summary.pixel_maps)
    if args.tel_ids:
        unknown = sorted(set(args.tel_ids) - set(int(t) for t in subarray.tel_ids))
        if unknown:
            raise ConfigurationError(f"--tel-ids: {args.input} has no telescope(s) {unknown}")
        tel_ids = [t for t in tel_ids if t in set(args.tel_ids)]
    _save(plots.plot_multiplicity(summary), folder, "trigger_multiplicity", args, written)
    _save(plots.plot_pixel_distributions(summary), folder, "pixel_distributions", args, written)
    _save(plots.plot_image_survival(summary), folder, "image_survival", args, written)
    _save(plots.plot_parameter_distributions([summary, *others]), folder, "parameters", args, written)
    for tel_id in tel_ids:
        telescope = subarray.telescope(tel_id)
        _save(plots.plot_camera_maps(summary, tel_id, telescope.camera, telescope.focal_length_m), folder,
              f"camera_maps_tel_{tel_id:03d}", args, written)
    if args.n_examples:
        events = example_events(args.input, args.n_examples, raw_path=args.raw)
        if events:
            _save(plot_event_gallery(events), folder, "example_events", args, written)
    return written, f"{len(written)} files for run {summary.run}"


def _events(args, folder, log):
    from ..dqm.examples import array_examples
    from ..visualization.array import plot_array_gallery

    require_at_least("--n-events", args.n_events, 1)
    subarray, events = array_examples(args.input, args.n_events, args.geometry)
    if not events:
        log.warning("%s: no event with a valid %s geometry: nothing to draw", args.input, args.geometry)
        return [], "no valid event"
    written = []
    _save(plot_array_gallery(subarray, events), folder, "array_events", args, written)
    return written, f"{len(events)} array events"


def _compare(args, folder, log):
    from ..dqm import OutlierThresholds, find_outliers, write_outlier_tables
    from ..dqm.plots import plot_run_metrics
    from ..dqm.summary import RunSummary

    thresholds = OutlierThresholds(p_value=args.p_value, min_distance=args.min_distance, z_score=args.z_score)
    summaries = []
    for item in args.summaries:
        path = Path(item)
        summaries.append(RunSummary.from_json(path / "summary.json" if path.is_dir() else path))
    runs, checks = find_outliers(summaries, thresholds)
    written = [p.name for p in write_outlier_tables(runs, checks, folder, thresholds)]
    _save(plot_run_metrics(summaries, checks), folder, "run_metrics", args, written)
    for _, row in runs[runs["flagged"]].iterrows():
        log.warning("run %s flagged: %s", row["run"], row["reasons"])
    return written, f"{int(runs['flagged'].sum())} of {len(runs)} runs flagged"


@run_command("dqm")
def run(args):
    import logging

    import matplotlib

    matplotlib.use("Agg")
    log = logging.getLogger("iactpipe.dqm")
    folder = _AtomicFolder(args.output_dir, args.overwrite)
    try:
        action = {"run": _run, "compare": _compare, "events": _events}[args.action]
        written, message = action(args, folder.tmp, log)
        folder.commit()
    except BaseException:
        folder.abort()
        raise
    print(f"wrote {args.output_dir}: {message} ({', '.join(written[:4])}{', ...' if len(written) > 4 else ''})")
    return 0


def main(argv=None):
    """Run ``iactpipe dqm``; returns the exit code."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = ["iactpipe", "dqm", *argv]
    with logging_to(args):
        return run(args)
