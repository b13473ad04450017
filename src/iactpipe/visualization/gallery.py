"""Gallery of example events: several camera images with cleaning mask, Hillas ellipse and truth."""
import numpy as np

from .camera import CameraDisplay

__all__ = ["plot_event_gallery", "panel_grid"]


def plot_event_gallery(events, n_cols=3, unit="pe"):
    """Camera images of a few events side by side.

    Parameters
    ----------
    events : sequence of dict
        One dict per panel with ``geometry`` (CameraGeometry), ``image`` (n_pixels),
        and optionally ``focal_length_m`` (telescope frame, needed for the overlays),
        ``mask`` (cleaning mask), ``hillas`` (DL1 parameter row), ``true_source``
        ((fov_lon, fov_lat) deg), ``reco_source`` ((fov_lon, fov_lat) deg, e.g. the
        DL2 direction in this telescope's frame) and ``title``.
    n_cols : int
        Panels per row.
    unit : str
        Colour-bar unit (``"pe"``, ``"ns"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    events = list(events)
    fig, axes = panel_grid(len(events), n_cols, 4.4, 3.9)
    for ax, event in zip(axes, events):
        display = CameraDisplay(event["geometry"], ax=ax, focal_length_m=event.get("focal_length_m"),
                                image=event["image"], unit=unit, title=event.get("title", ""))
        if event.get("mask") is not None:
            display.highlight_mask(event["mask"])
        if event.get("hillas") is not None and event.get("focal_length_m") is not None:
            display.overlay_hillas(event["hillas"])
        if event.get("true_source") is not None and event.get("focal_length_m") is not None:
            display.overlay_source(*event["true_source"])
        if event.get("reco_source") is not None and event.get("focal_length_m") is not None:
            lon, lat = event["reco_source"]
            ax.plot([lon], [lat], marker="P", ms=10, ls="none", mfc="cyan", mec="black", label="reconstructed",
                    zorder=5)
            ax.legend(loc="upper right", fontsize="x-small", framealpha=0.8)
        ax.title.set_fontsize("small")
    return fig


def panel_grid(n_panels, n_cols, panel_width, panel_height):
    """A Figure with ``n_panels`` axes in rows of at most ``n_cols``; spare cells hidden.

    Parameters
    ----------
    n_panels : int
        Panels to draw (>= 1, else `ValueError`).
    n_cols : int
        Panels per row.
    panel_width, panel_height : float
        Size of one panel, inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes
        The first ``n_panels`` axes, row by row.
    """
    from matplotlib.figure import Figure

    if n_panels < 1:
        raise ValueError("no events to draw")
    n_cols = max(1, min(n_cols, n_panels))
    n_rows = int(np.ceil(n_panels / n_cols))
    fig = Figure(figsize=(panel_width * n_cols, panel_height * n_rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, squeeze=False)).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]
