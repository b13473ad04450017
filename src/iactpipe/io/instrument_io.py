"""Instrument description (`SubarrayDescription`) to and from HDF5, in ctapipe's layout.

Tables (see `iactpipe.io.datamodel`):

* ``/configuration/instrument/subarray/layout``: one row per telescope, with
  ``camera_index`` (number of its camera tables) and ``optics_index`` (row of the optics
  table); attributes ``name``/``SUBARRAY``, the reference location as
  ``reference_lon_deg``, ``reference_lat_deg``, ``reference_height_m`` (exact) and as
  geocentric ``reference_itrs_x/y/z`` in m (WGS84, what ctapipe reads);
* ``/configuration/instrument/telescope/optics``: one row per distinct optics;
  ``size_type`` and ``reflector_shape`` hold ctapipe's ``SizeType``/``ReflectorShape``
  names (``LST``, ``PARABOLIC``, ``DAVIES_COTTON``, ...), mapped back to ours on reading;
  ``psf_sigma`` and ``focal_length_choice`` are iactpipe additions (ctapipe ignores them);
* ``/configuration/instrument/telescope/camera/geometry_<i>``: pixels of distinct
  camera ``i``; attributes ``CAM_ID``, ``PIX_TYPE``, ``PIX_ROT`` (deg), ``CAM_ROT`` (deg);
* ``/configuration/instrument/telescope/camera/readout_<i>``: its reference pulse per
  gain channel; attributes ``CAM_ID`` (readout name), ``SAMPFREQ`` (GHz), ``NSAMPLES``,
  ``NCHAN``, ``NPIXELS``, ``REFWIDTH`` (ns).

A "camera" is a (geometry, readout) pair. Cameras and optics are told apart by object
identity, then by content (`iactpipe.instrument.subarray.same_description`), never by
name: in prod6, LST-1 and LST-2..4 share every name but not optics and reference pulse.
Everything round-trips exactly (float64 throughout); ctapipe's
``SubarrayDescription.from_hdf`` reads the files, and ours reads ctapipe's.
"""
import logging
from pathlib import Path

import numpy as np
import tables

from ..errors import InputFileError, InstrumentError
from ..instrument import (CameraGeometry, CameraReadout, OpticsDescription, ReferenceLocation,
                          SubarrayDescription, TelescopeDescription)
from ..instrument.subarray import distinct_descriptions, same_description
from . import datamodel as dm
from .checks import open_hdf5
from .hdf5 import HDF5Writer, TableAppender

__all__ = [
    "write_subarray",
    "read_subarray_hdf5",
    "geodetic_to_itrs",
]

log = logging.getLogger(__name__)

# Table versions ctapipe 0.28 accepts for these tables; written so ctapipe can read them.
_TAB_VERSIONS = {"subarray": "2.0", "optics": "4.0", "geometry": "2.0", "readout": "3.0"}
_WGS84_A = 6378137.0
_WGS84_F = 1.0 / 298.257223563


def geodetic_to_itrs(lon_deg, lat_deg, height_m):
    """Geocentric (ITRS) coordinates of a WGS84 geodetic position.

    Parameters
    ----------
    lon_deg, lat_deg : float
        Geodetic longitude and latitude, deg.
    height_m : float
        Height above the ellipsoid, m.

    Returns
    -------
    x, y, z : float
        Geocentric coordinates, m.
    """
    lon, lat = np.deg2rad(lon_deg), np.deg2rad(lat_deg)
    e2 = _WGS84_F * (2.0 - _WGS84_F)
    radius = _WGS84_A / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)  # prime-vertical radius of curvature
    x = (radius + height_m) * np.cos(lat) * np.cos(lon)
    y = (radius + height_m) * np.cos(lat) * np.sin(lon)
    z = (radius * (1.0 - e2) + height_m) * np.sin(lat)
    return float(x), float(y), float(z)


# ----------------------------------------------------------------------------- enums

