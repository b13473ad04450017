"""Differential point-source sensitivity (pyirf) and its plot against the CTAO reference.

Per reco-energy bin (after the gamma-score, theta and multiplicity cuts): weighted signal
counts (point source with the gamma target spectrum) and the background in the on region
estimated from the background events within ``cuts.fov_offset_max`` of the FoV centre scaled
by solid angle (`pyirf.sensitivity.estimate_background`); `pyirf.sensitivity.calculate_sensitivity`
finds the flux scale giving ``min_significance`` (Li & Ma eq. 17, on/off ratio ``alpha``) with
at least ``min_excess_events`` and ``min_excess_over_background`` x background excess.
Flux sensitivity = relative sensitivity x target spectrum at the bin centre; we also give
E^2 x flux in erg cm-2 s-1.
"""
import astropy.units as u
import numpy as np
from astropy.table import QTable
from pyirf.binning import create_histogram_table
from pyirf.sensitivity import calculate_sensitivity, estimate_background

__all__ = ["sensitivity_table", "REFERENCE_POINTS", "plot_sensitivity", "plot_performance"]

#: CTAO reference values (REFERENCE.md §4.1: prod5 v0.1 alpha, 20 deg zenith, 50 h, rough estimate
#: from the public IRFs; the official requirement curves are published only as figures):
#: (site, energy TeV, E^2 F erg cm-2 s-1)
REFERENCE_POINTS = (
    ("CTAO-North alpha (prod5, 50 h)", 1.0, 2.0e-13),
    ("CTAO-South alpha (prod5, 50 h)", 1.0, 1.4e-13),
)


def sensitivity_table(signal, background, theta_cuts, reco_energy_bins, spectrum, cuts):
    """Sensitivity per reco-energy bin.

    Parameters
    ----------
    signal : QTable
        Signal events that passed all cuts, with ``weight``.
    background : QTable
        Background events that passed the gamma-score and multiplicity cuts, with ``weight``.
    theta_cuts : QTable
        pyirf cut table (``low``, ``high``, ``center``, ``cut``) of the theta cut.
    spectrum : pyirf spectrum (the gamma target)
    cuts : dict
        The ``cuts`` configuration section.

    Returns
    -------
    QTable
        pyirf's columns (``reco_energy_low/high/center``, ``n_signal``, ``n_signal_weighted``,
        ``n_background``, ``n_background_weighted``, ``significance``, ``relative_sensitivity``)
        plus ``flux_sensitivity`` (TeV-1 cm-2 s-1) and ``energy_flux_sensitivity`` (erg cm-2 s-1).
    """
    signal_hist = create_histogram_table(signal, reco_energy_bins, "reco_energy")
    background_hist = estimate_background(background, reco_energy_bins, theta_cuts, alpha=cuts["alpha"],
                                          fov_offset_min=0 * u.deg, fov_offset_max=cuts["fov_offset_max"] * u.deg)
    table = calculate_sensitivity(signal_hist, background_hist, alpha=cuts["alpha"],
                                  min_significance=cuts["min_significance"],
                                  min_signal_events=cuts["min_excess_events"],
                                  min_excess_over_background=cuts["min_excess_over_background"])
    energy = table["reco_energy_center"]
    flux = (table["relative_sensitivity"] * spectrum(energy)).to(u.Unit("TeV-1 cm-2 s-1"))
    table["flux_sensitivity"] = flux
    table["energy_flux_sensitivity"] = (energy ** 2 * flux).to(u.Unit("erg cm-2 s-1"))
    return QTable(table)


def plot_sensitivity(table, spectrum=None, obs_time=None, label="iactpipe", cuts=None):
    """E^2 x flux sensitivity vs reco energy with the CTAO reference points (a Figure)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.subplots()
    energy = table["reco_energy_center"].to_value(u.TeV)
    lo = energy - table["reco_energy_low"].to_value(u.TeV)
    hi = table["reco_energy_high"].to_value(u.TeV) - energy
    value = table["energy_flux_sensitivity"].to_value(u.Unit("erg cm-2 s-1"))
    good = np.isfinite(value) & (value > 0)
    ax.errorbar(energy[good], value[good], xerr=[lo[good], hi[good]], ls="", marker="o", ms=4, label=label)
    for name, e_ref, e2f in REFERENCE_POINTS:
        ax.plot([e_ref], [e2f], marker="*", ms=12, ls="", label=f"{name}, REFERENCE.md §4.1")
    if spectrum is not None:
        grid = np.geomspace(0.01, 300, 100) * u.TeV
        crab = (grid ** 2 * spectrum(grid)).to_value(u.Unit("erg cm-2 s-1"))
        for fraction in (1.0, 0.1, 0.01):
            ax.plot(grid.value, fraction * crab, color="gray", ls=":", lw=1)
            ax.text(grid.value[-1], fraction * crab[-1], f"{fraction:g} Crab", fontsize=7, ha="right", va="bottom")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("reconstructed energy (TeV)")
    ax.set_ylabel(r"$E^2\,F_\mathrm{sens}$ (erg cm$^{-2}$ s$^{-1}$)")
    if cuts is None:
        cuts = {"min_significance": 5, "min_excess_events": 10, "min_excess_over_background": 0.05}
    title = (f"differential sensitivity ({cuts['min_significance']:g}σ, ≥{cuts['min_excess_events']:g} γ, "
             f"S/B ≥ {100 * cuts['min_excess_over_background']:g} %)")
    if obs_time is not None:
        title += f", {obs_time.to_value(u.h):g} h"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    return fig


def plot_performance(perf):
    """Effective area, angular resolution, energy bias and resolution vs true energy (a Figure)."""
    from matplotlib.figure import Figure

    energy = perf["true_energy_center"].to_value(u.TeV)
    fig = Figure(figsize=(13, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    any_area = False
    for name, label in (("aeff_full_enclosure", "full enclosure"), ("aeff_point_like", "point-like (theta cut)")):
        values = perf[name].to_value(u.m ** 2)
        good = values > 0
        any_area |= bool(good.any())
        axes[0].plot(energy[good], values[good], marker="o", ms=3, label=label)
    axes[0].set_ylabel("effective area, first offset bin (m²)")
    if any_area:  # a log axis needs positive values (tiny productions may have none after cuts)
        axes[0].set_yscale("log")
        axes[0].legend(fontsize=8)
    else:
        axes[0].text(0.5, 0.5, "no events after cuts", ha="center", transform=axes[0].transAxes)
    axes[1].plot(energy, perf["angular_resolution_68"].to_value(u.deg), marker="o", ms=3)
    axes[1].set_ylabel("angular resolution R68 (deg)")
    axes[2].plot(energy, perf["energy_resolution"], marker="o", ms=3, label="resolution (68 %)")
    axes[2].plot(energy, perf["energy_bias"], marker="s", ms=3, label="bias (median)")
    axes[2].axhline(0, color="gray", lw=0.8)
    axes[2].set_ylabel("ΔE/E")
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlim(perf["true_energy_low"][0].to_value(u.TeV), perf["true_energy_high"][-1].to_value(u.TeV))
        ax.set_xlabel("true energy (TeV)")
        ax.grid(True, which="both", alpha=0.3)
    return fig
