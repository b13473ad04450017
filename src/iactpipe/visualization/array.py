"""Array display: telescope positions on the ground, triggered telescopes, image axes, cores.

Ground frame (ctapipe's ``GroundFrame``): x towards North, y towards West, metres. The
display is drawn with North up and West to the left (``-y`` on the horizontal axis), as
seen on a map, and works from plain arrays, so DL2 results (reconstructed core and
direction) can be drawn as soon as they exist and the truth before that.

Image axes are projected on the ground as in ctapipe's ``HillasReconstructor``: the axis
of an image with telescope-frame angle ``psi`` (from fov_lon towards fov_lat) lies, in the
tilted frame of the pointing, along ``(sin psi, cos psi)`` through the telescope (camera
``x`` is fov_lat and camera ``y`` is fov_lon); the line is then projected onto the ground
along the pointing direction (`iactpipe.coordinates.project_to_ground`) and drawn through
the telescope's ground position.
"""
import numpy as np

from ..coordinates import project_to_ground

__all__ = ["plot_array", "plot_array_gallery", "draw_array", "image_axes_on_ground"]


def image_axes_on_ground(tel_positions_m, psi_deg, pointing_alt_deg, pointing_az_deg, half_length_m=500.0):
    """End points on the ground of the image-axis lines through each telescope.

    Parameters
    ----------
    tel_positions_m : array_like, shape (n, 3)
        Telescope positions, ground frame, m.
    psi_deg : array_like, shape (n,)
        Hillas ``psi`` (telescope frame), deg.
    pointing_alt_deg, pointing_az_deg : float
        Array pointing, deg.
    half_length_m : float
        Half length of each line on the ground, m.

    Returns
    -------
    ndarray, shape (n, 2, 2)
        ``[i, end, (x, y)]`` ground coordinates, m.
    """
    pos = np.asarray(tel_positions_m, float).reshape(-1, 3)
    psi = np.deg2rad(np.asarray(psi_deg, float))
    # the projection is linear: project the tilted-frame direction, draw it through the telescope
    dx, dy = project_to_ground(np.sin(psi), np.cos(psi), pointing_alt_deg, pointing_az_deg)
    norm = np.hypot(dx, dy)
    dx, dy = dx / norm, dy / norm
    out = np.empty((len(pos), 2, 2))
    for k, sign in enumerate((-1.0, 1.0)):
        out[:, k, 0] = pos[:, 0] + sign * half_length_m * dx
        out[:, k, 1] = pos[:, 1] + sign * half_length_m * dy
    return out


def _map_xy(x_north, y_west):
    """Ground (x North, y West) -> plot (East, North) coordinates."""
    return -np.asarray(y_west, float), np.asarray(x_north, float)


def plot_array(subarray, triggered=None, psi_deg=None, pointing=(70.0, 0.0), true_core=None, reco_core=None,
               true_direction=None, reco_direction=None, title=None, axis_length_m=None):
    """Telescope layout of one event (a Figure; arguments as `draw_array`)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 6.4), layout="constrained")
    draw_array(fig.add_subplot(), subarray, triggered, psi_deg, pointing, true_core, reco_core, true_direction,
               reco_direction, title, axis_length_m)
    return fig


def plot_array_gallery(subarray, events, n_cols=2):
    """Several array events side by side, each drawn by `draw_array`.

    Parameters
    ----------
    subarray : iactpipe.instrument.SubarrayDescription
    events : sequence of dict
        Keyword arguments of `draw_array` per panel (``triggered``, ``psi_deg``, ``pointing``,
        ``true_core``, ``reco_core``, ``true_direction``, ``reco_direction``, ``title``).
    n_cols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .gallery import panel_grid

    events = list(events)
    fig, axes = panel_grid(len(events), n_cols, 7.2, 5.6)
    for ax, event in zip(axes, events):
        draw_array(ax, subarray, legend=ax is axes[0], **event)
    return fig


