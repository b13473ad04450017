"""Air showers as Cherenkov *emitters*: electromagnetic cascades, a toy hadronic cascade, muons.

A shower is represented by `Emitters`: point-like (or short-track) sources of Cherenkov
light, each with a position, the direction of its charged particles (the axis of its
Cherenkov cone), the cone half-angle, an angular smearing, an emission time and the
number of photons (300–600 nm) it emits. `iactpipe.simulation.light` turns them into
photoelectrons at the telescopes. Emitters are a discretisation of the light
distribution: every emitter of an electromagnetic cascade carries the same number of
photons (importance sampling), so their number only sets the smoothness of the images.

Frames and conventions
----------------------
* Ground frame: x North, y West, z up, metres; the shower core is at the origin and
  ``z = 0`` is the observation level (``atmosphere.observation_level_m``). Callers place
  the core by shifting the telescopes (or the emitters) in x, y; one shower can be reused
  at several cores.
* ``t_ns`` is relative to the moment the primary, moving at c along the shower axis,
  would reach the core: a plane front arriving at the ground defines t = 0.
* Truth (returned as a dict) follows ctapipe / sim_telarray: ``h_first_int_m`` is the
  height of the first interaction **above sea level** (m), ``x_max_g_cm2`` is the *slant*
  depth of the maximum of the charged-particle profile measured along the axis from the
  top of the atmosphere, ``starting_grammage`` (g/cm²) is where the primary was injected
  (0: top of the atmosphere).

Physics (details, formulas and sources in ``docs/simulation.md``)
------------------------------------------------------------------
* EM cascades: Greisen longitudinal profile in slant depth with a fluctuating start;
  electron energy spectrum of Nerling et al. (2006) at the local age; Cherenkov yield
  ``2πα sin²θ_c (1/λ1 − 1/λ2)`` for the electrons above threshold; electron angles and
  lateral offsets from multiple scattering (Rossi / PDG), both scaled with ``E_s/E``
  (hence the lateral scale follows the local Molière radius ``r_M E_c/E``).
* Hadrons: first interaction after an exponential path (λ_p = 90 g/cm²), generations of
  interactions with a leading particle and Heitler–Matthews multiplicities, π⁰ → EM
  sub-showers, π± interacting (λ_π = 120 g/cm²) or decaying to muons, muons to the ground.
"""
import functools
import math
from dataclasses import dataclass, fields

import numpy as np

from ..coordinates import altaz_to_direction
from ..errors import ConfigurationError
from .atmosphere import ELECTRON_MASS_MEV

__all__ = [
    "Emitters",
    "PRIMARIES",
    "EMITTER_KIND",
    "generate_shower",
    "default_n_emitters",
    "greisen_profile",
    "muon_track_emitters",
    "RADIATION_LENGTH_G_CM2",
    "CRITICAL_ENERGY_MEV",
    "SCATTERING_ENERGY_MEV",
    "CHERENKOV_YIELD_PER_M",
]

# ---------------------------------------------------------------------------- constants
RADIATION_LENGTH_G_CM2 = 36.62
"""Radiation length of air, g/cm² (PDG; REFERENCE.md §3.1)."""
CRITICAL_ENERGY_MEV = 87.92
"""Critical energy of electrons in air, MeV (PDG/Rossi; REFERENCE.md §3.1–3.2)."""
SCATTERING_ENERGY_MEV = 21.2
"""Multiple-scattering energy ``E_s = m_e c² sqrt(4π/α)``, MeV (Rossi 1952)."""
CHERENKOV_YIELD_PER_M = 2.0 * math.pi / 137.035999 * (1.0 / 300e-9 - 1.0 / 600e-9)
"""``2πα (1/λ1 − 1/λ2)`` for 300–600 nm, photons per metre per unit ``sin²θ_c`` (≈ 76 400;
REFERENCE.md §3.3, PDG "Passage of particles through matter")."""

SPEED_OF_LIGHT_M_NS = 0.299792458
PROTON_INTERACTION_LENGTH_G_CM2 = 90.1   # REFERENCE.md §3.1/3.2 (λ_I)
PION_INTERACTION_LENGTH_G_CM2 = 120.0    # π-air, textbook value (Gaisser; Matthews 2005)
PION_MASS_GEV = 0.13957
MUON_MASS_GEV = 0.1056584
PION_CTAU_M = 7.8045                     # PDG
MUON_DEDX_GEV_CM2_G = 2.0e-3             # minimum-ionising muon in air, ~2 MeV g⁻¹ cm²
MEAN_PT_GEV = 0.35                       # mean transverse momentum of produced pions

PRIMARIES = ("gamma", "electron", "proton", "muon")
"""Supported primaries of `generate_shower`."""

EMITTER_KIND = {"em": 0, "muon": 1}
"""Values of `Emitters.kind`: 0 = electrons of an EM (sub-)cascade, 1 = muon track."""

# EM cascade parameters (docs/simulation.md, "Electromagnetic showers")
_PAIR_LENGTH = 9.0 / 7.0 * RADIATION_LENGTH_G_CM2   # mean free path of photons for pair production
_GAMMA_ORIGIN_OFFSET = -(9.0 / 7.0 - 0.5) * RADIATION_LENGTH_G_CM2   # <t_max> = ln(E/Ec) + 0.5 (PDG)
_ELECTRON_START_MEAN = 0.5 * RADIATION_LENGTH_G_CM2
_ELECTRON_ORIGIN_OFFSET = -1.0 * RADIATION_LENGTH_G_CM2            # <t_max> = ln(E/Ec) − 0.5 (PDG)
_XMAX_JITTER = 0.5 * RADIATION_LENGTH_G_CM2       # cascade-to-cascade jitter of the profile origin
_LENGTH_SCALE_JITTER = 0.05                       # relative jitter of the profile length scale
_ANGLE_SCALE = 0.50     # k_θ: per-plane electron angle σ_θ = k_θ E_s / E (tuned to the CORSIKA pool)
_PATH_SCALE = 0.4       # k_L: scattering path of an electron, in local radiation lengths
_CONE_SMEAR = 0.5       # k_σ: part of σ_θ put into the emitter's cone smearing
_MAX_ELECTRON_ANGLE = 0.5   # rad, per plane
_PROFILE_NODES = 96
_MIN_EM_ENERGY_GEV = 0.3    # π⁰ sub-showers below this are dropped (Greisen invalid, ≲ 1 % of light)

