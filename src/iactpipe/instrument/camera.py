"""Camera geometry: where the pixels are, how big they are and who their neighbours are.

Positions are in the camera frame, in metres, as seen looking at the camera from the
mirror (the convention ctapipe's ``CameraFrame`` uses). Geometries are stored
*de-rotated*: any camera rotation read from a file is folded into the pixel positions and
the pixel rotation, so ``cam_rotation_deg`` is 0 for every built-in and file-read camera.
"""
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import NamedTuple

import numpy as np

from ..errors import InstrumentError

__all__ = ["PixelShape", "Neighbors", "CameraGeometry", "compute_neighbors"]


class PixelShape(str, Enum):
    """Shape of a pixel's light-sensitive area."""

    HEXAGON = "hexagon"
    SQUARE = "square"
    CIRCLE = "circle"

    @classmethod
    def from_string(cls, value):
        """Accept ``hexagon``/``hex``, ``square``/``rectangle``, ``circle`` (any case)."""
        if isinstance(value, cls):
            return value
        aliases = {"hex": "hexagon", "hexagonal": "hexagon", "rectangle": "square", "rect": "square"}
        text = str(value).strip().lower()
        text = aliases.get(text, text)
        try:
            return cls(text)
        except ValueError:
            raise InstrumentError(f"unknown pixel shape {value!r}; expected one of "
                                  f"{[s.value for s in cls]}") from None


class Neighbors(NamedTuple):
    """Pixel adjacency in compressed-sparse-row form, ready for numba kernels.

    The neighbours of pixel ``i`` are ``indices[indptr[i]:indptr[i + 1]]``, sorted.
    """

    indptr: np.ndarray
    indices: np.ndarray


def compute_neighbors(pix_x, pix_y, pix_type, diagonal=False, radius_factor=None):
    """Find the neighbours of every pixel from the pixel centres.

    Two pixels are neighbours when their centre distance is at most ``radius_factor``
    times the smallest centre distance in the camera (1.4 by default, 1.95 for square
    pixels with ``diagonal=True``). Camera-wide (not per-pixel) scaling is what keeps
    pixels across a module gap wider than 40 % of the pitch apart, as in the real
    cameras' analysis.

    Parameters
    ----------
    pix_x, pix_y : ndarray of shape (n_pixels,)
        Pixel centres (any length unit; only ratios matter).
    pix_type : PixelShape
        Hexagonal pixels have at most 6 neighbours, square ones 4 (8 with ``diagonal``).
    diagonal : bool
        For square pixels, also count the diagonal pixels.
    radius_factor : float or None
        Override the distance threshold in units of the minimal pixel distance.

    Returns
    -------
    Neighbors
        CSR arrays (int32 ``indptr`` of length n_pixels + 1 and int32 ``indices``).
    """
    from scipy.spatial import cKDTree

    pix_type = PixelShape.from_string(pix_type)
    points = np.column_stack([np.asarray(pix_x, float), np.asarray(pix_y, float)])
    n_pixels = len(points)
    if n_pixels < 2:
        return Neighbors(np.zeros(n_pixels + 1, np.int32), np.zeros(0, np.int32))
    if pix_type is PixelShape.SQUARE:
        max_neighbors, default_factor = (8, 1.95) if diagonal else (4, 1.4)
    else:
        max_neighbors, default_factor = 6, 1.4
    factor = default_factor if radius_factor is None else float(radius_factor)

    tree = cKDTree(points)
    k = min(max_neighbors + 1, n_pixels)
    distances, candidates = tree.query(points, k=k)
    min_distance = distances[:, 1].min()
    if not min_distance > 0:
        raise InstrumentError("two pixels share the same centre; cannot build neighbours")
    is_neighbor = (distances <= factor * min_distance) & (candidates != np.arange(n_pixels)[:, None])

    # symmetrise: k-nearest queries can in rare ties keep i->j but not j->i
    rows = np.repeat(np.arange(n_pixels), k)[is_neighbor.ravel()]
    cols = candidates.ravel()[is_neighbor.ravel()]
    pairs = np.unique(np.concatenate([rows * n_pixels + cols, cols * n_pixels + rows]))
    rows, cols = np.divmod(pairs, n_pixels)
    indptr = np.zeros(n_pixels + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n_pixels), out=indptr[1:])
    return Neighbors(indptr, cols.astype(np.int32))


