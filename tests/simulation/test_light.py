"""Tests of iactpipe.simulation.light and its numba kernels (REFERENCE.md §3.4–3.5)."""
import math

import numpy as np
import pytest

from iactpipe.coordinates import direction_to_altaz, horizontal_to_telescope
from iactpipe.errors import ConfigurationError
from iactpipe.simulation import _light_kernels as kernels
from iactpipe.simulation.atmosphere import Atmosphere
from iactpipe.simulation.light import Photoelectrons, photoelectrons_at_telescopes, photon_density_at
from iactpipe.simulation.showers import Emitters, generate_shower

LST_AREA = 386.7
LST_FOV_RADIUS = 2.5


@pytest.fixture(scope="module")
def atm():
    return Atmosphere.la_palma()


@pytest.fixture(scope="module")
def light_pool(atm):
    """Mean photon density vs core distance of 20 vertical 1 TeV gammas (azimuthal average)."""
    rng = np.random.default_rng(2156)
    radii = np.array([50.0, 100.0, 120.0, 200.0, 300.0])
    phi = np.arange(8) * np.pi / 4
    pts = np.stack([np.outer(radii, np.cos(phi)).ravel(), np.outer(radii, np.sin(phi)).ravel()], axis=-1)
    dens = [photon_density_at(generate_shower("gamma", 1.0, 90.0, 0.0, atm, rng)[0], pts, atm)
            .reshape(radii.size, phi.size).mean(axis=1) for _ in range(20)]
    return dict(zip(radii, np.mean(dens, axis=0)))


def _principal_axis(lon, lat):
    """Centroid, unit major axis and rms width/length of a photoelectron cloud."""
    c = np.array([lon.mean(), lat.mean()])
    w, v = np.linalg.eigh(np.cov(lon, lat))
    return c, v[:, 1], math.sqrt(w[0]), math.sqrt(w[1])


def _one_telescope(emitters, core, atm, rng, alt=70.0, az=30.0, eff=0.1, fov=LST_FOV_RADIUS):
    return photoelectrons_at_telescopes(emitters, core[0], core[1], np.zeros((1, 3)), [LST_AREA], [eff],
                                        alt, az, atm, rng, [fov])


# ----------------------------------------------------------------------------- light pool
def test_light_pool_density_at_50m(light_pool):
    # REFERENCE §3.4 (brief): 40-200 photons/m² at 50 m for 1 TeV, 300-600 nm, after extinction
    assert 40.0 <= light_pool[50.0] <= 200.0


def test_light_pool_shape(light_pool):
    # plateau with a Cherenkov shoulder at ~120 m, then a fall-off
    assert light_pool[120.0] >= 0.8 * light_pool[50.0]
    assert light_pool[200.0] < light_pool[120.0]
    assert light_pool[300.0] < 0.5 * light_pool[100.0]


def test_density_integrates_to_emitted_photons():
    """Without extinction all photons reach the ground (energy conservation)."""
    atm0 = Atmosphere.la_palma(rayleigh_tau_per_depth_cm2_g=0.0, aerosol_optical_depth=0.0)
    em, _ = generate_shower("gamma", 0.3, 90.0, 0.0, atm0, np.random.default_rng(1), n_emitters=2000)
    edges = np.concatenate([np.linspace(0, 300, 121), np.geomspace(302, 4000, 150)])
    rc = 0.5 * (edges[1:] + edges[:-1])
    phi = (np.arange(12) + 0.5) * np.pi / 6
    pts = np.stack([np.outer(rc, np.cos(phi)).ravel(), np.outer(rc, np.sin(phi)).ravel()], axis=-1)
    dens = photon_density_at(em, pts, atm0).reshape(rc.size, phi.size).mean(axis=1)
    total = np.sum(dens * np.pi * (edges[1:] ** 2 - edges[:-1] ** 2))
    assert total == pytest.approx(em.total_photons, rel=0.03)


