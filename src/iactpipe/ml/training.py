"""Training pipeline: read DL2 files, split by run, train, evaluate on the test runs, save.

`train` is what ``iactpipe train`` runs: the training files of each particle are read
into one telescope table, images failing the quality cuts are dropped, whole runs of each
particle are held out as the test set (`split_runs`), the models are trained on the
rest (`train_models`), and the test runs give the metrics (`evaluate`) written with the
models (``metrics.json`` and the ``models.json`` index).
"""
import json
import logging
from pathlib import Path

import numpy as np

from ..errors import ConfigurationError
from . import metrics as M
from .features import disp_position, quality_mask, read_telescope_table
from .models import ModelSet, split_runs, train_models
from .stereo import combine_disp_direction, combine_energy, combine_score, event_index

__all__ = ["PARTICLES", "load_training_events", "predict_events", "evaluate", "train"]

log = logging.getLogger(__name__)

PARTICLES = ("gamma", "proton", "electron")
#: energies at which the summary metrics are quoted, TeV
SUMMARY_ENERGIES_TEV = (0.1, 1.0, 10.0)
#: reconstructed-energy ranges of the ROC curves, TeV
ROC_DECADES_TEV = (0.01, 0.1, 1.0, 10.0, 100.0)


def load_training_events(inputs, geometry_algorithm):
    """Telescope tables of all input files, with ``particle`` and a ``file_number`` column.

    Parameters
    ----------
    inputs : dict
        particle name -> list of DL2 file paths.
    """
    import pandas as pd

    frames, files = [], []
    for particle, paths in inputs.items():
        if particle not in PARTICLES:
            raise ConfigurationError(f"unknown particle {particle!r} (choose from {', '.join(PARTICLES)})")
        for path in paths:
            table = read_telescope_table(path, geometry_algorithm, with_truth=True)
            table["particle"] = particle
            table["file_number"] = len(files)
            files.append({"path": str(path), "particle": particle})
            frames.append(table)
    if not frames:
        raise ConfigurationError("no training files given")
    return pd.concat(frames, ignore_index=True), files


def predict_events(models, events, quality):
    """Per-telescope predictions and their per-event combination.

    Events are keyed by (``file_number`` if present, obs_id, event_id).

    Returns
    -------
    telescope : dict of ndarray (n_rows,)
        Model outputs per row (NaN where the image fails the quality cuts) and ``used``.
    event : dict of ndarray (n_events,)
        ``keys`` (n_events, 2), ``energy``, ``energy_uncert`` (TeV), ``energy_valid``,
        ``gamma_score``, ``score_valid``, ``alt``, ``az`` (deg), ``direction_valid``,
        ``n_telescopes`` and ``telescopes`` (row indices grouped by event via ``inverse``).
    """
    used = quality_mask(events, quality)
    telescope = models.predict(events, used)
    telescope["used"] = used
    group = events["obs_id"].to_numpy(np.int64)
    if "file_number" in events:
        group = group + (events["file_number"].to_numpy(np.int64) << 32)
    keys, inverse = event_index(group, events["event_id"].to_numpy())
    n_events = len(keys)
    weights = np.where(used, events["hillas_intensity"].to_numpy(np.float64), 0.0)
    energy, energy_uncert, energy_valid = combine_energy(telescope["log10_energy"], weights, inverse, n_events)
    score, score_valid = combine_score(telescope["gamma_score"], weights, inverse, n_events)
    norm = telescope["disp_norm"]
    plus = disp_position(events, norm)
    minus = disp_position(events, -norm)
    first_row = np.zeros(n_events, np.int64)
    first_row[inverse[::-1]] = np.arange(len(inverse))[::-1]
    geometry_valid = events["geometry_is_valid"].fillna(False).to_numpy(bool)[first_row]
    geometry_altaz = tuple(np.where(geometry_valid, events[c].to_numpy(np.float64)[first_row], np.nan)
                           for c in ("geometry_alt", "geometry_az"))
    alt, az, chosen_plus, direction_valid = combine_disp_direction(plus, minus, telescope["disp_sign_score"],
                                                                   geometry_altaz, weights, inverse, n_events)
    telescope["disp"] = np.where(chosen_plus, norm, -norm)
    event = {"keys": keys, "inverse": inverse, "first_row": first_row, "energy": energy,
             "energy_uncert": energy_uncert, "energy_valid": energy_valid, "gamma_score": score,
             "score_valid": score_valid, "alt": alt, "az": az, "direction_valid": direction_valid,
             "n_telescopes": np.bincount(inverse, weights=used, minlength=n_events).astype(np.int64)}
    return telescope, event


