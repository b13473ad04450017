"""Coordinate-frame transformations as vectorised numpy functions on plain float arrays.

All angles are in degrees, all lengths in metres. Every function accepts scalars or
arrays, broadcasts its arguments against each other like a numpy ufunc, computes in
float64 and returns float64 (numpy scalars for scalar input). Conventions follow
ctapipe's frames so that numbers agree with it:

camera frame
    ``x, y`` (m) in the focal plane; ``x`` points to increasing altitude ("up" in the
    sky, North for a telescope parked at the horizon facing North) and ``y`` to
    decreasing azimuth (West in the same parking position).
telescope frame
    ``fov_lon, fov_lat`` (deg): a spherical offset frame centred on the telescope
    pointing; ``fov_lat`` grows with altitude, ``fov_lon`` with azimuth.
    Camera and telescope frames are related by the *linear* (equidistant) mapping
    ``fov_lat = x / f``, ``fov_lon = y / f`` (radians), not by an arctan.
nominal frame
    The same spherical offset frame, centred on the common array pointing.
horizontal frame
    ``alt, az`` (deg) as in ``astropy.coordinates.AltAz``: azimuth from North (0) to
    East (90), returned in ``[0, 360)``.
ground frame
    ``x`` North, ``y`` West, ``z`` up (m), right-handed (CORSIKA / sim_telarray).
tilted ground frame
    The ground frame rotated so that ``z_t`` is along the pointing direction; ``x_t, y_t``
    span the plane perpendicular to it.

The sky rotations use ``atan2`` everywhere (never ``arcsin``/``arccos``), so they stay
accurate at and near the zenith and across the azimuth wrap.
"""
import numpy as np

__all__ = [
    "camera_to_telescope",
    "telescope_to_camera",
    "telescope_to_horizontal",
    "horizontal_to_telescope",
    "nominal_to_horizontal",
    "horizontal_to_nominal",
    "telescope_to_nominal",
    "nominal_to_telescope",
    "ground_to_tilted",
    "tilted_to_ground",
    "project_to_ground",
    "altaz_to_direction",
    "direction_to_altaz",
    "angular_separation",
]


def _f64(*values):
    """Convert inputs to float64 arrays (no copy if already float64)."""
    return tuple(np.asarray(v, dtype=np.float64) for v in values)


def _sincos_deg(angle_deg):
    rad = np.deg2rad(angle_deg)
    return np.sin(rad), np.cos(rad)


def _wrap_360(angle_deg):
    """Wrap to ``[0, 360)``.

    ``np.mod`` of a tiny negative number rounds up to exactly 360, hence the fix-up.
    """
    wrapped = np.mod(angle_deg, 360.0)
    return wrapped - 360.0 * (wrapped >= 360.0)


def _wrap_180(angle_deg):
    """Map the ``atan2`` range ``[-180, 180]`` to ``[-180, 180)`` like ctapipe's frames."""
    return angle_deg - 360.0 * (angle_deg >= 180.0)


def _atan2_deg(y, x):
    return np.rad2deg(np.arctan2(y, x))


# --------------------------------------------------------------------------------------
# camera <-> telescope
# --------------------------------------------------------------------------------------
def _check_focal_length(focal_length_m):
    if np.any(~(focal_length_m > 0)):
        raise ValueError(f"focal length must be positive and finite, got {focal_length_m}")


def camera_to_telescope(x_m, y_m, focal_length_m, rotation_deg=0.0):
    """Camera-frame positions to telescope-frame field-of-view offsets.

    Uses the linear (equidistant) mapping of ctapipe's ``CameraFrame``: the offset angle
    in radians is the focal-plane distance divided by the focal length. Camera ``x``
    maps to ``fov_lat`` and camera ``y`` to ``fov_lon``, both with a plus sign.

    Parameters
    ----------
    x_m, y_m : array_like
        Position in the camera frame, m.
    focal_length_m : array_like
        Focal length (effective or equivalent), m; must be positive.
    rotation_deg : array_like, optional
        Camera rotation, deg: ``(x, y)`` is first turned counter-clockwise by this
        angle, as ctapipe's ``CameraFrame.rotation`` does. Default 0.

    Returns
    -------
    fov_lon_deg, fov_lat_deg : ndarray
        Offsets in the telescope frame, deg. Not wrapped, so that the mapping stays
        invertible for any input.
    """
    x_m, y_m, focal_length_m, rotation_deg = _f64(x_m, y_m, focal_length_m, rotation_deg)
    _check_focal_length(focal_length_m)
    sin_r, cos_r = _sincos_deg(rotation_deg)
    x_rot = x_m * cos_r - y_m * sin_r
    y_rot = x_m * sin_r + y_m * cos_r
    return np.rad2deg(y_rot / focal_length_m), np.rad2deg(x_rot / focal_length_m)


