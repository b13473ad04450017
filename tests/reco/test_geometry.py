"""Properties of the Hillas-plane intersection kernels (hypothesis) and its degenerate cases."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from iactpipe.coordinates import (altaz_to_direction, angular_separation, direction_to_altaz,
                                  horizontal_to_telescope, telescope_to_horizontal)
from iactpipe.reco import REASON_NAMES, hillas_intersection

REFERENCE_HEIGHT = 2000.0
RADIUS_DEG = 2.0  # camera radius of the toy telescopes


def exact_images(positions, core, source_alt, source_az, point_alt, point_az, height):
    """Noise-free Hillas centroids and axes of one shower seen by parallel-pointing telescopes.

    The centroid is the direction from each telescope to the shower-maximum point at
    ``height`` above the ground; psi is solved so that ctapipe's second point
    ``cog + 0.1 r (cos psi, sin psi)`` lies exactly on the plane through the telescope and
    the shower axis, so the true planes are what the reconstruction sees.
    """
    direction = altaz_to_direction(source_alt, source_az)
    shower_max = np.array([core[0], core[1], 0.0]) + height / direction[2] * direction
    fov_lon, fov_lat, psi = [], [], []
    for position in positions:
        sight = shower_max - position
        sight /= np.linalg.norm(sight)
        normal = np.cross(sight, direction)
        alt, az = direction_to_altaz(sight)
        lon, lat = horizontal_to_telescope(alt, az, point_alt, point_az)
        s_lon, s_lat = horizontal_to_telescope(source_alt, source_az, point_alt, point_az)

        def plane_distance(angle):
            q_alt, q_az = telescope_to_horizontal(lon + 0.1 * RADIUS_DEG * np.cos(np.deg2rad(angle)),
                                                  lat + 0.1 * RADIUS_DEG * np.sin(np.deg2rad(angle)),
                                                  point_alt, point_az)
            return float(np.dot(normal, altaz_to_direction(q_alt, q_az)))

        guess = np.rad2deg(np.arctan2(s_lat - lat, s_lon - lon))
        a, b = guess - 1.0, guess + 1.0
        for _ in range(60):  # secant iterations
            fa, fb = plane_distance(a), plane_distance(b)
            if fb == fa:
                break
            a, b = b, b - fb * (b - a) / (fb - fa)
        fov_lon.append(lon)
        fov_lat.append(lat)
        psi.append(b)
    return np.array(fov_lon), np.array(fov_lat), np.array(psi), shower_max


def run(positions, fov_lon, fov_lat, psi, point_alt, point_az, intensity=None, use=None, **kwargs):
    n = len(fov_lon)
    intensity = np.full(n, 500.0) if intensity is None else intensity
    return hillas_intersection(
        [0, n], np.arange(n), fov_lon, fov_lat, psi, intensity, np.full(n, 0.3), np.full(n, 0.05),
        np.ones(n, bool) if use is None else use, np.full(n, point_alt), np.full(n, point_az), [point_alt],
        [point_az], positions, np.full(len(positions), RADIUS_DEG), REFERENCE_HEIGHT, **kwargs)


showers = st.fixed_dictionaries({
    "n_tels": st.integers(2, 8),
    "seed": st.integers(0, 2**32 - 1),
    "point_alt": st.floats(50.0, 85.0),
    "point_az": st.floats(0.0, 360.0, exclude_max=True),
    "offset_lon": st.floats(-1.0, 1.0),
    "offset_lat": st.floats(-1.0, 1.0),
    "height": st.floats(6000.0, 12000.0),
})


def _shower(params):
    rng = np.random.default_rng(params["seed"])
    positions = np.column_stack([rng.uniform(-200, 200, (params["n_tels"], 2)), rng.uniform(-5, 5, params["n_tels"])])
    core = rng.uniform(-150, 150, 2)
    source_alt, source_az = telescope_to_horizontal(params["offset_lon"], params["offset_lat"], params["point_alt"],
                                                    params["point_az"])
    images = exact_images(positions, core, source_alt, source_az, params["point_alt"], params["point_az"],
                          params["height"])
    return positions, core, source_alt, source_az, images


@settings(max_examples=40, deadline=None)
@given(showers)
def test_exact_images_give_the_true_direction_and_h_max(params):
    positions, core, source_alt, source_az, (fov_lon, fov_lat, psi, shower_max) = _shower(params)
    cog_offset = np.hypot(fov_lon, fov_lat).max()
    assume(cog_offset < 2.0)  # images inside a camera
    events, rows = run(positions, fov_lon, fov_lat, psi, params["point_alt"], params["point_az"],
                       min_plane_angle_deg=0.0)
    if not events["is_valid"][0]:
        # only legitimate failure: planes (nearly) identical, e.g. core on the line of two telescopes
        assert events["invalid_reason"][0] == 2
        assert np.isnan(events["alt"][0])
        return
    assert angular_separation(events["alt"][0], events["az"][0], source_alt, source_az) < 1e-6
    assert events["h_max"][0] == pytest.approx(shower_max[2] + REFERENCE_HEIGHT, rel=1e-6)
    assert events["multiplicity"][0] == params["n_tels"]
    # ctapipe's core is approximate: it intersects, in the tilted frame of the pointing, lines
    # through the telescopes' orthogonal projections along the image axes measured in the
    # (equidistant, not gnomonic) camera frame. Both approximations grow with the distance
    # to the core and with the source and image offsets, and two nearly parallel lines
    # amplify them by 1/sin(angle between the lines) (seen: 6.3 m at 126 m, 2 telescopes,
    # offsets 1.0 and 1.65 deg; 19.4 m at 189 m with image axes 5.9 deg apart). Equality
    # with ctapipe is tested in test_reco_vs_ctapipe; here only a sanity bound: 2 % of the
    # largest telescope-core distance, amplified by the best-crossing pair of image axes.
    distance = np.hypot(*(positions[:, :2] - core).T).max()
    axis_angle = np.deg2rad(np.abs((psi[:, None] - psi[None, :] + 90.0) % 180.0 - 90.0)).max()
    error = np.hypot(events["core_x"][0] - core[0], events["core_y"][0] - core[1])
    assert error < 0.01 + 0.02 * distance / max(np.sin(axis_angle), 1e-3)
    # impact distances are the distances of the telescopes to the true axis
    direction = altaz_to_direction(source_alt, source_az)
    true_impact = np.linalg.norm(np.cross(positions - np.array([core[0], core[1], 0.0]), direction), axis=1)
    np.testing.assert_allclose(rows["impact_distance"], true_impact, atol=error + 1e-6)
    # the reconstructed direction lies on every image axis (miss ~ 0; the straight axis in
    # fov_lon/fov_lat deviates from the great circle by ~1e-3 deg at 2 deg)
    assert np.all(rows["miss"] < 2e-3)


@settings(max_examples=30, deadline=None)
@given(showers, st.randoms(use_true_random=False), st.floats(0.01, 100.0))
def test_row_order_and_intensity_scale_do_not_matter(params, random, scale):
    positions, _, _, _, (fov_lon, fov_lat, psi, _) = _shower(params)
    rng = np.random.default_rng(params["seed"] + 1)
    intensity = rng.uniform(60, 5000, len(fov_lon))
    fov_lon = fov_lon + rng.normal(0, 0.02, len(fov_lon))  # not exact any more: weights matter
    psi = psi + rng.normal(0, 3, len(psi))
    reference, _ = run(positions, fov_lon, fov_lat, psi, params["point_alt"], params["point_az"], intensity,
                       min_plane_angle_deg=0.0)
    order = np.arange(len(fov_lon))
    random.shuffle(order)
    n = len(order)
    permuted, _ = hillas_intersection(
        [0, n], order, fov_lon[order], fov_lat[order], psi[order], intensity[order] * scale, np.full(n, 0.3),
        np.full(n, 0.05), np.ones(n, bool), np.full(n, params["point_alt"]), np.full(n, params["point_az"]),
        [params["point_alt"]], [params["point_az"]], positions, np.full(len(positions), RADIUS_DEG),
        REFERENCE_HEIGHT, min_plane_angle_deg=0.0)
    assert permuted["is_valid"][0] == reference["is_valid"][0]
    if reference["is_valid"][0]:
        assert angular_separation(permuted["alt"][0], permuted["az"][0], reference["alt"][0],
                                  reference["az"][0]) < 1e-9
        assert permuted["core_x"][0] == pytest.approx(reference["core_x"][0], abs=1e-6)
        assert permuted["h_max"][0] == pytest.approx(reference["h_max"][0], rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 30))
def test_results_are_finite_and_valid_or_nan_with_a_reason(seed, n_events):
    """Garbage in (NaN, zero width, one telescope, identical images): never a finite invalid result."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 5, n_events)
    n = int(counts.sum())
    ptr = np.concatenate([[0], np.cumsum(counts)])
    positions = np.column_stack([rng.uniform(-200, 200, (4, 2)), np.zeros(4)])
    tel_index = rng.integers(0, 4, n)
    fov_lon = rng.choice([0.0, 0.5, np.nan, 1.0], n)
    fov_lat = rng.choice([0.0, -0.5, 0.7], n)
    psi = rng.choice([0.0, 45.0, 90.0, np.nan], n)
    width = rng.choice([0.0, 0.05, -0.1, np.nan], n)
    events, rows = hillas_intersection(ptr, tel_index, fov_lon, fov_lat, psi, np.full(n, 100.0), np.full(n, 0.2),
                                       width, rng.random(n) > 0.2, np.full(n, 70.0), np.zeros(n),
                                       np.full(n_events, 70.0), np.zeros(n_events), positions, np.full(4, 2.0),
                                       REFERENCE_HEIGHT)
    valid = events["is_valid"]
    assert np.all((events["invalid_reason"] == 0) == valid)
    assert set(np.unique(events["invalid_reason"])) <= set(REASON_NAMES)
    for name in ("alt", "az", "core_x", "core_y", "core_tilted_x", "core_tilted_y", "h_max"):
        assert np.all(np.isfinite(events[name][valid])), name
        assert np.all(np.isnan(events[name][~valid])), name
    assert np.all(events["multiplicity"][valid] >= 2)
    row_event = np.repeat(np.arange(n_events), counts)
    assert np.all(np.isnan(rows["impact_distance"][~valid[row_event]]))
    assert np.all(np.isfinite(rows["impact_distance"][valid[row_event]]))