def evaluate(models, events, quality, edges=None):
    """Metrics of ``models`` on ``events`` (the test runs); JSON-serialisable dict."""
    if edges is None:
        edges = M.energy_bins()
    _, event = predict_events(models, events, quality)
    first = event["first_row"]
    true_energy = events["true_energy"].to_numpy()[first]
    is_gamma = events["is_gamma"].to_numpy(bool)[first]
    has_images = event["n_telescopes"] > 0
    gamma = is_gamma & has_images
    bias, resolution, counts = M.energy_bias_resolution(true_energy[gamma], event["energy"][gamma], edges)
    scored = has_images & event["score_valid"] & event["energy_valid"]
    auc = M.auc_per_bin(event["energy"][scored], is_gamma[scored], event["gamma_score"][scored], edges)
    true_alt = events["true_alt"].to_numpy()[first]
    true_az = events["true_az"].to_numpy()[first]
    disp_res, disp_counts = M.angular_resolution(true_energy[gamma], true_alt[gamma], true_az[gamma],
                                                 event["alt"][gamma], event["az"][gamma], edges)
    geometry_valid = events["geometry_is_valid"].fillna(False).to_numpy(bool)[first] & gamma
    geo_res, _ = M.angular_resolution(true_energy[geometry_valid], true_alt[geometry_valid],
                                      true_az[geometry_valid], events["geometry_alt"].to_numpy()[first][geometry_valid],
                                      events["geometry_az"].to_numpy()[first][geometry_valid], edges)
    overall_auc = M.auc(is_gamma[scored], event["gamma_score"][scored])
    roc = []
    for low, high in zip(ROC_DECADES_TEV[:-1], ROC_DECADES_TEV[1:]):
        rows = scored & (event["energy"] >= low) & (event["energy"] < high)
        labels, scores = is_gamma[rows], event["gamma_score"][rows]
        if labels.sum() < 10 or (~labels).sum() < 10:
            continue
        fpr, tpr, _ = M.roc_curve(labels, scores)
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), 200)).astype(int))
        roc.append({"reco_energy_range_tev": [low, high], "fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist(),
                    "auc": float(M.auc(labels, scores)), "n_gamma": int(labels.sum()),
                    "n_hadron": int((~labels).sum())})

    def listed(values):
        return [None if not np.isfinite(v) else float(v) for v in values]

    summary = {f"{e:g}_TeV": {"energy_bias": M.value_at(edges, bias, e),
                              "energy_resolution": M.value_at(edges, resolution, e),
                              "auc": M.value_at(edges, auc, e),
                              "disp_angular_resolution_deg": M.value_at(edges, disp_res, e),
                              "geometry_angular_resolution_deg": M.value_at(edges, geo_res, e)}
               for e in SUMMARY_ENERGIES_TEV}
    for row in summary.values():
        for key, value in row.items():
            row[key] = None if not np.isfinite(value) else value
    return {
        "energy_bins_tev": edges.tolist(),
        "energy_bias": listed(bias), "energy_resolution": listed(resolution), "n_gamma_events": counts.tolist(),
        "auc_per_reco_energy_bin": listed(auc), "auc_overall": None if not np.isfinite(overall_auc) else overall_auc,
        "disp_angular_resolution_deg": listed(disp_res), "geometry_angular_resolution_deg": listed(geo_res),
        "n_gamma_events_direction": disp_counts.tolist(),
        "roc": roc,
        "n_test_events": {"gamma": int(gamma.sum()), "hadron": int((~is_gamma & has_images).sum())},
        "summary": summary,
    }


def train(inputs, output_dir, config, threads=1):
    """Train, evaluate and save the models (see module docstring).

    Parameters
    ----------
    inputs : dict
        particle name -> list of DL2 files (gammas must be diffuse for the disp model to
        see all offsets; protons and, optionally, electrons).
    output_dir : path-like
        Folder for the models, ``models.json`` and ``metrics.json`` (written to a
        temporary sibling first and renamed when complete).
    config : TrainConfig
    threads : int
        LightGBM threads.

    Returns
    -------
    metrics : dict
    models : ModelSet
    test_events : pandas.DataFrame
        Telescope events of the test runs (for plots).
    """
    import shutil

    from ..io.provenance import sha256_file

    output_dir = Path(output_dir)
    values = config.to_dict()
    events, files = load_training_events(inputs, values["geometry_algorithm"])
    if "gamma" not in inputs or not any(p != "gamma" for p in inputs):
        raise ConfigurationError("training needs gamma files and proton (or electron) files")
    usable = quality_mask(events, values["quality"])
    split = values["split"]
    is_test = split_runs(events["obs_id"].to_numpy() + (events["file_number"].to_numpy(np.int64) << 32),
                         events["particle"].to_numpy(), split["test_fraction"], split["seed"])
    log.info("%d of %d telescope events pass the quality cuts; %d in test runs", int(usable.sum()), len(events),
             int(is_test.sum()))
    models = train_models(events[usable & ~is_test].reset_index(drop=True), values, threads)
    test_events = events[is_test].reset_index(drop=True)
    metrics = evaluate(models, test_events, values["quality"]) if len(test_events) else {}
    for number, entry in enumerate(files):
        rows = (events["file_number"] == number).to_numpy()
        entry["sha256"] = sha256_file(entry["path"])
        entry["runs"] = sorted(int(r) for r in np.unique(events.loc[rows, "obs_id"]))
        entry["role"] = "test" if rows.any() and is_test[rows].all() else "train"
    models.info = {"training_files": files, "metrics_summary": metrics.get("summary", {})}
    partial = output_dir.with_name(output_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    models.save(partial)
    (partial / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    if output_dir.exists():
        shutil.rmtree(output_dir)
    partial.rename(output_dir)
    return metrics, models, test_events
