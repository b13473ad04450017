"""Plots of the model metrics (pure: metrics dict in, Figure out) and a writer for the CLI."""
import numpy as np

__all__ = ["energy_performance_figure", "classification_figure", "direction_figure", "write_metric_plots"]


def _centres(edges):
    edges = np.asarray(edges)
    return np.sqrt(edges[:-1] * edges[1:])


def _values(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def energy_performance_figure(metrics):
    """Energy bias and resolution vs true energy (test runs, gammas)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.4), layout="constrained")
    axes = figure.add_subplot()
    centres = _centres(metrics["energy_bins_tev"])
    axes.plot(centres, _values(metrics["energy_resolution"]), "o-", label="resolution (half 16-84 % quantile range)")
    axes.plot(centres, _values(metrics["energy_bias"]), "s--", label="bias (median ΔE/E)")
    axes.axhline(0.0, color="grey", lw=0.8)
    axes.set_xscale("log")
    axes.set_xlim(metrics["energy_bins_tev"][0], metrics["energy_bins_tev"][-1])
    axes.set_xlabel("true energy / TeV")
    axes.set_ylabel("relative energy error ΔE/E")
    axes.set_title("Energy reconstruction (test runs)")
    axes.grid(alpha=0.3)
    axes.legend()
    return figure


def classification_figure(metrics):
    """ROC curves per reconstructed-energy decade and AUC vs reconstructed energy."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10.0, 4.4), layout="constrained")
    roc_axes, auc_axes = figure.subplots(1, 2)
    for curve in metrics.get("roc", []):
        low, high = curve["reco_energy_range_tev"]
        roc_axes.plot(curve["fpr"], curve["tpr"], label=f"{low:g}-{high:g} TeV (AUC {curve['auc']:.3f})")
    roc_axes.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    roc_axes.set_xlabel("hadron efficiency (false-positive rate)")
    roc_axes.set_ylabel("gamma efficiency (true-positive rate)")
    roc_axes.set_title("ROC per reconstructed energy")
    if metrics.get("roc"):
        roc_axes.legend(fontsize="small")
    else:
        roc_axes.text(0.5, 0.3, "too few test events per energy range", ha="center", transform=roc_axes.transAxes)
    roc_axes.grid(alpha=0.3)
    auc_axes.plot(_centres(metrics["energy_bins_tev"]), _values(metrics["auc_per_reco_energy_bin"]), "o-")
    auc_axes.set_xscale("log")
    auc_axes.set_xlim(metrics["energy_bins_tev"][0], metrics["energy_bins_tev"][-1])
    auc_axes.set_ylim(0.5, 1.0)
    auc_axes.set_xlabel("reconstructed energy / TeV")
    auc_axes.set_ylabel("AUC")
    auc_axes.set_title("Gamma/hadron separation (test runs)")
    auc_axes.grid(alpha=0.3)
    return figure


def direction_figure(metrics):
    """68 % containment angle vs true energy: disp combination and geometric reconstruction."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.4), layout="constrained")
    axes = figure.add_subplot()
    centres = _centres(metrics["energy_bins_tev"])
    axes.plot(centres, _values(metrics["disp_angular_resolution_deg"]), "o-", label="disp (ML) direction")
    axes.plot(centres, _values(metrics["geometry_angular_resolution_deg"]), "s--", label="Hillas intersection")
    axes.set_xscale("log")
    axes.set_xlim(metrics["energy_bins_tev"][0], metrics["energy_bins_tev"][-1])
    axes.set_xlabel("true energy / TeV")
    axes.set_ylabel("68 % containment angle / deg")
    axes.set_title("Angular resolution (test runs, gammas)")
    axes.grid(alpha=0.3)
    axes.legend()
    return figure


def write_metric_plots(metrics, folder):
    """Write the three metric figures as PNG into ``folder``; returns the paths."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in (("energy_performance", energy_performance_figure),
                       ("classification", classification_figure), ("direction", direction_figure)):
        path = folder / f"{name}.png"
        partial = path.with_name(path.name + ".partial.png")
        make(metrics).savefig(partial, dpi=110)
        partial.replace(path)
        paths.append(path)
    return paths
