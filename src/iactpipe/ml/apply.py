"""Apply trained models to a DL2 file: energy, gamma score and disp direction per event.

The output is a new file (written as ``<output>.partial`` and renamed when complete)
holding everything of the input plus, with the configured names (defaults shown):

* ``/dl2/event/subarray/energy/LGBMRegressor``: ``LGBMRegressor_energy``,
  ``_energy_uncert`` (TeV), ``_is_valid``, ``_goodness_of_fit`` (NaN),
  ``_telescopes`` (mask over the subarray's tel_ids);
* ``/dl2/event/subarray/classification/LGBMClassifier``: ``LGBMClassifier_prediction``
  (gamma score, 1 gamma-like), ``_is_valid``, ``_telescopes``;
* ``/dl2/event/subarray/geometry/DispReconstructor``: ``alt``, ``az`` from the combined
  disp directions (see `iactpipe.ml.stereo`), core and h_max NaN;
* per telescope ``/dl2/event/telescope/{energy,classification,disp}/<name>/tel_NNN``.

Every array event of the geometry table gets a row (invalid where no image passed the
quality cuts), in the order of that table.
"""
import logging

import numpy as np

from ..errors import InputFileError
from ..io import datamodel as dm
from .features import read_telescope_table
from .models import ModelSet
from .training import predict_events

__all__ = ["apply_file", "ApplySummary"]

log = logging.getLogger(__name__)


class ApplySummary(dict):
    """What `apply_file` did (dict: n_events, n_energy_valid, n_score_valid, n_direction_valid, output)."""


def _event_rows(h5file, path, algorithm):
    from ..io.hdf5 import read_table

    table_path = dm.DL2_SUBARRAY_PATH.format(kind="geometry", algorithm=algorithm)
    if table_path not in h5file:
        raise InputFileError(path, f"has no stereo geometry {table_path}; run 'iactpipe reconstruct' first")
    return read_table(h5file, table_path, columns=["obs_id", "event_id"])


def apply_file(input_path, models_dir, output_path, overwrite=False, argv=None):
    """Apply the models in ``models_dir`` to ``input_path``; write ``output_path``.

    Returns
    -------
    ApplySummary
    """
    from ..io.checks import open_hdf5
    from ..io.hdf5 import HDF5Writer, copy_tree
    from ..io.instrument_io import read_subarray_hdf5
    from ..io.provenance import collect_provenance

    models = ModelSet.load(models_dir)
    config = models.config
    names = {kind: config[kind]["name"] for kind in ("energy", "classification", "disp")}
    events = read_telescope_table(input_path, config["geometry_algorithm"], with_truth=False)
    telescope, event = predict_events(models, events, config["quality"])
    subarray = read_subarray_hdf5(input_path)
    n_tels = subarray.n_tels
    tel_column = np.searchsorted(subarray.tel_ids, events["tel_id"].to_numpy())
    mask = np.zeros((len(event["keys"]), n_tels), bool)
    mask[event["inverse"][telescope["used"]], tel_column[telescope["used"]]] = True

    with open_hdf5(input_path) as h5file:
        existing = [dm.DL2_SUBARRAY_PATH.format(kind=kind, algorithm=name)
                    for kind, name in (("energy", names["energy"]), ("classification", names["classification"]),
                                       ("geometry", names["disp"]))]
        clash = [p for p in existing if p in h5file]
        if clash:
            raise InputFileError(input_path, f"already holds {', '.join(clash)} (apply the models to the "
                                             f"reconstructed file, not to an output of apply)")
        order = _event_rows(h5file, input_path, config["geometry_algorithm"])
        provenance = collect_provenance("apply", {"models": str(models_dir), "train": config},
                                        inputs=[input_path], argv=argv)
        with HDF5Writer(output_path, provenance=provenance, overwrite=overwrite) as writer:
            copy_tree(h5file, writer.h5file, skip=("/configuration/provenance",))
            _write_event_tables(writer, order, event, mask, names, n_tels)
            _write_telescope_tables(writer, events, telescope, names)
    summary = ApplySummary(n_events=len(order), n_energy_valid=int(event["energy_valid"].sum()),
                           n_score_valid=int(event["score_valid"].sum()),
                           n_direction_valid=int(event["direction_valid"].sum()), output=str(output_path))
    log.info("applied models to %d events: %d with energy, %d with score, %d with disp direction",
             summary["n_events"], summary["n_energy_valid"], summary["n_score_valid"], summary["n_direction_valid"])
    return summary


