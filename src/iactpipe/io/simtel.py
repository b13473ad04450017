"""Read sim_telarray (EventIO) output files.

Only the instrument description is read for now: `read_subarray` walks the top-level
EventIO objects of a ``.simtel``/``.simtel.gz``/``.simtel.zst`` file from the start,
parses just the header objects that describe the array (run header, MC run header,
metadata, atmosphere profile and, per telescope, camera settings, camera organisation
and pixel settings) and stops as soon as every telescope is described, i.e. before the
first event. The low-level work (decompression, object framing, object parsing) is done
by `eventio`; this module only interprets the parsed objects.

Structure, so that an event reader can be added later:

* `_open_eventio` opens a file with all errors turned into `InputFileError`;
* `_read_header` consumes the header objects of an open file into a `SimtelHeader` and
  leaves the file positioned at the first object it did not need (the event reader
  continues from there);
* `_build_subarray` turns a `SimtelHeader` into our `SubarrayDescription`.

Conventions (the same final numbers as ctapipe 0.28's ``SimTelEventSource``):

* The camera rotation ``cam_rot`` stored in the file is folded into the geometry: pixel
  positions are turned by ``+cam_rot`` and ``cam_rot`` is added to the pixel rotation, so
  every geometry is stored with ``cam_rotation_deg = 0``.
* sim_telarray pixel-shape codes: 0 circle, 1 hexagon with a vertex along +y
  ("pointy-top", rotation 0 deg), 2 square, 3 hexagon rotated by 30 deg ("flat-top").
* Telescope, optics and camera names come from the per-telescope metadata
  (``OPTICS_CONFIG_NAME``/``CAMERA_CONFIG_NAME``) when the file has it, otherwise from a
  lookup by (number of pixels, equivalent focal length, mirror tiles), otherwise a
  generic ``UNKNOWN-<area>M2`` / ``UNKNOWN-<n>PX`` name. Known camera names are spelled
  the canonical way (``LSTcam`` in prod6 metadata becomes ``LSTCam``).
"""
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputFileError, InstrumentError
from ..instrument.camera import CameraGeometry, PixelShape
from ..instrument.optics import OpticsDescription
from ..instrument.readout import CameraReadout
from ..instrument.subarray import ReferenceLocation, SubarrayDescription
from ..instrument.telescope import TelescopeDescription

__all__ = ["read_subarray", "canonical_camera_name", "SimtelHeader", "FOCAL_LENGTH_CHOICES",
           "KNOWN_CAMERA_NAMES"]

log = logging.getLogger(__name__)

#: Accepted values of ``focal_length_choice``.
FOCAL_LENGTH_CHOICES = ("effective", "equivalent")

# EventIO object types (sim_telarray's io_hess.h numbering)
_RUN_HEADER = 2000
_MC_RUN_HEADER = 2001
_CAMERA_SETTINGS = 2002
_CAMERA_ORGANIZATION = 2003
_PIXEL_SETTINGS = 2004
_HISTORY_META = 75
_ATMOSPHERIC_PROFILE = 1216
# the per-telescope objects the instrument needs, and their key in SimtelHeader.telescopes
_TELESCOPE_KEYS = {_CAMERA_SETTINGS: "camera_settings", _CAMERA_ORGANIZATION: "camera_organization",
                   _PIXEL_SETTINGS: "pixel_settings"}
# Objects that only occur once the events have started: reaching one of these before all
# telescopes are described means the header is incomplete.
_EVENT_TYPES = frozenset({
    100,   # histograms (end of file)
    1204,  # telescope data (photons)
    1205,  # photons at observation level
    2010,  # array event
    2020,  # MC shower
    2021,  # MC event
    2022,  # camera monitoring
    2023,  # laser calibration
    2026,  # MC photo-electron sum
    2028,  # calibration event
    2033,  # pixel monitoring
    2034,  # calibration photo-electrons
})