def test_expected_mirror_photons_match_density(atm):
    """Small, distant mirror: photons on the mirror = density × area (vertical shower and pointing)."""
    em, _ = generate_shower("gamma", 1.0, 90.0, 0.0, atm, np.random.default_rng(3))
    tels = np.array([[60.0, 0.0, 0.0], [0.0, 90.0, 0.0], [-150.0, 0.0, 0.0]])
    area = 1.0
    pe = photoelectrons_at_telescopes(em, 0.0, 0.0, tels, [area] * 3, [0.0] * 3, 90.0, 0.0, atm,
                                      np.random.default_rng(0), [10.0] * 3)
    density = photon_density_at(em, tels[:, :2], atm)
    np.testing.assert_allclose(pe.n_photons_expected, density * area, rtol=0.05)
    assert pe.indptr[-1] == 0                        # zero efficiency: no photoelectrons


# ----------------------------------------------------------------------------- images
def test_gamma_image_points_to_source(atm):
    rng = np.random.default_rng(7)
    for core in ([100.0, 0.0], [0.0, -100.0], [-70.0, 70.0]):
        em, _ = generate_shower("gamma", 1.0, 70.0, 30.0, atm, rng)
        pe = _one_telescope(em, core, atm, rng)
        lon, lat, _ = pe.telescope(0)
        assert lon.size > 500
        c, axis, width, length = _principal_axis(lon, lat)
        # the source is at (0, 0) of the telescope frame (pointing at the source)
        miss = abs(c[0] * axis[1] - c[1] * axis[0])
        assert miss < 0.2
        assert width < length and 0.03 < width < 0.25
        assert 0.3 < np.hypot(*c) < 1.6                 # centroid ~ impact / distance to the maximum


def test_proton_images_wider(atm):
    rng = np.random.default_rng(8)
    widths = {}
    for primary in ("gamma", "proton"):
        w = []
        for _ in range(6):
            em, _ = generate_shower(primary, 2.0, 70.0, 30.0, atm, rng)
            lon, lat, _ = _one_telescope(em, [80.0, 0.0], atm, rng).telescope(0)
            if lon.size > 100:
                w.append(_principal_axis(lon, lat)[2])
        widths[primary] = np.median(w)
    assert widths["proton"] > 1.5 * widths["gamma"]


def test_time_gradient_grows_with_impact(atm):
    rng = np.random.default_rng(9)
    slopes = {}
    for impact in (60.0, 220.0):
        s = []
        for _ in range(4):
            em, _ = generate_shower("gamma", 2.0, 70.0, 30.0, atm, rng)
            lon, lat, t = _one_telescope(em, [impact, 0.0], atm, rng).telescope(0)
            c, axis, _, _ = _principal_axis(lon, lat)
            proj = (lon - c[0]) * axis[0] + (lat - c[1]) * axis[1]
            if c @ axis < 0:                     # positive = away from the source
                proj = -proj
            s.append(np.polyfit(proj, t, 1)[0])
        slopes[impact] = np.median(s)
    assert slopes[220.0] > slopes[60.0] + 2.0        # ns/deg
    assert slopes[220.0] > 0


def test_arrival_time_spread(atm):
    rng = np.random.default_rng(10)
    em, _ = generate_shower("gamma", 1.0, 70.0, 30.0, atm, rng)
    _, _, t = _one_telescope(em, [120.0, 0.0], atm, rng).telescope(0)
    # REFERENCE §3.4: 1.5-5 ns rms (a bit less for raw photons before the camera response)
    assert 0.5 < np.std(t) < 6.0
    # photons arrive after the plane front defining t = 0 (refractive index > 1)
    assert np.median(t) > 0


