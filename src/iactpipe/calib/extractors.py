"""Charge and peak-time extraction from calibrated (R1) waveforms.

Each extractor works on a *batch* of telescope events of one camera type: float32
waveforms ``(n_events, n_pixels, n_samples)`` after gain selection, pedestal
subtraction and dc-to-pe conversion (`iactpipe.calib.r1.r0_to_r1`). Calling it returns
``(charge, peak_time, is_valid)``: charge in p.e. (float32, ``(n_events, n_pixels)``),
peak time in ns (float32, same shape; the charge-weighted mean sample index of the
positive samples in the integration window divided by the sampling rate) and a boolean
``(n_events,)`` telling whether extraction succeeded.

Extractors (same names, parameters and defaults as ctapipe 0.28):

========================  ===========================================================
FullWaveformSum           sum of all samples
FixedWindowSum            ``window_width`` samples from ``peak_index - window_shift``
GlobalPeakWindowSum       window around the maximum of the camera-averaged waveform
LocalPeakWindowSum        window around each pixel's own maximum
NeighborPeakWindowSum     window around the maximum of the summed neighbour waveforms
                          (own waveform weighted by ``local_weight``)
SlidingWindowMaxSum       the ``window_width`` consecutive samples of largest sum
TwoPassWindowSum          5-sample first pass, tail-cut cleaning, then a second pass
                          at times predicted by a linear time-gradient fit
========================  ===========================================================

With ``apply_integration_correction`` (default True) the charge is scaled so that a
noise-free unit pulse of the camera's reference shape gives 1 p.e. whatever the window
(`integration_correction`). All the per-pixel work runs in numba kernels
(`iactpipe.calib._extractor_kernels`); only the two-pass extractor's second pass (fit of
the time gradient on the cleaned image) loops over events in Python.
"""
import numpy as np

from ..errors import ConfigurationError
from . import _extractor_kernels as K

__all__ = ["integration_correction", "sliding_window_correction", "ImageExtractor", "FullWaveformSum",
           "FixedWindowSum", "GlobalPeakWindowSum", "LocalPeakWindowSum", "NeighborPeakWindowSum",
           "SlidingWindowMaxSum", "TwoPassWindowSum", "EXTRACTORS", "make_extractor", "extractor_defaults"]


def integration_correction(reference_pulse_shape, reference_sample_width_ns, sample_width_ns,
                           window_width, window_shift):
    """Factor per gain channel making a unit reference pulse integrate to 1 in the window.

    The reference pulse (finely sampled, ``reference_sample_width_ns`` per point) is
    rebinned to the camera's sampling (``sample_width_ns``) and normalised to unit area;
    the window starts ``window_shift`` samples before the rebinned maximum (clipped to the
    trace) and spans ``window_width`` samples. The factor is 1 / (integral in the
    window); 1 where the window is empty.

    Returns
    -------
    ndarray float64 (n_channels,)
    """
    shapes = np.atleast_2d(np.asarray(reference_pulse_shape, dtype=np.float64))
    out = np.ones(len(shapes), dtype=np.float64)
    for channel, shape in enumerate(shapes):
        duration = shape.size * reference_sample_width_ns
        times = np.arange(0.0, duration, reference_sample_width_ns)
        edges = np.arange(0.0, duration, sample_width_ns)
        rebinned, _ = np.histogram(times, edges, weights=shape, density=True)
        n = rebinned.size
        first = max(int(rebinned.argmax()) - int(window_shift), 0)
        last = min(first + int(window_width), n)
        if first >= last:
            continue
        out[channel] = 1.0 / np.sum(rebinned[first:last] * sample_width_ns)
    return out


def sliding_window_correction(reference_pulse_shape, reference_sample_width_ns, sampling_rate_ghz, window_width):
    """Integration correction of `SlidingWindowMaxSum`: pulse area / best window sum of the pulse."""
    shapes = np.atleast_2d(np.asarray(reference_pulse_shape, dtype=np.float64))
    width = int(round(window_width / sampling_rate_ghz / reference_sample_width_ns))
    out = np.ones(len(shapes), dtype=np.float64)
    for channel, shape in enumerate(shapes):
        cumulative = np.concatenate(([0.0], np.cumsum(shape)))
        best = np.max(cumulative[width:] - cumulative[:-width])
        out[channel] = np.sum(shape) / best
    return out


