"""The IRF stage end to end: DL2 files -> weights -> cuts -> IRFs, sensitivity, benchmarks.

`make_irfs` is what ``iactpipe irf`` runs. Samples (by particle and kind of production):

* **signal** for cut optimisation and sensitivity: the point-like gammas; without them, the
  diffuse gammas with true FoV offset <= ``cuts.fov_offset_max``, weighted as a point source
  (target point flux divided by the solid angle of that region).
* **IRF gammas**: the diffuse gammas (offset dependence); without them, the point-like ones.
* **background**: protons and electrons (diffuse), weighted to their target spectra.

Every output is written under a temporary name and renamed when complete.
"""
import json
import logging
import os
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.table import QTable, vstack
from pyirf.utils import cone_solid_angle

from ..errors import ConfigurationError, DataLevelError
from . import cuts as cutlib
from .benchmarks import BENCHMARK_FIGURES, benchmark_figures, effective_area_levels
from .config import load_config
from .events import read_many
from .irfs import Binning, compute_irfs, irf_hdus
from .sensitivity import plot_performance, plot_sensitivity, sensitivity_table
from .weighting import calculate_weights, group_productions, target_spectrum

__all__ = ["OUTPUT_FILES", "prepare_samples", "make_irfs", "performance_table", "atomic_path"]

log = logging.getLogger(__name__)

#: products of `make_irfs` (file names inside the output folder)
OUTPUT_FILES = {
    "cuts": "cuts.ecsv",
    "irf_point_like": "irf_point_like.fits.gz",
    "irf_full_enclosure": "irf_full_enclosure.fits.gz",
    "sensitivity": "sensitivity.ecsv",
    "sensitivity_fits": "sensitivity.fits.gz",
    "sensitivity_plot": "sensitivity.png",
    "performance": "performance.ecsv",
    "performance_plot": "performance.png",
    "summary": "summary.json",
    **{f"{name}_plot": f"{name}.png" for name in BENCHMARK_FIGURES},
}


class atomic_path:
    """Context manager yielding ``<path>.partial<suffix>``; renamed to ``path`` on success."""

    def __init__(self, path):
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial" + "".join(self.path.suffixes[-2:]))

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.partial.unlink(missing_ok=True)
        return self.partial

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)
        return False


def _subset(events, obs_ids):
    return events[np.isin(events["obs_id"], list(obs_ids))]


def prepare_samples(events, runs, config):
    """Split events into weighted samples.

    Returns
    -------
    dict
        ``signal``, ``irf_gammas``, ``background`` (QTable with a ``weight`` column, or
        None), ``signal_productions`` and ``irf_productions`` (lists of Production),
        ``productions`` (all), ``signal_kind``.
    """
    obs_time = config["observation_time_h"] * u.h
    productions = group_productions(runs)
    by_kind = {}
    for production in productions:
        by_kind.setdefault((production.particle, production.diffuse), []).append(production)
    samples = {"productions": productions}

    def weighted(kind, spectrum, restrict=None):
        prods = by_kind[kind]
        sample = _subset(events, [o for p in prods for o in p.obs_ids])
        if restrict is not None:
            sample = sample[restrict(sample)]
        sample["weight"] = calculate_weights(sample, prods, spectrum, obs_time)
        return sample, prods

    gamma_spectrum = target_spectrum(config["spectra"]["gamma"])
    if ("gamma", False) in by_kind:
        samples["signal"], samples["signal_productions"] = weighted(("gamma", False), gamma_spectrum)
        samples["signal_kind"] = "point-like gammas"
    elif ("gamma", True) in by_kind:
        prods = by_kind[("gamma", True)]
        r_max = config["cuts"]["fov_offset_max"] * u.deg
        cone_max = max(p.info.viewcone_max for p in prods)
        cone_min = min(p.info.viewcone_min for p in prods)
        r_high = min(r_max, cone_max)
        if r_high <= cone_min:
            raise ConfigurationError(f"cuts.fov_offset_max = {r_max}: no diffuse gammas simulated there "
                                     f"(view cone {cone_min}-{cone_max})")
        region = (cone_solid_angle(r_high) - cone_solid_angle(cone_min)).to(u.sr)

        def per_sr(energy, _spectrum=gamma_spectrum, _region=region):
            return _spectrum(energy) / _region

        samples["signal"], samples["signal_productions"] = weighted(
            ("gamma", True), per_sr, restrict=lambda s: s["true_source_fov_offset"] <= r_high)
        samples["signal_kind"] = f"diffuse gammas within {r_high:.2f} as a point source"
    else:
        raise DataLevelError("inputs", "no simulated gammas among the input files")

    if ("gamma", True) in by_kind:
        samples["irf_productions"] = by_kind[("gamma", True)]
    else:
        samples["irf_productions"] = by_kind[("gamma", False)]
    samples["irf_gammas"] = _subset(events, [o for p in samples["irf_productions"] for o in p.obs_ids])

    background = []
    for particle in ("proton", "electron"):
        if (particle, False) in by_kind:
            raise DataLevelError("inputs", f"point-like {particle} simulations cannot be weighted to a diffuse "
                                           "cosmic-ray flux; simulate them with a view cone")
        if (particle, True) in by_kind:
            sample, _ = weighted((particle, True), target_spectrum(config["spectra"][particle]))
            background.append(sample)
    samples["background"] = vstack(background) if background else None
    return samples


