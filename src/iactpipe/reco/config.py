"""Configuration of the DL1 -> DL2 stereo geometry reconstruction (`iactpipe reconstruct`), validated.

A configuration is a mapping (usually a YAML file, optionally under a ``reconstruct:`` key)::

    algorithm: HillasReconstructor     # name of the output tables / column prefix
    min_telescopes: 2                  # usable telescopes an event needs (>= 2)
    min_plane_angle_deg: 1.0           # largest angle between two image planes must exceed this
    quality:                           # per-telescope selection of the images used
      min_intensity_pe: 50.0           # hillas_intensity must be > this, p.e.
      min_pixels: 4                    # morphology_n_pixels must be >= this
      max_leakage_intensity_width_2: 1.0   # leakage_intensity_width_2 must be <= this (1: no cut)
      require_valid: true              # the DL1 is_valid flag must be set
    telescope_types:                   # per-type overrides of the quality section
      LST_LST_LSTCam:                  # telescope type name, or a camera name (LSTCam)
        quality: {min_intensity_pe: 80.0}

Images with non-finite Hillas parameters or ``width <= 0`` are never used (they would
make the weights ``intensity * length / width`` meaningless). The defaults reproduce
ctapipe 0.28's ``StereoQualityQuery`` (intensity > 50 p.e., width > 0, more than 3
pixels); ``min_plane_angle_deg`` has no ctapipe counterpart (set it to 0 to keep every
event ctapipe keeps). Unknown keys raise `ConfigurationError` naming the key.
"""
import copy

from ..config_values import check_value
from ..errors import ConfigurationError

__all__ = ["DEFAULTS", "ReconstructConfig", "QualityCuts", "load_config"]

DEFAULTS = {
    "algorithm": "HillasReconstructor",
    "min_telescopes": 2,
    "min_plane_angle_deg": 1.0,
    "quality": {"min_intensity_pe": 50.0, "min_pixels": 4, "max_leakage_intensity_width_2": 1.0,
                "require_valid": True},
}

_QUALITY = {"min_intensity_pe": float, "min_pixels": int, "max_leakage_intensity_width_2": float,
            "require_valid": bool}
_TOP = ("algorithm", "min_telescopes", "min_plane_angle_deg", "quality", "telescope_types")


def _quality(where, values):
    if not isinstance(values, dict):
        raise ConfigurationError(f"{where}: expected a mapping, got {values!r}")
    out = {}
    for key, value in values.items():
        if key not in _QUALITY:
            raise ConfigurationError(f"{where}: unknown key {key!r} (allowed: {', '.join(_QUALITY)})")
        out[key] = check_value(f"{where}.{key}", value, _QUALITY[key], minimum=None if _QUALITY[key] is bool else 0)
    return out


class QualityCuts:
    """Resolved per-telescope quality cuts (plain attributes).

    Parameters
    ----------
    values : dict
        A complete ``quality`` section.
    """

    def __init__(self, values):
        self.min_intensity_pe = float(values["min_intensity_pe"])
        self.min_pixels = int(values["min_pixels"])
        self.max_leakage_intensity_width_2 = float(values["max_leakage_intensity_width_2"])
        self.require_valid = bool(values["require_valid"])


class ReconstructConfig:
    """A validated reconstruction configuration.

    Parameters
    ----------
    values : dict, optional
        The configuration mapping (see the module docstring); missing entries take `DEFAULTS`.
    """

    def __init__(self, values=None):
        values = {} if values is None else values
        if isinstance(values, dict) and set(values) == {"reconstruct"}:
            values = values["reconstruct"]
        if not isinstance(values, dict):
            raise ConfigurationError(f"configuration: expected a mapping, got {values!r}")
        base = copy.deepcopy(DEFAULTS)
        self.type_overrides = {}
        for key, value in values.items():
            if key == "algorithm":
                base[key] = check_value(key, value, str)
                import re

                if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", base[key]):
                    raise ConfigurationError(f"algorithm: {value!r} is not a usable table/column name")
            elif key == "min_telescopes":
                base[key] = check_value(key, value, int, minimum=2)
            elif key == "min_plane_angle_deg":
                base[key] = check_value(key, value, float, minimum=0.0, maximum=90.0)
            elif key == "quality":
                base[key].update(_quality("quality", value))
            elif key == "telescope_types":
                if not isinstance(value, dict):
                    raise ConfigurationError("telescope_types: expected a mapping of type name -> settings")
                for name, block in value.items():
                    block = block or {}
                    if not isinstance(block, dict) or set(block) - {"quality"}:
                        extra = sorted(set(block) - {"quality"}) if isinstance(block, dict) else block
                        raise ConfigurationError(f"telescope_types.{name}: unknown key(s) {extra} (allowed: quality)")
                    self.type_overrides[str(name)] = _quality(f"telescope_types.{name}.quality",
                                                              block.get("quality", {}))
            else:
                raise ConfigurationError(f"configuration: unknown key {key!r} (allowed: {', '.join(_TOP)})")
        self.algorithm = base["algorithm"]
        self.min_telescopes = base["min_telescopes"]
        self.min_plane_angle_deg = base["min_plane_angle_deg"]
        self.quality = base["quality"]

    def to_dict(self):
        """The full configuration (defaults filled in), for provenance."""
        out = {"algorithm": self.algorithm, "min_telescopes": self.min_telescopes,
               "min_plane_angle_deg": self.min_plane_angle_deg, "quality": dict(self.quality)}
        if self.type_overrides:
            out["telescope_types"] = {k: {"quality": dict(v)} for k, v in self.type_overrides.items()}
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

    def cuts_for(self, description):
        """`QualityCuts` of a `TelescopeDescription` (type name first, then camera name)."""
        for key in (description.name, description.camera.name):
            if key in self.type_overrides:
                return QualityCuts({**self.quality, **self.type_overrides[key]})
        return QualityCuts(self.quality)


def load_config(path=None):
    """`ReconstructConfig` from a YAML file (defaults if ``path`` is None)."""
    from ..io.yaml_config import load_config_file

    return load_config_file(path, ReconstructConfig)