def telescope_to_camera(fov_lon_deg, fov_lat_deg, focal_length_m, rotation_deg=0.0):
    """Telescope-frame field-of-view offsets to camera-frame positions.

    Exact inverse of `camera_to_telescope` (linear mapping, ``x = f fov_lat``,
    ``y = f fov_lon`` with the angles in radians).

    Parameters
    ----------
    fov_lon_deg, fov_lat_deg : array_like
        Offsets in the telescope frame, deg.
    focal_length_m : array_like
        Focal length, m; must be positive.
    rotation_deg : array_like, optional
        Camera rotation, deg (see `camera_to_telescope`). Default 0.

    Returns
    -------
    x_m, y_m : ndarray
        Position in the camera frame, m.
    """
    fov_lon_deg, fov_lat_deg, focal_length_m, rotation_deg = _f64(
        fov_lon_deg, fov_lat_deg, focal_length_m, rotation_deg)
    _check_focal_length(focal_length_m)
    x_rot = np.deg2rad(fov_lat_deg) * focal_length_m
    y_rot = np.deg2rad(fov_lon_deg) * focal_length_m
    # undo the rotation: turn clockwise by rotation_deg
    sin_r, cos_r = _sincos_deg(rotation_deg)
    return x_rot * cos_r + y_rot * sin_r, -x_rot * sin_r + y_rot * cos_r


# --------------------------------------------------------------------------------------
# spherical offset frames (telescope, nominal) <-> horizontal
# --------------------------------------------------------------------------------------
def _horizontal_to_offset(alt_deg, az_deg, origin_alt_deg, origin_az_deg):
    """Rotate alt/az into the spherical offset frame whose (0, 0) is the origin.

    Two rotations of the unit vector: about the vertical by the origin azimuth, then
    about the new "sideways" axis by the origin altitude. Working with the azimuth
    difference keeps the 0/360 wrap harmless (sin/cos are periodic).
    """
    alt_deg, az_deg, origin_alt_deg, origin_az_deg = _f64(
        alt_deg, az_deg, origin_alt_deg, origin_az_deg)
    sin_alt, cos_alt = _sincos_deg(alt_deg)
    sin_daz, cos_daz = _sincos_deg(az_deg - origin_az_deg)
    sin_a0, cos_a0 = _sincos_deg(origin_alt_deg)

    # vector after the azimuth rotation (origin now at az = 0)
    u = cos_alt * cos_daz
    v = cos_alt * sin_daz
    # altitude rotation: origin moves to the x axis
    x = cos_a0 * u + sin_a0 * sin_alt
    z = cos_a0 * sin_alt - sin_a0 * u

    fov_lon = _wrap_180(_atan2_deg(v, x))
    fov_lat = _atan2_deg(z, np.hypot(x, v))
    return fov_lon, fov_lat


def _offset_to_horizontal(fov_lon_deg, fov_lat_deg, origin_alt_deg, origin_az_deg):
    """Inverse (transposed) rotation of `_horizontal_to_offset`."""
    fov_lon_deg, fov_lat_deg, origin_alt_deg, origin_az_deg = _f64(
        fov_lon_deg, fov_lat_deg, origin_alt_deg, origin_az_deg)
    sin_lat, cos_lat = _sincos_deg(fov_lat_deg)
    sin_lon, cos_lon = _sincos_deg(fov_lon_deg)
    sin_a0, cos_a0 = _sincos_deg(origin_alt_deg)

    x = cos_lat * cos_lon
    v = cos_lat * sin_lon
    u = cos_a0 * x - sin_a0 * sin_lat
    w = sin_a0 * x + cos_a0 * sin_lat

    alt = _atan2_deg(w, np.hypot(u, v))
    az = _wrap_360(origin_az_deg + _atan2_deg(v, u))
    return alt, az


