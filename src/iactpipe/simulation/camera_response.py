"""Camera response of the fast simulator: photoelectrons -> trigger decision + R0 waveforms.

Input per telescope and event: the arrival directions (telescope frame, deg) and times
(ns, any origin) of the Cherenkov photoelectrons, i.e. after the photon-detection
efficiency, which is applied upstream. `simulate_camera_event` then

1. smears the directions with the optical PSF (2-d Gaussian, ``optics.psf_sigma_deg`` per
   axis) and maps them to the camera (`iactpipe.coordinates.telescope_to_camera`, focal
   length ``optics.focal_length_m``) and to pixels (`lookup_pixels`; gaps -> lost);
2. applies the per-pixel relative efficiency of the run (`CameraCalibration`), the
   transit-time jitter and a random single-pe amplitude to each photoelectron;
3. adds night-sky-background photoelectrons (Poisson per pixel, uniform in time) and
   shapes everything with the trigger pulse to decide the trigger
   (`iactpipe.simulation.trigger`);
4. places the readout window ``trigger_offset_ns`` before the trigger time and synthesises
   the waveforms of every gain channel: pulses x single-pe amplitude x relative gain +
   pedestal + Gaussian electronic noise, rounded and clipped to the ADC range (uint16).

Conventions (see also ``docs/simulation.md``, "Camera, electronics and trigger"):

* Pulses are *peak-aligned*: a photoelectron arriving at time ``t`` has its pulse maximum
  at ``t``. Sample ``k`` of a waveform is the signal at ``window_start_ns + k * dt``.
* ``dc_to_pe``: ``charge_pe = (sum_k adc[k] - n_k * pedestal_per_sample) * dc_to_pe`` when
  the sum covers the whole pulse; a mean photoelectron gives on average
  ``relative_gain * pulse_integral_adc`` counts above pedestal in such a sum. For the
  single-sample (peak-sensing) ASTRICam readout the sum is the one sample and
  ``pulse_integral_adc`` the pulse height of a photoelectron arriving at the sampling time.
* ``pixel_status`` bits: 1 = high gain read out, 2 = low gain read out, 4 = broken
  (high voltage off: pedestal and noise only, no Cherenkov or NSB signal).

Everything heavy runs in numba kernels (`iactpipe.simulation._camera_kernels`); steps 1-4
run in one call of the fused kernel `camera_event` per telescope event (the projection to
the camera is the linear one of `iactpipe.coordinates.telescope_to_camera`).
"""
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigurationError
from ..instrument.camera import PixelShape
from ..instrument.readout import reference_pulse
from . import _camera_kernels as kernels
from .electronics import ElectronicsParameters, default_electronics
from .trigger import (
    COMPACT_NEIGHBOR_RADIUS,
    compact_neighbors,
    trigger_bin_width_ns,
    trigger_groups,
)

__all__ = [
    "PIXEL_STATUS_HG",
    "PIXEL_STATUS_LG",
    "PIXEL_STATUS_BROKEN",
    "PULSE_PHASES",
    "PULSE_CUT",
    "TAP_MULTIPLE",
    "CameraModel",
    "CameraCalibration",
    "CameraEvent",
    "tabulate_pulse",
    "build_camera_model",
    "lookup_pixels",
    "draw_calibration",
    "simulate_camera_event",
]

#: `CameraCalibration.pixel_status` bit: high-gain channel read out.
PIXEL_STATUS_HG = np.uint8(1)
#: `CameraCalibration.pixel_status` bit: low-gain channel read out.
PIXEL_STATUS_LG = np.uint8(2)
#: `CameraCalibration.pixel_status` bit: pixel broken (HV off, no photo signal).
PIXEL_STATUS_BROKEN = np.uint8(4)

#: Sub-bin phases at which pulses are pre-tabulated (time quantisation <= bin / 64).
PULSE_PHASES = 32
#: Pulse values below this fraction of the peak are dropped from the tables (< 0.05 % of
#: the integral); the tabulated integral is the one the calibration uses, so this is exact.
PULSE_CUT = 1e-3

#: The pulse tables are zero-padded to a multiple of this many taps: `deposit_pulses` then
#: runs whole 8-wide float32 vector operations instead of a scalar remainder loop
#: (measured 1.3-1.5x faster deposition of LSTCam's 14-tap readout and 10-tap trigger pulses).
TAP_MULTIPLE = 8

