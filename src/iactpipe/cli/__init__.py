"""Command-line interface: ``iactpipe <command>``, one module per command, each with ``main(argv)``."""
