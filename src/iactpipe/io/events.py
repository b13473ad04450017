"""The in-memory event model shared by every event source.

Plain dataclasses of numpy arrays, no astropy quantities, so that creating them costs
next to nothing. Units follow the HDF5 data model (`iactpipe.io.datamodel`): m, deg, TeV,
ADC counts, photo-electrons; times are CTAO high-resolution pairs (uint32 seconds,
quarter nanoseconds since 1970-01-01 TAI).

* `ArrayEvent`: one array (subarray) event with its `TelescopeEvent`s;
* `CameraCalibration`: per-telescope calibration coefficients (one set per run, or the
  latest monitoring values for sim_telarray);
* `TelescopeBatch`: many telescope events of one telescope *type* stacked into arrays,
  the unit of work of the array kernels (DL1).
"""
from dataclasses import dataclass, field

import numpy as np

__all__ = ["EventType", "ArrayEvent", "TelescopeEvent", "CameraCalibration", "TelescopeBatch",
           "PIXEL_HIGH_GAIN", "PIXEL_LOW_GAIN", "PIXEL_BROKEN", "is_calibration_type"]


class EventType:
    """CTAO event type codes (the same numbers as ctapipe's ``EventType``)."""

    FLATFIELD = 0
    SINGLE_PE = 1
    PEDESTAL = 2
    DARK_PEDESTAL = 3
    ELECTRONIC_PEDESTAL = 4
    SKY_PEDESTAL = 5
    OTHER_CALIBRATION = 15
    MUON = 16
    HARDWARE_STEREO = 17
    RANDOM_MONO = 18
    DAQ = 24
    SUBARRAY = 32
    LONG_EVENT = 33
    UNKNOWN = 255


_CALIBRATION_TYPES = frozenset({0, 1, 2, 3, 4, 5, 15})


def is_calibration_type(event_type):
    """True for calibration event types (flat field, single pe, pedestals, other calibration)."""
    return int(event_type) in _CALIBRATION_TYPES


#: pixel_status bits (CAMERA_CALIBRATION.pixel_status)
PIXEL_HIGH_GAIN = np.uint8(1)
PIXEL_LOW_GAIN = np.uint8(2)
PIXEL_BROKEN = np.uint8(4)


@dataclass
class CameraCalibration:
    """Calibration coefficients of one telescope.

    Attributes
    ----------
    tel_id : int
    pedestal_per_sample : ndarray, float32 (n_channels, n_pixels)
        Pedestal per sample, ADC counts.
    dc_to_pe : ndarray, float32 (n_channels, n_pixels)
        p.e. per ADC count of the pedestal-subtracted sum of a pulse (applied per sample
        this gives R1 samples whose sum is in p.e.).
    noise : ndarray, float32 (n_channels, n_pixels)
        Pedestal rms per sample, ADC counts (NaN if unknown).
    pixel_status : ndarray, uint8 (n_pixels,)
        Bits: 1 high gain available, 2 low gain available, 4 broken (HV off / disabled).
    time_shift : ndarray or None
        Per-pixel time correction, ns (sim_telarray ``tm_calib``), if known.
    """

    tel_id: int
    pedestal_per_sample: np.ndarray
    dc_to_pe: np.ndarray
    noise: np.ndarray
    pixel_status: np.ndarray
    time_shift: np.ndarray = None

    @property
    def broken(self):
        """Boolean mask of broken pixels, (n_pixels,)."""
        return (self.pixel_status & PIXEL_BROKEN) != 0


@dataclass
class TelescopeEvent:
    """Data of one telescope in one array event.

    Attributes
    ----------
    tel_id : int
    waveform : ndarray, uint16 (n_channels, n_pixels, n_samples)
        R0 samples, ADC counts, as stored (for sim_telarray files without samples the
        sums are stored as one sample).
    true_image : ndarray of int32 (n_pixels,) or None
        True photo-electrons per pixel (simulations that stored them).
    true_image_sum : float
        Total true photo-electrons (NaN if unknown).
    calibration : CameraCalibration or None
        Coefficients valid for this event.
    trigger_time : ndarray uint32 (2,) or None
        Telescope trigger time (CTAO high-resolution pair).
    trigger_type : int
        Telescope trigger event type (SUBARRAY, MUON, RANDOM_MONO, ...).
    n_trigger_pixels : int
        Pixels in the trigger (-1 if unknown).
    pointing_alt_deg, pointing_az_deg : float
        Telescope pointing (NaN if unknown).
    """

    tel_id: int
    waveform: np.ndarray
    true_image: np.ndarray = None
    true_image_sum: float = float("nan")
    calibration: CameraCalibration = None
    trigger_time: np.ndarray = None
    trigger_type: int = EventType.SUBARRAY
    n_trigger_pixels: int = -1
    pointing_alt_deg: float = float("nan")
    pointing_az_deg: float = float("nan")


@dataclass
class ArrayEvent:
    """One array event.

    Attributes
    ----------
    obs_id, event_id : int
    event_type : int
        `EventType` code (32 for showers; calibration types for calibration events).
    shower : dict or None
        True shower with the SHOWER table's column names (``true_energy`` TeV,
        ``true_alt``/``true_az`` deg, ``true_core_x``/``true_core_y`` m,
        ``true_h_first_int`` m, ``true_x_max`` and ``true_starting_grammage`` g/cm2,
        ``true_shower_primary_id``); None for calibration events and real data.
    tels_with_trigger : ndarray of int16
        Ids of the triggered telescopes.
    time : ndarray uint32 (2,) or None
        Array trigger time (CTAO high-resolution pair).
    tel : dict
        ``{tel_id: TelescopeEvent}`` of the telescopes with data.
    count : int
        Position of the event in the source (0-based).
    """

    obs_id: int
    event_id: int
    event_type: int
    shower: dict = None
    tels_with_trigger: np.ndarray = None
    time: np.ndarray = None
    tel: dict = field(default_factory=dict)
    count: int = 0

    @property
    def is_calibration(self):
        """True for calibration (pedestal, flat-field, ...) events."""
        return is_calibration_type(self.event_type)


@dataclass
class TelescopeBatch:
    """Telescope events of one telescope type, stacked (the DL1 kernels' input).

    Attributes
    ----------
    telescope_type : str
        Name of the telescope description (e.g. ``"LST_LST_LSTCam"``).
    description : TelescopeDescription
        The shared description of all telescopes in the batch.
    obs_id, event_id, tel_id, event_type : ndarray (n,)
    waveforms : ndarray uint16 (n, n_channels, n_pixels, n_samples)
    true_images : ndarray int32 (n, n_pixels) or None
        None if no event of the batch has a true image; rows without one are -1.
    """

    telescope_type: str
    description: object
    obs_id: np.ndarray
    event_id: np.ndarray
    tel_id: np.ndarray
    event_type: np.ndarray
    waveforms: np.ndarray
    true_images: np.ndarray = None

    def __len__(self):
        return len(self.event_id)
