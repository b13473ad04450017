"""Event weights and thrown-event counts from the simulation configuration of each run.

Runs are grouped into *productions*: runs with the same particle and the same simulated
phase space (energy range, spectral index, scatter radius, view cone) form one production,
whose thrown showers add up (pyirf's `SimulatedEventsInfo`, ``n_showers`` including reuse).

Several productions of the same particle (e.g. two energy ranges or scatter radii) are
combined by adding their simulated *flux densities*: an event of true energy E, core distance
r and FoV offset theta could have been thrown by every production whose phase space contains
(E, r, theta), so

    w(E) = Phi_target(E) / sum_g Phi_sim,g(E) * [E in g] * [r <= R_g] * [theta in cone_g],

with ``Phi_sim,g = PowerLaw.from_simulation(info_g, T_obs)`` (pyirf). With one production this
is exactly `pyirf.spectral.calculate_event_weights`. Point-like and diffuse productions of one
particle are never mixed (their fluxes have different units); use them as separate samples.

The same rule gives the effective area of mixed productions (`effective_area`):
A_eff = N_selected / sum_g (N_thrown,g / A_g), per bin; one production reproduces
`pyirf.irf.effective_area_per_energy_and_fov` exactly.
"""
import astropy.units as u
import numpy as np
import pyirf.spectral as spectral
from pyirf.simulations import SimulatedEventsInfo

from ..errors import ConfigurationError

__all__ = ["Production", "group_productions", "target_spectrum", "calculate_weights", "effective_area",
           "thrown_per_energy_and_fov"]

_PHASE_SPACE = ("particle", "diffuse", "energy_min", "energy_max", "spectral_index", "max_impact",
                "viewcone_min", "viewcone_max")


class Production:
    """Runs of one particle sharing one simulated phase space.

    Attributes
    ----------
    particle : str
    diffuse : bool
    obs_ids : list of int
    info : pyirf.simulations.SimulatedEventsInfo
        With ``n_showers`` summed over the runs (including reuse).
    """

    def __init__(self, runs):
        first = runs[0]
        self.particle = first["particle"]
        self.diffuse = first["diffuse"]
        self.obs_ids = [run["obs_id"] for run in runs]
        self.info = SimulatedEventsInfo(
            n_showers=int(sum(run["n_showers"] for run in runs)),
            energy_min=first["energy_min"] * u.TeV, energy_max=first["energy_max"] * u.TeV,
            max_impact=first["max_impact"] * u.m, spectral_index=first["spectral_index"],
            viewcone_min=first["viewcone_min"] * u.deg, viewcone_max=first["viewcone_max"] * u.deg,
        )

    @property
    def area(self):
        """Thrown area pi * max_impact**2."""
        return np.pi * self.info.max_impact ** 2

    def contains(self, events):
        """Mask of events inside this production's thrown phase space (energy, core, view cone)."""
        energy = events["true_energy"]
        inside = (energy >= self.info.energy_min) & (energy <= self.info.energy_max)
        inside &= events["true_impact"] <= self.info.max_impact * (1 + 1e-9)
        if self.diffuse:
            offset = events["true_source_fov_offset"]
            inside &= (offset >= self.info.viewcone_min - 1e-6 * u.deg) & (offset <= self.info.viewcone_max + 1e-6 * u.deg)
        return inside

    def __repr__(self):
        i = self.info
        return (f"Production({self.particle}, {'diffuse' if self.diffuse else 'point-like'}, runs {self.obs_ids}, "
                f"{i.n_showers} showers, E {i.energy_min.value:g}-{i.energy_max.value:g} TeV, index {i.spectral_index}, "
                f"r <= {i.max_impact.value:g} m, cone {i.viewcone_min.value:g}-{i.viewcone_max.value:g} deg)")


def group_productions(runs):
    """Group runs (dicts from `iactpipe.irf.events.read_runs`) into `Production` objects."""
    groups = {}
    for run in runs:
        key = tuple(run[k] for k in _PHASE_SPACE)
        groups.setdefault(key, []).append(run)
    return [Production(group) for group in groups.values()]


def target_spectrum(name):
    """The `pyirf.spectral` spectrum object of that name (e.g. ``CRAB_HEGRA``)."""
    spectrum = getattr(spectral, name, None)
    if spectrum is None or not hasattr(spectrum, "__call__") or isinstance(spectrum, type):
        raise ConfigurationError(f"unknown target spectrum {name!r}")
    return spectrum


