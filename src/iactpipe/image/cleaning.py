"""Image cleaning: tail cuts, time constraints, island labelling.

All functions accept one image ``(n_pix,)`` or a batch ``(n_events, n_pix)`` and return
results of the matching shape; the work is done by numba kernels looping over the batch.
``neighbors`` is anything with CSR ``indptr``/``indices`` (`iactpipe.instrument.Neighbors`,
a ``(indptr, indices)`` tuple, or a `CameraAngles`).
"""
import numpy as np

from . import _cleaning_kernels as _k

__all__ = [
    "tailcuts_clean",
    "number_of_islands",
    "dilate",
    "apply_time_delta_cleaning",
    "time_constrained_clean",
]


def _csr(neighbors):
    if hasattr(neighbors, "neighbor_indptr"):
        indptr, indices = neighbors.neighbor_indptr, neighbors.neighbor_indices
    elif hasattr(neighbors, "indptr"):
        indptr, indices = neighbors.indptr, neighbors.indices
    else:
        indptr, indices = neighbors
    return (np.ascontiguousarray(indptr, dtype=np.int32),
            np.ascontiguousarray(indices, dtype=np.int32))


def _as_batch(array, n_pix, name, dtype=None):
    array = np.asarray(array)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    elif array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    single = array.ndim == 1
    batch = array[np.newaxis] if single else array
    if batch.ndim != 2 or batch.shape[1] != n_pix:
        raise ValueError(f"{name} must have shape (n_pix,) or (n_events, n_pix) with "
                         f"n_pix={n_pix}, got {array.shape}")
    return np.ascontiguousarray(batch), single


def _unbatch(array, single):
    return array[0] if single else array


def tailcuts_clean(images, neighbors, picture_thresh_pe, boundary_thresh_pe,
                   keep_isolated_pixels=False, min_number_picture_neighbors=0):
    """Two-threshold (picture/boundary) cleaning, same selection as ctapipe's ``tailcuts_clean``.

    A pixel is a *picture* pixel if its charge is ``>= picture_thresh_pe`` (and, when
    ``min_number_picture_neighbors > 0`` and isolated pixels are not kept, at least that
    many neighbours are also above the picture threshold). The mask keeps pixels
    ``>= boundary_thresh_pe`` that touch a picture pixel, plus picture pixels that touch
    a pixel above the boundary threshold (or every picture pixel if
    ``keep_isolated_pixels``).

    Parameters
    ----------
    images : array (n_pix,) or (n_events, n_pix)
    neighbors : Neighbors, (indptr, indices) or CameraAngles
    picture_thresh_pe, boundary_thresh_pe : float
    keep_isolated_pixels : bool
    min_number_picture_neighbors : int

    Returns
    -------
    mask : bool array, same shape as ``images``
    """
    indptr, indices = _csr(neighbors)
    batch, single = _as_batch(images, len(indptr) - 1, "images")
    out = np.empty(batch.shape, dtype=bool)
    # thresholds compared in the image dtype, as numpy does for a float32 image and a Python float
    cast = batch.dtype.type
    _k.tailcuts_kernel(batch, indptr, indices, cast(picture_thresh_pe), cast(boundary_thresh_pe),
                       bool(keep_isolated_pixels), int(min_number_picture_neighbors), out)
    return _unbatch(out, single)


def number_of_islands(masks, neighbors):
    """Connected groups of selected pixels.

    Returns
    -------
    n_islands : int64 array (n_events,) (scalar int for a single mask)
    labels : int32 array like ``masks``; 0 outside the mask, islands numbered 1..n in
        the order of their lowest pixel index (as ctapipe numbers them).
    """
    indptr, indices = _csr(neighbors)
    batch, single = _as_batch(masks, len(indptr) - 1, "masks", dtype=bool)
    n_islands = np.empty(batch.shape[0], dtype=np.int64)
    labels = np.empty(batch.shape, dtype=np.int32)
    _k.islands_kernel(batch, indptr, indices, n_islands, labels)
    if single:
        return int(n_islands[0]), labels[0]
    return n_islands, labels


def dilate(masks, neighbors):
    """Add every neighbour of a selected pixel to the mask (one ring)."""
    indptr, indices = _csr(neighbors)
    batch, single = _as_batch(masks, len(indptr) - 1, "masks", dtype=bool)
    out = np.empty(batch.shape, dtype=bool)
    _k.dilate_kernel(batch, indptr, indices, out)
    return _unbatch(out, single)


def apply_time_delta_cleaning(masks, peak_times, neighbors, min_number_neighbors, time_limit_ns):
    """Drop selected pixels with fewer than ``min_number_neighbors`` selected neighbours
    whose peak time differs by less than ``time_limit_ns`` (ctapipe semantics)."""
    indptr, indices = _csr(neighbors)
    n_pix = len(indptr) - 1
    batch, single = _as_batch(masks, n_pix, "masks", dtype=bool)
    times, _ = _as_batch(peak_times, n_pix, "peak_times")
    if times.shape != batch.shape:
        raise ValueError("masks and peak_times must have the same shape")
    out = np.empty(batch.shape, dtype=bool)
    _k.time_delta_kernel(batch, times, indptr, indices, int(min_number_neighbors),
                         times.dtype.type(time_limit_ns), out)
    return _unbatch(out, single)


def time_constrained_clean(images, peak_times, neighbors, picture_thresh_pe=7.0, boundary_thresh_pe=5.0,
                           time_limit_core_ns=4.5, time_limit_boundary_ns=1.5,
                           min_number_picture_neighbors=1):
    """Cleaning with timing constraints, same selection as ctapipe's ``time_constrained_clean``.

    Core pixels: above the picture threshold with enough picture neighbours, whose peak
    time lies within ``time_limit_core_ns`` (twice that for pixels brighter than twice the
    picture threshold) of the charge²-weighted mean time of the brightest core island.
    Boundary pixels: above the boundary threshold, next to a core pixel, with at least
    ``min_number_picture_neighbors`` core neighbours closer in time than
    ``time_limit_boundary_ns``.
    """
    indptr, indices = _csr(neighbors)
    n_pix = len(indptr) - 1
    batch, single = _as_batch(images, n_pix, "images")
    times, _ = _as_batch(peak_times, n_pix, "peak_times")
    if times.shape != batch.shape:
        raise ValueError("images and peak_times must have the same shape")
    out = np.empty(batch.shape, dtype=bool)
    cast = batch.dtype.type
    _k.time_constrained_kernel(batch, times, indptr, indices, cast(picture_thresh_pe),
                               cast(boundary_thresh_pe), float(time_limit_core_ns),
                               times.dtype.type(time_limit_boundary_ns),
                               int(min_number_picture_neighbors), out)
    return _unbatch(out, single)
