"""Telescope and array triggers of the fast simulator.

The telescope trigger works on the signal *before* digitisation: every photoelectron
(Cherenkov and night-sky background) is shaped with the trigger pulse on a regular time
grid at the sampling rate (`trigger_bin_width_ns`), the mean NSB level is subtracted (AC
coupling, as in the PMT cameras' trigger paths) and the result, in single-pe peak units
("pe"), is handed to one of two discriminator schemes:

``analog_sum``
    The signal of each pixel is clipped at ``trigger_clip_pe`` and summed over a
    *trigger group*; the camera triggers when any group sum (optionally box-averaged over
    ``trigger_window_ns``) reaches ``trigger_threshold_pe`` (LST-like).
``majority``
    Each pixel has a discriminator at ``trigger_threshold_pe`` whose output stays active for
    ``trigger_window_ns`` after the signal was last above threshold; the camera triggers
    when ``trigger_multiplicity`` pixels of one group are active at the same time
    (NectarCam-like "N next-neighbour" majority).

Trigger groups are overlapping: one per pixel, made of the pixel and its compact neighbours
(centres within 1.5 pixel pitches: 7-pixel hexagonal clusters, 3 x 3 blocks of square
pixels; see `trigger_groups`).

`array_trigger` combines telescope decisions into a stereo decision.
"""
from typing import NamedTuple

import numpy as np

from ..errors import ConfigurationError
from ..instrument.camera import Neighbors
from ._trigger_kernels import analog_sum_trigger, majority_trigger

__all__ = [
    "COMPACT_NEIGHBOR_RADIUS",
    "TriggerResult",
    "compact_neighbors",
    "trigger_groups",
    "trigger_bin_width_ns",
    "telescope_trigger",
    "array_trigger",
]

#: Neighbour radius in units of the pixel pitch: the 6 hexagonal neighbours or the 8 square
#: neighbours (diagonals at 1.41 pitch) but not the next ring (1.73 / 2 pitches).
COMPACT_NEIGHBOR_RADIUS = 1.5


class TriggerResult(NamedTuple):
    """Outcome of a telescope trigger.

    Attributes
    ----------
    triggered : bool
    trigger_time_ns : float
        Time of the discriminator firing in the input time frame, ns; NaN if not triggered.
    statistic : float
        ``analog_sum``: largest group sum among groups that could reach the threshold, pe
        (-inf if none could); ``majority``: largest number of simultaneously active
        pixels in one group.
    """

    triggered: bool
    trigger_time_ns: float
    statistic: float


def compact_neighbors(pix_x, pix_y, pitch, radius_factor=COMPACT_NEIGHBOR_RADIUS):
    """Pixels whose centres are within ``radius_factor`` pitches of each other.

    Parameters
    ----------
    pix_x, pix_y : ndarray of shape (n_pixels,)
        Pixel centres, m.
    pitch : float
        Pixel pitch, m.
    radius_factor : float
        Neighbour radius in units of the pitch.

    Returns
    -------
    Neighbors
        CSR arrays (int32), neighbours of each pixel sorted, the pixel itself excluded.
    """
    from scipy.spatial import cKDTree

    points = np.column_stack([np.asarray(pix_x, float), np.asarray(pix_y, float)])
    n_pixels = len(points)
    pairs = cKDTree(points).query_pairs(radius_factor * pitch, output_type="ndarray")
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n_pixels + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n_pixels), out=indptr[1:])
    return Neighbors(indptr, cols[order].astype(np.int32))


def trigger_groups(neighbors):
    """Overlapping trigger groups: each pixel together with its compact neighbours.

    Parameters
    ----------
    neighbors : Neighbors
        Compact neighbours (`compact_neighbors`).

    Returns
    -------
    Neighbors
        CSR arrays; group ``g`` holds pixel ``g`` first, then its neighbours.
    """
    indptr = np.asarray(neighbors.indptr, np.int64)
    n_pixels = len(indptr) - 1
    counts = np.diff(indptr) + 1
    group_indptr = np.zeros(n_pixels + 1, np.int32)
    np.cumsum(counts, out=group_indptr[1:])
    indices = np.empty(group_indptr[-1], np.int32)
    indices[group_indptr[:-1]] = np.arange(n_pixels)
    # members after the leading pixel: position = group start + 1 + rank within the row
    rows = np.repeat(np.arange(n_pixels), np.diff(indptr))
    rank = np.arange(len(neighbors.indices)) - indptr[rows]
    indices[group_indptr[rows] + 1 + rank] = neighbors.indices
    return Neighbors(group_indptr, indices)