def draw_array(ax, subarray, triggered=None, psi_deg=None, pointing=(70.0, 0.0), true_core=None, reco_core=None,
               true_direction=None, reco_direction=None, title=None, axis_length_m=None, legend=True):
    """Draw the telescope layout of one event into ``ax``.

    Parameters
    ----------
    subarray : iactpipe.instrument.SubarrayDescription
    triggered : array_like of int, optional
        Ids of the triggered telescopes (filled markers with a black edge).
    psi_deg : mapping tel_id -> float, optional
        Hillas ``psi`` of each telescope's image (telescope frame, deg); drawn as the
        image axis projected on the ground.
    pointing : (float, float)
        Array pointing (alt, az), deg, for the projection of the image axes.
    true_core, reco_core : (float, float), optional
        Shower core (x, y) in the ground frame, m.
    true_direction, reco_direction : (float, float), optional
        Shower direction (alt, az), deg; drawn in an inset-free text box and as an
        arrow from the core showing where the shower came from (azimuth).
    axis_length_m : float, optional
        Half length of the drawn image axes, m (default: 4 × the array size; clipped by the axes).
    legend : bool
        Draw the legend (outside the axes, to the right).
    """
    pos = np.asarray(subarray.positions_m, float)
    tel_ids = np.asarray(subarray.tel_ids, int)
    triggered = set() if triggered is None else {int(t) for t in np.atleast_1d(triggered)}
    east, north = _map_xy(pos[:, 0], pos[:, 1])
    size = max(float(np.ptp(east)), float(np.ptp(north)), 100.0)
    types = {}
    for i, tel in enumerate(subarray.telescopes):
        types.setdefault(tel.name, []).append(i)
    sizes = {"LST": 140, "MST": 90, "SCT": 90, "SST": 40}
    for k, (name, rows) in enumerate(sorted(types.items())):
        rows = np.asarray(rows)
        colour = f"C{k % 10}"
        hit = np.array([tel_ids[r] in triggered for r in rows])
        size_type = str(getattr(subarray.telescopes[rows[0]].optics, "size_type", "MST"))
        marker_size = next((v for key, v in sizes.items() if key in size_type.upper()), 70)
        ax.scatter(east[rows][~hit], north[rows][~hit], s=marker_size, facecolors="none", edgecolors=colour,
                   linewidths=1.2, label=f"{name} ({len(rows)})", zorder=3)
        if hit.any():
            ax.scatter(east[rows][hit], north[rows][hit], s=marker_size, c=colour, edgecolors="black",
                       linewidths=1.2, zorder=4, label=f"{name}: triggered ({int(hit.sum())})")
    if len(tel_ids) <= 30:
        for t, x, y in zip(tel_ids, east, north):
            ax.annotate(str(t), (x, y), xytext=(5, 5), textcoords="offset points", fontsize="x-small", zorder=5)
    if psi_deg:
        ids = [int(t) for t in psi_deg if np.isfinite(psi_deg[t])]
        if ids:
            rows = [subarray.tel_index(t) for t in ids]
            lines = image_axes_on_ground(pos[rows], [psi_deg[t] for t in ids], *pointing,
                                         half_length_m=axis_length_m or 4.0 * size)
            for j, line in enumerate(lines):
                lx, ly = _map_xy(line[:, 0], line[:, 1])
                ax.plot(lx, ly, color="0.35", lw=0.9, ls="-", zorder=2, label="image axes" if j == 0 else None)
    for core, direction, style, label in ((true_core, true_direction, dict(marker="*", color="red", ms=16),
                                           "true"),
                                          (reco_core, reco_direction, dict(marker="X", color="blue", ms=11),
                                           "reconstructed")):
        if core is None or not np.all(np.isfinite(core)):
            continue
        cx, cy = _map_xy(core[0], core[1])
        ax.plot([cx], [cy], ls="none", mec="black", zorder=6, label=f"{label} core",
                **{k: v for k, v in style.items() if k != "color"}, mfc=style["color"])
        if direction is not None and np.all(np.isfinite(direction)):
            az = np.deg2rad(direction[1])  # azimuth N -> E: the shower comes from there
            arrow = 0.15 * size
            ax.annotate("", xy=(cx, cy), xytext=(cx + arrow * np.sin(az), cy + arrow * np.cos(az)),
                        arrowprops=dict(arrowstyle="->", color=style["color"], lw=1.5), zorder=6)
    text = []
    if true_direction is not None:
        text.append(f"true: alt {true_direction[0]:.2f}°, az {true_direction[1]:.2f}°")
    if reco_direction is not None and np.all(np.isfinite(reco_direction)):
        text.append(f"reco: alt {reco_direction[0]:.2f}°, az {reco_direction[1]:.2f}°")
    if text:
        ax.text(0.02, 0.02, "\n".join(text), transform=ax.transAxes, fontsize="small", va="bottom",
                bbox=dict(facecolor="white", alpha=0.8, edgecolor="0.7"))
    pad = 0.25 * size
    xs, ys = list(east), list(north)
    for core in (true_core, reco_core):
        if core is not None and np.all(np.isfinite(core)):
            cx, cy = _map_xy(core[0], core[1])
            xs.append(float(cx))
            ys.append(float(cy))
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("East [m]  (−ground y)")
    ax.set_ylabel("North [m]  (ground x)")
    ax.set_title(title or f"{subarray.name}: {len(triggered)} of {len(tel_ids)} telescopes triggered",
                 fontsize="medium")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0)
    ax.grid(alpha=0.3)
