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
           "neighbor_peak_index", "neighbor_table", "neighbor_peak_window_sum", "r0_neighbor_peak_window_sum",
           "sliding_window_sum",
           "apply_correction", "interpolate_invalid", "two_pass_first_peak_index"]

_CACHE = NUMBA_CACHE

#: largest finite float32
_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
def _sum6(r0, r1, r2, r3, r4, r5, out, n_padded):
    """``out[:n_padded] = r0 + ... + r5`` (float64 rows).

    Literal trip counts for the common sample counts (LSTCam 40, NectarCam 60 -> 64):
    LLVM then turns the loop into whole vector operations, where a run-time count leaves
    a scalar remainder loop (the neighbour sums took twice as long). The rows arrive as
    arguments: selected inside a larger function, the same loop did not vectorise.
    """
    if n_padded == 40:
        for k in range(40):
            out[k] = r0[k] + r1[k] + r2[k] + r3[k] + r4[k] + r5[k]
    elif n_padded == 64:
        for k in range(64):
            out[k] = r0[k] + r1[k] + r2[k] + r3[k] + r4[k] + r5[k]
    else:
        for k in range(n_padded):
            out[k] = r0[k] + r1[k] + r2[k] + r3[k] + r4[k] + r5[k]


@njit(cache=_CACHE, inline="always")
def _sum8(r0, r1, r2, r3, r4, r5, r6, r7, out, n_padded):
    """``out[:n_padded] = r0 + ... + r7`` (float64 rows)."""
    for k in range(n_padded):
        out[k] = r0[k] + r1[k] + r2[k] + r3[k] + r4[k] + r5[k] + r6[k] + r7[k]


@njit(cache=_CACHE, inline="always")
def _sum4(r0, r1, r2, r3, out, n_padded):
    """``out[:n_padded] = r0 + ... + r3`` (float64 rows)."""
    for k in range(n_padded):
        out[k] = r0[k] + r1[k] + r2[k] + r3[k]


@njit(cache=_CACHE, inline="always")
def _sum_rows(wide, table, pixel, out, n_padded):
    """``out = sum of wide[table[pixel, j]]`` over the table's columns (float64, exact)."""
    width = table.shape[1]
    if width == 6:
        _sum6(wide[table[pixel, 0]], wide[table[pixel, 1]], wide[table[pixel, 2]], wide[table[pixel, 3]],
              wide[table[pixel, 4]], wide[table[pixel, 5]], out, n_padded)
    elif width == 8:
        _sum8(wide[table[pixel, 0]], wide[table[pixel, 1]], wide[table[pixel, 2]], wide[table[pixel, 3]],
              wide[table[pixel, 4]], wide[table[pixel, 5]], wide[table[pixel, 6]], wide[table[pixel, 7]], out,
              n_padded)
    elif width == 4:
        _sum4(wide[table[pixel, 0]], wide[table[pixel, 1]], wide[table[pixel, 2]], wide[table[pixel, 3]], out,
              n_padded)
    else:
        for k in range(n_padded):
            out[k] = 0.0
        for j in range(width):
            row = wide[table[pixel, j]]
            for k in range(n_padded):
                out[k] += row[k]


@njit(cache=_CACHE, inline="always")
def _first_argmax(values, n):
    """Index of the first maximum of ``values[:n]`` (as np.argmax for NaN-free values).

    A compare-and-branch loop: the branch is well predicted (the running maximum rarely
    changes), and it measured faster than a vectorised maximum followed by a search.
    """
    peak = 0
    best = values[0]
    for k in range(1, n):
        if values[k] > best:
            best = values[k]
            peak = k
    return peak


@njit(cache=_CACHE, inline="always")
def _event_table(table, invalid, n_pixels, event_table):
    """``table`` with the neighbours in ``invalid`` pointing to the zero row ``n_pixels``."""
    for pixel in range(n_pixels):
        for j in range(table.shape[1]):
            neighbor = table[pixel, j]
            event_table[pixel, j] = n_pixels if (neighbor < n_pixels and invalid[neighbor]) else neighbor
    return event_table


@njit(cache=_CACHE)
def _event_peaks(wide, table, local_weight, n_samples, summed, peaks):
    """Peak sample of every pixel of one event held in ``wide`` (float64 rows padded, zero row last).

    A function of its own (not inlined into the event loop): compiled alone, its loops
    vectorise; inside the larger kernel the same code ran 1.5x slower.
    """
    n_pixels = wide.shape[0] - 1
    n_padded = wide.shape[1]
    for pixel in range(n_pixels):
        _sum_rows(wide, table, pixel, summed, n_padded)
        if local_weight != 0:
            own = wide[pixel]
            for k in range(n_padded):
                summed[k] += own[k] * local_weight
        peaks[pixel] = _first_argmax(summed, n_samples)


@njit(cache=_CACHE)
def _event_window_sums(wide, peaks, n_samples, width, shift, rate_ghz, charge, peak_time):
    """Charge and peak time of every pixel of one event in the windows around ``peaks``."""
    n_pixels = wide.shape[0] - 1
    for pixel in range(n_pixels):
        peak = peaks[pixel]
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
        charge[pixel] = np.float32(total)
        peak_time[pixel] = np.float32(np.float64(centroid) / rate_ghz)