def _as_batch(waveforms):
    waveforms = np.asarray(waveforms)
    if waveforms.ndim == 4:
        if waveforms.shape[1] != 1:
            raise ValueError("extractors need gain-selected waveforms (one channel)")
        waveforms = waveforms[:, 0]
    if waveforms.ndim != 3:
        raise ValueError(f"waveforms must be (n_events, n_pixels, n_samples), got shape {waveforms.shape}")
    return np.ascontiguousarray(waveforms, dtype=np.float32)


def _per_event(mask, shape, default, dtype):
    if mask is None:
        return np.full(shape, default, dtype=dtype)
    mask = np.asarray(mask, dtype=dtype)
    return np.ascontiguousarray(np.broadcast_to(mask, shape))


class ImageExtractor:
    """Base class: holds the camera description and the extractor's parameters.

    Parameters
    ----------
    readout : CameraReadout
        Sampling rate and reference pulse shape of the camera.
    geometry : CameraGeometry, optional
        Needed by the extractors that use pixel neighbours (NeighborPeakWindowSum,
        TwoPassWindowSum).
    **params
        Extractor parameters (see `defaults`); unknown names raise `ConfigurationError`.
    """

    #: parameter name -> default value (ctapipe 0.28 defaults)
    defaults = {}

    def __init__(self, readout, geometry=None, **params):
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ConfigurationError(f"{type(self).__name__}: unknown parameter(s) {', '.join(unknown)} "
                                     f"(allowed: {', '.join(sorted(self.defaults)) or 'none'})")
        self.params = {**self.defaults, **params}
        for key, value in self.params.items():
            setattr(self, key, value)
        self.readout = readout
        self.geometry = geometry
        self.sampling_rate_ghz = float(readout.sampling_rate_ghz)
        self.correction = self._correction()

    @property
    def name(self):
        return type(self).__name__

    def _correction(self):
        return None

    def _window_correction(self, width, shift):
        return integration_correction(self.readout.reference_pulse_shape,
                                      self.readout.reference_pulse_sample_width_ns,
                                      1.0 / self.sampling_rate_ghz, width, shift)

    def _neighbors(self):
        if self.geometry is None:
            raise ConfigurationError(f"{self.name} needs the camera geometry (pixel neighbours)")
        neighbors = self.geometry.neighbors
        return np.asarray(neighbors.indptr, np.int64), np.asarray(neighbors.indices, np.int64)

    def __call__(self, waveforms, selected_gain_channel=None, broken_pixels=None):
        """Extract charge and peak time.

        Parameters
        ----------
        waveforms : ndarray (n_events, n_pixels, n_samples) (or with a channel axis of 1)
        selected_gain_channel : ndarray int (n_events, n_pixels), optional
            Selects the integration correction per pixel; 0 (high gain) if omitted.
        broken_pixels : ndarray bool (n_pixels,) or (n_events, n_pixels), optional
            Pixels ignored when looking for the peak (global / neighbour peak).

        Returns
        -------
        charge, peak_time : ndarray float32 (n_events, n_pixels)
        is_valid : ndarray bool (n_events,)
        """
        waveforms = _as_batch(waveforms)
        shape = waveforms.shape[:2]
        gain = _per_event(selected_gain_channel, shape, 0, np.int64)
        broken = _per_event(broken_pixels, shape, False, np.bool_)
        charge = np.empty(shape, np.float32)
        peak_time = np.empty(shape, np.float32)
        is_valid = np.ones(shape[0], dtype=bool)
        if shape[0] == 0:
            return charge, peak_time, is_valid
        self._extract(waveforms, gain, broken, charge, peak_time, is_valid)
        return charge, peak_time, is_valid

    def _extract(self, waveforms, gain, broken, charge, peak_time, is_valid):
        raise NotImplementedError

    def _finish(self, charge, gain):
        if self.correction is not None and self.params.get("apply_integration_correction", False):
            K.apply_correction(charge, self.correction, gain)


class FullWaveformSum(ImageExtractor):
    """Sum of the whole waveform; no integration correction."""

    defaults = {}

    def _extract(self, waveforms, gain, broken, charge, peak_time, is_valid):
        peaks = np.zeros(charge.shape, np.int64)
        K.window_sum(waveforms, peaks, waveforms.shape[2], 0, self.sampling_rate_ghz, charge, peak_time)


