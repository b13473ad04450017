"""Entry point of the ``iactpipe`` command.

The top level only knows command names and one-line descriptions; a command's module
(and with it numpy, numba, astropy, ...) is imported only when that command runs, so
``iactpipe --help`` answers instantly.
"""
import argparse
import os
import sys
from importlib import import_module

from ..version import __version__

__all__ = ["COMMANDS", "main"]

#: command name -> (module under iactpipe.cli, one-line description)
COMMANDS = {
    "simulate": ("simulate", "simulate showers seen by a built-in array and write a raw (R0) HDF5 run"),
    "validate-simulation": ("validate_simulation", "measure the simulator against its physics expectations"),
    "process": ("process", "R0/sim_telarray -> DL1: calibrate, extract, clean, parametrise"),
    "reconstruct": ("reconstruct", "DL1 -> DL2: join telescopes into array events, reconstruct direction, core, h_max"),
    "make-templates": ("make_templates", "simulate the image templates of the template-likelihood fit (HDF5)"),
    "fit-templates": ("fit_templates", "DL1 images + DL2 -> DL2: template-likelihood fit of direction, core, E, X_max"),
    "train": ("train", "train LightGBM energy, gamma/hadron and disp models on DL2 simulations"),
    "apply": ("apply", "DL2 -> DL2: add energy, gamma score and disp direction from trained models"),
    "irf": ("irf", "DL2 simulations -> cuts, IRFs (GADF), sensitivity and performance tables"),
    "dl3": ("dl3", "simulated observation -> DL3 event list (GADF) with hdu and obs index"),
    "dqm": ("dqm", "data-quality monitoring: per-run plots and summary, outlier runs across runs"),
    "info": ("info", "show what a data file holds: data levels, telescopes, events, provenance"),
    "instrument": ("instrument", "list the built-in cameras, telescopes and arrays (or those of a file)"),
    "datamodel": ("datamodel", "print or write the HDF5 data model documentation (docs/data_model.md)"),
}


def _top_parser():
    width = max(len(name) for name in COMMANDS) + 1
    parser = argparse.ArgumentParser(
        prog="iactpipe",
        description="iactpipe: fast, reproducible analysis of IACT array data "
                    "(simulation, R0 -> DL1 -> DL2 -> IRF/DL3).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {name:<{width}} {text}" for name, (_, text) in COMMANDS.items())
               + "\n\nRun 'iactpipe <command> --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"iactpipe {__version__}")
    parser.add_argument("command", nargs="?", choices=list(COMMANDS), metavar="command",
                        help="one of: " + ", ".join(COMMANDS))
    return parser


def main(argv=None):
    """Run ``iactpipe`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _top_parser()
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    if argv[0] == "--version":
        print(f"iactpipe {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        parser.print_usage(sys.stderr)
        print(f"iactpipe: error: unknown command {command!r} (choose from {', '.join(COMMANDS)})",
              file=sys.stderr)
        return 2
    module = import_module(f".{COMMANDS[command][0]}", __package__)
    try:
        return module.main(rest)
    except BrokenPipeError:
        # the reader of our output went away (e.g. `iactpipe info f.h5 | head`): not an error
        # of ours; silence the flush at interpreter exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
