"""Camera display: any `~iactpipe.instrument.CameraGeometry` drawn as a `PolyCollection`.

Pixels are drawn as their true shape (hexagon, square or circle, with the geometry's pixel
rotation and camera rotation), either in the **telescope frame** (field-of-view offsets in
deg, the frame of the DL1 Hillas parameters; needs the focal length) or in the **camera
frame** (m). The display keeps one collection and one colour bar, so showing another image
only calls ``set_array``: `CameraDisplay.update` renders hundreds of images per second.

Overlays: the outline of a pixel mask (e.g. the cleaning mask), the Hillas ellipse from
DL1 parameter columns (``hillas_fov_lon``, ``hillas_fov_lat``, ``hillas_length``,
``hillas_width``, ``hillas_psi``; deg, telescope frame) and a marker at the true source
position (telescope frame, deg).

Nothing here writes files or touches pyplot's global state: figures are
`matplotlib.figure.Figure` objects, saved by the caller.
"""
from functools import lru_cache

import numpy as np

from ..coordinates import camera_to_telescope
from ..instrument.camera import PixelShape

__all__ = ["CameraDisplay", "plot_camera", "pixel_polygons", "UNIT_LABELS"]

#: Colour-bar labels of the supported image units.
UNIT_LABELS = {"pe": "charge [p.e.]", "ns": "peak time [ns]", "adc": "[ADC counts]", "": ""}

_CIRCLE_VERTICES = 16


def _polygon_template(pix_type):
    """Unit polygon (circumradius 1) vertex angles in rad, before the pixel rotation."""
    if pix_type is PixelShape.HEXAGON:
        return np.deg2rad(90.0 + 60.0 * np.arange(6))  # rotation 0: vertex along +y
    if pix_type is PixelShape.SQUARE:
        return np.deg2rad(45.0 + 90.0 * np.arange(4))  # rotation 0: axis-aligned
    return np.linspace(0.0, 2.0 * np.pi, _CIRCLE_VERTICES, endpoint=False)


def _circumradius(area, pix_type):
    if pix_type is PixelShape.HEXAGON:
        return np.sqrt(2.0 * area / (3.0 * np.sqrt(3.0)))  # area = 3 sqrt(3)/2 R^2
    if pix_type is PixelShape.SQUARE:
        return np.sqrt(area / 2.0)  # side^2 = 2 R^2
    return np.sqrt(area / np.pi)


def pixel_polygons(geometry, focal_length_m=None):
    """Vertices of every pixel polygon.

    Parameters
    ----------
    geometry : iactpipe.instrument.CameraGeometry
    focal_length_m : float, optional
        If given, vertices are returned in the telescope frame (fov_lon, fov_lat), deg,
        with the linear mapping of `iactpipe.coordinates.camera_to_telescope`; otherwise
        in the camera frame (x, y), m, with the camera rotation applied.

    Returns
    -------
    ndarray, shape (n_pixels, n_vertices, 2)
    """
    return _pixel_polygons_cached(geometry, None if focal_length_m is None else float(focal_length_m)).copy()


@lru_cache(maxsize=32)
def _pixel_polygons_cached(geometry, focal_length_m):
    angles = _polygon_template(geometry.pix_type) + np.deg2rad(geometry.pix_rotation_deg)
    radius = _circumradius(np.asarray(geometry.pix_area, float), geometry.pix_type)
    x = geometry.pix_x[:, None] + radius[:, None] * np.cos(angles)[None, :]
    y = geometry.pix_y[:, None] + radius[:, None] * np.sin(angles)[None, :]
    if focal_length_m is None:
        rot = np.deg2rad(geometry.cam_rotation_deg)
        x, y = x * np.cos(rot) - y * np.sin(rot), x * np.sin(rot) + y * np.cos(rot)
        out = np.stack([x, y], axis=-1)
    else:
        lon, lat = camera_to_telescope(x, y, focal_length_m, rotation_deg=geometry.cam_rotation_deg)
        out = np.stack([lon, lat], axis=-1)
    out.setflags(write=False)
    return out