# trigger_type -> code of the fused event kernel
_TRIGGER_CODES = {"analog_sum": kernels.TRIGGER_ANALOG_SUM, "majority": kernels.TRIGGER_MAJORITY}

# grid cell of the pixel lookup table, in pixel pitches; with the neighbour refinement the
# lookup is exact for any cell well below half a pitch, a quarter keeps SCTCam's table small
_LOOKUP_CELL_PITCH = 0.25


@dataclass(frozen=True, eq=False)
class CameraModel:
    """Everything precomputed once per telescope type for the camera simulation.

    Pure data (numpy arrays and numbers); build with `build_camera_model`.

    Attributes
    ----------
    telescope_name, camera_name : str
    electronics : ElectronicsParameters
    n_pixels, n_channels, n_samples : int
        ``n_samples == 1`` means a peak-sensing readout (`peak_sensing`).
    sample_width_ns : float
        Readout sample width, ns.
    focal_length_m : float
        Focal length used to map directions to the camera, m.
    psf_sigma_deg : float
        Optical PSF, Gaussian sigma per axis, deg (0 if the optics give none).
    pix_x, pix_y : ndarray of float64, shape (n_pixels,)
        Pixel centres, m.
    pix_half_width : ndarray of float64, shape (n_pixels,)
        Inscribed radius of each pixel (half flat-to-flat, half side or radius), m.
    pix_normals : ndarray of float64, shape (n_normals, 2)
        Unit normals of the pixel polygon's side pairs (3 hexagon, 2 square, 0 circle).
    grid_origin_m : tuple of float
        Lower-left corner of the lookup grid, m.
    grid_cell_m : float
        Cell size of the lookup grid, m.
    grid_table : ndarray of int32, shape (ny, nx)
        Pixel whose centre is nearest to each cell centre, -1 far from every pixel.
    grid_inside : ndarray of uint8, shape (ny, nx)
        1 where the whole cell lies inside its ``grid_table`` pixel
        (`iactpipe.simulation._camera_kernels.cell_inside_table`).
    neighbor_indptr, neighbor_indices : ndarray of int32
        Compact neighbours (CSR; `iactpipe.simulation.trigger.compact_neighbors`).
    group_indptr, group_indices : ndarray of int32
        Trigger groups (CSR; `iactpipe.simulation.trigger.trigger_groups`).
    readout_tables : ndarray of float32, shape (n_tables, PULSE_PHASES, n_taps)
        Readout pulse per distinct channel shape, peak 1, in sample bins, all starting at
        ``readout_first_offset`` (`tabulate_pulse`), zero-padded to a multiple of
        `TAP_MULTIPLE` taps.
    readout_first_offset : float
        Start of the tabulated readout pulses relative to their peak, samples (<= 0).
    readout_pulse_sum : ndarray of float64, shape (n_tables,)
        Mean (over phases) sum of each tabulated pulse over the samples.
    channel_table : ndarray of int64, shape (n_channels,)
        Table used by each gain channel.
    trigger_table : ndarray of float32, shape (1, PULSE_PHASES, n_taps)
        Trigger pulse tabulated on the trigger grid, zero-padded to a multiple of
        `TAP_MULTIPLE` taps.
    trigger_first_offset : float
        Start of the trigger pulse relative to its peak, trigger bins.
    trigger_pulse_sum : float
        Mean sum of the tabulated trigger pulse over its bins.
    trigger_bin_ns : float
        Trigger grid step, ns (`iactpipe.simulation.trigger.trigger_bin_width_ns`).
    readout_support_taps, trigger_support_taps : int
        Taps of the tables before the zero padding (the pulse support): photoelectrons are
        only drawn where these can reach the readout window or trigger grid.
    """

    telescope_name: str
    camera_name: str
    electronics: ElectronicsParameters
    n_pixels: int
    n_channels: int
    n_samples: int
    sample_width_ns: float
    focal_length_m: float
    psf_sigma_deg: float
    pix_x: np.ndarray
    pix_y: np.ndarray
    pix_half_width: np.ndarray
    pix_normals: np.ndarray
    grid_origin_m: tuple
    grid_cell_m: float
    grid_table: np.ndarray
    grid_inside: np.ndarray
    neighbor_indptr: np.ndarray
    neighbor_indices: np.ndarray
    group_indptr: np.ndarray
    group_indices: np.ndarray
    readout_tables: np.ndarray
    readout_first_offset: float
    readout_pulse_sum: np.ndarray
    channel_table: np.ndarray
    trigger_table: np.ndarray
    trigger_first_offset: float
    trigger_pulse_sum: float
    trigger_bin_ns: float
    readout_support_taps: int
    trigger_support_taps: int

    @property
    def peak_sensing(self):
        """True for a single-sample readout (ASTRICam): the sample holds the pulse height."""
        return self.n_samples == 1

    @property
    def pulse_integral_adc(self):
        """Mean summed samples of one mean photoelectron at unit gain, per channel, ADC counts.

        ``amplitude_adc_per_pe[c] * readout_pulse_sum[channel_table[c]]``; for a
        `peak_sensing` readout the single sample of a photoelectron arriving at the sampling
        time is the pulse maximum, so the "integral" is ``amplitude_adc_per_pe[c]``.
        """
        amplitude = np.asarray(self.electronics.channel_amplitude_adc_per_pe, np.float64)
        if self.peak_sensing:
            return amplitude
        return amplitude * self.readout_pulse_sum[self.channel_table]

    @property
    def window_length_ns(self):
        """Duration covered by the readout window, ``n_samples * sample_width_ns``, ns."""
        return self.n_samples * self.sample_width_ns

    def __repr__(self):
        return (f"CameraModel({self.telescope_name!r}, n_pixels={self.n_pixels}, n_channels={self.n_channels}, "
                f"n_samples={self.n_samples}, trigger={self.electronics.trigger_type!r})")


