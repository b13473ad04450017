"""Configuration of model training and application (`iactpipe train` / `iactpipe apply`), validated.

A configuration is a mapping (usually a YAML file, optionally under a ``train:`` key)::

    geometry_algorithm: HillasReconstructor   # DL2 geometry whose impact / h_max are features
    features:                                 # per-telescope features (DL1 + DL2 columns)
      - hillas_intensity
      - hillas_width
      ...
    quality:                                  # images used for training and prediction
      min_intensity_pe: 50.0
      max_leakage_intensity_width_2: 0.2
      min_pixels: 4
    split:
      test_fraction: 0.5       # fraction of each particle's runs held out for the metrics
      validation_fraction: 0.2 # fraction of training showers used for early stopping
      seed: 1
    lightgbm:                  # hyper-parameters common to all models
      learning_rate: 0.1
      num_leaves: 15
      min_data_in_leaf: 20
      feature_fraction: 0.8    # features drawn per tree
      bagging_fraction: 0.8    # images drawn per tree (every round)
      lambda_l2: 1.0           # L2 regularisation of the leaf values
      max_rounds: 1000
      early_stopping_rounds: 30
      refit: true              # retrain on training + validation images with the early-stopped round count
      seed: 1
    energy: {name: LGBMRegressor}         # table / column prefix of the energy estimate
    classification: {name: LGBMClassifier}
    disp: {name: DispReconstructor}

Unknown keys raise `ConfigurationError` naming the key.
"""
import copy

from ..config_values import check_value
from ..errors import ConfigurationError

__all__ = ["DEFAULTS", "DEFAULT_FEATURES", "TrainConfig", "load_config"]

#: Per-telescope features: DL1 image parameters plus the stereo quantities of the geometry stage
#: (``impact_distance`` of the telescope, ``h_max`` and ``multiplicity`` of the event).
DEFAULT_FEATURES = (
    "hillas_intensity", "hillas_width", "hillas_length", "hillas_skewness", "hillas_kurtosis", "hillas_r",
    "timing_slope", "timing_deviation",
    "leakage_intensity_width_1", "leakage_intensity_width_2", "leakage_pixels_width_1",
    "concentration_cog", "concentration_core", "concentration_pixel",
    "morphology_n_pixels", "morphology_n_islands",
    "intensity_max", "intensity_std", "peak_time_std",
    "impact_distance", "h_max", "multiplicity",
)

DEFAULTS = {
    "geometry_algorithm": "HillasReconstructor",
    "features": list(DEFAULT_FEATURES),
    "quality": {"min_intensity_pe": 50.0, "max_leakage_intensity_width_2": 0.2, "min_pixels": 4},
    "split": {"test_fraction": 0.5, "validation_fraction": 0.2, "seed": 1},
    "lightgbm": {"learning_rate": 0.1, "num_leaves": 15, "min_data_in_leaf": 20, "feature_fraction": 0.8,
                 "bagging_fraction": 0.8, "lambda_l2": 1.0, "max_rounds": 1000, "early_stopping_rounds": 30,
                 "refit": True, "seed": 1},
    "energy": {"name": "LGBMRegressor"},
    "classification": {"name": "LGBMClassifier"},
    "disp": {"name": "DispReconstructor"},
}

_SCHEMA = {
    "geometry_algorithm": str,
    "features": list,
    "quality": {"min_intensity_pe": (float, 0.0, None), "max_leakage_intensity_width_2": (float, 0.0, 1.0),
                "min_pixels": (int, 1, None)},
    "split": {"test_fraction": (float, 0.0, 0.9), "validation_fraction": (float, 0.01, 0.9), "seed": (int, 0, None)},
    "lightgbm": {"learning_rate": (float, 1e-4, 1.0), "num_leaves": (int, 2, 4096),
                 "min_data_in_leaf": (int, 1, None), "feature_fraction": (float, 0.01, 1.0),
                 "bagging_fraction": (float, 0.01, 1.0), "lambda_l2": (float, 0.0, None), "max_rounds": (int, 1, None),
                 "early_stopping_rounds": (int, 1, None), "refit": (bool,), "seed": (int, 0, None)},
    "energy": {"name": str},
    "classification": {"name": str},
    "disp": {"name": str},
}


def _validate(values):
    out = copy.deepcopy(DEFAULTS)
    if not isinstance(values, dict):
        raise ConfigurationError(f"train configuration: expected a mapping, got {type(values).__name__}")
    for key, value in values.items():
        if key not in _SCHEMA:
            raise ConfigurationError(f"train configuration: unknown key {key!r} (allowed: {', '.join(_SCHEMA)})")
        kind = _SCHEMA[key]
        if kind is str:
            if not isinstance(value, str) or not value:
                raise ConfigurationError(f"train.{key}: expected a non-empty string, got {value!r}")
            out[key] = value
        elif kind is list:
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise ConfigurationError(f"train.{key}: expected a non-empty list of column names, got {value!r}")
            if len(set(value)) != len(value):
                raise ConfigurationError(f"train.{key}: duplicate names in {value!r}")
            out[key] = list(value)
        else:
            if not isinstance(value, dict):
                raise ConfigurationError(f"train.{key}: expected a mapping, got {value!r}")
            for sub, item in value.items():
                if sub not in kind:
                    raise ConfigurationError(f"train.{key}: unknown key {sub!r} (allowed: {', '.join(kind)})")
                spec = kind[sub]
                if spec is str:
                    if not isinstance(item, str) or not item.isidentifier():
                        raise ConfigurationError(f"train.{key}.{sub}: expected an identifier, got {item!r}")
                    out[key][sub] = item
                else:
                    out[key][sub] = check_value(f"train.{key}.{sub}", item, *spec)
    return out


class TrainConfig:
    """Validated training configuration; plain dict sections as attributes.

    Parameters
    ----------
    values : dict or None
        Overrides of `DEFAULTS` (None: defaults).
    """

    def __init__(self, values=None):
        values = {} if values is None else values
        if isinstance(values, dict) and set(values) == {"train"}:
            values = values["train"]
        self._values = _validate(values)
        for key, value in self._values.items():
            setattr(self, key, value)

    def to_dict(self):
        """The full configuration (defaults filled in), JSON/YAML serialisable."""
        return copy.deepcopy(self._values)


def load_config(path=None):
    """`TrainConfig` from a YAML file (None: defaults)."""
    if path is None:
        return TrainConfig()
    from ..io.yaml_config import read_yaml_mapping

    return TrainConfig(read_yaml_mapping(path))
