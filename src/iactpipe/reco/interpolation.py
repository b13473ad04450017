"""N-dimensional multilinear interpolation on rectilinear grids (numba), for the image templates.

`GridInterpolator` wraps a table of values on the nodes of a rectilinear grid (any number
of dimensions up to 8, non-uniform node spacing allowed) and interpolates it
multilinearly, `2^N` table reads per point. Outside the grid the nearest edge value is
used per axis (constant extrapolation). The kernels are in
`iactpipe.reco._interpolation_kernels`.
"""
import numpy as np

from ..errors import ConfigurationError
from ._interpolation_kernels import MAX_DIMS, interpolate_points

__all__ = ["GridInterpolator", "flat_axes"]


def flat_axes(axes):
    """Concatenated node arrays and their offsets, as the kernels take them.

    Parameters
    ----------
    axes : sequence of array_like
        Node coordinates per dimension, each strictly increasing.

    Returns
    -------
    flat : ndarray of float64
    ptr : ndarray of int64, shape (N + 1,)
    """
    arrays = [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in axes]
    for d, a in enumerate(arrays):
        if a.size < 1 or not np.all(np.isfinite(a)) or np.any(np.diff(a) <= 0):
            raise ConfigurationError(f"interpolation axis {d}: nodes must be finite and strictly increasing")
    ptr = np.zeros(len(arrays) + 1, np.int64)
    ptr[1:] = np.cumsum([a.size for a in arrays])
    return np.concatenate(arrays), ptr


class GridInterpolator:
    """Multilinear interpolation of values tabulated on a rectilinear N-d grid.

    Parameters
    ----------
    axes : sequence of array_like
        Node coordinates of each dimension (strictly increasing; a single node makes that
        dimension constant).
    values : array_like, shape (len(axes[0]), len(axes[1]), ...)
        Table values (float32 or float64 kept; anything else converted to float64).

    Examples
    --------
    >>> interp = GridInterpolator([[0, 1], [0, 2]], [[0, 2], [1, 3]])
    >>> float(interp([[0.5, 1.0]])[0])
    1.5
    """

    def __init__(self, axes, values):
        values = np.asarray(values)
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        self.axes = [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in axes]
        if len(self.axes) > MAX_DIMS or len(self.axes) < 1:
            raise ConfigurationError(f"interpolation supports 1 to {MAX_DIMS} dimensions, got {len(self.axes)}")
        shape = tuple(a.size for a in self.axes)
        if values.shape != shape:
            raise ConfigurationError(f"interpolation table has shape {values.shape}, axes give {shape}")
        self.flat_axes, self.axis_ptr = flat_axes(self.axes)
        self.values = np.ascontiguousarray(values)
        self.table = self.values.reshape(-1)
        self.strides = np.array(self.values.strides, np.int64) // self.values.itemsize

    @property
    def ndim(self):
        """Number of dimensions."""
        return len(self.axes)

    def __call__(self, points):
        """Interpolated values at ``points``.

        Parameters
        ----------
        points : array_like, shape (n_points, N) or (N,)
            Coordinates in the units of the axes.

        Returns
        -------
        ndarray of float64, shape (n_points,)
        """
        pts = np.ascontiguousarray(np.atleast_2d(np.asarray(points, dtype=np.float64)))
        if pts.shape[1] != self.ndim:
            raise ValueError(f"points must have {self.ndim} coordinates, got {pts.shape[1]}")
        out = np.empty(pts.shape[0])
        interpolate_points(self.table, self.flat_axes, self.axis_ptr, self.strides, pts, out)
        return out