# hadronic cascade caps
_MIN_HADRON_ENERGY_GEV = 2.0
_MAX_HADRONS_PER_GENERATION = 3000
_MAX_EM_SOURCES = 800
_MAX_MUONS = 250
_MAX_GENERATIONS = 40
_PION_SHARE_CONCENTRATION = 0.5   # Dirichlet concentration of the pion energy sharing


# ---------------------------------------------------------------------------- emitters
@dataclass(frozen=True, eq=False)
class Emitters:
    """Cherenkov emitters of one shower; every field is a float64 array of shape (K,).

    Attributes
    ----------
    x, y, z : ndarray
        Emission point, m, ground frame (x North, y West, z up), core at the origin,
        ``z = 0`` at the observation level.
    ux, uy, uz : ndarray
        Unit direction of motion of the charged particles = axis of the Cherenkov cone
        (points downwards for a shower).
    n_photons : ndarray
        Cherenkov photons emitted in 300–600 nm (before atmospheric extinction).
    theta_c_rad : ndarray
        Cone half-angle, rad (``cos θ_c = 1/(β n)`` at the emission height).
    sigma_theta_rad : ndarray
        Angular smearing of the cone, rad: photon directions follow a ring of radius
        ``θ_c`` around ``u`` convolved with a 2-d Gaussian of this per-axis width.
    t_ns : ndarray
        Emission time, ns (t = 0: primary at the core, moving at c along the axis).
    length_m : ndarray
        Length of the emitting track segment, m, centred on (x, y, z) along u (0 for
        point emitters; muon tracks use it to spread the light along the segment).
    kind : ndarray of int8
        `EMITTER_KIND` code.
    """

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    uz: np.ndarray
    n_photons: np.ndarray
    theta_c_rad: np.ndarray
    sigma_theta_rad: np.ndarray
    t_ns: np.ndarray
    length_m: np.ndarray = None
    kind: np.ndarray = None

    def __post_init__(self):
        n = np.asarray(self.x).size
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                value = np.zeros(n, dtype=np.int8 if f.name == "kind" else np.float64)
            dtype = np.int8 if f.name == "kind" else np.float64
            value = np.ascontiguousarray(np.asarray(value, dtype=dtype).reshape(-1))
            if value.size != n:
                raise ValueError(f"Emitters.{f.name} has {value.size} entries, expected {n}")
            object.__setattr__(self, f.name, value)

    def __len__(self):
        return self.x.size

    @property
    def total_photons(self):
        """Total Cherenkov photons emitted (300–600 nm, before extinction)."""
        return float(self.n_photons.sum())

    def select(self, mask):
        """Emitters selected by a boolean mask or index array."""
        return Emitters(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    @classmethod
    def empty(cls):
        """No emitters."""
        return cls(*([np.zeros(0)] * 10))

    @classmethod
    def concatenate(cls, parts):
        """Concatenate several `Emitters`."""
        parts = [p for p in parts if p is not None]
        if not parts:
            return cls.empty()
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})


# ---------------------------------------------------------------------------- helpers
def default_n_emitters(energy_tev):
    """Default number of EM emitters: ``4000 sqrt(E/TeV)`` bounded to [2000, 40000].

    Sub-linear so that low-energy images are smooth and high-energy ones stay cheap; the
    light per emitter grows as sqrt(E). Muon tracks add at most ~10 000 emitters.
    """
    return int(np.clip(round(4000.0 * math.sqrt(max(energy_tev, 0.0))), 2000, 40000))


def greisen_profile(t, beta0):
    """Greisen's mean number of charged particles of an EM cascade.

    ``N(t) = 0.31/sqrt(β0) exp[t (1 − 1.5 ln s)]``, ``s = 3t/(t + 2β0)``, ``t`` in radiation
    lengths, ``β0 = ln(E0/E_c)`` (Greisen 1956; REFERENCE.md §3.2). Zero for ``t ≤ 0``
    and beyond age 2.5 (where the formula is no longer meaningful).

    Parameters
    ----------
    t : array_like
        Depth from the profile origin, radiation lengths.
    beta0 : array_like
        ``ln(E0/E_c)``.
    """
    t = np.asarray(t, dtype=np.float64)
    beta0 = np.asarray(beta0, dtype=np.float64)
    tt = np.maximum(t, 1e-9)
    s = 3.0 * tt / (tt + 2.0 * beta0)
    n = 0.31 / np.sqrt(beta0) * np.exp(tt * (1.0 - 1.5 * np.log(s)))
    return np.where((t > 0) & (s < 2.5), n, 0.0)


def _age(t, beta0):
    tt = np.maximum(t, 1e-9)
    return 3.0 * tt / (tt + 2.0 * beta0)


def _perpendicular_basis(d):
    """Two unit vectors completing the unit vectors ``d`` (..., 3) to right-handed bases."""
    d = np.asarray(d, dtype=np.float64)
    ref = np.zeros_like(d)
    use_x = np.abs(d[..., 2]) > 0.9
    ref[..., 0] = np.where(use_x, 1.0, 0.0)
    ref[..., 2] = np.where(use_x, 0.0, 1.0)
    e1 = np.cross(d, ref)
    e1 /= np.linalg.norm(e1, axis=-1, keepdims=True)
    e2 = np.cross(d, e1)
    return e1, e2


def _deflect(d, theta, phi):
    """Rotate unit vectors ``d`` (N, 3) by polar angles ``theta`` at azimuths ``phi`` (rad)."""
    e1, e2 = _perpendicular_basis(d)
    st = np.sin(theta)[:, None]
    out = (d * np.cos(theta)[:, None] + st * (np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2))
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def _height_after_slant(atmosphere, z_start_m, dz, slant_depth):
    """Height (m a.s.l.) after ``slant_depth`` g/cm² from height ``z_start_m`` (above obs. level)
    along a downward direction with vertical component ``dz`` (< 0), flat atmosphere."""
    h0 = atmosphere.observation_level_m + z_start_m
    x_v = atmosphere.vertical_depth(h0) + slant_depth * np.abs(dz)
    return atmosphere.height_at_vertical_depth(x_v)


