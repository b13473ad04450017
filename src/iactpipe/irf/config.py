"""Configuration of the IRF and DL3 stage: a validated nested mapping.

The configuration is plain data (a ``dict`` read from YAML or given in Python). `load_config`
merges it over `DEFAULT_CONFIG`, checks every key and value and returns a new, complete
mapping. Unknown keys are an error (a typo must never pass silently), as are values of the
wrong type or out of range; the message names the key, e.g. ``irf.binning.reco_energy_min``.

Sections (all optional; defaults in `DEFAULT_CONFIG`, documented in ``docs/irf.md``):

``columns``
    Names of the DL2 algorithms to use: ``geometry`` (``HillasReconstructor`` or
    ``DispReconstructor``), ``energy`` (``LGBMRegressor``), ``classification``
    (``LGBMClassifier``).
``spectra``
    Target spectra for the weights: ``gamma`` (``CRAB_HEGRA``, ``CRAB_MAGIC_JHEAP2015``),
    ``proton`` (``IRFDOC_PROTON_SPECTRUM``), ``electron`` (``IRFDOC_ELECTRON_SPECTRUM``);
    the names of `pyirf.spectral`.
``observation_time_h``
    Observation time for the weights, background rates and sensitivity (hours).
``binning``
    Energy (TeV, bins per decade), FoV offset (deg), migration, source offset (PSF) and
    background-FoV bins.
``cuts``
    ``method`` ``optimize`` (gamma-score and theta cut per reco-energy bin for the best
    sensitivity) or ``efficiency`` (fixed gamma and theta efficiency); the grids scanned,
    theta limits, multiplicity, the sensitivity criteria (significance, minimum excess events,
    background systematics) and the signal/background FoV region used to optimise.
``dl3``
    Simulated observation: source offset, position angle, pointing, site time, duration.
"""
import copy
import numbers

from ..errors import ConfigurationError

__all__ = ["DEFAULT_CONFIG", "load_config", "SPECTRA"]

#: Spectrum names accepted per particle (attributes of `pyirf.spectral`).
SPECTRA = {
    "gamma": ("CRAB_HEGRA", "CRAB_MAGIC_JHEAP2015"),
    "proton": ("IRFDOC_PROTON_SPECTRUM",),
    "electron": ("IRFDOC_ELECTRON_SPECTRUM",),
}

DEFAULT_CONFIG = {
    "columns": {
        "geometry": "HillasReconstructor",
        "energy": "LGBMRegressor",
        "classification": "LGBMClassifier",
    },
    "spectra": {
        "gamma": "CRAB_HEGRA",
        "proton": "IRFDOC_PROTON_SPECTRUM",
        "electron": "IRFDOC_ELECTRON_SPECTRUM",
    },
    "observation_time_h": 50.0,
    "binning": {
        "true_energy_min": 0.02,       # TeV
        "true_energy_max": 200.0,
        "true_energy_per_decade": 5,
        "reco_energy_min": 0.02,
        "reco_energy_max": 200.0,
        "reco_energy_per_decade": 5,
        "fov_offset_max": 5.0,         # deg; bins of fov_offset_width from 0
        "fov_offset_width": 1.0,
        "migration_min": 0.2,          # E_reco / E_true
        "migration_max": 5.0,
        "migration_bins": 30,
        "source_offset_max": 1.0,      # deg, PSF radial axis
        "source_offset_bins": 100,
        "bkg_fov_max": 5.0,            # deg, half width of the DETX/DETY axes of the 3D background
        "bkg_fov_bins": 10,
        "bkg_3d_min_events": 200,      # background events (after cuts) needed for a 3D background
    },
    "cuts": {
        "method": "optimize",          # or "efficiency"
        "gh_efficiencies": [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95],
        "theta_efficiencies": [0.4, 0.5, 0.6, 0.68, 0.8, 0.9],
        "gh_efficiency": 0.7,          # used by method "efficiency"
        "theta_efficiency": 0.68,
        "theta_min": 0.02,             # deg
        "theta_max": 0.5,
        "min_multiplicity": 2,
        "min_significance": 5.0,
        "min_excess_events": 10.0,
        "min_excess_over_background": 0.05,
        "alpha": 0.2,                  # on/off exposure ratio for the sensitivity
        "fov_offset_max": 1.0,         # deg: background events used within this offset
        "min_events": 10,              # fewer signal events in a bin -> cut from the fill value
    },
    "dl3": {
        "source_offset": 0.5,          # deg from the pointing
        "source_position_angle": 0.0,  # deg, from FoV north (altitude) towards east (azimuth)
        "obs_id": 1,
        "start_time": "2026-01-15T00:00:00",  # UTC, a night at La Palma with the Crab high
        "duration_h": 0.5,
        "seed": 1,
        "target_name": "Crab-like source",
    },
}

