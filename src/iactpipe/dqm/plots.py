"""Plots of the per-run DQM summaries (`iactpipe.dqm.summary.RunSummary`).

Pure functions: summaries in, a `matplotlib.figure.Figure` out, made without pyplot;
nothing is written here (the ``iactpipe dqm`` command saves them).
"""
import numpy as np

from ..visualization.camera import CameraDisplay

__all__ = [
    "plot_multiplicity",
    "plot_pixel_distributions",
    "plot_camera_maps",
    "plot_image_survival",
    "plot_parameter_distributions",
    "plot_run_metrics",
    "CAMERA_MAPS",
]

#: Per-pixel map -> (title, colour-bar label) drawn by `plot_camera_maps`, in this order.
CAMERA_MAPS = {
    "noise_mean_pe": ("mean noise charge", "charge [p.e.]"),
    "noise_rms_pe": ("noise charge rms", "charge rms [p.e.]"),
    "cleaning_survival": ("in cleaned image", "fraction of images"),
    "peak_time_mean_ns": ("mean peak time (> 5 p.e.)", "peak time [ns]"),
    "pedestal_mean_adc": ("pedestal (high gain)", "pedestal [ADC counts]"),
    "pedestal_width_adc": ("pedestal width (high gain)", "noise rms [ADC counts]"),
}
_STATUS_LABELS = ("ok", "dead", "hot", "broken", "pedestal outlier")


def _figure(n_rows=1, n_cols=1, width=6.4, height=4.4, **kwargs):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * n_cols, height * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False, **kwargs)
    return fig, axes


def _step(ax, edges, counts, label=None, density=True, **kwargs):
    counts = np.asarray(counts, float)
    if density and counts.sum() > 0:
        counts = counts / counts.sum()
    ax.stairs(counts, edges, label=label, **kwargs)


def plot_multiplicity(summary):
    """Array-trigger telescope multiplicity of one run (events per multiplicity)."""
    fig, axes = _figure()
    ax = axes[0, 0]
    if "multiplicity" in summary.histograms:
        edges, counts = summary.histogram("multiplicity")
        ax.bar(0.5 * (edges[1:] + edges[:-1]), counts, width=0.8, color="C0")
        ax.set_xticks(np.arange(1, len(counts) + 1))
    else:
        ax.text(0.5, 0.5, "no array trigger table", ha="center", transform=ax.transAxes)
    ax.set_xlabel("telescope multiplicity (triggered telescopes)")
    ax.set_ylabel("array events")
    ax.set_title(f"{summary.run}: trigger multiplicity (mean {summary.scalars.get('mean_multiplicity') or 0:.2f})")
    return fig


def plot_pixel_distributions(summary):
    """Pixel-charge (all pixels) and peak-time (pixels > 5 p.e.) distributions per telescope."""
    fig, axes = _figure(1, 2, width=6.0)
    charge_ax, time_ax = axes[0]
    names = sorted(n for n in summary.histograms if n.startswith("pixel_charge/"))
    for i, name in enumerate(names):
        tel = name.split("/", 1)[1]
        edges, counts = summary.histogram(name)
        _step(charge_ax, edges, counts / np.diff(edges), label=tel, density=False, color=f"C{i % 10}")
        time_name = "peak_time/" + tel
        if time_name in summary.histograms:
            t_edges, t_counts = summary.histogram(time_name)
            _step(time_ax, t_edges, t_counts, label=tel, color=f"C{i % 10}")
    charge_ax.set_xscale("symlog", linthresh=20.0)
    charge_ax.set_yscale("log")
    charge_ax.set_xlabel("pixel charge [p.e.]")
    charge_ax.set_ylabel("pixels per p.e.")
    charge_ax.set_title("pixel charges (all pixels)")
    time_ax.set_xlabel("peak time [ns]")
    time_ax.set_ylabel("fraction of pixels")
    time_ax.set_title("peak time of pixels > 5 p.e.")
    if names:
        charge_ax.legend(fontsize="small", ncols=2 if len(names) > 6 else 1)
        used = [e for n in names for e in [summary.histogram("peak_time/" + n.split("/", 1)[1])]
                if "peak_time/" + n.split("/", 1)[1] in summary.histograms]
        if used:
            edges = used[0][0]
            total = np.sum([c for _, c in used], axis=0)
            nonzero = np.nonzero(total)[0]
            if len(nonzero):
                time_ax.set_xlim(edges[max(nonzero[0] - 2, 0)], edges[min(nonzero[-1] + 3, len(edges) - 1)])
    else:
        for ax in (charge_ax, time_ax):
            ax.text(0.5, 0.5, "no DL1 images in the file", ha="center", transform=ax.transAxes)
    fig.suptitle(f"{summary.run}: pixel distributions")
    return fig


