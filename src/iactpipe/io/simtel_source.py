"""Stream sim_telarray (EventIO) files into the common event model.

`SimtelEventSource` reads ``.simtel``, ``.simtel.gz`` and ``.simtel.zst`` files with
`eventio.SimTelFile` (the parsing of the format is eventio's; this module only turns the
parsed objects into `ArrayEvent`/`TelescopeEvent`/`CameraCalibration`). The instrument is
built by `iactpipe.io.simtel` from the same header objects.

What is read, per event: event id and type (shower events are ``EventType.SUBARRAY``;
sim_telarray calibration events map to the CTAO calibration types and carry no shower),
array/telescope trigger, shower truth, R0 waveforms as stored (both gains when present;
sums only -> one sample), true photo-electron images, telescope pointing, and the
calibration coefficients valid for the event (pedestal per sample and dc-to-pe from the
latest TelescopeMonitoring/LaserCalibration objects; pixel status with HV-disabled
pixels, from the file's disabled-pixel list or a zero ``hv_stat``, flagged broken).

Conventions taken over from ctapipe 0.28's ``SimTelEventSource`` so both agree:
event_id 0 (calibration events) becomes -1, -2, ...; telescope events of telescopes not in
the array trigger are skipped; in files that store true images, a missing image is all
-1 (or the telescope event is skipped when its true sum exceeds 1e6 p.e.).

Errors: non-EventIO content, a corrupt header -> `InputFileError`. A truncated or corrupt
event stream -> `InputFileError` naming the file and the last complete event, or with
``allow_truncated=True`` the iteration stops there and ``truncated`` /
``truncation_message`` are set (for provenance).
"""
import logging
import warnings

import numpy as np

from ..errors import InputFileError
from . import simtel as _simtel
from .event_source import EventSource
from .events import (PIXEL_BROKEN, PIXEL_HIGH_GAIN, PIXEL_LOW_GAIN, ArrayEvent, CameraCalibration, EventType,
                     TelescopeEvent)

__all__ = ["SimtelEventSource", "SIMTEL_CALIBRATION_TYPES", "MISSING_IMAGE_BRIGHTNESS_LIMIT"]

log = logging.getLogger(__name__)

#: sim_telarray calibration type (dark, pedestal, in-lid LED, laser/LED) -> CTAO event type
SIMTEL_CALIBRATION_TYPES = {
    0: EventType.DARK_PEDESTAL,
    1: EventType.SKY_PEDESTAL,
    2: EventType.SINGLE_PE,
    3: EventType.FLATFIELD,
    -1: EventType.OTHER_CALIBRATION,
}

#: A telescope event without true image in a file with true images is dropped above this sum.
MISSING_IMAGE_BRIGHTNESS_LIMIT = 1_000_000

# sim_telarray telescope trigger-type mask bits
_TRIGGER_LONG_EVENT = 1 << 8
_TRIGGER_MUON = 1 << 9
_TRIGGER_RANDOM_MONO = 1 << 10

_HALF_PI = 0.5 * np.pi


def _clip_half_pi(angle):
    """float32(pi/2) > float64(pi/2): bring such values back to +-pi/2."""
    if _HALF_PI < abs(angle) < _HALF_PI * (1 + 1e-6):
        return float(np.copysign(_HALF_PI, angle))
    return float(angle)


def _telescope_trigger_type(mask):
    mask = int(mask)
    if mask & _TRIGGER_RANDOM_MONO:
        return EventType.RANDOM_MONO
    if mask & _TRIGGER_MUON:
        return EventType.MUON
    if mask & _TRIGGER_LONG_EVENT:
        return EventType.LONG_EVENT
    return EventType.SUBARRAY


def _file_has_true_images(history):
    """Whether the sim_telarray configuration (history block) asked to store p.e. images."""
    lines = [line.decode("utf-8", errors="replace").strip() for _, line in history]
    if not lines:
        return False
    if "merge_simtel" in lines[0]:
        return False  # merged files never carry the p.e. images
    in_global, tel_store = True, []
    save_photons, global_store = 0, -1
    for line in lines:
        lower = line.lower()
        if line.startswith("# Telescope-specific configuration follows"):
            in_global = False
        if in_global:
            if lower.startswith("save_photons"):
                save_photons = int(line.split()[1])
            elif lower.startswith("store_photoelectrons"):
                global_store = int(line.split()[1])
        elif "store_photoelectrons" in lower:
            tel_store.append(int(line.split()[1]))
    return bool(save_photons & 2) or global_store > 0 or any(v > 0 for v in tel_store)