def performance_table(gammas, binning):
    """Angular resolution (68 %), energy bias and resolution in true-energy bins (pyirf benchmarks)."""
    from pyirf.benchmarks import angular_resolution, energy_bias_resolution

    table = QTable()
    ang = angular_resolution(gammas, binning.true_energy)
    bias = energy_bias_resolution(gammas, binning.true_energy)
    table["true_energy_low"] = ang["true_energy_low"]
    table["true_energy_high"] = ang["true_energy_high"]
    table["true_energy_center"] = ang["true_energy_center"]
    table["angular_resolution_68"] = ang[[c for c in ang.colnames if c.startswith("angular_resolution")][0]]
    table["energy_bias"] = bias["bias"]
    table["energy_resolution"] = bias["resolution"]
    counts, _ = np.histogram(gammas["true_energy"].to_value(u.TeV), binning.true_energy.to_value(u.TeV))
    table["n_events"] = counts
    return table


def _fits_table_hdu(table, name):
    hdu = fits.table_to_hdu(table)
    hdu.name = name
    return hdu


def make_irfs(inputs, output_dir, config=None, overwrite=False):
    """Compute cuts, IRFs (point-like and full-enclosure), sensitivity and benchmarks.

    Parameters
    ----------
    inputs : list of path-like
        DL2 files (after ``iactpipe apply``) of gammas (point-like and/or diffuse), protons,
        electrons; several runs with different settings allowed.
    output_dir : path-like
        Folder for the products (`OUTPUT_FILES`).
    config : mapping or path, optional
        See `iactpipe.irf.config`.

    Returns
    -------
    dict
        Summary (numbers also written to ``summary.json``).
    """
    config = load_config(config)
    output_dir = Path(output_dir)
    targets = {key: output_dir / name for key, name in OUTPUT_FILES.items()}
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not overwrite:
        raise ConfigurationError(f"{existing[0]}: output file exists (use --overwrite to replace it)")
    names = {k: config["columns"][k] for k in ("geometry", "energy", "classification")}
    events, runs = read_many(inputs, **names)
    samples = prepare_samples(events, runs, config)
    binning = Binning(config["binning"])
    obs_time = config["observation_time_h"] * u.h
    cfg_cuts = config["cuts"]
    signal, background = samples["signal"], samples["background"]
    if background is None and cfg_cuts["method"] == "optimize":
        raise ConfigurationError("cuts.method = optimize needs background (proton/electron) files; "
                                 "add them or use cuts.method = efficiency")
    for production in samples["productions"]:
        log.info("%r", production)
    log.info("signal: %s (%d events, %.4g expected in %s)", samples["signal_kind"], len(signal),
             float(np.sum(signal["weight"])), obs_time)

    cut_table = cutlib.cuts_table(signal, background if background is not None else signal[:0],
                                  binning.reco_energy, cfg_cuts)
    theta_cuts = cutlib.theta_cut_table(cut_table)

    gammas = samples["irf_gammas"]
    bkg_selected = background[cutlib.select(background, cut_table, theta=False)] if background is not None else None
    header = dict(TELESCOP="CTA-SIM", INSTRUME="iactpipe", OBS_TIME=(config["observation_time_h"], "h"))
    summary = {"inputs": [str(p) for p in inputs], "signal": samples["signal_kind"],
               "productions": [repr(p) for p in samples["productions"]]}
    aeff_first_offset = {}
    for point_like, key in ((True, "irf_point_like"), (False, "irf_full_enclosure")):
        selected = gammas[cutlib.select(gammas, cut_table, theta=point_like)]
        irfs = compute_irfs(selected, samples["irf_productions"], bkg_selected, binning, obs_time, point_like,
                            rad_max=cut_table["theta_cut"] if point_like else None,
                            bkg_3d_min_events=config["binning"]["bkg_3d_min_events"])
        hdus = irf_hdus(irfs, binning, point_like, **header)
        with atomic_path(targets[key]) as tmp:
            fits.HDUList(hdus).writeto(tmp)
        summary[f"{key}_n_gammas"] = int(len(selected))
        aeff_first_offset[key] = irfs["aeff"][:, 0]
        summary[f"{key}_bkg"] = "3D" if "bkg_3d" in irfs else ("2D" if "bkg_2d" in irfs else "none")

    with atomic_path(targets["cuts"]) as tmp:
        cut_table.write(tmp, format="ascii.ecsv")

    gamma_spectrum = target_spectrum(config["spectra"]["gamma"])
    if background is not None:
        sig_selected = signal[cutlib.select(signal, cut_table, theta=True)]
        sens = sensitivity_table(sig_selected, bkg_selected, theta_cuts, binning.reco_energy, gamma_spectrum, cfg_cuts)
        with atomic_path(targets["sensitivity"]) as tmp:
            sens.write(tmp, format="ascii.ecsv")
        with atomic_path(targets["sensitivity_fits"]) as tmp:
            fits.HDUList([fits.PrimaryHDU(), _fits_table_hdu(sens, "SENSITIVITY")]).writeto(tmp)
        with atomic_path(targets["sensitivity_plot"]) as tmp:
            plot_sensitivity(sens, spectrum=gamma_spectrum, obs_time=obs_time, cuts=cfg_cuts).savefig(tmp)
        one_tev = np.flatnonzero((sens["reco_energy_low"] <= 1 * u.TeV) & (sens["reco_energy_high"] > 1 * u.TeV))
        if len(one_tev):
            i = one_tev[0]
            summary["sensitivity_1TeV_bin"] = [float(sens["reco_energy_low"][i].value), float(sens["reco_energy_high"][i].value)]
            summary["sensitivity_1TeV_relative_crab"] = float(sens["relative_sensitivity"][i])
            summary["sensitivity_1TeV_erg_cm2_s"] = float(sens["energy_flux_sensitivity"][i].value)
    # the signal gammas (point-like runs when there are any) after the score cut: the largest
    # sample of on-axis gammas, so the resolution curves are the least noisy
    perf = performance_table(signal[cutlib.select(signal, cut_table, theta=False)], binning)
    perf["aeff_point_like"] = aeff_first_offset["irf_point_like"]
    perf["aeff_full_enclosure"] = aeff_first_offset["irf_full_enclosure"]
    perf.meta["AEFF_OFFSET"] = f"{binning.fov_offset[0].value:g}-{binning.fov_offset[1].value:g} deg"
    with atomic_path(targets["performance"]) as tmp:
        perf.write(tmp, format="ascii.ecsv")
    with atomic_path(targets["performance_plot"]) as tmp:
        plot_performance(perf).savefig(tmp)
    for name, figure in benchmark_figures(samples, cut_table, binning, config).items():
        with atomic_path(targets[f"{name}_plot"]) as tmp:
            figure.savefig(tmp)
    for energy in (0.1, 1.0, 10.0):
        i = np.searchsorted(binning.true_energy.to_value(u.TeV), energy, side="right") - 1
        summary[f"performance_{energy:g}TeV"] = {
            "angular_resolution_68_deg": float(perf["angular_resolution_68"][i].to_value(u.deg)),
            "energy_resolution": float(perf["energy_resolution"][i]), "energy_bias": float(perf["energy_bias"][i]),
            "aeff_full_enclosure_m2": float(perf["aeff_full_enclosure"][i].to_value(u.m ** 2)),
            "aeff_point_like_m2": float(perf["aeff_point_like"][i].to_value(u.m ** 2)),
            "n_events": int(perf["n_events"][i])}
    levels = effective_area_levels(signal, samples["signal_productions"], cut_table, binning.true_energy,
                                   cfg_cuts["fov_offset_max"] * u.deg)
    summary["signal_effective_area_m2"] = {}
    for energy in (0.1, 1.0, 10.0):
        i = np.searchsorted(binning.true_energy.to_value(u.TeV), energy, side="right") - 1
        summary["signal_effective_area_m2"][f"{energy:g}TeV"] = {label: float(area[i]) for label, area in levels.items()}
    summary["n_signal_selected"] = int(cutlib.select(signal, cut_table, theta=True).sum())
    summary["n_background_selected"] = int(len(bkg_selected)) if bkg_selected is not None else 0
    with atomic_path(targets["summary"]) as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n")
    summary["outputs"] = {k: str(p) for k, p in targets.items() if p.exists()}
    return summary
