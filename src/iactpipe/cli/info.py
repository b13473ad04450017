"""``iactpipe info FILE``: what a data file holds (levels, telescopes, events, provenance)."""
import json

from ._common import command_parser, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "info",
        "Summarise an iactpipe/ctapipe HDF5 data file: data levels present, telescopes and\n"
        "their cameras, events per table, simulation runs, and provenance (software version,\n"
        "creation time, seed, input files).",
        epilog="examples:\n  iactpipe info results/dl1/gamma/run000001.dl1.h5\n  iactpipe info run.h5 --json\n"
               "  iactpipe info run.h5 --require dl1   # exit 1 unless the file has DL1",
    )
    parser.add_argument("file", help="HDF5 data file")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--require", action="append", metavar="LEVEL",
                        choices=["r0", "r1", "dl0", "dl1", "dl2", "dl3", "irf", "simulation"],
                        help="fail (exit 1) unless the file holds this data level; repeatable")
    return parser


@run_command("info")
def run(args):
    from ..io.checks import check_data_file
    from ..io.info import describe_file, format_info

    if args.require:
        check_data_file(args.file, required_level=args.require)
    info = describe_file(args.file)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
    else:
        print(format_info(info))
    return 0


def main(argv=None):
    """Run ``iactpipe info``; returns the exit code."""
    return run_main(build_parser(), argv, run)