class FixedWindowSum(ImageExtractor):
    """Sum of ``window_width`` samples starting at ``peak_index - window_shift``."""

    defaults = {"peak_index": 0, "window_width": 7, "window_shift": 0, "apply_integration_correction": True}

    def _correction(self):
        return self._window_correction(self.window_width, self.window_shift)

    def _extract(self, waveforms, gain, broken, charge, peak_time, is_valid):
        peaks = np.full(charge.shape, int(self.peak_index), np.int64)
        K.window_sum(waveforms, peaks, int(self.window_width), int(self.window_shift), self.sampling_rate_ghz,
                     charge, peak_time)
        self._finish(charge, gain)


class _PeakWindow(ImageExtractor):
    defaults = {"window_width": 7, "window_shift": 3, "apply_integration_correction": True}

    def _correction(self):
        return self._window_correction(self.window_width, self.window_shift)

    def _peaks(self, waveforms, broken):
        raise NotImplementedError

    def _extract(self, waveforms, gain, broken, charge, peak_time, is_valid):
        peaks = self._peaks(waveforms, broken)
        K.window_sum(waveforms, peaks, int(self.window_width), int(self.window_shift), self.sampling_rate_ghz,
                     charge, peak_time)
        self._finish(charge, gain)


class GlobalPeakWindowSum(_PeakWindow):
    """Window around the maximum of the mean waveform of the camera's (non-broken) pixels.

    ``pixel_fraction < 1`` averages only that fraction of the brightest pixels (ranked by
    their maximum sample).
    """

    defaults = {**_PeakWindow.defaults, "pixel_fraction": 1.0}

    def _peaks(self, waveforms, broken):
        if float(self.pixel_fraction) == 1.0:
            return K.global_peak_index(waveforms, broken)
        n_keep = int(float(self.pixel_fraction) * waveforms.shape[1])
        maxima = np.where(broken, -np.inf, waveforms.max(axis=-1))
        brightest = np.argsort(maxima, axis=1)[:, ::-1][:, :n_keep]
        keep = np.ones_like(broken)
        np.put_along_axis(keep, brightest, False, axis=1)
        return K.global_peak_index(waveforms, keep)


class LocalPeakWindowSum(_PeakWindow):
    """Window around each pixel's own maximum sample."""

    def _peaks(self, waveforms, broken):
        return K.local_peak_index(waveforms)