def _edge_neighbours(polygons):
    """For each pixel edge, the pixel across it (-1 if none): shape (n_pixels, n_vertices)."""
    from scipy.spatial import cKDTree

    centres = polygons.mean(axis=1)
    mid = 0.5 * (polygons + np.roll(polygons, -1, axis=1))
    outside = centres[:, None, :] + 2.0 * (mid - centres[:, None, :])
    tree = cKDTree(centres)
    dist, index = tree.query(outside.reshape(-1, 2))
    pitch = np.median(tree.query(centres, k=2)[0][:, 1])
    index = np.where(dist < 0.45 * pitch, index, -1)
    return index.reshape(polygons.shape[:2])


def _as_float(row, key):
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return np.nan
    return float(np.asarray(value, dtype=float))


class CameraDisplay:
    """A camera image on a matplotlib axes, reusable for many images of one camera.

    Parameters
    ----------
    geometry : iactpipe.instrument.CameraGeometry
        Camera to draw (hexagonal, square or circular pixels; any rotation; gaps).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new `~matplotlib.figure.Figure` with one axes by default
        (available as ``display.figure``).
    focal_length_m : float, optional
        Focal length, m. Given: draw in the telescope frame (deg), where the Hillas and
        source overlays live. Not given: camera frame (m); overlays are then converted
        only if ``overlay_focal_length_m`` is known, so pass the focal length whenever
        overlays are wanted.
    image : array_like, shape (n_pixels,), optional
        Initial image (zeros by default).
    unit : {"pe", "ns", "adc", ""} or str
        Unit of the image, used for the colour-bar label (any other string is used
        as the label itself).
    cmap : str
        Colour map.
    colorbar : bool
        Draw a colour bar.
    title : str, optional
    edgecolor : colour or None
        Pixel border colour (``None``: no borders, fastest).
    """

    def __init__(self, geometry, ax=None, focal_length_m=None, image=None, unit="pe", cmap="viridis",
                 colorbar=True, title=None, edgecolor=None):
        from matplotlib.collections import PolyCollection
        from matplotlib.figure import Figure

        self.geometry = geometry
        self.focal_length_m = None if focal_length_m is None else float(focal_length_m)
        if ax is None:
            fig = Figure(figsize=(6.0, 5.0), layout="constrained")
            ax = fig.add_subplot()
        self.ax = ax
        self.figure = ax.figure
        self._polygons = _pixel_polygons_cached(geometry, self.focal_length_m)
        self._edge_neighbours = None
        image = np.zeros(geometry.n_pixels) if image is None else np.asarray(image, float)
        self._check(image)
        self.pixels = PolyCollection(self._polygons, cmap=cmap, linewidths=0.2 if edgecolor else 0.0,
                                     edgecolors=edgecolor or "face", antialiaseds=edgecolor is not None)
        self.pixels.set_array(np.ma.masked_invalid(image))
        self.pixels.autoscale()
        self.pixels.set_rasterized(True)  # thousands of polygons: keep PDF/SVG output small and fast
        ax.add_collection(self.pixels)
        # one Line2D with NaN-separated edges: much faster to update than a LineCollection
        (self.mask_outline,) = ax.plot([], [], color="red", lw=1.0, zorder=3)
        self._hillas_patch = None
        self._hillas_axis = None
        self._source_marker = None
        lo, hi = self._polygons.reshape(-1, 2).min(axis=0), self._polygons.reshape(-1, 2).max(axis=0)
        pad = 0.03 * (hi - lo).max()
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[1] - pad, hi[1] + pad)
        ax.set_aspect("equal")
        if self.focal_length_m is None:
            ax.set_xlabel("camera x [m]")
            ax.set_ylabel("camera y [m]")
        else:
            ax.set_xlabel("fov_lon [deg]")
            ax.set_ylabel("fov_lat [deg]")
        ax.set_title(title if title is not None else geometry.name, fontsize="medium")
        self.colorbar = None
        if colorbar:
            self.colorbar = self.figure.colorbar(self.pixels, ax=ax, shrink=0.85, pad=0.02)
            self.colorbar.set_label(UNIT_LABELS.get(unit, unit))

    # ------------------------------------------------------------------ image
    def _check(self, values):
        if np.shape(values) != (self.geometry.n_pixels,):
            raise ValueError(f"image of shape {np.shape(values)} does not fit camera {self.geometry.name} "
                             f"({self.geometry.n_pixels} pixels)")

    @property
    def image(self):
        """The displayed image (masked array)."""
        return self.pixels.get_array()

    @image.setter
    def image(self, values):
        values = np.asarray(values, dtype=float)
        self._check(values)
        self.pixels.set_array(np.ma.masked_invalid(values))
        finite = values[np.isfinite(values)]
        if len(finite):
            self.pixels.set_clim(float(finite.min()), float(finite.max()))

    def set_limits(self, vmin=None, vmax=None):
        """Fix the colour scale (``None`` keeps autoscaling for that end)."""
        self.pixels.set_clim(vmin, vmax)

    def set_log_scale(self, vmin=None):
        """Logarithmic colour scale (non-positive values shown as missing)."""
        from matplotlib.colors import LogNorm

        data = np.ma.masked_less_equal(self.image, 0)
        vmin = vmin if vmin is not None else (float(data.min()) if data.count() else 1.0)
        vmax = float(data.max()) if data.count() else 10.0
        self.pixels.set_norm(LogNorm(vmin=vmin, vmax=max(vmax, vmin * 1.01)))
        self.pixels.set_array(data)

    # ------------------------------------------------------------------ overlays
    def highlight_mask(self, mask, color="red", linewidth=1.0):
        """Draw the outline of the pixels in ``mask`` (only edges between masked and other pixels)."""
        mask = np.asarray(mask, dtype=bool)
        self._check(mask)
        if self._edge_neighbours is None:
            self._edge_neighbours = _edge_neighbours(np.asarray(self._polygons))
        neighbour = self._edge_neighbours
        inner = (neighbour >= 0) & mask[np.clip(neighbour, 0, None)]
        boundary = mask[:, None] & ~inner
        pix, vert = np.nonzero(boundary)
        start = self._polygons[pix, vert]
        stop = self._polygons[pix, (vert + 1) % self._polygons.shape[1]]
        path = np.full((len(pix), 3, 2), np.nan)
        path[:, 0], path[:, 1] = start, stop
        self.mask_outline.set_data(path[:, :, 0].ravel(), path[:, :, 1].ravel())
        self.mask_outline.set_color(color)
        self.mask_outline.set_linewidth(linewidth)

    def mask_outline_segments(self):
        """The drawn outline as an array of edges, shape (n_edges, 2, 2)."""
        x, y = (np.asarray(v, float) for v in self.mask_outline.get_data())
        if len(x) == 0:
            return np.zeros((0, 2, 2))
        return np.stack([x, y], axis=-1).reshape(-1, 3, 2)[:, :2]

    def clear_overlays(self):
        """Remove mask outline, Hillas ellipse and source marker."""
        self.mask_outline.set_data([], [])
        for artist in (self._hillas_patch, self._hillas_axis, self._source_marker):
            if artist is not None:
                artist.set_visible(False)

    def _to_display(self, fov_lon, fov_lat):
        if self.focal_length_m is not None:
            return fov_lon, fov_lat
        raise ValueError("overlays in telescope-frame degrees need a display in the telescope frame "
                         "(give focal_length_m)")

    def overlay_hillas(self, params, n_sigma=1.0, color="white", linewidth=1.5):
        """Draw the Hillas ellipse (``n_sigma`` × length/width) and its major axis.

        Parameters
        ----------
        params : mapping or pandas.Series
            DL1 parameter row with ``hillas_fov_lon``, ``hillas_fov_lat``,
            ``hillas_length``, ``hillas_width``, ``hillas_psi`` (deg, telescope frame).
            Non-finite values hide the overlay.
        """
        from matplotlib.patches import Ellipse

        lon, lat = _as_float(params, "hillas_fov_lon"), _as_float(params, "hillas_fov_lat")
        length, width = _as_float(params, "hillas_length"), _as_float(params, "hillas_width")
        psi = _as_float(params, "hillas_psi")
        visible = np.all(np.isfinite([lon, lat, length, width, psi]))
        if not visible:
            for artist in (self._hillas_patch, self._hillas_axis):
                if artist is not None:
                    artist.set_visible(False)
            return
        cx, cy = self._to_display(lon, lat)
        if self._hillas_patch is None:
            self._hillas_patch = Ellipse((cx, cy), 1, 1, angle=0, fill=False, zorder=4)
            self.ax.add_patch(self._hillas_patch)
            (self._hillas_axis,) = self.ax.plot([], [], ls="--", zorder=4)
        self._hillas_patch.set_center((cx, cy))
        self._hillas_patch.set_width(2.0 * n_sigma * length)
        self._hillas_patch.set_height(2.0 * n_sigma * width)
        self._hillas_patch.set_angle(psi)
        self._hillas_patch.set_edgecolor(color)
        self._hillas_patch.set_linewidth(linewidth)
        reach = 3.0 * length
        dx, dy = reach * np.cos(np.deg2rad(psi)), reach * np.sin(np.deg2rad(psi))
        self._hillas_axis.set_data([cx - dx, cx + dx], [cy - dy, cy + dy])
        self._hillas_axis.set_color(color)
        self._hillas_axis.set_linewidth(0.8 * linewidth)
        self._hillas_patch.set_visible(True)
        self._hillas_axis.set_visible(True)

    def overlay_source(self, fov_lon_deg, fov_lat_deg, label="true source", color="red"):
        """Mark a source position (telescope frame, deg) with a star."""
        x, y = self._to_display(float(fov_lon_deg), float(fov_lat_deg))
        if self._source_marker is None:
            (self._source_marker,) = self.ax.plot([x], [y], marker="*", ms=12, ls="none", mec="black",
                                                  mfc=color, label=label, zorder=5)
            self.ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
        self._source_marker.set_data([x], [y])
        self._source_marker.set_visible(bool(np.isfinite(x) and np.isfinite(y)))

    def update(self, image, mask=None, hillas=None, source=None, title=None):
        """Show another image with its overlays (reuses every artist)."""
        self.image = image
        if mask is not None:
            self.highlight_mask(mask)
        else:
            self.mask_outline.set_data([], [])
        if hillas is not None:
            self.overlay_hillas(hillas)
        elif self._hillas_patch is not None:
            self._hillas_patch.set_visible(False)
            self._hillas_axis.set_visible(False)
        if source is not None:
            self.overlay_source(*source)
        if title is not None:
            self.ax.set_title(title, fontsize="medium")


