"""Configuration of a simulation run: what is thrown, where, and how it is seen.

One frozen dataclass, `SimulationConfig`, holds every setting of ``iactpipe simulate``.
It is built from a particle preset (`PARTICLE_PRESETS`), then a YAML mapping (the
``simulation:`` section of a config file), then command-line overrides; unknown keys and
out-of-range values raise `ConfigurationError` naming the key.
"""
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from ..errors import ConfigurationError

__all__ = [
    "PARTICLES",
    "PRIMARY_IDS",
    "PARTICLE_PRESETS",
    "DEFAULT_EFFICIENCY",
    "SimulationConfig",
    "derive_seed",
]

#: Particle choices of ``iactpipe simulate --particle``.
PARTICLES = ("gamma", "gamma-diffuse", "proton", "electron")

#: CORSIKA/ctapipe primary ids (0 gamma, 1 electron, 101 proton).
PRIMARY_IDS = {"gamma": 0, "electron": 1, "proton": 101}

#: Photon-detection efficiency (mirror reflectivity x window/light guide x QE, 300-600 nm
#: band average, before the atmosphere) per telescope class. LST from the camera-efficiency
#: chain of REFERENCE 3.5 (~0.27 at 350-400 nm, 0.245 at 440 nm: 0.25 as band average);
#: MST/SST/SCT lower, consistent with "~10 % overall including atmosphere" (REFERENCE 3.5).
DEFAULT_EFFICIENCY = {"LST": 0.25, "MST": 0.17, "SCT": 0.17, "SST": 0.15}

#: Defaults per particle: point-like gammas from the pointing direction, diffuse particles
#: in a view cone; scatter radii large enough that the triggered fraction at the radius
#: edge is small for the default array at 20 deg zenith (see docs/simulation.md).
PARTICLE_PRESETS = {
    "gamma": dict(energy_min_tev=0.01, energy_max_tev=100.0, spectral_index=-2.0,
                  viewcone_min_deg=0.0, viewcone_max_deg=0.0, scatter_radius_max_m=1000.0),
    "gamma-diffuse": dict(energy_min_tev=0.01, energy_max_tev=100.0, spectral_index=-2.0,
                          viewcone_min_deg=0.0, viewcone_max_deg=6.0, scatter_radius_max_m=1000.0),
    "proton": dict(energy_min_tev=0.02, energy_max_tev=200.0, spectral_index=-2.0,
                   viewcone_min_deg=0.0, viewcone_max_deg=8.0, scatter_radius_max_m=1500.0),
    "electron": dict(energy_min_tev=0.01, energy_max_tev=50.0, spectral_index=-2.0,
                     viewcone_min_deg=0.0, viewcone_max_deg=6.0, scatter_radius_max_m=1000.0),
}


