"""Lattice arithmetic behind the camera generators in `iactpipe.instrument.cameras`.

Everything here works in units of the pixel pitch, in a *generation frame* where the
hexagonal lattice has neighbours along 0°, 60° and 120° (pointy-top hexagons, pixel
rotation 0). Hexagonal lattice points are addressed by axial coordinates ``(q, r)``:
position ``q * a1 + r * a2`` with ``a1 = (1, 0)`` and ``a2 = (1/2, √3/2)``.

The functions are small and pure; they return float64/int64 numpy arrays.
"""
import numpy as np

__all__ = [
    "SQRT3",
    "NEIGHBOR_OFFSETS",
    "axial_to_xy",
    "hex_distance",
    "hexagon_axial",
    "hexagon_corners_axial",
    "flower_module_layout",
    "sector_module_layout",
    "square_module_layout",
    "circular_module_mask",
    "rotate_xy",
]

SQRT3 = np.sqrt(3.0)

#: Axial offsets of the 6 neighbours of a hexagonal lattice point.
NEIGHBOR_OFFSETS = np.array([(1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1)], dtype=np.int64)

# tolerance for "on the boundary" decisions, in units of the cell coordinates
_EPS = 1e-9


def axial_to_xy(q, r):
    """Cartesian position (pitch units) of axial lattice coordinates."""
    q = np.asarray(q, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    return q + 0.5 * r, 0.5 * SQRT3 * r


def hex_distance(q, r):
    """Number of lattice steps from the origin (the hexagonal "ring" index)."""
    q = np.asarray(q)
    r = np.asarray(r)
    return np.maximum(np.maximum(np.abs(q), np.abs(r)), np.abs(q + r))


def hexagon_axial(radius):
    """Axial coordinates of all lattice points within ``radius`` steps of the origin.

    Returns
    -------
    q, r : ndarray of int64, length ``1 + 3 radius (radius + 1)``
        Ordered by ring, then by angle (deterministic).
    """
    span = np.arange(-radius, radius + 1)
    q, r = (a.ravel() for a in np.meshgrid(span, span, indexing="ij"))
    inside = hex_distance(q, r) <= radius
    q, r = q[inside], r[inside]
    x, y = axial_to_xy(q, r)
    order = np.lexsort((np.round(np.arctan2(y, x), 12), hex_distance(q, r)))
    return q[order], r[order]


def hexagon_corners_axial(radius):
    """The 6 corner points of hexagonal ring ``radius`` (axial coordinates, shape (6, 2))."""
    return radius * NEIGHBOR_OFFSETS


def flower_module_layout(module_rings, drop_corners=True):
    """Pixel-centred lattice tiled by 7-pixel "flower" modules (a pixel and its 6 neighbours).

    Flowers tile the hexagonal lattice when their centres form the super-lattice spanned
    by ``B1 = 2 a1 + a2`` and ``B2 = -a1 + 3 a2`` (``B2`` is ``B1`` turned by 60°): pitch
    √7, turned by ``arctan(√3/5) = 19.107°`` against the pixel lattice. The module
    centres fill a hexagon of ``module_rings`` super-lattice rings around a module at the
    origin, optionally without the hexagon's 6 corner modules.

    Parameters
    ----------
    module_rings : int
        Radius of the module hexagon, in super-lattice steps.
    drop_corners : bool
        Leave out the 6 corner modules of the outermost ring.

    Returns
    -------
    x, y : ndarray
        Pixel centres, pitch units, module by module (7 consecutive pixels per module,
        the module's centre pixel first).
    module : ndarray of int64
        Module index of each pixel.
    """
    mq, mr = hexagon_axial(module_rings)
    if drop_corners and module_rings > 0:
        corners = {tuple(c) for c in hexagon_corners_axial(module_rings)}
        keep = np.array([(a, b) not in corners for a, b in zip(mq, mr)], dtype=bool)
        mq, mr = mq[keep], mr[keep]
    # module centres in pixel-lattice axial coordinates: i*B1 + j*B2
    cq = 2 * mq - mr
    cr = mq + 3 * mr
    offsets = np.vstack([[0, 0], NEIGHBOR_OFFSETS])
    q = (cq[:, None] + offsets[None, :, 0]).ravel()
    r = (cr[:, None] + offsets[None, :, 1]).ravel()
    x, y = axial_to_xy(q, r)
    module = np.repeat(np.arange(len(cq)), len(offsets))
    return x, y, module


def sector_module_layout(modules_per_side, module_scale=2):
    """Vertex-centred lattice tiled by three rhombic sectors of parallelogram modules.

    The camera centre sits on a lattice vertex (shared by 3 pixels). Around it, three
    rhombi, turned by 0°, 120° and 240°, each hold ``modules_per_side`` ×
    ``modules_per_side`` parallelogram modules; together they form a regular hexagon.
    With ``m = module_scale``, a module cell of the first sector is spanned by
    ``u = (m, m)`` and ``v = (-2m, m)`` in axial coordinates: vectors of length √3·m
    along 30° and 150° that enclose ``3 m²`` pixels (12 for m = 2).

    A pixel belongs to module ``(i, j)`` of a sector when its cell coordinates
    ``(a, b)`` (position = a u + b v) satisfy ``i < a <= i + 1`` and ``j <= b < j + 1``.
    This half-open convention makes every lattice point belong to exactly one module
    (the rays between sectors pass through pixel centres) and fixes on which three sides
    of the hexagon the boundary pixels are kept.

    Parameters
    ----------
    modules_per_side : int
        Modules along each side of a sector rhombus.
    module_scale : int
        ``m`` above; a module holds ``3 m²`` pixels.

    Returns
    -------
    x, y : ndarray
        Pixel centres, pitch units (camera centre at the origin), module by module.
    module : ndarray of int64
        Module index of each pixel (``sector * n² + i * n + j``).
    """
    n, m = int(modules_per_side), int(module_scale)
    # candidate lattice big enough for the hexagon (circumradius n * sqrt(3) m)
    span = np.arange(-(2 * n * m + 4), 2 * n * m + 5)
    q, r = (a.ravel() for a in np.meshgrid(span, span, indexing="ij"))
    x, y = axial_to_xy(q, r)
    # put the origin on the vertex at the centre of the downward-pointing triangle of
    # lattice points (0,0), (-1,0), (0,-1); the other vertex kind is the mirror image
    x = x + 0.5
    y = y + 0.5 / SQRT3
    u = np.array(axial_to_xy(m, m))
    v = np.array(axial_to_xy(-2 * m, m))
    xs, ys, modules = [], [], []
    for sector in range(3):
        basis = rotate_xy(np.array([u[0], v[0]]), np.array([u[1], v[1]]), 120.0 * sector)
        a, b = np.linalg.solve(np.array(basis), np.vstack([x, y]))
        i = np.ceil(a - _EPS) - 1
        j = np.floor(b + _EPS)
        inside = (i >= 0) & (i < n) & (j >= 0) & (j < n)
        index = (sector * n * n + i * n + j)[inside].astype(np.int64)
        order = np.argsort(index, kind="stable")
        xs.append(x[inside][order])
        ys.append(y[inside][order])
        modules.append(index[order])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(modules)


def circular_module_mask(n_modules_across, radius_modules):
    """Module-grid mask keeping the modules whose centres lie within a circle.

    Parameters
    ----------
    n_modules_across : int
        Size of the square module grid (``n × n``), centred on the camera.
    radius_modules : float
        Circle radius in units of the module pitch.

    Returns
    -------
    ndarray of bool, shape (n, n)
        ``mask[row, column]``, row 0 at the bottom (most negative y).
    """
    centre = (np.arange(n_modules_across) - 0.5 * (n_modules_across - 1))
    x, y = np.meshgrid(centre, centre, indexing="xy")
    return np.hypot(x, y) <= radius_modules


def square_module_layout(module_mask, module_size, pixel_pitch, module_pitch,
                         curvature_radius=None):
    """Square pixels on square modules placed on a (masked) square module grid.

    Module centres sit on a grid of ``module_pitch`` (projected onto the camera plane).
    Within a module the ``module_size × module_size`` pixels have ``pixel_pitch``. With
    ``curvature_radius`` the modules are flat tiles tangent to a spherical focal surface
    of that radius: the tile of module column ``i`` is tilted about the y axis by
    ``arcsin(X_i / R)`` and that of module row ``j`` about the x axis by
    ``arcsin(Y_j / R)``, so the projected pixel offsets inside the tile shrink by the
    cosines of those angles (x depends only on the module column, y only on the row, as
    in sim_telarray's projected positions).

    Parameters
    ----------
    module_mask : ndarray of bool, shape (n_rows, n_cols)
        Which grid positions hold a module; row 0 at the bottom.
    module_size : int
        Pixels per module side.
    pixel_pitch, module_pitch : float
        In any length unit (the same for both); ``pixel_pitch`` is measured on the tile.
    curvature_radius : float or None
        Radius of curvature of the focal surface, same unit; None for a flat camera.

    Returns
    -------
    x, y : ndarray
        Pixel centres (same unit), module by module, row-major inside a module.
    module : ndarray of int64
        Module index of each pixel.
    """
    mask = np.asarray(module_mask, dtype=bool)
    n_rows, n_cols = mask.shape
    col_centres = (np.arange(n_cols) - 0.5 * (n_cols - 1)) * module_pitch
    row_centres = (np.arange(n_rows) - 0.5 * (n_rows - 1)) * module_pitch
    if curvature_radius is None:
        col_scale = np.ones(n_cols)
        row_scale = np.ones(n_rows)
    else:
        col_scale = np.sqrt(1.0 - (col_centres / curvature_radius) ** 2)
        row_scale = np.sqrt(1.0 - (row_centres / curvature_radius) ** 2)
    offsets = (np.arange(module_size) - 0.5 * (module_size - 1)) * pixel_pitch
    off_x, off_y = np.meshgrid(offsets, offsets, indexing="xy")
    off_x, off_y = off_x.ravel(), off_y.ravel()
    rows, cols = np.nonzero(mask)
    x = (col_centres[cols][:, None] + col_scale[cols][:, None] * off_x[None, :]).ravel()
    y = (row_centres[rows][:, None] + row_scale[rows][:, None] * off_y[None, :]).ravel()
    module = np.repeat(np.arange(len(rows)), module_size * module_size)
    return x, y, module


def rotate_xy(x, y, angle_deg):
    """Turn points counter-clockwise by ``angle_deg`` about the origin."""
    angle = np.deg2rad(angle_deg)
    cos, sin = np.cos(angle), np.sin(angle)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return cos * x - sin * y, sin * x + cos * y
