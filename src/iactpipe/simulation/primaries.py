"""Drawing primaries: energies, arrival directions and core positions of thrown showers.

Conventions follow sim_telarray/CORSIKA so that event weighting downstream works the same
way for our runs and for real productions:

* energies from a power law dN/dE ∝ E^index between E_min and E_max;
* arrival directions either fixed (point-like source, possibly offset from the pointing)
  or uniform in solid angle inside a view cone of radii [r_min, r_max] around the pointing;
* core positions uniform in area in a disk (or annulus) of radii [r_min, r_max]; the disk
  lies either in the plane perpendicular to the shower axis ("tilted", the default: then
  the thrown area pi r_max^2 is the area presented to the shower at any zenith angle,
  which is what effective-area calculations assume) or on the ground ("ground"). The
  core that is stored (``true_core_x/y``) is always the intersection of the shower axis
  with the ground plane z = 0, as in ctapipe.
"""
import numpy as np

from ..coordinates import project_to_ground
from ..errors import ConfigurationError

__all__ = [
    "sample_power_law",
    "sample_directions",
    "sample_cores",
    "offset_direction",
]


def sample_power_law(rng, n, e_min, e_max, index):
    """Draw ``n`` energies from dN/dE ∝ E^index on [e_min, e_max].

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    e_min, e_max : float
        Energy range, any unit (TeV in iactpipe); 0 < e_min < e_max.
    index : float
        Spectral index (negative for falling spectra, e.g. -2.0).

    Returns
    -------
    ndarray of shape (n,)
    """
    if not 0 < e_min < e_max:
        raise ConfigurationError(f"energy range must satisfy 0 < E_min < E_max, got [{e_min}, {e_max}]")
    u = rng.random(n)
    if np.isclose(index, -1.0):
        return e_min * (e_max / e_min) ** u
    g = index + 1.0
    return (e_min**g + u * (e_max**g - e_min**g)) ** (1.0 / g)


def offset_direction(pointing_alt_deg, pointing_az_deg, offset_deg, position_angle_deg):
    """Direction at angular distance ``offset_deg`` from the pointing, at a position angle.

    The position angle is measured from the direction of increasing altitude (0) towards
    increasing azimuth (90), in the telescope frame (fov_lat, fov_lon).

    Returns
    -------
    alt_deg, az_deg : ndarray
    """
    from ..coordinates import telescope_to_horizontal

    offset = np.deg2rad(np.asarray(offset_deg, float))
    angle = np.deg2rad(np.asarray(position_angle_deg, float))
    # a great-circle offset in the telescope frame: the spherical point at (lon, lat) with
    # cos(offset) = cos(lat) cos(lon) and the right position angle
    fov_lat = np.rad2deg(np.arcsin(np.sin(offset) * np.cos(angle)))
    fov_lon = np.rad2deg(np.arctan2(np.sin(offset) * np.sin(angle), np.cos(offset)))
    return telescope_to_horizontal(fov_lon, fov_lat, pointing_alt_deg, pointing_az_deg)


def sample_directions(rng, n, pointing_alt_deg, pointing_az_deg, viewcone_min_deg=0.0, viewcone_max_deg=0.0,
                      source_offset_deg=0.0):
    """Arrival directions of ``n`` showers.

    With ``viewcone_max_deg == 0`` all showers come from one point: the pointing moved by
    ``source_offset_deg`` towards higher altitude (a point-like source at a fixed offset,
    as in "wobble" observations). Otherwise directions are uniform in solid angle in the
    cone ring between ``viewcone_min_deg`` and ``viewcone_max_deg`` around the pointing.

    Returns
    -------
    alt_deg, az_deg : ndarray of shape (n,)
    """
    if viewcone_max_deg <= 0:
        alt, az = offset_direction(pointing_alt_deg, pointing_az_deg, source_offset_deg, 0.0)
        return np.full(n, float(alt)), np.full(n, float(az))
    if not 0 <= viewcone_min_deg < viewcone_max_deg <= 90:
        raise ConfigurationError(f"view cone must satisfy 0 <= min < max <= 90 deg, got "
                                 f"[{viewcone_min_deg}, {viewcone_max_deg}]")
    cos_min, cos_max = np.cos(np.deg2rad(viewcone_min_deg)), np.cos(np.deg2rad(viewcone_max_deg))
    # uniform in solid angle: cos(theta) uniform between the cone limits
    theta = np.rad2deg(np.arccos(cos_min + rng.random(n) * (cos_max - cos_min)))
    phi = rng.uniform(0.0, 360.0, n)
    return offset_direction(pointing_alt_deg, pointing_az_deg, theta, phi)


def sample_cores(rng, n, alt_deg, az_deg, r_min_m, r_max_m, plane="tilted"):
    """Core positions on the ground for showers arriving from (alt, az).

    Radii are uniform in area between ``r_min_m`` and ``r_max_m``. For ``plane="tilted"``
    the disk lies in the plane perpendicular to each shower's axis and the point is
    projected along the axis onto the ground; for ``plane="ground"`` the disk lies on the
    ground directly.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    alt_deg, az_deg : float or ndarray of shape (n,)
        Shower arrival directions.
    r_min_m, r_max_m : float
        Scatter radii, m.
    plane : {"tilted", "ground"}

    Returns
    -------
    core_x_m, core_y_m : ndarray of shape (n,)
        Ground-frame core positions (x North, y West), m.
    radius_m : ndarray of shape (n,)
        Distance of each core from the array centre in the scatter plane, m (the quantity
        the thrown-shower histogram and ``max_scatter_range`` refer to).
    """
    if not 0 <= r_min_m < r_max_m:
        raise ConfigurationError(f"scatter radii must satisfy 0 <= r_min < r_max, got [{r_min_m}, {r_max_m}]")
    radius = np.sqrt(r_min_m**2 + rng.random(n) * (r_max_m**2 - r_min_m**2))
    phi = rng.uniform(0.0, 2 * np.pi, n)
    u, v = radius * np.cos(phi), radius * np.sin(phi)
    if plane == "ground":
        return u, v, radius
    if plane != "tilted":
        raise ConfigurationError(f"core scatter plane must be 'tilted' or 'ground', got {plane!r}")
    x, y = project_to_ground(u, v, np.broadcast_to(alt_deg, (n,)), np.broadcast_to(az_deg, (n,)))
    return x, y, radius
