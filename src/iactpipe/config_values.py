"""Checking single configuration values, with errors that name the key (shared by every stage)."""
from .errors import ConfigurationError

__all__ = ["check_value", "SectionConfig"]


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


class SectionConfig:
    """A validated configuration section: defaults, one (kind, min, max) rule per scalar key.

    Subclasses set `SECTION` (the YAML key of the section, also the prefix of error
    messages), `DEFAULTS`, `SCALARS` (``key -> (kind, minimum, maximum)``, see
    `check_value`) and `LISTS` (keys holding non-empty lists of numbers), and may override
    `check_combination` for rules between keys. Unknown keys are errors. Settings read as
    attributes; `to_dict` gives all of them with the defaults filled in (for provenance).

    Parameters
    ----------
    values : dict, optional
        The section's mapping, or a mapping holding only ``{SECTION: mapping}``; missing
        keys take `DEFAULTS`.
    """

    SECTION = ""
    DEFAULTS = {}
    SCALARS = {}
    LISTS = ()

    def __init__(self, values=None):
        import copy

        values = {} if values is None else values
        if isinstance(values, dict) and set(values) == {self.SECTION}:
            values = values[self.SECTION]
        if not isinstance(values, dict):
            raise ConfigurationError(f"{self.SECTION}: expected a mapping, got {values!r}")
        merged = copy.deepcopy(self.DEFAULTS)
        for key, value in values.items():
            where = f"{self.SECTION}.{key}"
            if key in self.SCALARS:
                kind, minimum, maximum = self.SCALARS[key]
                merged[key] = check_value(where, value, kind, minimum=minimum, maximum=maximum)
            elif key in self.LISTS:
                if not isinstance(value, (list, tuple)) or not value:
                    raise ConfigurationError(f"{where}: expected a non-empty list of numbers, got {value!r}")
                merged[key] = [check_value(f"{where}[{i}]", v, float) for i, v in enumerate(value)]
            else:
                raise ConfigurationError(f"{self.SECTION}: unknown key {key!r} "
                                         f"(allowed: {', '.join(self.DEFAULTS)})")
        self.check_combination(merged)
        self.values = merged

    def check_combination(self, values):
        """Rules between keys of the merged ``values``; raise `ConfigurationError` if broken."""

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def to_dict(self):
        """All settings with the defaults filled in (for provenance)."""
        return dict(self.values)