# sim_telarray pixel_shape code -> (shape, pixel rotation in deg)
_PIXEL_SHAPE_CODES = {
    0: (PixelShape.CIRCLE, 0.0),
    1: (PixelShape.HEXAGON, 0.0),
    2: (PixelShape.SQUARE, 0.0),
    3: (PixelShape.HEXAGON, 30.0),
}

_SC, _DC, _HYB, _PAR = "schwarzschild-couder", "davies-cotton", "hybrid", "parabolic"


@dataclass(frozen=True)
class _KnownTelescope:
    """What a telescope type is called and how it is built."""

    size_type: str
    optics_name: str
    camera_name: str
    n_mirrors: int
    reflector_shape: str


# Telescopes recognisable from (n_pixels, equivalent focal length rounded to cm[, tiles])
# when the file carries no metadata (prod3/prod4-era files). Same identifications as
# ctapipe's guessing table, so the names agree; SCT is listed with its 2 mirrors.
_KNOWN_TELESCOPES = {
    (2048, 2.28, None): _KnownTelescope("SST", "GCT", "CHEC", 2, _SC),
    (2368, 2.15, None): _KnownTelescope("SST", "ASTRI", "ASTRICam", 2, _SC),
    (2048, 2.15, None): _KnownTelescope("SST", "ASTRI", "CHEC", 2, _SC),
    (1296, 5.60, None): _KnownTelescope("SST", "1M", "DigiCam", 1, _DC),
    (1764, 16.00, None): _KnownTelescope("MST", "MST", "FlashCam", 1, _HYB),
    (1855, 16.00, None): _KnownTelescope("MST", "MST", "NectarCam", 1, _HYB),
    (1855, 28.00, None): _KnownTelescope("LST", "LST", "LSTCam", 1, _PAR),
    (11328, 5.59, None): _KnownTelescope("MST", "SCT", "SCTCam", 2, _SC),
    # non-CTAO telescopes
    (1039, 16.97, 964): _KnownTelescope("LST", "MAGIC-1", "MAGICCam", 1, _PAR),
    (1039, 16.97, 247): _KnownTelescope("LST", "MAGIC-2", "MAGICCam", 1, _PAR),
    (1039, 17.00, 964): _KnownTelescope("LST", "MAGIC-1", "MAGICCam", 1, _PAR),
    (1039, 17.00, 247): _KnownTelescope("LST", "MAGIC-2", "MAGICCam", 1, _PAR),
    (960, 15.00, None): _KnownTelescope("MST", "HESS-I", "HESS-I", 1, _DC),
    (2048, 36.00, None): _KnownTelescope("LST", "HESS-II", "HESS-II", 1, _PAR),
    (1440, 4.89, None): _KnownTelescope("SST", "FACT", "FACT", 1, _HYB),
}

#: Canonical spelling of the camera names this module knows (matched case-insensitively).
KNOWN_CAMERA_NAMES = tuple(sorted({t.camera_name for t in _KNOWN_TELESCOPES.values()}))
_CANONICAL_CAMERA = {name.lower(): name for name in KNOWN_CAMERA_NAMES}


@dataclass
class SimtelHeader:
    """The parsed header objects of a sim_telarray file (everything before the events).

    Attributes
    ----------
    run_header : dict
        Parsed RunHeader (telescope ids and ground positions in m).
    mc_run_header : dict or None
        Parsed MCRunHeader (observation level ``obsheight`` in m), if present.
    global_meta : dict
        Global metadata (bytes keys and values), empty if absent.
    telescope_meta : dict
        Per-telescope metadata, ``{tel_id: {bytes: bytes}}``.
    obslevel_m : float
        Observation level from the atmospheric profile, m (NaN if absent).
    telescopes : dict
        ``{tel_id: {"camera_settings": ..., "camera_organization": ..., "pixel_settings": ...}}``.
    """

    run_header: dict = None
    mc_run_header: dict = None
    global_meta: dict = field(default_factory=dict)
    telescope_meta: dict = field(default_factory=dict)
    obslevel_m: float = float("nan")
    telescopes: dict = field(default_factory=dict)

    @property
    def n_telescopes(self):
        """Number of telescopes announced by the run header (None before it is read)."""
        return None if self.run_header is None else int(self.run_header["n_telescopes"])

    def is_complete(self):
        """True once the run header and all needed per-telescope objects are read."""
        n_tels = self.n_telescopes
        if n_tels is None or len(self.telescopes) < n_tels:
            return False
        return all(len(parts) == len(_TELESCOPE_KEYS) for parts in self.telescopes.values())


