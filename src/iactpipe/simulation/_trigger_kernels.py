"""Numba kernels of the telescope trigger (analog sum and N-pixel majority).

Inputs are the AC-coupled shaped pixel signals on a regular time grid, in single-pe peak
units, and the trigger groups as CSR arrays; see `iactpipe.simulation.trigger`.
"""
import numpy as np
from numba import njit

from ..env import NUMBA_CACHE

__all__ = ["analog_sum_trigger", "analog_sum_clipped", "majority_trigger"]


@njit(cache=NUMBA_CACHE)
def analog_sum_trigger(signal, clip, threshold, window_bins, grp_indptr, grp_indices):
    """First threshold crossing of any clipped group sum.

    Each pixel's signal is clipped at ``clip`` (from above), the clipped signals of the
    pixels of a group are summed, optionally box-averaged over ``window_bins`` bins
    (trailing window), and compared with ``threshold``. Groups whose sum of per-pixel
    maxima stays below the threshold cannot fire and are skipped (this keeps NSB-only
    regions cheap).

    Parameters
    ----------
    signal : ndarray of float64, shape (n_pixels, n_bins)
        AC-coupled shaped signal, pe.
    clip : float
        Per-pixel clipping level, pe.
    threshold : float
        Discriminator threshold on the group sum, pe.
    window_bins : int
        Box-average length, bins (1 = none).
    grp_indptr, grp_indices : ndarray of int32
        Members of each group (CSR).

    Returns
    -------
    crossing : float
        Fractional bin of the earliest crossing (linear interpolation between the last
        bin below and the first bin at or above threshold), -1 if none.
    max_sum : float
        Largest group statistic among the evaluated groups (-inf if none evaluated).
    """
    n_pixels, n_bins = signal.shape
    clipped = np.empty_like(signal)
    pix_max = np.empty(n_pixels)
    for p in range(n_pixels):
        m = -np.inf
        for k in range(n_bins):
            v = signal[p, k]
            if v > clip:
                v = clip
            clipped[p, k] = v
            if v > m:
                m = v
        pix_max[p] = m
    return analog_sum_clipped(clipped, pix_max, threshold, window_bins, grp_indptr, grp_indices)


@njit(cache=NUMBA_CACHE)
def analog_sum_clipped(clipped, pix_max, threshold, window_bins, grp_indptr, grp_indices):
    """`analog_sum_trigger` on signals that are already clipped.

    Parameters
    ----------
    clipped : ndarray of float64, shape (n_pixels, n_bins)
        AC-coupled shaped signal clipped at the per-pixel clipping level, pe.
    pix_max : ndarray of float64, shape (n_pixels,)
        Maximum of each pixel's clipped signal, pe.
    threshold, window_bins, grp_indptr, grp_indices
        As in `analog_sum_trigger`.

    Returns
    -------
    crossing, max_sum : float
        As in `analog_sum_trigger`.
    """
    n_bins = clipped.shape[1]
    w = max(window_bins, 1)
    best = np.inf
    max_sum = -np.inf
    group_sum = np.empty(n_bins)
    for g in range(grp_indptr.shape[0] - 1):
        bound = 0.0
        for j in range(grp_indptr[g], grp_indptr[g + 1]):
            bound += pix_max[grp_indices[j]]
        if bound < threshold:
            continue
        group_sum[:] = 0.0
        for j in range(grp_indptr[g], grp_indptr[g + 1]):
            row = clipped[grp_indices[j]]
            for k in range(n_bins):
                group_sum[k] += row[k]
        if w > 1:
            # trailing box average, computed in place from the back so inputs stay intact
            for k in range(n_bins - 1, -1, -1):
                acc = 0.0
                lo = k - w + 1
                if lo < 0:
                    lo = 0
                for q in range(lo, k + 1):
                    acc += group_sum[q]
                group_sum[k] = acc / w
        previous = -np.inf
        for k in range(n_bins):
            v = group_sum[k]
            if v > max_sum:
                max_sum = v
            if v >= threshold:
                if k > 0 and previous < threshold:
                    crossing = k - 1 + (threshold - previous) / (v - previous)
                else:
                    crossing = float(k)
                if crossing < best:
                    best = crossing
                break
            previous = v
    if best == np.inf:
        return -1.0, max_sum
    return best, max_sum


@njit(cache=NUMBA_CACHE)
def majority_trigger(signal, threshold, multiplicity, gate_bins, grp_indptr, grp_indices):
    """First time at which ``multiplicity`` pixels of one group are active.

    A pixel is active at bin ``k`` if its signal reached ``threshold`` in any of the
    bins ``k - gate_bins + 1 ... k`` (a discriminator whose output is stretched to the
    coincidence gate). Only pixels that cross the threshold somewhere are tracked, and
    only groups holding at least ``multiplicity`` of them are evaluated.

    Parameters
    ----------
    signal : ndarray of float64, shape (n_pixels, n_bins)
        AC-coupled shaped signal, pe.
    threshold : float
        Per-pixel discriminator threshold, pe.
    multiplicity : int
        Active pixels required in one group.
    gate_bins : int
        Discriminator output width, bins (at least 1).
    grp_indptr, grp_indices : ndarray of int32
        Members of each group (CSR).

    Returns
    -------
    first_bin : int
        Earliest bin with a group at the required multiplicity, -1 if none.
    max_count : int
        Largest number of simultaneously active pixels in one group (a diagnostic of how
        close the event came to triggering).
    """
    n_pixels, n_bins = signal.shape
    gate = max(gate_bins, 1)
    slot = np.full(n_pixels, -1, np.int64)
    n_fire = 0
    for p in range(n_pixels):
        for k in range(n_bins):
            if signal[p, k] >= threshold:
                slot[p] = n_fire
                n_fire += 1
                break
    if n_fire == 0:
        return -1, 0
    active = np.zeros((n_fire, n_bins), np.uint8)
    for p in range(n_pixels):
        s = slot[p]
        if s < 0:
            continue
        last = -gate - 1
        for k in range(n_bins):
            if signal[p, k] >= threshold:
                last = k
            if k - last < gate:
                active[s, k] = 1
    best = n_bins
    max_count = 0
    count = np.zeros(n_bins, np.int64)
    for g in range(grp_indptr.shape[0] - 1):
        n_members = 0
        for j in range(grp_indptr[g], grp_indptr[g + 1]):
            if slot[grp_indices[j]] >= 0:
                n_members += 1
        if n_members <= max_count and n_members < multiplicity:
            # can neither trigger nor raise the diagnostic maximum
            continue
        count[:] = 0
        for j in range(grp_indptr[g], grp_indptr[g + 1]):
            s = slot[grp_indices[j]]
            if s < 0:
                continue
            for k in range(n_bins):
                count[k] += active[s, k]
        for k in range(n_bins):
            c = count[k]
            if c > max_count:
                max_count = c
            if c >= multiplicity and k < best:
                best = k
    if best == n_bins:
        return -1, max_count
    return best, max_count
