"""`iactpipe.coordinates` against astropy's own spherical machinery, and the astropy wrappers."""
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import (
    AltAz,
    EarthLocation,
    SkyCoord,
    SkyOffsetFrame,
    UnitSphericalRepresentation,
    angular_separation,
)
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from iactpipe import coordinates as c
from iactpipe.coordinates import astropy_frames as af

pointing_alt = st.one_of(st.just(90.0), st.floats(89.9999, 90.0), st.floats(0.0, 90.0))
pointing_az = st.one_of(st.just(0.0), st.floats(0.0, 1e-3), st.floats(359.999, 360.0),
                        st.floats(-1e-3, 0.0), st.floats(0.0, 360.0))
seeds = st.integers(0, 2**32 - 1)
N_POINTS = 200
TOL_DEG = 1e-9  # well inside the required 1e-6 deg


def chord_deg(coord_a, coord_b):
    """Angular distance (small-angle chord) between two astropy coordinates, deg."""
    a = coord_a.represent_as(UnitSphericalRepresentation).to_cartesian().xyz.value
    b = coord_b.represent_as(UnitSphericalRepresentation).to_cartesian().xyz.value
    return np.rad2deg(np.linalg.norm(a - b, axis=0))


def wrapped_diff(a, b):
    return (np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0


@settings(max_examples=40, deadline=None)
@given(seed=seeds, p_alt=pointing_alt, p_az=pointing_az)
def test_offset_frame_matches_astropy_skyoffset(seed, p_alt, p_az):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-10.0, 10.0, (2, N_POINTS))
    pointing = SkyCoord(alt=p_alt * u.deg, az=p_az * u.deg, frame=AltAz())
    offset_frame = SkyOffsetFrame(origin=pointing)

    # offsets -> horizontal
    expected = SkyCoord(lon=lon * u.deg, lat=lat * u.deg, frame=offset_frame).transform_to(AltAz())
    alt, az = c.telescope_to_horizontal(lon, lat, p_alt, p_az)
    got = SkyCoord(alt=alt * u.deg, az=az * u.deg, frame=AltAz())
    assert np.max(chord_deg(got, expected)) < TOL_DEG
    np.testing.assert_allclose(alt, expected.alt.deg, rtol=0, atol=TOL_DEG)
    away_from_zenith = expected.alt.deg < 89.0  # azimuth only well-defined there
    assert np.all(np.abs(wrapped_diff(az, expected.az.deg))[away_from_zenith] < 1e-7)
    assert np.all((az >= 0.0) & (az < 360.0))

    # horizontal -> offsets (also for the nominal-frame spelling)
    back = expected.transform_to(offset_frame)
    for func in (c.horizontal_to_telescope, c.horizontal_to_nominal):
        lon2, lat2 = func(expected.alt.deg, expected.az.deg, p_alt, p_az)
        np.testing.assert_allclose(lon2, back.lon.wrap_at(180 * u.deg).deg, rtol=0, atol=TOL_DEG)
        np.testing.assert_allclose(lat2, back.lat.deg, rtol=0, atol=TOL_DEG)


@settings(max_examples=30, deadline=None)
@given(seed=seeds)
def test_direction_matches_astropy_cartesian(seed):
    rng = np.random.default_rng(seed)
    alt = rng.uniform(-90.0, 90.0, N_POINTS)
    az = rng.uniform(-10.0, 370.0, N_POINTS)
    # astropy's AltAz cartesian is (North, East, up): our ground frame has y West
    north, east, up = SkyCoord(alt=alt * u.deg, az=az * u.deg, frame=AltAz()).cartesian.xyz.value
    np.testing.assert_allclose(c.altaz_to_direction(alt, az), np.stack([north, -east, up], -1),
                               rtol=0, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, near=st.booleans())