def _check_inputs(primary, energy_tev, alt_deg, atmosphere):
    if primary not in PRIMARIES:
        raise ConfigurationError(f"unknown primary {primary!r}; expected one of {PRIMARIES}")
    if not (np.isfinite(energy_tev) and energy_tev > 0):
        raise ConfigurationError(f"energy must be > 0 TeV, got {energy_tev!r}")
    if not (20.0 <= alt_deg <= 90.0):
        raise ConfigurationError(f"shower altitude must be in [20, 90] deg (flat atmosphere), got {alt_deg!r}")
    if not hasattr(atmosphere, "vertical_depth"):
        raise ConfigurationError("atmosphere must be an iactpipe.simulation.atmosphere.Atmosphere")


# ---------------------------------------------------------------------------- electron spectrum
@functools.lru_cache(maxsize=1)
def _electron_tables():
    """Electron-energy tables of an EM cascade (computed once; pure function of constants).

    Differential spectrum of Nerling et al. 2006 (Astropart. Phys. 24, 421), normalised in
    ``ln E``: ``dN/dE ∝ 1 / ((E + a1)(E + a2)^s)``, ``a1 = 6.42522 − 1.53183 s``,
    ``a2 = 168.168 − 42.1368 s`` (MeV). For each (age s, threshold E_th) it tabulates the
    Cherenkov-weighted CDF in ``x = ln(E/E_th)`` (weight ``1 − E_th²/E²`` = relative
    ``sin²θ_c`` of an electron of energy E) and ``η(s, E_th)`` = mean relative yield per
    electron (all electrons above 1 MeV in the denominator).
    """
    s_grid = np.arange(0.2, 2.0 + 1e-9, 0.05)
    lnth_grid = np.linspace(np.log(15.0), np.log(400.0), 67)
    x_grid = np.linspace(0.0, 12.0, 193)
    e_max = 1e7  # MeV, upper end for the normalisation
    s = s_grid[:, None, None]
    a1 = 6.42522 - 1.53183 * s
    a2 = 168.168 - 42.1368 * s
    e_th = np.exp(lnth_grid)[None, :, None]
    energy = e_th * np.exp(x_grid)[None, None, :]
    weight = 1.0 - (e_th / energy) ** 2
    integrand = energy / ((energy + a1) * (energy + a2) ** s) * weight   # per unit ln E
    dx = np.diff(x_grid)
    cum = np.concatenate([np.zeros(integrand.shape[:2] + (1,)),
                          np.cumsum(0.5 * (integrand[..., 1:] + integrand[..., :-1]) * dx, axis=-1)],
                         axis=-1)
    # denominator: all electrons from 1 MeV to e_max (per ln E)
    ln_all = np.linspace(0.0, np.log(e_max), 2001)
    e_all = np.exp(ln_all)[None, :]
    s2 = s_grid[:, None]
    f_all = e_all / ((e_all + 6.42522 - 1.53183 * s2) * (e_all + 168.168 - 42.1368 * s2) ** s2)
    norm = np.trapezoid(f_all, ln_all, axis=-1)[:, None]
    # numerator tail beyond the x grid up to e_max (tiny) is neglected
    eta = cum[..., -1] / norm
    cdf = cum / cum[..., -1:]
    n_rows = cdf.shape[0] * cdf.shape[1]
    flat = (cdf.reshape(n_rows, -1) + np.arange(n_rows)[:, None]).ravel()
    return s_grid, lnth_grid, x_grid, eta, flat


def _cherenkov_efficiency(age, e_th_mev):
    """``η(s, E_th)``: Cherenkov yield per electron relative to β = 1 above threshold (bilinear)."""
    s_grid, lnth_grid, _, eta, _ = _electron_tables()
    fs = np.clip((np.asarray(age) - s_grid[0]) / (s_grid[1] - s_grid[0]), 0, len(s_grid) - 1.000001)
    fe = np.clip((np.log(e_th_mev) - lnth_grid[0]) / (lnth_grid[1] - lnth_grid[0]),
                 0, len(lnth_grid) - 1.000001)
    i, j = fs.astype(np.int64), fe.astype(np.int64)
    a, b = fs - i, fe - j
    return ((1 - a) * (1 - b) * eta[i, j] + a * (1 - b) * eta[i + 1, j]
            + (1 - a) * b * eta[i, j + 1] + a * b * eta[i + 1, j + 1])


def _sample_electron_energy(age, e_th_mev, rng):
    """Cherenkov-weighted electron energies (MeV) at the given ages and thresholds."""
    s_grid, lnth_grid, x_grid, _, flat = _electron_tables()
    n_x = x_grid.size
    si = np.clip(np.rint((age - s_grid[0]) / (s_grid[1] - s_grid[0])), 0, len(s_grid) - 1).astype(np.int64)
    ei = np.clip(np.rint((np.log(e_th_mev) - lnth_grid[0]) / (lnth_grid[1] - lnth_grid[0])),
                 0, len(lnth_grid) - 1).astype(np.int64)
    row = si * len(lnth_grid) + ei
    target = row + rng.uniform(1e-12, 1.0 - 1e-12, size=row.size)
    k = np.searchsorted(flat, target, side="right") - 1
    k = np.clip(k, row * n_x, row * n_x + n_x - 2)
    lo, hi = flat[k], flat[k + 1]
    frac = np.where(hi > lo, (target - lo) / np.where(hi > lo, hi - lo, 1.0), 0.5)
    x = x_grid[k - row * n_x] + frac * (x_grid[1] - x_grid[0])
    return e_th_mev * np.exp(x)


# ---------------------------------------------------------------------------- EM cascades
@dataclass
class _EMSources:
    """EM (sub-)cascades: arrays of shape (M,) / (M, 3)."""

    energy_gev: np.ndarray
    weight: np.ndarray
    start: np.ndarray        # (M, 3) point Q where the slant depth is counted from, m
    direction: np.ndarray    # (M, 3) unit, downward
    t_start_ns: np.ndarray   # time at Q
    x_conv: np.ndarray       # slant depth after Q where particles appear, g/cm²
    x_origin: np.ndarray     # slant depth after Q of the profile origin (t = 0), g/cm²
    length_scale: np.ndarray  # radiation length multiplier (profile-width jitter)

    def __len__(self):
        return self.energy_gev.size


