"""Tests of iactpipe.simulation.showers (REFERENCE.md §3.2–3.4)."""
import numpy as np
import pytest

from iactpipe.errors import ConfigurationError
from iactpipe.simulation.atmosphere import Atmosphere
from iactpipe.simulation.showers import (
    CRITICAL_ENERGY_MEV,
    EMITTER_KIND,
    Emitters,
    default_n_emitters,
    generate_shower,
    greisen_profile,
    muon_track_emitters,
)

# REFERENCE §3.2 toy table: γ X_max = X0 ln(E0/E_c)
REFERENCE_GAMMA_XMAX = {0.1: 258.0, 1.0: 342.0, 10.0: 426.0}


@pytest.fixture(scope="module")
def atm():
    return Atmosphere.la_palma()


def _truths(primary, energy, n, atm, seed, n_emitters=500):
    rng = np.random.default_rng(seed)
    return [generate_shower(primary, energy, 90.0, 0.0, atm, rng, n_emitters=n_emitters)[1]
            for _ in range(n)]


@pytest.fixture(scope="module")
def gamma_1tev(atm):
    return _truths("gamma", 1.0, 80, atm, 11)


@pytest.fixture(scope="module")
def proton_1tev(atm):
    return _truths("proton", 1.0, 80, atm, 12)


def test_greisen_profile_maximum_and_track_length():
    beta0 = np.log(1e6 / CRITICAL_ENERGY_MEV)          # 1 TeV
    t = np.linspace(0.01, 60, 60001)
    n = greisen_profile(t, beta0)
    assert t[np.argmax(n)] == pytest.approx(beta0, abs=0.01)   # maximum at age 1
    # Approximation B: the total track length is E0/E_c radiation lengths
    assert np.trapezoid(n, t) == pytest.approx(1e6 / CRITICAL_ENERGY_MEV, rel=0.05)
    assert greisen_profile(-1.0, beta0) == 0.0


@pytest.mark.parametrize("energy", sorted(REFERENCE_GAMMA_XMAX))
def test_gamma_xmax_vs_reference(atm, energy):
    x_max = [t["x_max_g_cm2"] for t in _truths("gamma", energy, 60, atm, int(energy * 100))]
    assert np.mean(x_max) == pytest.approx(REFERENCE_GAMMA_XMAX[energy], rel=0.15)


def test_gamma_elongation_rate(atm):
    means = [np.mean([t["x_max_g_cm2"] for t in _truths("gamma", e, 60, atm, 7)]) for e in (0.1, 10.0)]
    # EM elongation rate 2.3 X0 ≈ 84 g/cm² per decade (REFERENCE §3.2)
    assert (means[1] - means[0]) / 2 == pytest.approx(84.0, rel=0.25)


def test_proton_fluctuations_larger_than_gamma(gamma_1tev, proton_1tev):
    x_g = np.array([t["x_max_g_cm2"] for t in gamma_1tev])
    x_p = np.array([t["x_max_g_cm2"] for t in proton_1tev])
    assert np.std(x_p) > 1.3 * np.std(x_g)
    # hadron light comes from lower in the atmosphere than for gammas of the same energy
    h_g = np.mean([t["mean_emission_height_m"] for t in gamma_1tev])
    h_p = np.mean([t["mean_emission_height_m"] for t in proton_1tev])
    assert h_p < h_g
    # and protons give fewer photons per TeV (energy lost to muons, neutrinos, hadrons)
    assert np.mean([t["n_photons"] for t in proton_1tev]) < 0.7 * np.mean([t["n_photons"] for t in gamma_1tev])


def test_proton_showers_have_muons(proton_1tev):
    assert np.mean([t["n_muons"] for t in proton_1tev]) > 1
    assert all(0 < t["em_energy_fraction"] < 1 for t in proton_1tev)


def test_gamma_emission_height(gamma_1tev, atm):
    # brief / REFERENCE §3.4: mean emission height ~8-11 km a.s.l. for 1 TeV γ
    h = np.mean([t["mean_emission_height_m"] for t in gamma_1tev])
    assert 7500.0 < h < 11000.0
    assert all(t["h_first_int_m"] > atm.observation_level_m for t in gamma_1tev)
    assert all(t["starting_grammage"] == 0.0 for t in gamma_1tev)


def test_photon_yield_linear_in_energy(atm):
    per_tev = {e: np.mean([t["n_photons"] for t in _truths("gamma", e, 15, atm, 3)]) / e
               for e in (0.1, 1.0, 10.0)}
    assert per_tev[0.1] == pytest.approx(per_tev[1.0], rel=0.20)
    assert per_tev[10.0] == pytest.approx(per_tev[1.0], rel=0.20)
    # ~5e7 photons (300-600 nm) per TeV: gives the REFERENCE §3.4 light-pool densities
    assert 2e7 < per_tev[1.0] < 1e8


def test_electrons_similar_to_gammas_but_shallower(atm, gamma_1tev):
    electrons = _truths("electron", 1.0, 80, atm, 13)
    x_e = np.mean([t["x_max_g_cm2"] for t in electrons])
    x_g = np.mean([t["x_max_g_cm2"] for t in gamma_1tev])
    assert 15.0 < x_g - x_e < 80.0        # PDG: t_max differs by ~1 X0 = 36.6 g/cm²
    n_e = np.mean([t["n_photons"] for t in electrons])
    n_g = np.mean([t["n_photons"] for t in gamma_1tev])
    assert n_e == pytest.approx(n_g, rel=0.10)