def test_angular_separation_matches_astropy(seed, near):
    rng = np.random.default_rng(seed)
    alt1 = rng.uniform(-90.0, 90.0, N_POINTS)
    az1 = rng.uniform(0.0, 360.0, N_POINTS)
    if near:  # separations down to 1e-8 deg, across the wrap
        alt2 = np.clip(alt1 + rng.normal(0, 1e-6, N_POINTS), -90, 90)
        az2 = az1 + 360.0 * rng.integers(-1, 2, N_POINTS) + rng.normal(0, 1e-6, N_POINTS)
    else:
        alt2 = rng.uniform(-90.0, 90.0, N_POINTS)
        az2 = rng.uniform(-360.0, 720.0, N_POINTS)
    expected = angular_separation(az1 * u.deg, alt1 * u.deg, az2 * u.deg, alt2 * u.deg).to_value(u.deg)
    np.testing.assert_allclose(c.angular_separation(alt1, az1, alt2, az2), expected,
                               rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------------------------------
# astropy wrappers
# ----------------------------------------------------------------------------------------
LOCATION = EarthLocation(lon=-17.89 * u.deg, lat=28.76 * u.deg, height=2200 * u.m)
OBSTIME = Time("2024-01-01T00:00:00", scale="utc")


def test_wrappers_camera_units():
    lon, lat = af.camera_to_telescope_coords([10.0, 0.0] * u.cm, [0.0, 20.0] * u.cm, 2800 * u.cm)
    assert lon.unit == u.deg and lat.unit == u.deg
    np.testing.assert_allclose(lat.value, np.rad2deg([0.1 / 28, 0.0]), atol=1e-15)
    x, y = af.telescope_to_camera_coords(lon.to(u.arcmin), lat, 28 * u.m)
    assert x.unit == u.m
    np.testing.assert_allclose(x.value, [0.1, 0.0], atol=1e-15)
    np.testing.assert_allclose(y.value, [0.0, 0.2], atol=1e-15)
    with pytest.raises(u.UnitConversionError):
        af.camera_to_telescope_coords(1 * u.deg, 1 * u.m, 28 * u.m)


def test_wrappers_altaz_keep_frame_attributes():
    pointing = SkyCoord(alt=70 * u.deg, az=350 * u.deg, frame=AltAz(obstime=OBSTIME, location=LOCATION))
    coord = af.telescope_to_altaz([0.0, 20.0] * u.arcmin, [1.0, 0.0] * u.deg, pointing)
    assert isinstance(coord, SkyCoord) and isinstance(coord.frame, AltAz)
    assert coord.obstime == OBSTIME and coord.location == LOCATION
    np.testing.assert_allclose(coord.alt.deg[0], 71.0, atol=1e-12)
    lon, lat = af.altaz_to_telescope(coord, pointing.frame)
    np.testing.assert_allclose(lon.to_value(u.arcmin), [0.0, 20.0], atol=1e-9)
    np.testing.assert_allclose(lat.to_value(u.deg), [1.0, 0.0], atol=1e-12)
    # a non-AltAz coordinate is transformed to the pointing's AltAz frame first
    icrs = coord.icrs
    lon2, lat2 = af.altaz_to_telescope(icrs, pointing)
    np.testing.assert_allclose(lon2.to_value(u.deg), lon.to_value(u.deg), atol=1e-8)
    np.testing.assert_allclose(lat2.to_value(u.deg), lat.to_value(u.deg), atol=1e-8)
    with pytest.raises(TypeError, match="AltAz"):
        af.telescope_to_altaz(0 * u.deg, 0 * u.deg, icrs)
    with pytest.raises(TypeError, match="AltAz"):
        af.telescope_to_altaz(0 * u.deg, 0 * u.deg, AltAz())


def test_wrappers_ground():
    pointing = SkyCoord(alt=60 * u.deg, az=30 * u.deg, frame=AltAz())
    x, y, z = [100.0, -50.0] * u.m, [20.0, 3.0] * u.m, [0.0, 0.01] * u.km
    xt, yt, zt = af.ground_to_tilted_coords(x, y, z, pointing)
    expected = c.ground_to_tilted(x.value, y.value, z.to_value(u.m), 60.0, 30.0)
    for got, exp in zip((xt, yt, zt), expected):
        assert got.unit == u.m
        np.testing.assert_array_equal(got.value, exp)
    x2, y2, z2 = af.tilted_to_ground_coords(xt, yt, zt, pointing)
    np.testing.assert_allclose(z2.to_value(u.m), [0.0, 10.0], atol=1e-12)
    px, py = af.project_to_ground_coords(xt, yt, pointing)
    np.testing.assert_array_equal(px.to_value(u.m), c.project_to_ground(xt.value, yt.value, 60.0, 30.0)[0])