#: ``OpticsDescription.size_type`` values and the ctapipe ``SizeType`` names they are stored as.
_SIZE_TYPES = {"LST": "LST", "MST": "MST", "SST": "SST", "UNKNOWN": "UNKNOWN"}
#: ``OpticsDescription.reflector_shape`` values and the ctapipe ``ReflectorShape`` names.
_REFLECTOR_SHAPES = {
    "parabolic": "PARABOLIC",
    "davies-cotton": "DAVIES_COTTON",
    "hybrid": "HYBRID",
    "schwarzschild-couder": "SCHWARZSCHILD_COUDER",
    "unknown": "UNKNOWN",
}
_SIZE_TYPES_READ = {v: k for k, v in _SIZE_TYPES.items()}
_REFLECTOR_SHAPES_READ = {v: k for k, v in _REFLECTOR_SHAPES.items()}


def _stored_enum(optics, field, mapping):
    value = getattr(optics, field)
    try:
        return mapping[value]
    except (KeyError, TypeError):
        raise InstrumentError(f"optics {optics.name!r}: {field} {value!r} cannot be stored; "
                              f"expected one of {', '.join(map(repr, mapping))}") from None


def _read_enum(value, field, mapping, fallback):
    try:
        return mapping[value]
    except KeyError:
        log.warning("optics table: unknown %s %r, using %r", field, value, fallback)
        return fallback


# ----------------------------------------------------------------------------- writing


def _write(h5file, schema, path, data, attrs):
    appender = TableAppender(h5file, path, schema, expected_rows=max(len(next(iter(data.values()))), 1),
                             attrs=attrs)
    appender.append(data)
    appender.finish()


def _layout_attrs(subarray):
    loc = subarray.reference_location
    x, y, z = geodetic_to_itrs(loc.lon_deg, loc.lat_deg, loc.height_m)
    return {
        "name": subarray.name,
        "SUBARRAY": subarray.name,
        "ORIGIN": "iactpipe.instrument.SubarrayDescription",
        "TAB_TYPE": "subarray",
        "TAB_VER": _TAB_VERSIONS["subarray"],
        "reference_lon_deg": float(loc.lon_deg),
        "reference_lat_deg": float(loc.lat_deg),
        "reference_height_m": float(loc.height_m),
        "reference_itrs_x": x,
        "reference_itrs_y": y,
        "reference_itrs_z": z,
    }


def _write_layout(h5file, subarray, camera_index, optics_index):
    tels = subarray.telescopes
    data = {
        "tel_id": subarray.tel_ids,
        "name": [t.name for t in tels],
        "type": [t.tel_type for t in tels],
        "pos_x": subarray.positions_m[:, 0],
        "pos_y": subarray.positions_m[:, 1],
        "pos_z": subarray.positions_m[:, 2],
        "camera_name": [t.camera.name for t in tels],
        "optics_name": [t.optics.name for t in tels],
        "camera_index": camera_index,
        "optics_index": optics_index,
        # ctapipe's str(TelescopeDescription): "<size type>_<optics>_<camera>"
        "tel_description": [f"{t.optics.size_type}_{t.optics.name}_{t.camera.name}" for t in tels],
    }
    _write(h5file, dm.SUBARRAY_LAYOUT, dm.SUBARRAY_LAYOUT_PATH, data, _layout_attrs(subarray))


def _write_optics(h5file, optics):
    data = {
        "optics_name": [o.name for o in optics],
        "size_type": [_stored_enum(o, "size_type", _SIZE_TYPES) for o in optics],
        "reflector_shape": [_stored_enum(o, "reflector_shape", _REFLECTOR_SHAPES) for o in optics],
        "mirror_area": [o.mirror_area_m2 for o in optics],
        "n_mirrors": [o.n_mirrors for o in optics],
        "n_mirror_tiles": [o.n_mirror_tiles for o in optics],
        "equivalent_focal_length": [o.equivalent_focal_length_m for o in optics],
        "effective_focal_length": [o.effective_focal_length_m for o in optics],
        "psf_sigma": [o.psf_sigma_deg for o in optics],
        "focal_length_choice": [o.focal_length_choice for o in optics],
    }
    _write(h5file, dm.OPTICS, dm.OPTICS_PATH, data, {"TAB_TYPE": "optics", "TAB_VER": _TAB_VERSIONS["optics"]})