def _em_profiles(src, atmosphere, n_nodes=_PROFILE_NODES):
    """Cherenkov yield of each EM source on a slant-depth grid along its axis.

    Returns the grid (M, G) of slant depth after Q, the cumulative photons (M, G) and the
    charged-particle number (M, G) (weights included).
    """
    h_obs = atmosphere.observation_level_m
    dz = src.direction[:, 2]
    z0 = src.start[:, 2]
    x_v0 = atmosphere.vertical_depth(h_obs + z0)
    x_ground = (atmosphere.vertical_depth(h_obs) - x_v0) / np.abs(dz)
    frac = np.linspace(0.0, 1.0, n_nodes)[None, :]
    depth = src.x_conv[:, None] + (x_ground - src.x_conv)[:, None] * frac
    depth = np.maximum(depth, 0.0)
    h = atmosphere.height_at_vertical_depth(x_v0[:, None] + depth * np.abs(dz)[:, None])
    beta0 = np.log(np.maximum(src.energy_gev * 1e3 / CRITICAL_ENERGY_MEV, 3.0))[:, None]
    t = (depth - src.x_origin[:, None]) / (RADIATION_LENGTH_G_CM2 * src.length_scale[:, None])
    n_e = greisen_profile(t, beta0) * src.weight[:, None]
    rho = atmosphere.density(h)
    n = 1.0 + atmosphere.refractivity_per_density_cm3_g * rho
    sin2 = 1.0 - 1.0 / n**2
    e_th = ELECTRON_MASS_MEV / np.sqrt(sin2)
    eta = _cherenkov_efficiency(_age(t, beta0), e_th)
    # photons per g/cm² of slant depth: N_e × (dN/dl) × dl/dX, dl/dX = 1/(100 ρ) m per g/cm²
    yield_per_depth = n_e * CHERENKOV_YIELD_PER_M * sin2 / (100.0 * rho) * eta
    yield_per_depth = np.where(depth >= src.x_conv[:, None], yield_per_depth, 0.0)
    cum = np.concatenate([np.zeros((len(src), 1)),
                          np.cumsum(0.5 * (yield_per_depth[:, 1:] + yield_per_depth[:, :-1])
                                    * np.diff(depth, axis=1), axis=1)], axis=1)
    return depth, cum, n_e


def _em_emitters(src, atmosphere, n_emitters, rng):
    """Sample equal-weight emitters from EM sources. Returns (Emitters, total photons)."""
    if len(src) == 0 or n_emitters <= 0:
        return Emitters.empty(), 0.0
    depth, cum, _ = _em_profiles(src, atmosphere)
    totals = cum[:, -1]
    grand_total = float(totals.sum())
    if not grand_total > 0:
        return Emitters.empty(), 0.0
    photons_per_emitter = grand_total / n_emitters
    # systematic allocation of emitters to sources (exact total, unbiased in expectation)
    edges = np.concatenate([[0.0], np.cumsum(totals)]) / photons_per_emitter
    ticks = np.arange(n_emitters) + rng.uniform()
    source = np.clip(np.searchsorted(edges, ticks, side="right") - 1, 0, len(src) - 1)
    # inverse-CDF sampling of the depth inside each source's profile
    m, g = cum.shape
    good = totals > 0
    cdf = np.where(good[:, None], cum / np.where(good, totals, 1.0)[:, None],
                   np.linspace(0, 1, g)[None, :])
    flat = (cdf + np.arange(m)[:, None]).ravel()
    target = source + rng.uniform(1e-12, 1.0 - 1e-12, size=n_emitters)
    k = np.searchsorted(flat, target, side="right") - 1
    k = np.clip(k, source * g, source * g + g - 2)
    lo, hi = flat[k], flat[k + 1]
    frac = np.where(hi > lo, (target - lo) / np.where(hi > lo, hi - lo, 1.0), 0.5)
    depth_flat = depth.ravel()
    x_after = depth_flat[k] + frac * (depth_flat[k + 1] - depth_flat[k])

    # position on the sub-shower axis
    d = src.direction[source]
    q = src.start[source]
    h_obs = atmosphere.observation_level_m
    h = _height_after_slant(atmosphere, q[:, 2], d[:, 2], x_after)
    path = (h_obs + q[:, 2] - h) / np.abs(d[:, 2])          # m along the axis from Q
    axis_point = q + path[:, None] * d
    rho = atmosphere.density(h)
    n = 1.0 + atmosphere.refractivity_per_density_cm3_g * rho
    e_th = ELECTRON_MASS_MEV / np.sqrt(1.0 - 1.0 / n**2)
    beta0 = np.log(np.maximum(src.energy_gev[source] * 1e3 / CRITICAL_ENERGY_MEV, 3.0))
    t_prof = (x_after - src.x_origin[source]) / (RADIATION_LENGTH_G_CM2 * src.length_scale[source])
    age = np.clip(_age(t_prof, beta0), 0.2, 2.0)
    energy = _sample_electron_energy(age, e_th, rng)
    # cap at the cascade energy (the spectrum table extends beyond it for very young ages)
    energy = np.minimum(energy, np.maximum(src.energy_gev[source] * 1e3, e_th * 1.001))

    # multiple scattering: per-plane angle σ_θ = k_θ E_s/E; correlated lateral offset over the
    # scattering path L = k_L X0/ρ (PDG joint (θ, y) distribution: y = Lσ(z1/√12 + z2/2))
    sigma = np.minimum(_ANGLE_SCALE * SCATTERING_ENERGY_MEV / energy, _MAX_ELECTRON_ANGLE)
    path_len = np.minimum(_PATH_SCALE * RADIATION_LENGTH_G_CM2 / (100.0 * rho), np.maximum(path, 1.0))
    z1 = rng.standard_normal((n_emitters, 2))
    z2 = rng.standard_normal((n_emitters, 2))
    direction_part = math.sqrt(1.0 - _CONE_SMEAR**2)
    theta_xy = sigma[:, None] * z2 * direction_part
    lateral_xy = path_len[:, None] * sigma[:, None] * (z1 / math.sqrt(12.0) + 0.5 * z2)
    e1, e2 = _perpendicular_basis(d)
    pos = axis_point + lateral_xy[:, :1] * e1 + lateral_xy[:, 1:] * e2
    u = d + np.tan(theta_xy[:, :1]) * e1 + np.tan(theta_xy[:, 1:]) * e2
    u /= np.linalg.norm(u, axis=1, keepdims=True)

    beta = np.sqrt(np.maximum(1.0 - (ELECTRON_MASS_MEV / energy) ** 2, 0.0))
    cos_c = np.minimum(1.0, 1.0 / (beta * n))
    theta_c = np.arccos(cos_c)
    # path excess of a scattered electron ≈ L <θ²>/4 (θ grows like sqrt(path)) -> delay
    theta2 = np.sum(theta_xy**2, axis=1) / direction_part**2
    t = src.t_start_ns[source] + path / SPEED_OF_LIGHT_M_NS + path_len * theta2 / 4.0 / SPEED_OF_LIGHT_M_NS
    emitters = Emitters(
        x=pos[:, 0], y=pos[:, 1], z=pos[:, 2], ux=u[:, 0], uy=u[:, 1], uz=u[:, 2],
        n_photons=np.full(n_emitters, photons_per_emitter), theta_c_rad=theta_c,
        sigma_theta_rad=np.maximum(_CONE_SMEAR * sigma, 1e-4), t_ns=t,
        length_m=np.zeros(n_emitters), kind=np.full(n_emitters, EMITTER_KIND["em"], dtype=np.int8))
    return emitters, grand_total


