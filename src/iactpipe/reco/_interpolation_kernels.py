"""Numba kernels of N-dimensional multilinear interpolation on rectilinear grids.

A table of ``N`` dimensions is stored flat (C order) with its per-axis node coordinates
concatenated in ``axes`` (``axes[axis_ptr[d]:axis_ptr[d+1]]`` are the strictly increasing
nodes of dimension ``d``) and its element ``strides`` (in elements, not bytes). Outside
the grid the value of the nearest edge is used (constant extrapolation, per axis).

Multilinear interpolation is exact for every function that is linear in each coordinate
separately (``f = Π_d (a_d + b_d x_d)`` and sums of such terms); for a smooth function the
error is bounded by ``Σ_d h_d² max|∂²f/∂x_d²| / 8`` (``h_d``: node spacing of axis ``d``).

The public API is `iactpipe.reco.interpolation`; the template-fit kernels use `locate`
and the specialised `bilinear_on_stack` directly.
"""
import numpy as np
from numba import njit

from ..env import NUMBA_CACHE

__all__ = ["locate", "interpolate_nd_kernel", "interpolate_points"]

#: Largest number of dimensions supported by the generic kernel.
MAX_DIMS = 8


@njit(cache=NUMBA_CACHE, error_model="numpy")
def locate(nodes, x):
    """Cell and fractional position of ``x`` on the increasing ``nodes``.

    Parameters
    ----------
    nodes : ndarray of float64, shape (n,)
        Strictly increasing node coordinates, ``n >= 1``.
    x : float
        Coordinate (any unit, the unit of ``nodes``).

    Returns
    -------
    index : int
        Lower node of the cell, ``0 <= index <= n - 2`` (0 for ``n == 1``).
    frac : float
        Weight of the upper node, in ``[0, 1]`` (clamped outside the grid; 0 for ``n == 1``
        or a NaN ``x``).
    """
    n = nodes.shape[0]
    if n < 2 or not (x == x):
        return 0, 0.0
    if x <= nodes[0]:
        return 0, 0.0
    if x >= nodes[n - 1]:
        return n - 2, 1.0
    lo = 0
    hi = n - 1
    while hi - lo > 1:  # bisection: nodes[lo] <= x < nodes[hi]
        mid = (lo + hi) >> 1
        if nodes[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo, (x - nodes[lo]) / (nodes[lo + 1] - nodes[lo])


@njit(cache=NUMBA_CACHE, error_model="numpy")
def interpolate_nd_kernel(table, axes, axis_ptr, strides, point):
    """Multilinear interpolation of a flat N-d table at one point.

    Parameters
    ----------
    table : ndarray of float32 or float64, shape (size,)
        Table values, flattened in C order.
    axes : ndarray of float64
        Concatenated node coordinates of all dimensions.
    axis_ptr : ndarray of int64, shape (N + 1,)
        Offsets of each dimension's nodes in ``axes``.
    strides : ndarray of int64, shape (N,)
        Element strides of the dimensions in ``table``.
    point : ndarray of float64, shape (N,)
        Coordinates of the point (units of the axes).

    Returns
    -------
    float
        Interpolated value (2^N table reads).
    """
    ndim = strides.shape[0]
    base = 0
    index = np.empty(MAX_DIMS, np.int64)
    frac = np.empty(MAX_DIMS, np.float64)
    single = np.empty(MAX_DIMS, np.bool_)
    for d in range(ndim):
        nodes = axes[axis_ptr[d]:axis_ptr[d + 1]]
        i, f = locate(nodes, point[d])
        index[d] = i
        frac[d] = f
        single[d] = nodes.shape[0] < 2
        base += i * strides[d]
    total = 0.0
    for corner in range(1 << ndim):
        w = 1.0
        offset = base
        skip = False
        for d in range(ndim):
            if (corner >> d) & 1:
                if single[d]:
                    skip = True
                    break
                w *= frac[d]
                offset += strides[d]
            else:
                w *= 1.0 - frac[d]
        if skip or w == 0.0:
            continue
        total += w * table[offset]
    return total


@njit(cache=NUMBA_CACHE, error_model="numpy")
def interpolate_points(table, axes, axis_ptr, strides, points, out):
    """`interpolate_nd_kernel` at many points.

    Parameters
    ----------
    table, axes, axis_ptr, strides
        As `interpolate_nd_kernel`.
    points : ndarray of float64, shape (n_points, N)
        Coordinates.
    out : ndarray of float64, shape (n_points,)
        Filled with the interpolated values.
    """
    for k in range(points.shape[0]):
        out[k] = interpolate_nd_kernel(table, axes, axis_ptr, strides, points[k])
