"""Hand-computable values, round trips, broadcasting and edge cases of `iactpipe.coordinates`."""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iactpipe import coordinates as c

# pointings stressing the zenith and the 0/360 azimuth wrap
pointing_alt = st.one_of(st.just(90.0), st.floats(89.9999, 90.0), st.floats(0.0, 90.0))
pointing_az = st.one_of(st.just(0.0), st.floats(0.0, 1e-3), st.floats(359.999, 360.0),
                        st.floats(-1e-3, 0.0), st.floats(0.0, 360.0))
seeds = st.integers(0, 2**32 - 1)
N_POINTS = 200


def unit_vector(alt_deg, az_deg):
    """Independent alt/az -> unit vector, to compare directions where az is ill-defined."""
    alt, az = np.deg2rad(alt_deg), np.deg2rad(az_deg)
    return np.stack([np.cos(alt) * np.cos(az), np.cos(alt) * np.sin(az), np.sin(alt)], axis=-1)


def direction_error_deg(alt1, az1, alt2, az2):
    """Chord between two directions, deg (== angle for small angles)."""
    return np.rad2deg(np.linalg.norm(unit_vector(alt1, az1) - unit_vector(alt2, az2), axis=-1))


def random_offsets(seed, max_deg=10.0):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-max_deg, max_deg, N_POINTS)
    lat = rng.uniform(-max_deg, max_deg, N_POINTS)
    # include the origin and the two axes exactly
    lon[:3] = [0.0, max_deg, 0.0]
    lat[:3] = [0.0, 0.0, -max_deg]
    return lon, lat