@dataclass(frozen=True, eq=False)
class CameraCalibration:
    """Per-run camera calibration: the true per-pixel values and the "measured" coefficients.

    Attributes
    ----------
    pedestal_per_sample : ndarray of float64, shape (n_channels, n_pixels)
        Pedestal per sample, ADC counts (what pedestal runs measure).
    dc_to_pe : ndarray of float64, shape (n_channels, n_pixels)
        Photoelectrons per ADC count of the pedestal-subtracted sum of all samples of a
        pulse: ``charge_pe = (sum_k adc[k] - n_k * pedestal_per_sample) * dc_to_pe``; equal
        to ``1 / (relative_gain * pulse_integral_adc)`` times ``1 + dc_to_pe_error * N(0,1)``.
    pixel_status : ndarray of uint8, shape (n_pixels,)
        Bit flags: `PIXEL_STATUS_HG` (1), `PIXEL_STATUS_LG` (2), `PIXEL_STATUS_BROKEN` (4).
    relative_gain : ndarray of float64, shape (n_pixels,)
        True gain of each pixel relative to nominal (applies to all gain channels).
    relative_efficiency : ndarray of float64, shape (n_pixels,)
        True photon-detection efficiency of each pixel relative to the nominal one used
        upstream (scales Cherenkov and NSB photoelectrons; not corrected by ``dc_to_pe``).
    pulse_integral_adc : ndarray of float64, shape (n_channels,)
        Sum over samples of the mean single-pe pulse at unit gain, ADC counts.
    noise_adc : ndarray of float64, shape (n_channels, n_pixels)
        Electronic noise rms per sample, ADC counts.
    """

    pedestal_per_sample: np.ndarray
    dc_to_pe: np.ndarray
    pixel_status: np.ndarray
    relative_gain: np.ndarray
    relative_efficiency: np.ndarray
    pulse_integral_adc: np.ndarray
    noise_adc: np.ndarray

    def __post_init__(self):
        status = np.asarray(self.pixel_status, np.uint8)
        pedestal = np.asarray(self.pedestal_per_sample, np.float64)
        n_pixels = len(status)
        if pedestal.ndim != 2 or pedestal.shape[1] != n_pixels:
            raise ConfigurationError(f"calibration pedestal_per_sample has shape {pedestal.shape}, "
                                     f"expected (n_channels, {n_pixels})")
        n_channels = pedestal.shape[0]
        expected = {"pedestal_per_sample": (n_channels, n_pixels), "dc_to_pe": (n_channels, n_pixels),
                    "noise_adc": (n_channels, n_pixels), "relative_gain": (n_pixels,),
                    "relative_efficiency": (n_pixels,), "pulse_integral_adc": (n_channels,)}
        for name, shape in expected.items():
            value = np.asarray(getattr(self, name), np.float64)
            if value.shape != shape:
                raise ConfigurationError(f"calibration {name} has shape {value.shape}, expected {shape}")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "pixel_status", status)

    @property
    def n_pixels(self):
        """Number of pixels."""
        return len(self.pixel_status)

    @property
    def n_channels(self):
        """Number of gain channels."""
        return self.pedestal_per_sample.shape[0]

    @property
    def broken(self):
        """Boolean mask of broken pixels (status bit 4)."""
        return (self.pixel_status & PIXEL_STATUS_BROKEN) != 0