def _em_x_max(src, atmosphere, axis_direction):
    """Slant depth (along the primary axis, from the top) of the summed charged-particle maximum."""
    cos_z = abs(axis_direction[2])
    h_obs = atmosphere.observation_level_m
    x_ground = atmosphere.vertical_depth(h_obs) / cos_z
    if len(src) == 1:
        beta0 = math.log(max(src.energy_gev[0] * 1e3 / CRITICAL_ENERGY_MEV, 3.0))
        x_q = atmosphere.vertical_depth(h_obs + src.start[0, 2]) / abs(src.direction[0, 2])
        return float(x_q + src.x_origin[0] + beta0 * RADIATION_LENGTH_G_CM2 * src.length_scale[0])
    grid = np.linspace(0.0, x_ground * 1.5, 600)
    x_v0 = atmosphere.vertical_depth(h_obs + src.start[:, 2])
    # vertical depth of each grid point, then the slant depth after Q along each source axis
    depth_after = (grid[None, :] * cos_z - x_v0[:, None]) / np.abs(src.direction[:, 2])[:, None]
    beta0 = np.log(np.maximum(src.energy_gev * 1e3 / CRITICAL_ENERGY_MEV, 3.0))[:, None]
    t = (depth_after - src.x_origin[:, None]) / (RADIATION_LENGTH_G_CM2 * src.length_scale[:, None])
    total = np.sum(greisen_profile(t, beta0) * src.weight[:, None]
                   * (depth_after >= src.x_conv[:, None]), axis=0)
    i = int(np.argmax(total))
    if 0 < i < grid.size - 1 and total[i] > 0:
        y0, y1, y2 = total[i - 1], total[i], total[i + 1]
        denom = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
        return float(grid[i] + shift * (grid[1] - grid[0]))
    return float(grid[i])


# ---------------------------------------------------------------------------- muons
def _muon_segment_edges(z_top_m, min_step_m=20.0, rel_step=0.15):
    """Heights above the observation level of muon-track segment boundaries: 20 m steps
    near the ground (where a muon hitting a telescope makes its ring), then growing by 15 %
    of the height. The last edge is at or above ``z_top_m``."""
    edges = [0.0]
    while edges[-1] < z_top_m:
        edges.append(edges[-1] + max(min_step_m, rel_step * edges[-1]))
    return np.asarray(edges)


def _muon_tracks(energy_gev, start, direction, t_start_ns, weight, atmosphere):
    """Vectorised emitters of straight muon tracks (see `muon_track_emitters`)."""
    energy_gev = np.asarray(energy_gev, dtype=np.float64).reshape(-1)
    start = np.asarray(start, dtype=np.float64).reshape(-1, 3)
    d = np.asarray(direction, dtype=np.float64).reshape(-1, 3)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    t_start_ns = np.asarray(t_start_ns, dtype=np.float64).reshape(-1)
    weight = np.asarray(weight, dtype=np.float64).reshape(-1)
    ok = (d[:, 2] < -0.05) & (start[:, 2] > 0)
    if not np.any(ok):
        return Emitters.empty()
    energy_gev, start, d, t_start_ns, weight = energy_gev[ok], start[ok], d[ok], t_start_ns[ok], weight[ok]
    h_obs = atmosphere.observation_level_m
    template = _muon_segment_edges(float(start[:, 2].max()))
    # segments k = 0 .. n_i - 1 of muon i: [template[k], min(template[k+1], z_start_i)]
    n_seg = np.searchsorted(template, start[:, 2], side="left")
    muon = np.repeat(np.arange(start.shape[0]), n_seg)
    first = np.concatenate([[0], np.cumsum(n_seg)[:-1]])
    k = np.arange(muon.size) - first[muon]
    z_lo = template[k]
    z_hi = np.minimum(template[k + 1], start[muon, 2])
    z_mid = 0.5 * (z_lo + z_hi)
    dz = np.abs(d[muon, 2])
    seg_len = (z_hi - z_lo) / dz
    # slant depth from the start to each segment centre -> ionisation loss 2 MeV g^-1 cm^2
    x_v_start = atmosphere.vertical_depth(h_obs + start[muon, 2])
    slant_mid = (atmosphere.vertical_depth(h_obs + z_mid) - x_v_start) / dz
    energy = energy_gev[muon] - MUON_DEDX_GEV_CM2_G * slant_mid
    energy = np.maximum(energy, MUON_MASS_GEV * 1.0001)
    beta = np.sqrt(1.0 - (MUON_MASS_GEV / energy) ** 2)
    rho = atmosphere.density(h_obs + z_mid)
    n = 1.0 + atmosphere.refractivity_per_density_cm3_g * rho
    cos_c = 1.0 / (beta * n)
    sel = (cos_c < 1.0) & (seg_len > 0)
    if not np.any(sel):
        return Emitters.empty()
    muon, z_mid, seg_len, energy, beta, rho, cos_c = (
        a[sel] for a in (muon, z_mid, seg_len, energy, beta, rho, cos_c))
    theta_c = np.arccos(cos_c)
    photons = weight[muon] * CHERENKOV_YIELD_PER_M * np.sin(theta_c) ** 2 * seg_len
    # Highland formula (PDG), per plane, over the segment; its spread across the segment
    # is represented by θ_ms/√3
    x_over_x0 = np.maximum(100.0 * rho * seg_len / RADIATION_LENGTH_G_CM2, 1e-6)
    p_mev = 1e3 * np.sqrt(energy**2 - MUON_MASS_GEV**2)
    theta_ms = (13.6 / (beta * p_mev) * np.sqrt(x_over_x0)
                * np.maximum(1.0 + 0.038 * np.log(x_over_x0), 0.3))
    sigma = np.maximum(theta_ms / math.sqrt(3.0), 1.5e-4)
    dm = d[muon]
    path_mid = (start[muon, 2] - z_mid) / np.abs(dm[:, 2])
    pos = start[muon] + path_mid[:, None] * dm
    t = t_start_ns[muon] + path_mid / (SPEED_OF_LIGHT_M_NS * beta)
    return Emitters(
        x=pos[:, 0], y=pos[:, 1], z=pos[:, 2], ux=dm[:, 0], uy=dm[:, 1], uz=dm[:, 2],
        n_photons=photons, theta_c_rad=theta_c, sigma_theta_rad=sigma, t_ns=t,
        length_m=seg_len, kind=np.full(muon.size, EMITTER_KIND["muon"], dtype=np.int8))