def _write_camera(h5file, index, geometry, readout):
    attrs = {"CAM_ID": geometry.name, "PIX_TYPE": geometry.pix_type.value,
             "PIX_ROT": geometry.pix_rotation_deg, "CAM_ROT": geometry.cam_rotation_deg,
             "TAB_TYPE": "iactpipe.instrument.CameraGeometry", "TAB_VER": _TAB_VERSIONS["geometry"]}
    data = {"pix_id": geometry.pix_id, "pix_x": geometry.pix_x, "pix_y": geometry.pix_y,
            "pix_area": geometry.pix_area}
    _write(h5file, dm.CAMERA_GEOMETRY, dm.CAMERA_GEOMETRY.path(camera_index=index), data, attrs)

    schema = dm.camera_readout_schema(readout.n_channels)
    data = {f"reference_pulse_shape_channel{i}": readout.reference_pulse_shape[i]
            for i in range(readout.n_channels)}
    data["reference_pulse_sample_time"] = readout.reference_pulse_sample_time_ns
    attrs = {"CAM_ID": readout.name, "NCHAN": readout.n_channels, "NPIXELS": geometry.n_pixels,
             "NSAMPLES": readout.n_samples, "SAMPFREQ": readout.sampling_rate_ghz,
             "REFWIDTH": readout.reference_pulse_sample_width_ns,
             "TAB_TYPE": "iactpipe.instrument.CameraReadout", "TAB_VER": _TAB_VERSIONS["readout"]}
    _write(h5file, schema, schema.path(camera_index=index), data, attrs)


def _write_subarray_to(h5file, subarray, overwrite):
    tels = subarray.telescopes
    # distinct by identity, then content; never by name (prod6 LST-1 and LST-2..4 share names)
    cameras, camera_index = distinct_descriptions((t.camera, t.readout) for t in tels)
    optics, optics_index = distinct_descriptions(t.optics for t in tels)
    for o in optics:  # refuse before touching the file
        _stored_enum(o, "size_type", _SIZE_TYPES)
        _stored_enum(o, "reflector_shape", _REFLECTOR_SHAPES)
    if "/configuration/instrument" in h5file:
        if not overwrite:
            raise FileExistsError(f"{h5file.filename}: already holds an instrument description "
                                  "(use overwrite=True)")
        h5file.remove_node("/configuration/instrument", recursive=True)
    _write_layout(h5file, subarray, camera_index, optics_index)
    _write_optics(h5file, optics)
    for index, (geometry, readout) in enumerate(cameras):
        _write_camera(h5file, index, geometry, readout)
    log.debug("wrote subarray %r (%d telescopes, %d cameras, %d optics)", subarray.name, subarray.n_tels,
              len(cameras), len(optics))


def write_subarray(h5file_or_path, subarray, overwrite=False):
    """Write ``subarray`` as the instrument tables of a file.

    Parameters
    ----------
    h5file_or_path : tables.File, HDF5Writer or path-like
        An open writable file, an open writer, or a path. An existing path is opened
        for appending; a new one is created atomically (with minimal provenance).
    subarray : SubarrayDescription
    overwrite : bool
        Replace an instrument description already in the file.

    Raises
    ------
    InstrumentError
        An optics ``size_type`` or ``reflector_shape`` has no ctapipe equivalent (sizes
        LST, MST, SST, UNKNOWN; shapes parabolic, hybrid, davies-cotton,
        schwarzschild-couder, unknown); nothing is written then.
    FileExistsError
        The file already holds an instrument description and ``overwrite`` is False.
    """
    if isinstance(h5file_or_path, HDF5Writer):
        h5file_or_path = h5file_or_path.h5file
    if isinstance(h5file_or_path, tables.File):
        _write_subarray_to(h5file_or_path, subarray, overwrite)
        return
    path = Path(h5file_or_path)
    if path.exists():
        with tables.open_file(str(path), mode="a") as h5file:
            _write_subarray_to(h5file, subarray, overwrite)
        return
    with HDF5Writer(path) as writer:
        _write_subarray_to(writer.h5file, subarray, overwrite)