def calculate_weights(events, productions, spectrum, obs_time):
    """Weights to the target spectrum for events of one particle and one kind (point-like/diffuse).

    Parameters
    ----------
    events : QTable
        Columns ``true_energy``, ``true_impact``, ``true_source_fov_offset``.
    productions : list of Production
        The productions these events come from (all of one particle and kind).
    spectrum : pyirf spectrum
        Target flux (point-source flux for point-like productions, per sr for diffuse).
    obs_time : Quantity[time]

    Returns
    -------
    numpy.ndarray
        Expected number of such events in ``obs_time`` represented by each event.
    """
    kinds = {(p.particle, p.diffuse) for p in productions}
    if len(kinds) > 1:
        raise ConfigurationError(f"cannot weight productions of different particles or kinds together: {sorted(kinds)}")
    energy = events["true_energy"]
    if len(productions) == 1:
        simulated = spectral.PowerLaw.from_simulation(productions[0].info, obstime=obs_time)
        return np.asarray(spectral.calculate_event_weights(energy, spectrum, simulated), dtype=float)
    density = None
    for production in productions:
        simulated = spectral.PowerLaw.from_simulation(production.info, obstime=obs_time)
        term = simulated(energy) * production.contains(events)
        density = term if density is None else density + term
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = (spectrum(energy) / density).to_value(u.one)
    return np.where(np.isfinite(weights), weights, 0.0)


def thrown_per_energy_and_fov(production, true_energy_bins, fov_offset_bins):
    """Thrown showers per (true energy, FoV offset) bin of one production (pyirf's rule).

    Point-like productions: the thrown showers per energy in every offset column (pyirf's
    per-FoV split is defined only for view cones).
    """
    if production.diffuse:
        return production.info.calculate_n_showers_per_energy_and_fov(true_energy_bins, fov_offset_bins)
    per_energy = production.info.calculate_n_showers_per_energy(true_energy_bins)
    return np.repeat(per_energy[:, np.newaxis], len(fov_offset_bins) - 1, axis=1)


def effective_area(selected_events, productions, true_energy_bins, fov_offset_bins):
    """Effective area per (true energy, FoV offset) bin, shape (n_energy, n_offset), in m2.

    One diffuse production: ``pyirf.irf.effective_area_per_energy_and_fov`` (called directly).
    One point-like production: ``pyirf.irf.effective_area_per_energy``, the same in every
    offset bin (the on-axis response stands for all offsets). Several productions:
    ``A = N_selected / sum_g (N_thrown,g / A_g)`` (module docstring). Bins without thrown
    showers get 0.
    """
    from pyirf.irf import effective_area_per_energy, effective_area_per_energy_and_fov

    with np.errstate(divide="ignore", invalid="ignore"):
        if len(productions) == 1 and productions[0].diffuse:
            area = effective_area_per_energy_and_fov(selected_events, productions[0].info, true_energy_bins,
                                                     fov_offset_bins).to(u.m ** 2)
            return np.nan_to_num(area, nan=0.0)
        if len(productions) == 1:
            area = effective_area_per_energy(selected_events, productions[0].info, true_energy_bins).to(u.m ** 2)
            return np.repeat(np.nan_to_num(area, nan=0.0)[:, np.newaxis], len(fov_offset_bins) - 1, axis=1)
        if productions[0].diffuse:
            hist, _, _ = np.histogram2d(selected_events["true_energy"].to_value(u.TeV),
                                        selected_events["true_source_fov_offset"].to_value(u.deg),
                                        bins=[true_energy_bins.to_value(u.TeV), fov_offset_bins.to_value(u.deg)])
        else:
            hist = np.histogram(selected_events["true_energy"].to_value(u.TeV), true_energy_bins.to_value(u.TeV))[0]
            hist = np.repeat(hist[:, np.newaxis], len(fov_offset_bins) - 1, axis=1)
        density = sum(thrown_per_energy_and_fov(p, true_energy_bins, fov_offset_bins) / p.area.to_value(u.m ** 2)
                      for p in productions)
        area = np.where(density > 0, hist / density, 0.0)
    return area * u.m ** 2
