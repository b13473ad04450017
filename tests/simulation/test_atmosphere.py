"""Tests of iactpipe.simulation.atmosphere against REFERENCE.md §3.1 and §3.3."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iactpipe.errors import ConfigurationError
from iactpipe.simulation.atmosphere import Atmosphere


@pytest.fixture(scope="module")
def la_palma():
    return Atmosphere.la_palma()


def test_la_palma_column_depths(la_palma):
    # REFERENCE §3.1: 1044.7 / 823.7 / 567.3 / 283.6 g/cm² at 0 / 2 / 5 / 10 km
    depth = la_palma.vertical_depth([0.0, 2000.0, 5000.0, 10000.0])
    np.testing.assert_allclose(depth, [1044.7, 823.7, 567.3, 283.6], rtol=0.01)
    assert la_palma.density(0.0) == pytest.approx(1.216e-3, rel=0.01)


def test_depth_decreases_and_density_positive(la_palma):
    h = np.linspace(0, 100e3, 500)
    assert np.all(np.diff(la_palma.vertical_depth(h)) < 0)
    assert np.all(la_palma.density(h) > 0)


@pytest.mark.parametrize("atmosphere", [
    Atmosphere.la_palma(),
    Atmosphere.exponential(),
    Atmosphere.tabulated([0, 2e3, 5e3, 10e3, 20e3, 40e3], [1.2e-3, 1.0e-3, 7.3e-4, 4.3e-4, 9e-5, 4e-6], 2156.0),
], ids=["la_palma", "exponential", "tabulated"])
def test_depth_height_round_trip(atmosphere):
    h = np.linspace(-200.0, 90e3, 777)
    back = atmosphere.height_at_vertical_depth(atmosphere.vertical_depth(h))
    np.testing.assert_allclose(back, h, atol=1e-6 * 90e3)


@settings(max_examples=50, deadline=None)
@given(depth=st.floats(1.0, 1000.0), zenith=st.floats(0.0, 65.0))
def test_slant_round_trip(depth, zenith):
    atm = Atmosphere.la_palma()
    h = atm.slant_depth_to_height(depth, zenith)
    assert atm.height_to_slant_depth(h, zenith) == pytest.approx(depth, rel=1e-9)


def test_slant_depth_is_vertical_over_cos_zenith(la_palma):
    h = 8000.0
    assert la_palma.height_to_slant_depth(h, 60.0) == pytest.approx(2 * la_palma.vertical_depth(h))


def test_exponential_is_analytic():
    atm = Atmosphere.exponential(observation_level_m=0.0, scale_height_m=8000.0, density0_g_cm3=1.2e-3)
    h = np.array([0.0, 4000.0, 16000.0])
    np.testing.assert_allclose(atm.density(h), 1.2e-3 * np.exp(-h / 8000.0), rtol=1e-9)
    np.testing.assert_allclose(atm.vertical_depth(h), 1.2e-3 * 800000.0 * np.exp(-h / 8000.0), rtol=1e-9)


def test_tabulated_exponential_matches_analytic():
    nodes = np.arange(0.0, 60e3, 1000.0)
    tab = Atmosphere.tabulated(nodes, 1.3e-3 * np.exp(-nodes / 8400.0), 2000.0)
    exact = Atmosphere.exponential(2000.0, 8400.0, 1.3e-3)
    h = np.linspace(0, 30e3, 61)
    np.testing.assert_allclose(tab.vertical_depth(h), exact.vertical_depth(h), rtol=2e-3)
    np.testing.assert_allclose(tab.density(h), exact.density(h), rtol=1e-6)


def test_refractivity_matches_reference(la_palma):
    # REFERENCE §3.1: n − 1 at 0 / 2.156 / 5 / 10 / 15 km
    h = [0.0, 2156.0, 5000.0, 10000.0, 15000.0]
    ref = [2.81e-4, 2.26e-4, 1.69e-4, 9.81e-5, 4.80e-5]
    np.testing.assert_allclose(la_palma.refractive_index(h) - 1, ref, rtol=0.10)


def test_cherenkov_angle_matches_reference(la_palma):
    # REFERENCE §3.3: θ_c(β = 1) = 1.36 / 1.22 / 1.05 / 0.80 / 0.56 deg
    h = [0.0, 2156.0, 5000.0, 10000.0, 15000.0]
    np.testing.assert_allclose(la_palma.cherenkov_angle_deg(h), [1.36, 1.22, 1.05, 0.80, 0.56], rtol=0.10)


def test_cherenkov_angle_below_threshold_is_zero(la_palma):
    assert la_palma.cherenkov_angle_deg(2000.0, beta=0.999) == 0.0
    # slower than light but above threshold: smaller angle than β = 1
    assert 0 < la_palma.cherenkov_angle_deg(2000.0, beta=0.99999) < la_palma.cherenkov_angle_deg(2000.0)


def test_electron_threshold_matches_reference(la_palma):
    # REFERENCE §3.3: 21.6 / 23.8 / 36.5 / 78 MeV at 0 / 2 / 10 / 20 km
    np.testing.assert_allclose(la_palma.electron_threshold_mev([0.0, 2000.0, 10000.0, 20000.0]),
                               [21.6, 23.8, 36.5, 78.0], rtol=0.05)


def test_transmission(la_palma):
    t = la_palma.transmission(10000.0, 0.0)
    assert 0.70 <= t <= 0.85          # brief: ~70–80 % from 10 km to 2.2 km near zenith
    heights = np.array([3000.0, 6000.0, 10000.0, 20000.0])
    t_h = la_palma.transmission(heights, 0.0)
    assert np.all((t_h > 0) & (t_h < 1)) and np.all(np.diff(t_h) < 0)
    zen = np.array([0.0, 20.0, 40.0, 60.0])
    t_z = la_palma.transmission(10000.0, zen)
    assert np.all(np.diff(t_z) < 0)
    # Beer–Lambert with airmass 1/cos z
    assert t_z[3] == pytest.approx(t_z[0] ** 2, rel=1e-9)
    assert la_palma.transmission(la_palma.observation_level_m, 0.0) == 1.0
    assert la_palma.transmission(1000.0, 0.0) == 1.0   # below the observation level


def test_mean_refractivity_between_endpoints(la_palma):
    h_obs = la_palma.observation_level_m
    mean = la_palma.mean_refractivity(10000.0, h_obs)
    n_hi, n_lo = la_palma.refractive_index([10000.0, h_obs]) - 1
    assert n_hi < mean < n_lo
    assert la_palma.mean_refractivity(5000.0, 5000.0) == pytest.approx(la_palma.refractive_index(5000.0) - 1)


def test_bad_inputs():
    with pytest.raises(ConfigurationError):
        Atmosphere.exponential(scale_height_m=-1.0)
    with pytest.raises(ConfigurationError):
        Atmosphere.tabulated([0.0, 1.0, 1.0], [1e-3, 9e-4, 8e-4], 0.0)
    with pytest.raises(ConfigurationError):
        Atmosphere.tabulated([0.0, 1000.0], [1e-3, -1.0], 0.0)
    with pytest.raises(ConfigurationError):
        Atmosphere.la_palma(aerosol_optical_depth=-0.1)
    with pytest.raises(ValueError):
        Atmosphere.la_palma().transmission(10000.0, 95.0)
    with pytest.raises(ValueError):
        Atmosphere.la_palma().height_at_vertical_depth(0.0)


def test_scalar_in_scalar_out(la_palma):
    assert np.ndim(la_palma.density(1000.0)) == 0
    assert np.ndim(la_palma.transmission(9000.0, 10.0)) == 0