class NeighborPeakWindowSum(_PeakWindow):
    """Window around the maximum of the sum of the neighbours' waveforms.

    The pixel's own waveform enters with weight ``local_weight`` (0: neighbours only);
    broken neighbours are left out.
    """

    defaults = {**_PeakWindow.defaults, "local_weight": 0}

    def _peaks(self, waveforms, broken):
        indptr, indices = self._neighbors()
        return K.neighbor_peak_index(waveforms, indptr, indices, int(self.local_weight), broken)

    def neighbor_table(self):
        """The padded neighbour table of the kernels (`_extractor_kernels.neighbor_table`), built once."""
        if getattr(self, "_table", None) is None:
            self._table = K.neighbor_table(*self._neighbors())
        return self._table

    def _extract(self, waveforms, gain, broken, charge, peak_time, is_valid):
        # peak search and integration fused per event (`neighbor_peak_window_sum`)
        K.neighbor_peak_window_sum(waveforms, self.neighbor_table(), int(self.local_weight), broken,
                                   int(self.window_width), int(self.window_shift), self.sampling_rate_ghz, charge,
                                   peak_time)
        self._finish(charge, gain)

    def from_r0(self, waveforms, pedestal, dc_to_pe, gain_threshold_adc, broken):
        """R0 -> R1 (as `iactpipe.calib.r1.r0_to_r1` with gain selection) and extraction in one pass.

        Gives the charges and times of ``r0_to_r1`` followed by this extractor with
        ``broken | non-finite`` as broken pixels (non-finite R1 pixels zeroed, as
        `iactpipe.dl1.processor.process_batch` does with separate steps), without a
        batch-sized R1 array.

        Parameters
        ----------
        waveforms : ndarray (n_events, n_channels, n_pixels, n_samples)
            R0 samples (ADC, integer or float). The batch may be a strided view whose
            events are contiguous blocks (a field of a structured array, as read from
            an HDF5 table): it is then processed event by event, not copied.
        pedestal, dc_to_pe : ndarray float32 (n_events, n_channels, n_pixels)
            Pedestal per sample (ADC) and conversion factor (p.e. / ADC).
        gain_threshold_adc : float
            High-gain sample (ADC) above which a pixel uses the low gain.
        broken : ndarray bool (n_events, n_pixels)

        Returns
        -------
        charge, peak_time : ndarray float32 (n_events, n_pixels)
            p.e. and ns.
        is_valid : ndarray bool (n_events,)
        selected_gain_channel : ndarray int8 (n_events, n_pixels)
        invalid : ndarray bool (n_events, n_pixels)
            Broken or with non-finite R1 samples.
        """
        waveforms = np.asarray(waveforms)
        if waveforms.dtype.kind not in "uif":
            waveforms = waveforms.astype(np.float32)
        n_events, _, n_pixels, _ = waveforms.shape
        pedestal = np.asarray(pedestal, np.float32)
        dc_to_pe = np.asarray(dc_to_pe, np.float32)
        broken = np.ascontiguousarray(broken, dtype=np.bool_)
        if not (waveforms.flags.c_contiguous or len(waveforms) == 0 or waveforms[0].flags.c_contiguous):
            waveforms = np.ascontiguousarray(waveforms)
        charge = np.empty((n_events, n_pixels), np.float32)
        peak_time = np.empty((n_events, n_pixels), np.float32)
        selected = np.empty((n_events, n_pixels), np.int8)
        invalid = np.empty((n_events, n_pixels), bool)
        # integer input bounds |r0|, so finiteness follows from the coefficients
        magnitude = (float(max(abs(np.iinfo(waveforms.dtype).min), np.iinfo(waveforms.dtype).max))
                     if waveforms.dtype.kind in "ui" else np.inf)
        args = (self.neighbor_table(), int(self.local_weight))
        window = (int(self.window_width), int(self.window_shift), self.sampling_rate_ghz)
        for block in _contiguous_blocks(waveforms):
            K.r0_neighbor_peak_window_sum(waveforms[block], pedestal[block], dc_to_pe[block],
                                          float(gain_threshold_adc), magnitude, *args, broken[block], *window,
                                          charge[block], peak_time[block], selected[block], invalid[block])
        self._finish(charge, selected)
        return charge, peak_time, np.ones(n_events, bool), selected, invalid


def _contiguous_blocks(waveforms):
    """Event slices of ``waveforms`` that are C-contiguous arrays (the kernels vectorise on those).

    The whole batch if it is contiguous, otherwise one event per slice (each event's block
    is, e.g. in a field of a structured array as read from an HDF5 table: copying the
    batch would cost more time and memory than the extra kernel calls).
    """
    n_events = len(waveforms)
    if waveforms.flags.c_contiguous or n_events == 0:
        return [slice(0, n_events)]
    return [slice(event, event + 1) for event in range(n_events)]


class SlidingWindowMaxSum(ImageExtractor):
    """The ``window_width`` consecutive samples with the largest sum."""

    defaults = {"window_width": 7, "apply_integration_correction": True}

    def _correction(self):
        return sliding_window_correction(self.readout.reference_pulse_shape,
                                         self.readout.reference_pulse_sample_width_ns,
                                         self.sampling_rate_ghz, self.window_width)

    def _extract(self, waveforms, gain, broken, charge, peak_time, is_valid):
        K.sliding_window_sum(waveforms, int(self.window_width), self.sampling_rate_ghz, charge, peak_time)
        self._finish(charge, gain)