# ---------------------------------------------------------------------------------------
# file access
# ---------------------------------------------------------------------------------------

def _check_path(path):
    """Raise `InputFileError` for a path that cannot be an EventIO file; return a Path."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file does not exist")
    if path.is_dir():
        raise InputFileError(path, "is a directory, expected a sim_telarray file")
    if path.stat().st_size == 0:
        raise InputFileError(path, "file is empty")
    if not os.access(path, os.R_OK):
        raise InputFileError(path, "file is not readable (permission denied)")
    return path


def _leading_bytes(path, n_bytes):
    """First ``n_bytes`` of the (decompressed) content and the compression name."""
    from eventio.file_types import is_gzip, is_zstd

    if is_gzip(path):
        import gzip

        with gzip.open(path, "rb") as stream:
            return stream.read(n_bytes), "gzip"
    if is_zstd(path):
        import zstandard

        with open(path, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as stream:
            return stream.read(n_bytes), "zstd"
    with open(path, "rb") as raw:
        return raw.read(n_bytes), None


def _open_eventio(path):
    """Open ``path`` as an `eventio.EventIOFile`, raising `InputFileError` on any problem."""
    from eventio import EventIOFile
    from eventio.constants import SYNC_MARKER_BIG_ENDIAN, SYNC_MARKER_LITTLE_ENDIAN

    path = _check_path(path)
    n_marker = len(SYNC_MARKER_LITTLE_ENDIAN)
    try:
        start, compression = _leading_bytes(path, n_marker)
    except Exception as err:  # corrupt or truncated gzip/zstd stream, missing zstandard ...
        raise InputFileError(path, f"cannot decompress the start of the file "
                                   f"({type(err).__name__}: {err})") from err
    if compression is not None and len(start) < n_marker:
        raise InputFileError(path, f"the {compression} stream ends before any EventIO data "
                                   "(truncated or corrupt compressed file)")
    if start not in (SYNC_MARKER_LITTLE_ENDIAN, SYNC_MARKER_BIG_ENDIAN):
        what = f"the decompressed ({compression}) data" if compression else "the file"
        raise InputFileError(path, f"not an EventIO (sim_telarray) file: {what} does not start "
                                   "with the EventIO sync marker")
    try:
        # zcat=False: no gzip subprocess to clean up when we stop after the header
        return EventIOFile(str(path), zcat=False)
    except Exception as err:
        raise InputFileError(path, f"cannot open as EventIO ({type(err).__name__}: {err})") from err


def _parse_optional(obj, what, path):
    """Parse an object we can do without; log and return None if eventio cannot parse it."""
    try:
        return obj.parse()
    except Exception as err:
        log.warning("%s: ignoring unreadable %s (%s: %s)", path, what, type(err).__name__, err)
        return None


def _consume_header_object(obj, header, path):
    """Parse one top-level object into ``header`` if it is needed.

    Returns True when ``obj`` belongs to the event stream (the header is over).
    """
    kind = obj.header.type
    if kind in _TELESCOPE_KEYS:
        header.telescopes.setdefault(obj.header.id, {})[_TELESCOPE_KEYS[kind]] = obj.parse()
    elif kind == _RUN_HEADER:
        header.run_header = obj.parse()
    elif kind == _MC_RUN_HEADER and header.mc_run_header is None:
        header.mc_run_header = _parse_optional(obj, "MC run header", path)
    elif kind == _HISTORY_META:
        meta = _parse_optional(obj, "metadata block", path) or {}
        if obj.header.id == -1:
            header.global_meta = meta
        else:
            header.telescope_meta[obj.header.id] = meta
    elif kind == _ATMOSPHERIC_PROFILE and not np.isfinite(header.obslevel_m):
        profile = _parse_optional(obj, "atmospheric profile", path)
        if profile and "obslevel" in profile:
            header.obslevel_m = float(profile["obslevel"]) / 100.0  # cm -> m
    return kind in _EVENT_TYPES


def _read_header(eventio_file, path):
    """Consume the header objects of an open sim_telarray file.

    Stops right after the last object needed to describe all telescopes, so the file
    is left before the first event.

    Parameters
    ----------
    eventio_file : eventio.EventIOFile
        Freshly opened file.
    path : str or Path
        File name, for messages.

    Returns
    -------
    SimtelHeader

    Raises
    ------
    InputFileError
        If the file ends, is corrupt, or events start before every telescope is described.
    """
    header = SimtelHeader()
    n_objects, kind = 0, None
    try:
        with warnings.catch_warnings():
            # eventio warns on truncated data; we turn those cases into InputFileError
            warnings.simplefilter("ignore")
            for obj in eventio_file:
                n_objects += 1
                kind = obj.header.type
                if _consume_header_object(obj, header, path):
                    break  # events started before the header was complete
                if header.is_complete():
                    return header
                kind = None
    except Exception as err:
        # EOFError / ValueError from a file cut inside an object, zstd/gzip stream errors
        # from corrupt compression, version asserts from eventio ...
        where = (f"while parsing EventIO object #{n_objects} (type {kind})" if kind is not None
                 else f"while reading the EventIO object after #{n_objects}")
        raise InputFileError(
            path, f"corrupt or truncated sim_telarray header: error {where} "
                  f"({type(err).__name__}: {err})") from err
    _raise_incomplete(header, path, n_objects)


def _raise_incomplete(header, path, n_objects):
    """Explain why the header is incomplete (always raises `InputFileError`)."""
    if n_objects == 0:
        raise InputFileError(path, "no EventIO objects could be read (truncated or corrupt file)")
    if header.run_header is None:
        raise InputFileError(path, f"no sim_telarray run header (type {_RUN_HEADER}) among the first "
                                   f"{n_objects} EventIO objects: not a sim_telarray output file "
                                   "or truncated")
    described = sum(len(p) == len(_TELESCOPE_KEYS) for p in header.telescopes.values())
    raise InputFileError(path, f"incomplete instrument description: {described} of "
                               f"{header.n_telescopes} telescopes fully described before the "
                               "file (or header) ended; the file is probably truncated")


# ---------------------------------------------------------------------------------------
# building the instrument model
# ---------------------------------------------------------------------------------------

def _decode(value):
    """Metadata values are bytes, often with trailing blanks."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).strip()