@dataclass(frozen=True, eq=False)
class CameraEvent:
    """Simulated camera data of one telescope event.

    Attributes
    ----------
    waveform : ndarray of uint16, shape (n_channels, n_pixels, n_samples), or None
        R0 samples, ADC counts; None if the telescope did not trigger and no readout was forced.
    true_image : ndarray of int32, shape (n_pixels,)
        Cherenkov photoelectrons per pixel (after the per-pixel efficiency; NSB excluded;
        broken pixels included).
    true_time_ns : ndarray of float64, shape (n_pixels,)
        Mean arrival time (before transit-time jitter) of those photoelectrons, input time
        frame, ns; NaN where ``true_image`` is 0.
    triggered : bool
        Telescope trigger decision.
    trigger_time_ns : float
        Trigger time, input time frame, ns; NaN if not triggered.
    window_start_ns : float
        Time of sample 0, input time frame, ns; NaN if not read out.
    trigger_statistic : float
        See `iactpipe.simulation.trigger.TriggerResult.statistic`.
    """

    waveform: np.ndarray
    true_image: np.ndarray
    true_time_ns: np.ndarray
    triggered: bool
    trigger_time_ns: float
    window_start_ns: float
    trigger_statistic: float


# -----------------------------------------------------------------------------------------
# model construction
# -----------------------------------------------------------------------------------------

def _pulse_support(pulse, pulse_step_ns, cut):
    """Peak-normalised pulse, its time axis relative to the peak and the kept support, ns."""
    pulse = np.asarray(pulse, np.float64)
    peak = int(np.argmax(pulse))
    if not pulse[peak] > 0:
        raise ConfigurationError("reference pulse has no positive maximum")
    shape = pulse / pulse[peak]
    t = (np.arange(len(shape)) - peak) * pulse_step_ns
    kept = np.nonzero(shape >= cut)[0]
    return shape, t, t[kept[0]], t[kept[-1]]


def tabulate_pulse(pulse, pulse_step_ns, bin_ns, n_phases=PULSE_PHASES, cut=PULSE_CUT,
                   first_offset=None, n_taps=None):
    """Tabulate a pulse shape at sub-bin phases for fast deposition.

    The pulse is normalised to a maximum of 1 and aligned on its maximum (offset 0).
    Values below ``cut`` at both ends are dropped. Row ``p`` holds the pulse at offsets
    ``first_offset + (p + 0.5) / n_phases + m`` bins, ``m = 0 .. n_taps - 1`` (linear
    interpolation of the stored shape), as used by
    `iactpipe.simulation._camera_kernels.deposit_pulses`.

    Parameters
    ----------
    pulse : ndarray of shape (n_points,)
        Pulse shape (arbitrary units), one value every ``pulse_step_ns``.
    pulse_step_ns : float
        Step of ``pulse``, ns.
    bin_ns : float
        Target bin width (sample width or trigger step), ns.
    n_phases : int
        Number of sub-bin phases.
    cut : float
        Relative level below which the tails are dropped.
    first_offset : float or None
        Start of the table relative to the peak, bins; None = start of the kept support
        (an earlier start pads with zeros, so that several pulses can share one start).
    n_taps : int or None
        Table length; None = just enough for the kept support.

    Returns
    -------
    table : ndarray of float64, shape (n_phases, n_taps)
    first_offset : float
        Offset of the first table point from the maximum, bins (<= 0).
    pulse_sum : float
        Mean over phases of the row sums: the expected sum over bins of one pulse of
        peak 1, i.e. its integral divided by ``bin_ns``.
    """
    shape, t, t_first, t_last = _pulse_support(pulse, pulse_step_ns, cut)
    if first_offset is None:
        first_offset = t_first / bin_ns
    if first_offset * bin_ns > t_first + 1e-12:
        raise ConfigurationError("tabulate_pulse: first_offset starts after the pulse")
    needed = int(np.floor((t_last / bin_ns - first_offset))) + 2
    n_taps = needed if n_taps is None else int(n_taps)
    if n_taps < needed:
        raise ConfigurationError(f"tabulate_pulse: n_taps={n_taps} too short, the pulse needs {needed}")
    offsets = first_offset + (np.arange(n_phases)[:, None] + 0.5) / n_phases + np.arange(n_taps)[None, :]
    times = offsets * bin_ns
    table = np.interp(times, t, shape, left=0.0, right=0.0)
    table[(times < t_first) | (times > t_last)] = 0.0
    return table, float(first_offset), float(table.sum(axis=1).mean())


