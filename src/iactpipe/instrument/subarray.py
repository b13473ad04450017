"""A subarray: which telescopes stand where, and of which type."""
import numbers
from dataclasses import dataclass, fields, is_dataclass

import numpy as np

from ..errors import InstrumentError
from .telescope import TelescopeDescription

__all__ = ["ReferenceLocation", "SubarrayDescription", "same_description", "distinct_descriptions"]


def _same_array(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def same_description(a, b):
    """True if two instrument descriptions are the same object or have equal content.

    Content equality compares every dataclass field (names included), recursively:
    arrays element-wise, floats with NaN equal to NaN, tuples item by item. Works for
    `OpticsDescription`, `CameraGeometry`, `CameraReadout`, `TelescopeDescription` and
    tuples of them. Telescopes or cameras that merely share a name are *not* the same.
    """
    if a is b:
        return True
    if is_dataclass(a) and not isinstance(a, type):
        if type(a) is not type(b):
            return False
        return all(same_description(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)
                and all(same_description(x, y) for x, y in zip(a, b)))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _same_array(a, b)
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) and not isinstance(a, bool):
        return bool(a == b or (np.isnan(a) and np.isnan(b)))
    return bool(a == b)


def distinct_descriptions(items):
    """Distinct items (by identity, then `same_description`) in order of first appearance.

    Parameters
    ----------
    items : iterable
        Descriptions (or tuples of descriptions).

    Returns
    -------
    distinct : list
        The first item of each group of equal items.
    index : list of int
        For each input item, the position of its group in ``distinct``.
    """
    distinct, index, by_id = [], [], {}
    for item in items:
        # by_id keeps each item alive, so an id is never reused by another object meanwhile
        found = by_id.get(id(item), (None, None))[1]
        if found is None:
            found = next((i for i, known in enumerate(distinct) if same_description(known, item)), None)
            if found is None:
                found = len(distinct)
                distinct.append(item)
            by_id[id(item)] = (item, found)
        index.append(found)
    return distinct, index


@dataclass(frozen=True)
class ReferenceLocation:
    """Geodetic origin of the array's ground frame.

    Parameters
    ----------
    lon_deg, lat_deg : float
        Geodetic longitude and latitude (WGS84), deg.
    height_m : float
        Height above the ellipsoid of the ground frame's origin (observation level), m.
    """

    lon_deg: float
    lat_deg: float
    height_m: float

    def to_earth_location(self):
        """The location as an `astropy.coordinates.EarthLocation`."""
        import astropy.units as u
        from astropy.coordinates import EarthLocation

        return EarthLocation(lon=self.lon_deg * u.deg, lat=self.lat_deg * u.deg, height=self.height_m * u.m)


@dataclass(frozen=True, eq=False)
class SubarrayDescription:
    """Telescopes of an array with their ground positions.

    Ground frame: x towards geographic North, y towards West, z up, origin at the
    reference location (ctapipe's ``GroundFrame``); metres.

    Parameters
    ----------
    name : str
        Array name.
    tel_ids : ndarray of int, shape (n_tels,)
        Telescope identifiers (unique, positive).
    positions_m : ndarray of shape (n_tels, 3)
        Telescope positions in the ground frame, m.
    telescopes : tuple of TelescopeDescription, length n_tels
        Telescope type of each telescope, in the order of ``tel_ids``.
    reference_location : ReferenceLocation
        Origin of the ground frame.
    """

    name: str
    tel_ids: np.ndarray
    positions_m: np.ndarray
    telescopes: tuple
    reference_location: ReferenceLocation

    def __post_init__(self):
        tel_ids = np.asarray(self.tel_ids, dtype=np.int16)
        positions = np.asarray(self.positions_m, dtype=np.float64).reshape(-1, 3)
        telescopes = tuple(self.telescopes)
        if not (len(tel_ids) == len(positions) == len(telescopes)):
            raise InstrumentError(f"subarray {self.name!r}: tel_ids, positions and telescopes differ in length")
        if len(np.unique(tel_ids)) != len(tel_ids) or np.any(tel_ids <= 0):
            raise InstrumentError(f"subarray {self.name!r}: telescope ids must be unique and positive")
        if not all(isinstance(t, TelescopeDescription) for t in telescopes):
            raise InstrumentError(f"subarray {self.name!r}: telescopes must be TelescopeDescription objects")
        order = np.argsort(tel_ids)
        tel_ids, positions = tel_ids[order], positions[order]
        telescopes = tuple(telescopes[i] for i in order)
        for arr in (tel_ids, positions):
            arr.setflags(write=False)
        object.__setattr__(self, "tel_ids", tel_ids)
        object.__setattr__(self, "positions_m", positions)
        object.__setattr__(self, "telescopes", telescopes)

    @property
    def n_tels(self):
        """Number of telescopes."""
        return len(self.tel_ids)

    def tel_index(self, tel_id):
        """Row of ``tel_id`` in the per-telescope arrays."""
        index = np.searchsorted(self.tel_ids, tel_id)
        if index >= len(self.tel_ids) or self.tel_ids[index] != tel_id:
            raise InstrumentError(f"subarray {self.name!r} has no telescope {tel_id}")
        return int(index)

    def telescope(self, tel_id):
        """The `TelescopeDescription` of ``tel_id``."""
        return self.telescopes[self.tel_index(tel_id)]

    def position(self, tel_id):
        """Ground position (x, y, z) of ``tel_id``, m."""
        return self.positions_m[self.tel_index(tel_id)]

    @property
    def telescope_types(self):
        """Distinct telescope descriptions, in order of first appearance.

        Telescopes are the same type if they share one `TelescopeDescription` object or
        their descriptions are equal in content (name, class, optics, camera geometry and
        readout; see `same_description`). Descriptions are *not* merged by name: in prod6,
        LST-1 and LST-2..4 are both ``LST_LST_LSTCam`` but differ in optics and reference
        pulse, so they are two entries here.
        """
        return tuple(distinct_descriptions(self.telescopes)[0])

    @property
    def camera_types(self):
        """Distinct camera geometries, in order of first appearance.

        Geometries are the same if they are one object or equal in content (see
        `same_description`); two different geometries with the same name are two entries.
        """
        return tuple(distinct_descriptions(tel.camera for tel in self.telescopes)[0])

    def tel_ids_of_type(self, type_name):
        """Telescope ids whose telescope description is named ``type_name``.

        Selects by name, so all descriptions sharing that name (e.g. LST-1 and LST-2..4 of
        prod6, distinct in `telescope_types`) are included.
        """
        return np.array([tid for tid, tel in zip(self.tel_ids, self.telescopes) if tel.name == type_name],
                        dtype=np.int16)

    def select(self, tel_ids, name=None):
        """A new subarray with only ``tel_ids`` (in the given set)."""
        rows = [self.tel_index(tid) for tid in tel_ids]
        return SubarrayDescription(
            name=name or self.name,
            tel_ids=self.tel_ids[rows],
            positions_m=self.positions_m[rows],
            telescopes=[self.telescopes[i] for i in rows],
            reference_location=self.reference_location,
        )

    def footprint_km2(self):
        """Area of the convex hull of the telescope positions, km² (0 for fewer than 3 telescopes)."""
        if self.n_tels < 3:
            return 0.0
        from scipy.spatial import ConvexHull

        return float(ConvexHull(self.positions_m[:, :2]).volume / 1e6)

    def __repr__(self):
        counts = {}
        for tel in self.telescopes:
            counts[tel.name] = counts.get(tel.name, 0) + 1
        return f"SubarrayDescription({self.name!r}, n_tels={self.n_tels}, types={counts})"