def test_emitter_fields(atm):
    em, truth = generate_shower("gamma", 1.0, 70.0, 45.0, atm, np.random.default_rng(1))
    assert len(em) == default_n_emitters(1.0)
    u = np.stack([em.ux, em.uy, em.uz], axis=1)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, atol=1e-12)
    assert np.all(em.uz < 0)                                   # downward-going
    assert np.all(np.isfinite(em.t_ns)) and np.all(em.n_photons > 0)
    assert np.all((em.theta_c_rad >= 0) & (em.theta_c_rad < np.deg2rad(1.4)))
    assert np.all(em.sigma_theta_rad > 0)
    assert np.all(em.kind == EMITTER_KIND["em"])
    assert em.total_photons == pytest.approx(truth["n_photons"])
    # the photon-weighted mean particle direction is the shower axis (alt 70, az 45)
    mean_dir = np.sum(u * em.n_photons[:, None], axis=0)
    mean_dir /= np.linalg.norm(mean_dir)
    axis = -np.array([np.cos(np.deg2rad(70)) * np.cos(np.deg2rad(45)),
                      -np.cos(np.deg2rad(70)) * np.sin(np.deg2rad(45)), np.sin(np.deg2rad(70))])
    assert np.degrees(np.arccos(np.clip(mean_dir @ axis, -1, 1))) < 0.5
    # emitters lie around the axis through the core: distance from the axis small
    pos = np.stack([em.x, em.y, em.z], axis=1)
    perp = pos - (pos @ axis)[:, None] * axis
    assert np.median(np.linalg.norm(perp, axis=1)) < 50.0
    # times: emission precedes the arrival of the plane front at the core
    assert np.median(em.t_ns) < 0


def test_time_follows_axis_position(atm):
    em, _ = generate_shower("gamma", 1.0, 90.0, 0.0, atm, np.random.default_rng(4))
    # particles move at ~c along the axis: t ≈ -z/c, delays only from scattering
    lag = em.t_ns + em.z / 0.299792458
    assert np.median(lag) >= 0 and np.median(lag) < 5.0


def test_reproducible(atm):
    a, ta = generate_shower("proton", 0.5, 80.0, 10.0, atm, np.random.default_rng(99))
    b, tb = generate_shower("proton", 0.5, 80.0, 10.0, atm, np.random.default_rng(99))
    assert ta == tb
    for name in ("x", "y", "z", "ux", "n_photons", "t_ns"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_emitter_count_bounded(atm):
    assert default_n_emitters(0.01) == 2000
    assert default_n_emitters(1000.0) == 40000
    em, _ = generate_shower("proton", 30.0, 90.0, 0.0, atm, np.random.default_rng(5))
    assert len(em) <= 50000


def test_muon_track(atm):
    em = muon_track_emitters(100.0, [0.0, 0.0, 5000.0], [0.0, 0.0, -1.0], atm)
    assert np.all(em.kind == EMITTER_KIND["muon"])
    # a 100 GeV muon radiates at ~the β = 1 angle of the local height
    h = em.z + atm.observation_level_m
    np.testing.assert_allclose(np.rad2deg(em.theta_c_rad), atm.cherenkov_angle_deg(h), rtol=0.01)
    # photons per metre: 76 400 sin²θ_c ≈ 34.5 /m at 2.2 km (REFERENCE §3.3)
    near_ground = em.z < 100.0
    per_m = em.n_photons[near_ground].sum() / em.length_m[near_ground].sum()
    assert per_m == pytest.approx(34.5, rel=0.05)
    # segments tile the track from the start down to the ground
    assert em.length_m.sum() == pytest.approx(5000.0, rel=1e-9)
    # below threshold (3 GeV < ~4.9 GeV at 2.2 km): no light
    assert len(muon_track_emitters(3.0, [0.0, 0.0, 2000.0], [0.0, 0.0, -1.0], atm)) == 0


def test_muon_primary(atm):
    em, truth = generate_shower("muon", 0.05, 90.0, 0.0, atm, np.random.default_rng(2))
    assert len(em) > 10 and np.all(em.kind == EMITTER_KIND["muon"])
    assert np.isnan(truth["x_max_g_cm2"]) and truth["n_muons"] == 1


def test_emitters_container():
    em = Emitters(*([np.arange(3.0)] * 10))
    assert len(em) == 3 and em.length_m.shape == (3,) and em.kind.dtype == np.int8
    both = Emitters.concatenate([em, em.select(np.array([True, False, True]))])
    assert len(both) == 5
    assert len(Emitters.concatenate([])) == 0
    with pytest.raises(ValueError):
        Emitters(*([np.arange(3.0)] * 9), t_ns=np.arange(2.0))


@pytest.mark.parametrize("kwargs", [
    {"primary": "iron"},
    {"energy_tev": -1.0},
    {"alt_deg": 10.0},
    {"n_emitters": 0},
])
def test_bad_inputs(atm, kwargs):
    args = {"primary": "gamma", "energy_tev": 1.0, "alt_deg": 70.0, "az_deg": 0.0,
            "atmosphere": atm, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ConfigurationError):
        generate_shower(**args)
