"""Per-run data-quality summary from a DL1 file (and, optionally, its raw R0 file).

`summarize_run` reads a run once, in bounded chunks, and returns a `RunSummary`: plain
numbers, fixed-binning histograms and per-pixel camera maps, everything JSON-serialisable
(`RunSummary.to_json` / `RunSummary.from_json`). The fixed binning (`PARAMETER_BINS`,
`PIXEL_CHARGE_BINS`, `PEAK_TIME_BINS`) is what makes runs comparable in
`iactpipe.dqm.outliers`.

What is measured
----------------
* array trigger: events, telescope multiplicity histogram, triggers per telescope;
* image survival: fraction of telescope events whose image survived cleaning
  (``is_valid``/finite Hillas intensity) and passes a loose quality cut
  (intensity > 50 p.e., leakage_intensity_width_2 < 0.2);
* parameter distributions (`PARAMETER_BINS`) of surviving images;
* with DL1 images (``--write-images``), per telescope: the distribution of all pixel
  charges and of peak times of pixels above 5 p.e.; per-pixel maps of mean and rms
  charge, cleaning survival frequency, mean peak time, and the mean and rms of the
  "noise" charge (images where the pixel is not in the cleaning mask); dead pixels (noise
  rms below `DEAD_RMS_FRACTION` of the camera median) and hot pixels (noise rms more than
  `HOT_SIGMA` robust standard deviations above the camera median);
* with the raw file: per-pixel high-gain pedestal (ADC counts per sample) and its width
  (electronic noise), dc-to-pe, and the broken-pixel flags of
  ``/r0/monitoring/telescope/calibration/tel_NNN``; pixels whose pedestal or width are
  more than `HOT_SIGMA` robust standard deviations away from the camera median are
  counted as pedestal outliers.
"""
from dataclasses import asdict, dataclass, field
import json
import logging
from pathlib import Path

import numpy as np

from ..errors import DataLevelError, InputFileError
from ..io import datamodel as dm
from ..io.checks import open_hdf5
from ..io.hdf5 import iter_table_chunks, read_table

__all__ = [
    "PARAMETER_BINS",
    "PIXEL_CHARGE_BINS",
    "PEAK_TIME_BINS",
    "DEAD_RMS_FRACTION",
    "HOT_SIGMA",
    "MIN_IMAGES_FOR_PIXEL_STATUS",
    "RunSummary",
    "summarize_run",
    "read_parameters",
]

log = logging.getLogger(__name__)

#: Parameter -> (transform, bin edges, axis label). "log10" histograms log10 of the value.
PARAMETER_BINS = {
    "hillas_intensity": ("log10", np.linspace(1.0, 5.0, 41), "log10(intensity / p.e.)"),
    "hillas_length": ("linear", np.linspace(0.0, 1.0, 41), "length [deg]"),
    "hillas_width": ("linear", np.linspace(0.0, 0.4, 41), "width [deg]"),
    "hillas_r": ("linear", np.linspace(0.0, 3.0, 31), "centroid distance r [deg]"),
    "hillas_psi": ("linear", np.linspace(-90.0, 90.0, 19), "psi [deg]"),
    "hillas_skewness": ("linear", np.linspace(-3.0, 3.0, 31), "skewness"),
    "timing_slope": ("linear", np.linspace(-30.0, 30.0, 31), "time gradient [ns/deg]"),
    "leakage_intensity_width_2": ("linear", np.linspace(0.0, 1.0, 21), "leakage (intensity, width 2)"),
    "concentration_cog": ("linear", np.linspace(0.0, 1.0, 21), "concentration (cog)"),
    "morphology_n_pixels": ("log10", np.linspace(0.5, 3.5, 31), "log10(pixels after cleaning)"),
}
#: Bins of all pixel charges, p.e. (under/overflow folded into the first/last bin).
PIXEL_CHARGE_BINS = np.concatenate([np.arange(-10.0, 20.0, 0.5), np.geomspace(20.0, 1e4, 28)])
#: Bins of the peak times of pixels above `PEAK_TIME_MIN_PE`, ns.
PEAK_TIME_BINS = np.arange(0.0, 201.0, 2.0)
PEAK_TIME_MIN_PE = 5.0
#: A pixel whose charge rms is below this fraction of the camera median is dead.
DEAD_RMS_FRACTION = 0.1
#: A pixel more than this many robust standard deviations above the camera median is hot.
HOT_SIGMA = 8.0
#: Fewer images than this: pixel status (dead/hot) is not determined.
MIN_IMAGES_FOR_PIXEL_STATUS = 10
QUALITY_MIN_INTENSITY_PE = 50.0
QUALITY_MAX_LEAKAGE = 0.2