def _meta_float(meta, key, default=float("nan")):
    """First number of a metadata value (values like b'2923.7 0 0 0 0 ')."""
    text = _decode(meta.get(key))
    if not text:
        return default
    try:
        return float(text.split()[0])
    except ValueError:
        return default


def canonical_camera_name(name):
    """Return the canonical spelling of a known camera name, else ``name`` unchanged."""
    return _CANONICAL_CAMERA.get(name.lower(), name)


def _size_type_from_mirror_area(mirror_area_m2):
    """Size class from the diameter of the circle of equal mirror area (<8 m SST, <16 m MST)."""
    diameter = 2.0 * np.sqrt(mirror_area_m2 / np.pi)
    if diameter < 8.0:
        return "SST"
    if diameter < 16.0:
        return "MST"
    return "LST"


def _identify_from_meta(meta, mirror_area_m2):
    """Telescope identity from per-telescope metadata; None if the needed keys are missing."""
    optics_name = _decode(meta.get(b"OPTICS_CONFIG_NAME"))
    camera_name = _decode(meta.get(b"CAMERA_CONFIG_NAME"))
    mirror_class = _decode(meta.get(b"MIRROR_CLASS"))
    if not optics_name or not camera_name or mirror_class is None:
        return None
    mirror_class = int(float(mirror_class))
    if mirror_class == 2:  # dual mirror
        n_mirrors, shape = 2, _SC
    elif mirror_class == 1:  # single solid parabolic mirror
        n_mirrors, shape = 1, _PAR
    elif mirror_class == 0:  # single segmented mirror
        n_mirrors = 1
        if int(_meta_float(meta, b"PARABOLIC_DISH", 0.0)) == 1:
            shape = _PAR
        else:
            # a dish shaped for a length other than the focal length is a hybrid design
            same = _meta_float(meta, b"DISH_SHAPE_Length", 0.0) == _meta_float(meta, b"FOCAL_Length", 0.0)
            shape = _DC if same else _HYB
    else:
        n_mirrors, shape = -1, "unknown"
    return _KnownTelescope(_size_type_from_mirror_area(mirror_area_m2), optics_name,
                           canonical_camera_name(camera_name), n_mirrors, shape)