class TwoPassWindowSum(ImageExtractor):
    """Two-pass extraction (after the CTA-MARS pipeline, as ctapipe's TwoPassWindowSum).

    1. Every pixel: the brightest 3-sample window (centre kept >= 2 samples from the
       edges) widened to 1+3+1 samples.
    2. Tail-cut cleaning of the first-pass image (picture ``core_threshold``, boundary
       half of it, at least one picture neighbour, no isolated pixels; broken pixels are
       first replaced by their neighbours' mean), brightest island kept.
    3. Fewer than 3 pixels, or no time gradient: the first pass is returned and the
       event flagged invalid.
    4. Otherwise peak time vs. longitude along the image axis is fitted by a line (least
       trimmed squares, deterministic start from the ordinary fit) and all pixels except
       the island's core pixels are integrated again in a 5-sample window (first/last 5
       samples near the edges) around the predicted time.

    ``core_threshold`` is per telescope type in ctapipe (6 LST / 8 MST / 4 SST / 6 other
    p.e.); here it is a plain value set by the configuration, None meaning "by the
    telescope-type name" (see `default_core_threshold`).
    """

    defaults = {"core_threshold": None, "disable_second_pass": False, "apply_integration_correction": True,
                "invalid_pixel_handler": True}

    def __init__(self, readout, geometry=None, telescope_type="", **params):
        self.telescope_type = telescope_type
        super().__init__(readout, geometry, **params)
        if self.core_threshold is None:
            self.core_threshold = default_core_threshold(telescope_type)

    def _corr(self, width, shift):
        if not self.apply_integration_correction:
            return np.ones(np.atleast_2d(self.readout.reference_pulse_shape).shape[0])
        return self._window_correction(width, shift)

    def _extract(self, waveforms, gain, broken, charge, peak_time, is_valid):
        peaks = K.two_pass_first_peak_index(waveforms)
        K.window_sum(waveforms, peaks, 5, 2, self.sampling_rate_ghz, charge, peak_time)
        first_charge = charge.astype(np.float64) * self._corr(5, 2)[gain]
        if self.disable_second_pass:
            charge[:] = first_charge
            return
        indptr, indices = self._neighbors()
        first_time = peak_time.copy()
        if self.invalid_pixel_handler and broken.any():
            image32 = first_charge.astype(np.float32)
            K.interpolate_invalid(image32, first_time, broken, indptr, indices)
            first_charge = np.where(broken, image32, first_charge)
        corrections = [self._corr(5, 2), self._corr(5, 0), self._corr(6, 4)]
        for event in range(waveforms.shape[0]):
            result = self._second_pass(waveforms[event], gain[event], first_charge[event], first_time[event],
                                       corrections, indptr, indices)
            if result is None:
                charge[event] = first_charge[event]
                peak_time[event] = first_time[event]
                is_valid[event] = False
            else:
                charge[event], peak_time[event] = result

    def _second_pass(self, waveform, gain, charge1, time1, corrections, indptr, indices):
        threshold = float(self.core_threshold)
        mask = _tailcuts(charge1, indptr, indices, threshold, threshold / 2.0, 1)
        island = _brightest_island(mask, charge1, indptr, indices)
        if np.count_nonzero(island) < 3:
            return None
        repass = ~island | (island & (charge1 < threshold))
        x = self.geometry.pix_x[island]
        y = self.geometry.pix_y[island]
        weights = charge1[island]
        total = weights.sum()
        cx, cy = np.sum(weights * x) / total, np.sum(weights * y) / total
        cxx = np.sum(weights * (x - cx) ** 2) / total
        cyy = np.sum(weights * (y - cy) ** 2) / total
        cxy = np.sum(weights * (x - cx) * (y - cy)) / total
        values, vectors = np.linalg.eigh(np.array([[cxx, cxy], [cxy, cyy]]))
        axis = vectors[:, np.argmax(values)]
        psi = np.arctan2(axis[1], axis[0]) if axis[0] != 0 else np.pi / 2
        cos_psi, sin_psi = np.cos(psi), np.sin(psi)
        slope, intercept = _lts_line((x - cx) * cos_psi + (y - cy) * sin_psi, time1[island].astype(np.float64))
        if not np.isfinite(slope):
            return None
        longitude = (self.geometry.pix_x - cx) * cos_psi + (self.geometry.pix_y - cy) * sin_psi
        predicted = np.rint((slope * longitude[repass] + intercept) * self.sampling_rate_ghz).astype(np.int64)
        n_samples = waveform.shape[1]
        start = predicted - 2
        before = start < 0
        after = (start + 5) > (n_samples - 1)
        widths = np.full(predicted.shape, 5, np.int64)
        shifts = np.full(predicted.shape, 2, np.int64)
        widths[before], shifts[before] = 5, 0
        widths[after], shifts[after] = 6, 4
        predicted[predicted < 2] = 0
        predicted[predicted > n_samples - 3] = n_samples - 1
        sub = np.ascontiguousarray(waveform[repass][np.newaxis])
        charge2 = np.empty((1, sub.shape[1]), np.float32)
        time2 = np.empty((1, sub.shape[1]), np.float32)
        K.window_sum_per_pixel(sub, predicted[np.newaxis], widths[np.newaxis], shifts[np.newaxis],
                               self.sampling_rate_ghz, charge2, time2)
        g = gain[repass]
        correction = corrections[0][g]
        correction[before] = corrections[1][g][before]
        correction[after] = corrections[2][g][after]
        out_charge = charge1.copy()
        out_charge[repass] = charge2[0] * correction
        out_time = time1.copy()
        out_time[repass] = time2[0]
        return out_charge, out_time