@njit(cache=_CACHE, inline="always")
def _peak_window_event(wide, table, local_weight, n_samples, width, shift, rate_ghz, summed, peaks, charge,
                       peak_time):
    """NeighborPeakWindowSum of one event held in ``wide``; fills ``charge`` and ``peak_time``."""
    _event_peaks(wide, table, local_weight, n_samples, summed, peaks)
    _event_window_sums(wide, peaks, n_samples, width, shift, rate_ghz, charge, peak_time)


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
    peaks = np.empty(n_pixels, dtype=np.int64)
    event_table = np.empty_like(table)
    for event in range(n_events):
        for pixel in range(n_pixels):
            for k in range(n_samples):
                wide[pixel, k] = waveforms[event, pixel, k]
        use = table
        if broken[event].any():  # broken neighbours point to the zero row for this event
            use = _event_table(table, broken[event], n_pixels, event_table)
        _peak_window_event(wide, use, local_weight, n_samples, width, shift, rate_ghz, summed, peaks,
                           charge[event], peak_time[event])


@njit(cache=_CACHE)
def r0_neighbor_peak_window_sum(waveforms, pedestal, dc_to_pe, threshold, input_magnitude, table, local_weight,
                                broken, width, shift, rate_ghz, charge, peak_time, selected, invalid):
    """R0 -> R1 (`iactpipe.calib._r1_kernels.calibrate_gain_selected`) and NeighborPeakWindowSum, per event.

    ``waveforms`` (n_events, n_channels, n_pixels, n_samples) R0 (integer or float),
    ``pedestal`` and ``dc_to_pe`` float32 (n_events, n_channels, n_pixels). Each event's
    gain-selected R1 samples go straight into the float64 scratch of
    `neighbor_peak_window_sum` and never into a batch-sized R1 array: a low-gain trace is
    read only where its high gain saturates, and the event stays in cache. The R1 values
    are the float32 ones of ``r0_to_r1``; pixels with non-finite R1 samples are zeroed,
    and they and the ``broken`` ones are left out of the neighbour sums, as
    `process_batch` does with the separate steps.

    Fills ``charge``, ``peak_time`` (float32 (n_events, n_pixels)), ``selected`` (int8,
    the gain channel) and ``invalid`` (bool: broken or with non-finite R1 samples).
    """
    n_events, n_channels, n_pixels, n_samples = waveforms.shape
    n_padded = ((n_samples + 7) // 8) * 8
    wide = np.zeros((n_pixels + 1, n_padded), dtype=np.float64)
    summed = np.empty(n_padded, dtype=np.float64)
    peaks = np.empty(n_pixels, dtype=np.int64)
    event_table = np.empty_like(table)
    for event in range(n_events):
        any_invalid = _calibrate_event(waveforms[event], pedestal[event], dc_to_pe[event], threshold,
                                       input_magnitude, broken[event], wide, selected[event], invalid[event])
        use = table
        if any_invalid:
            use = _event_table(table, invalid[event], n_pixels, event_table)
        _peak_window_event(wide, use, local_weight, n_samples, width, shift, rate_ghz, summed, peaks,
                           charge[event], peak_time[event])


@njit(cache=_CACHE)
def _calibrate_event(waveforms, pedestal, dc_to_pe, threshold, input_magnitude, broken, wide, selected, invalid):
    """Gain selection and R1 of one event into the rows of ``wide``; whether any pixel is invalid.

    ``waveforms`` (n_channels, n_pixels, n_samples); the R1 samples are the float32 values
    of `iactpipe.calib._r1_kernels.calibrate_gain_selected`, stored as float64.
    """
    n_channels, n_pixels, n_samples = waveforms.shape
    any_invalid = False
    for pixel in range(n_pixels):
        channel = 0
        if n_channels > 1 and _max_sample(waveforms[0, pixel]) > threshold:
            channel = 1
        selected[pixel] = channel
        ped = pedestal[channel, pixel]
        gain = dc_to_pe[channel, pixel]
        trace = waveforms[channel, pixel]
        row = wide[pixel]
        finite = np.isfinite(ped) and np.isfinite(gain)
        if finite and (input_magnitude + abs(np.float64(ped))) * abs(np.float64(gain)) >= _FLOAT32_MAX:
            for k in range(n_samples):  # float input or a huge gain: look at the samples
                finite &= abs((np.float32(trace[k]) - ped) * gain) < np.inf
        if finite:
            _calibrate_row(trace, ped, gain, row, n_samples)
        else:
            for k in range(n_samples):
                row[k] = 0.0
        bad = broken[pixel] or not finite
        invalid[pixel] = bad
        any_invalid |= bad
    return any_invalid


@njit(cache=_CACHE, inline="always")
def _calibrate_row(trace, ped, gain, row, n_samples):
    """``row[:n_samples] = (float32(trace) - ped) * gain`` (float32 arithmetic, stored as float64)."""
    if n_samples == 40:  # literal trip count: whole vector operations (see `_sum6`)
        for k in range(40):
            row[k] = (np.float32(trace[k]) - ped) * gain
    else:
        for k in range(n_samples):
            row[k] = (np.float32(trace[k]) - ped) * gain


@njit(cache=_CACHE, inline="always")
def _max_sample(trace):
    """Largest sample of an R0 trace (a vectorisable reduction, unlike a search with an early exit)."""
    peak = trace[0]
    for k in range(1, trace.shape[0]):
        value = trace[k]
        peak = value if value > peak else peak
    return peak


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