def plot_camera(geometry, image, focal_length_m=None, unit="pe", mask=None, hillas=None, true_source=None,
                title=None, cmap="viridis", log=False, vmin=None, vmax=None):
    """One camera image as a new Figure (see `CameraDisplay`).

    Parameters
    ----------
    geometry : iactpipe.instrument.CameraGeometry
    image : array_like, shape (n_pixels,)
        Pixel values (charge in p.e., peak time in ns, ...); NaN pixels are left blank.
    focal_length_m : float, optional
        Draw in the telescope frame (deg); required for ``hillas`` and ``true_source``.
    unit : str
        ``"pe"``, ``"ns"``, ``"adc"`` or a free colour-bar label.
    mask : array_like of bool, optional
        Pixels whose outline to draw (cleaning mask).
    hillas : mapping, optional
        DL1 parameter row (``hillas_*`` columns, deg).
    true_source : (float, float), optional
        True source position (fov_lon, fov_lat), deg.
    log : bool
        Logarithmic colour scale.

    Returns
    -------
    matplotlib.figure.Figure
    """
    display = CameraDisplay(geometry, focal_length_m=focal_length_m, image=image, unit=unit, cmap=cmap,
                            title=title)
    if log:
        display.set_log_scale()
    if vmin is not None or vmax is not None:
        display.set_limits(vmin, vmax)
    if mask is not None:
        display.highlight_mask(mask)
    if hillas is not None:
        display.overlay_hillas(hillas)
    if true_source is not None:
        display.overlay_source(*true_source)
    return display.figure
