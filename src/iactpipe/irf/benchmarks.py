"""Benchmark figures of the IRF stage: what the cuts and the reconstruction did, per energy.

`benchmark_figures` turns the weighted samples of `iactpipe.irf.pipeline.prepare_samples`
and the cuts table into matplotlib Figures (no file is written here; `make_irfs` saves
them). The arrays come from the same events as the IRFs, so the plots and the FITS files
agree:

* ``effective_area_levels`` — effective area of the signal gammas (point-like run, or
  diffuse gammas inside ``cuts.fov_offset_max``) at four levels: array trigger (every event
  in the DL2 files), reconstructed (valid direction, energy and score), after the
  gamma-score and multiplicity cuts, and after the direction (theta) cut as well;
* ``angular_resolution`` and ``energy_bias_resolution`` — signal gammas with a valid
  reconstruction, before and after the gamma-score cut (68 % containment; median bias);
* ``migration_matrix`` — P(E_reco | E_true) of the IRF gammas after the gamma-score cut;
* ``roc`` — gamma/hadron ROC per reconstructed-energy bin, signal gammas against the
  background (protons, electrons) weighted to their target spectra;
* ``background_rate`` — the background rate per steradian after the gamma-score cut, per
  reconstructed-energy bin, inside ``cuts.fov_offset_max`` of the pointing.
"""
import astropy.units as u
import numpy as np

from . import cuts as cutlib
from .weighting import effective_area

__all__ = ["BENCHMARK_FIGURES", "benchmark_figures", "effective_area_levels", "background_rate_per_sr"]

#: names of the figures `benchmark_figures` returns (file stems of the PNGs)
BENCHMARK_FIGURES = ("effective_area_levels", "angular_resolution", "energy_bias_resolution", "migration_matrix",
                     "roc", "background_rate")


def _valid(events):
    return np.asarray(events["is_valid"], bool)


def effective_area_levels(events, productions, cut_table, true_energy_bins, fov_offset_max):
    """Effective area (m²) per true-energy bin at the trigger, reconstruction and cut levels.

    Parameters
    ----------
    events : QTable
        All DL2 events of ``productions`` (triggered array events, reconstructed or not).
    productions : list of Production
    cut_table : QTable
        `iactpipe.irf.cuts.cuts_table` output.
    true_energy_bins : Quantity[energy]
    fov_offset_max : Quantity[angle]
        Diffuse productions: only events with a true FoV offset below this count, and the
        area is that of the thrown showers in the same cone.

    Returns
    -------
    dict
        Label -> area array (m²), in the order trigger, reconstructed, score cut, final.
    """
    offset_bins = u.Quantity([0 * u.deg, fov_offset_max])
    if productions[0].diffuse:
        events = events[events["true_source_fov_offset"] <= fov_offset_max]
    levels = {
        "array trigger": np.ones(len(events), bool),
        "reconstructed (valid direction, energy, score)": _valid(events),
        "+ gamma-score and multiplicity cuts": cutlib.select(events, cut_table, theta=False),
        "+ direction cut (final, point-like)": cutlib.select(events, cut_table, theta=True),
    }
    return {label: effective_area(events[mask], productions, true_energy_bins, offset_bins)[:, 0].to_value(u.m ** 2)
            for label, mask in levels.items()}


def background_rate_per_sr(background, cut_table, reco_energy_bins, fov_offset_max, obs_time):
    """Background rate (s⁻¹ sr⁻¹) per reco-energy bin after the gamma-score cut, and its error.

    Events with a reconstructed FoV offset up to ``fov_offset_max`` count; the rate is the
    sum of their weights (expected events in ``obs_time``) divided by ``obs_time`` and by
    the solid angle of that cone. The error is the square root of the sum of squared
    weights, scaled the same way.
    """
    from pyirf.utils import cone_solid_angle

    selected = cutlib.select(background, cut_table, theta=False)
    selected &= np.asarray(background["reco_source_fov_offset"].to_value(u.deg)) <= fov_offset_max.to_value(u.deg)
    energy = background["reco_energy"][selected].to_value(u.TeV)
    weight = np.asarray(background["weight"][selected], float)
    bins = reco_energy_bins.to_value(u.TeV)
    total, _ = np.histogram(energy, bins, weights=weight)
    squares, _ = np.histogram(energy, bins, weights=weight ** 2)
    scale = 1.0 / (obs_time.to_value(u.s) * cone_solid_angle(fov_offset_max).to_value(u.sr))
    return total * scale, np.sqrt(squares) * scale


