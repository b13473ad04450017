"""Cleaning and image parameters against ctapipe 0.28 (reference only) on real camera layouts."""
import warnings

import astropy.units as u
import numpy as np
import pytest

from iactpipe.image import (
    apply_time_delta_cleaning,
    camera_angles,
    dilate,
    image_parameters,
    number_of_islands,
    tailcuts_clean,
    time_constrained_clean,
)
from iactpipe.instrument import CameraGeometry

ctapipe = pytest.importorskip("ctapipe")
from ctapipe.coordinates import TelescopeFrame  # noqa: E402
from ctapipe.image import (  # noqa: E402
    concentration_parameters,
    descriptive_statistics,
    hillas_parameters,
    leakage_parameters,
    morphology_parameters,
    timing_parameters,
)
from ctapipe.image import cleaning as ct_cleaning  # noqa: E402
from ctapipe.image.morphology import number_of_islands as ct_number_of_islands  # noqa: E402

CAMERAS = ["LSTCam", "NectarCam", "FlashCam", "CHEC", "SCTCam"]
N_IMAGES = 50
RTOL = 1e-4
ATOL = 1e-6


@pytest.fixture(scope="module")
def ctapipe_cameras(calib_events_path):
    from ctapipe.io import EventSource

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with EventSource(calib_events_path, focal_length_choice="EQUIVALENT") as source:
            subarray = source.subarray
    cameras = {}
    for tel in subarray.tel.values():
        geom = tel.camera.geometry
        if geom.name in CAMERAS and geom.name not in cameras:
            cameras[geom.name] = (geom, tel.optics.equivalent_focal_length.to_value(u.m))
    return cameras


def _ours(geom):
    return CameraGeometry(
        name=geom.name,
        pix_x=geom.pix_x.to_value(u.m),
        pix_y=geom.pix_y.to_value(u.m),
        pix_area=geom.pix_area.to_value(u.m**2),
        pix_type=geom.pix_type.value,
        pix_rotation_deg=geom.pix_rotation.to_value(u.deg),
        cam_rotation_deg=geom.cam_rotation.to_value(u.deg),
    )


def _toy_events(angles, rng, n_images):
    """Gaussian ellipses (+ Poisson and NSB noise) and peak times with a gradient."""
    lon, lat = angles.fov_lon_deg, angles.fov_lat_deg
    radius = np.max(np.hypot(lon, lat))
    pitch = np.median(angles.pixel_width_deg)
    images = np.empty((n_images, angles.n_pixels), np.float32)
    times = np.empty_like(images)
    for i in range(n_images):
        r = radius * np.sqrt(rng.uniform(0, 1.0))
        phi = rng.uniform(0, 2 * np.pi)
        cog_lon, cog_lat = r * np.cos(phi), r * np.sin(phi)
        width = pitch * rng.uniform(0.7, 2.5)
        length = width * rng.uniform(1.0, 4.0)
        psi = rng.uniform(-np.pi, np.pi)
        intensity = rng.uniform(50, 3000)
        dl, dt = lon - cog_lon, lat - cog_lat
        lo = dl * np.cos(psi) + dt * np.sin(psi)
        tr = -dl * np.sin(psi) + dt * np.cos(psi)
        dens = np.exp(-0.5 * (lo / length) ** 2 - 0.5 * (tr / width) ** 2) / (2 * np.pi * length * width)
        expected = intensity * dens * angles.pix_area_deg2
        images[i] = rng.poisson(expected) + rng.normal(0, 1.5, angles.n_pixels)
        slope = rng.uniform(-15, 15) / max(length, 1e-3)
        times[i] = 20 + slope * lo + rng.normal(0, 1.0, angles.n_pixels)
    return images, times


@pytest.fixture(scope="module")
def setups(ctapipe_cameras):
    out = {}
    for k, name in enumerate(CAMERAS):
        geom, focal = ctapipe_cameras[name]
        ours = _ours(geom)
        angles = camera_angles(ours, focal)
        tel_geom = geom.transform_to(TelescopeFrame())
        rng = np.random.default_rng(1000 + k)
        images, times = _toy_events(angles, rng, N_IMAGES)
        out[name] = dict(geom=geom, tel_geom=tel_geom, ours=ours, angles=angles,
                         images=images, times=times)
    return out


