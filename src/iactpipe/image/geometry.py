"""Camera pixel layout expressed as field-of-view angles (telescope frame).

Everything the image-parameter kernels need about one camera type is computed once
here and kept in a frozen `CameraAngles`.
"""
from dataclasses import dataclass

import numpy as np

from ..coordinates import camera_to_telescope
from ..instrument.camera import PixelShape

__all__ = ["CameraAngles", "camera_angles", "border_pixel_masks", "pixel_width_from_area"]


@dataclass(frozen=True, eq=False)
class CameraAngles:
    """Per-camera constants for cleaning and parametrisation in the telescope frame.

    Attributes
    ----------
    camera_name : str
    focal_length_m : float
        Focal length used for the camera → telescope mapping, m.
    pix_type : str
        ``"hexagon"``, ``"square"`` or ``"circle"``.
    fov_lon_deg, fov_lat_deg : ndarray (n_pix,) float64
        Pixel centres, deg (linear mapping, camera ``y`` → lon, ``x`` → lat).
    pix_area_deg2 : ndarray (n_pix,) float64
        Pixel areas scaled to the telescope frame, deg² (``area · (180/π/f)²``).
    pixel_width_deg : ndarray (n_pix,) float64
        Per-pixel width derived from the angular area: in-circle diameter for
        hexagons, edge for squares, diameter for circles.
    neighbor_indptr, neighbor_indices : ndarray int32
        Pixel adjacency, CSR.
    border_width_1, border_width_2 : ndarray (n_pix,) bool
        Camera-edge masks used by the leakage parameters. Width 1: pixels with fewer
        neighbours than the best-connected pixel. Width ``k>1``: pixels having at
        least one neighbour in the width ``k-1`` border.
    """

    camera_name: str
    focal_length_m: float
    pix_type: str
    fov_lon_deg: np.ndarray
    fov_lat_deg: np.ndarray
    pix_area_deg2: np.ndarray
    pixel_width_deg: np.ndarray
    neighbor_indptr: np.ndarray
    neighbor_indices: np.ndarray
    border_width_1: np.ndarray
    border_width_2: np.ndarray

    @property
    def n_pixels(self):
        """Number of pixels."""
        return len(self.fov_lon_deg)

    @property
    def neighbors(self):
        """``(indptr, indices)`` CSR tuple, as accepted by the cleaning functions."""
        return self.neighbor_indptr, self.neighbor_indices


def pixel_width_from_area(area, pix_type):
    """Pixel width from its area for the given shape (see `CameraAngles.pixel_width_deg`)."""
    area = np.asarray(area, dtype=np.float64)
    shape = PixelShape.from_string(pix_type)
    if shape is PixelShape.HEXAGON:
        return 2.0 * np.sqrt(area / (2.0 * np.sqrt(3.0)))
    if shape is PixelShape.SQUARE:
        return np.sqrt(area)
    return 2.0 * np.sqrt(area / np.pi)


def border_pixel_masks(indptr, indices, max_width=2):
    """Border masks of width 1..max_width (list of bool arrays), see `CameraAngles`."""
    indptr = np.asarray(indptr)
    indices = np.asarray(indices)
    n_pix = len(indptr) - 1
    n_neighbors = np.diff(indptr)
    masks = [n_neighbors < n_neighbors.max()]
    rows = np.repeat(np.arange(n_pix), n_neighbors)
    for _ in range(1, max_width):
        previous = masks[-1]
        mask = np.zeros(n_pix, dtype=bool)
        mask[rows[previous[indices]]] = True
        masks.append(mask)
    return masks


def _readonly(array):
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def camera_angles(geometry, focal_length_m):
    """Precompute the telescope-frame description of a camera.

    Parameters
    ----------
    geometry : iactpipe.instrument.CameraGeometry
        Camera geometry (camera frame, m).
    focal_length_m : float
        Focal length for the linear camera → telescope mapping, m.

    Returns
    -------
    CameraAngles
    """
    focal_length_m = float(focal_length_m)
    fov_lon, fov_lat = camera_to_telescope(geometry.pix_x, geometry.pix_y, focal_length_m,
                                           rotation_deg=geometry.cam_rotation_deg)
    scale = np.rad2deg(1.0) / focal_length_m
    area = np.asarray(geometry.pix_area, dtype=np.float64) * scale**2
    neighbors = geometry.neighbors
    indptr = np.asarray(neighbors.indptr, dtype=np.int32)
    indices = np.asarray(neighbors.indices, dtype=np.int32)
    border1, border2 = border_pixel_masks(indptr, indices, 2)
    return CameraAngles(
        camera_name=geometry.name,
        focal_length_m=focal_length_m,
        pix_type=PixelShape.from_string(geometry.pix_type).value,
        fov_lon_deg=_readonly(np.asarray(fov_lon, dtype=np.float64)),
        fov_lat_deg=_readonly(np.asarray(fov_lat, dtype=np.float64)),
        pix_area_deg2=_readonly(area),
        pixel_width_deg=_readonly(pixel_width_from_area(area, geometry.pix_type)),
        neighbor_indptr=_readonly(indptr),
        neighbor_indices=_readonly(indices),
        border_width_1=_readonly(border1),
        border_width_2=_readonly(border2),
    )