def test_one_usable_telescope_is_invalid():
    events, rows = run(np.array([[0.0, 0, 0], [100, 0, 0]]), np.array([0.5, 0.4]), np.array([0.1, 0.2]),
                       np.array([10.0, 50.0]), 70.0, 0.0, use=np.array([True, False]))
    assert not events["is_valid"][0]
    assert events["invalid_reason"][0] == 1
    assert events["multiplicity"][0] == 1
    assert np.isnan(events["alt"][0]) and np.isnan(events["core_x"][0])
    assert events["average_intensity"][0] == 500.0
    assert np.all(np.isnan(rows["impact_distance"]))


def test_identical_planes_are_invalid_not_wrong():
    """Core on the line through two telescopes: both see the same plane; no direction can be found."""
    positions = np.array([[100.0, 0.0, 0.0], [200.0, 0.0, 0.0]])
    fov_lon, fov_lat, psi, _ = exact_images(positions, (0.0, 0.0), 70.0, 0.0, 70.0, 0.0, 8000.0)
    events, _ = run(positions, fov_lon, fov_lat, psi, 70.0, 0.0, min_plane_angle_deg=0.0)
    assert not events["is_valid"][0]
    assert events["invalid_reason"][0] == 2
    assert np.isnan(events["alt"][0])