def _align(order, event):
    """Row of each geometry-table event in the prediction arrays (-1 where it has no telescope row)."""
    keys = event["keys"]
    wanted = np.stack([order["obs_id"].to_numpy(np.int64), order["event_id"].to_numpy(np.int64)], axis=1)
    combined = keys[:, 0] * (1 << 40) + keys[:, 1]
    target = wanted[:, 0] * (1 << 40) + wanted[:, 1]
    position = np.searchsorted(combined, target)
    position = np.clip(position, 0, max(len(combined) - 1, 0))
    found = (len(combined) > 0) & (combined[position] == target) if len(combined) else np.zeros(len(target), bool)
    return np.where(found, position, -1)


def _take(values, rows, fill):
    out = np.full(len(rows), fill, dtype=np.asarray(values).dtype if np.asarray(values).dtype != bool else bool)
    ok = rows >= 0
    out[ok] = np.asarray(values)[rows[ok]]
    return out


def _write_event_tables(writer, order, event, mask, names, n_tels):
    rows = _align(order, event)
    index = {"obs_id": order["obs_id"].to_numpy(), "event_id": order["event_id"].to_numpy()}
    masks = np.zeros((len(rows), n_tels), bool)
    masks[rows >= 0] = mask[rows[rows >= 0]]
    nan = np.full(len(rows), np.nan)
    p = names["energy"] + "_"
    valid = _take(event["energy_valid"], rows, False)
    writer.append(dm.DL2_SUBARRAY_ENERGY, {
        **index, p + "energy": np.where(valid, _take(event["energy"], rows, np.nan), np.nan),
        p + "energy_uncert": np.where(valid, _take(event["energy_uncert"], rows, np.nan), np.nan),
        p + "is_valid": valid, p + "goodness_of_fit": nan, p + "telescopes": masks},
        algorithm=names["energy"], dims={"n_tels": n_tels})
    p = names["classification"] + "_"
    valid = _take(event["score_valid"], rows, False)
    writer.append(dm.DL2_SUBARRAY_CLASSIFICATION, {
        **index, p + "prediction": np.where(valid, _take(event["gamma_score"], rows, np.nan), np.nan),
        p + "is_valid": valid, p + "goodness_of_fit": nan, p + "telescopes": masks},
        algorithm=names["classification"], dims={"n_tels": n_tels})
    p = names["disp"] + "_"
    valid = _take(event["direction_valid"], rows, False)
    geometry = {p + column.name.split("{algorithm}_", 1)[1]: nan
                for column in dm.DL2_SUBARRAY_GEOMETRY.columns if column.name.startswith("{algorithm}_")}
    geometry.update({p + "alt": np.where(valid, _take(event["alt"], rows, np.nan), np.nan),
                     p + "az": np.where(valid, _take(event["az"], rows, np.nan), np.nan),
                     p + "is_valid": valid, p + "telescopes": masks,
                     p + "multiplicity": _take(event["n_telescopes"], rows, 0).astype(np.int16),
                     p + "invalid_reason": np.where(valid, 0, 1).astype(np.uint8)})
    writer.append(dm.DL2_SUBARRAY_GEOMETRY, {**index, **geometry}, algorithm=names["disp"], dims={"n_tels": n_tels})


def _write_telescope_tables(writer, events, telescope, names):
    used = telescope["used"]
    for tel_id in np.unique(events["tel_id"]):
        rows = (events["tel_id"] == tel_id).to_numpy()
        index = {key: events.loc[rows, key].to_numpy() for key in ("obs_id", "event_id", "tel_id")}
        ok = used[rows]
        nan = np.full(int(rows.sum()), np.nan)
        p = names["energy"] + "_tel_"
        writer.append(dm.DL2_TELESCOPE_ENERGY, {
            **index, p + "energy": 10.0 ** telescope["log10_energy"][rows], p + "energy_uncert": nan,
            p + "is_valid": ok, p + "goodness_of_fit": nan}, tel_id=int(tel_id), algorithm=names["energy"])
        p = names["classification"] + "_tel_"
        writer.append(dm.DL2_TELESCOPE_CLASSIFICATION, {
            **index, p + "prediction": telescope["gamma_score"][rows], p + "is_valid": ok,
            p + "goodness_of_fit": nan}, tel_id=int(tel_id), algorithm=names["classification"])
        p = names["disp"] + "_tel_"
        writer.append(dm.DL2_TELESCOPE_DISP, {
            **index, p + "parameter": telescope["disp"][rows],
            p + "sign_score": np.abs(2.0 * telescope["disp_sign_score"][rows] - 1.0)},
            tel_id=int(tel_id), algorithm=names["disp"])
