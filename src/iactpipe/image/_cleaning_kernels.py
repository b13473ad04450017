"""Numba kernels for image cleaning and island labelling (batched over events)."""
import numpy as np
from numba import njit

from ..env import NUMBA_CACHE


@njit(cache=NUMBA_CACHE)
def tailcuts_kernel(images, indptr, indices, picture_thresh, boundary_thresh,
                    keep_isolated, min_picture_neighbors, out):
    n_events, n_pix = images.shape
    above_pic = np.zeros(n_pix, np.bool_)
    in_pic = np.zeros(n_pix, np.bool_)
    above_bnd = np.zeros(n_pix, np.bool_)
    for ev in range(n_events):
        img = images[ev]
        for i in range(n_pix):
            above_pic[i] = img[i] >= picture_thresh
            above_bnd[i] = img[i] >= boundary_thresh
        if keep_isolated or min_picture_neighbors == 0:
            for i in range(n_pix):
                in_pic[i] = above_pic[i]
        else:
            for i in range(n_pix):
                if above_pic[i]:
                    count = 0
                    for k in range(indptr[i], indptr[i + 1]):
                        if above_pic[indices[k]]:
                            count += 1
                    in_pic[i] = count >= min_picture_neighbors
                else:
                    in_pic[i] = False
        for i in range(n_pix):
            keep = False
            if above_bnd[i]:
                for k in range(indptr[i], indptr[i + 1]):
                    if in_pic[indices[k]]:
                        keep = True
                        break
            if not keep and in_pic[i]:
                if keep_isolated:
                    keep = True
                else:
                    for k in range(indptr[i], indptr[i + 1]):
                        if above_bnd[indices[k]]:
                            keep = True
                            break
            out[ev, i] = keep


@njit(cache=NUMBA_CACHE)
def flood_fill(start, label, labels, indptr, indices, stack):
    """Give ``label`` to ``start`` and every pixel connected to it through pixels labelled -1.

    Depth-first with an explicit ``stack`` (scratch of length >= nnz + n_pix); pixels to be
    labelled must hold -1 in ``labels`` beforehand.
    """
    labels[start] = label
    top = 1
    stack[0] = start
    while top > 0:
        top -= 1
        p = stack[top]
        for k in range(indptr[p], indptr[p + 1]):
            q = indices[k]
            if labels[q] == -1:
                labels[q] = label
                stack[top] = q
                top += 1


@njit(cache=NUMBA_CACHE)
def label_islands(mask, indptr, indices, labels, stack):
    """Label connected components of ``mask`` (1..n in order of their lowest pixel).

    ``labels`` (int32, n_pix) is overwritten; ``stack`` is scratch of length >= nnz + n_pix.
    Returns the number of islands.
    """
    n_pix = mask.shape[0]
    for i in range(n_pix):
        labels[i] = -1 if mask[i] else 0
    n_islands = 0
    for i in range(n_pix):
        if labels[i] == -1:
            n_islands += 1
            flood_fill(i, n_islands, labels, indptr, indices, stack)
    return n_islands


@njit(cache=NUMBA_CACHE)
def islands_kernel(masks, indptr, indices, n_islands, labels):
    n_events, n_pix = masks.shape
    stack = np.empty(n_pix + 1, np.int64)
    for ev in range(n_events):
        n_islands[ev] = label_islands(masks[ev], indptr, indices, labels[ev], stack)


@njit(cache=NUMBA_CACHE)
def dilate_kernel(masks, indptr, indices, out):
    n_events, n_pix = masks.shape
    for ev in range(n_events):
        m = masks[ev]
        for i in range(n_pix):
            keep = m[i]
            if not keep:
                for k in range(indptr[i], indptr[i + 1]):
                    if m[indices[k]]:
                        keep = True
                        break
            out[ev, i] = keep


@njit(cache=NUMBA_CACHE)
def time_delta_kernel(masks, times, indptr, indices, min_neighbors, time_limit, out):
    n_events, n_pix = masks.shape
    for ev in range(n_events):
        m = masks[ev]
        t = times[ev]
        for i in range(n_pix):
            if not m[i]:
                out[ev, i] = False
                continue
            count = 0
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if m[j] and abs(t[i] - t[j]) < time_limit:
                    count += 1
            out[ev, i] = count >= min_neighbors


@njit(cache=NUMBA_CACHE)
def time_constrained_kernel(images, times, indptr, indices, picture_thresh, boundary_thresh,
                            time_limit_core, time_limit_boundary, min_picture_neighbors, out):
    n_events, n_pix = images.shape
    above_pic = np.zeros(n_pix, np.bool_)
    in_pic = np.zeros(n_pix, np.bool_)
    core = np.zeros(n_pix, np.bool_)
    labels = np.zeros(n_pix, np.int32)
    stack = np.empty(n_pix + 1, np.int64)
    brightness = np.zeros(n_pix + 1, np.float64)
    for ev in range(n_events):
        img = images[ev]
        t = times[ev]
        n_in = 0
        for i in range(n_pix):
            above_pic[i] = img[i] >= picture_thresh
        for i in range(n_pix):
            in_pic[i] = False
            if above_pic[i]:
                count = 0
                for k in range(indptr[i], indptr[i + 1]):
                    if above_pic[indices[k]]:
                        count += 1
                if count >= min_picture_neighbors:
                    in_pic[i] = True
                    n_in += 1
        # core: time-average cleaning around the brightest island
        for i in range(n_pix):
            core[i] = in_pic[i]
        if n_in > 0:
            n_isl = label_islands(in_pic, indptr, indices, labels, stack)
            for k in range(n_isl + 1):
                brightness[k] = 0.0
            for i in range(n_pix):
                if labels[i] > 0:
                    brightness[labels[i]] += img[i]
            brightest = 0
            for k in range(1, n_isl + 1):
                if brightness[k] > brightness[brightest]:
                    brightest = k
            sw = 0.0
            swt = 0.0
            for i in range(n_pix):
                if labels[i] == brightest:
                    w = np.float64(img[i]) * np.float64(img[i])
                    sw += w
                    swt += w * t[i]
            t_ave = swt / sw if sw != 0.0 else np.nan
            for i in range(n_pix):
                if core[i]:
                    limit = time_limit_core if img[i] < 2.0 * picture_thresh else 2.0 * time_limit_core
                    core[i] = abs(t[i] - t_ave) < limit
        # boundary pixels next to the core with compatible times
        for i in range(n_pix):
            if core[i]:
                out[ev, i] = True
                continue
            keep = False
            if img[i] >= boundary_thresh:
                has_core = False
                count = 0
                for k in range(indptr[i], indptr[i + 1]):
                    j = indices[k]
                    if core[j]:
                        has_core = True
                        if abs(t[i] - t[j]) < time_limit_boundary:
                            count += 1
                keep = has_core and count >= min_picture_neighbors
            out[ev, i] = keep