def _status_map(summary, tel_id, n_pixels):
    maps = summary.pixel_maps.get(str(int(tel_id)), {})
    status = np.zeros(n_pixels)
    for code, key in ((4, "pedestal_outlier"), (3, "broken"), (2, "hot"), (1, "dead")):
        if key in maps:
            status[summary.pixel_map(tel_id, key) > 0] = code
    return status


def plot_camera_maps(summary, tel_id, geometry, focal_length_m=None):
    """Per-pixel camera maps of one telescope: noise, cleaning survival, peak time, pedestal, status.

    Parameters
    ----------
    summary : RunSummary
    tel_id : int
    geometry : iactpipe.instrument.CameraGeometry
        The telescope's camera.
    focal_length_m : float, optional
        Draw in the telescope frame (deg) instead of the camera frame (m).
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap

    maps = summary.pixel_maps.get(str(int(tel_id)), {})
    names = [name for name in CAMERA_MAPS if name in maps]
    n_panels = len(names) + 1
    n_cols = 3 if n_panels > 4 else n_panels
    n_rows = int(np.ceil(n_panels / n_cols))
    fig, axes = _figure(n_rows, n_cols, width=5.4, height=4.2)
    axes = axes.ravel()
    for ax, name in zip(axes, names):
        title, label = CAMERA_MAPS[name]
        values = summary.pixel_map(tel_id, name)
        display = CameraDisplay(geometry, ax=ax, focal_length_m=focal_length_m, image=values, unit=label,
                                title=title)
        finite = values[np.isfinite(values)]
        if len(finite):  # robust colour range: a few extreme pixels must not wash out the map
            lo, hi = np.percentile(finite, [0.5, 99.5])
            if not hi - lo > 1e-6 * max(abs(lo), 1.0):  # constant map: a readable symmetric range
                pad = max(0.01 * abs(lo), 1e-3)
                lo, hi = lo - pad, hi + pad
            display.set_limits(lo, hi)
        if display.colorbar is not None:
            display.colorbar.formatter.set_useOffset(False)
    status = _status_map(summary, tel_id, geometry.n_pixels)
    cmap = ListedColormap(["#d9d9d9", "black", "red", "purple", "orange"])
    display = CameraDisplay(geometry, ax=axes[len(names)], focal_length_m=focal_length_m, image=status,
                            unit="", cmap=cmap, title="pixel status")
    display.pixels.set_norm(BoundaryNorm(np.arange(-0.5, 5.5), cmap.N))
    if display.colorbar is not None:
        display.colorbar.set_ticks(np.arange(5))
        display.colorbar.set_ticklabels(list(_STATUS_LABELS))
        counts = [int(np.sum(status == c)) for c in range(1, 5)]
        display.ax.set_title("pixel status: " + ", ".join(f"{n} {l}" for n, l in zip(counts, _STATUS_LABELS[1:])
                                                          if n) if any(counts) else "pixel status: all ok",
                             fontsize="small")
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    camera = summary.camera.get(str(int(tel_id)), geometry.name)
    fig.suptitle(f"{summary.run}: tel {int(tel_id)} ({camera}) camera maps")
    return fig


def plot_image_survival(summary):
    """Per telescope: fraction of images surviving cleaning and the loose quality cuts."""
    fig, axes = _figure(width=max(5.0, 0.5 * len(summary.scalars) ** 0.5 + 4.0))
    ax = axes[0, 0]
    keys = sorted(k.split("/", 1)[1] for k in summary.scalars if k.startswith("image_survival_fraction/"))
    x = np.arange(len(keys))
    survival = [summary.scalars.get(f"image_survival_fraction/{k}") or 0.0 for k in keys]
    quality = [summary.scalars.get(f"quality_fraction/{k}") or 0.0 for k in keys]
    ax.bar(x - 0.2, survival, width=0.4, label="survived cleaning")
    ax.bar(x + 0.2, quality, width=0.4, label="intensity > 50 p.e., leakage₂ < 0.2")
    ax.set_xticks(x, [k.replace("tel_", "") for k in keys])
    ax.set_xlabel("telescope id")
    ax.set_ylabel("fraction of triggered images")
    ax.set_ylim(0, 1.25)
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(f"{summary.run}: image survival")
    return fig


def plot_parameter_distributions(summaries, labels=None, names=None):
    """Normalised image-parameter distributions of one or several samples (e.g. gammas vs protons).

    Parameters
    ----------
    summaries : RunSummary or sequence of RunSummary
    labels : sequence of str, optional
        Legend labels (default: the run labels).
    names : sequence of str, optional
        Parameters to draw (default: all parameter histograms of the first summary).
    """
    from .summary import PARAMETER_BINS

    if not isinstance(summaries, (list, tuple)):
        summaries = [summaries]
    labels = labels or [s.run for s in summaries]
    names = names or [n for n in PARAMETER_BINS if n in summaries[0].histograms]
    n_cols = 4 if len(names) > 6 else 3
    n_rows = int(np.ceil(len(names) / n_cols))
    fig, axes = _figure(n_rows, n_cols, width=3.6, height=2.9)
    axes = axes.ravel()
    for ax, name in zip(axes, names):
        for i, (summary, label) in enumerate(zip(summaries, labels)):
            if name not in summary.histograms:
                continue
            edges, counts = summary.histogram(name)
            _step(ax, edges, counts, label=f"{label} ({int(counts.sum())})", color=f"C{i % 10}", linewidth=1.5)
        ax.set_xlabel(summaries[0].histograms[name].get("label", name))
        ax.set_ylabel("fraction of images")
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if names:
        handles, legend_labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, legend_labels, loc="outside upper right", fontsize="small", ncols=min(len(labels), 4))
    fig.suptitle("image parameters (images surviving cleaning)", x=0.02, ha="left")
    return fig


def plot_run_metrics(summaries, checks=None, metrics=("image_survival_fraction", "quality_fraction",
                                                      "mean_multiplicity", "median_noise_mean_pe",
                                                      "median_noise_rms_pe", "pedestal_mean_adc")):
    """Run-level metrics across runs (telescopes averaged); runs with a failed check in red.

    Parameters
    ----------
    summaries : sequence of RunSummary
    checks : pandas.DataFrame, optional
        Output of `iactpipe.dqm.outliers.find_outliers` (its second table).
    metrics : sequence of str
        Scalar base names; ``name`` and ``name/tel_NNN`` values are averaged.
    """
    flagged = set()
    if checks is not None and len(checks):
        flagged = set(checks.loc[checks["failed"], "run"])
    available = [m for m in metrics if any(k == m or k.startswith(m + "/") for s in summaries for k in s.scalars)]
    n_cols = min(3, max(len(available), 1))
    n_rows = max(int(np.ceil(len(available) / n_cols)), 1)
    fig, axes = _figure(n_rows, n_cols, width=4.2, height=3.2)
    axes = axes.ravel()
    runs = [s.run for s in summaries]
    x = np.arange(len(runs))
    colours = ["red" if r in flagged else "C0" for r in runs]
    for ax, metric in zip(axes, available):
        values = []
        for s in summaries:
            vals = [v for k, v in s.scalars.items() if (k == metric or k.startswith(metric + "/")) and v is not None]
            values.append(np.mean(vals) if vals else np.nan)
        ax.scatter(x, values, c=colours, s=25, zorder=3)
        ax.plot(x, values, color="0.7", lw=0.8, zorder=2)
        ax.set_xticks(x, runs, rotation=45, ha="right", fontsize="x-small")
        ax.set_ylabel(metric.replace("_", " ").replace(" pe", " [p.e.]").replace(" adc", " [ADC]"),
                      fontsize="small")
    for ax in axes[len(available):]:
        ax.set_visible(False)
    fig.suptitle(f"run metrics ({len(flagged)} flagged run(s) in red)")
    return fig