def muon_track_emitters(energy_gev, start_m, direction, atmosphere, t_start_ns=0.0,
                        weight=1.0):
    """Emitters of one muon track from ``start_m`` straight to the observation level.

    The muon loses ``2 MeV g⁻¹ cm²`` of slant depth (no decay, no deflection) and radiates
    ``76 400 sin²θ_c`` photons per metre (300–600 nm) wherever ``cos θ_c = 1/(β n) < 1``.
    The track is cut into segments of 20 m near the ground, growing by 15 % of the height
    above it; each segment is an emitter of length ``length_m`` whose cone is smeared by
    the Highland multiple-scattering angle over the segment divided by √3 (floor 1.5e-4 rad).

    Parameters
    ----------
    energy_gev : float
        Total muon energy at ``start_m``, GeV.
    start_m : array_like, shape (3,)
        Start point, m, ground frame (z above the observation level).
    direction : array_like, shape (3,)
        Unit direction of motion (downward, ``direction[2] < −0.05``).
    atmosphere : Atmosphere
        Atmosphere.
    t_start_ns : float
        Time at the start point, ns.
    weight : float
        Multiplier of the photon numbers.

    Returns
    -------
    Emitters
        Possibly empty (muon below threshold everywhere, or start below the ground).
    """
    return _muon_tracks([energy_gev], [start_m], [direction], [t_start_ns], [weight], atmosphere)


# ---------------------------------------------------------------------------- hadronic cascade
def _thin(energy, weight, max_count, rng):
    """Hillas thinning: keep with probability min(1, E/E_thin), weight /= probability, with
    E_thin chosen so that about ``max_count`` particles survive. Returns the kept indices
    and their new weights."""
    if energy.size <= max_count:
        return np.arange(energy.size), weight
    lo, hi = np.log(energy.min()), np.log(energy.max())
    for _ in range(50):   # bisection on ln E_thin
        mid = 0.5 * (lo + hi)
        expected = np.minimum(1.0, energy / math.exp(mid)).sum()
        lo, hi = (lo, mid) if expected < max_count else (mid, hi)
    p = np.minimum(1.0, energy / math.exp(hi))
    keep = np.flatnonzero(rng.uniform(size=energy.size) < p)
    return keep, weight[keep] / p[keep]


def _charged_multiplicity(energy_gev):
    """Mean number of charged pions per interaction, ``41.2 (E/1 PeV)^(1/5)`` (Matthews 2005)."""
    return 41.2 * (np.asarray(energy_gev) / 1e6) ** 0.2


def _sample_pt(rng, size):
    """Transverse momenta (GeV/c), ``dN/dp_t ∝ p_t exp(−2 p_t/<p_t>)`` with <p_t> = 0.35 GeV/c."""
    return rng.gamma(2.0, MEAN_PT_GEV / 2.0, size=size)


