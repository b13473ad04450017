"""Gamma-score, direction (theta) and multiplicity cuts per reconstructed-energy bin.

Two methods (configuration ``cuts.method``):

``optimize``
    `pyirf.cut_optimization.optimize_cuts` scans a grid of gamma efficiencies x theta
    efficiencies (cut values are the matching percentiles of the signal in each bin) and keeps
    per bin the pair with the best (lowest) flux sensitivity: Li & Ma significance
    ``min_significance`` (5), at least ``min_excess_events`` (10) excess events and an excess
    of at least ``min_excess_over_background`` (5 %) of the background (the background
    systematics), on/off ratio ``alpha``, in the configured observation time (50 h).
``efficiency``
    Fixed efficiencies: the gamma-score cut keeps ``gh_efficiency`` of the signal in each bin,
    the theta cut ``theta_efficiency`` of the signal that passed the score cut.

The cuts table (`cuts_table`) is a product: one row per bin, columns ``low``, ``high``,
``center`` (TeV), ``gh_cut``, ``gh_efficiency``, ``theta_cut`` (deg), ``theta_efficiency``,
``multiplicity``.
"""
import logging
import operator

import astropy.units as u
import numpy as np
from astropy.table import QTable
from pyirf.binning import bin_center
from pyirf.cuts import calculate_percentile_cut, evaluate_binned_cut

__all__ = ["optimize", "fixed_efficiency", "select", "cuts_table", "gh_cut_table", "theta_cut_table"]

log = logging.getLogger(__name__)


def _sensitivity_kwargs(cuts):
    return dict(min_significance=cuts["min_significance"], min_signal_events=cuts["min_excess_events"],
                min_excess_over_background=cuts["min_excess_over_background"])


def _base(reco_energy_bins):
    table = QTable()
    table["low"] = reco_energy_bins[:-1]
    table["high"] = reco_energy_bins[1:]
    table["center"] = bin_center(reco_energy_bins)
    return table


def optimize(signal, background, reco_energy_bins, cuts):
    """Best-sensitivity cuts (pyirf ``optimize_cuts``); returns the cuts table."""
    signal = signal[signal["is_valid"]]
    background = background[background["is_valid"]]
    pyirf_log = logging.getLogger("pyirf")
    old_level = pyirf_log.level
    pyirf_log.setLevel(logging.ERROR)  # one warning per empty grid point otherwise
    try:
        result = _optimize(signal, background, reco_energy_bins, cuts)
    finally:
        pyirf_log.setLevel(old_level)
    return result


def _optimize(signal, background, reco_energy_bins, cuts):
    from pyirf.cut_optimization import optimize_cuts

    # pyirf 0.13: returns (best_sensitivity, best_multiplicity_cut, best_theta_cut, best_gh_cut)
    _, multiplicity, theta, gh = optimize_cuts(
        signal, background, reco_energy_bins,
        multiplicity_cuts=np.array([cuts["min_multiplicity"]]),
        gh_cut_efficiencies=np.asarray(cuts["gh_efficiencies"], dtype=float),
        theta_cut_efficiencies=np.asarray(cuts["theta_efficiencies"], dtype=float),
        fov_offset_min=0 * u.deg, fov_offset_max=cuts["fov_offset_max"] * u.deg, alpha=cuts["alpha"],
        theta_min_value=cuts["theta_min"] * u.deg, theta_max_value=cuts["theta_max"] * u.deg,
        progress=False, **_sensitivity_kwargs(cuts),
    )
    table = _base(reco_energy_bins)
    table["gh_cut"] = np.asarray(gh["cut"], dtype=float)
    table["gh_efficiency"] = np.asarray(gh["efficiency"], dtype=float)
    table["theta_cut"] = u.Quantity(theta["cut"], u.deg)
    table["theta_efficiency"] = np.asarray(theta["efficiency"], dtype=float)
    table["multiplicity"] = np.asarray(multiplicity["cut"], dtype=float).astype(int)
    table.meta["METHOD"] = "optimize"
    return table


