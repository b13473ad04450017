"""``iactpipe train``: LightGBM energy, gamma/hadron and disp models from DL2 simulations."""
from ._common import command_parser, require_at_least, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "train",
        "Train per-telescope-type LightGBM models (energy, gamma/hadron score, disp norm and\n"
        "sign) on reconstructed (DL2) simulations. Whole runs of each particle are held out\n"
        "as the test set; the metrics on them are written next to the models (metrics.json)\n"
        "and, with --plots, as PNG plots.",
        epilog="example:\n"
               "  iactpipe train --gamma gd_101.dl2.h5 gd_102.dl2.h5 --proton p_201.dl2.h5 p_202.dl2.h5 \\\n"
               "      --output-dir results/models --plots results/plots/ml",
    )
    parser.add_argument("--gamma", nargs="+", required=True, metavar="FILE", help="DL2 files of (diffuse) gammas")
    parser.add_argument("--proton", nargs="+", default=[], metavar="FILE", help="DL2 files of protons")
    parser.add_argument("--electron", nargs="+", default=[], metavar="FILE", help="DL2 files of electrons")
    parser.add_argument("--output-dir", "-o", required=True, help="folder for the models and metrics")
    parser.add_argument("--config", help="YAML training configuration (see iactpipe.ml.config)")
    parser.add_argument("--plots", help="folder for the metric plots (PNG)")
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads (default: %(default)s)")
    return parser


@run_command("train")
def run(args):
    from ..ml.config import load_config
    from ..ml.training import train

    require_at_least("--threads", args.threads, 1)
    inputs = {"gamma": args.gamma, "proton": args.proton, "electron": args.electron}
    inputs = {particle: files for particle, files in inputs.items() if files}
    config = load_config(args.config)
    metrics, models, test_events = train(inputs, args.output_dir, config, threads=args.threads)
    if args.plots:
        from ..ml.plots import write_metric_plots

        write_metric_plots(metrics, args.plots)
    for energy, row in metrics.get("summary", {}).items():
        values = ", ".join(f"{key} {value:.3g}" if value is not None else f"{key} n/a" for key, value in row.items())
        print(f"{energy}: {values}")
    print(f"wrote models for {', '.join(models.telescope_types)} to {args.output_dir}")
    return 0


def main(argv=None):
    """Run ``iactpipe train``; returns the exit code."""
    return run_main(build_parser(), argv, run)