def default_core_threshold(telescope_type):
    """TwoPassWindowSum's default core threshold (p.e.) for a telescope type name."""
    name = str(telescope_type)
    for prefix, value in (("LST", 6.0), ("MST", 8.0), ("SST", 4.0)):
        if name.startswith(prefix):
            return value
    return 6.0


def _tailcuts(image, indptr, indices, picture, boundary, min_neighbors):
    counts = np.diff(indptr)
    rows = np.repeat(np.arange(len(image)), counts)
    above_picture = image >= picture
    n_picture = np.bincount(rows, weights=above_picture[indices], minlength=len(image))
    in_picture = above_picture & (n_picture >= min_neighbors) if min_neighbors > 0 else above_picture
    above_boundary = image >= boundary
    has_picture = np.bincount(rows, weights=in_picture[indices], minlength=len(image)) > 0
    has_boundary = np.bincount(rows, weights=above_boundary[indices], minlength=len(image)) > 0
    return (above_boundary & has_picture) | (in_picture & has_boundary)


def _brightest_island(mask, image, indptr, indices):
    labels = np.zeros(len(mask), np.int64)
    label = 0
    for seed in np.flatnonzero(mask):
        if labels[seed]:
            continue
        label += 1
        stack = [seed]
        labels[seed] = label
        while stack:
            pixel = stack.pop()
            for neighbor in indices[indptr[pixel]:indptr[pixel + 1]]:
                if mask[neighbor] and not labels[neighbor]:
                    labels[neighbor] = label
                    stack.append(neighbor)
    if label == 0:
        return mask.copy()
    brightness = np.zeros(label + 1)
    np.add.at(brightness, labels[mask], image[mask])
    return labels == np.argmax(brightness)


def _lts_line(x, y, fraction=0.85, max_iterations=20, eps=1e-12):
    """Least-trimmed-squares line fit (C-steps from the ordinary fit); (slope, intercept)."""
    good = np.isfinite(x) & np.isfinite(y)
    x, y = x[good], y[good]
    if x.size < 2:
        return np.nan, np.nan
    keep = max(2, int(fraction * x.size))
    subset = np.arange(x.size)
    error = np.inf
    beta = (np.nan, np.nan)
    for _ in range(max_iterations):
        xs, ys = x[subset], y[subset]
        if np.ptp(xs) == 0:
            return np.nan, np.nan
        design = np.vstack([xs, np.ones_like(xs)]).T
        beta = np.linalg.lstsq(design, ys, rcond=None)[0]
        new_error = np.sum((ys - design @ beta) ** 2)
        if abs(error - new_error) < eps:
            break
        error = new_error
        subset = np.argsort((y - (beta[0] * x + beta[1])) ** 2)[:keep]
    return float(beta[0]), float(beta[1])


#: extractor name -> class
EXTRACTORS = {cls.__name__: cls for cls in (FullWaveformSum, FixedWindowSum, GlobalPeakWindowSum,
                                             LocalPeakWindowSum, NeighborPeakWindowSum, SlidingWindowMaxSum,
                                             TwoPassWindowSum)}


def extractor_defaults(name):
    """Default parameters of the extractor called ``name``."""
    if name not in EXTRACTORS:
        raise ConfigurationError(f"unknown extractor {name!r} (choose from {', '.join(EXTRACTORS)})")
    return dict(EXTRACTORS[name].defaults)


def make_extractor(name, telescope, **params):
    """Build extractor ``name`` for a `TelescopeDescription` (readout + geometry) with ``params``."""
    if name not in EXTRACTORS:
        raise ConfigurationError(f"unknown extractor {name!r} (choose from {', '.join(EXTRACTORS)})")
    cls = EXTRACTORS[name]
    if cls is TwoPassWindowSum:
        return cls(telescope.readout, telescope.camera, telescope_type=telescope.name, **params)
    return cls(telescope.readout, telescope.camera, **params)