# ----------------------------------------------------------------------------------------
# camera <-> telescope
# ----------------------------------------------------------------------------------------
def test_camera_to_telescope_linear_axes():
    f = 10.0
    lon, lat = c.camera_to_telescope([0.1, 0.0, -0.2], [0.0, 0.1, 0.3], f)
    # x -> fov_lat, y -> fov_lon, both with a plus sign, angle = distance / f in rad
    np.testing.assert_allclose(lat, np.rad2deg([0.01, 0.0, -0.02]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(lon, np.rad2deg([0.0, 0.01, 0.03]), rtol=0, atol=1e-15)


def test_camera_to_telescope_is_linear_not_arctan():
    # 1 m at 1 m focal length is exactly 1 rad (arctan would give 45 deg)
    lon, lat = c.camera_to_telescope(1.0, 0.0, 1.0)
    assert lat == pytest.approx(np.rad2deg(1.0), abs=1e-13) and lon == 0.0


def test_camera_rotation():
    # a 90 deg rotation turns camera x into camera y
    lon, lat = c.camera_to_telescope(1.0, 0.0, 10.0, rotation_deg=90.0)
    assert lon == pytest.approx(np.rad2deg(0.1), abs=1e-13)
    assert lat == pytest.approx(0.0, abs=1e-13)


def test_camera_scalar_and_dtype():
    lon, lat = c.camera_to_telescope(np.float32(0.1), 0.2, 28)
    assert isinstance(lon, np.float64) and isinstance(lat, np.float64)
    x, y = c.telescope_to_camera(np.ones(3, np.float32), 0.0, 28.0)
    assert x.dtype == np.float64 and y.shape == (3,)


@pytest.mark.parametrize("f", [0.0, -1.0, np.nan])
def test_camera_bad_focal_length(f):
    with pytest.raises(ValueError, match="focal length"):
        c.camera_to_telescope(0.1, 0.1, f)
    with pytest.raises(ValueError, match="focal length"):
        c.telescope_to_camera(0.1, 0.1, [28.0, f])


@settings(max_examples=30, deadline=None)
@given(seed=seeds, f=st.floats(1.0, 40.0), rot=st.floats(-360.0, 360.0))
def test_camera_round_trip(seed, f, rot):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-1.5, 1.5, (2, N_POINTS))
    lon, lat = c.camera_to_telescope(x, y, f, rot)
    x2, y2 = c.telescope_to_camera(lon, lat, f, rot)
    np.testing.assert_allclose(x2, x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(y2, y, rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------------------
# telescope / nominal <-> horizontal
# ----------------------------------------------------------------------------------------
def test_fov_lat_moves_altitude():
    alt, az = c.telescope_to_horizontal(0.0, 1.0, 70.0, 123.0)
    assert alt == pytest.approx(71.0, abs=1e-12) and az == pytest.approx(123.0, abs=1e-12)
    lon, lat = c.horizontal_to_telescope(71.0, 123.0, 70.0, 123.0)
    assert lon == pytest.approx(0.0, abs=1e-12) and lat == pytest.approx(1.0, abs=1e-12)


def test_fov_lon_at_horizon_moves_azimuth():
    alt, az = c.telescope_to_horizontal([5.0, -30.0], 0.0, 0.0, [20.0, 10.0])
    np.testing.assert_allclose(alt, 0.0, atol=1e-12)
    np.testing.assert_allclose(az, [25.0, 340.0], atol=1e-12)  # second one wraps below 0


def test_origin_maps_to_pointing():
    alt, az = c.telescope_to_horizontal(0.0, 0.0, 45.0, 359.5)
    assert alt == pytest.approx(45.0, abs=1e-12) and az == pytest.approx(359.5, abs=1e-12)


@pytest.mark.parametrize("az0", [0.0, 37.0, 359.9])
def test_zenith_pointing(az0):
    d = 2.0
    # at the zenith fov_lat points back along the pointing azimuth's meridian: -lat towards
    # az0, +lat over the top towards az0 + 180; +lon towards az0 + 90
    alt, az = c.telescope_to_horizontal([0.0, 0.0, d], [-d, d, 0.0], 90.0, az0)
    np.testing.assert_allclose(alt, 90.0 - d, atol=1e-12)
    np.testing.assert_allclose(az, np.mod(az0 + np.array([0.0, 180.0, 90.0]), 360.0), atol=1e-10)
    lon, lat = c.horizontal_to_telescope(90.0 - d, az0 + 90.0, 90.0, az0)
    assert lon == pytest.approx(d, abs=1e-12) and lat == pytest.approx(0.0, abs=1e-12)
    # the zenith itself is the origin, whatever its (undefined) azimuth
    lon, lat = c.horizontal_to_telescope(90.0, [0.0, 100.0, 250.0], 90.0, az0)
    np.testing.assert_allclose(lon, 0.0, atol=1e-12)
    np.testing.assert_allclose(lat, 0.0, atol=1e-12)


def test_output_ranges():
    # azimuths just below 0 must come back in [0, 360), never as 360.0
    _, az = c.telescope_to_horizontal(-1e-15, 0.0, 0.0, 0.0)
    assert 0.0 <= az < 360.0
    _, az = c.telescope_to_horizontal(np.linspace(-10, 10, 1001), 0.0, 10.0, 360.0)
    assert np.all((az >= 0.0) & (az < 360.0))
    # fov_lon in [-180, 180): the point behind the pointing has lon -180
    lon, lat = c.horizontal_to_telescope(0.0, 180.0, 0.0, 0.0)
    assert lon == -180.0 and lat == pytest.approx(0.0, abs=1e-12)


def test_broadcasting():
    lon = np.linspace(-3, 3, 4)
    p_alt = np.array([[20.0], [60.0], [90.0]])
    alt, az = c.telescope_to_horizontal(lon, 1.0, p_alt, 180.0)
    assert alt.shape == az.shape == (3, 4)
    for i in range(3):
        a, z = c.telescope_to_horizontal(lon, 1.0, p_alt[i, 0], 180.0)
        np.testing.assert_array_equal(alt[i], a)
        np.testing.assert_array_equal(az[i], z)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, p_alt=pointing_alt, p_az=pointing_az)
def test_telescope_horizontal_round_trips(seed, p_alt, p_az):
    lon, lat = random_offsets(seed)
    alt, az = c.telescope_to_horizontal(lon, lat, p_alt, p_az)
    assert np.all((az >= 0.0) & (az < 360.0))
    lon2, lat2 = c.horizontal_to_telescope(alt, az, p_alt, p_az)
    np.testing.assert_allclose(lon2, lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat2, lat, rtol=0, atol=1e-9)

    # the other way round, for arbitrary directions on the sky
    rng = np.random.default_rng(seed + 1)
    alt = np.rad2deg(np.arcsin(rng.uniform(-1, 1, N_POINTS)))
    az = rng.uniform(-360.0, 720.0, N_POINTS)
    alt2, az2 = c.telescope_to_horizontal(*c.horizontal_to_telescope(alt, az, p_alt, p_az),
                                          p_alt, p_az)
    np.testing.assert_allclose(alt2, alt, rtol=0, atol=1e-9)
    assert np.max(direction_error_deg(alt, az, alt2, az2)) < 1e-9


@settings(max_examples=40, deadline=None)
@given(seed=seeds, p_alt=pointing_alt, p_az=pointing_az, d_alt=st.floats(-3, 3),
       d_az=st.floats(-3, 3))
def test_nominal_round_trip_and_consistency(seed, p_alt, p_az, d_alt, d_az):
    a_alt, a_az = min(p_alt + d_alt, 90.0), p_az + d_az
    lon, lat = random_offsets(seed)
    n_lon, n_lat = c.telescope_to_nominal(lon, lat, p_alt, p_az, a_alt, a_az)
    t_lon, t_lat = c.nominal_to_telescope(n_lon, n_lat, a_alt, a_az, p_alt, p_az)
    np.testing.assert_allclose(t_lon, lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(t_lat, lat, rtol=0, atol=1e-9)
    # the nominal offsets describe the same sky directions
    alt1, az1 = c.telescope_to_horizontal(lon, lat, p_alt, p_az)
    alt2, az2 = c.nominal_to_horizontal(n_lon, n_lat, a_alt, a_az)
    assert np.max(direction_error_deg(alt1, az1, alt2, az2)) < 1e-9
    h_lon, h_lat = c.horizontal_to_nominal(alt1, az1, a_alt, a_az)
    np.testing.assert_allclose(h_lon, n_lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(h_lat, n_lat, rtol=0, atol=1e-9)


def test_nominal_hand_values():
    # identical pointings: nominal == telescope
    lon, lat = c.telescope_to_nominal(1.5, -2.0, 70.0, 10.0, 70.0, 10.0)
    assert lon == pytest.approx(1.5, abs=1e-12) and lat == pytest.approx(-2.0, abs=1e-12)
    # telescope pointing 1 deg above the array pointing: its centre is at nominal lat +1
    lon, lat = c.telescope_to_nominal(0.0, 0.0, 71.0, 10.0, 70.0, 10.0)
    assert lon == pytest.approx(0.0, abs=1e-12) and lat == pytest.approx(1.0, abs=1e-12)


# ----------------------------------------------------------------------------------------
# ground <-> tilted
# ----------------------------------------------------------------------------------------
def test_tilted_hand_values():
    # pointing North at the horizon: z_t is North, x_t down, y_t West
    xt, yt, zt = c.ground_to_tilted([100.0, 0.0, 0.0], [0.0, 7.0, 0.0], [0.0, 0.0, 5.0], 0.0, 0.0)
    np.testing.assert_allclose(xt, [0.0, 0.0, -5.0], atol=1e-12)
    np.testing.assert_allclose(yt, [0.0, 7.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(zt, [100.0, 0.0, 0.0], atol=1e-12)
    # zenith pointing at az 0: the identity
    out = c.ground_to_tilted([1.0, 2.0], [3.0, -4.0], [5.0, 6.0], 90.0, 0.0)
    np.testing.assert_allclose(out, [[1.0, 2.0], [3.0, -4.0], [5.0, 6.0]], atol=1e-12)


def test_project_to_ground_hand_values():
    # alt 30 deg, az 0: x_t is stretched by 1/sin(30) = 2 along North
    x, y = c.project_to_ground(1.0, 0.0, 30.0, 0.0)
    assert x == pytest.approx(2.0, abs=1e-12) and y == pytest.approx(0.0, abs=1e-12)
    # zenith: no stretch, plain azimuth rotation
    x, y = c.project_to_ground(1.0, 2.0, 90.0, 90.0)
    assert x == pytest.approx(2.0, abs=1e-12) and y == pytest.approx(-1.0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, p_alt=pointing_alt, p_az=pointing_az)
def test_tilted_round_trip_and_projection(seed, p_alt, p_az):
    rng = np.random.default_rng(seed)
    x, y, z = rng.uniform(-2000.0, 2000.0, (3, N_POINTS))
    xt, yt, zt = c.ground_to_tilted(x, y, z, p_alt, p_az)
    # rotation: lengths are kept
    np.testing.assert_allclose(np.sqrt(xt**2 + yt**2 + zt**2), np.sqrt(x**2 + y**2 + z**2),
                               rtol=1e-13)
    x2, y2, z2 = c.tilted_to_ground(xt, yt, zt, p_alt, p_az)
    for a, b in ((x2, x), (y2, y), (z2, z)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)

    # projection: the tilted point (any z_t) moved along the pointing to z = 0
    if p_alt < 1.0:
        return
    d = c.altaz_to_direction(p_alt, p_az)
    gx, gy, gz = c.tilted_to_ground(xt, yt, zt, p_alt, p_az)
    t = -gz / d[2]
    px, py = c.project_to_ground(xt, yt, p_alt, p_az)
    scale = 1.0 / np.sin(np.deg2rad(p_alt))
    np.testing.assert_allclose(px, gx + t * d[0], rtol=0, atol=1e-9 * 4000 * scale)
    np.testing.assert_allclose(py, gy + t * d[1], rtol=0, atol=1e-9 * 4000 * scale)


# ----------------------------------------------------------------------------------------
# directions and separations
# ----------------------------------------------------------------------------------------
def test_altaz_to_direction_axes():
    v = c.altaz_to_direction([0.0, 0.0, 90.0], [0.0, 90.0, 0.0])
    np.testing.assert_allclose(v, [[1, 0, 0], [0, -1, 0], [0, 0, 1]], atol=1e-15)  # N, E, up
    assert c.altaz_to_direction(10.0, 20.0).shape == (3,)
    assert c.altaz_to_direction(np.zeros((2, 1)), np.zeros(5)).shape == (2, 5, 3)


def test_direction_to_altaz_values():
    alt, az = c.direction_to_altaz([[0, 0, 2.0], [0, 1.0, 0], [3.0, 0, 3.0], [1.0, -1e-300, 0]])
    np.testing.assert_allclose(alt, [90.0, 0.0, 45.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(az, [0.0, 270.0, 0.0, 0.0], atol=1e-12)
    assert np.all(az < 360.0)
    with pytest.raises(ValueError, match="shape"):
        c.direction_to_altaz(np.zeros((4, 2)))


@settings(max_examples=30, deadline=None)
@given(seed=seeds)
def test_direction_round_trip(seed):
    rng = np.random.default_rng(seed)
    alt = rng.uniform(-89.9, 89.9, N_POINTS)
    az = rng.uniform(0.0, 360.0, N_POINTS)
    v = c.altaz_to_direction(alt, az)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-1), 1.0, rtol=1e-15)
    alt2, az2 = c.direction_to_altaz(v * rng.uniform(0.1, 10.0, (N_POINTS, 1)))
    np.testing.assert_allclose(alt2, alt, rtol=0, atol=1e-9)
    np.testing.assert_allclose((az2 - az + 180.0) % 360.0 - 180.0, 0.0, atol=1e-9)


def test_angular_separation_values():
    sep = c.angular_separation([0.0, 0.0, 90.0, 10.0, 0.0], [0.0, 0.0, 0.0, 359.0, 0.0],
                               [0.0, 0.0, 0.0, 10.0, 0.0], [90.0, 180.0, 123.0, 1.0, 0.0])
    np.testing.assert_allclose(sep[:3], [90.0, 180.0, 90.0], atol=1e-12)
    np.testing.assert_allclose(sep[3], 2.0 * np.cos(np.deg2rad(10.0)), rtol=1e-3)  # small circle
    assert sep[4] == 0.0
    # tiny separations are resolved (arccos would return 0 or ~1e-6 here)
    tiny = c.angular_separation(45.0, 10.0, 45.0 + 1e-10, 10.0)
    assert tiny == pytest.approx(1e-10, rel=1e-5)
    # near-antipodal separations too
    assert c.angular_separation(0.0, 0.0, 1e-10, 180.0) == pytest.approx(180.0 - 1e-10, abs=1e-13)


def test_import_stays_light():
    code = ("import sys, iactpipe.coordinates; "
            "assert 'astropy' not in sys.modules, 'astropy imported'; "
            "assert 'iactpipe.coordinates.astropy_frames' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
