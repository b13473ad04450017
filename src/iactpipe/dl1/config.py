"""Configuration of the R0 -> DL1 processing (`iactpipe process`), validated.

A configuration is a mapping (usually a YAML file, optionally under a ``process:`` key)::

    gain_threshold_adc: 4000          # high-gain sample above which the low gain is used
    invalid_pixels:
      interpolate: true               # broken / non-finite pixels: mean of valid neighbours
    extractor:
      name: NeighborPeakWindowSum     # see iactpipe.calib.extractors.EXTRACTORS
      window_width: 7
      window_shift: 3
    cleaning:
      picture_threshold_pe: 10.0
      boundary_threshold_pe: 5.0
      min_picture_neighbors: 2
      keep_isolated_pixels: false
    image_quality:
      min_intensity_pe: 0.0           # cleaned-image charge must be > this
      min_pixels: 2                   # and it must have at least this many pixels
    telescope_types:                  # per-type overrides of the sections above
      LST_LST_LSTCam:                 # telescope type name, or a camera name (LSTCam)
        cleaning: {picture_threshold_pe: 8.0}

Unknown keys anywhere raise `ConfigurationError` naming the key; a per-type section for
a telescope type or camera that is not in the input file is an error too
(`ProcessConfig.for_telescope`). The configuration of ctapipe 0.28's default
``ctapipe-process`` is shipped as ``iactpipe/resources/ctapipe_preset.yaml``
(`load_preset`).
"""
import copy
from importlib import resources

from ..calib.extractors import EXTRACTORS
from ..config_values import check_value
from ..errors import ConfigurationError

__all__ = ["DEFAULTS", "PRESETS", "ProcessConfig", "TelescopeConfig", "load_config", "load_preset"]

DEFAULTS = {
    "gain_threshold_adc": 4000.0,
    "invalid_pixels": {"interpolate": True},
    "extractor": {"name": "NeighborPeakWindowSum"},
    "cleaning": {"picture_threshold_pe": 10.0, "boundary_threshold_pe": 5.0, "min_picture_neighbors": 2,
                 "keep_isolated_pixels": False},
    "image_quality": {"min_intensity_pe": 0.0, "min_pixels": 2},
}

_SECTIONS = {
    "invalid_pixels": {"interpolate": bool},
    "cleaning": {"picture_threshold_pe": float, "boundary_threshold_pe": float, "min_picture_neighbors": int,
                 "keep_isolated_pixels": bool},
    "image_quality": {"min_intensity_pe": float, "min_pixels": int},
}
_SCALARS = {"gain_threshold_adc": float}
_TYPE_KEYS = ("gain_threshold_adc", "invalid_pixels", "extractor", "cleaning", "image_quality")

#: preset name -> resource file in iactpipe/resources
PRESETS = {"ctapipe": "ctapipe_preset.yaml"}


def _check_value(where, value, kind):
    """Booleans, or non-negative numbers of ``kind``."""
    return check_value(where, value, kind, minimum=None if kind is bool else 0)


def _validate_section(where, name, values):
    if not isinstance(values, dict):
        raise ConfigurationError(f"{where}{name}: expected a mapping, got {values!r}")
    if name == "extractor":
        return _validate_extractor(f"{where}{name}", values)
    allowed = _SECTIONS[name]
    out = {}
    for key, value in values.items():
        if key not in allowed:
            raise ConfigurationError(f"{where}{name}: unknown key {key!r} (allowed: {', '.join(allowed)})")
        out[key] = _check_value(f"{where}{name}.{key}", value, allowed[key])
    return out


def _validate_extractor(where, values):
    values = dict(values)
    name = values.get("name")
    if name is not None and name not in EXTRACTORS:
        raise ConfigurationError(f"{where}.name: unknown extractor {name!r} (choose from {', '.join(EXTRACTORS)})")
    return values  # parameters are checked against the chosen extractor in `_merge`


def _check_extractor_params(where, section):
    name = section["name"]
    allowed = EXTRACTORS[name].defaults
    for key, value in section.items():
        if key == "name":
            continue
        if key not in allowed:
            raise ConfigurationError(f"{where}: unknown key {key!r} for {name} "
                                     f"(allowed: {', '.join(['name', *allowed]) })")
        default = allowed[key]
        if isinstance(default, bool):
            _check_value(f"{where}.{key}", value, bool)
        elif isinstance(default, int):
            section[key] = _check_value(f"{where}.{key}", value, int)
        elif isinstance(default, float) or (default is None and value is not None):
            section[key] = _check_value(f"{where}.{key}", value, float)