def horizontal_to_telescope(alt_deg, az_deg, pointing_alt_deg, pointing_az_deg):
    """Horizontal (alt/az) directions to telescope-frame offsets.

    Same rotation as astropy's ``SkyOffsetFrame`` with origin ``AltAz(pointing)`` and
    ctapipe's ``TelescopeFrame``.

    Parameters
    ----------
    alt_deg, az_deg : array_like
        Directions in the horizontal frame, deg (az from North towards East).
    pointing_alt_deg, pointing_az_deg : array_like
        Telescope pointing, deg.

    Returns
    -------
    fov_lon_deg, fov_lat_deg : ndarray
        Offsets in the telescope frame, deg; ``fov_lon`` in ``[-180, 180)``,
        ``fov_lat`` in ``[-90, 90]``.
    """
    return _horizontal_to_offset(alt_deg, az_deg, pointing_alt_deg, pointing_az_deg)


def telescope_to_horizontal(fov_lon_deg, fov_lat_deg, pointing_alt_deg, pointing_az_deg):
    """Telescope-frame offsets to horizontal (alt/az) directions.

    Exact inverse of `horizontal_to_telescope`.

    Parameters
    ----------
    fov_lon_deg, fov_lat_deg : array_like
        Offsets in the telescope frame, deg.
    pointing_alt_deg, pointing_az_deg : array_like
        Telescope pointing, deg.

    Returns
    -------
    alt_deg, az_deg : ndarray
        Directions in the horizontal frame, deg; ``az`` in ``[0, 360)``. The azimuth of a
        direction exactly at the zenith is undefined and returned as whatever the
        rounding gives.
    """
    return _offset_to_horizontal(fov_lon_deg, fov_lat_deg, pointing_alt_deg, pointing_az_deg)


def horizontal_to_nominal(alt_deg, az_deg, array_pointing_alt_deg, array_pointing_az_deg):
    """Horizontal (alt/az) directions to nominal-frame offsets.

    The nominal frame is the telescope frame of the array pointing (ctapipe's
    ``NominalFrame`` with ``origin`` = array pointing).

    Parameters
    ----------
    alt_deg, az_deg : array_like
        Directions in the horizontal frame, deg.
    array_pointing_alt_deg, array_pointing_az_deg : array_like
        Array (nominal) pointing, deg.

    Returns
    -------
    fov_lon_deg, fov_lat_deg : ndarray
        Offsets in the nominal frame, deg; ``fov_lon`` in ``[-180, 180)``.
    """
    return _horizontal_to_offset(alt_deg, az_deg, array_pointing_alt_deg, array_pointing_az_deg)


def nominal_to_horizontal(fov_lon_deg, fov_lat_deg, array_pointing_alt_deg, array_pointing_az_deg):
    """Nominal-frame offsets to horizontal (alt/az) directions.

    Parameters
    ----------
    fov_lon_deg, fov_lat_deg : array_like
        Offsets in the nominal frame, deg.
    array_pointing_alt_deg, array_pointing_az_deg : array_like
        Array (nominal) pointing, deg.

    Returns
    -------
    alt_deg, az_deg : ndarray
        Directions in the horizontal frame, deg; ``az`` in ``[0, 360)``.
    """
    return _offset_to_horizontal(fov_lon_deg, fov_lat_deg,
                                 array_pointing_alt_deg, array_pointing_az_deg)


def telescope_to_nominal(fov_lon_deg, fov_lat_deg, pointing_alt_deg, pointing_az_deg,
                         array_pointing_alt_deg, array_pointing_az_deg):
    """Telescope-frame offsets to nominal-frame offsets (through the horizontal frame).

    Parameters
    ----------
    fov_lon_deg, fov_lat_deg : array_like
        Offsets in the telescope frame, deg.
    pointing_alt_deg, pointing_az_deg : array_like
        Telescope pointing, deg.
    array_pointing_alt_deg, array_pointing_az_deg : array_like
        Array (nominal) pointing, deg.

    Returns
    -------
    fov_lon_deg, fov_lat_deg : ndarray
        Offsets in the nominal frame, deg.
    """
    alt, az = _offset_to_horizontal(fov_lon_deg, fov_lat_deg, pointing_alt_deg, pointing_az_deg)
    return _horizontal_to_offset(alt, az, array_pointing_alt_deg, array_pointing_az_deg)


