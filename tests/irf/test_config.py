"""The IRF configuration: defaults, overrides, unknown keys and bad values are errors."""
import pytest

from iactpipe.errors import ConfigurationError
from iactpipe.irf.config import DEFAULT_CONFIG, load_config


def test_defaults_are_complete_and_valid():
    config = load_config()
    assert config == DEFAULT_CONFIG
    assert config["columns"] == {"geometry": "HillasReconstructor", "energy": "LGBMRegressor",
                                 "classification": "LGBMClassifier"}
    assert config is not DEFAULT_CONFIG


def test_override_merges_nested():
    config = load_config({"cuts": {"method": "efficiency"}, "columns": {"geometry": "DispReconstructor"}})
    assert config["cuts"]["method"] == "efficiency"
    assert config["cuts"]["min_significance"] == 5.0
    assert config["columns"]["geometry"] == "DispReconstructor"


@pytest.mark.parametrize("override, message", [
    ({"cut": {}}, "cut: unknown configuration key"),
    ({"cuts": {"gh_eff": 0.5}}, "cuts.gh_eff: unknown configuration key"),
    ({"cuts": {"gh_efficiency": 1.5}}, "cuts.gh_efficiency"),
    ({"cuts": {"gh_efficiencies": []}}, "cuts.gh_efficiencies"),
    ({"cuts": {"method": "best"}}, "cuts.method"),
    ({"binning": {"true_energy_per_decade": 0}}, "binning.true_energy_per_decade"),
    ({"binning": {"reco_energy_min": 10.0, "reco_energy_max": 1.0}}, "binning.reco_energy_min"),
    ({"observation_time_h": -1}, "observation_time_h"),
    ({"observation_time_h": "50"}, "observation_time_h"),
    ({"spectra": {"gamma": "CRAB"}}, "spectra.gamma"),
    ({"cuts": 3}, "cuts: expected a mapping"),
])
def test_bad_configuration_is_an_error(override, message):
    with pytest.raises(ConfigurationError, match=message.replace(".", r"\.")):
        load_config(override)


def test_yaml_file_with_irf_section(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("irf:\n  observation_time_h: 20\n")
    assert load_config(path)["observation_time_h"] == 20
    path.write_text("irf: {observation_time_h: 20}\nother: 1\n")
    with pytest.raises(ConfigurationError, match="irf: unknown configuration key"):
        load_config(path)
