"""Analytic and property tests of iactpipe.image.parameters."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iactpipe.image import camera_angles, image_parameters
from iactpipe.image.parameters import INDEX_COLUMNS
from iactpipe.instrument import CameraGeometry
from iactpipe.instrument.cameras import build_camera_geometry
from iactpipe.io.datamodel import DL1_PARAMETERS

FOCAL = 10.0


@pytest.fixture(scope="module")
def fine_square():
    """Dense square camera: 0.01 deg pixels over ±1.5 deg."""
    step_deg = 0.01
    grid = np.arange(-150, 151) * step_deg
    lon, lat = np.meshgrid(grid, grid)
    to_m = np.deg2rad(1.0) * FOCAL
    geom = CameraGeometry(name="fine", pix_x=lat.ravel() * to_m, pix_y=lon.ravel() * to_m,
                          pix_area=(step_deg * to_m) ** 2, pix_type="square")
    return camera_angles(geom, FOCAL)


@pytest.fixture(scope="module")
def lst_angles():
    return camera_angles(build_camera_geometry("LSTCam"), 28.0)


def ellipse(angles, cog, length, width, psi_deg, intensity=1e4):
    lon, lat = angles.fov_lon_deg, angles.fov_lat_deg
    psi = np.deg2rad(psi_deg)
    dl, dt = lon - cog[0], lat - cog[1]
    lo = dl * np.cos(psi) + dt * np.sin(psi)
    tr = -dl * np.sin(psi) + dt * np.cos(psi)
    dens = np.exp(-0.5 * (lo / length) ** 2 - 0.5 * (tr / width) ** 2) / (2 * np.pi * length * width)
    return intensity * dens * angles.pix_area_deg2, lo


def test_columns_follow_schema(lst_angles):
    image, _ = ellipse(lst_angles, (0.3, -0.2), 0.3, 0.1, 20)
    params = image_parameters(lst_angles, image[None], np.zeros((1, image.size)), image[None] > 0.1)
    names = [c.name for c in DL1_PARAMETERS.columns if c.name not in INDEX_COLUMNS]
    assert names[-1] == "is_valid" and list(params) == names
    for column in DL1_PARAMETERS.columns:
        if column.name in params:
            assert params[column.name].dtype == np.dtype(column.dtype), column.name
            assert params[column.name].shape == (1,)
    assert np.isnan(params["core_psi"][0])


@pytest.mark.parametrize("psi_deg", [30.0, -60.0, 0.0, 89.0])
def test_gaussian_ellipse_moments(fine_square, psi_deg):
    cog = (0.2, -0.1)
    image, lo = ellipse(fine_square, cog, 0.3, 0.1, psi_deg)
    mask = image > 1e-6 * image.max()
    times = 12.0 + 4.0 * lo
    p = image_parameters(fine_square, image[None], times[None], mask[None])
    assert p["is_valid"][0]
    np.testing.assert_allclose(p["hillas_intensity"][0], 1e4, rtol=1e-3)
    np.testing.assert_allclose(p["hillas_fov_lon"][0], cog[0], atol=2e-5)
    np.testing.assert_allclose(p["hillas_fov_lat"][0], cog[1], atol=2e-5)
    np.testing.assert_allclose(p["hillas_r"][0], np.hypot(*cog), atol=2e-5)
    np.testing.assert_allclose(p["hillas_phi"][0], np.rad2deg(np.arctan2(cog[1], cog[0])), atol=5e-3)
    # the density is sampled at pixel centres: grid moments equal the continuous ones
    np.testing.assert_allclose(p["hillas_length"][0], 0.3, rtol=1e-4)
    np.testing.assert_allclose(p["hillas_width"][0], 0.1, rtol=1e-4)
    np.testing.assert_allclose(p["hillas_psi"][0], psi_deg, atol=1e-3)
    np.testing.assert_allclose(p["hillas_skewness"][0], 0.0, atol=2e-3)
    np.testing.assert_allclose(p["hillas_kurtosis"][0], 3.0, rtol=3e-3)
    # linear times along the true axis: (almost) exact fit, the measured cog differs by ~1e-5 deg
    np.testing.assert_allclose(p["timing_slope"][0], 4.0, rtol=1e-6)
    np.testing.assert_allclose(p["timing_intercept"][0], 12.0, atol=2e-4)
    np.testing.assert_allclose(p["timing_deviation"][0], 0.0, atol=1e-5)
    # Gaussian: charge inside the 1-sigma ellipse is 1 - exp(-1/2)
    np.testing.assert_allclose(p["concentration_core"][0], 1 - np.exp(-0.5), rtol=2e-2)
    assert p["leakage_intensity_width_1"][0] < 1e-5
    assert p["morphology_n_islands"][0] == 1
    assert p["morphology_n_pixels"][0] == mask.sum()
    for name in ("hillas_length_uncertainty", "hillas_width_uncertainty",
                 "hillas_psi_uncertainty", "hillas_transverse_cog_uncertainty"):
        assert np.isfinite(p[name][0]) and p[name][0] >= 0


def test_degenerate_images(lst_angles):
    n_pix = lst_angles.n_pixels
    images = np.zeros((5, n_pix))
    masks = np.zeros((5, n_pix), bool)
    masks[1, :10] = True          # selected but zero charge
    masks[2, 100] = True          # single pixel
    images[2, 100] = 50.0
    masks[3, :10] = True          # negative total charge
    images[3, :10] = -1.0
    masks[4, [0, 1]] = True       # two equal pixels: valid, width 0
    images[4, [0, 1]] = 5.0
    times = np.full((5, n_pix), 3.0)
    p = image_parameters(lst_angles, images, times, masks)
    np.testing.assert_array_equal(p["is_valid"], [False, False, False, False, True])
    for name, values in p.items():
        if name == "is_valid":
            continue
        if values.dtype.kind == "f":
            assert np.isnan(values[:4]).all(), name
        else:
            assert (values[:4] == -1).all(), name
    assert p["hillas_width"][4] == 0.0 and np.isnan(p["hillas_width_uncertainty"][4])
    assert p["hillas_length"][4] > 0 and p["concentration_core"][4] == 0.0
    assert np.isnan(p["timing_slope"][4])  # LTS needs at least 2 of 85 % of the points
    # ctapipe's criterion (positive charge only) accepts the single-pixel image
    p1 = image_parameters(lst_angles, images, times, masks, min_pixels=1)
    assert p1["is_valid"][2] and p1["hillas_length"][2] == 0.0 and np.isnan(p1["hillas_psi"][2])


def test_single_image_and_no_times(lst_angles):
    image, _ = ellipse(lst_angles, (0.5, 0.5), 0.4, 0.1, 45)
    mask = image > 2
    p = image_parameters(lst_angles, image, None, mask)
    assert np.ndim(p["hillas_length"]) == 0 and p["is_valid"]
    assert np.isnan(p["timing_slope"]) and np.isnan(p["peak_time_mean"])


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(0.01, 100.0), psi=st.floats(-89.0, 89.0),
       cog=st.tuples(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5)), seed=st.integers(0, 2**16))
def test_scaling_invariance(lst_angles, scale, psi, cog, seed):
    rng = np.random.default_rng(seed)
    image, lo = ellipse(lst_angles, cog, 0.25, 0.08, psi, intensity=2000)
    image = image + rng.uniform(0, 1, image.size)
    mask = image > 3
    if mask.sum() < 3:
        return
    times = 10 + 3 * lo + rng.normal(0, 0.5, image.size)
    p = image_parameters(lst_angles, image[None], times[None], mask[None])
    q = image_parameters(lst_angles, scale * image[None], times[None], mask[None])
    for name in ("hillas_fov_lon", "hillas_fov_lat", "hillas_length", "hillas_width", "hillas_psi",
                 "hillas_skewness", "hillas_kurtosis", "concentration_cog", "concentration_core",
                 "concentration_pixel", "leakage_intensity_width_1", "leakage_pixels_width_2",
                 "intensity_skewness", "timing_slope", "timing_intercept"):
        np.testing.assert_allclose(q[name], p[name], rtol=1e-6, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(q["hillas_intensity"], scale * p["hillas_intensity"], rtol=1e-9)
    # uncertainties scale like 1/sqrt(intensity) where defined by Poisson weights
    np.testing.assert_allclose(q["hillas_length_uncertainty"],
                               p["hillas_length_uncertainty"] / np.sqrt(scale), rtol=1e-6)