def derive_seed(base_seed, run):
    """A 63-bit seed for run ``run`` derived from ``base_seed`` (independent streams per run).

    Uses numpy's `SeedSequence`, whose spawned states are statistically independent, so a
    production is embarrassingly parallel: each run can be simulated anywhere, in any order.
    """
    state = np.random.SeedSequence([int(base_seed), int(run)]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


@dataclass(frozen=True)
class SimulationConfig:
    """Settings of one simulation run.

    Attributes
    ----------
    particle : str
        One of `PARTICLES`; ``gamma`` is point-like, the others diffuse.
    n_showers : int
        Showers simulated (each thrown ``shower_reuse`` times).
    run : int
        Run number, stored as ``obs_id``.
    seed : int
        Base seed; the run's generator is seeded with ``derive_seed(seed, run)``.
    array : str
        Built-in array name (`iactpipe.instrument.catalog.array_names`).
    shower_reuse : int
        Core positions thrown per shower.
    energy_min_tev, energy_max_tev : float
        Energy range, TeV.
    spectral_index : float
        dN/dE ∝ E^spectral_index (negative).
    pointing_alt_deg, pointing_az_deg : float
        Array pointing (all telescopes parallel), deg; az from North towards East.
    source_offset_deg : float
        Point-like source offset from the pointing (towards higher altitude), deg.
    viewcone_min_deg, viewcone_max_deg : float
        Diffuse arrival directions: uniform in solid angle inside this cone ring, deg.
    scatter_radius_min_m, scatter_radius_max_m : float
        Core scatter radii, m.
    core_scatter_plane : str
        ``"tilted"`` (perpendicular to the shower axis) or ``"ground"``.
    atmosphere : str
        ``"la_palma"`` (tabulated 5-layer profile) or ``"exponential"``.
    min_telescopes : int
        Telescopes needed for an array trigger.
    efficiency : dict
        Photon-detection efficiency per telescope class (LST, MST, SCT, SST).
    electronics : dict
        Per-camera overrides of the electronics parameters (camera name -> {key: value}).
    write_true_images : bool
        Store the true photo-electron image of every triggered telescope.
    chunk_showers : int
        Showers processed between two writes (bounds memory).
    """

    particle: str = "gamma"
    n_showers: int = 100
    run: int = 1
    seed: int = 0
    array: str = "CTAO-North-alpha"
    shower_reuse: int = 5
    energy_min_tev: float = 0.01
    energy_max_tev: float = 100.0
    spectral_index: float = -2.0
    pointing_alt_deg: float = 70.0
    pointing_az_deg: float = 180.0
    source_offset_deg: float = 0.0
    viewcone_min_deg: float = 0.0
    viewcone_max_deg: float = 0.0
    scatter_radius_min_m: float = 0.0
    scatter_radius_max_m: float = 1000.0
    core_scatter_plane: str = "tilted"
    atmosphere: str = "la_palma"
    min_telescopes: int = 2
    efficiency: dict = field(default_factory=lambda: dict(DEFAULT_EFFICIENCY))
    electronics: dict = field(default_factory=dict)
    write_true_images: bool = True
    chunk_showers: int = 200

    def __post_init__(self):
        self.validate()

    @classmethod
    def from_dict(cls, values=None, particle=None):
        """Build a config: particle preset, then ``values`` (e.g. the YAML ``simulation:`` section).

        Parameters
        ----------
        values : dict, optional
            Settings; unknown keys raise `ConfigurationError`.
        particle : str, optional
            Particle whose preset supplies defaults (else ``values["particle"]`` or gamma).
        """
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigurationError(f"unknown simulation setting(s) {', '.join(unknown)}; "
                                     f"known: {', '.join(sorted(known))}")
        particle = particle or values.get("particle", "gamma")
        if particle not in PARTICLES:
            raise ConfigurationError(f"unknown particle {particle!r}; choose from {', '.join(PARTICLES)}")
        merged = {"particle": particle, **PARTICLE_PRESETS[particle], **values, }
        merged["particle"] = particle
        if "efficiency" in values:
            merged["efficiency"] = {**DEFAULT_EFFICIENCY, **values["efficiency"]}
        return cls(**merged)

    def with_overrides(self, **overrides):
        """A copy with the given (non-None) settings replaced."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def primary(self):
        """Primary particle name without the diffuse qualifier (gamma, proton, electron)."""
        return self.particle.replace("-diffuse", "")

    @property
    def primary_id(self):
        """CORSIKA primary id (0 gamma, 1 electron, 101 proton)."""
        return PRIMARY_IDS[self.primary]

    @property
    def diffuse(self):
        """True if arrival directions fill a view cone."""
        return self.viewcone_max_deg > 0

    @property
    def run_seed(self):
        """The seed of this run's random generator."""
        return derive_seed(self.seed, self.run)

    def to_dict(self):
        """Plain-dict form (for provenance and the run table)."""
        return asdict(self)

    def validate(self):
        """Raise `ConfigurationError` naming the first invalid setting."""

        def fail(key, text):
            raise ConfigurationError(f"simulation setting {key}={getattr(self, key)!r}: {text}")

        if self.particle not in PARTICLES:
            fail("particle", f"choose from {', '.join(PARTICLES)}")
        for key in ("n_showers", "shower_reuse", "min_telescopes", "chunk_showers"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                fail(key, "must be a positive integer")
        if not isinstance(self.run, (int, np.integer)) or not 0 < self.run < 2**31:
            fail("run", "must be an integer in [1, 2^31)")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            fail("seed", "must be a non-negative integer")
        if not (np.isfinite(self.energy_min_tev) and self.energy_min_tev > 0):
            fail("energy_min_tev", "must be a positive energy in TeV")
        if not (np.isfinite(self.energy_max_tev) and self.energy_max_tev > self.energy_min_tev):
            fail("energy_max_tev", f"must be larger than energy_min_tev={self.energy_min_tev}")
        if not (self.energy_min_tev >= 1e-3 and self.energy_max_tev <= 1e4):
            fail("energy_max_tev" if self.energy_max_tev > 1e4 else "energy_min_tev",
                 "the shower model is valid from 1 GeV to 10 PeV")
        if not -5.0 <= self.spectral_index <= -1.0:
            fail("spectral_index", "must lie in [-5, -1] (dN/dE ∝ E^index, sign included)")
        # the shower model covers zenith angles up to 70 deg (altitude >= 20 deg) and the
        # view cone reaches 10 deg below the pointing
        if not 30.0 <= self.pointing_alt_deg <= 90.0:
            fail("pointing_alt_deg", "must lie in [30, 90] deg")
        if not np.isfinite(self.pointing_az_deg):
            fail("pointing_az_deg", "must be finite")
        if not 0.0 <= self.source_offset_deg <= 10.0:
            fail("source_offset_deg", "must lie in [0, 10] deg")
        if not 0.0 <= self.viewcone_min_deg <= self.viewcone_max_deg <= 10.0:
            fail("viewcone_max_deg", "view cone must satisfy 0 <= min <= max <= 10 deg")
        if self.particle == "gamma" and self.viewcone_max_deg > 0:
            fail("viewcone_max_deg", "point-like gammas have no view cone (use particle gamma-diffuse)")
        if self.particle != "gamma" and self.viewcone_max_deg <= 0:
            fail("viewcone_max_deg", f"{self.particle} needs a view cone > 0")
        if not 0.0 <= self.scatter_radius_min_m < self.scatter_radius_max_m <= 1e4:
            fail("scatter_radius_max_m", "scatter radii must satisfy 0 <= min < max <= 10 km")
        if self.core_scatter_plane not in ("tilted", "ground"):
            fail("core_scatter_plane", "choose 'tilted' or 'ground'")
        if self.atmosphere not in ("la_palma", "exponential"):
            fail("atmosphere", "choose 'la_palma' or 'exponential'")
        for tel_class, value in self.efficiency.items():
            if tel_class not in DEFAULT_EFFICIENCY:
                fail("efficiency", f"unknown telescope class {tel_class!r}; known: {', '.join(DEFAULT_EFFICIENCY)}")
            if not 0.0 < value <= 1.0:
                fail("efficiency", f"efficiency of {tel_class} must lie in (0, 1]")
        if not isinstance(self.electronics, dict):
            fail("electronics", "must map camera names to dicts of settings")
        from ..instrument.catalog import array_names

        if self.array not in array_names():
            fail("array", f"unknown array; built-in arrays: {', '.join(array_names())}")