class _UtcToTai:
    """UTC (unix seconds, ns) -> CTAO high-resolution TAI pair; leap seconds cached per day."""

    def __init__(self):
        self._offset = {}

    def __call__(self, seconds, nanoseconds):
        seconds, nanoseconds = int(seconds), int(nanoseconds)
        day = seconds // 86400
        if day not in self._offset:
            from astropy.time import Time

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = Time(float(day * 86400), format="unix", scale="utc")
                self._offset[day] = int(round((t.tai.mjd - t.utc.mjd) * 86400.0))
        return np.array([seconds + self._offset[day], nanoseconds * 4], dtype=np.uint32)


def _simulation_config(run_header, mc_run_header, obs_id):
    """SIMULATION_RUN row (column name -> value) from the sim_telarray headers."""
    mc = mc_run_header
    deg = np.rad2deg
    return {
        "obs_id": int(obs_id),
        "run_number": int(run_header["run"]),
        "corsika_version": int(mc["shower_prog_vers"]),
        "simtel_version": int(mc["detector_prog_vers"]),
        "energy_range_min": float(mc["E_range"][0]),
        "energy_range_max": float(mc["E_range"][1]),
        "prod_site_B_total": float(mc["B_total"]),
        "prod_site_B_declination": float(deg(mc["B_declination"])),
        "prod_site_B_inclination": float(deg(mc["B_inclination"])),
        "prod_site_alt": float(mc["obsheight"]),
        "spectral_index": float(mc["spectral_index"]),
        "shower_prog_start": int(mc["shower_prog_start"]),
        "shower_prog_id": int(mc["shower_prog_id"]),
        "detector_prog_start": int(mc["detector_prog_start"]),
        "detector_prog_id": int(mc["detector_prog_id"]),
        "n_showers": int(mc["n_showers"]),
        "shower_reuse": int(mc["n_use"]),
        "max_alt": float(deg(_clip_half_pi(mc["alt_range"][1]))),
        "min_alt": float(deg(_clip_half_pi(mc["alt_range"][0]))),
        "max_az": float(deg(mc["az_range"][1])),
        "min_az": float(deg(mc["az_range"][0])),
        "diffuse": bool(mc["diffuse"]),
        "max_viewcone_radius": float(mc["viewcone"][1]),
        "min_viewcone_radius": float(mc["viewcone"][0]),
        "max_scatter_range": float(mc["core_range"][1]),
        "min_scatter_range": float(mc["core_range"][0]),
        "core_pos_mode": int(mc["core_pos_mode"]),
        "atmosphere": int(mc["atmosphere"]),
        "corsika_iact_options": int(mc["corsika_iact_options"]),
        "corsika_low_E_model": int(mc["corsika_low_E_model"]),
        "corsika_high_E_model": int(mc["corsika_high_E_model"]),
        "corsika_bunchsize": float(mc["corsika_bunchsize"]),
        "corsika_wlen_min": float(mc["corsika_wlen_min"]),
        "corsika_wlen_max": float(mc["corsika_wlen_max"]),
        "corsika_low_E_detail": int(mc["corsika_low_E_detail"]),
        "corsika_high_E_detail": int(mc["corsika_high_E_detail"]),
    }


def _shower(array_event):
    """SHOWER-table values of a shower event (None without MC shower)."""
    mc_shower = array_event.get("mc_shower")
    mc_event = array_event.get("mc_event")
    if mc_shower is None or mc_event is None:
        return None
    return {
        "true_energy": float(mc_shower["energy"]),
        "true_alt": float(np.rad2deg(_clip_half_pi(mc_shower["altitude"]))),
        "true_az": float(np.rad2deg(mc_shower["azimuth"])),
        "true_core_x": float(mc_event["xcore"]),
        "true_core_y": float(mc_event["ycore"]),
        "true_h_first_int": float(mc_shower["h_first_int"]),
        "true_x_max": float(mc_shower["xmax"]),
        "true_starting_grammage": float(mc_shower.get("depth_start", np.nan)),
        "true_shower_primary_id": int(mc_shower["primary_id"]),
    }


