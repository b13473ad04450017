"""Exceptions raised by iactpipe.

Every error that a user can cause (bad file, bad config) derives from `IactpipeError`;
the CLI turns these into one clear message and a non-zero exit code instead of a traceback.
"""

__all__ = [
    "IactpipeError",
    "InputFileError",
    "DataLevelError",
    "InstrumentError",
    "ConfigurationError",
]


class IactpipeError(Exception):
    """Base class of all errors iactpipe raises on purpose."""


class InputFileError(IactpipeError):
    """An input file is missing, empty, truncated, corrupt or not of the expected format.

    The message always names the file.
    """

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class DataLevelError(InputFileError):
    """A file is readable but does not hold the data level a stage needs."""


class InstrumentError(IactpipeError):
    """An instrument description is inconsistent or unknown."""


class ConfigurationError(IactpipeError):
    """A configuration value is missing, of the wrong type or out of range."""
