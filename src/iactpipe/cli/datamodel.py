"""``iactpipe datamodel``: the HDF5 data model as Markdown, generated from its definitions."""
import sys

from ._common import command_parser, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "datamodel",
        "Print (or write) the reference of every HDF5 table iactpipe reads and writes: path,\n"
        "columns, dtypes, shapes, units, descriptions. docs/data_model.md is this output.",
        epilog="example:\n  iactpipe datamodel --output docs/data_model.md",
    )
    parser.add_argument("--output", "-o", help="write to this file instead of standard output")
    return parser


@run_command("datamodel")
def run(args):
    from ..io.docs import render_data_model_markdown

    text = render_data_model_markdown()
    if args.output:
        from pathlib import Path

        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def main(argv=None):
    """Run ``iactpipe datamodel``; returns the exit code."""
    return run_main(build_parser(), argv, run)