def benchmark_figures(samples, cut_table, binning, config):
    """All benchmark Figures of one IRF run.

    Parameters
    ----------
    samples : dict
        `prepare_samples` output (``signal``, ``signal_productions``, ``irf_gammas``,
        ``background``).
    cut_table : QTable
    binning : iactpipe.irf.irfs.Binning
    config : dict
        Validated IRF configuration (``cuts.fov_offset_max``, ``observation_time_h``).

    Returns
    -------
    dict
        Name (see `BENCHMARK_FIGURES`) -> matplotlib Figure; figures whose inputs are absent
        (no background: ``roc``, ``background_rate``) are left out.
    """
    from ..visualization import benchmarks as plots

    fov_offset_max = config["cuts"]["fov_offset_max"] * u.deg
    true_bins = binning.true_energy.to_value(u.TeV)
    reco_bins = binning.reco_energy.to_value(u.TeV)
    signal, background = samples["signal"], samples["background"]
    figures = {}
    areas = effective_area_levels(signal, samples["signal_productions"], cut_table, binning.true_energy,
                                  fov_offset_max)
    figures["effective_area_levels"] = plots.plot_effective_area(true_bins, areas)

    valid = _valid(signal)
    after_score = cutlib.select(signal, cut_table, theta=False)
    energy = signal["true_energy"].to_value(u.TeV)
    theta = signal["theta"].to_value(u.deg)
    fig = plots.plot_angular_resolution(energy[valid], theta[valid], bins=true_bins, label="reconstructed")
    ax = fig.axes[0]
    resolution, counts = plots.binned_quantile(energy[after_score], theta[after_score], true_bins, 0.68)
    centres = np.sqrt(true_bins[1:] * true_bins[:-1])
    ax.plot(centres, resolution, ls="none", marker="s", mfc="none", label="after gamma-score cut")
    ax.legend(fontsize="small")
    figures["angular_resolution"] = fig
    figures["energy_bias_resolution"] = plots.plot_energy_bias_resolution(
        energy[after_score], signal["reco_energy"][after_score].to_value(u.TeV), bins=true_bins)

    gammas = samples["irf_gammas"]
    selected = cutlib.select(gammas, cut_table, theta=False)
    figures["migration_matrix"] = plots.plot_migration_matrix(
        gammas["true_energy"][selected].to_value(u.TeV), gammas["reco_energy"][selected].to_value(u.TeV),
        true_bins=true_bins, reco_bins=reco_bins)

    if background is not None and len(background):
        bkg_valid = _valid(background)
        score = np.concatenate([np.asarray(signal["gh_score"])[valid], np.asarray(background["gh_score"])[bkg_valid]])
        is_gamma = np.concatenate([np.ones(int(valid.sum()), bool), np.zeros(int(bkg_valid.sum()), bool)])
        reco_energy = np.concatenate([signal["reco_energy"][valid].to_value(u.TeV),
                                      background["reco_energy"][bkg_valid].to_value(u.TeV)])
        weights = np.concatenate([np.asarray(signal["weight"])[valid], np.asarray(background["weight"])[bkg_valid]])
        roc_bins = reco_bins[:: max(len(reco_bins) // 5, 1)]
        if roc_bins[-1] != reco_bins[-1]:
            roc_bins = np.append(roc_bins, reco_bins[-1])
        figures["roc"] = plots.plot_roc_curves(score, is_gamma, reco_energy, bins=roc_bins, weights=weights)
        rate, error = background_rate_per_sr(background, cut_table, binning.reco_energy, fov_offset_max,
                                             config["observation_time_h"] * u.h)
        figures["background_rate"] = plots.plot_background_rate(
            reco_bins, rate, error, label=f"protons + electrons, FoV offset < {fov_offset_max.to_value(u.deg):g} deg",
            per_sr=True)
    return figures