def _identify(meta, n_pixels, equivalent_focal_length_m, n_tiles, mirror_area_m2):
    """Identify a telescope: metadata first, then the lookup table, then a generic name."""
    known = _identify_from_meta(meta, mirror_area_m2) if meta else None
    if known is not None:
        return known
    focal = round(float(equivalent_focal_length_m), 2)
    known = (_KNOWN_TELESCOPES.get((n_pixels, focal, n_tiles))
             or _KNOWN_TELESCOPES.get((n_pixels, focal, None)))
    if known is not None:
        return known
    return _KnownTelescope(_size_type_from_mirror_area(mirror_area_m2), f"UNKNOWN-{mirror_area_m2:.0f}M2",
                           f"UNKNOWN-{n_pixels}PX", -1, "unknown")


def _pixel_shape(camera_settings, camera_name, path):
    """Pixel shape and rotation (deg) from the file's pixel_shape code."""
    codes = np.atleast_1d(camera_settings.get("pixel_shape", [-1]))
    code = int(codes[0]) if len(codes) else -1
    if code not in _PIXEL_SHAPE_CODES:
        log.warning("%s: camera %s has unknown pixel_shape code %d; assuming pointy-top hexagons",
                    path, camera_name, code)
        return PixelShape.HEXAGON, 0.0
    return _PIXEL_SHAPE_CODES[code]


def _build_geometry(camera_settings, camera_name, path):
    """De-rotated `CameraGeometry` from a parsed CameraSettings object."""
    pix_type, pix_rotation = _pixel_shape(camera_settings, camera_name, path)
    n_pixels = int(camera_settings["n_pixels"])
    raw = CameraGeometry(
        name=camera_name,
        pix_x=np.asarray(camera_settings["pixel_x"], dtype=np.float64),
        pix_y=np.asarray(camera_settings["pixel_y"], dtype=np.float64),
        pix_area=np.asarray(camera_settings["pixel_area"], dtype=np.float64),
        pix_type=pix_type,
        pix_rotation_deg=pix_rotation,
        pix_id=np.arange(n_pixels),
    )
    # fold the camera rotation into the pixels so that cam_rotation_deg is 0
    return raw.rotated(np.rad2deg(float(camera_settings["cam_rot"])))


