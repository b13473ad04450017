"""Numba kernels of the charge / peak-time extractors (`iactpipe.calib.extractors`).

Every kernel works on a batch of gain-selected R1 waveforms of one camera type,
``waveforms`` float32 ``(n_events, n_pixels, n_samples)``, and fills preallocated float32
``charge`` and ``peak_time`` arrays ``(n_events, n_pixels)``. Peak times come out in
*samples* divided by the sampling rate (ns). The kernels are serial: `process_file`
parallelises over batches in worker processes (``n_jobs``), which scales better than
threads inside short kernels and keeps forking safe.

Numerical conventions (chosen so that the results agree with ctapipe's to float32
rounding): window sums are accumulated in float64 in sample order and rounded to
float32; the peak time is the float64 charge-weighted mean sample index of the
positive samples in the window, rounded to float32, then divided by the sampling rate
and rounded again.
"""
import numpy as np
from numba import njit

from ..env import NUMBA_CACHE

__all__ = ["window_sum", "window_sum_per_pixel", "local_peak_index", "global_peak_index",
           "neighbor_peak_index", "neighbor_table", "neighbor_peak_window_sum", "sliding_window_sum",
           "apply_correction", "interpolate_invalid", "two_pass_first_peak_index"]

_CACHE = NUMBA_CACHE


@njit(cache=_CACHE, inline="always")
def _integrate(trace, peak, width, shift, rate_ghz):
    n_samples = trace.shape[0]
    start = peak - shift
    end = start + width
    if start < 0:
        start = 0
    if end > n_samples:
        end = n_samples
    total = 0.0
    weighted = 0.0
    positive = 0.0
    for k in range(start, end):
        value = np.float64(trace[k])
        total += value
        if value > 0.0:
            weighted += value * k
            positive += value
    if positive > 0.0:
        centroid = np.float32(weighted / positive)
    else:
        centroid = np.float32(peak)
    return np.float32(total), np.float32(np.float64(centroid) / rate_ghz)


@njit(cache=_CACHE)
def window_sum(waveforms, peak_index, width, shift, rate_ghz, charge, peak_time):
    """Sum ``width`` samples starting at ``peak_index - shift`` (clipped to the trace)."""
    n_events, n_pixels, _ = waveforms.shape
    for event in range(n_events):
        for pixel in range(n_pixels):
            c, t = _integrate(waveforms[event, pixel], peak_index[event, pixel], width, shift, rate_ghz)
            charge[event, pixel] = c
            peak_time[event, pixel] = t


@njit(cache=_CACHE)
def window_sum_per_pixel(waveforms, peak_index, width, shift, rate_ghz, charge, peak_time):
    """As `window_sum` with per-pixel ``width`` and ``shift`` arrays ``(n_events, n_pixels)``."""
    n_events, n_pixels, _ = waveforms.shape
    for event in range(n_events):
        for pixel in range(n_pixels):
            c, t = _integrate(waveforms[event, pixel], peak_index[event, pixel], width[event, pixel],
                              shift[event, pixel], rate_ghz)
            charge[event, pixel] = c
            peak_time[event, pixel] = t


@njit(cache=_CACHE)
def local_peak_index(waveforms):
    """Index of the (first) maximum sample of every pixel, int64 ``(n_events, n_pixels)``."""
    n_events, n_pixels, _ = waveforms.shape
    out = np.empty((n_events, n_pixels), dtype=np.int64)
    for event in range(n_events):
        for pixel in range(n_pixels):
            out[event, pixel] = np.argmax(waveforms[event, pixel])
    return out


@njit(cache=_CACHE)
def global_peak_index(waveforms, broken):
    """Per event, the maximum of the mean waveform of the non-broken pixels (broadcast to pixels)."""
    n_events, n_pixels, n_samples = waveforms.shape
    out = np.empty((n_events, n_pixels), dtype=np.int64)
    for event in range(n_events):
        mean = np.zeros(n_samples, dtype=np.float64)
        for pixel in range(n_pixels):
            if broken[event, pixel]:
                continue
            for k in range(n_samples):
                mean[k] += waveforms[event, pixel, k]
        peak = np.argmax(mean)
        for pixel in range(n_pixels):
            out[event, pixel] = peak
    return out


def neighbor_table(indptr, indices):
    """Neighbour lists as a padded table ``(n_pixels, width)``, int64.

    Missing entries point to the dummy pixel ``n_pixels`` (a row of zeros in the
    kernels' scratch), so every pixel sums the same number of rows; the width is 6 for
    hexagonal and 8 for square cameras with diagonals, whichever is the next of 4, 6, 8
    that holds the longest list. Adding zero rows does not change the float64 sums.
    """
    indptr = np.asarray(indptr, np.int64)
    indices = np.asarray(indices, np.int64)
    n_pixels = len(indptr) - 1
    counts = np.diff(indptr)
    longest = int(counts.max()) if n_pixels else 0
    width = next((w for w in (4, 6, 8) if longest <= w), longest)
    table = np.full((n_pixels, max(width, 1)), n_pixels, dtype=np.int64)
    rows = np.repeat(np.arange(n_pixels), counts)
    slots = np.arange(len(indices)) - np.repeat(indptr[:-1], counts)
    table[rows, slots] = indices
    return table


