"""Cherenkov light of shower emitters at the telescopes: photon densities and photoelectrons.

For every (emitter, telescope) pair the expected number of photons on the mirror is

    N_mirror = N_emitted · T(path) · ∫_mirror f(ψ) dΩ

with ``T`` the atmospheric transmission along the straight path (vertical optical depth
times airmass) and ``f`` the emitter's angular photon density per steradian around its
particle direction (a ring of radius θ_c convolved with a 2-d Gaussian of width σ). The
mirror is a disc of area ``A`` perpendicular to the optical axis, seen from the emitter
as a disc of solid angle ``A cos χ / d²``. For distant emitters (disc small compared with
σ) the integral is ``f(ψ) A cos χ / d²`` (with σ widened by the disc size); for near
emitters (muons close to the telescope) the ring ∩ disc overlap is integrated
numerically, which gives complete muon rings for muons hitting the mirror.

Photoelectrons are Poisson distributed with mean ``N_mirror × efficiency``; each one gets
the direction of its photon (far: from a uniformly sampled mirror point to the emission
point; near: a direction on the Cherenkov cone that hits the mirror) converted to the
telescope frame (fov_lon, fov_lat), and the arrival time ``t_emit + L n̄ / c`` with ``n̄``
the path-mean refractive index (phase index; the group-index correction of a few % of
``n − 1`` is neglected). All telescopes point in the same direction (parallel pointing).
Details and sources: ``docs/simulation.md``.
"""
import math
from dataclasses import dataclass

import numpy as np

from ..coordinates import altaz_to_direction
from ..errors import ConfigurationError
from ._light_kernels import photoelectron_kernel, photon_density_kernel

__all__ = ["Photoelectrons", "photoelectrons_at_telescopes", "photon_density_at"]


@dataclass(frozen=True, eq=False)
class Photoelectrons:
    """Photoelectrons of one shower at all telescopes, stored CSR-by-telescope.

    Photoelectron ``k`` of telescope ``j`` (index in the input arrays) is at
    ``indptr[j] <= k < indptr[j + 1]``.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_tels + 1,)
        Offsets of each telescope's photoelectrons.
    fov_lon_deg, fov_lat_deg : ndarray, shape (n_pe,)
        Direction the photon arrived from, telescope frame, deg.
    t_ns : ndarray, shape (n_pe,)
        Arrival time at the mirror, ns (same origin as the emitter times: primary at the
        core moving at c).
    n_photons_expected : ndarray, shape (n_tels,)
        Expected number of photons hitting each mirror (before the efficiency and the
        field-of-view cut), for validation.
    """

    indptr: np.ndarray
    fov_lon_deg: np.ndarray
    fov_lat_deg: np.ndarray
    t_ns: np.ndarray
    n_photons_expected: np.ndarray

    @property
    def n_tels(self):
        """Number of telescopes."""
        return self.indptr.size - 1

    @property
    def n_pe(self):
        """Photoelectrons per telescope, shape (n_tels,)."""
        return np.diff(self.indptr)

    def telescope(self, index):
        """``(fov_lon_deg, fov_lat_deg, t_ns)`` views of telescope ``index`` (position in the input)."""
        sl = slice(self.indptr[index], self.indptr[index + 1])
        return self.fov_lon_deg[sl], self.fov_lat_deg[sl], self.t_ns[sl]


def _per_telescope(value, n_tels, name):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n_tels, float(arr))
    if arr.shape != (n_tels,):
        raise ConfigurationError(f"{name} must have shape ({n_tels},), got {arr.shape}")
    if np.any(~np.isfinite(arr)):
        raise ConfigurationError(f"{name} must be finite")
    return np.ascontiguousarray(arr)


def _emitter_path_terms(emitters, atmosphere):
    """Vertical optical depth and path-mean ``n − 1`` from each emitter down to the ground."""
    h_obs = atmosphere.observation_level_m
    h = emitters.z + h_obs
    tau = np.ascontiguousarray(atmosphere.vertical_optical_depth(h), dtype=np.float64)
    refr = np.ascontiguousarray(atmosphere.mean_refractivity(h, h_obs), dtype=np.float64)
    return tau, refr