def test_nearly_parallel_planes_are_cut_by_min_plane_angle():
    positions = np.array([[100.0, 0.0, 0.0], [200.0, 3.0, 0.0]])  # core 0.6 deg off their line
    fov_lon, fov_lat, psi, _ = exact_images(positions, (0.0, 0.0), 70.0, 0.0, 70.0, 0.0, 8000.0)
    kept, _ = run(positions, fov_lon, fov_lat, psi, 70.0, 0.0, min_plane_angle_deg=0.0)
    cut, _ = run(positions, fov_lon, fov_lat, psi, 70.0, 0.0, min_plane_angle_deg=5.0)
    assert kept["is_valid"][0]
    assert not cut["is_valid"][0] and cut["invalid_reason"][0] == 2


def test_empty_input():
    events, rows = hillas_intersection([0], [], [], [], [], [], [], [], [], [], [], [], [], np.zeros((2, 3)),
                                       np.ones(2), 0.0)
    assert all(len(v) == 0 for v in events.values())
    assert all(len(v) == 0 for v in rows.values())


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="event_ptr"):
        hillas_intersection([1, 0], [], [], [], [], [], [], [], [], [], [], [0.0], [0.0], np.zeros((1, 3)),
                            [1.0], 0.0)
    with pytest.raises(ValueError, match="tel_index"):
        hillas_intersection([0, 1], [3], [0.0], [0.0], [0.0], [1.0], [1.0], [1.0], [True], [70.0], [0.0], [70.0],
                            [0.0], np.zeros((1, 3)), [1.0], 0.0)
