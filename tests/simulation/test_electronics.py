"""Tests of the camera electronics parameters (defaults, overrides, validation, spe model)."""
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iactpipe.errors import ConfigurationError
from iactpipe.instrument.catalog import build_readout, camera_names
from iactpipe.simulation.electronics import (
    DEFAULT_ELECTRONICS,
    TRIGGER_TYPES,
    ElectronicsParameters,
    default_electronics,
    electronics_camera_names,
    single_pe_moments,
)


def test_every_builtin_camera_has_defaults_matching_its_readout():
    assert set(electronics_camera_names()) == set(camera_names())
    for name in camera_names():
        params = default_electronics(name)
        assert params.camera_name == name
        assert params.n_channels == build_readout(name).n_channels
        assert params.trigger_type in TRIGGER_TYPES
        assert all(v == 4095 or v == 16383 for v in params.adc_max)


def test_lst_and_nectarcam_values_from_reference():
    lst = default_electronics("LSTCam")
    assert (lst.nsb_rate_ghz, lst.pedestal_adc, lst.amplitude_adc_per_pe) == (0.24, 400.0, 25.0)
    assert lst.noise_adc == (6.7, 5.7) and lst.hg_lg_ratio == 19.5
    assert lst.channel_amplitude_adc_per_pe[1] == pytest.approx(1.28, abs=0.005)
    assert lst.gain_spread == 0.0187 and lst.qe_spread == 0.03
    assert lst.trigger_type == "analog_sum"
    nectar = default_electronics("NectarCam")
    assert (nectar.nsb_rate_ghz, nectar.pedestal_adc, nectar.amplitude_adc_per_pe) == (0.21, 250.0, 19.56)
    assert nectar.noise_adc == (3.6, 3.6) and nectar.hg_lg_ratio == 14.0
    assert nectar.channel_amplitude_adc_per_pe[1] == pytest.approx(1.40, abs=0.005)
    assert nectar.transit_time_jitter_ns == 0.7
    assert nectar.trigger_type == "majority" and nectar.trigger_multiplicity == 3
    # NSB of the other cameras: REFERENCE 1.4 [CALH] list
    expected = {"FlashCam": 0.276, "ASTRICam": 0.055, "CHEC": 0.014, "DigiCam": 0.041, "SCTCam": 0.052}
    for name, rate in expected.items():
        assert default_electronics(name).nsb_rate_ghz == rate


def test_pmt_single_pe_resolution_is_in_the_stated_range():
    # the brief: single-pe amplitude rms 0.3-0.4 of the mean for the PMT cameras
    for name in ("LSTCam", "NectarCam", "FlashCam"):
        relative_rms = np.sqrt(default_electronics(name).excess_noise_factor - 1.0)
        assert 0.3 <= relative_rms <= 0.41


def test_telescope_type_names_are_accepted():
    assert default_electronics("LST_LST_LSTCam") == DEFAULT_ELECTRONICS["LSTCam"]
    assert default_electronics("SST_SST-1M_DigiCam").camera_name == "DigiCam"


def test_unknown_camera():
    with pytest.raises(ConfigurationError, match="NoSuchCam"):
        default_electronics("NoSuchCam")


def test_overrides_are_applied_and_validated():
    params = default_electronics("LSTCam", {"nsb_rate_ghz": 0.5, "noise_adc": [1, 2], "trigger_multiplicity": 2.0})
    assert params.nsb_rate_ghz == 0.5
    assert params.noise_adc == (1.0, 2.0)
    assert params.trigger_multiplicity == 2 and isinstance(params.trigger_multiplicity, int)
    assert default_electronics("LSTCam", {"nsb_rate_ghz": np.float32(0.25)}).nsb_rate_ghz == pytest.approx(0.25)
    # the defaults themselves are untouched
    assert default_electronics("LSTCam").nsb_rate_ghz == 0.24


@pytest.mark.parametrize("key", ["nsb_rate", "foo", "camera_name"])
def test_unknown_override_key_names_the_key(key):
    with pytest.raises(ConfigurationError, match=repr(key)):
        default_electronics("NectarCam", {key: 1.0})


@pytest.mark.parametrize("overrides, key", [
    ({"nsb_rate_ghz": -0.1}, "nsb_rate_ghz"),
    ({"nsb_rate_ghz": "high"}, "nsb_rate_ghz"),
    ({"nsb_rate_ghz": True}, "nsb_rate_ghz"),
    ({"nsb_rate_ghz": float("nan")}, "nsb_rate_ghz"),
    ({"trigger_type": "topological"}, "trigger_type"),
    ({"adc_max": (4095,)}, "adc_max"),
    ({"adc_max": (70000, 4095)}, "adc_max"),
    ({"broken_pixel_fraction": 1.0}, "broken_pixel_fraction"),
    ({"trigger_multiplicity": 2.5}, "trigger_multiplicity"),
    ({"hg_lg_ratio": 0.5}, "hg_lg_ratio"),
    ({"spe_exp_fraction": 1.0}, "spe_exp_fraction"),
])
def test_invalid_values_are_rejected(overrides, key):
    with pytest.raises(ConfigurationError, match=key):
        default_electronics("LSTCam", overrides)


def test_overrides_must_be_a_mapping():
    with pytest.raises(ConfigurationError, match="mapping"):
        default_electronics("LSTCam", [("nsb_rate_ghz", 1.0)])


def test_round_trip_through_dict():
    for params in DEFAULT_ELECTRONICS.values():
        assert ElectronicsParameters(**params.to_dict()) == params
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_ELECTRONICS["LSTCam"].nsb_rate_ghz = 1.0


def test_single_pe_moments_limits():
    assert single_pe_moments(0.0, 0.0, 0.3) == (1.0, 1.0)
    mean, m2 = single_pe_moments(0.0, 0.2, 0.5)
    assert mean == pytest.approx(0.8 + 0.2 * 0.5)
    assert m2 == pytest.approx(0.8 + 0.2 * 2 * 0.25)


@settings(max_examples=25, deadline=None)
@given(sigma=st.floats(0.05, 0.8), fraction=st.floats(0.0, 0.6), scale=st.floats(0.05, 1.0))
def test_single_pe_moments_match_numerical_integration(sigma, fraction, scale):
    from scipy import integrate, stats

    gauss = stats.truncnorm(-1.0 / sigma, np.inf, loc=1.0, scale=sigma)
    g_mean = integrate.quad(lambda a: a * gauss.pdf(a), 0, 1 + 12 * sigma)[0]
    g_m2 = integrate.quad(lambda a: a * a * gauss.pdf(a), 0, 1 + 12 * sigma)[0]
    mean, m2 = single_pe_moments(sigma, fraction, scale)
    assert mean == pytest.approx((1 - fraction) * g_mean + fraction * scale, rel=1e-6)
    assert m2 == pytest.approx((1 - fraction) * g_m2 + fraction * 2 * scale ** 2, rel=1e-6)
