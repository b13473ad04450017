"""`iactpipe.coordinates` against ctapipe 0.28's astropy frames (the convention we follow).

The AltAz frames carry no obstime/location: ctapipe then treats all of them as the same
frame, so every comparison is between pure rotations. Each hypothesis example transforms a
whole array of points, because ctapipe's per-call overhead dominates.
"""
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import AltAz, SkyCoord
from hypothesis import given, settings
from hypothesis import strategies as st

ctapipe_coordinates = pytest.importorskip("ctapipe.coordinates")
from ctapipe.coordinates import (  # noqa: E402
    CameraFrame,
    GroundFrame,
    NominalFrame,
    TelescopeFrame,
    TiltedGroundFrame,
    altaz_to_righthanded_cartesian,
    project_to_ground,
)

from iactpipe import coordinates as c  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::ctapipe.coordinates.MissingFrameAttributeWarning")

pointing_alt = st.one_of(st.just(90.0), st.floats(89.9999, 90.0), st.floats(5.0, 90.0))
pointing_az = st.one_of(st.just(0.0), st.floats(0.0, 1e-3), st.floats(359.999, 360.0),
                        st.floats(-1e-3, 0.0), st.floats(0.0, 360.0))
seeds = st.integers(0, 2**32 - 1)
N_POINTS = 100
TOL_DEG = 1e-9  # required: 1e-6 deg
TOL_M = 1e-9  # required: 1e-6 m


def altaz(alt_deg, az_deg):
    return SkyCoord(alt=alt_deg * u.deg, az=az_deg * u.deg, frame=AltAz())


def chord_deg(alt1, az1, alt2, az2):
    """Angle between directions (small-angle chord), deg; robust where az is undefined."""
    v1 = altaz_to_righthanded_cartesian(np.deg2rad(alt1), np.deg2rad(az1))
    v2 = altaz_to_righthanded_cartesian(np.deg2rad(alt2), np.deg2rad(az2))
    return np.rad2deg(np.linalg.norm(v1 - v2, axis=-1))


@settings(max_examples=25, deadline=None)
@given(seed=seeds, p_alt=pointing_alt, p_az=pointing_az, f=st.floats(1.5, 40.0),
       rot=st.one_of(st.just(0.0), st.floats(-180.0, 180.0)))
def test_camera_and_telescope_frames(seed, p_alt, p_az, f, rot):
    rng = np.random.default_rng(seed)
    # points up to ~10 deg off-axis
    r_max = f * np.deg2rad(10.0)
    x, y = rng.uniform(-r_max, r_max, (2, N_POINTS)) / np.sqrt(2)
    pointing = altaz(p_alt, p_az)
    camera_frame = CameraFrame(focal_length=f * u.m, rotation=rot * u.deg,
                               telescope_pointing=pointing)
    telescope_frame = TelescopeFrame(telescope_pointing=pointing)

    cam = SkyCoord(x=x * u.m, y=y * u.m, frame=camera_frame)
    tel = cam.transform_to(telescope_frame)
    lon, lat = c.camera_to_telescope(x, y, f, rot)
    np.testing.assert_allclose(lon, tel.fov_lon.deg, rtol=0, atol=TOL_DEG)
    np.testing.assert_allclose(lat, tel.fov_lat.deg, rtol=0, atol=TOL_DEG)

    x2, y2 = c.telescope_to_camera(tel.fov_lon.deg, tel.fov_lat.deg, f, rot)
    back = tel.transform_to(camera_frame)
    np.testing.assert_allclose(x2, back.x.to_value(u.m), rtol=0, atol=TOL_M)
    np.testing.assert_allclose(y2, back.y.to_value(u.m), rtol=0, atol=TOL_M)

    # telescope frame <-> AltAz
    hor = tel.transform_to(AltAz())
    alt, az = c.telescope_to_horizontal(lon, lat, p_alt, p_az)
    np.testing.assert_allclose(alt, hor.alt.deg, rtol=0, atol=TOL_DEG)
    assert np.max(chord_deg(alt, az, hor.alt.deg, hor.az.deg)) < TOL_DEG
    assert np.all((az >= 0.0) & (az < 360.0))

    tel2 = hor.transform_to(telescope_frame)
    lon2, lat2 = c.horizontal_to_telescope(hor.alt.deg, hor.az.deg, p_alt, p_az)
    np.testing.assert_allclose(lon2, tel2.fov_lon.deg, rtol=0, atol=TOL_DEG)
    np.testing.assert_allclose(lat2, tel2.fov_lat.deg, rtol=0, atol=TOL_DEG)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, p_alt=pointing_alt, p_az=pointing_az, a_alt=pointing_alt, d_az=st.floats(-5, 5))