def photoelectrons_at_telescopes(emitters, core_x_m, core_y_m, tel_positions_m, mirror_area_m2,
                                 efficiency, pointing_alt_deg, pointing_az_deg, atmosphere, rng,
                                 max_fov_deg):
    """Sample the photoelectrons of one shower in every telescope.

    Parameters
    ----------
    emitters : iactpipe.simulation.showers.Emitters
        Shower emitters, core at the origin.
    core_x_m, core_y_m : float
        Core position on the ground, m (ground frame, x North, y West).
    tel_positions_m : array_like, shape (n_tels, 3)
        Telescope (mirror centre) positions, m, ground frame, z above the observation level.
    mirror_area_m2 : array_like, shape (n_tels,)
        Mirror area, m² (the mirror is a disc of that area perpendicular to the optical axis).
    efficiency : array_like, shape (n_tels,)
        Probability that a photon (300–600 nm) hitting the mirror becomes a photoelectron.
    pointing_alt_deg, pointing_az_deg : float
        Common pointing of all telescopes, deg.
    atmosphere : iactpipe.simulation.atmosphere.Atmosphere
        Atmosphere (extinction, refractive index).
    rng : numpy.random.Generator
        Random generator (draws one 64-bit seed for the kernel's stream).
    max_fov_deg : array_like, shape (n_tels,)
        Field-of-view **radius** (angular distance from the optical axis), deg: photons
        arriving further off-axis are dropped.

    Returns
    -------
    Photoelectrons
    """
    tel = np.asarray(tel_positions_m, dtype=np.float64)
    if tel.ndim != 2 or tel.shape[1] != 3:
        raise ConfigurationError(f"tel_positions_m must have shape (n_tels, 3), got {tel.shape}")
    n_tels = tel.shape[0]
    area = _per_telescope(mirror_area_m2, n_tels, "mirror_area_m2")
    eff = _per_telescope(efficiency, n_tels, "efficiency")
    fov = _per_telescope(max_fov_deg, n_tels, "max_fov_deg")
    if np.any(area < 0) or np.any(eff < 0) or np.any(eff > 1) or np.any(fov <= 0):
        raise ConfigurationError("need mirror_area_m2 >= 0, 0 <= efficiency <= 1, max_fov_deg > 0")
    if not (0.0 < pointing_alt_deg <= 90.0):
        raise ConfigurationError(f"pointing altitude must be in (0, 90] deg, got {pointing_alt_deg}")
    pointing = np.ascontiguousarray(altaz_to_direction(pointing_alt_deg, pointing_az_deg), dtype=np.float64)
    tx = np.ascontiguousarray(tel[:, 0] - float(core_x_m))
    ty = np.ascontiguousarray(tel[:, 1] - float(core_y_m))
    tz = np.ascontiguousarray(tel[:, 2])
    state = np.array([rng.integers(0, 2**63, dtype=np.uint64)], dtype=np.uint64)
    alt0, az0 = math.radians(pointing_alt_deg), math.radians(pointing_az_deg)
    if len(emitters) == 0:
        empty = np.zeros(0)
        return Photoelectrons(np.zeros(n_tels + 1, dtype=np.int64), empty, empty.copy(), empty.copy(),
                              np.zeros(n_tels))
    tau, refr = _emitter_path_terms(emitters, atmosphere)
    indptr, lon, lat, t, expected = photoelectron_kernel(
        emitters.x, emitters.y, emitters.z, emitters.ux, emitters.uy, emitters.uz,
        emitters.n_photons, emitters.theta_c_rad, emitters.sigma_theta_rad, emitters.t_ns,
        emitters.length_m, tau, refr, tx, ty, tz, area, eff, np.deg2rad(fov), pointing,
        math.cos(alt0), math.sin(alt0), math.cos(az0), math.sin(az0), state)
    return Photoelectrons(indptr=indptr, fov_lon_deg=np.rad2deg(lon), fov_lat_deg=np.rad2deg(lat),
                          t_ns=t, n_photons_expected=expected)


def photon_density_at(emitters, points_xy_m, atmosphere):
    """Expected Cherenkov photon density on the ground (photons/m², 300–600 nm, after extinction).

    Point-detector limit of `photoelectrons_at_telescopes` (horizontal unit area at the
    observation level, no efficiency), used to validate the light pool.

    Parameters
    ----------
    emitters : iactpipe.simulation.showers.Emitters
        Shower emitters, core at the origin.
    points_xy_m : array_like, shape (n_points, 2)
        Ground points relative to the core, m.
    atmosphere : iactpipe.simulation.atmosphere.Atmosphere
        Atmosphere.

    Returns
    -------
    ndarray, shape (n_points,)
        Photons per m².
    """
    pts = np.asarray(points_xy_m, dtype=np.float64).reshape(-1, 2)
    if len(emitters) == 0:
        return np.zeros(pts.shape[0])
    tau, _ = _emitter_path_terms(emitters, atmosphere)
    return photon_density_kernel(
        emitters.x, emitters.y, emitters.z, emitters.ux, emitters.uy, emitters.uz,
        emitters.n_photons, emitters.theta_c_rad, emitters.sigma_theta_rad, tau,
        np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1]))
