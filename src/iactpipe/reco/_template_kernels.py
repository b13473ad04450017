"""numba kernel of the template generation (`iactpipe.reco.templates`)."""
import numpy as np
from numba import njit

from ..env import NUMBA_CACHE


@njit(cache=NUMBA_CACHE, nogil=True)
def bin_photoelectrons(indptr, lon_deg, lat_deg, axis, bin_index, x0, y0, h, counts):
    """Add photoelectrons to their (bin, x, y) histogram cell in the shower system.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_tel + 1,)
        Photoelectrons of telescope ``j`` are ``indptr[j]:indptr[j + 1]``.
    lon_deg, lat_deg : ndarray of float64, shape (n_pe,)
        Field-of-view position of each photoelectron, deg.
    axis : ndarray of float64, shape (n_tel, 2)
        Unit image axis of each telescope in (lon, lat).
    bin_index : ndarray of int64, shape (n_tel,)
        First index of ``counts`` for each telescope.
    x0, y0, h : float
        Centre of the first x and y cell and cell size, deg.
    counts : ndarray of int64, shape (n_bins, n_x, n_y)
        Incremented in place; photoelectrons outside the grid are dropped.
    """
    n_x = counts.shape[1]
    n_y = counts.shape[2]
    for j in range(indptr.size - 1):
        ux = axis[j, 0]
        uy = axis[j, 1]
        b = bin_index[j]
        for k in range(indptr[j], indptr[j + 1]):
            x = lon_deg[k] * ux + lat_deg[k] * uy
            y = -lon_deg[k] * uy + lat_deg[k] * ux
            ix = np.rint((x - x0) / h)
            iy = np.rint((y - y0) / h)
            if 0 <= ix < n_x and 0 <= iy < n_y:
                counts[b, int(ix), int(iy)] += 1
