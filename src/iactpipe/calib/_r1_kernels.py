"""Numba kernels of the R0 -> R1 calibration (`iactpipe.calib.r1`).

The kernels work on a batch of telescope events of one camera type, ``waveforms``
``(n_events, n_channels, n_pixels, n_samples)`` (any integer or float dtype, usually
uint16), with per-event coefficients ``pedestal`` and ``dc_to_pe`` float32
``(n_events, n_channels, n_pixels)`` (broadcast views with zero strides are fine), and
fill preallocated outputs in one pass over the samples.

The arithmetic is the one of the numpy reference, in float32 throughout:
``r1 = (float32(r0) - pedestal) * dc_to_pe [+ shift]``, so the results are bit-identical.
No fastmath: the operation order must not change.
"""
import numpy as np
from numba import njit

from ..env import NUMBA_CACHE

__all__ = ["calibrate_gain_selected", "calibrate_all_gains"]

#: largest finite float32
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@njit(cache=NUMBA_CACHE, inline="always")
def _calibrate_trace(trace, ped, gain, shift, apply_shift, out):
    """``out = (float32(trace) - ped) * gain [+ shift]`` for one pixel (branch outside the loop)."""
    if apply_shift:
        for sample in range(trace.shape[0]):
            out[sample] = (np.float32(trace[sample]) - ped) * gain + shift
    else:
        for sample in range(trace.shape[0]):
            out[sample] = (np.float32(trace[sample]) - ped) * gain


@njit(cache=NUMBA_CACHE, inline="always")
def _trace_is_finite(out, ped, gain, shift, input_magnitude):
    """Whether a calibrated trace is finite everywhere.

    For integer input (``input_magnitude`` = largest absolute input value) the
    coefficients usually decide: finite pedestal, gain and shift and no possible float32
    overflow mean every sample is finite, without looking at the samples. Float input
    (``input_magnitude`` = inf) and huge gains are checked sample by sample.
    """
    if not (np.isfinite(ped) and np.isfinite(gain) and np.isfinite(shift)):
        return False
    if (input_magnitude + abs(np.float64(ped))) * abs(np.float64(gain)) + abs(shift) < _FLOAT32_MAX:
        return True
    finite = True  # float input, or a gain large enough to overflow: look at the samples
    for sample in range(out.shape[0]):
        finite &= abs(out[sample]) < np.inf
    return finite


@njit(cache=NUMBA_CACHE)
def calibrate_gain_selected(waveforms, pedestal, dc_to_pe, threshold, shift, apply_shift, input_magnitude, r1,
                            selected, finite):
    """Gain selection + calibration.

    A pixel uses channel 1 if the maximum of its channel-0 samples is ``> threshold``
    (only with more than one channel), otherwise channel 0 (the maximum is a
    vectorisable reduction, unlike a search with an early exit). Fills ``r1`` float32
    ``(n_events, 1, n_pixels, n_samples)``, ``selected`` int8 ``(n_events, n_pixels)``
    and ``finite`` bool ``(n_events, n_pixels)`` (all samples of the pixel finite).
    """
    n_events, n_channels, n_pixels, n_samples = waveforms.shape
    for event in range(n_events):
        for pixel in range(n_pixels):
            channel = 0
            if n_channels > 1:
                high = waveforms[event, 0, pixel]
                peak = high[0]
                for sample in range(1, n_samples):
                    value = high[sample]
                    peak = value if value > peak else peak
                if peak > threshold:
                    channel = 1
            selected[event, pixel] = channel
            ped = pedestal[event, channel, pixel]
            gain = dc_to_pe[event, channel, pixel]
            out = r1[event, 0, pixel]
            _calibrate_trace(waveforms[event, channel, pixel], ped, gain, shift, apply_shift, out)
            finite[event, pixel] = _trace_is_finite(out, ped, gain, shift, input_magnitude)


@njit(cache=NUMBA_CACHE)
def calibrate_all_gains(waveforms, pedestal, dc_to_pe, shift, apply_shift, r1):
    """Calibration of every channel (no gain selection); fills ``r1`` with the shape of ``waveforms``."""
    n_events, n_channels, n_pixels, n_samples = waveforms.shape
    for event in range(n_events):
        for channel in range(n_channels):
            for pixel in range(n_pixels):
                _calibrate_trace(waveforms[event, channel, pixel], pedestal[event, channel, pixel],
                                 dc_to_pe[event, channel, pixel], shift, apply_shift, r1[event, channel, pixel])