@pytest.mark.parametrize("name", CAMERAS)
def test_camera_angles_match_telescope_frame(setups, name):
    s = setups[name]
    tel, a = s["tel_geom"], s["angles"]
    np.testing.assert_allclose(a.fov_lon_deg, tel.pix_x.to_value(u.deg), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.fov_lat_deg, tel.pix_y.to_value(u.deg), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.pix_area_deg2, tel.pix_area.to_value(u.deg**2), rtol=1e-10)
    np.testing.assert_allclose(a.pixel_width_deg, tel.pixel_width.to_value(u.deg), rtol=1e-10)
    np.testing.assert_array_equal(a.border_width_1, s["geom"].get_border_pixel_mask(1))
    np.testing.assert_array_equal(a.border_width_2, s["geom"].get_border_pixel_mask(2))
    sparse = s["geom"].neighbor_matrix_sparse
    np.testing.assert_array_equal(a.neighbor_indptr, sparse.indptr)
    np.testing.assert_array_equal(a.neighbor_indices, sparse.indices)


@pytest.mark.parametrize("name", CAMERAS)
@pytest.mark.parametrize("keep_isolated,min_neighbors", [(False, 0), (True, 0), (False, 2), (True, 2)])
def test_tailcuts_islands_dilate_match(setups, name, keep_isolated, min_neighbors):
    s = setups[name]
    geom, images, neighbors = s["geom"], s["images"], s["ours"].neighbors
    masks = tailcuts_clean(images, neighbors, 8.0, 4.0, keep_isolated_pixels=keep_isolated,
                           min_number_picture_neighbors=min_neighbors)
    n_islands, labels = number_of_islands(masks, neighbors)
    dilated = dilate(masks, neighbors)
    assert masks.any()
    for i, image in enumerate(images):
        expected = ct_cleaning.tailcuts_clean(geom, image, picture_thresh=8.0, boundary_thresh=4.0,
                                              keep_isolated_pixels=keep_isolated,
                                              min_number_picture_neighbors=min_neighbors)
        np.testing.assert_array_equal(masks[i], expected)
        n_ct, labels_ct = ct_number_of_islands(geom, expected)
        assert n_islands[i] == n_ct
        np.testing.assert_array_equal(labels[i], labels_ct)
        np.testing.assert_array_equal(dilated[i], ct_cleaning.dilate(geom, expected))


@pytest.mark.parametrize("name", CAMERAS)
def test_time_cleaning_match(setups, name):
    s = setups[name]
    geom, images, times, neighbors = s["geom"], s["images"], s["times"], s["ours"].neighbors
    tc = time_constrained_clean(images, times, neighbors, picture_thresh_pe=8.0, boundary_thresh_pe=4.0,
                                time_limit_core_ns=4.5, time_limit_boundary_ns=1.5,
                                min_number_picture_neighbors=1)
    masks = tailcuts_clean(images, neighbors, 8.0, 4.0)
    td = apply_time_delta_cleaning(masks, times, neighbors, 1, 2.0)
    for i in range(len(images)):
        expected = ct_cleaning.time_constrained_clean(
            geom, images[i], times[i], picture_thresh=8.0, boundary_thresh=4.0,
            time_limit_core=4.5, time_limit_boundary=1.5, min_number_picture_neighbors=1)
        np.testing.assert_array_equal(tc[i], expected)
        expected = ct_cleaning.apply_time_delta_cleaning(geom, masks[i], times[i], 1, 2.0)
        np.testing.assert_array_equal(td[i], expected)


def _trimmed_rss(x, y, slope, intercept):
    res2 = np.sort((y - (x * slope + intercept)) ** 2)
    return res2[: int(0.85 * len(x))].sum()


def _check(name, ours, expected, label):
    assert np.isfinite(ours) == np.isfinite(expected), f"{label} {name}: {ours} vs {expected}"
    if np.isfinite(expected):
        assert abs(ours - expected) <= ATOL + RTOL * abs(expected), f"{label} {name}: {ours} vs {expected}"