def fixed_efficiency(signal, reco_energy_bins, cuts):
    """Cuts at fixed gamma and theta efficiency per bin; returns the cuts table."""
    signal = signal[signal["is_valid"] & (signal["multiplicity"] >= cuts["min_multiplicity"])]
    gh = calculate_percentile_cut(signal["gh_score"], signal["reco_energy"], bins=reco_energy_bins,
                                  fill_value=float(np.max(signal["gh_score"])) if len(signal) else 1.0,
                                  percentile=100 * (1 - cuts["gh_efficiency"]), min_events=cuts["min_events"])
    passed = evaluate_binned_cut(signal["gh_score"], signal["reco_energy"], gh, operator.ge)
    theta = calculate_percentile_cut(signal["theta"][passed], signal["reco_energy"][passed], bins=reco_energy_bins,
                                     fill_value=cuts["theta_max"] * u.deg, min_value=cuts["theta_min"] * u.deg,
                                     max_value=cuts["theta_max"] * u.deg, percentile=100 * cuts["theta_efficiency"],
                                     min_events=cuts["min_events"])
    table = _base(reco_energy_bins)
    table["gh_cut"] = np.asarray(gh["cut"], dtype=float)
    table["gh_efficiency"] = np.full(len(table), cuts["gh_efficiency"])
    table["theta_cut"] = u.Quantity(theta["cut"], u.deg)
    table["theta_efficiency"] = np.full(len(table), cuts["theta_efficiency"])
    table["multiplicity"] = np.full(len(table), cuts["min_multiplicity"], dtype=int)
    table.meta["METHOD"] = "efficiency"
    return table


def cuts_table(signal, background, reco_energy_bins, cuts):
    """The cuts table for the configured method (``cuts`` = the ``cuts`` configuration section)."""
    if cuts["method"] == "optimize":
        table = optimize(signal, background, reco_energy_bins, cuts)
    else:
        table = fixed_efficiency(signal, reco_energy_bins, cuts)
    _fill_sparse_bins(table, signal, reco_energy_bins, cuts)
    table.meta["MIN_SIG"] = cuts["min_significance"]
    table.meta["MIN_EXC"] = cuts["min_excess_events"]
    table.meta["MIN_S_B"] = cuts["min_excess_over_background"]
    table.meta["ALPHA"] = cuts["alpha"]
    return table


def _fill_sparse_bins(table, signal, reco_energy_bins, cuts):
    """Bins with fewer than ``min_events`` signal events take the cuts of the nearest populated bin.

    pyirf fills such bins with a fill value (score cut = the highest score: nothing passes);
    copying the neighbour keeps the IRFs continuous at the ends of the energy range. The
    column ``filled`` marks these bins.
    """
    usable = signal[signal["is_valid"] & (signal["multiplicity"] >= cuts["min_multiplicity"])]
    counts, _ = np.histogram(usable["reco_energy"].to_value(u.TeV), reco_energy_bins.to_value(u.TeV))
    table["n_signal"] = counts
    populated = np.flatnonzero(counts >= cuts["min_events"])
    table["filled"] = counts < cuts["min_events"]
    if len(populated) == 0:
        log.warning("no reco-energy bin has %d signal events; cuts are fill values", cuts["min_events"])
        return
    for i in np.flatnonzero(table["filled"]):
        j = populated[np.argmin(np.abs(populated - i))]
        for name in ("gh_cut", "gh_efficiency", "theta_cut", "theta_efficiency", "multiplicity"):
            table[name][i] = table[name][j]


def gh_cut_table(table):
    """pyirf-style cut table (low/high/center/cut) of the gamma-score cut."""
    out = table["low", "high", "center"].copy()
    out["cut"] = table["gh_cut"]
    return out


def theta_cut_table(table):
    """pyirf-style cut table (low/high/center/cut) of the theta cut."""
    out = table["low", "high", "center"].copy()
    out["cut"] = table["theta_cut"]
    return out


def select(events, table, theta=True):
    """Mask of events passing validity, multiplicity, gamma-score and (optionally) theta cuts.

    Events outside the reco-energy range of the cuts table fail (pyirf convention).
    """
    if len(events) == 0:
        return np.zeros(0, bool)
    mask = np.asarray(events["is_valid"], bool).copy()
    reco_energy = np.where(mask, events["reco_energy"].to_value(u.TeV), 1e-30) * u.TeV
    mult = table.copy()
    mult["cut"] = table["multiplicity"].astype(float)
    mask &= evaluate_binned_cut(events["multiplicity"].astype(float), reco_energy, mult, operator.ge)
    score = np.where(mask, events["gh_score"], -1.0)
    mask &= evaluate_binned_cut(score, reco_energy, gh_cut_table(table), operator.ge)
    if theta:
        values = np.where(mask, events["theta"].to_value(u.deg), 1e9) * u.deg
        mask &= evaluate_binned_cut(values, reco_energy, theta_cut_table(table), operator.le)
    return mask