def _pixel_polygon(geometry):
    """Inscribed radius per pixel and side normals of the pixel polygons."""
    area = np.asarray(geometry.pix_area, np.float64)
    rotation = np.deg2rad(geometry.pix_rotation_deg)
    if geometry.pix_type is PixelShape.HEXAGON:
        # rotation 0 = pointy-top: flat sides left and right, so the normals point along
        # +x, +60 deg and +120 deg, all turned by the pixel rotation
        half = 0.5 * np.sqrt(2.0 * area / np.sqrt(3.0))
        angles = rotation + np.deg2rad([0.0, 60.0, 120.0])
        circumradius = 2.0 / np.sqrt(3.0) * half
    elif geometry.pix_type is PixelShape.SQUARE:
        half = 0.5 * np.sqrt(area)
        angles = rotation + np.deg2rad([0.0, 90.0])
        circumradius = np.sqrt(2.0) * half
    else:
        half = np.sqrt(area / np.pi)
        angles = np.zeros(0)
        circumradius = half
    normals = np.column_stack([np.cos(angles), np.sin(angles)]) if len(angles) else np.zeros((0, 2))
    return half, np.ascontiguousarray(normals), float(np.max(circumradius))


def _lookup_grid(pix_x, pix_y, pitch, circumradius):
    """Nearest-centre candidate table on a regular grid (see `lookup_pixels`)."""
    from scipy.spatial import cKDTree

    cell = _LOOKUP_CELL_PITCH * pitch
    margin = circumradius + cell
    x0, y0 = pix_x.min() - margin, pix_y.min() - margin
    nx = int(np.ceil((pix_x.max() + margin - x0) / cell))
    ny = int(np.ceil((pix_y.max() + margin - y0) / cell))
    cx = x0 + (np.arange(nx) + 0.5) * cell
    cy = y0 + (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(cx, cy)
    distance, nearest = cKDTree(np.column_stack([pix_x, pix_y])).query(np.column_stack([gx.ravel(), gy.ravel()]))
    # a cell farther than the pixel circumradius + half a cell diagonal from every centre
    # cannot contain a point of any pixel
    nearest[distance > circumradius + 0.5 * np.sqrt(2.0) * cell] = -1
    return (float(x0), float(y0)), float(cell), nearest.reshape(ny, nx).astype(np.int32)


def build_camera_model(telescope, electronics=None):
    """Precompute the camera simulation data of one telescope type.

    Parameters
    ----------
    telescope : TelescopeDescription
        Optics, camera geometry and readout.
    electronics : ElectronicsParameters or None
        Electronics of the camera; None uses `default_electronics` of the camera name.

    Returns
    -------
    CameraModel

    Raises
    ------
    ConfigurationError
        If the electronics do not match the readout (number of gain channels).
    """
    geometry, readout, optics = telescope.camera, telescope.readout, telescope.optics
    if electronics is None:
        electronics = default_electronics(geometry.name)
    if not isinstance(electronics, ElectronicsParameters):
        raise ConfigurationError(f"electronics must be ElectronicsParameters, got {type(electronics).__name__}")
    if electronics.n_channels != readout.n_channels:
        raise ConfigurationError(f"electronics {electronics.camera_name!r} have {electronics.n_channels} gain "
                                 f"channels, readout {readout.name!r} has {readout.n_channels}")

    pix_x = np.ascontiguousarray(geometry.pix_x, np.float64)
    pix_y = np.ascontiguousarray(geometry.pix_y, np.float64)
    pitch = geometry.pixel_pitch
    half_width, normals, circumradius = _pixel_polygon(geometry)
    origin, cell, table = _lookup_grid(pix_x, pix_y, pitch, circumradius)
    neighbors = compact_neighbors(pix_x, pix_y, pitch, COMPACT_NEIGHBOR_RADIUS)
    groups = trigger_groups(neighbors)

    # readout pulses: one table per distinct channel shape (NectarCam's HG and LG share one),
    # all on a common start so that one pass deposits every gain channel
    dt = readout.sample_width_ns
    step = readout.reference_pulse_sample_width_ns
    shapes, channel_table = [], []
    for c in range(readout.n_channels):
        shape = readout.reference_pulse_shape[c]
        same = [i for i, known in enumerate(shapes) if known.shape == shape.shape and np.array_equal(known, shape)]
        if same:
            channel_table.append(same[0])
        else:
            shapes.append(shape)
            channel_table.append(len(shapes) - 1)
    supports = [_pulse_support(shape, step, PULSE_CUT)[2:] for shape in shapes]
    first = min(lo for lo, _ in supports) / dt
    n_taps = int(np.floor(max(hi for _, hi in supports) / dt - first)) + 2
    tabulated = [tabulate_pulse(shape, step, dt, first_offset=first, n_taps=n_taps) for shape in shapes]
    # float32 tables: the deposition runs in single precision (see `deposit_pulses`); the
    # pulse sums used by the calibration are taken from the float64 tables
    readout_tables = _pad_taps(np.stack([tab for tab, _, _ in tabulated]))

    # trigger pulse: a dedicated fast shaper if configured, else the high-gain readout pulse
    if electronics.trigger_pulse_fwhm_ns is not None:
        fwhm = electronics.trigger_pulse_fwhm_ns
        step = min(0.1, fwhm / 50.0)
        trig_pulse = reference_pulse(fwhm, 3.0 * fwhm, 8.0 * fwhm, step)
    else:
        step = readout.reference_pulse_sample_width_ns
        trig_pulse = readout.reference_pulse_shape[0]
    trigger_bin = trigger_bin_width_ns(dt, electronics.trigger_oversampling)
    trig_table, trig_first, trig_sum = tabulate_pulse(trig_pulse, step, trigger_bin)
    trig_support = trig_table.shape[1]
    trig_table = _pad_taps(trig_table[None])

    psf = optics.psf_sigma_deg
    return CameraModel(
        telescope_name=telescope.name,
        camera_name=geometry.name,
        electronics=electronics,
        n_pixels=geometry.n_pixels,
        n_channels=readout.n_channels,
        n_samples=readout.n_samples,
        sample_width_ns=float(dt),
        focal_length_m=float(optics.focal_length_m),
        psf_sigma_deg=float(psf) if np.isfinite(psf) and psf > 0 else 0.0,
        pix_x=pix_x,
        pix_y=pix_y,
        pix_half_width=np.ascontiguousarray(half_width),
        pix_normals=normals,
        grid_origin_m=origin,
        grid_cell_m=cell,
        grid_table=table,
        grid_inside=kernels.cell_inside_table(origin[0], origin[1], cell, table, pix_x, pix_y, neighbors.indptr,
                                              neighbors.indices, np.ascontiguousarray(half_width), normals),
        neighbor_indptr=neighbors.indptr,
        neighbor_indices=neighbors.indices,
        group_indptr=groups.indptr,
        group_indices=groups.indices,
        readout_tables=readout_tables,
        readout_first_offset=float(first),
        readout_pulse_sum=np.array([total for _, _, total in tabulated]),
        channel_table=np.array(channel_table, np.int64),
        trigger_table=trig_table,
        trigger_first_offset=trig_first,
        trigger_pulse_sum=trig_sum,
        trigger_bin_ns=float(trigger_bin),
        readout_support_taps=int(n_taps),
        trigger_support_taps=int(trig_support),
    )


def _pad_taps(tables):
    """float32 copy of ``tables`` (..., n_taps) zero-padded to a multiple of `TAP_MULTIPLE` taps.

    The zeros add nothing to the traces; they only give `deposit_pulses` a vector-friendly
    trip count.
    """
    n_taps = tables.shape[-1]
    padded = -(-n_taps // TAP_MULTIPLE) * TAP_MULTIPLE
    out = np.zeros(tables.shape[:-1] + (padded,), np.float32)
    out[..., :n_taps] = tables
    return out


def lookup_pixels(camera_model, x_m, y_m):
    """Pixel containing each camera-frame point, -1 for gaps and points outside the camera.

    Parameters
    ----------
    camera_model : CameraModel
    x_m, y_m : array_like
        Points in the camera frame, m (same shape).

    Returns
    -------
    ndarray of int32
        Same shape as the input.
    """
    x = np.asarray(x_m, np.float64)
    y = np.asarray(y_m, np.float64)
    shape = np.broadcast_shapes(x.shape, y.shape)
    x = np.ascontiguousarray(np.broadcast_to(x, shape)).ravel()
    y = np.ascontiguousarray(np.broadcast_to(y, shape)).ravel()
    m = camera_model
    out = kernels.lookup_pixels(x, y, m.grid_origin_m[0], m.grid_origin_m[1], m.grid_cell_m, m.grid_table,
                                m.grid_inside, m.pix_x, m.pix_y, m.neighbor_indptr, m.neighbor_indices,
                                m.pix_half_width, m.pix_normals)
    return out.reshape(shape)


# -----------------------------------------------------------------------------------------
# calibration
# -----------------------------------------------------------------------------------------

def draw_calibration(camera_model, electronics, rng):
    """Draw the per-run calibration of one telescope.

    Per pixel: relative gain ``1 + gain_spread * N(0,1)``, relative efficiency
    ``1 + qe_spread * N(0,1)``, pedestal ``pedestal_adc + pedestal_spread_adc * N(0,1)`` per
    channel, broken with probability ``broken_pixel_fraction``. The "measured"
    ``dc_to_pe = 1 / (relative_gain * pulse_integral_adc) * (1 + dc_to_pe_error * N(0,1))``.

    Parameters
    ----------
    camera_model : CameraModel
    electronics : ElectronicsParameters or None
        Must be the electronics the model was built with (None = those).
    rng : numpy.random.Generator

    Returns
    -------
    CameraCalibration
    """
    if electronics is None:
        electronics = camera_model.electronics
    elif electronics != camera_model.electronics:
        raise ConfigurationError("draw_calibration: electronics differ from the ones the camera model was built "
                                 "with; build the model with these electronics")
    el = electronics
    n_pix, n_ch = camera_model.n_pixels, camera_model.n_channels
    # the gain and efficiency spreads are a few per cent; the floors only guard against
    # absurd user-set spreads producing non-positive values
    relative_gain = np.maximum(1.0 + el.gain_spread * rng.standard_normal(n_pix), 0.05)
    relative_efficiency = np.clip(1.0 + el.qe_spread * rng.standard_normal(n_pix), 0.0, 2.0)
    pedestal = el.pedestal_adc + el.pedestal_spread_adc * rng.standard_normal((n_ch, n_pix))
    broken = rng.random(n_pix) < el.broken_pixel_fraction
    measurement = 1.0 + el.dc_to_pe_error * rng.standard_normal((n_ch, n_pix))

    pulse_integral = camera_model.pulse_integral_adc
    dc_to_pe = measurement / (relative_gain[None, :] * pulse_integral[:, None])
    status = np.full(n_pix, PIXEL_STATUS_HG | (PIXEL_STATUS_LG if n_ch > 1 else 0), np.uint8)
    status[broken] |= PIXEL_STATUS_BROKEN
    noise = np.repeat(np.asarray(el.noise_adc, np.float64)[:, None], n_pix, axis=1)
    return CameraCalibration(
        pedestal_per_sample=pedestal,
        dc_to_pe=dc_to_pe,
        pixel_status=status,
        relative_gain=relative_gain,
        relative_efficiency=relative_efficiency,
        pulse_integral_adc=pulse_integral,
        noise_adc=noise,
    )


# -----------------------------------------------------------------------------------------
# event simulation
# -----------------------------------------------------------------------------------------

def _spe_args(el):
    # floats throughout, so that the kernels keep one compiled signature
    return (float(el.spe_sigma_rel), float(el.spe_exp_fraction), float(el.spe_exp_scale), 1.0 / el.single_pe_mean)


def simulate_camera_event(camera_model, fov_lon_deg, fov_lat_deg, t_ns, calibration, rng,
                          force_readout=False, window_start_ns=None):
    """Simulate trigger and waveforms of one telescope for one event.

    Parameters
    ----------
    camera_model : CameraModel
    fov_lon_deg, fov_lat_deg : array_like, shape (n_pe,)
        Photoelectron arrival directions in the telescope frame, deg.
    t_ns : array_like, shape (n_pe,)
        Photoelectron arrival times, ns, any origin (the output times share it).
    calibration : CameraCalibration
        Per-run calibration of this telescope (`draw_calibration`).
    rng : numpy.random.Generator
        Source of all random numbers (the kernels seed their own generator from it).
    force_readout : bool
        Synthesise waveforms even without a trigger; the window is then placed around the
        maximum of the camera-summed trigger signal.
    window_start_ns : float or None
        Fix the time of sample 0 instead of deriving it from the trigger (implies a readout).

    Returns
    -------
    CameraEvent
    """
    m = camera_model
    el = m.electronics
    lon = np.asarray(fov_lon_deg, np.float64).ravel()
    lat = np.asarray(fov_lat_deg, np.float64).ravel()
    t = np.ascontiguousarray(np.asarray(t_ns, np.float64).ravel())
    if not (lon.shape == lat.shape == t.shape):
        raise ValueError(f"fov_lon_deg, fov_lat_deg and t_ns must have equal lengths, got "
                         f"{lon.shape[0]}, {lat.shape[0]}, {t.shape[0]}")
    if calibration.n_pixels != m.n_pixels or calibration.n_channels != m.n_channels:
        raise ConfigurationError(f"calibration is for {calibration.n_channels} x {calibration.n_pixels} "
                                 f"channels x pixels, camera {m.camera_name!r} has {m.n_channels} x {m.n_pixels}")
    if el.trigger_type not in _TRIGGER_CODES:  # ElectronicsParameters validates this; duck types may not
        raise ConfigurationError(f"unknown trigger_type {el.trigger_type!r}")
    fixed_window = window_start_ns is not None
    # one kernel call for the whole event: the Python glue between the steps (numpy
    # temporaries, five kernel dispatches) took ~10 % of an LSTCam event
    waveform, read_out, true_image, true_time, triggered, trigger_time, w0, statistic = kernels.camera_event(
        lon, lat, t, m.psf_sigma_deg, m.focal_length_m,
        m.grid_origin_m[0], m.grid_origin_m[1], m.grid_cell_m, m.grid_table, m.grid_inside, m.pix_x, m.pix_y,
        m.neighbor_indptr, m.neighbor_indices, m.pix_half_width, m.pix_normals,
        calibration.relative_efficiency, calibration.broken, calibration.relative_gain,
        float(el.transit_time_jitter_ns), float(el.nsb_rate_ghz), *_spe_args(el),
        m.trigger_table, m.trigger_first_offset, m.trigger_support_taps, m.trigger_pulse_sum, m.trigger_bin_ns,
        float(el.trigger_search_margin_ns), _TRIGGER_CODES[el.trigger_type], float(el.trigger_threshold_pe),
        float(el.trigger_clip_pe), int(el.trigger_multiplicity), int(round(el.trigger_window_ns / m.trigger_bin_ns)),
        m.group_indptr, m.group_indices, float(el.trigger_offset_ns), bool(force_readout), fixed_window,
        float(window_start_ns) if fixed_window else 0.0,
        m.readout_tables, m.readout_first_offset, m.readout_support_taps, m.sample_width_ns, m.n_samples,
        m.channel_table, np.asarray(el.channel_amplitude_adc_per_pe, np.float64),
        calibration.pedestal_per_sample, calibration.noise_adc, np.asarray(el.adc_max, np.float64),
        kernels.new_state(rng))
    return CameraEvent(waveform if read_out else None, true_image, true_time, bool(triggered), float(trigger_time),
                       float(w0), float(statistic))
