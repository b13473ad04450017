"""``iactpipe fit-templates``: template-likelihood reconstruction of direction, core, energy and depth."""
from ._common import command_parser, refuse_existing_output, require_at_least, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "fit-templates",
        "Fit the pixels of all images of each array event at once with the image templates of\n"
        "'iactpipe make-templates' (6 parameters: direction, core, energy, depth of the shower\n"
        "maximum; seeded by the Hillas intersection and the ML energy if present). Needs the DL1\n"
        "file with images ('iactpipe process --write-images') and the DL2 file of the same run;\n"
        "writes a copy of the DL2 file with /dl2/event/subarray/geometry/<name> and\n"
        "/dl2/event/subarray/energy/<name> added. Settings: the 'template_fit:' section of\n"
        "--config (see iactpipe.reco.template_fit.TemplateFitConfig).",
        epilog="examples:\n"
               "  iactpipe fit-templates --dl1 run1.dl1.h5 --dl2 run1.dl2.h5 --templates templates.h5 "
               "--output run1.fit.dl2.h5",
    )
    parser.add_argument("--dl1", required=True, help="DL1 HDF5 file with images")
    parser.add_argument("--dl2", required=True, help="DL2 HDF5 file of the same run (seed geometry, ML energy)")
    parser.add_argument("--templates", required=True, help="template library of 'iactpipe make-templates'")
    parser.add_argument("--output", "-o", required=True, help="DL2 HDF5 file to write")
    parser.add_argument("--config", help="YAML file; its 'template_fit:' section (or the whole file)")
    parser.add_argument("--max-events", type=int, default=None, help="fit only the first N events (testing)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    return parser


@run_command("fit-templates")
def run(args):
    from ..reco.template_fit import fit_file, load_fit_config

    config = load_fit_config(args.config)
    refuse_existing_output(args.output, args.overwrite)
    if args.max_events is not None:
        require_at_least("--max-events", args.max_events, 0)
    summary = fit_file(args.dl1, args.dl2, args.templates, args.output, config, argv=args.argv,
                       overwrite=args.overwrite, max_events=args.max_events)
    rate = summary.n_fitted / summary.fit_time_s if summary.fit_time_s > 0 else float("nan")
    print(f"wrote {args.output}: {summary.n_valid} of {summary.n_events} events fitted "
          f"({summary.fit_time_s:.1f} s of fitting, {rate:.0f} events/s)")
    return 0


def main(argv=None):
    """Run ``iactpipe fit-templates``; returns the exit code."""
    return run_main(build_parser(), argv, run)