# ----------------------------------------------------------------------------- reading


def _attr(node, key, default=None):
    attrs = node.attrs
    if key not in attrs._v_attrnamesuser:
        return default
    value = attrs[key]
    return value.item() if isinstance(value, np.generic) else value


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _reference_location(layout):
    lon = _attr(layout, "reference_lon_deg")
    if lon is not None:
        return ReferenceLocation(float(lon), float(_attr(layout, "reference_lat_deg")),
                                 float(_attr(layout, "reference_height_m")))
    if _attr(layout, "reference_itrs_x") is not None:  # ctapipe file: geocentric only
        import astropy.units as u
        from astropy.coordinates import EarthLocation

        location = EarthLocation.from_geocentric(
            *(float(_attr(layout, f"reference_itrs_{c}")) for c in "xyz"), unit=u.m)
        return ReferenceLocation(float(location.lon.deg), float(location.lat.deg), float(location.height.to_value(u.m)))
    log.warning("layout table has no reference location; using lon = lat = height = 0")
    return ReferenceLocation(0.0, 0.0, 0.0)


def _camera_node(h5file, kind, camera_index, file_path):
    template = dm.CAMERA_GEOMETRY_PATH if kind == "geometry" else dm.CAMERA_READOUT_PATH
    path = template.format(camera_index=camera_index)
    if path not in h5file:
        raise InputFileError(file_path, f"has no {kind} table for camera index {camera_index} ({path})")
    return h5file.get_node(path)


def _read_geometry(node):
    rows = node.read()
    return CameraGeometry(
        name=_text(_attr(node, "CAM_ID", "unknown")),
        pix_x=rows["pix_x"], pix_y=rows["pix_y"], pix_area=rows["pix_area"],
        pix_type=_text(_attr(node, "PIX_TYPE")),
        pix_rotation_deg=float(_attr(node, "PIX_ROT", 0.0)),
        cam_rotation_deg=float(_attr(node, "CAM_ROT", 0.0)),
        pix_id=rows["pix_id"],
    )


def _read_readout(node):
    rows = node.read()
    n_channels = int(_attr(node, "NCHAN"))
    return CameraReadout(
        name=_text(_attr(node, "CAM_ID", "unknown")),
        sampling_rate_ghz=float(_attr(node, "SAMPFREQ")),
        n_samples=int(_attr(node, "NSAMPLES")),
        n_channels=n_channels,
        reference_pulse_shape=np.stack([rows[f"reference_pulse_shape_channel{i}"] for i in range(n_channels)]),
        reference_pulse_sample_width_ns=float(_attr(node, "REFWIDTH")),
    )


def _shared(item, known):
    """``item``, or an equal one already in ``known`` (so equal descriptions share one object)."""
    for other in known:
        if same_description(other, item):
            return other
    known.append(item)
    return item


def _optics_from_row(row, names):
    kwargs = dict(
        name=_text(row["optics_name"]),
        size_type=_read_enum(_text(row["size_type"]), "size_type", _SIZE_TYPES_READ, "UNKNOWN"),
        reflector_shape=_read_enum(_text(row["reflector_shape"]), "reflector_shape", _REFLECTOR_SHAPES_READ,
                                   "unknown"),
        mirror_area_m2=float(row["mirror_area"]),
        n_mirrors=int(row["n_mirrors"]),
        n_mirror_tiles=int(row["n_mirror_tiles"]),
        equivalent_focal_length_m=float(row["equivalent_focal_length"]),
        effective_focal_length_m=float(row["effective_focal_length"]),
    )
    # iactpipe additions, absent from ctapipe files
    if "psf_sigma" in names:
        kwargs["psf_sigma_deg"] = float(row["psf_sigma"])
    if "focal_length_choice" in names:
        kwargs["focal_length_choice"] = _text(row["focal_length_choice"])
    return OpticsDescription(**kwargs)


