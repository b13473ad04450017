"""R0 -> R1: gain selection, pedestal subtraction, conversion to photo-electrons.

The sim_telarray convention (what ctapipe 0.28's ``SimTelEventSource`` delivers as R1):

1. gain selection (only when asked, by default for shower events): a pixel uses the low
   gain if any of its *high-gain* R0 samples exceeds ``gain_threshold_adc`` (4000 ADC),
   otherwise the high gain; single-gain cameras always keep channel 0;
2. ``r1 = (r0 - pedestal_per_sample) * dc_to_pe * calib_scale + calib_shift`` per sample,
   so that the sum of a pulse's samples is in photo-electrons.

Pixels with HV off have ``dc_to_pe = 0`` in sim_telarray files and come out as 0; no
time shift is applied to the samples (``tm_calib`` stays a coefficient). Works on one
telescope event ``(n_channels, n_pixels, n_samples)`` or a batch ``(n, n_channels,
n_pixels, n_samples)`` with coefficients ``(n_channels, n_pixels)`` (or ``(n, ...)``).
"""
import numpy as np

from . import _r1_kernels as _kernels

__all__ = ["select_gain", "r0_to_r1", "DEFAULT_GAIN_THRESHOLD_ADC"]

#: High-gain sample value above which a pixel switches to the low gain (ctapipe's default).
DEFAULT_GAIN_THRESHOLD_ADC = 4000.0


def select_gain(waveform, threshold_adc=DEFAULT_GAIN_THRESHOLD_ADC):
    """Selected channel per pixel (int8, 0 high / 1 low), shape ``waveform.shape[:-3] + (n_pixels,)``."""
    waveform = np.asarray(waveform)
    if waveform.shape[-3] == 1:
        return np.zeros(waveform.shape[:-3] + waveform.shape[-2:-1], dtype=np.int8)
    return (waveform[..., 0, :, :] > threshold_adc).any(axis=-1).astype(np.int8)


def _take_channel(values, selected, has_samples):
    """values (..., n_channels, n_pixels[, n_samples]) at channel ``selected`` (..., n_pixels), keepdims."""
    index = (selected[..., np.newaxis, :, np.newaxis] if has_samples else selected[..., np.newaxis, :])
    return np.take_along_axis(values, index.astype(np.intp), axis=-3 if has_samples else -2)


def r0_to_r1(waveform, pedestal_per_sample, dc_to_pe, gain_selection=True,
             gain_threshold_adc=DEFAULT_GAIN_THRESHOLD_ADC, calib_scale=1.0, calib_shift=0.0, return_finite=False):
    """Calibrate R0 waveforms to R1.

    Parameters
    ----------
    waveform : ndarray uint16 (..., n_channels, n_pixels, n_samples)
    pedestal_per_sample, dc_to_pe : ndarray (..., n_channels, n_pixels)
    gain_selection : bool
        Keep one channel per pixel (shower events) or all channels (calibration events).
    gain_threshold_adc : float
    calib_scale, calib_shift : float
        Extra scale and shift (mis-calibration studies); defaults change nothing.
    return_finite : bool
        Also return, per pixel, whether all its R1 samples are finite (gain selection
        only); computed in the same pass, much cheaper than ``np.isfinite`` afterwards.

    Returns
    -------
    r1 : ndarray float32 (..., 1 or n_channels, n_pixels, n_samples)
    selected_gain_channel : ndarray int8 (..., n_pixels), -1 everywhere without gain selection
    finite : ndarray bool (..., n_pixels)
        Only with ``return_finite``.
    """
    waveform = np.asarray(waveform)
    pedestal = np.asarray(pedestal_per_sample, dtype=np.float32)
    gain = np.asarray(dc_to_pe, dtype=np.float32)
    if calib_scale != 1.0:
        gain = gain * np.float32(calib_scale)
    if waveform.ndim < 3 or pedestal.ndim < 2 or gain.ndim < 2:
        raise ValueError("r0_to_r1 needs waveforms (..., n_channels, n_pixels, n_samples) and coefficients "
                         "(..., n_channels, n_pixels)")
    if waveform.dtype.kind not in "uif":
        waveform = waveform.astype(np.float32)
    lead = waveform.shape[:-3]
    n_channels, n_pixels, n_samples = waveform.shape[-3:]
    n = int(np.prod(lead, dtype=np.int64))
    # one batch axis for the kernels; coefficients broadcast (zero-stride views, no copies)
    wf = np.ascontiguousarray(waveform.reshape((n, n_channels, n_pixels, n_samples)))
    coefficient_shape = lead + (n_channels, n_pixels)
    ped = np.broadcast_to(pedestal, coefficient_shape).reshape((n, n_channels, n_pixels))
    dc = np.broadcast_to(gain, coefficient_shape).reshape((n, n_channels, n_pixels))
    shift = np.float32(calib_shift)
    apply_shift = bool(calib_shift != 0.0)
    if return_finite and not gain_selection:
        raise ValueError("return_finite needs gain_selection=True")
    if gain_selection:
        r1 = np.empty((n, 1, n_pixels, n_samples), np.float32)
        selected = np.empty((n, n_pixels), np.int8)
        finite = np.empty((n, n_pixels), bool)
        # integer input bounds |r0|, so finiteness follows from the coefficients
        magnitude = (float(max(abs(np.iinfo(wf.dtype).min), np.iinfo(wf.dtype).max)) if wf.dtype.kind in "ui"
                     else np.inf)
        _kernels.calibrate_gain_selected(wf, ped, dc, float(gain_threshold_adc), shift, apply_shift, magnitude,
                                         r1, selected, finite)
        r1 = r1.reshape(lead + (1, n_pixels, n_samples))
        if return_finite:
            return r1, selected.reshape(lead + (n_pixels,)), finite.reshape(lead + (n_pixels,))
    else:
        r1 = np.empty((n, n_channels, n_pixels, n_samples), np.float32)
        _kernels.calibrate_all_gains(wf, ped, dc, shift, apply_shift, r1)
        r1 = r1.reshape(lead + (n_channels, n_pixels, n_samples))
        selected = np.full((n, n_pixels), -1, dtype=np.int8)
    return r1, selected.reshape(lead + (n_pixels,))
