"""Thin astropy wrappers around `iactpipe.coordinates.frames`.

For users who hold ``Quantity`` and ``SkyCoord`` objects: units are converted with
``Quantity.to_value`` (so wrong units raise ``UnitConversionError``), the plain-array
functions do the work, and the results are wrapped again. The nominal frame is the
telescope frame of the array pointing, so `telescope_to_altaz` and `altaz_to_telescope`
serve both. This module imports astropy and is therefore not imported by
`iactpipe.coordinates`.
"""
import astropy.units as u
from astropy.coordinates import AltAz, SkyCoord, UnitSphericalRepresentation

from . import frames

__all__ = [
    "camera_to_telescope_coords",
    "telescope_to_camera_coords",
    "telescope_to_altaz",
    "altaz_to_telescope",
    "ground_to_tilted_coords",
    "tilted_to_ground_coords",
    "project_to_ground_coords",
]


def _altaz_frame(pointing):
    """The AltAz frame (with data) of a pointing given as ``SkyCoord`` or ``AltAz``."""
    frame = getattr(pointing, "frame", pointing)
    if not isinstance(frame, AltAz) or not frame.has_data:
        raise TypeError(f"pointing must be an AltAz SkyCoord or AltAz coordinate, got {pointing!r}")
    return frame


def _alt_az_deg(pointing):
    frame = _altaz_frame(pointing)
    return frame.alt.to_value(u.deg), frame.az.to_value(u.deg)


def camera_to_telescope_coords(x, y, focal_length, rotation=0 * u.deg):
    """Camera-frame positions to telescope-frame offsets (see `frames.camera_to_telescope`).

    Parameters
    ----------
    x, y : Quantity[length]
        Position in the camera frame.
    focal_length : Quantity[length]
        Focal length.
    rotation : Quantity[angle], optional
        Camera rotation.

    Returns
    -------
    fov_lon, fov_lat : Quantity[deg]
    """
    fov_lon, fov_lat = frames.camera_to_telescope(
        x.to_value(u.m), y.to_value(u.m), focal_length.to_value(u.m), rotation.to_value(u.deg))
    return u.Quantity(fov_lon, u.deg), u.Quantity(fov_lat, u.deg)


def telescope_to_camera_coords(fov_lon, fov_lat, focal_length, rotation=0 * u.deg):
    """Telescope-frame offsets to camera-frame positions (see `frames.telescope_to_camera`).

    Parameters
    ----------
    fov_lon, fov_lat : Quantity[angle]
        Offsets in the telescope frame.
    focal_length : Quantity[length]
        Focal length.
    rotation : Quantity[angle], optional
        Camera rotation.

    Returns
    -------
    x, y : Quantity[m]
    """
    x, y = frames.telescope_to_camera(
        fov_lon.to_value(u.deg), fov_lat.to_value(u.deg), focal_length.to_value(u.m),
        rotation.to_value(u.deg))
    return u.Quantity(x, u.m), u.Quantity(y, u.m)


def telescope_to_altaz(fov_lon, fov_lat, pointing):
    """Telescope- (or nominal-) frame offsets to an AltAz ``SkyCoord``.

    Parameters
    ----------
    fov_lon, fov_lat : Quantity[angle]
        Offsets around ``pointing``.
    pointing : SkyCoord or AltAz
        Telescope (or array) pointing in AltAz. Its frame attributes (``obstime``,
        ``location``, ...) are copied to the result.

    Returns
    -------
    SkyCoord
        The directions in the AltAz frame of ``pointing``.
    """
    frame = _altaz_frame(pointing)
    alt, az = frames.telescope_to_horizontal(
        fov_lon.to_value(u.deg), fov_lat.to_value(u.deg), *_alt_az_deg(frame))
    data = UnitSphericalRepresentation(lon=u.Quantity(az, u.deg), lat=u.Quantity(alt, u.deg))
    return SkyCoord(frame.realize_frame(data))


def altaz_to_telescope(coord, pointing):
    """AltAz directions to telescope- (or nominal-) frame offsets around ``pointing``.

    Parameters
    ----------
    coord : SkyCoord
        Directions; transformed to the AltAz frame of ``pointing`` first if they are in
        another frame (which then needs ``obstime`` and ``location``).
    pointing : SkyCoord or AltAz
        Telescope (or array) pointing in AltAz.

    Returns
    -------
    fov_lon, fov_lat : Quantity[deg]
    """
    frame = _altaz_frame(pointing)
    if not isinstance(getattr(coord, "frame", coord), AltAz):
        coord = coord.transform_to(frame.replicate_without_data())
    fov_lon, fov_lat = frames.horizontal_to_telescope(
        coord.alt.to_value(u.deg), coord.az.to_value(u.deg), *_alt_az_deg(frame))
    return u.Quantity(fov_lon, u.deg), u.Quantity(fov_lat, u.deg)


def ground_to_tilted_coords(x, y, z, pointing):
    """Ground-frame positions to the tilted ground frame (see `frames.ground_to_tilted`).

    Parameters
    ----------
    x, y, z : Quantity[length]
        Position in the ground frame (x North, y West, z up).
    pointing : SkyCoord or AltAz
        Direction defining the tilted frame.

    Returns
    -------
    x_t, y_t, z_t : Quantity[m]
    """
    result = frames.ground_to_tilted(
        x.to_value(u.m), y.to_value(u.m), z.to_value(u.m), *_alt_az_deg(pointing))
    return tuple(u.Quantity(c, u.m) for c in result)


def tilted_to_ground_coords(x_t, y_t, z_t, pointing):
    """Tilted-ground-frame positions to the ground frame (see `frames.tilted_to_ground`).

    Parameters
    ----------
    x_t, y_t, z_t : Quantity[length]
        Position in the tilted ground frame.
    pointing : SkyCoord or AltAz
        Direction defining the tilted frame.

    Returns
    -------
    x, y, z : Quantity[m]
    """
    result = frames.tilted_to_ground(
        x_t.to_value(u.m), y_t.to_value(u.m), z_t.to_value(u.m), *_alt_az_deg(pointing))
    return tuple(u.Quantity(c, u.m) for c in result)


def project_to_ground_coords(x_t, y_t, pointing):
    """Project tilted-frame positions onto the ground along ``pointing``.

    See `frames.project_to_ground`.

    Parameters
    ----------
    x_t, y_t : Quantity[length]
        Position in the tilted ground frame.
    pointing : SkyCoord or AltAz
        Direction defining the tilted frame (above the horizon).

    Returns
    -------
    x, y : Quantity[m]
        Position on the ground plane z = 0.
    """
    x, y = frames.project_to_ground(x_t.to_value(u.m), y_t.to_value(u.m), *_alt_az_deg(pointing))
    return u.Quantity(x, u.m), u.Quantity(y, u.m)