_POSITIVE_NUMBERS = {
    "observation_time_h", "binning.true_energy_min", "binning.true_energy_max", "binning.reco_energy_min",
    "binning.reco_energy_max", "binning.fov_offset_max", "binning.fov_offset_width", "binning.migration_min",
    "binning.migration_max", "binning.source_offset_max", "binning.bkg_fov_max", "cuts.theta_min",
    "cuts.theta_max", "cuts.min_significance", "cuts.alpha", "cuts.fov_offset_max", "dl3.duration_h",
}
_POSITIVE_INTS = {
    "binning.true_energy_per_decade", "binning.reco_energy_per_decade", "binning.migration_bins",
    "binning.source_offset_bins", "binning.bkg_fov_bins", "binning.bkg_3d_min_events", "cuts.min_multiplicity", "cuts.min_events",
}
_FRACTIONS = {"cuts.gh_efficiency", "cuts.theta_efficiency"}
_FRACTION_LISTS = {"cuts.gh_efficiencies", "cuts.theta_efficiencies"}
_NON_NEGATIVE = {"cuts.min_excess_events", "cuts.min_excess_over_background", "dl3.source_offset"}


def _merge(defaults, given, where):
    if not isinstance(given, dict):
        raise ConfigurationError(f"{where or 'configuration'}: expected a mapping, got {type(given).__name__}")
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        name = f"{where}.{key}" if where else str(key)
        if key not in defaults:
            raise ConfigurationError(f"{name}: unknown configuration key (known: {', '.join(defaults)})")
        if isinstance(defaults[key], dict):
            merged[key] = _merge(defaults[key], value, name)
        else:
            merged[key] = value
    return merged


def _flat(config, where=""):
    for key, value in config.items():
        name = f"{where}.{key}" if where else key
        if isinstance(value, dict):
            yield from _flat(value, name)
        else:
            yield name, value


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_value(name, value, default):
    if name in _POSITIVE_INTS:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
            raise ConfigurationError(f"{name}: expected a positive integer, got {value!r}")
    elif name in _FRACTION_LISTS:
        if (not isinstance(value, (list, tuple)) or not value
                or not all(_is_number(v) and 0 < v <= 1 for v in value)):
            raise ConfigurationError(f"{name}: expected a non-empty list of numbers in (0, 1], got {value!r}")
    elif name in _FRACTIONS:
        if not _is_number(value) or not 0 < value <= 1:
            raise ConfigurationError(f"{name}: expected a number in (0, 1], got {value!r}")
    elif name in _POSITIVE_NUMBERS:
        if not _is_number(value) or not value > 0:
            raise ConfigurationError(f"{name}: expected a positive number, got {value!r}")
    elif name in _NON_NEGATIVE:
        if not _is_number(value) or value < 0:
            raise ConfigurationError(f"{name}: expected a number >= 0, got {value!r}")
    elif _is_number(default):
        if not _is_number(value):
            raise ConfigurationError(f"{name}: expected a number, got {value!r}")
    elif isinstance(default, str):
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"{name}: expected a non-empty string, got {value!r}")


def load_config(config=None):
    """Return the complete, validated configuration.

    Parameters
    ----------
    config : mapping, str or path-like, optional
        Overrides of `DEFAULT_CONFIG` (nested like it), or a YAML file holding them (a
        top-level ``irf:`` key is unwrapped). ``None`` gives the defaults.

    Raises
    ------
    ConfigurationError
        Unknown key, wrong type or value out of range; the message names the key.
    """
    if config is None:
        config = {}
    elif not isinstance(config, dict):
        import yaml

        try:
            with open(config) as stream:
                config = yaml.safe_load(stream) or {}
        except OSError as error:
            raise ConfigurationError(f"{config}: cannot read configuration file ({error.strerror})") from None
        except yaml.YAMLError as error:
            raise ConfigurationError(f"{config}: not valid YAML ({error})") from None
        if isinstance(config, dict) and set(config) == {"irf"}:
            config = config["irf"]
    merged = _merge(DEFAULT_CONFIG, config, "")
    defaults = dict(_flat(DEFAULT_CONFIG))
    for name, value in _flat(merged):
        _check_value(name, value, defaults[name])
    for particle, name in merged["spectra"].items():
        if name not in SPECTRA[particle]:
            raise ConfigurationError(f"spectra.{particle}: unknown spectrum {name!r} "
                                     f"(choose from {', '.join(SPECTRA[particle])})")
    if merged["cuts"]["method"] not in ("optimize", "efficiency"):
        raise ConfigurationError(f"cuts.method: expected 'optimize' or 'efficiency', got {merged['cuts']['method']!r}")
    b = merged["binning"]
    for kind in ("true_energy", "reco_energy"):
        if not b[f"{kind}_min"] < b[f"{kind}_max"]:
            raise ConfigurationError(f"binning.{kind}_min must be smaller than binning.{kind}_max")
    if not b["migration_min"] < b["migration_max"]:
        raise ConfigurationError("binning.migration_min must be smaller than binning.migration_max")
    if not merged["cuts"]["theta_min"] < merged["cuts"]["theta_max"]:
        raise ConfigurationError("cuts.theta_min must be smaller than cuts.theta_max")
    return merged