def nominal_to_telescope(fov_lon_deg, fov_lat_deg, array_pointing_alt_deg, array_pointing_az_deg,
                         pointing_alt_deg, pointing_az_deg):
    """Nominal-frame offsets to telescope-frame offsets (through the horizontal frame).

    Parameters
    ----------
    fov_lon_deg, fov_lat_deg : array_like
        Offsets in the nominal frame, deg.
    array_pointing_alt_deg, array_pointing_az_deg : array_like
        Array (nominal) pointing, deg.
    pointing_alt_deg, pointing_az_deg : array_like
        Telescope pointing, deg.

    Returns
    -------
    fov_lon_deg, fov_lat_deg : ndarray
        Offsets in the telescope frame, deg.
    """
    alt, az = _offset_to_horizontal(fov_lon_deg, fov_lat_deg,
                                    array_pointing_alt_deg, array_pointing_az_deg)
    return _horizontal_to_offset(alt, az, pointing_alt_deg, pointing_az_deg)


# --------------------------------------------------------------------------------------
# ground <-> tilted ground
# --------------------------------------------------------------------------------------
def _tilt_axes(pointing_alt_deg, pointing_az_deg):
    """Ground-frame components of the tilted-frame unit axes (ctapipe's convention).

    ``e_z`` is the pointing direction, ``e_y = (sin az, cos az, 0)`` is horizontal and
    ``e_x = e_y x e_z`` completes a right-handed set (it points down and "back" below the
    pointing). Returned as three tuples of arrays ``(e_x, e_y, e_z)``.
    """
    sin_alt, cos_alt = _sincos_deg(pointing_alt_deg)
    sin_az, cos_az = _sincos_deg(pointing_az_deg)
    e_x = (sin_alt * cos_az, -sin_alt * sin_az, -cos_alt)
    e_y = (sin_az, cos_az, 0.0)
    e_z = (cos_alt * cos_az, -cos_alt * sin_az, sin_alt)
    return e_x, e_y, e_z


def ground_to_tilted(x_m, y_m, z_m, pointing_alt_deg, pointing_az_deg):
    """Ground-frame positions to the tilted ground frame of a pointing direction.

    Same rotation as ctapipe's ``GroundFrame -> TiltedGroundFrame``.

    Parameters
    ----------
    x_m, y_m, z_m : array_like
        Position in the ground frame (x North, y West, z up), m.
    pointing_alt_deg, pointing_az_deg : array_like
        Direction defining the tilted frame (telescope pointing or shower direction), deg.

    Returns
    -------
    x_t_m, y_t_m, z_t_m : ndarray
        Position in the tilted ground frame, m; ``z_t`` is the distance along the
        pointing direction.
    """
    x_m, y_m, z_m, pointing_alt_deg, pointing_az_deg = _f64(
        x_m, y_m, z_m, pointing_alt_deg, pointing_az_deg)
    axes = _tilt_axes(pointing_alt_deg, pointing_az_deg)
    # tilted component = projection on the tilted axis
    return tuple(e[0] * x_m + e[1] * y_m + e[2] * z_m for e in axes)


def tilted_to_ground(x_t_m, y_t_m, z_t_m, pointing_alt_deg, pointing_az_deg):
    """Tilted-ground-frame positions back to the ground frame (inverse of `ground_to_tilted`).

    Parameters
    ----------
    x_t_m, y_t_m, z_t_m : array_like
        Position in the tilted ground frame, m.
    pointing_alt_deg, pointing_az_deg : array_like
        Direction defining the tilted frame, deg.

    Returns
    -------
    x_m, y_m, z_m : ndarray
        Position in the ground frame (x North, y West, z up), m.
    """
    x_t_m, y_t_m, z_t_m, pointing_alt_deg, pointing_az_deg = _f64(
        x_t_m, y_t_m, z_t_m, pointing_alt_deg, pointing_az_deg)
    e_x, e_y, e_z = _tilt_axes(pointing_alt_deg, pointing_az_deg)
    # transpose of the rotation: sum of the tilted axes weighted by the components
    x = e_x[0] * x_t_m + e_y[0] * y_t_m + e_z[0] * z_t_m
    y = e_x[1] * x_t_m + e_y[1] * y_t_m + e_z[1] * z_t_m
    z = e_x[2] * x_t_m + z_t_m * e_z[2]  # e_y has no vertical component
    return x, y, z