@dataclass(frozen=True, eq=False)
class CameraGeometry:
    """Pixel layout of a camera.

    Parameters
    ----------
    name : str
        Camera name, e.g. ``"LSTCam"``.
    pix_x, pix_y : ndarray of shape (n_pixels,)
        Pixel centres in the camera frame, m.
    pix_area : ndarray of shape (n_pixels,)
        Light-sensitive area of each pixel, m².
    pix_type : PixelShape
        Pixel shape.
    pix_rotation_deg : float
        Rotation of the pixel polygons, deg (0 = hexagon with a vertex pointing along +y,
        i.e. "pointy-top"; 30 = "flat-top"; 0 = axis-aligned square).
    cam_rotation_deg : float
        Rotation of the whole camera, deg. 0 for de-rotated geometries.
    pix_id : ndarray of shape (n_pixels,), optional
        Pixel identifiers, ``arange(n_pixels)`` by default.
    """

    name: str
    pix_x: np.ndarray
    pix_y: np.ndarray
    pix_area: np.ndarray
    pix_type: PixelShape
    pix_rotation_deg: float = 0.0
    cam_rotation_deg: float = 0.0
    pix_id: np.ndarray = field(default=None)

    def __post_init__(self):
        pix_x = np.ascontiguousarray(self.pix_x, dtype=np.float64)
        pix_y = np.ascontiguousarray(self.pix_y, dtype=np.float64)
        pix_area = np.ascontiguousarray(np.broadcast_to(self.pix_area, pix_x.shape), dtype=np.float64)
        if pix_x.ndim != 1 or pix_x.shape != pix_y.shape:
            raise InstrumentError(f"camera {self.name!r}: pix_x and pix_y must be 1-d arrays of equal length")
        if len(pix_x) == 0:
            raise InstrumentError(f"camera {self.name!r}: no pixels")
        if not (np.all(np.isfinite(pix_x)) and np.all(np.isfinite(pix_y))):
            raise InstrumentError(f"camera {self.name!r}: non-finite pixel position")
        if np.any(pix_area <= 0):
            raise InstrumentError(f"camera {self.name!r}: pixel areas must be positive")
        pix_id = np.arange(len(pix_x), dtype=np.int32) if self.pix_id is None else np.asarray(self.pix_id, np.int32)
        if pix_id.shape != pix_x.shape:
            raise InstrumentError(f"camera {self.name!r}: pix_id has the wrong length")
        for name, value in (("pix_x", pix_x), ("pix_y", pix_y), ("pix_area", pix_area), ("pix_id", pix_id)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "pix_type", PixelShape.from_string(self.pix_type))
        object.__setattr__(self, "pix_rotation_deg", float(self.pix_rotation_deg))
        object.__setattr__(self, "cam_rotation_deg", float(self.cam_rotation_deg))

    @property
    def n_pixels(self):
        """Number of pixels."""
        return len(self.pix_x)

    @cached_property
    def neighbors(self):
        """Pixel adjacency as CSR arrays (`Neighbors`), 4-connectivity for square pixels."""
        return compute_neighbors(self.pix_x, self.pix_y, self.pix_type)

    @cached_property
    def n_neighbors(self):
        """Number of neighbours of each pixel, ndarray of int."""
        return np.diff(self.neighbors.indptr)

    @cached_property
    def pixel_pitch(self):
        """Median distance between each pixel centre and its nearest neighbour, m."""
        from scipy.spatial import cKDTree

        if self.n_pixels < 2:
            return float(np.sqrt(self.pix_area[0]))
        distances, _ = cKDTree(np.column_stack([self.pix_x, self.pix_y])).query(
            np.column_stack([self.pix_x, self.pix_y]), k=2)
        return float(np.median(distances[:, 1]))

    @property
    def pixel_width(self):
        """Median pixel size, m: flat-to-flat for hexagons, side for squares, diameter for circles."""
        area = float(np.median(self.pix_area))
        if self.pix_type is PixelShape.HEXAGON:
            return float(np.sqrt(2.0 * area / np.sqrt(3.0)))
        if self.pix_type is PixelShape.CIRCLE:
            return float(2.0 * np.sqrt(area / np.pi))
        return float(np.sqrt(area))

    @property
    def camera_radius(self):
        """Distance of the outermost pixel edge from the camera centre, m (centre + half pitch)."""
        return float(np.max(np.hypot(self.pix_x, self.pix_y)) + 0.5 * self.pixel_pitch)

    def fov_diameter_deg(self, focal_length_m):
        """Outer field-of-view diameter, deg: ``2 (r_max + pitch/2) / f`` in the linear mapping."""
        return float(np.rad2deg(2.0 * self.camera_radius / focal_length_m))

    def fov_area_equivalent_deg(self, focal_length_m):
        """Diameter of the circle with the summed pixel area, converted to deg."""
        radius = np.sqrt(self.pix_area.sum() / np.pi)
        return float(np.rad2deg(2.0 * radius / focal_length_m))

    def pixel_pitch_deg(self, focal_length_m):
        """Pixel pitch as an angle, deg."""
        return float(np.rad2deg(self.pixel_pitch / focal_length_m))

    def to_angles(self, focal_length_m):
        """Pixel centres as field-of-view offsets in the telescope frame.

        Uses the linear mapping of `iactpipe.coordinates.camera_to_telescope`.

        Parameters
        ----------
        focal_length_m : float
            Focal length to use (effective if known, else equivalent), m.

        Returns
        -------
        fov_lon_deg, fov_lat_deg : ndarray
            Pixel centres in the telescope frame, deg.
        """
        from ..coordinates import camera_to_telescope

        return camera_to_telescope(self.pix_x, self.pix_y, focal_length_m)

    def rotated(self, angle_deg):
        """Return a copy with the pixel positions and the pixel rotation turned by ``angle_deg``."""
        angle = np.deg2rad(angle_deg)
        cos, sin = np.cos(angle), np.sin(angle)
        return CameraGeometry(
            name=self.name,
            pix_x=cos * self.pix_x - sin * self.pix_y,
            pix_y=sin * self.pix_x + cos * self.pix_y,
            pix_area=self.pix_area,
            pix_type=self.pix_type,
            pix_rotation_deg=(self.pix_rotation_deg + angle_deg),
            cam_rotation_deg=self.cam_rotation_deg,
            pix_id=self.pix_id,
        )

    def summary(self, focal_length_m=None):
        """A dict of the numbers an analyst checks first (pixel count, pitch, FoV)."""
        out = {
            "name": self.name,
            "n_pixels": self.n_pixels,
            "pix_type": self.pix_type.value,
            "pixel_width_mm": 1e3 * self.pixel_width,
            "pixel_pitch_mm": 1e3 * self.pixel_pitch,
        }
        if focal_length_m is not None:
            out["pixel_pitch_deg"] = self.pixel_pitch_deg(focal_length_m)
            out["fov_deg"] = self.fov_diameter_deg(focal_length_m)
        return out

    def __repr__(self):
        return (f"CameraGeometry(name={self.name!r}, n_pixels={self.n_pixels}, "
                f"pix_type={self.pix_type.value!r}, pix_rotation_deg={self.pix_rotation_deg:.3f})")