@njit(cache=_CACHE, inline="always")
def _sum_rows(wide, table, pixel, out, n_padded):
    """``out = sum of wide[table[pixel, j]]`` over the table's columns (float64, exact)."""
    width = table.shape[1]
    if width == 6:
        r0 = wide[table[pixel, 0]]
        r1 = wide[table[pixel, 1]]
        r2 = wide[table[pixel, 2]]
        r3 = wide[table[pixel, 3]]
        r4 = wide[table[pixel, 4]]
        r5 = wide[table[pixel, 5]]
        for k in range(n_padded):
            out[k] = r0[k] + r1[k] + r2[k] + r3[k] + r4[k] + r5[k]
    elif width == 8:
        r0 = wide[table[pixel, 0]]
        r1 = wide[table[pixel, 1]]
        r2 = wide[table[pixel, 2]]
        r3 = wide[table[pixel, 3]]
        r4 = wide[table[pixel, 4]]
        r5 = wide[table[pixel, 5]]
        r6 = wide[table[pixel, 6]]
        r7 = wide[table[pixel, 7]]
        for k in range(n_padded):
            out[k] = r0[k] + r1[k] + r2[k] + r3[k] + r4[k] + r5[k] + r6[k] + r7[k]
    elif width == 4:
        r0 = wide[table[pixel, 0]]
        r1 = wide[table[pixel, 1]]
        r2 = wide[table[pixel, 2]]
        r3 = wide[table[pixel, 3]]
        for k in range(n_padded):
            out[k] = r0[k] + r1[k] + r2[k] + r3[k]
    else:
        for k in range(n_padded):
            out[k] = 0.0
        for j in range(width):
            row = wide[table[pixel, j]]
            for k in range(n_padded):
                out[k] += row[k]