def _build_readout(pixel_settings, n_gains, camera_name, path):
    """`CameraReadout` from parsed PixelSettings and the number of gains."""
    ref_shape = pixel_settings.get("ref_shape")
    if ref_shape is None or np.size(ref_shape) == 0:
        raise InputFileError(path, f"camera {camera_name}: no reference pulse shape in the pixel "
                                   "settings (sim_telarray file too old)")
    ref_shape = np.atleast_2d(np.asarray(ref_shape, dtype=np.float64))
    if ref_shape.shape[0] > n_gains:
        ref_shape = ref_shape[:n_gains]
    elif ref_shape.shape[0] < n_gains:
        # one shape for all gains
        ref_shape = np.repeat(ref_shape[:1], n_gains, axis=0)
    return CameraReadout(
        name=camera_name,
        sampling_rate_ghz=1.0 / np.float64(pixel_settings["time_slice"]),
        n_samples=int(pixel_settings["sum_bins"]),
        n_channels=n_gains,
        reference_pulse_shape=ref_shape,
        reference_pulse_sample_width_ns=float(pixel_settings["ref_step"]),
    )


def _array_key(*arrays):
    """Exact-content key of numpy arrays (dtype, shape and bytes)."""
    return tuple((a.dtype.str, a.shape, a.tobytes()) for a in map(np.asarray, arrays))


def _float_key(value):
    """Hashable stand-in for a float that treats NaN as equal to NaN."""
    value = float(value)
    return "nan" if np.isnan(value) else value


class _DescriptionCache:
    """Share description objects between telescopes of identical type.

    Optics, geometry and readout are cached separately by their content, so e.g. LST-1 and
    LST-2 in prod6 (different readout pulses) still share one `CameraGeometry`.
    """

    def __init__(self):
        self._store = {}

    def get(self, key, build):
        if key not in self._store:
            self._store[key] = build()
        return self._store[key]


def _build_telescope(parts, meta, cache, focal_length_choice, path):
    """`TelescopeDescription` for one telescope, reusing cached objects."""
    cam = parts["camera_settings"]
    n_pixels = int(cam["n_pixels"])
    mirror_area = float(cam["mirror_area"])
    equivalent = float(cam["focal_length"])
    effective = float(cam.get("effective_focal_length", np.nan))
    if not effective > 0:  # older files: field missing; some write 0 for "not set"
        effective = float("nan")
    n_tiles = int(cam["n_mirrors"])
    known = _identify(meta, n_pixels, equivalent, n_tiles, mirror_area)

    tel_type = "SCT" if known.optics_name == "SCT" else known.size_type
    optics_key = ("optics", known.optics_name, known.size_type, known.reflector_shape, known.n_mirrors,
                  _float_key(mirror_area), n_tiles, _float_key(equivalent), _float_key(effective),
                  focal_length_choice)
    optics = cache.get(optics_key, lambda: OpticsDescription(
        name=known.optics_name,
        size_type=known.size_type,
        reflector_shape=known.reflector_shape,
        mirror_area_m2=mirror_area,
        n_mirrors=known.n_mirrors,
        n_mirror_tiles=n_tiles,
        equivalent_focal_length_m=equivalent,
        effective_focal_length_m=effective,
        focal_length_choice=focal_length_choice,
    ))

    shape_code = np.atleast_1d(cam.get("pixel_shape", [-1]))[:1]
    geometry_key = ("geometry", known.camera_name, _float_key(cam["cam_rot"]),
                    _array_key(cam["pixel_x"], cam["pixel_y"], cam["pixel_area"], shape_code))
    geometry = cache.get(geometry_key, lambda: _build_geometry(cam, known.camera_name, path))

    pix = parts["pixel_settings"]
    n_gains = int(parts["camera_organization"]["n_gains"])
    readout_key = ("readout", known.camera_name, n_gains, _float_key(pix["time_slice"]), int(pix["sum_bins"]),
                   _float_key(pix["ref_step"]), _array_key(pix.get("ref_shape", np.zeros(0))))
    readout = cache.get(readout_key, lambda: _build_readout(pix, n_gains, known.camera_name, path))

    telescope_key = ("telescope", tel_type, id(optics), id(geometry), id(readout))
    return cache.get(telescope_key, lambda: TelescopeDescription(
        name=f"{known.size_type}_{known.optics_name}_{known.camera_name}",
        tel_type=tel_type,
        optics=optics,
        camera=geometry,
        readout=readout,
    ))


