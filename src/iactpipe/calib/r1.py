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
             gain_threshold_adc=DEFAULT_GAIN_THRESHOLD_ADC, calib_scale=1.0, calib_shift=0.0):
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

    Returns
    -------
    r1 : ndarray float32 (..., 1 or n_channels, n_pixels, n_samples)
    selected_gain_channel : ndarray int8 (..., n_pixels), -1 everywhere without gain selection
    """
    waveform = np.asarray(waveform)
    pedestal = np.asarray(pedestal_per_sample, dtype=np.float32)
    gain = np.asarray(dc_to_pe, dtype=np.float32)
    if calib_scale != 1.0:
        gain = gain * np.float32(calib_scale)
    if gain_selection:
        selected = select_gain(waveform, gain_threshold_adc)
        if waveform.shape[-3] > 1:
            waveform = _take_channel(waveform, selected, True)
            pedestal = _take_channel(np.broadcast_to(pedestal, waveform.shape[:-3] + pedestal.shape[-2:]), selected, False)
            gain = _take_channel(np.broadcast_to(gain, waveform.shape[:-3] + gain.shape[-2:]), selected, False)
    else:
        selected = np.full(waveform.shape[:-3] + waveform.shape[-2:-1], -1, dtype=np.int8)
    r1 = (waveform.astype(np.float32) - pedestal[..., np.newaxis]) * gain[..., np.newaxis]
    if calib_shift != 0.0:
        r1 += np.float32(calib_shift)
    return r1, selected
