"""``iactpipe reconstruct``: DL1 -> DL2 stereo geometry (direction, core, h_max, impact distances)."""
from ._common import command_parser, refuse_existing_output, require_at_least, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "reconstruct",
        "Join the telescopes' DL1 parameters into array events, select the images (intensity,\n"
        "pixels, leakage, width > 0, is_valid), and reconstruct each event's direction, core and\n"
        "h_max by the weighted intersection of the image planes (ctapipe's HillasReconstructor,\n"
        "vectorised). Writes a DL2 file holding the input's instrument, truth and DL1 tables plus\n"
        "/dl2/event/subarray/geometry/<algorithm> and /dl2/event/telescope/impact/<algorithm>.\n"
        "With --resolution, also writes the angular and core resolution vs true energy (simulations).",
        epilog="examples:\n"
               "  iactpipe reconstruct --input run1.dl1.h5 --output run1.dl2.h5\n"
               "  iactpipe reconstruct -i run1.dl1.h5 -o run1.dl2.h5 --config reco.yaml --resolution plots/",
    )
    parser.add_argument("--input", "-i", required=True, help="DL1 HDF5 file")
    parser.add_argument("--output", "-o", required=True, help="DL2 HDF5 file to write")
    parser.add_argument("--config", help="YAML reconstruction configuration (see iactpipe.reco.config)")
    parser.add_argument("--chunk-events", type=int, default=None,
                        help="array events per chunk (bounds memory; default 50000)")
    parser.add_argument("--with-images", action="store_true", help="also copy the DL1 images to the output")
    parser.add_argument("--resolution", metavar="DIR",
                        help="write resolution.ecsv/.json and resolution.png (angular and core resolution vs "
                             "true energy) to DIR")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    return parser


@run_command("reconstruct")
def run(args):
    from ..reco.config import load_config
    from ..reco.processor import CHUNK_EVENTS, reconstruct_file

    config = load_config(args.config)
    refuse_existing_output(args.output, args.overwrite)
    chunk = CHUNK_EVENTS if args.chunk_events is None else args.chunk_events
    require_at_least("--chunk-events", chunk, 1)
    summary = reconstruct_file(args.input, args.output, config, chunk_events=chunk, with_images=args.with_images,
                               argv=args.argv, overwrite=args.overwrite)
    failed = ", ".join(f"{n} {reason}" for reason, n in summary.reasons.items() if reason != "valid")
    print(f"wrote {args.output}: {summary.n_valid} of {summary.n_events} events reconstructed"
          + (f" (invalid: {failed})" if failed else ""))
    if args.resolution:
        from ..reco.resolution import write_resolution

        table = write_resolution(args.output, args.resolution, algorithm=config.algorithm)
        print(f"wrote {args.resolution}/resolution.ecsv, .json, .png ({len(table)} energy bins)")
    return 0


def main(argv=None):
    """Run ``iactpipe reconstruct``; returns the exit code."""
    return run_main(build_parser(), argv, run)