def test_muon_ring(atm):
    rng = np.random.default_rng(11)
    em, _ = generate_shower("muon", 0.1, 90.0, 0.0, atm, rng)
    for impact in (0.0, 5.0):
        pe = photoelectrons_at_telescopes(em, impact, 0.0, np.array([[0.0, 0.0, 20.0]]), [LST_AREA], [0.2],
                                          90.0, 0.0, atm, rng, [LST_FOV_RADIUS])
        lon, lat, t = pe.telescope(0)
        assert lon.size > 500
        r = np.hypot(lon, lat)            # ring centred on the muon direction (the zenith)
        # REFERENCE §3.5: 100 GeV muons at 2.2 km: 1.20-1.21 deg (θ_c = 1.22 deg)
        assert 1.0 < np.mean(r) < 1.3
        assert np.std(r) < 0.05
        # a full ring: photoelectrons all around
        counts = np.histogram(np.arctan2(lat, lon), bins=8, range=(-np.pi, np.pi))[0]
        assert counts.min() > 0.5 * counts.mean()
        assert np.std(t) < 2.0


def test_muon_missing_the_mirror_gives_arc(atm):
    rng = np.random.default_rng(12)
    em, _ = generate_shower("muon", 0.1, 90.0, 0.0, atm, rng)
    pe = photoelectrons_at_telescopes(em, 16.0, 0.0, np.array([[0.0, 0.0, 20.0]]), [LST_AREA], [0.2],
                                      90.0, 0.0, atm, rng, [LST_FOV_RADIUS])
    lon, lat, _ = pe.telescope(0)
    counts = np.histogram(np.arctan2(lat, lon), bins=8, range=(-np.pi, np.pi))[0]
    assert counts.max() > 3 * max(counts.min(), 1)


# ----------------------------------------------------------------------------- bookkeeping
def test_csr_layout_fov_cut_and_poisson(atm):
    rng = np.random.default_rng(13)
    em, _ = generate_shower("gamma", 1.0, 70.0, 0.0, atm, rng)
    tels = np.array([[0.0, 0.0, 0.0], [150.0, 0.0, 0.0], [0.0, 150.0, 10.0], [-400.0, 0.0, 0.0]])
    fov = np.array([2.5, 4.0, 1.0, 4.0])
    eff = np.array([0.1, 0.2, 0.1, 0.1])
    pe = photoelectrons_at_telescopes(em, 10.0, -20.0, tels, [LST_AREA, 100.0, 100.0, 100.0], eff,
                                      70.0, 0.0, atm, rng, fov)
    assert isinstance(pe, Photoelectrons)
    assert pe.n_tels == 4 and pe.indptr[0] == 0 and np.all(np.diff(pe.indptr) >= 0)
    assert pe.fov_lon_deg.size == pe.fov_lat_deg.size == pe.t_ns.size == pe.indptr[-1]
    for j in range(4):
        lon, lat, _ = pe.telescope(j)
        offset = np.rad2deg(np.arccos(np.cos(np.deg2rad(lon)) * np.cos(np.deg2rad(lat))))
        assert np.all(offset <= fov[j] + 1e-9)
    # total photoelectrons ≈ Poisson around Σ expected × efficiency (large FoV telescopes)
    j = 1
    n_exp = pe.n_photons_expected[j] * eff[j]
    assert abs(pe.n_pe[j] - n_exp) < 5 * math.sqrt(n_exp) + 0.02 * n_exp


def test_reproducible(atm):
    em, _ = generate_shower("gamma", 0.5, 70.0, 0.0, atm, np.random.default_rng(1))
    runs = [_one_telescope(em, [80.0, 0.0], atm, np.random.default_rng(5), alt=70.0, az=0.0) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].fov_lon_deg, runs[1].fov_lon_deg)
    np.testing.assert_array_equal(runs[0].t_ns, runs[1].t_ns)


