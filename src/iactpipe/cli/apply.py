"""``iactpipe apply``: add energy, gamma score and disp direction to a DL2 file."""
from ._common import command_parser, refuse_existing_output, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "apply",
        "Apply models trained by 'iactpipe train' to a reconstructed (DL2) file: per-telescope\n"
        "and per-event energy, gamma/hadron score and disp direction. Writes a new file with\n"
        "everything of the input plus the new DL2 tables.",
        epilog="example:\n"
               "  iactpipe apply --input gamma_1.dl2.h5 --models results/models --output gamma_1.dl2_ml.h5",
    )
    parser.add_argument("--input", "-i", required=True, help="DL2 file (output of iactpipe reconstruct)")
    parser.add_argument("--models", "-m", required=True, help="model folder written by iactpipe train")
    parser.add_argument("--output", "-o", required=True, help="DL2 file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    return parser


@run_command("apply")
def run(args):
    from ..ml.apply import apply_file

    refuse_existing_output(args.output, args.overwrite)
    summary = apply_file(args.input, args.models, args.output, overwrite=args.overwrite, argv=args.argv)
    print(f"wrote {args.output}: {summary['n_events']} events, {summary['n_energy_valid']} with energy, "
          f"{summary['n_score_valid']} with gamma score, {summary['n_direction_valid']} with disp direction")
    return 0


def main(argv=None):
    """Run ``iactpipe apply``; returns the exit code."""
    return run_main(build_parser(), argv, run)
