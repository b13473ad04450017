"""``iactpipe make-templates``: simulate the image templates of the template-likelihood fit."""
from ._common import command_parser, refuse_existing_output, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "make-templates",
        "Simulate gamma-ray shower images with iactpipe's own simulator on a grid of energy,\n"
        "impact distance and depth of the shower maximum, in a shower-aligned camera system, and\n"
        "write them per telescope type of the array to an HDF5 template library for\n"
        "'iactpipe fit-templates'. Settings: the 'templates:' section of --config (see\n"
        "iactpipe.reco.templates.TemplateConfig); the seed is recorded in the provenance.",
        epilog="examples:\n"
               "  iactpipe make-templates --output templates.h5\n"
               "  iactpipe make-templates --config templates.yaml --output templates.h5 --seed 3",
    )
    parser.add_argument("--config", help="YAML file; its 'templates:' section (or the whole file) sets the grid")
    parser.add_argument("--output", "-o", required=True, help="HDF5 template library to write")
    parser.add_argument("--seed", type=int, default=None, help="random seed (overrides the config)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    return parser


@run_command("make-templates")
def run(args):
    from ..reco.templates import TemplateConfig, load_template_config, make_templates

    config = load_template_config(args.config)
    if args.seed is not None:
        config = TemplateConfig({**config.to_dict(), "seed": args.seed})
    refuse_existing_output(args.output, args.overwrite)
    summary = make_templates(config, args.output, argv=args.argv, overwrite=args.overwrite, progress=True)
    print(f"wrote {args.output}: templates of {', '.join(summary['types'])} on a "
          f"{' x '.join(map(str, summary['shape']))} grid in {summary['wall_time_s']:.0f} s")
    return 0


def main(argv=None):
    """Run ``iactpipe make-templates``; returns the exit code."""
    return run_main(build_parser(), argv, run)
