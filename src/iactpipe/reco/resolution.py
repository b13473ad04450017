"""Angular and core resolution of the stereo reconstruction against the simulation truth.

Definitions (as pyirf's ``angular_resolution``): in each bin of true energy, the angular
resolution is the 68 % containment radius of the angular distance between the
reconstructed and the true direction, and the core resolution the 68 % quantile of the
ground-frame distance between the reconstructed and the true core, over the events with
a valid reconstruction. Bins with fewer than ``min_events`` such events get NaN.
"""
import json
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_ENERGY_BINS_TEV", "resolution_vs_energy", "read_events", "plot_resolution", "write_resolution"]

#: 5 bins per decade from 10 GeV to 100 TeV.
DEFAULT_ENERGY_BINS_TEV = np.logspace(-2, 2, 21)


def read_events(paths, algorithm="HillasReconstructor"):
    """Array events of DL2 files with truth and reconstruction, as plain arrays.

    Parameters
    ----------
    paths : path-like or sequence of path-like
        DL2 files written by `iactpipe.reco.reconstruct_file` from simulations.
    algorithm : str
        Reconstruction whose columns to use.

    Returns
    -------
    dict of ndarray
        ``true_energy`` (TeV), ``theta`` (deg), ``core_distance`` (m), ``is_valid``,
        ``multiplicity``, ``h_max`` (m), ``true_x_max`` (g/cm2).
    """
    from ..coordinates import angular_separation
    from ..io.hdf5 import read_subarray_events

    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    parts = []
    for path in paths:
        events = read_subarray_events(path, with_shower=True, with_dl2=True)
        p = f"{algorithm}_"
        valid = events[p + "is_valid"].to_numpy(bool)
        theta = angular_separation(events[p + "alt"], events[p + "az"], events["true_alt"], events["true_az"])
        core = np.hypot(events[p + "core_x"] - events["true_core_x"], events[p + "core_y"] - events["true_core_y"])
        parts.append({"true_energy": events["true_energy"].to_numpy(float), "theta": np.asarray(theta, float),
                      "core_distance": np.asarray(core, float), "is_valid": valid,
                      "multiplicity": events[p + "multiplicity"].to_numpy(),
                      "h_max": events[p + "h_max"].to_numpy(float),
                      "true_x_max": events["true_x_max"].to_numpy(float)})
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def resolution_vs_energy(true_energy_tev, theta_deg, core_distance_m, is_valid, energy_bins_tev=None,
                         min_events=10):
    """Angular (68 % containment) and core resolution in bins of true energy.

    Parameters
    ----------
    true_energy_tev : array_like, shape (n,)
        True energy of each triggered event, TeV.
    theta_deg : array_like, shape (n,)
        Angular distance reconstructed - true direction, deg (NaN if invalid).
    core_distance_m : array_like, shape (n,)
        Distance reconstructed - true core on the ground, m (NaN if invalid).
    is_valid : array_like of bool, shape (n,)
        Reconstruction succeeded.
    energy_bins_tev : array_like, optional
        Bin edges, TeV (default `DEFAULT_ENERGY_BINS_TEV`).
    min_events : int
        Minimum valid events for a resolution value.

    Returns
    -------
    astropy.table.QTable
        ``true_energy_low/high/center`` (TeV), ``n_events`` (triggered), ``n_valid``,
        ``angular_resolution`` (deg), ``core_resolution`` (m), only bins with events.
    """
    import astropy.units as u
    from astropy.table import QTable

    edges = np.asarray(DEFAULT_ENERGY_BINS_TEV if energy_bins_tev is None else energy_bins_tev, float)
    energy = np.asarray(true_energy_tev, float)
    valid = np.asarray(is_valid, bool)
    theta = np.asarray(theta_deg, float)
    core = np.asarray(core_distance_m, float)
    index = np.digitize(energy, edges) - 1
    rows = []
    for i in range(len(edges) - 1):
        in_bin = index == i
        n_events = int(np.count_nonzero(in_bin))
        if n_events == 0:
            continue
        selected = in_bin & valid
        n_valid = int(np.count_nonzero(selected))
        enough = n_valid >= min_events
        rows.append((edges[i], edges[i + 1], np.sqrt(edges[i] * edges[i + 1]), n_events, n_valid,
                     np.quantile(theta[selected], 0.68) if enough else np.nan,
                     np.quantile(core[selected], 0.68) if enough else np.nan))
    columns = list(zip(*rows)) if rows else [[]] * 7
    table = QTable()
    table["true_energy_low"] = u.Quantity(np.asarray(columns[0], float), u.TeV)
    table["true_energy_high"] = u.Quantity(np.asarray(columns[1], float), u.TeV)
    table["true_energy_center"] = u.Quantity(np.asarray(columns[2], float), u.TeV)
    table["n_events"] = np.asarray(columns[3], int)
    table["n_valid"] = np.asarray(columns[4], int)
    table["angular_resolution"] = u.Quantity(np.asarray(columns[5], float), u.deg)
    table["core_resolution"] = u.Quantity(np.asarray(columns[6], float), u.m)
    return table


def plot_resolution(table, path, title=""):
    """Plot angular and core resolution vs true energy (two panels) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    center = table["true_energy_center"].to_value("TeV")
    xerr = [center - table["true_energy_low"].to_value("TeV"), table["true_energy_high"].to_value("TeV") - center]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    ax1.errorbar(center, table["angular_resolution"].to_value("deg"), xerr=xerr, fmt="o")
    ax1.set_ylabel("angular resolution (68 % containment) / deg")
    ax2.errorbar(center, table["core_resolution"].to_value("m"), xerr=xerr, fmt="o")
    ax2.set_ylabel("core resolution (68 %) / m")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel("true energy / TeV")
        ax.grid(True, which="both", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_resolution(paths, output_dir, algorithm="HillasReconstructor", energy_bins_tev=None, min_events=10,
                     title=""):
    """Compute the resolution table from DL2 files; write ``resolution.ecsv``, ``.json`` and ``.png``.

    Returns
    -------
    astropy.table.QTable
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    events = read_events(paths, algorithm)
    table = resolution_vs_energy(events["true_energy"], events["theta"], events["core_distance"],
                                 events["is_valid"], energy_bins_tev, min_events)
    table.write(output_dir / "resolution.ecsv", overwrite=True)
    summary = {"algorithm": algorithm, "n_events": int(len(events["is_valid"])),
               "n_valid": int(np.count_nonzero(events["is_valid"])),
               "bins": [{k: (float(row[k].value) if hasattr(row[k], "unit") else int(row[k])) for k in table.colnames}
                        for row in table]}
    (output_dir / "resolution.json").write_text(json.dumps(summary, indent=1, allow_nan=True))
    plot_resolution(table, output_dir / "resolution.png", title)
    return table