def _validate_block(where, block, allow_types):
    if not isinstance(block, dict):
        raise ConfigurationError(f"{where or 'configuration'}: expected a mapping, got {block!r}")
    out = {}
    for key, value in block.items():
        if key in _SCALARS:
            out[key] = _check_value(f"{where}{key}", value, _SCALARS[key])
        elif key in _SECTIONS or key == "extractor":
            out[key] = _validate_section(where, key, value)
        elif key == "telescope_types" and allow_types:
            if not isinstance(value, dict):
                raise ConfigurationError("telescope_types: expected a mapping of type name -> settings")
            out[key] = {str(k): _validate_block(f"telescope_types.{k}.", v or {}, False) for k, v in value.items()}
        else:
            allowed = list(_TYPE_KEYS) + (["telescope_types"] if allow_types else [])
            raise ConfigurationError(f"{where or 'configuration'}: unknown key {key!r} "
                                     f"(allowed: {', '.join(allowed)})")
    return out


def _merge(where, base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict):
            if key == "extractor" and "name" in value and value["name"] != out[key].get("name"):
                out[key] = dict(value)  # another extractor: its own defaults, not the old parameters
            else:
                out[key] = {**out.get(key, {}), **value}
        else:
            out[key] = value
    _check_extractor_params(f"{where}extractor", out["extractor"])
    return out


class TelescopeConfig:
    """Resolved settings of one telescope type (plain attributes, picklable)."""

    def __init__(self, values):
        self.values = values
        self.gain_threshold_adc = float(values["gain_threshold_adc"])
        self.interpolate_invalid = bool(values["invalid_pixels"]["interpolate"])
        extractor = dict(values["extractor"])
        self.extractor_name = extractor.pop("name")
        self.extractor_params = extractor
        self.cleaning = dict(values["cleaning"])
        self.image_quality = dict(values["image_quality"])


class ProcessConfig:
    """A validated processing configuration.

    Parameters
    ----------
    values : dict, optional
        The configuration mapping (see the module docstring); missing entries take `DEFAULTS`.
    """

    def __init__(self, values=None):
        values = {} if values is None else values
        if isinstance(values, dict) and set(values) == {"process"}:
            values = values["process"]
        checked = _validate_block("", values, True)
        self.type_overrides = checked.pop("telescope_types", {})
        self.base = _merge("", DEFAULTS, checked)
        self.resolved_types = {key: _merge(f"telescope_types.{key}.", self.base, value)
                               for key, value in self.type_overrides.items()}

    def to_dict(self):
        """The full configuration (defaults filled in), for provenance."""
        out = copy.deepcopy(self.base)
        if self.type_overrides:
            out["telescope_types"] = copy.deepcopy(self.type_overrides)
        return out

    def check_subarray(self, subarray):
        """Raise `ConfigurationError` for per-type sections matching no telescope of ``subarray``."""
        names = set()
        for tel_id in subarray.tel_ids:
            description = subarray.telescope(int(tel_id))
            names.update((description.name, description.camera.name))
        unknown = sorted(set(self.type_overrides) - names)
        if unknown:
            raise ConfigurationError(f"telescope_types: {', '.join(map(repr, unknown))} matches no telescope type "
                                     f"or camera of the input (known: {', '.join(sorted(names))})")

    def for_telescope(self, description):
        """`TelescopeConfig` for a `TelescopeDescription` (type name first, then camera name)."""
        for key in (description.name, description.camera.name):
            if key in self.resolved_types:
                return TelescopeConfig(self.resolved_types[key])
        return TelescopeConfig(self.base)


def _read_yaml(path):
    from ..io.yaml_config import read_yaml_mapping

    return read_yaml_mapping(path)


def load_preset(name):
    """The configuration mapping of a shipped preset (``"ctapipe"``)."""
    import yaml

    if name not in PRESETS:
        raise ConfigurationError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    text = resources.files("iactpipe").joinpath("resources", PRESETS[name]).read_text()
    return yaml.safe_load(text) or {}


def load_config(path=None, preset=None):
    """`ProcessConfig` from a preset and/or a YAML file (the file's entries override the preset's)."""
    values = load_preset(preset) if preset else {}
    if path is not None:
        data = _read_yaml(path)
        if set(data) == {"process"}:
            data = data["process"]
        try:
            ProcessConfig(data)  # validate the file on its own first: errors name its keys
        except ConfigurationError as error:
            raise ConfigurationError(f"{path}: {error}") from None
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(values.get(key), dict) and key != "telescope_types":
                values[key] = {**values[key], **value}
            else:
                values[key] = value
    return ProcessConfig(values)