def trigger_bin_width_ns(sample_width_ns, oversampling=1):
    """Time step of the trigger simulation, ns: the digitiser sample width / ``oversampling``.

    At the sampling rate (``oversampling = 1``, the default of every camera) the trigger
    sees the shaped signal as the digitiser would; a pulse maximum falling between two
    bins is then under-estimated by up to ~13 % for the 2.3 ns LST pulse (mean ~4 %),
    which the default thresholds were tuned with. ``trigger_oversampling = 2`` or more
    follows the analog signal more closely at proportionally higher cost.

    Parameters
    ----------
    sample_width_ns : float
        Readout sample width, ns.
    oversampling : int
        Trigger bins per readout sample (>= 1).
    """
    if int(oversampling) != oversampling or oversampling < 1:
        raise ConfigurationError(f"trigger oversampling must be a positive integer, got {oversampling!r}")
    return float(sample_width_ns) / int(oversampling)


def telescope_trigger(signal, t0_ns, bin_ns, electronics, groups):
    """Trigger decision of one telescope from its shaped, AC-coupled pixel signals.

    Parameters
    ----------
    signal : ndarray of float64, shape (n_pixels, n_bins)
        Shaped signal per pixel in single-pe peak units with the mean NSB level subtracted;
        bin ``k`` is the signal at ``t0_ns + k * bin_ns``.
    t0_ns : float
        Time of the first bin, ns.
    bin_ns : float
        Bin width, ns.
    electronics : ElectronicsParameters
        Supplies ``trigger_type``, ``trigger_threshold_pe``, ``trigger_multiplicity``,
        ``trigger_clip_pe`` and ``trigger_window_ns``.
    groups : Neighbors
        Trigger groups (`trigger_groups`).

    Returns
    -------
    TriggerResult
        For ``analog_sum`` the time is interpolated linearly between bins; for
        ``majority`` it is the first bin at which the multiplicity is reached.
    """
    signal = np.ascontiguousarray(signal, dtype=np.float64)
    if signal.ndim != 2:
        raise ValueError(f"signal must be 2-d (n_pixels, n_bins), got shape {signal.shape}")
    if signal.shape[0] != len(groups.indptr) - 1:
        raise ValueError(f"signal has {signal.shape[0]} pixels, trigger groups {len(groups.indptr) - 1}")
    window_bins = int(round(electronics.trigger_window_ns / bin_ns))
    indptr = np.asarray(groups.indptr, np.int32)
    indices = np.asarray(groups.indices, np.int32)
    if electronics.trigger_type == "analog_sum":
        crossing, statistic = analog_sum_trigger(signal, electronics.trigger_clip_pe,
                                                 electronics.trigger_threshold_pe, window_bins, indptr, indices)
        triggered = crossing >= 0
        time = t0_ns + crossing * bin_ns if triggered else np.nan
    elif electronics.trigger_type == "majority":
        first, statistic = majority_trigger(signal, electronics.trigger_threshold_pe,
                                            electronics.trigger_multiplicity, window_bins, indptr, indices)
        triggered = first >= 0
        time = t0_ns + first * bin_ns if triggered else np.nan
    else:  # ElectronicsParameters validates this already; keep a clear message for duck types
        raise ConfigurationError(f"unknown trigger_type {electronics.trigger_type!r}")
    return TriggerResult(bool(triggered), float(time), float(statistic))


def array_trigger(tel_triggered_mask, min_telescopes=2):
    """Stereo (array) trigger: enough telescopes triggered in the same event.

    Parameters
    ----------
    tel_triggered_mask : array_like of bool, shape (n_events, n_telescopes)
        Telescope trigger decisions.
    min_telescopes : int
        Telescopes that must have triggered (the CTAO default stereo requirement is 2).

    Returns
    -------
    ndarray of bool, shape (n_events,)
    """
    mask = np.asarray(tel_triggered_mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"tel_triggered_mask must be 2-d (n_events, n_telescopes), got shape {mask.shape}")
    if int(min_telescopes) != min_telescopes or min_telescopes < 1:
        raise ConfigurationError(f"min_telescopes must be a positive integer, got {min_telescopes!r}")
    return np.count_nonzero(mask, axis=1) >= int(min_telescopes)