def project_to_ground(x_t_m, y_t_m, pointing_alt_deg, pointing_az_deg):
    """Project tilted-frame positions along the pointing direction onto the ground (z = 0).

    Equivalent to ctapipe's ``project_to_ground``: the line through the tilted point
    parallel to the pointing direction is intersected with the ground plane. As that line
    is the tilted ``z_t`` axis direction, the result does not depend on ``z_t``, and it
    reduces to stretching ``x_t`` by ``1 / sin(alt)`` and rotating by the azimuth.

    Parameters
    ----------
    x_t_m, y_t_m : array_like
        Position in the tilted ground frame, m.
    pointing_alt_deg, pointing_az_deg : array_like
        Direction defining the tilted frame, deg. Must be above the horizon
        (``alt > 0``); at ``alt = 0`` the projection is infinite.

    Returns
    -------
    x_m, y_m : ndarray
        Position on the ground (z = 0) in the ground frame, m.
    """
    x_t_m, y_t_m, pointing_alt_deg, pointing_az_deg = _f64(
        x_t_m, y_t_m, pointing_alt_deg, pointing_az_deg)
    sin_alt = np.sin(np.deg2rad(pointing_alt_deg))
    sin_az, cos_az = _sincos_deg(pointing_az_deg)
    x_stretched = x_t_m / sin_alt
    return cos_az * x_stretched + sin_az * y_t_m, cos_az * y_t_m - sin_az * x_stretched


# --------------------------------------------------------------------------------------
# directions and separations
# --------------------------------------------------------------------------------------
def altaz_to_direction(alt_deg, az_deg):
    """Horizontal directions to unit vectors in the ground frame.

    Parameters
    ----------
    alt_deg, az_deg : array_like
        Directions in the horizontal frame, deg (az from North towards East).

    Returns
    -------
    ndarray, shape ``(..., 3)``
        Unit vectors ``(x, y, z)`` with x North, y West, z up (same as ctapipe's
        ``altaz_to_righthanded_cartesian``); they point *towards* the sky position.
    """
    alt_deg, az_deg = _f64(alt_deg, az_deg)
    sin_alt, cos_alt = _sincos_deg(alt_deg)
    sin_az, cos_az = _sincos_deg(az_deg)
    # West is negative East: hence the minus on y
    return np.stack(np.broadcast_arrays(cos_alt * cos_az, -cos_alt * sin_az, sin_alt), axis=-1)


def direction_to_altaz(vectors):
    """Ground-frame direction vectors to horizontal directions.

    Parameters
    ----------
    vectors : array_like, shape ``(..., 3)``
        Direction vectors ``(x, y, z)`` (x North, y West, z up); any non-zero length.

    Returns
    -------
    alt_deg, az_deg : ndarray
        Directions in the horizontal frame, deg; ``az`` in ``[0, 360)`` (0 for vertical
        vectors).
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.shape[-1:] != (3,):
        raise ValueError(f"expected vectors of shape (..., 3), got {vectors.shape}")
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    alt = _atan2_deg(z, np.hypot(x, y))
    az = _wrap_360(_atan2_deg(-y, x))
    return alt, az


def angular_separation(alt1_deg, az1_deg, alt2_deg, az2_deg):
    """Great-circle angle between two horizontal directions.

    Uses the Vincenty formula (``atan2`` of the cross- and dot-product magnitudes),
    which is accurate for all separations, unlike ``arccos`` near 0 and 180 deg.

    Parameters
    ----------
    alt1_deg, az1_deg, alt2_deg, az2_deg : array_like
        The two directions, deg. Works for any longitude/latitude pair, e.g. also
        ``(fov_lon, fov_lat)`` offsets given as ``(lat, lon) = (fov_lat, fov_lon)``.

    Returns
    -------
    ndarray
        Separation, deg, in ``[0, 180]``.
    """
    alt1_deg, az1_deg, alt2_deg, az2_deg = _f64(alt1_deg, az1_deg, alt2_deg, az2_deg)
    sin1, cos1 = _sincos_deg(alt1_deg)
    sin2, cos2 = _sincos_deg(alt2_deg)
    sin_d, cos_d = _sincos_deg(az2_deg - az1_deg)
    cross = np.hypot(cos2 * sin_d, cos1 * sin2 - sin1 * cos2 * cos_d)
    dot = sin1 * sin2 + cos1 * cos2 * cos_d
    return _atan2_deg(cross, dot)