def test_empty_and_bad_inputs(atm):
    pe = photoelectrons_at_telescopes(Emitters.empty(), 0, 0, np.zeros((2, 3)), [1.0, 1.0], [0.1, 0.1],
                                      70.0, 0.0, atm, np.random.default_rng(0), [2.0, 2.0])
    assert pe.indptr.tolist() == [0, 0, 0] and pe.fov_lon_deg.size == 0
    assert photon_density_at(Emitters.empty(), [[0.0, 0.0]], atm).tolist() == [0.0]
    em, _ = generate_shower("gamma", 0.1, 70.0, 0.0, atm, np.random.default_rng(0))
    with pytest.raises(ConfigurationError):
        photoelectrons_at_telescopes(em, 0, 0, np.zeros((2, 2)), [1.0, 1.0], [0.1, 0.1], 70.0, 0.0, atm,
                                     np.random.default_rng(0), [2.0, 2.0])
    with pytest.raises(ConfigurationError):
        photoelectrons_at_telescopes(em, 0, 0, np.zeros((2, 3)), [1.0], [0.1, 0.1], 70.0, 0.0, atm,
                                     np.random.default_rng(0), [2.0, 2.0])
    with pytest.raises(ConfigurationError):
        photoelectrons_at_telescopes(em, 0, 0, np.zeros((1, 3)), [1.0], [1.5], 70.0, 0.0, atm,
                                     np.random.default_rng(0), [2.0])


# ----------------------------------------------------------------------------- kernels vs numpy twins
def test_fov_offsets_match_coordinates():
    rng = np.random.default_rng(0)
    for alt0, az0 in ((70.0, 30.0), (90.0, 0.0), (25.0, 350.0)):
        vec = rng.normal(size=(50, 3))
        vec[:, 2] = np.abs(vec[:, 2])
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        alt, az = direction_to_altaz(vec)
        lon_ref, lat_ref = horizontal_to_telescope(alt, az, alt0, az0)
        a0, z0 = np.deg2rad(alt0), np.deg2rad(az0)
        got = np.array([kernels._fov_offsets(v[0], v[1], v[2], np.cos(a0), np.sin(a0), np.cos(z0), np.sin(z0))
                        for v in vec])
        np.testing.assert_allclose(np.rad2deg(got[:, 0]), lon_ref, atol=1e-9)
        np.testing.assert_allclose(np.rad2deg(got[:, 1]), lat_ref, atol=1e-9)


def test_bessel_and_rice_density():
    from scipy.special import i0e
    for x in (0.0, 0.5, 3.7, 3.8, 20.0, 1e4):
        assert kernels.bessel_i0e(x) == pytest.approx(i0e(x), rel=1e-6)
    # normalisation of the ring density over the plane: ∫ f 2πψ dψ = 1
    psi = np.linspace(0, 0.2, 20001)
    for theta_c, sigma in ((0.014, 0.002), (0.014, 0.03), (0.0, 0.01)):
        f = np.array([kernels.rice_density(p, theta_c, sigma) for p in psi])
        assert np.trapezoid(f * 2 * np.pi * psi, psi) == pytest.approx(1.0, rel=1e-3)


def test_ring_disc_fraction():
    # ring entirely inside the disc -> all photons; disc far from the ring -> none
    assert kernels.ring_disc_fraction(0.01, 0.1, 0.02, 1e-4) == pytest.approx(1.0, rel=1e-3)
    assert kernels.ring_disc_fraction(0.5, 0.01, 0.02, 1e-3) == 0.0
    # disc smaller than the ring width: the kernel's "far" formula f(ψ; σ_eff) π α² with the
    # disc's second moment added to the smearing, σ_eff² = σ² + α²/4
    for alpha in (0.001, 0.002):
        for psi in (0.0, 0.005, 0.014, 0.02, 0.03):
            exact = kernels.ring_disc_fraction(psi, alpha, 0.014, 0.004)
            approx = kernels.rice_density(psi, 0.014, math.hypot(0.004, alpha / 2)) * np.pi * alpha**2
            assert exact == pytest.approx(approx, rel=0.015)


def test_poisson_sampler():
    state = np.array([12345], dtype=np.uint64)
    for lam in (0.3, 4.0, 25.0, 400.0):
        x = np.array([kernels._poisson(lam, state) for _ in range(20000)])
        assert x.mean() == pytest.approx(lam, rel=0.03, abs=0.02)
        assert x.var() == pytest.approx(lam, rel=0.06, abs=0.03)
    u = np.array([kernels._uniform(state) for _ in range(20000)])
    assert 0 < u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
