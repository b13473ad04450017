"""``iactpipe process``: R0 (raw HDF5 or sim_telarray) -> DL1 parameters (and images)."""
from ._common import command_parser, refuse_existing_output, require_at_least, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "process",
        "Calibrate raw events (gain selection, pedestal, dc-to-pe), extract charges and peak\n"
        "times, clean the images and compute their parameters; write a DL1 HDF5 file with the\n"
        "parameters (images too with --write-images), the instrument, the simulation truth and\n"
        "provenance including the full configuration. Settings: --preset, then --config.",
        epilog="examples:\n"
               "  iactpipe process --input gamma_1.h5 --output gamma_1.dl1.h5\n"
               "  iactpipe process --preset ctapipe --input run.simtel.zst --output run.dl1.h5 --write-images",
    )
    parser.add_argument("--input", "-i", required=True, help="raw HDF5 file or sim_telarray file")
    parser.add_argument("--output", "-o", required=True, help="DL1 HDF5 file to write")
    parser.add_argument("--config", help="YAML processing configuration (see iactpipe.dl1.config)")
    parser.add_argument("--preset", choices=["ctapipe"],
                        help="start from a shipped configuration (ctapipe: ctapipe-process defaults)")
    parser.add_argument("--write-images", action="store_true", help="also write images, peak times and masks")
    parser.add_argument("--n-jobs", type=int, default=1, help="worker processes (default: %(default)s)")
    parser.add_argument("--allow-truncated", action="store_true",
                        help="process the complete events of a truncated sim_telarray file (warning in provenance)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


@run_command("process")
def run(args):
    from ..dl1.config import load_config
    from ..dl1.processor import process_file

    config = load_config(args.config, preset=args.preset)
    refuse_existing_output(args.output, args.overwrite)
    require_at_least("--n-jobs", args.n_jobs, 1)
    summary = process_file(args.input, args.output, config, write_images=args.write_images, n_jobs=args.n_jobs,
                           allow_truncated=args.allow_truncated, progress=not args.no_progress, argv=args.argv,
                           overwrite=args.overwrite)
    note = " (input truncated: complete events only)" if summary.truncated else ""
    print(f"wrote {args.output}: {summary.n_telescope_events} telescope events of {summary.n_events} events, "
          f"{summary.n_valid_images} valid images{note}")
    return 0


def main(argv=None):
    """Run ``iactpipe process``; returns the exit code."""
    return run_main(build_parser(), argv, run)
