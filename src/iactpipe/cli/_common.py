"""Pieces every command shares: logging options and turning user errors into exit codes."""
import argparse
import contextlib
import functools
import json
import logging
import sys
import time

from ..errors import ConfigurationError, IactpipeError

__all__ = ["add_logging_options", "logging_to", "command_parser", "run_command", "run_main", "refuse_existing_output",
           "require_at_least", "EXIT_USER_ERROR"]

#: exit code for errors caused by input files or configuration (argparse uses 2 for usage errors)
EXIT_USER_ERROR = 1


class _JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (for log aggregation on clusters)."""

    def format(self, record):
        payload = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload)


def add_logging_options(parser):
    """Add ``--log-level``, ``--log-file`` and ``--log-format`` to ``parser``."""
    group = parser.add_argument_group("logging")
    group.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                       help="minimum level of messages to show (default: %(default)s)")
    group.add_argument("--log-file", default=None, help="also write the log to this file")
    group.add_argument("--log-format", default="text", choices=["text", "json"],
                       help="log line format (default: %(default)s)")


@contextlib.contextmanager
def logging_to(args):
    """Send the ``iactpipe`` loggers to stderr (and ``--log-file``) while a command runs.

    The handlers are removed again on exit, so in-process runs (tests, notebooks) leave
    no handler behind on a stream that may be closed later.
    """
    logger = logging.getLogger("iactpipe")
    if args.log_format == "json":
        formatter = _JsonFormatter()
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    handlers = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file))
    old_level = logger.level
    logger.setLevel(args.log_level)
    for handler in handlers:
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    try:
        yield logger
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(old_level)


def command_parser(name, description, epilog=None):
    """An `argparse.ArgumentParser` for ``iactpipe <name>`` with the logging options."""
    parser = argparse.ArgumentParser(prog=f"iactpipe {name}", description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_logging_options(parser)
    return parser


def run_command(name):
    """Decorate a command body ``run(args) -> int`` so that user errors exit cleanly.

    An `IactpipeError` (bad file, bad configuration) is printed as one line naming the
    file and the problem, with exit code `EXIT_USER_ERROR`; anything else is a bug and
    keeps its traceback.
    """

    def decorator(func):
        @functools.wraps(func)
        def wrapper(args):
            try:
                return int(func(args) or 0)
            except IactpipeError as error:
                print(f"iactpipe {name}: error: {error}", file=sys.stderr)
                return EXIT_USER_ERROR

        return wrapper

    return decorator


def refuse_existing_output(path, overwrite):
    """Raise a `ConfigurationError` if ``path`` exists and ``overwrite`` is not set."""
    from pathlib import Path

    if Path(path).exists() and not overwrite:
        raise ConfigurationError(f"{path}: output file exists (use --overwrite to replace it)")


def require_at_least(option, value, minimum):
    """Raise a `ConfigurationError` naming ``option`` if the integer ``value`` is below ``minimum``."""
    if value < minimum:
        raise ConfigurationError(f"{option} must be >= {minimum}, got {value}")


def run_main(parser, argv, run):
    """Parse ``argv`` (default ``sys.argv[1:]``) with ``parser`` and call ``run(args)`` with logging set up.

    ``args.argv`` holds the full command line, for provenance. Returns the exit code.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = [parser.prog.split()[0], *parser.prog.split()[1:], *argv]
    with logging_to(args):
        return run(args)