def _reference_location(header):
    """Array origin: lat/lon from the global metadata, height from metadata or obs. level."""
    meta = header.global_meta
    lat = _meta_float(meta, b"*LATITUDE")
    lon = _meta_float(meta, b"*LONGITUDE")
    height = _meta_float(meta, b"ALTITUDE")
    if not np.isfinite(height) and header.mc_run_header is not None:
        height = float(header.mc_run_header.get("obsheight", np.nan))
    if not np.isfinite(height):
        height = header.obslevel_m
    return ReferenceLocation(lon_deg=lon, lat_deg=lat, height_m=height)


def _build_subarray(header, path, focal_length_choice):
    """`SubarrayDescription` from a complete `SimtelHeader`."""
    run = header.run_header
    file_ids = [int(i) for i in np.asarray(run["tel_id"])[: header.n_telescopes]]
    file_positions = np.asarray(run["tel_pos"], dtype=np.float64)[: header.n_telescopes]
    row_of = {tel_id: row for row, tel_id in enumerate(file_ids)}
    cache = _DescriptionCache()
    tel_ids, positions, telescopes = [], [], []
    for tel_id, parts in header.telescopes.items():
        if tel_id not in row_of:
            raise InputFileError(path, f"telescope {tel_id} is described but not in the run header")
        meta = header.telescope_meta.get(tel_id, {})
        telescopes.append(_build_telescope(parts, meta, cache, focal_length_choice, path))
        tel_ids.append(tel_id)
        positions.append(file_positions[row_of[tel_id]])

    if focal_length_choice == "effective":
        missing = sorted({t.optics.name for t in telescopes
                          if not np.isfinite(t.optics.effective_focal_length_m)})
        if missing:
            log.info("%s: no effective focal length stored for %s; using the equivalent focal length",
                     path, ", ".join(missing))

    name = _decode(header.global_meta.get(b"ARRAY_CONFIG_NAME")) or "MonteCarloArray"
    return SubarrayDescription(
        name=name,
        tel_ids=np.array(tel_ids),
        positions_m=np.array(positions).reshape(-1, 3),
        telescopes=telescopes,
        reference_location=_reference_location(header),
    )


def read_subarray(path, focal_length_choice="effective"):
    """Read the instrument description of a sim_telarray file.

    Only the header objects before the first event are read.

    Parameters
    ----------
    path : str or os.PathLike
        ``.simtel``, ``.simtel.gz`` or ``.simtel.zst`` file.
    focal_length_choice : {"effective", "equivalent"}
        Which focal length the telescopes' optics use for image analysis
        (`OpticsDescription.focal_length_m`). Both values are always stored; with
        ``"effective"`` a telescope whose file has no effective focal length falls back
        to the equivalent one (one info line is logged per file).

    Returns
    -------
    SubarrayDescription
        Telescopes sorted by id; identical telescope types share the same optics,
        geometry, readout and `TelescopeDescription` objects. Ground positions in m; the
        reference location has NaN lon/lat when the file does not state them.

    Raises
    ------
    InputFileError
        If the file is missing, empty, not EventIO, not sim_telarray output, truncated or
        corrupt before all telescopes are described.
    ValueError
        For an invalid ``focal_length_choice``.
    """
    choice = str(focal_length_choice).lower()
    if choice not in FOCAL_LENGTH_CHOICES:
        raise ValueError(f"focal_length_choice must be one of {FOCAL_LENGTH_CHOICES}, "
                         f"got {focal_length_choice!r}")
    eventio_file = _open_eventio(path)
    try:
        header = _read_header(eventio_file, path)
    finally:
        eventio_file.close()
    try:
        return _build_subarray(header, path, choice)
    except InstrumentError as err:
        # inconsistent numbers in the file (e.g. NaN pixel positions): a bad input file
        raise InputFileError(path, f"invalid instrument description: {err}") from err
