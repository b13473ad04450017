"""Atmosphere model: density, column depth, refractive index and extinction versus height.

All heights are **metres above sea level** (a.s.l.) unless a name says otherwise; depths
are vertical or slant column depths in g/cm²; densities in g/cm³. Every method is
vectorised over plain float arrays (scalars in, numpy scalars out).

Internally every profile is held on a fine height grid (20 m) as ``ln ρ`` and ``ln X``
and interpolated linearly in those logarithms, i.e. piecewise exponentially, which is
exact for exponential layers. Outside the grid both logarithms are extrapolated with the
end slopes, so `vertical_depth` and `height_at_vertical_depth` are exact inverses
everywhere.

The physics and the sources of every number are in ``docs/simulation.md`` (section
"Atmosphere"); in short:

* refractive index ``n = 1 + k ρ`` with ``k = 0.2311 cm³/g`` (REFERENCE.md §3.1);
* Cherenkov angle ``cos θ_c = 1 / (β n)``; threshold ``E_th = m c² / sqrt(1 − 1/n²)``
  (REFERENCE.md §3.3);
* extinction: Rayleigh optical depth proportional to the traversed column depth plus an
  exponential aerosol layer, scaled by the airmass ``1 / cos z`` of a flat atmosphere.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigurationError

__all__ = [
    "Atmosphere",
    "ELECTRON_MASS_MEV",
    "REFRACTIVITY_PER_DENSITY_CM3_G",
    "LA_PALMA_LAYERS",
]

ELECTRON_MASS_MEV = 0.51099895
"""Electron rest energy, MeV (CODATA 2018)."""

REFRACTIVITY_PER_DENSITY_CM3_G = 0.2311
"""``(n − 1) / ρ`` of air, cm³/g; REFERENCE.md §3.1 quotes 0.2308–0.2315 (prod6 table)."""

LA_PALMA_LAYERS = (
    # (h_low [cm], a [g/cm²], b [g/cm²], c [cm]); X(h) = a + b exp(-h/c), top layer a - b h/c
    (0.0, -164.338, 1209.068, 994186.4),
    (4.0e5, -133.710, 1178.336, 963373.4),
    (1.0e6, -1.2870, 1372.076, 636143.0),
    (2.5e6, -3.247e-5, 992.546, 683985.2),
    (1.16e7, 3.095e-4, 1.0, 3.877e10),
)
"""Five-layer (Linsley/CORSIKA style) fit of the prod6 La Palma winter atmosphere
(REFERENCE.md §3.1, stored in the prod6 sim_telarray file); top of atmosphere 120 km."""

_GRID_STEP_M = 20.0
# Rayleigh: sea-level vertical optical depth τ_R(λ) = 0.008569 λ⁻⁴ (1 + 0.0113 λ⁻² + 0.00013 λ⁻⁴)
# (λ in µm; Hansen & Travis 1974) averaged as a transmission over a 1/λ² Cherenkov spectrum in
# 300–600 nm gives an effective 0.43 for half a column (0.40–0.44 for 1/4…1 column);
# the sea-level column of that formula is 1033 g/cm².
_RAYLEIGH_TAU_PER_DEPTH = 0.43 / 1033.0
_AEROSOL_TAU0 = 0.2
_AEROSOL_SCALE_HEIGHT_M = 1200.0


def _f64(value):
    return np.asarray(value, dtype=np.float64)


def _interp_extrap(x, xp, fp):
    """Linear interpolation with linear extrapolation beyond both ends (xp increasing)."""
    x = _f64(x)
    out = np.interp(x, xp, fp)
    low = x < xp[0]
    if np.any(low):
        slope = (fp[1] - fp[0]) / (xp[1] - xp[0])
        out = np.where(low, fp[0] + slope * (x - xp[0]), out)
    high = x > xp[-1]
    if np.any(high):
        slope = (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
        out = np.where(high, fp[-1] + slope * (x - xp[-1]), out)
    return out


def _check_zenith(zenith_deg):
    zenith_deg = _f64(zenith_deg)
    if np.any(~np.isfinite(zenith_deg)) or np.any(zenith_deg < 0) or np.any(zenith_deg >= 90):
        raise ValueError("zenith angle must be in [0, 90) deg (flat-atmosphere airmass 1/cos z)")
    return zenith_deg


def _depth_from_density(heights_m, log_density):
    """Vertical column depth above each grid height, g/cm².

    Between grid nodes ``ln ρ`` is linear, so ρ is exponential with local scale height
    ``H = Δh / ln(ρ_i/ρ_{i+1})`` and the slab holds exactly ``(ρ_i − ρ_{i+1}) H``. Above
    the top node the profile continues with the last scale height (``ρ_top H``).
    """
    dh_cm = np.diff(heights_m) * 100.0
    rho = np.exp(log_density)
    dlog = log_density[:-1] - log_density[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        slab = np.where(np.abs(dlog) > 1e-12,
                        (rho[:-1] - rho[1:]) * dh_cm / np.where(dlog == 0, 1.0, dlog),
                        0.5 * (rho[:-1] + rho[1:]) * dh_cm)
    last_dlog = dlog[-1]
    if last_dlog <= 0:
        raise ConfigurationError("atmosphere density must decrease at the top of the table")
    top = rho[-1] * dh_cm[-1] / last_dlog
    depth = np.empty_like(rho)
    depth[-1] = top
    depth[:-1] = top + np.cumsum(slab[::-1])[::-1]
    return depth


@dataclass(frozen=True, eq=False)
class Atmosphere:
    """A horizontally stratified (flat) atmosphere.

    Build it with `Atmosphere.la_palma`, `Atmosphere.exponential` or
    `Atmosphere.tabulated` rather than directly.

    Attributes
    ----------
    observation_level_m : float
        Height of the observation level (array ground, ``z = 0`` of the ground frame),
        m a.s.l.
    heights_m : ndarray
        Strictly increasing height grid, m a.s.l.
    log_density : ndarray
        ``ln(ρ / (g cm⁻³))`` at ``heights_m``.
    log_depth : ndarray
        ``ln(X / (g cm⁻²))`` of the vertical column depth above ``heights_m``.
    refractivity_per_density_cm3_g : float
        ``k`` in ``n − 1 = k ρ``, cm³/g.
    rayleigh_tau_per_depth_cm2_g : float
        Effective Rayleigh optical depth per g/cm² of traversed column (300–600 nm).
    aerosol_optical_depth : float
        Vertical aerosol optical depth from sea level to space (300–600 nm, effective).
    aerosol_scale_height_m : float
        Scale height of the exponential aerosol extinction profile, m.
    name : str
        Free-text label.
    """

    observation_level_m: float
    heights_m: np.ndarray
    log_density: np.ndarray
    log_depth: np.ndarray
    refractivity_per_density_cm3_g: float = REFRACTIVITY_PER_DENSITY_CM3_G
    rayleigh_tau_per_depth_cm2_g: float = _RAYLEIGH_TAU_PER_DEPTH
    aerosol_optical_depth: float = _AEROSOL_TAU0
    aerosol_scale_height_m: float = _AEROSOL_SCALE_HEIGHT_M
    name: str = ""

    def __post_init__(self):
        heights = _f64(self.heights_m)
        log_density = _f64(self.log_density)
        log_depth = _f64(self.log_depth)
        if heights.ndim != 1 or heights.size < 2:
            raise ConfigurationError("atmosphere needs at least two heights")
        if log_density.shape != heights.shape or log_depth.shape != heights.shape:
            raise ConfigurationError("atmosphere arrays must have the same length")
        if np.any(np.diff(heights) <= 0):
            raise ConfigurationError("atmosphere heights must be strictly increasing")
        if not (np.all(np.isfinite(log_density)) and np.all(np.isfinite(log_depth))):
            raise ConfigurationError("atmosphere densities and depths must be positive and finite")
        if np.any(np.diff(log_depth) >= 0):
            raise ConfigurationError("column depth must decrease with height")
        if not np.isfinite(self.observation_level_m):
            raise ConfigurationError("observation level must be finite")
        if not self.refractivity_per_density_cm3_g > 0:
            raise ConfigurationError("refractivity per density must be > 0")
        if self.rayleigh_tau_per_depth_cm2_g < 0 or self.aerosol_optical_depth < 0:
            raise ConfigurationError("optical depths must be >= 0")
        if not self.aerosol_scale_height_m > 0:
            raise ConfigurationError("aerosol scale height must be > 0")
        for name, value in (("heights_m", heights), ("log_density", log_density),
                            ("log_depth", log_depth)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "observation_level_m", float(self.observation_level_m))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def exponential(cls, observation_level_m=2156.0, scale_height_m=8470.0,
                    density0_g_cm3=1.32e-3, refractivity_per_density=REFRACTIVITY_PER_DENSITY_CM3_G,
                    **extinction):
        """Isothermal atmosphere ``ρ(h) = ρ0 exp(−h/H)``, ``X(h) = ρ0 H exp(−h/H)``.

        The defaults are the exponential fit of the prod6 La Palma density profile between
        2 and 15 km (REFERENCE.md §3.1: H = 8.47 km, ρ0 = 1.32e-3 g/cm³). They reproduce
        ``n − 1`` within 5 % at 2–10 km but overestimate the column depth (by ~20 % at
        10 km, 866 instead of ~800 g/cm² at 2.2 km): use `la_palma` when depths matter.

        Parameters
        ----------
        observation_level_m : float
            Observation level, m a.s.l.
        scale_height_m : float
            Density scale height ``H``, m.
        density0_g_cm3 : float
            Density at sea level, g/cm³.
        refractivity_per_density : float
            ``k`` in ``n − 1 = k ρ``, cm³/g.
        **extinction
            ``rayleigh_tau_per_depth_cm2_g``, ``aerosol_optical_depth``,
            ``aerosol_scale_height_m`` (see the class attributes).
        """
        if not (scale_height_m > 0 and density0_g_cm3 > 0):
            raise ConfigurationError("scale height and density must be > 0")
        heights = np.arange(min(0.0, observation_level_m - 500.0), 120e3 + 1.0, _GRID_STEP_M)
        log_density = np.log(density0_g_cm3) - heights / scale_height_m
        log_depth = np.log(density0_g_cm3 * scale_height_m * 100.0) - heights / scale_height_m
        return cls(observation_level_m, heights, log_density, log_depth,
                   refractivity_per_density_cm3_g=refractivity_per_density,
                   name=f"exponential(H={scale_height_m:g} m, rho0={density0_g_cm3:g} g/cm3)",
                   **extinction)

    @classmethod
    def five_layer(cls, layers, observation_level_m, top_m=120e3,
                   refractivity_per_density=REFRACTIVITY_PER_DENSITY_CM3_G, name="five-layer",
                   **extinction):
        """Layered (Linsley / CORSIKA style) atmosphere.

        Layer ``i`` starts at ``h_low_i`` and has ``X(h) = a_i + b_i exp(−h/c_i)``, so
        ``ρ(h) = (b_i/c_i) exp(−h/c_i)``; the top layer is linear, ``X = a − b h/c`` with
        constant density ``b/c``, reaching 0 at ``top_m``.

        Parameters
        ----------
        layers : sequence of (h_low_cm, a_g_cm2, b_g_cm2, c_cm)
            Layer parameters in CORSIKA units (cm, g/cm²), increasing ``h_low``.
        observation_level_m : float
            Observation level, m a.s.l.
        top_m : float
            Top of the atmosphere (where X reaches 0), m a.s.l.
        refractivity_per_density : float
            ``k`` in ``n − 1 = k ρ``, cm³/g.
        name : str
            Label.
        **extinction
            See `exponential`.
        """
        layers = np.asarray(layers, dtype=np.float64)
        if layers.ndim != 2 or layers.shape[1] != 4 or len(layers) < 2:
            raise ConfigurationError("layers must be a sequence of (h_low, a, b, c) with >= 2 rows")
        # stop the grid 10 km below the top: the linear top layer has X -> 0 (ln X -> -inf)
        heights = np.arange(min(0.0, observation_level_m - 500.0), top_m - 10e3 + 1.0, _GRID_STEP_M)
        h_cm = heights * 100.0
        idx = np.clip(np.searchsorted(layers[:, 0], h_cm, side="right") - 1, 0, len(layers) - 1)
        a, b, c = layers[idx, 1], layers[idx, 2], layers[idx, 3]
        top = idx == len(layers) - 1
        depth = np.where(top, a - b * h_cm / c, a + b * np.exp(-h_cm / c))
        density = np.where(top, b / c, b / c * np.exp(-h_cm / c))
        if np.any(depth <= 0) or np.any(density <= 0):
            raise ConfigurationError("layer parameters give a non-positive depth or density")
        return cls(observation_level_m, heights, np.log(density), np.log(depth),
                   refractivity_per_density_cm3_g=refractivity_per_density, name=name,
                   **extinction)

    @classmethod
    def la_palma(cls, observation_level_m=2156.0, **extinction):
        """CTAO-North (La Palma, prod6 winter) atmosphere: the default of the simulator.

        Five-layer fit of REFERENCE.md §3.1 (`LA_PALMA_LAYERS`): X = 1044.7 g/cm² at sea
        level, 823.7 at 2 km, 283.6 at 10 km; ρ(0) = 1.216e-3 g/cm³.

        Parameters
        ----------
        observation_level_m : float
            Observation level, m a.s.l. (CTAO-North reference height 2156 m).
        **extinction
            See `exponential`.
        """
        return cls.five_layer(LA_PALMA_LAYERS, observation_level_m, top_m=120e3,
                              name="La Palma prod6 winter (5-layer fit)", **extinction)

    @classmethod
    def tabulated(cls, heights_m, densities_g_cm3, observation_level_m,
                  refractivity_per_density=REFRACTIVITY_PER_DENSITY_CM3_G, **extinction):
        """Atmosphere from a density table.

        The density is interpolated exponentially between nodes (linear in ``ln ρ``),
        and the column depth is the exact integral of that interpolant, continued above
        the last node with the last scale height. Heights outside the table extrapolate
        ``ln ρ`` and ``ln X`` linearly.

        Parameters
        ----------
        heights_m : array_like
            Strictly increasing heights, m a.s.l. (at least 2).
        densities_g_cm3 : array_like
            Densities at ``heights_m``, g/cm³, positive and decreasing at the top.
        observation_level_m : float
            Observation level, m a.s.l.
        refractivity_per_density : float
            ``k`` in ``n − 1 = k ρ``, cm³/g.
        **extinction
            See `exponential`.
        """
        heights_m = _f64(heights_m)
        densities = _f64(densities_g_cm3)
        if heights_m.ndim != 1 or heights_m.shape != densities.shape or heights_m.size < 2:
            raise ConfigurationError("heights and densities must be 1-d arrays of equal length >= 2")
        if np.any(np.diff(heights_m) <= 0):
            raise ConfigurationError("table heights must be strictly increasing")
        if np.any(~np.isfinite(densities)) or np.any(densities <= 0):
            raise ConfigurationError("table densities must be positive and finite")
        # resample on the fine grid so that depth and density stay consistent between nodes
        grid = np.arange(heights_m[0], heights_m[-1], _GRID_STEP_M)
        grid = np.unique(np.concatenate([grid, heights_m]))
        log_density = np.interp(grid, heights_m, np.log(densities))
        depth = _depth_from_density(grid, log_density)
        return cls(observation_level_m, grid, log_density, np.log(depth),
                   refractivity_per_density_cm3_g=refractivity_per_density,
                   name="tabulated", **extinction)

    # ------------------------------------------------------------------ profiles
    def density(self, h_m):
        """Air density at height ``h_m`` (m a.s.l.), g/cm³."""
        return np.exp(_interp_extrap(h_m, self.heights_m, self.log_density))

    def vertical_depth(self, h_m):
        """Vertical column depth above height ``h_m`` (m a.s.l.), g/cm²."""
        return np.exp(_interp_extrap(h_m, self.heights_m, self.log_depth))

    def height_at_vertical_depth(self, depth_g_cm2):
        """Height (m a.s.l.) where the vertical column depth equals ``depth_g_cm2``.

        Exact inverse of `vertical_depth`. Depths must be > 0.
        """
        depth = _f64(depth_g_cm2)
        if np.any(depth <= 0):
            raise ValueError("column depth must be > 0")
        # ln X decreases with h: interpolate on the reversed (increasing) arrays
        return _interp_extrap(np.log(depth), self.log_depth[::-1], self.heights_m[::-1])

    def slant_depth_to_height(self, slant_depth_g_cm2, zenith_deg):
        """Height (m a.s.l.) reached after ``slant_depth_g_cm2`` along zenith angle ``zenith_deg``.

        Flat-atmosphere approximation ``X_slant = X_vert / cos z`` (error < 1 % below
        ~60° zenith; REFERENCE.md §3.2).
        """
        cos_z = np.cos(np.deg2rad(_check_zenith(zenith_deg)))
        return self.height_at_vertical_depth(_f64(slant_depth_g_cm2) * cos_z)

    def height_to_slant_depth(self, h_m, zenith_deg):
        """Slant depth (g/cm²) from the top of the atmosphere down to height ``h_m`` (m a.s.l.).

        Inverse of `slant_depth_to_height` (flat atmosphere, ``X_vert / cos z``).
        """
        cos_z = np.cos(np.deg2rad(_check_zenith(zenith_deg)))
        return self.vertical_depth(h_m) / cos_z

    def refractive_index(self, h_m):
        """Refractive index ``n = 1 + k ρ(h)`` at height ``h_m`` (m a.s.l.)."""
        return 1.0 + self.refractivity_per_density_cm3_g * self.density(h_m)

    def mean_refractivity(self, h1_m, h2_m):
        """Path-averaged ``n − 1`` between two heights (m a.s.l.).

        The mean density along any straight path between two heights of a flat
        atmosphere is ``ΔX_vert / Δh``, whatever the inclination; for ``h1 = h2`` the
        local value is returned.
        """
        h1_m, h2_m = np.broadcast_arrays(_f64(h1_m), _f64(h2_m))
        dh = np.abs(h1_m - h2_m)
        dx = np.abs(self.vertical_depth(h1_m) - self.vertical_depth(h2_m))
        local = self.density(0.5 * (h1_m + h2_m))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_rho = np.where(dh > 1.0, dx / (100.0 * np.where(dh > 1.0, dh, 1.0)), local)
        return self.refractivity_per_density_cm3_g * mean_rho

    def cherenkov_angle_deg(self, h_m, beta=1.0):
        """Cherenkov angle at height ``h_m`` (m a.s.l.) for speed ``beta``, deg.

        ``cos θ_c = 1 / (β n)``; 0 below threshold (``β n ≤ 1``).
        """
        beta_n = _f64(beta) * self.refractive_index(h_m)
        cos_theta = np.minimum(1.0, 1.0 / beta_n)
        return np.rad2deg(np.arccos(cos_theta))

    def cherenkov_threshold_mev(self, h_m, mass_mev):
        """Total-energy Cherenkov threshold ``m c² / sqrt(1 − 1/n²)`` of a particle, MeV."""
        n = self.refractive_index(h_m)
        return _f64(mass_mev) / np.sqrt(1.0 - 1.0 / n**2)

    def electron_threshold_mev(self, h_m):
        """Total-energy Cherenkov threshold of electrons at height ``h_m`` (m a.s.l.), MeV.

        21.6 MeV at sea level, 36.5 MeV at 10 km (REFERENCE.md §3.3).
        """
        return self.cherenkov_threshold_mev(h_m, ELECTRON_MASS_MEV)

    # ------------------------------------------------------------------ extinction
    def vertical_optical_depth(self, h_m):
        """Vertical optical depth between height ``h_m`` and the observation level.

        ``τ = τ_R' [X(h_obs) − X(h)] + τ_A [exp(−h_obs/H_A) − exp(−h/H_A)]`` for
        ``h > h_obs`` (0 below): Rayleigh extinction proportional to the traversed column
        depth plus an exponential aerosol extinction profile of total vertical depth τ_A.
        Effective values for a 1/λ² spectrum in 300–600 nm (see ``docs/simulation.md``).
        """
        h = np.maximum(_f64(h_m), self.observation_level_m)
        h_obs = self.observation_level_m
        tau_r = self.rayleigh_tau_per_depth_cm2_g * (self.vertical_depth(h_obs) - self.vertical_depth(h))
        scale = self.aerosol_scale_height_m
        tau_a = self.aerosol_optical_depth * (np.exp(-h_obs / scale) - np.exp(-h / scale))
        return tau_r + tau_a

    def transmission(self, h_emission_m, zenith_deg):
        """Fraction of Cherenkov photons (300–600 nm) reaching the observation level.

        ``T = exp(−τ_vert(h) / cos z)`` with the flat-atmosphere airmass ``1/cos z`` of the
        photon path (≈ 0.78 from 10 km to 2.2 km at zenith for `la_palma`).

        Parameters
        ----------
        h_emission_m : array_like
            Emission height, m a.s.l.
        zenith_deg : array_like
            Zenith angle of the photon path, deg, in [0, 90).
        """
        cos_z = np.cos(np.deg2rad(_check_zenith(zenith_deg)))
        return np.exp(-self.vertical_optical_depth(h_emission_m) / cos_z)