class SimtelEventSource(EventSource):
    """Events of a sim_telarray file (see module docstring).

    Parameters
    ----------
    path : str or Path
    allow_truncated : bool
        Stop cleanly at a truncated/corrupt end instead of raising.
    focal_length_choice : {"effective", "equivalent"}
    """

    format = "simtel"

    def __init__(self, path, allow_truncated=False, focal_length_choice="effective"):
        super().__init__(path)
        from eventio import SimTelFile

        choice = str(focal_length_choice).lower()
        if choice not in _simtel.FOCAL_LENGTH_CHOICES:
            raise ValueError(f"focal_length_choice must be one of {_simtel.FOCAL_LENGTH_CHOICES}, "
                             f"got {focal_length_choice!r}")
        self.allow_truncated = allow_truncated
        # clear errors for non-EventIO / unreadable content (only the first bytes are read)
        _simtel._open_eventio(self.path).close()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._file = SimTelFile(str(self.path), skip_calibration=False, zcat=False)
        except Exception as err:
            raise InputFileError(self.path, f"corrupt or truncated sim_telarray header "
                                            f"({type(err).__name__}: {err})") from err
        try:
            self._init_header(choice)
        except BaseException:
            self._file.close()
            raise
        self._started = False

    def _init_header(self, choice):
        f = self._file
        if f.header is None:
            raise InputFileError(self.path, "no sim_telarray run header: not a sim_telarray output file")
        header = _simtel.SimtelHeader(
            run_header=f.header,
            mc_run_header=f.mc_run_headers[0] if f.mc_run_headers else None,
            global_meta=f.global_meta or {},
            telescope_meta=f.telescope_meta or {},
            telescopes={tel_id: {key: desc[key] for key in ("camera_settings", "camera_organization",
                                                            "pixel_settings")}
                        for tel_id, desc in f.telescope_descriptions.items()},
        )
        if f.atmospheric_profiles:
            header.obslevel_m = float(f.atmospheric_profiles[0]["obslevel"]) / 100.0
        if not header.is_complete():
            _simtel._raise_incomplete(header, self.path, 1)
        try:
            self.subarray = _simtel._build_subarray(header, self.path, choice)
        except _simtel.InstrumentError as err:
            raise InputFileError(self.path, f"invalid instrument description: {err}") from err
        self.obs_id = int(f.header["run"])
        self.simulation_config = (_simulation_config(f.header, f.mc_run_headers[-1], self.obs_id)
                                  if f.mc_run_headers else None)
        try:
            self.has_true_images = _file_has_true_images(f.history or [])
        except Exception:  # unparsable history: assume images may be there
            self.has_true_images = True
        # pixels with HV disabled according to the header, per telescope
        self._hv_disabled = {tel_id: np.asarray(desc.get("disabled_pixels", {}).get("HV_disabled", []),
                                                dtype=np.int64)
                             for tel_id, desc in f.telescope_descriptions.items()}
        self._n_gains = {tel_id: int(desc["camera_organization"]["n_gains"])
                         for tel_id, desc in f.telescope_descriptions.items()}
        self._calib_sources = {}
        self._to_tai = _UtcToTai()
        self.n_events_read = 0
        self.last_event_id = None

    def close(self):
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()
            self._file = None

    # ------------------------------------------------------------------ calibration
    def _calibration(self, tel_id, array_event):
        """Current `CameraCalibration` of ``tel_id`` (rebuilt only when monitoring changes)."""
        monitoring = array_event["camera_monitorings"].get(tel_id)
        laser = array_event["laser_calibrations"].get(tel_id)
        key = (id(monitoring), id(laser))
        if self._calib_sources.get(tel_id) == key and tel_id in self.calibration:
            return self.calibration[tel_id]
        n_gains = self._n_gains[tel_id]
        n_pixels = self.subarray.telescope(tel_id).camera.n_pixels
        shape = (n_gains, n_pixels)
        status = np.zeros(n_pixels, dtype=np.uint8)
        status |= PIXEL_HIGH_GAIN
        if n_gains > 1:
            status |= PIXEL_LOW_GAIN
        if monitoring is not None:
            pedestal = (np.asarray(monitoring["pedestal"], dtype=np.float32)
                        / np.float32(monitoring["n_ped_slices"])).reshape(shape)
            noise = np.asarray(monitoring["noise"], dtype=np.float32).reshape(shape)
            hv_stat = monitoring.get("hv_stat")
            if hv_stat is not None and np.size(hv_stat) == n_pixels:
                status[np.asarray(hv_stat) == 0] = PIXEL_BROKEN
        else:
            pedestal = np.full(shape, np.nan, np.float32)
            noise = np.full(shape, np.nan, np.float32)
        disabled = self._hv_disabled.get(tel_id)
        if disabled is not None and disabled.size:
            status[disabled] = PIXEL_BROKEN
        if laser is not None:
            dc_to_pe = np.asarray(laser["calib"], dtype=np.float32).reshape(shape)
            time_shift = np.asarray(laser.get("tm_calib"), dtype=np.float32) if "tm_calib" in laser else None
        else:
            dc_to_pe = np.full(shape, np.nan, np.float32)
            time_shift = None
        calibration = CameraCalibration(tel_id=int(tel_id), pedestal_per_sample=pedestal, dc_to_pe=dc_to_pe,
                                        noise=noise, pixel_status=status, time_shift=time_shift)
        self.calibration[tel_id] = calibration
        self._calib_sources[tel_id] = key
        return calibration

    # ------------------------------------------------------------------ events
    def iter_events(self, max_events=None):
        """Yield `ArrayEvent` s (shower and calibration events) in file order.

        A sim_telarray file is a stream: it can be iterated once.
        """
        if self._file is None:
            raise InputFileError(self.path, "the event source is closed")
        if self._started:
            raise RuntimeError(f"{self.path}: a sim_telarray file can only be iterated once; "
                               "open it again")
        self._started = True
        return self._generate(max_events)

    def _generate(self, max_events):
        pseudo_event_id = 0
        iterator = iter(self._file)
        while max_events is None or self.n_events_read < max_events:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    array_event = next(iterator)
            except StopIteration:
                break
            except Exception as err:
                self._handle_truncation(err)
                return
            event_id = int(array_event.get("event_id", 0))
            if event_id == 0:
                pseudo_event_id -= 1
                event_id = pseudo_event_id
            event = self._make_event(array_event, event_id)
            self.n_events_read += 1
            self.last_event_id = event_id
            yield event
        if max_events is None and self._file is not None and self._file.histograms is not None:
            self.shower_distribution = self._shower_distribution(self._file.histograms)

    def _handle_truncation(self, err):
        where = (f"after event {self.last_event_id} (event #{self.n_events_read}, the last complete one)"
                 if self.last_event_id is not None else "before the first complete event")
        message = f"truncated or corrupt sim_telarray file: reading stopped {where} ({type(err).__name__}: {err})"
        if not self.allow_truncated:
            raise InputFileError(self.path, message) from err
        self.truncated = True
        self.truncation_message = f"{self.path}: {message}"
        log.warning("%s; keeping the %d complete events", self.truncation_message, self.n_events_read)
        warnings.warn(self.truncation_message, stacklevel=3)

    def _make_event(self, array_event, event_id):
        kind = array_event["type"]
        if kind == "data":
            event_type = EventType.SUBARRAY
        elif kind == "calibration":
            event_type = SIMTEL_CALIBRATION_TYPES.get(array_event.get("calibration_type", -1),
                                                      EventType.OTHER_CALIBRATION)
        else:
            event_type = EventType.UNKNOWN
        shower = _shower(array_event) if event_type == EventType.SUBARRAY else None

        trigger = array_event["trigger_information"]
        tels_with_trigger = np.asarray(trigger["triggered_telescopes"], dtype=np.int16)
        gps = trigger["gps_time"]
        central = self._to_tai(gps[0], gps[1])
        tel_times = {int(t): (time_ns, mask) for t, time_ns, mask in
                     zip(trigger["triggered_telescopes"], trigger["trigger_times"], trigger["teltrg_type_mask"])}

        pe_sums = (array_event.get("photoelectron_sums") or {}).get("n_pe")
        photoelectrons = array_event.get("photoelectrons") or {}
        tracking = array_event.get("tracking_positions") or {}
        event = ArrayEvent(obs_id=self.obs_id, event_id=event_id, event_type=event_type, shower=shower,
                           tels_with_trigger=tels_with_trigger, time=central)
        for tel_id, tel_data in array_event["telescope_events"].items():
            if tel_id not in tel_times:
                log.warning("%s: event %d: telescope %d has data but is not in the array trigger; skipped",
                            self.path, event_id, tel_id)
                continue
            waveform = tel_data.get("adc_samples")
            if waveform is None:
                waveform = tel_data["adc_sums"][:, :, np.newaxis]
            true_image_sum = float("nan")
            if pe_sums is not None:
                true_image_sum = float(pe_sums[self._tel_index_original(tel_id)])
            true_image = photoelectrons.get(tel_id - 1, {}).get("photoelectrons")
            if true_image is None and self.has_true_images:
                if true_image_sum > MISSING_IMAGE_BRIGHTNESS_LIMIT:
                    log.warning("%s: event %d, telescope %d: true image missing in a file with true "
                                "images (truncated image?); telescope event skipped", self.path, event_id, tel_id)
                    continue
                true_image = np.full(waveform.shape[1], -1, dtype=np.int32)
            elif true_image is not None:
                true_image = np.asarray(true_image, dtype=np.int32)
            time_ns, mask = tel_times[tel_id]
            # telescope time: ns relative to the central trigger
            total_qns = int(central[1]) + int(round(4.0 * float(time_ns)))
            tel_time = np.array([int(central[0]) + total_qns // 4_000_000_000,
                                 total_qns % 4_000_000_000], dtype=np.uint32)
            pixel_lists = tel_data.get("pixel_lists") or {}
            trigger_pixels = pixel_lists.get(0)
            pointing = tracking.get(tel_id)
            alt = az = float("nan")
            if pointing is not None:
                alt = pointing.get("altitude_cor", np.nan)
                alt = pointing["altitude_raw"] if np.isnan(alt) else alt
                az = pointing.get("azimuth_cor", np.nan)
                az = pointing["azimuth_raw"] if np.isnan(az) else az
                alt, az = float(np.rad2deg(_clip_half_pi(alt))), float(np.rad2deg(az))
            event.tel[tel_id] = TelescopeEvent(
                tel_id=int(tel_id), waveform=waveform, true_image=true_image, true_image_sum=true_image_sum,
                calibration=self._calibration(tel_id, array_event), trigger_time=tel_time,
                trigger_type=_telescope_trigger_type(mask),
                n_trigger_pixels=int(trigger_pixels["pixels"]) if trigger_pixels else -1,
                pointing_alt_deg=alt, pointing_az_deg=az)
        return event

    def _tel_index_original(self, tel_id):
        """Row of ``tel_id`` in the run header's telescope list (order of per-telescope arrays)."""
        index = getattr(self, "_original_index", None)
        if index is None:
            ids = np.asarray(self._file.header["tel_id"])[: int(self._file.header["n_telescopes"])]
            index = self._original_index = {int(t): i for i, t in enumerate(ids)}
        return index[int(tel_id)]

    def _shower_distribution(self, histograms):
        """SHOWER_DISTRIBUTION values from histogram 6 (thrown energy vs core distance)."""
        hist = next((h for h in histograms if h["id"] == 6), None)
        if hist is None:
            return None
        return {
            "obs_id": self.obs_id,
            "hist_id": int(hist["id"]),
            "n_entries": int(hist["entries"]),
            "bins_core_dist": np.linspace(hist["lower_x"], hist["upper_x"], hist["n_bins_x"] + 1),
            "bins_energy": 10.0 ** np.linspace(hist["lower_y"], hist["upper_y"], hist["n_bins_y"] + 1),
            "histogram": np.asarray(hist["data"], dtype=np.float64),
        }