@njit(cache=_CACHE)
def neighbor_peak_window_sum(waveforms, table, local_weight, broken, width, shift, rate_ghz, charge, peak_time):
    """NeighborPeakWindowSum in one pass per event: peak search, window sum and peak time.

    The peak of each pixel is the (first) maximum of ``local_weight * own + sum of the
    non-broken neighbours`` waveform (``table`` from `neighbor_table`); then ``width``
    samples from ``peak - shift`` are integrated as in `window_sum`.

    The sums run in float64 as ctapipe's kernel does; float64 sums of a few float32
    samples are exact, so the order of the additions (and the zero rows of the padding)
    cannot change a peak position. Each event's samples are widened once into a scratch
    block whose rows are padded to a multiple of 8 samples (whole vector registers)
    with one extra zero row for the padding entries of the table: the per-pixel sums then
    vectorise, and the event stays in cache from peak search to integration.
    """
    n_events, n_pixels, n_samples = waveforms.shape
    n_padded = ((n_samples + 7) // 8) * 8
    wide = np.zeros((n_pixels + 1, n_padded), dtype=np.float64)
    summed = np.empty(n_padded, dtype=np.float64)
    event_table = np.empty_like(table)
    for event in range(n_events):
        for pixel in range(n_pixels):
            for k in range(n_samples):
                wide[pixel, k] = waveforms[event, pixel, k]
        any_broken = False
        for pixel in range(n_pixels):
            if broken[event, pixel]:
                any_broken = True
                break
        use = table
        if any_broken:  # broken neighbours point to the zero row for this event
            for pixel in range(n_pixels):
                for j in range(table.shape[1]):
                    neighbor = table[pixel, j]
                    event_table[pixel, j] = n_pixels if (neighbor < n_pixels and broken[event, neighbor]) \
                        else neighbor
            use = event_table
        for pixel in range(n_pixels):
            _sum_rows(wide, use, pixel, summed, n_padded)
            if local_weight != 0:
                own = wide[pixel]
                for k in range(n_padded):
                    summed[k] += own[k] * local_weight
            peak = 0  # first maximum, as np.argmax
            best = summed[0]
            for k in range(1, n_samples):
                if summed[k] > best:
                    best = summed[k]
                    peak = k
            start = peak - shift
            end = start + width
            if start < 0:
                start = 0
            if end > n_samples:
                end = n_samples
            row = wide[pixel]
            total = 0.0
            weighted = 0.0
            positive = 0.0
            for k in range(start, end):
                value = row[k]
                total += value
                kept = value if value > 0.0 else 0.0  # branch-free: same sums as skipping
                weighted += kept * k
                positive += kept
            if positive > 0.0:
                centroid = np.float32(weighted / positive)
            else:
                centroid = np.float32(peak)
            charge[event, pixel] = np.float32(total)
            peak_time[event, pixel] = np.float32(np.float64(centroid) / rate_ghz)


@njit(cache=_CACHE)
def neighbor_peak_index(waveforms, indptr, indices, local_weight, broken):
    """Maximum of ``local_weight * own + sum(non-broken neighbours)`` waveform per pixel.

    Reference implementation (straightforward loops, float64 sums as ctapipe's); the
    extractor uses the fused `neighbor_peak_window_sum`.
    """
    n_events, n_pixels, n_samples = waveforms.shape
    out = np.empty((n_events, n_pixels), dtype=np.int64)
    summed = np.empty(n_samples, dtype=np.float64)
    for event in range(n_events):
        for pixel in range(n_pixels):
            for k in range(n_samples):
                summed[k] = np.float64(waveforms[event, pixel, k]) * local_weight
            for j in range(indptr[pixel], indptr[pixel + 1]):
                neighbor = indices[j]
                if broken[event, neighbor]:
                    continue
                for k in range(n_samples):
                    summed[k] += waveforms[event, neighbor, k]
            out[event, pixel] = np.argmax(summed)
    return out


@njit(cache=_CACHE)
def sliding_window_sum(waveforms, width, rate_ghz, charge, peak_time):
    """Largest sum of ``width`` consecutive samples; time = weighted mean of its positive samples."""
    n_events, n_pixels, n_samples = waveforms.shape
    for event in range(n_events):
        cumulative = np.empty(n_samples + 1, dtype=np.float64)
        for pixel in range(n_pixels):
            trace = waveforms[event, pixel]
            running = np.float32(0.0)
            cumulative[0] = 0.0
            for k in range(n_samples):
                running = np.float32(running + trace[k])
                cumulative[k + 1] = running
            best = 0
            best_sum = cumulative[width] - cumulative[0]
            for start in range(1, n_samples - width + 1):
                value = cumulative[start + width] - cumulative[start]
                if value > best_sum:
                    best_sum = value
                    best = start
            weighted = 0.0
            positive = 0.0
            for k in range(best, best + width):
                value = np.float64(trace[k])
                if value > 0.0:
                    weighted += value * k
                    positive += value
            if positive > 0.0:
                centroid = np.float32(weighted / positive)
            else:
                centroid = np.float32(best + 0.5 * width)
            charge[event, pixel] = np.float32(best_sum)
            peak_time[event, pixel] = np.float32(np.float64(centroid) / rate_ghz)


@njit(cache=_CACHE)
def apply_correction(charge, correction, selected_gain):
    """``charge *= correction[selected_gain]`` (float64 product rounded to float32), in place."""
    n_events, n_pixels = charge.shape
    for event in range(n_events):
        for pixel in range(n_pixels):
            channel = selected_gain[event, pixel]
            if channel < 0:
                channel = 0
            charge[event, pixel] = np.float32(np.float64(charge[event, pixel]) * correction[channel])


@njit(cache=_CACHE)
def interpolate_invalid(image, peak_time, invalid, indptr, indices):
    """Replace invalid pixels by the mean of their valid neighbours (0 if none), in place."""
    n_events, n_pixels = image.shape
    for event in range(n_events):
        new_image = np.empty(n_pixels, dtype=image.dtype)
        new_time = np.empty(n_pixels, dtype=peak_time.dtype)
        for pixel in range(n_pixels):
            if not invalid[event, pixel]:
                continue
            count = 0
            image_sum = np.float32(0.0)
            time_sum = np.float32(0.0)
            for j in range(indptr[pixel], indptr[pixel + 1]):
                neighbor = indices[j]
                if invalid[event, neighbor]:
                    continue
                count += 1
                image_sum += image[event, neighbor]
                time_sum += peak_time[event, neighbor]
            if count > 0:
                new_image[pixel] = image_sum / count
                new_time[pixel] = time_sum / count
            else:
                new_image[pixel] = 0.0
                new_time[pixel] = 0.0
        for pixel in range(n_pixels):
            if invalid[event, pixel]:
                image[event, pixel] = new_image[pixel]
                peak_time[event, pixel] = new_time[pixel]


@njit(cache=_CACHE)
def two_pass_first_peak_index(waveforms):
    """First pass of the two-pass extractor: centre of the brightest 3-sample window.

    The 3-sample sums use edge replication ("nearest" boundary); the search skips the
    first and last two samples so that a 1+3+1 window fits in the trace.
    """
    n_events, n_pixels, n_samples = waveforms.shape
    out = np.empty((n_events, n_pixels), dtype=np.int64)
    for event in range(n_events):
        for pixel in range(n_pixels):
            trace = waveforms[event, pixel]
            best = 2
            best_sum = -np.inf
            for centre in range(2, n_samples - 2):
                value = np.float32(np.float64(trace[centre - 1]) + np.float64(trace[centre]) + np.float64(trace[centre + 1]))
                if value > best_sum:
                    best_sum = value
                    best = centre
            out[event, pixel] = best
    return out
