"""Checking single configuration values, with errors that name the key (shared by every stage)."""
from .errors import ConfigurationError

__all__ = ["check_value"]


def check_value(where, value, kind, minimum=None, maximum=None):
    """``value`` checked against ``kind`` (bool, str, int or float) and the optional bounds.

    Parameters
    ----------
    where : str
        Dotted name of the key, used in the error message.
    value : object
        The value read from the configuration.
    kind : type
        ``bool`` and ``str`` must match exactly; ``int`` accepts integral numbers and
        ``float`` any number (booleans are not numbers here).
    minimum, maximum : number, optional
        Inclusive bounds of numbers.

    Returns
    -------
    The value converted to ``kind``.

    Raises
    ------
    ConfigurationError
        Naming ``where``, the expectation and the value.
    """
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigurationError(f"{where}: expected true/false, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigurationError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{where}: expected a number, got {value!r}")
    if kind is int:
        if int(value) != value:
            raise ConfigurationError(f"{where}: expected an integer, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{where}: must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{where}: must be <= {maximum}, got {value!r}")
    return value