def _hadronic_cascade(energy_tev, axis_direction, x_first, atmosphere, rng):
    """Toy hadronic cascade. Returns (EM sources, muons (E, pos, dir, t, w), h_first_int_m)."""
    h_obs = atmosphere.observation_level_m
    cos_z = abs(axis_direction[2])
    source_dir = -axis_direction
    h_first = float(atmosphere.slant_depth_to_height(x_first, math.degrees(math.acos(cos_z))))
    z_first = h_first - h_obs
    first_point = source_dir * (z_first / cos_z)

    # hadrons about to interact: energy, position, direction, time, weight, is_pion
    e = np.array([energy_tev * 1e3])
    pos = first_point[None, :].copy()
    dirs = axis_direction[None, :].copy()
    t = np.array([-(z_first / cos_z) / SPEED_OF_LIGHT_M_NS])
    w = np.array([1.0])
    pion = np.array([False])

    em = {k: [] for k in ("e", "pos", "dir", "t", "w")}
    mu = {k: [] for k in ("e", "pos", "dir", "t", "w")}
    for _ in range(_MAX_GENERATIONS):
        if e.size == 0:
            break
        n = e.size
        # --- interaction: leading particle + pions
        inel = np.where(pion, rng.uniform(0.5, 1.0, n), rng.uniform(0.25, 0.75, n))
        e_avail = inel * e
        n_ch_mean = _charged_multiplicity(e)
        n_ch = 1 + rng.poisson(np.maximum(n_ch_mean - 1.0, 0.0))
        n_0 = rng.poisson(0.5 * n_ch_mean)
        n_tot = n_ch + n_0
        parent = np.repeat(np.arange(n), n_tot)
        # random partition of the available energy, Dirichlet(0.5, ..., 0.5): a few hard and
        # many soft pions, like a fragmentation function
        share = rng.gamma(_PION_SHARE_CONCENTRATION, size=parent.size)
        share /= np.bincount(parent, weights=share, minlength=n)[parent]
        e_sec = share * e_avail[parent]
        offsets = np.concatenate([[0], np.cumsum(n_tot)[:-1]])
        rank = np.arange(parent.size) - offsets[parent]
        is_charged = rank < n_ch[parent]
        theta = np.minimum(_sample_pt(rng, parent.size) / e_sec, 0.5)
        d_sec = _deflect(dirs[parent], theta, rng.uniform(0, 2 * np.pi, parent.size))
        # leading particle
        e_lead = (1.0 - inel) * e
        theta_lead = np.minimum(_sample_pt(rng, n) / np.maximum(e_lead, 1e-3), 0.5)
        d_lead = _deflect(dirs, theta_lead, rng.uniform(0, 2 * np.pi, n))

        neutral = ~is_charged & (e_sec >= _MIN_EM_ENERGY_GEV)
        em["e"].append(e_sec[neutral])
        em["pos"].append(pos[parent[neutral]])
        em["dir"].append(d_sec[neutral])
        em["t"].append(t[parent[neutral]])
        em["w"].append(w[parent[neutral]])

        # next generation: leading particles + charged pions above the tracking cut
        charged = is_charged & (e_sec >= _MIN_HADRON_ENERGY_GEV)
        lead_ok = e_lead >= _MIN_HADRON_ENERGY_GEV
        e_next = np.concatenate([e_lead[lead_ok], e_sec[charged]])
        pos_next = np.concatenate([pos[lead_ok], pos[parent[charged]]])
        dir_next = np.concatenate([d_lead[lead_ok], d_sec[charged]])
        t_next = np.concatenate([t[lead_ok], t[parent[charged]]])
        w_next = np.concatenate([w[lead_ok], w[parent[charged]]])
        pion_next = np.concatenate([pion[lead_ok], np.ones(int(charged.sum()), dtype=bool)])
        keep, w_next = _thin(e_next, w_next, _MAX_HADRONS_PER_GENERATION, rng)
        e, pos, dirs, t, pion = e_next[keep], pos_next[keep], dir_next[keep], t_next[keep], pion_next[keep]
        w = w_next
        # drop (rare) nearly horizontal or upward-going particles
        ok = dirs[:, 2] < -0.1
        e, pos, dirs, t, w, pion = e[ok], pos[ok], dirs[ok], t[ok], w[ok], pion[ok]
        if e.size == 0:
            break

        # --- propagation to the next interaction, decay or the ground
        lam = np.where(pion, PION_INTERACTION_LENGTH_G_CM2, PROTON_INTERACTION_LENGTH_G_CM2)
        x_int = rng.exponential(lam)
        x_v = atmosphere.vertical_depth(h_obs + pos[:, 2])
        x_v_int = x_v + x_int * np.abs(dirs[:, 2])
        x_v_ground = atmosphere.vertical_depth(h_obs)
        l_ground = pos[:, 2] / np.abs(dirs[:, 2])
        below = x_v_int >= x_v_ground
        h_int = atmosphere.height_at_vertical_depth(np.minimum(x_v_int, x_v_ground))
        l_int = np.where(below, np.inf, (h_obs + pos[:, 2] - h_int) / np.abs(dirs[:, 2]))
        decay_length = np.where(pion, e / PION_MASS_GEV * PION_CTAU_M, np.inf)
        l_dec = rng.exponential(1.0, e.size) * decay_length
        decays = pion & (l_dec < l_int) & (l_dec < l_ground)
        interacts = ~decays & (l_int < l_ground)
        if np.any(decays):
            r = (MUON_MASS_GEV / PION_MASS_GEV) ** 2
            mu["e"].append(e[decays] * rng.uniform(r, 1.0, int(decays.sum())))
            mu["pos"].append(pos[decays] + l_dec[decays, None] * dirs[decays])
            mu["dir"].append(dirs[decays])
            mu["t"].append(t[decays] + l_dec[decays] / SPEED_OF_LIGHT_M_NS)
            mu["w"].append(w[decays])
        e = e[interacts]
        pos = pos[interacts] + l_int[interacts, None] * dirs[interacts]
        t = t[interacts] + l_int[interacts] / SPEED_OF_LIGHT_M_NS
        dirs, w, pion = dirs[interacts], w[interacts], pion[interacts]

    def cat(parts, shape):
        return np.concatenate(parts) if parts else np.zeros(shape)

    em_e = cat(em["e"], (0,))
    em_pos, em_dir = cat(em["pos"], (0, 3)), cat(em["dir"], (0, 3))
    em_t, em_w = cat(em["t"], (0,)), cat(em["w"], (0,))
    keep, em_w = _thin(em_e, em_w, _MAX_EM_SOURCES, rng)
    em_e, em_pos, em_dir, em_t = em_e[keep], em_pos[keep], em_dir[keep], em_t[keep]
    m = em_e.size
    sources = _EMSources(
        energy_gev=em_e, weight=em_w, start=em_pos, direction=em_dir, t_start_ns=em_t,
        x_conv=rng.exponential(_PAIR_LENGTH, m),
        x_origin=np.zeros(m), length_scale=1.0 + _LENGTH_SCALE_JITTER * rng.standard_normal(m))
    # profile origin relative to the photon conversion as for primary gammas
    sources.x_origin = sources.x_conv + _GAMMA_ORIGIN_OFFSET + _XMAX_JITTER * rng.standard_normal(m)
    muons = tuple(cat(mu[k], (0, 3) if k in ("pos", "dir") else (0,)) for k in ("e", "pos", "dir", "t", "w"))
    return sources, muons, h_first


def _muon_emitters_from_list(muons, atmosphere, axis_direction, rng):
    """Emitters of the muons of a hadronic cascade (weights resolved into unweighted copies)."""
    e, pos, dirs, t, w = muons
    if e.size == 0:
        return Emitters.empty(), 0
    h_obs = atmosphere.observation_level_m
    # keep muons that reach the ground above the Cherenkov threshold there
    slant = (atmosphere.vertical_depth(h_obs) - atmosphere.vertical_depth(h_obs + pos[:, 2])) / np.abs(dirs[:, 2])
    e_ground = e - MUON_DEDX_GEV_CM2_G * slant
    e_th = atmosphere.cherenkov_threshold_mev(h_obs, MUON_MASS_GEV * 1e3) * 1e-3
    ok = (e_ground > e_th) & (pos[:, 2] > 0)
    e, pos, dirs, t, w = e[ok], pos[ok], dirs[ok], t[ok], w[ok]
    # thinned muons (w > 1) become round(w) unweighted copies rotated about the shower axis:
    # a weighted muon would otherwise make an unphysically bright ring
    copies = np.floor(w + rng.uniform(size=w.size)).astype(np.int64)
    idx = np.repeat(np.arange(e.size), copies)
    first = np.concatenate([[0], np.cumsum(copies)[:-1]])
    is_copy = (np.arange(idx.size) - first[idx]) > 0
    if idx.size > _MAX_MUONS:
        idx_sel = rng.choice(idx.size, _MAX_MUONS, replace=False)
        idx, is_copy = idx[idx_sel], is_copy[idx_sel]
    p, d = pos[idx].copy(), dirs[idx].copy()
    if np.any(is_copy):
        angle = rng.uniform(0, 2 * np.pi, int(is_copy.sum()))
        axis = -axis_direction
        p[is_copy] = _rotate_about(p[is_copy], axis, angle)
        d[is_copy] = _rotate_about(d[is_copy], axis, angle)
    return _muon_tracks(e[idx], p, d, t[idx], np.ones(idx.size), atmosphere), idx.size