def test_nominal_frame(seed, p_alt, p_az, a_alt, d_az):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-10.0, 10.0, (2, N_POINTS))
    a_az = p_az + d_az
    pointing, array_pointing = altaz(p_alt, p_az), altaz(a_alt, a_az)
    nominal_frame = NominalFrame(origin=array_pointing)

    tel = SkyCoord(fov_lon=lon * u.deg, fov_lat=lat * u.deg,
                   frame=TelescopeFrame(telescope_pointing=pointing))
    nom = tel.transform_to(nominal_frame)
    n_lon, n_lat = c.telescope_to_nominal(lon, lat, p_alt, p_az, a_alt, a_az)
    np.testing.assert_allclose(n_lon, nom.fov_lon.deg, rtol=0, atol=TOL_DEG)
    np.testing.assert_allclose(n_lat, nom.fov_lat.deg, rtol=0, atol=TOL_DEG)

    back = nom.transform_to(TelescopeFrame(telescope_pointing=pointing))
    t_lon, t_lat = c.nominal_to_telescope(n_lon, n_lat, a_alt, a_az, p_alt, p_az)
    np.testing.assert_allclose(t_lon, back.fov_lon.deg, rtol=0, atol=TOL_DEG)
    np.testing.assert_allclose(t_lat, back.fov_lat.deg, rtol=0, atol=TOL_DEG)

    hor = nom.transform_to(AltAz())
    alt, az = c.nominal_to_horizontal(n_lon, n_lat, a_alt, a_az)
    assert np.max(chord_deg(alt, az, hor.alt.deg, hor.az.deg)) < TOL_DEG
    h_lon, h_lat = c.horizontal_to_nominal(hor.alt.deg, hor.az.deg, a_alt, a_az)
    np.testing.assert_allclose(h_lon, nom.fov_lon.deg, rtol=0, atol=TOL_DEG)
    np.testing.assert_allclose(h_lat, nom.fov_lat.deg, rtol=0, atol=TOL_DEG)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, p_alt=pointing_alt, p_az=pointing_az)
def test_ground_and_tilted_frames(seed, p_alt, p_az):
    rng = np.random.default_rng(seed)
    x, y, z = rng.uniform(-2000.0, 2000.0, (3, N_POINTS))
    tilted_frame = TiltedGroundFrame(pointing_direction=altaz(p_alt, p_az))

    tilted = SkyCoord(x=x * u.m, y=y * u.m, z=z * u.m, frame=GroundFrame()).transform_to(tilted_frame)
    xt, yt, zt = c.ground_to_tilted(x, y, z, p_alt, p_az)
    np.testing.assert_allclose(xt, tilted.x.to_value(u.m), rtol=0, atol=TOL_M)
    np.testing.assert_allclose(yt, tilted.y.to_value(u.m), rtol=0, atol=TOL_M)
    np.testing.assert_allclose(zt, tilted.z.to_value(u.m), rtol=0, atol=TOL_M)

    ground = SkyCoord(x=x * u.m, y=y * u.m, z=z * u.m, frame=tilted_frame).transform_to(GroundFrame())
    gx, gy, gz = c.tilted_to_ground(x, y, z, p_alt, p_az)
    np.testing.assert_allclose(gx, ground.x.to_value(u.m), rtol=0, atol=TOL_M)
    np.testing.assert_allclose(gy, ground.y.to_value(u.m), rtol=0, atol=TOL_M)
    np.testing.assert_allclose(gz, ground.z.to_value(u.m), rtol=0, atol=TOL_M)

    # projection; ctapipe also accepts a z_t, which must not matter
    for z_t in (np.zeros(N_POINTS), z):
        projected = project_to_ground(SkyCoord(x=x * u.m, y=y * u.m, z=z_t * u.m, frame=tilted_frame))
        px, py = c.project_to_ground(x, y, p_alt, p_az)
        # the projection stretches by 1/sin(alt), and so does the rounding
        tol = TOL_M / np.sin(np.deg2rad(p_alt))
        np.testing.assert_allclose(px, projected.x.to_value(u.m), rtol=0, atol=tol)
        np.testing.assert_allclose(py, projected.y.to_value(u.m), rtol=0, atol=tol)


@settings(max_examples=25, deadline=None)
@given(seed=seeds)
def test_direction_vectors(seed):
    rng = np.random.default_rng(seed)
    alt = rng.uniform(-90.0, 90.0, N_POINTS)
    az = rng.uniform(-10.0, 370.0, N_POINTS)
    expected = altaz_to_righthanded_cartesian(alt * u.deg, az * u.deg)
    np.testing.assert_allclose(c.altaz_to_direction(alt, az), expected, rtol=0, atol=1e-12)
