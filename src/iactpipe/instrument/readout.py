"""Camera readout: digitiser sampling, trace length, gain channels and the reference pulse."""
from dataclasses import dataclass

import numpy as np

from ..errors import InstrumentError

__all__ = ["CameraReadout", "reference_pulse"]


def reference_pulse(fwhm_ns, peak_time_ns, duration_ns, step_ns, asymmetry=0.3):
    """Sample a normalised single-photoelectron pulse of given width.

    The shape is a log-normal in time, the usual description of a PMT/SiPM pulse after a
    shaper (fast rise, slower decay). Its width parameter is solved so that the full width
    at half maximum equals ``fwhm_ns``; ``asymmetry`` (log-normal sigma) sets how much
    slower the decay is than the rise (0 gives a Gaussian limit).

    Parameters
    ----------
    fwhm_ns : float
        Full width at half maximum of the pulse, ns.
    peak_time_ns : float
        Time of the maximum after the first sample, ns.
    duration_ns : float
        Length of the sampled shape, ns.
    step_ns : float
        Sampling step of the returned shape, ns.
    asymmetry : float
        Log-normal shape parameter (dimensionless).

    Returns
    -------
    ndarray
        Pulse amplitudes at ``arange(n) * step_ns``, with maximum 1.
    """
    if fwhm_ns <= 0 or step_ns <= 0 or duration_ns <= step_ns:
        raise InstrumentError("reference pulse needs positive fwhm, step and duration > step")
    t = np.arange(int(round(duration_ns / step_ns))) * step_ns
    if asymmetry <= 0:
        sigma_t = fwhm_ns / (2.0 * np.sqrt(2.0 * np.log(2.0)))
        return np.exp(-0.5 * ((t - peak_time_ns) / sigma_t) ** 2)
    # Gaussian in log(t - t0) with its maximum at peak_time; choose the scale
    # so that the half-maximum points are fwhm apart (closed form).
    s = asymmetry
    half = np.sqrt(2.0 * np.log(2.0)) * s
    # with maximum at m the half-max points are m * exp(+-half); width = m (e^h - e^-h)
    mode_offset = fwhm_ns / (np.exp(half) - np.exp(-half))
    t0 = peak_time_ns - mode_offset
    shifted = t - t0
    out = np.zeros_like(t)
    positive = shifted > 0
    log_ratio = np.log(shifted[positive] / mode_offset)
    out[positive] = np.exp(-0.5 * (log_ratio / s) ** 2)
    return out / out.max()


@dataclass(frozen=True, eq=False)
class CameraReadout:
    """How a camera digitises its signals.

    Parameters
    ----------
    name : str
        Camera name the readout belongs to.
    sampling_rate_ghz : float
        Digitiser sampling rate, GHz (samples per ns).
    n_samples : int
        Samples written per waveform.
    n_channels : int
        Gain channels (1 or 2; channel 0 is the high gain).
    reference_pulse_shape : ndarray of shape (n_channels, n_points)
        Single-photoelectron pulse shape per gain channel (arbitrary units).
    reference_pulse_sample_width_ns : float
        Time step of ``reference_pulse_shape``, ns.
    """

    name: str
    sampling_rate_ghz: float
    n_samples: int
    n_channels: int
    reference_pulse_shape: np.ndarray
    reference_pulse_sample_width_ns: float

    def __post_init__(self):
        shape = np.atleast_2d(np.asarray(self.reference_pulse_shape, dtype=np.float64))
        if shape.shape[0] != self.n_channels:
            raise InstrumentError(f"readout {self.name!r}: reference pulse has {shape.shape[0]} channels, "
                                  f"expected {self.n_channels}")
        if self.sampling_rate_ghz <= 0 or self.n_samples < 1:
            raise InstrumentError(f"readout {self.name!r}: sampling rate and n_samples must be positive")
        shape.setflags(write=False)
        object.__setattr__(self, "reference_pulse_shape", shape)
        object.__setattr__(self, "n_samples", int(self.n_samples))
        object.__setattr__(self, "n_channels", int(self.n_channels))
        object.__setattr__(self, "sampling_rate_ghz", float(self.sampling_rate_ghz))
        object.__setattr__(self, "reference_pulse_sample_width_ns", float(self.reference_pulse_sample_width_ns))

    @property
    def sample_width_ns(self):
        """Time between two waveform samples, ns."""
        return 1.0 / self.sampling_rate_ghz

    @property
    def reference_pulse_sample_time_ns(self):
        """Times of the reference-pulse points, ns."""
        return np.arange(self.reference_pulse_shape.shape[1]) * self.reference_pulse_sample_width_ns

    def reference_pulse_fwhm_ns(self, channel=0):
        """Full width at half maximum of the reference pulse of ``channel``, ns (linear interpolation)."""
        pulse = self.reference_pulse_shape[channel]
        t = self.reference_pulse_sample_time_ns
        above = np.nonzero(pulse >= 0.5 * pulse.max())[0]
        if len(above) == 0:
            return float("nan")
        first, last = above[0], above[-1]
        half = 0.5 * pulse.max()

        def crossing(i_below, i_above):
            y0, y1 = pulse[i_below], pulse[i_above]
            return t[i_below] + (half - y0) / (y1 - y0) * (t[i_above] - t[i_below])

        start = crossing(first - 1, first) if first > 0 else t[0]
        stop = crossing(last + 1, last) if last + 1 < len(t) else t[-1]
        return float(stop - start)

    def __repr__(self):
        return (f"CameraReadout(name={self.name!r}, sampling_rate_ghz={self.sampling_rate_ghz}, "
                f"n_samples={self.n_samples}, n_channels={self.n_channels})")