def _rotate_about(v, axis, angle):
    """Rodrigues rotation of vectors ``v`` (N, 3) about the unit ``axis`` by ``angle`` (N,) rad."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    return v * c + np.cross(axis, v) * s + axis[None, :] * (v @ axis)[:, None] * (1 - c)


# ---------------------------------------------------------------------------- public entry
def generate_shower(primary, energy_tev, alt_deg, az_deg, atmosphere, rng, n_emitters=None):
    """Simulate one air shower as Cherenkov emitters.

    Parameters
    ----------
    primary : {"gamma", "electron", "proton", "muon"}
        Primary particle ("muon": a single muon starting 15 km above sea level, for
        calibration studies).
    energy_tev : float
        Primary energy, TeV (total energy for the muon).
    alt_deg, az_deg : float
        Direction the shower comes *from* (horizontal frame), deg; altitude in [20, 90].
    atmosphere : Atmosphere
        Atmosphere (its observation level is ``z = 0``).
    rng : numpy.random.Generator
        Random generator (the only source of randomness).
    n_emitters : int, optional
        Number of EM emitters; default `default_n_emitters`.

    Returns
    -------
    emitters : Emitters
        The Cherenkov emitters, core at the origin.
    truth : dict
        ``h_first_int_m`` (m a.s.l.), ``x_max_g_cm2`` (slant, from the top),
        ``starting_grammage`` (g/cm², 0 = top of atmosphere), plus diagnostics:
        ``n_photons`` (total emitted, 300–600 nm), ``mean_emission_height_m`` (photon-weighted,
        m a.s.l.), ``h_max_m`` (height of ``x_max``, m a.s.l.), ``n_muons`` (muon tracks
        with emitters), ``em_energy_fraction`` (energy fed into EM cascades / E0).
    """
    _check_inputs(primary, energy_tev, alt_deg, atmosphere)
    if n_emitters is None:
        n_emitters = default_n_emitters(energy_tev)
    n_emitters = int(n_emitters)
    if n_emitters < 1:
        raise ConfigurationError("n_emitters must be >= 1")
    source_dir = altaz_to_direction(alt_deg, az_deg)
    axis = -source_dir
    zenith_deg = 90.0 - float(alt_deg)
    cos_z = math.cos(math.radians(zenith_deg))
    h_obs = atmosphere.observation_level_m
    n_muons = 0
    em_fraction = 1.0

    if primary in ("gamma", "electron"):
        if primary == "gamma":
            x_first = rng.exponential(_PAIR_LENGTH)
            origin = _GAMMA_ORIGIN_OFFSET
        else:
            x_first = rng.exponential(_ELECTRON_START_MEAN)
            origin = _ELECTRON_ORIGIN_OFFSET
        h_first = float(atmosphere.slant_depth_to_height(max(x_first, 1e-3), zenith_deg))
        z_first = h_first - h_obs
        start = source_dir * (z_first / cos_z)
        src = _EMSources(
            energy_gev=np.array([energy_tev * 1e3]), weight=np.ones(1), start=start[None, :],
            direction=axis[None, :], t_start_ns=np.array([-(z_first / cos_z) / SPEED_OF_LIGHT_M_NS]),
            x_conv=np.zeros(1),
            x_origin=np.array([origin + _XMAX_JITTER * rng.standard_normal()]),
            length_scale=np.array([1.0 + _LENGTH_SCALE_JITTER * rng.standard_normal()]))
        emitters, _ = _em_emitters(src, atmosphere, n_emitters, rng)
        x_max = _em_x_max(src, atmosphere, axis)
    elif primary == "proton":
        x_first = rng.exponential(PROTON_INTERACTION_LENGTH_G_CM2)
        src, muons, h_first = _hadronic_cascade(energy_tev, axis, max(x_first, 1e-3), atmosphere, rng)
        em_fraction = float(np.sum(src.energy_gev * src.weight) / (energy_tev * 1e3))
        em_emitters, _ = _em_emitters(src, atmosphere, n_emitters, rng)
        mu_emitters, n_muons = _muon_emitters_from_list(muons, atmosphere, axis, rng)
        emitters = Emitters.concatenate([em_emitters, mu_emitters])
        x_max = _em_x_max(src, atmosphere, axis) if len(src) else float("nan")
    else:  # single muon
        h_first = 15e3
        z_first = h_first - h_obs
        start = source_dir * (z_first / cos_z)
        emitters = muon_track_emitters(energy_tev * 1e3, start, axis, atmosphere,
                                       t_start_ns=-(z_first / cos_z) / SPEED_OF_LIGHT_M_NS)
        n_muons = 1
        em_fraction = 0.0
        x_max = float("nan")

    h_max = (float(atmosphere.slant_depth_to_height(x_max, zenith_deg))
             if np.isfinite(x_max) and x_max > 0 else float("nan"))
    total = emitters.total_photons
    mean_height = (float(np.sum(emitters.n_photons * emitters.z) / total) + h_obs
                   if total > 0 else float("nan"))
    truth = {
        "h_first_int_m": float(h_first),
        "x_max_g_cm2": float(x_max),
        "starting_grammage": 0.0,
        "n_photons": total,
        "mean_emission_height_m": mean_height,
        "h_max_m": h_max,
        "n_muons": int(n_muons),
        "em_energy_fraction": em_fraction,
    }
    return emitters, truth