def _read_optics(h5file):
    rows = h5file.get_node(dm.OPTICS_PATH).read()
    return [_optics_from_row(row, rows.dtype.names) for row in rows]


def _read_subarray_from(h5file, file_path):
    if dm.SUBARRAY_LAYOUT_PATH not in h5file or dm.OPTICS_PATH not in h5file:
        raise InputFileError(file_path, "has no instrument description "
                                        f"({dm.SUBARRAY_LAYOUT_PATH} and {dm.OPTICS_PATH})")
    layout_node = h5file.get_node(dm.SUBARRAY_LAYOUT_PATH)
    layout = layout_node.read()
    for column in ("camera_index", "optics_index"):
        if column not in layout.dtype.names:
            raise InputFileError(file_path, f"layout table has no {column} column (unsupported old format)")
    # our "name" is ctapipe's "type_optics_camera" string, which ctapipe keeps in tel_description
    name_column = "name" if _attr(layout_node, "IACTPIPE_SCHEMA") else "tel_description"
    optics = _read_optics(h5file)
    if len(layout) and (layout["optics_index"].min() < 0 or layout["optics_index"].max() >= len(optics)):
        raise InputFileError(file_path, "layout optics_index points outside the optics table")
    # camera tables are numbered; equal geometries/readouts (e.g. one geometry with two
    # different readouts) are shared, as the sim_telarray reader shares them
    geometries, readouts, cameras, telescopes = [], [], {}, {}
    descriptions = []
    for row in layout:
        camera_index = int(row["camera_index"])
        if camera_index not in cameras:
            geometry = _read_geometry(_camera_node(h5file, "geometry", camera_index, file_path))
            readout = _read_readout(_camera_node(h5file, "readout", camera_index, file_path))
            cameras[camera_index] = (_shared(geometry, geometries), _shared(readout, readouts))
        geometry, readout = cameras[camera_index]
        tel = TelescopeDescription(name=_text(row[name_column]), tel_type=_text(row["type"]),
                                   optics=optics[int(row["optics_index"])], camera=geometry, readout=readout)
        descriptions.append(_shared(tel, telescopes.setdefault(tel.name, [])))  # one object per type
    name = _attr(layout_node, "name", _attr(layout_node, "SUBARRAY", "unknown"))
    return SubarrayDescription(
        name=_text(name),
        tel_ids=layout["tel_id"],
        positions_m=np.column_stack([layout["pos_x"], layout["pos_y"], layout["pos_z"]]).astype(np.float64),
        telescopes=descriptions,
        reference_location=_reference_location(layout_node),
    )


def read_subarray_hdf5(path):
    """Read the `SubarrayDescription` stored in an iactpipe (or ctapipe) HDF5 file.

    Telescopes, optics, geometries and readouts equal in content share one object, as
    when read from sim_telarray. Of ctapipe files, the telescope name is taken from
    ``tel_description`` (``<size>_<optics>_<camera>``), ``tel_type`` from ``type`` (the
    size type), and ctapipe's enum names are mapped to ours (``HYBRID`` -> ``hybrid``).

    Parameters
    ----------
    path : path-like or tables.File

    Returns
    -------
    SubarrayDescription

    Raises
    ------
    InputFileError
        Unusable file, or no instrument description in it.
    """
    if isinstance(path, tables.File):
        return _read_subarray_from(path, path.filename)
    with open_hdf5(path) as h5file:
        return _read_subarray_from(h5file, path)