@pytest.mark.parametrize("name", CAMERAS)
def test_parameters_match(setups, name):
    s = setups[name]
    tel_geom, angles = s["tel_geom"], s["angles"]
    images, times = s["images"], s["times"]
    masks = tailcuts_clean(images, s["ours"].neighbors, 8.0, 4.0)
    params = image_parameters(angles, images, times, masks, min_pixels=1)
    # ctapipe's LTS draws from a module-level generator: reset it so the comparison does
    # not depend on which tests ran before
    import ctapipe.fitting

    ctapipe.fitting.FIT_RNG.bit_generator.state = np.random.default_rng(0).bit_generator.state
    n_checked = 0
    n_timing_same = 0
    n_timing_better = 0
    worse = []
    for i in range(len(images)):
        mask = masks[i]
        image, time = images[i], times[i]
        label = f"{name} image {i}"
        if mask.sum() == 0 or image[mask].sum() <= 0:
            assert not params["is_valid"][i]
            continue
        assert params["is_valid"][i]
        n_checked += 1
        geom_sel = tel_geom[mask]
        hillas = hillas_parameters(geom_sel, image[mask])
        expected = {
            "hillas_intensity": hillas.intensity,
            "hillas_fov_lon": hillas.fov_lon.to_value(u.deg),
            "hillas_fov_lat": hillas.fov_lat.to_value(u.deg),
            "hillas_r": hillas.r.to_value(u.deg),
            "hillas_phi": hillas.phi.to_value(u.deg),
            "hillas_length": hillas.length.to_value(u.deg),
            "hillas_length_uncertainty": hillas.length_uncertainty.to_value(u.deg),
            "hillas_width": hillas.width.to_value(u.deg),
            "hillas_width_uncertainty": hillas.width_uncertainty.to_value(u.deg),
            "hillas_psi": hillas.psi.to_value(u.deg),
            "hillas_psi_uncertainty": hillas.psi_uncertainty.to_value(u.deg),
            "hillas_transverse_cog_uncertainty": hillas.transverse_cog_uncertainty.to_value(u.deg),
            "hillas_skewness": hillas.skewness,
            "hillas_kurtosis": hillas.kurtosis,
        }
        leakage = leakage_parameters(tel_geom, image, mask)
        conc = concentration_parameters(geom_sel, image[mask], hillas)
        morph = morphology_parameters(tel_geom, mask)
        for prefix, container in (("leakage", leakage), ("concentration", conc)):
            for key, value in container.items():
                expected[f"{prefix}_{key}"] = float(value)
        # ctapipe's statistics run in the input dtype (float32 sums); the definitions are
        # compared on float64 input so that float32 round-off near 0 does not dominate
        for prefix, values in (("intensity", image[mask].astype(np.float64)),
                               ("peak_time", time[mask].astype(np.float64))):
            for key, value in descriptive_statistics(values).items():
                expected[f"{prefix}_{key}"] = float(value)
        for key, value in morph.items():
            assert params[f"morphology_{key}"][i] == value, f"{label} morphology_{key}"
        for key, value in expected.items():
            _check(key, float(params[key][i]), float(value), label)

        # timing: ctapipe's LTS regression starts from random point pairs, ours from
        # deterministic starts; both must agree or ours must be an equally good LTS optimum
        if hillas.length.value == 0:
            assert np.isnan(params["timing_slope"][i])
            continue
        timing = timing_parameters(geom_sel, image[mask], time[mask], hillas)
        slope_ct = timing.slope.to_value(1 / u.deg)
        intercept_ct = u.Quantity(timing.intercept).value
        slope, intercept = params["timing_slope"][i], params["timing_intercept"][i]
        if not np.isfinite(slope_ct):
            assert not np.isfinite(slope)
            continue
        same = (abs(slope - slope_ct) <= ATOL + RTOL * abs(slope_ct)
                and abs(intercept - intercept_ct) <= ATOL + RTOL * abs(intercept_ct))
        if same:
            n_timing_same += 1
            _check("timing_deviation", params["timing_deviation"][i],
                   u.Quantity(timing.deviation).value, label)
        else:
            delta = geom_sel.pix_x.to_value(u.deg) - hillas.fov_lon.to_value(u.deg)
            delta_y = geom_sel.pix_y.to_value(u.deg) - hillas.fov_lat.to_value(u.deg)
            psi = hillas.psi.to_value(u.rad)
            longi = delta * np.cos(psi) + delta_y * np.sin(psi)
            t = time[mask].astype(np.float64)
            ours_rss = _trimmed_rss(longi, t, slope, intercept)
            ct_rss = _trimmed_rss(longi, t, slope_ct, intercept_ct)
            if ours_rss <= ct_rss * (1 + 1e-9) + 1e-12:
                n_timing_better += 1
            else:
                worse.append(ours_rss / ct_rss - 1)
    print(f"{name}: {n_checked} images, timing same {n_timing_same}, ours better {n_timing_better}, "
          f"worse {len(worse)} (max rel. trimmed-RSS excess {max(worse, default=0):.2e})")
    assert n_checked >= N_IMAGES // 2
    # ctapipe's 5 random starts land on the same LTS optimum as ours in most images
    assert n_timing_same >= 0.7 * n_checked
    # a worse local LTS optimum than ctapipe's random search: rare and only marginally worse
    assert len(worse) <= max(3, 0.08 * n_checked)
    assert max(worse, default=0.0) < 1e-2
