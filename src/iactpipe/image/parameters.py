"""DL1 image parameters (Hillas, timing, leakage, concentration, morphology, statistics).

`image_parameters` computes every per-image column of `iactpipe.io.datamodel.DL1_PARAMETERS`
for a batch of cleaned images of one camera type, in the telescope frame (deg), with the
definitions of ctapipe 0.28's ``ImageProcessor`` (``use_telescope_frame=True``).
"""
import numpy as np

from ..io.datamodel import DL1_PARAMETERS
from . import _parameter_kernels as _k
from .geometry import CameraAngles

__all__ = ["image_parameters", "PARAMETER_COLUMNS", "INDEX_COLUMNS", "NOT_IMAGE_COLUMNS"]

INDEX_COLUMNS = ("obs_id", "event_id", "tel_id")
#: columns of the schema that are filled by later (stereo) stages; returned as NaN here
NOT_IMAGE_COLUMNS = ("core_psi",)
#: output columns in schema order (plus ``is_valid``)
PARAMETER_COLUMNS = tuple(c.name for c in DL1_PARAMETERS.columns if c.name not in INDEX_COLUMNS + ("is_valid",))
_DTYPES = {c.name: np.dtype(c.dtype) for c in DL1_PARAMETERS.columns}

_missing = set(PARAMETER_COLUMNS) - set(_k.FLOAT_FIELDS) - set(_k.INT_FIELDS) - set(NOT_IMAGE_COLUMNS)
if _missing:  # pragma: no cover - guards schema drift
    raise ImportError(f"image parameters missing for schema columns {sorted(_missing)}")


def image_parameters(angles: CameraAngles, images, peak_times, masks, *, min_pixels=2,
                     lts_random_starts=10):
    """Image parameters of a batch of cleaned images.

    Only pixels with ``masks`` True enter (as ctapipe's ImageProcessor, which slices the
    image and geometry by the cleaning mask before parametrising).

    Parameters
    ----------
    angles : CameraAngles
        Telescope-frame description of the camera (`camera_angles`).
    images : array (n_events, n_pix) or (n_pix,)
        Calibrated charges, p.e.
    peak_times : array like ``images`` or None
        Pulse peak times, ns. ``None`` gives NaN timing and peak-time statistics.
    masks : bool array like ``images``
        Cleaning masks.
    min_pixels : int, keyword-only
        Images with fewer selected pixels (or with non-positive total charge, ctapipe's
        ``size_greater_0`` criterion) are invalid. ctapipe itself only requires a positive
        charge, i.e. ``min_pixels=1``; the default 2 also rejects single-pixel images,
        whose shape parameters are undefined.
    lts_random_starts : int, keyword-only
        Extra random (fixed-seed, reproducible) starting pairs of the least-trimmed-squares
        timing fit, on top of 5 deterministic starts. ctapipe uses 5 random starts from a
        global generator, so its timing fit is not reproducible event by event; ours
        reaches the same optimum or a lower trimmed error in the vast majority of images.

    Returns
    -------
    dict[str, ndarray (n_events,)]
        One array per non-index column of ``DL1_PARAMETERS`` (schema name and dtype; angles
        in deg, ``timing_slope`` in ns/deg), plus ``is_valid`` (bool). Invalid images get
        NaN in float columns and -1 in the morphology counts (ctapipe's defaults).
        Parameters undefined for a valid image (e.g. ``psi`` when ``length`` is 0, timing
        with fewer than 2 usable pixels) are NaN. ``core_psi`` is always NaN (stereo stage).
    """
    images = np.asarray(images)
    if images.dtype not in (np.float32, np.float64):
        images = images.astype(np.float64)
    single = images.ndim == 1
    if single:
        images = images[np.newaxis]
    n_pix = angles.n_pixels
    if images.ndim != 2 or images.shape[1] != n_pix:
        raise ValueError(f"images must have shape (n_events, {n_pix}), got {images.shape}")
    masks = np.asarray(masks, dtype=bool)
    masks = masks[np.newaxis] if masks.ndim == 1 else masks
    if peak_times is None:
        peak_times = np.full(images.shape, np.nan, dtype=np.float64)
    peak_times = np.asarray(peak_times)
    if peak_times.dtype not in (np.float32, np.float64):
        peak_times = peak_times.astype(np.float64)
    peak_times = peak_times[np.newaxis] if peak_times.ndim == 1 else peak_times
    if masks.shape != images.shape or peak_times.shape != images.shape:
        raise ValueError("images, peak_times and masks must have the same shape")

    n_events = images.shape[0]
    out_f = np.empty((n_events, _k.N_FLOAT), dtype=np.float64)
    out_i = np.empty((n_events, _k.N_INT), dtype=np.int64)
    valid = np.empty(n_events, dtype=bool)
    _k.parameters_kernel(
        angles.fov_lon_deg, angles.fov_lat_deg, angles.pix_area_deg2, angles.pixel_width_deg,
        angles.neighbor_indptr, angles.neighbor_indices, angles.border_width_1, angles.border_width_2,
        np.ascontiguousarray(images), np.ascontiguousarray(peak_times), np.ascontiguousarray(masks),
        int(min_pixels), int(lts_random_starts), out_f, out_i, valid,
    )
    columns = {}
    for j, name in enumerate(_k.FLOAT_FIELDS):
        columns[name] = out_f[:, j]
    for j, name in enumerate(_k.INT_FIELDS):
        columns[name] = out_i[:, j]
    result = {}
    for name in PARAMETER_COLUMNS:
        dtype = _DTYPES[name]
        value = columns[name] if name in columns else np.full(n_events, np.nan)
        result[name] = np.ascontiguousarray(value, dtype=dtype)
    result["is_valid"] = valid
    if single:
        return {name: value[0] for name, value in result.items()}
    return result