def _hist(values, edges):
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    return np.histogram(np.clip(values, edges[0], np.nextafter(edges[-1], -np.inf)), edges)[0]


def _robust_sigma(values):
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return np.nan
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def _nan_to_none(value):
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, np.ndarray):
        return _nan_to_none(value.tolist())
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(f"{value:.7g}")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclass
class RunSummary:
    """DQM numbers of one run (see the module docstring).

    Attributes
    ----------
    run : str
        Run label (file stem by default).
    dl1_path, raw_path : str
    obs_ids : list of int
    scalars : dict
        Run-level numbers, ``name -> float``; per-telescope numbers are named
        ``<name>/tel_NNN``.
    histograms : dict
        ``name -> {"edges": [...], "counts": [...], "label": str}``, plus
        ``"n_independent"`` (number of images) for the peak-time histograms, whose
        entries (bright pixels) are correlated within an image; parameters by their
        column name, pixel charges as ``pixel_charge/tel_NNN``, peak times as
        ``peak_time/tel_NNN``; ``multiplicity`` for the array trigger.
    pixel_maps : dict
        ``tel_id (str) -> {map name -> list of n_pixels values}``.
    camera : dict
        ``tel_id (str) -> camera name``.
    notes : list of str
        What could not be measured and why.
    """

    run: str
    dl1_path: str
    raw_path: str = None
    obs_ids: list = field(default_factory=list)
    scalars: dict = field(default_factory=dict)
    histograms: dict = field(default_factory=dict)
    pixel_maps: dict = field(default_factory=dict)
    camera: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def to_json(self, path=None):
        """JSON text (NaN as null); written to ``path`` if given."""
        text = json.dumps(_nan_to_none(asdict(self)), indent=1)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_json(cls, path_or_text):
        """Read a summary written by `to_json` (a path or the JSON text)."""
        text = str(path_or_text)
        if not text.lstrip().startswith("{"):
            path = Path(path_or_text)
            if not path.is_file():
                raise InputFileError(path, "does not exist")
            try:
                data = json.loads(path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise InputFileError(path, f"is not a DQM summary (invalid JSON: {error})") from None
            where = path
        else:
            data, where = json.loads(text), "<text>"
        if not isinstance(data, dict) or "run" not in data or "histograms" not in data:
            raise InputFileError(where, "is not a DQM run summary (no 'run'/'histograms' keys)")
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def histogram(self, name):
        """``(edges, counts)`` ndarrays of a stored histogram."""
        entry = self.histograms[name]
        return np.asarray(entry["edges"], float), np.asarray(entry["counts"], float)

    def n_independent(self, name):
        """Number of independent entries of a histogram (its total unless stated otherwise)."""
        entry = self.histograms[name]
        value = entry.get("n_independent")
        return float(np.sum(entry["counts"])) if value is None else float(value)

    def pixel_map(self, tel_id, name):
        """A per-pixel map as a float ndarray (NaN where not measured)."""
        values = self.pixel_maps[str(int(tel_id))][name]
        return np.array([np.nan if v is None else v for v in values], dtype=float)


def read_parameters(h5file, columns=None):
    """All DL1 parameter rows (all telescopes) of an open file or a path, as one DataFrame."""
    import pandas as pd
    import tables

    if not isinstance(h5file, tables.File):
        with open_hdf5(h5file, required_level="dl1") as opened:
            return read_parameters(opened, columns)
    keep = None if columns is None else list(dict.fromkeys(("obs_id", "event_id", "tel_id", *columns)))
    frames = [read_table(h5file, dm.DL1_PARAMETERS.path(tel_id=tel_id), columns=keep)
              for tel_id in _tel_ids(h5file, "/dl1/event/telescope/parameters")]
    if not frames:
        raise InputFileError(h5file.filename, "holds no DL1 parameter tables")
    return pd.concat(frames, ignore_index=True)


def _tel_ids(h5file, group):
    if group not in h5file:
        return []
    return sorted(dm.tel_id_from_table_name(n) for n in h5file.get_node(group)._v_children if n.startswith("tel_"))


def _image_statistics(h5file, tel_id, n_pixels, chunk_size=2000):
    """Per-pixel sums over all images of one telescope, plus the charge/peak-time histograms."""
    path = dm.DL1_IMAGES_PATH.format(tel=dm.tel_table_name(tel_id))
    n = 0
    s1 = np.zeros(n_pixels)
    s2 = np.zeros(n_pixels)
    n_mask = np.zeros(n_pixels)
    q1 = np.zeros(n_pixels)  # charge sums over images where the pixel is not in the cleaning mask
    q2 = np.zeros(n_pixels)
    n_noise = np.zeros(n_pixels)
    t_sum = np.zeros(n_pixels)
    t_n = np.zeros(n_pixels)
    charge_hist = np.zeros(len(PIXEL_CHARGE_BINS) - 1)
    time_hist = np.zeros(len(PEAK_TIME_BINS) - 1)
    for chunk in iter_table_chunks(h5file, path, chunk_size=chunk_size,
                                   columns=["image", "peak_time", "image_mask"], as_="numpy"):
        image = np.asarray(chunk["image"], float)
        if image.shape[1] != n_pixels:
            raise InputFileError(h5file.filename, f"images of telescope {tel_id} have {image.shape[1]} pixels, "
                                                  f"the camera has {n_pixels}")
        peak = np.asarray(chunk["peak_time"], float)
        finite = np.isfinite(image)
        image0 = np.where(finite, image, 0.0)
        n += len(image)
        s1 += image0.sum(axis=0)
        s2 += (image0**2).sum(axis=0)
        in_mask = np.asarray(chunk["image_mask"], bool)
        n_mask += in_mask.sum(axis=0)
        noise = np.where(finite & ~in_mask, image, 0.0)
        q1 += noise.sum(axis=0)
        q2 += (noise**2).sum(axis=0)
        n_noise += (finite & ~in_mask).sum(axis=0)
        bright = finite & (image > PEAK_TIME_MIN_PE) & np.isfinite(peak)
        t_sum += np.where(bright, peak, 0.0).sum(axis=0)
        t_n += bright.sum(axis=0)
        charge_hist += _hist(image[finite], PIXEL_CHARGE_BINS)
        time_hist += _hist(peak[bright], PEAK_TIME_BINS)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n if n else np.full(n_pixels, np.nan)
        rms = np.sqrt(np.maximum(s2 / n - mean**2, 0.0)) if n else np.full(n_pixels, np.nan)
        survival = n_mask / n if n else np.full(n_pixels, np.nan)
        mean_time = np.where(t_n > 0, t_sum / np.maximum(t_n, 1), np.nan)
        noise_mean = np.where(n_noise > 0, q1 / np.maximum(n_noise, 1), np.nan)
        noise_rms = np.sqrt(np.maximum(np.where(n_noise > 0, q2 / np.maximum(n_noise, 1), np.nan) - noise_mean**2, 0))
    return n, mean, rms, survival, mean_time, noise_mean, noise_rms, charge_hist, time_hist


def _pixel_status(n_images, noise_rms):
    """Dead and hot pixel masks from the per-pixel noise rms (None if too few images).

    The noise rms is that of the pixel's charge in the images where it is not part of
    the cleaned image, so shower light does not make pixels "hot".
    """
    if n_images < MIN_IMAGES_FOR_PIXEL_STATUS:
        return None, None
    median_rms = np.nanmedian(noise_rms)
    dead = ~(noise_rms >= DEAD_RMS_FRACTION * median_rms)
    sigma = _robust_sigma(noise_rms)
    sigma = sigma if sigma > 0 else np.nanstd(noise_rms)
    hot = (noise_rms - median_rms) > HOT_SIGMA * sigma
    return dead, hot & ~dead


def _raw_calibration(raw_path, tel_ids):
    """``tel_id -> dict`` of per-pixel pedestal, noise, dc_to_pe (high gain) and broken flags."""
    out = {}
    with open_hdf5(raw_path) as h5file:
        for tel_id in tel_ids:
            path = dm.CAMERA_CALIBRATION_PATH.format(tel=dm.tel_table_name(tel_id))
            if path not in h5file:
                continue
            rows = h5file.get_node(path).read()
            if len(rows) == 0:
                continue
            row = rows[-1]
            out[tel_id] = {
                "pedestal_mean_adc": np.asarray(row["pedestal_per_sample"], float)[0],
                "pedestal_width_adc": np.asarray(row["noise"], float)[0],
                "dc_to_pe": np.asarray(row["dc_to_pe"], float)[0],
                "broken": (np.asarray(row["pixel_status"]) & 4) > 0,
            }
    if not out:
        raise DataLevelError(raw_path, "has no camera calibration tables (/r0/monitoring/telescope/calibration)")
    return out


def summarize_run(dl1_path, raw_path=None, run=None):
    """Measure the DQM quantities of one run.

    Parameters
    ----------
    dl1_path : path-like
        DL1 file (parameters; images add the per-pixel quantities).
    raw_path : path-like, optional
        The run's raw R0 file, for pedestal and pixel-status maps.
    run : str, optional
        Label of the run (default: the DL1 file name without ``.dl1.h5``/``.h5``).

    Returns
    -------
    RunSummary
    """
    from ..io.instrument_io import read_subarray_hdf5

    dl1_path = Path(dl1_path)
    label = run or dl1_path.name.removesuffix(".h5").removesuffix(".dl1")
    summary = RunSummary(run=label, dl1_path=str(dl1_path), raw_path=None if raw_path is None else str(raw_path))
    subarray = read_subarray_hdf5(dl1_path)
    with open_hdf5(dl1_path, required_level="dl1") as h5file:
        param_tels = _tel_ids(h5file, "/dl1/event/telescope/parameters")
        if not param_tels:
            raise InputFileError(dl1_path, "holds no DL1 parameter tables")
        image_tels = _tel_ids(h5file, "/dl1/event/telescope/images")
        # --- array trigger
        if dm.DL1_SUBARRAY_TRIGGER_PATH in h5file:
            trigger = h5file.get_node(dm.DL1_SUBARRAY_TRIGGER_PATH).read()
            mask = np.asarray(trigger["tels_with_trigger"], bool).reshape(len(trigger), -1)
            multiplicity = mask.sum(axis=1)
            summary.obs_ids = sorted(int(o) for o in np.unique(trigger["obs_id"]))
            summary.scalars["n_events"] = float(len(trigger))
            summary.scalars["mean_multiplicity"] = float(np.mean(multiplicity)) if len(trigger) else np.nan
            edges = np.arange(0.5, subarray.n_tels + 1.5)
            summary.histograms["multiplicity"] = {"edges": edges, "counts": _hist(multiplicity, edges),
                                                  "label": "telescope multiplicity"}
        else:
            summary.notes.append("no array trigger table: multiplicity not measured")
        # --- parameters
        params = read_parameters(h5file, columns=sorted(set(PARAMETER_BINS) | {"hillas_intensity",
                                                                            "leakage_intensity_width_2"}))
        if "is_valid" in params:  # pragma: no cover - depends on the DL1 layout
            valid = params["is_valid"].to_numpy(bool)
        else:
            valid = np.isfinite(params["hillas_intensity"].to_numpy(float))
        intensity = params["hillas_intensity"].to_numpy(float)
        leakage = params["leakage_intensity_width_2"].to_numpy(float)
        quality = valid & (intensity > QUALITY_MIN_INTENSITY_PE) & (leakage < QUALITY_MAX_LEAKAGE)
        summary.scalars["n_telescope_events"] = float(len(params))
        summary.scalars["image_survival_fraction"] = float(valid.mean()) if len(params) else np.nan
        summary.scalars["quality_fraction"] = float(quality.mean()) if len(params) else np.nan
        tel_col = params["tel_id"].to_numpy(int)
        for tel_id in param_tels:
            sel = tel_col == tel_id
            key = dm.tel_table_name(tel_id)
            summary.scalars[f"n_triggers/{key}"] = float(sel.sum())
            summary.scalars[f"image_survival_fraction/{key}"] = float(valid[sel].mean()) if sel.any() else np.nan
            summary.scalars[f"quality_fraction/{key}"] = float(quality[sel].mean()) if sel.any() else np.nan
        for name, (transform, edges, label) in PARAMETER_BINS.items():
            values = params[name].to_numpy(float)[valid]
            if transform == "log10":
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = np.log10(values)
            summary.histograms[name] = {"edges": edges, "counts": _hist(values, edges), "label": label}
        # --- images
        if not image_tels:
            summary.notes.append("no DL1 images (process with --write-images): no per-pixel DQM")
        for tel_id in image_tels:
            camera = subarray.telescope(tel_id).camera
            n, mean, rms, survival, mean_time, noise_mean, noise_rms, charge_hist, time_hist = _image_statistics(
                h5file, tel_id, camera.n_pixels)
            key = dm.tel_table_name(tel_id)
            summary.camera[str(tel_id)] = camera.name
            maps = summary.pixel_maps.setdefault(str(tel_id), {})
            maps.update({"charge_mean_pe": mean, "charge_rms_pe": rms, "cleaning_survival": survival,
                         "peak_time_mean_ns": mean_time,
                         "noise_mean_pe": noise_mean, "noise_rms_pe": noise_rms})
            # all pixels (mostly noise, independent); bright pixels share the shower of their
            # image, so the peak-time histogram counts as n images
            summary.histograms[f"pixel_charge/{key}"] = {"edges": PIXEL_CHARGE_BINS, "counts": charge_hist,
                                                        "label": "pixel charge [p.e.]"}
            summary.histograms[f"peak_time/{key}"] = {"edges": PEAK_TIME_BINS, "counts": time_hist,
                                                     "label": f"peak time of pixels > {PEAK_TIME_MIN_PE:g} p.e. [ns]",
                                                     "n_independent": n}
            summary.scalars[f"median_noise_rms_pe/{key}"] = float(np.nanmedian(noise_rms)) if n else np.nan
            summary.scalars[f"median_noise_mean_pe/{key}"] = float(np.nanmedian(noise_mean)) if n else np.nan
            dead, hot = _pixel_status(n, noise_rms)
            if dead is None:
                summary.notes.append(f"telescope {tel_id}: {n} images < {MIN_IMAGES_FOR_PIXEL_STATUS}: "
                                     "dead/hot pixels not determined")
                continue
            maps["dead"] = dead.astype(float)
            maps["hot"] = hot.astype(float)
            summary.scalars[f"dead_pixel_fraction/{key}"] = float(dead.mean())
            summary.scalars[f"hot_pixel_fraction/{key}"] = float(hot.mean())
    # --- raw calibration
    if raw_path is not None:
        calibration = _raw_calibration(raw_path, [int(t) for t in subarray.tel_ids])
        for tel_id, cal in calibration.items():
            key = dm.tel_table_name(tel_id)
            camera = subarray.telescope(tel_id).camera
            summary.camera[str(tel_id)] = camera.name
            maps = summary.pixel_maps.setdefault(str(tel_id), {})
            maps.update({k: np.asarray(v, float) for k, v in cal.items()})
            ped, width = cal["pedestal_mean_adc"], cal["pedestal_width_adc"]
            outlier = np.zeros(len(ped), bool)
            for values in (ped, width):
                sigma = _robust_sigma(values)
                if sigma > 0:
                    outlier |= np.abs(values - np.median(values)) > HOT_SIGMA * sigma
            maps["pedestal_outlier"] = outlier.astype(float)
            summary.scalars[f"pedestal_mean_adc/{key}"] = float(np.median(ped))
            summary.scalars[f"pedestal_width_adc/{key}"] = float(np.median(width))
            summary.scalars[f"broken_pixel_fraction/{key}"] = float(np.mean(cal["broken"]))
            summary.scalars[f"pedestal_outlier_fraction/{key}"] = float(outlier.mean())
    return summary
