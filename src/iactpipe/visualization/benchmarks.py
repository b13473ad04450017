"""Benchmark plots of the DL2 and IRF stages, from plain arrays.

Every function takes numpy arrays (energies in TeV, angles in deg, areas in m², rates in
s⁻¹, fluxes in erg cm⁻² s⁻¹) so that it can be fed by the DL2 tables, by pyirf results or
by synthetic data, and returns a `matplotlib.figure.Figure` made without pyplot; nothing
is written here.

* `plot_angular_resolution` — 68 % containment of the angular error vs true energy;
* `plot_energy_bias_resolution` — median relative bias and 68 % resolution vs true energy;
* `plot_roc_curves` — gamma/hadron ROC curve (and AUC) per reconstructed-energy bin;
* `plot_migration_matrix` — P(E_reco | E_true);
* `plot_effective_area` — effective area vs true energy at several cut levels;
* `plot_background_rate` — background rate vs reconstructed energy;
* `plot_sensitivity` — differential sensitivity against a requirement curve.
"""
import numpy as np

__all__ = [
    "energy_bins",
    "binned_quantile",
    "plot_angular_resolution",
    "plot_energy_bias_resolution",
    "plot_roc_curves",
    "plot_migration_matrix",
    "plot_effective_area",
    "plot_background_rate",
    "plot_sensitivity",
]


def energy_bins(e_min_tev=0.01, e_max_tev=100.0, per_decade=5):
    """Logarithmic energy bin edges, TeV."""
    n = int(round(np.log10(e_max_tev / e_min_tev) * per_decade))
    return np.geomspace(e_min_tev, e_max_tev, n + 1)


def _figure(n_rows=1, n_cols=1, width=6.4, height=4.4, **kwargs):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * n_cols, height * n_rows), layout="constrained")
    return fig, fig.subplots(n_rows, n_cols, squeeze=False, **kwargs)


def _log_energy_axis(ax, label, bins):
    # explicit limits: a log axis without any finite data point (an empty sample) cannot draw
    ax.set_xscale("log")
    ax.set_xlim(bins[0], bins[-1])
    ax.set_xlabel(label)
    ax.grid(alpha=0.3, which="both")


def _log_y(ax, *values):
    """Log y axis if any of ``values`` is positive; else a note (a log axis of nothing fails to draw)."""
    if any(np.any(np.asarray(v, float) > 0) for v in values):
        ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "no events", ha="center", va="center", transform=ax.transAxes)


def _centres(edges):
    return np.sqrt(edges[1:] * edges[:-1])


def binned_quantile(x, values, edges, q, min_events=10):
    """Quantile ``q`` of ``values`` in bins of ``x``; NaN for bins with fewer than ``min_events``.

    Returns
    -------
    quantile, n_events : ndarray, ndarray
    """
    x, values = np.asarray(x, float), np.asarray(values, float)
    index = np.digitize(x, edges) - 1
    out = np.full(len(edges) - 1, np.nan)
    counts = np.zeros(len(edges) - 1, int)
    for i in range(len(edges) - 1):
        sel = (index == i) & np.isfinite(values)
        counts[i] = int(sel.sum())
        if counts[i] >= min_events:
            out[i] = np.quantile(values[sel], q)
    return out, counts


def _quantile_error(values_per_bin_q, counts, q):
    """Rough 1-sigma error of a quantile: relative sqrt(q (1-q) / n) / density ~ value/sqrt(n)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return values_per_bin_q * np.sqrt(q * (1 - q) / np.maximum(counts, 1)) / max(q, 1 - q) * 2.0


def plot_angular_resolution(true_energy_tev, theta_deg, bins=None, requirement=None, label="reconstruction",
                            min_events=10):
    """68 % containment radius of the angular error vs true energy.

    Parameters
    ----------
    true_energy_tev : array_like
    theta_deg : array_like
        Angle between reconstructed and true direction per event, deg.
    bins : array_like, optional
        Energy bin edges, TeV (default: 5 per decade over the data range).
    requirement : (array_like, array_like), optional
        (energy TeV, angular resolution deg) curve to compare with.
    """
    energy = np.asarray(true_energy_tev, float)
    bins = _default_bins(energy, bins)
    res, counts = binned_quantile(energy, theta_deg, bins, 0.68, min_events)
    fig, axes = _figure()
    ax = axes[0, 0]
    err = _quantile_error(res, counts, 0.68)
    centres = _centres(bins)
    ax.errorbar(centres, res, xerr=[centres - bins[:-1], bins[1:] - centres], yerr=err, ls="none", marker="o",
                ms=4, label=label)
    if requirement is not None:
        ax.plot(*requirement, color="black", ls="--", label="requirement")
    _log_energy_axis(ax, "true energy [TeV]", bins)
    ax.set_ylabel("angular resolution (68 % containment) [deg]")
    ax.set_ylim(bottom=0)
    ax.legend()
    ax.set_title("angular resolution")
    return fig


def _default_bins(energy, bins):
    if bins is not None:
        return np.asarray(bins, float)
    energy = energy[np.isfinite(energy) & (energy > 0)]
    if len(energy) == 0:
        return energy_bins()
    lo = 10 ** (np.floor(np.log10(energy.min()) * 5) / 5)
    hi = 10 ** (np.ceil(np.log10(energy.max()) * 5) / 5)
    return energy_bins(lo, max(hi, lo * 10 ** 0.2))


def plot_energy_bias_resolution(true_energy_tev, reco_energy_tev, bins=None, min_events=10):
    """Energy bias (median of (E_reco − E_true)/E_true) and resolution vs true energy.

    The resolution is the half-width of the central 68 % interval of the relative
    error, after removing the median (pyirf's convention for ``energy_resolution``
    uses the 68 % quantile of its absolute value; both are shown).
    """
    true = np.asarray(true_energy_tev, float)
    rel = (np.asarray(reco_energy_tev, float) - true) / true
    bins = _default_bins(true, bins)
    bias, counts = binned_quantile(true, rel, bins, 0.5, min_events)
    q16, _ = binned_quantile(true, rel, bins, 0.16, min_events)
    q84, _ = binned_quantile(true, rel, bins, 0.84, min_events)
    abs68, _ = binned_quantile(true, np.abs(rel), bins, 0.68, min_events)
    centres = _centres(bins)
    fig, axes = _figure(1, 2, width=5.2)
    ax_bias, ax_res = axes[0]
    ax_bias.errorbar(centres, bias, xerr=[centres - bins[:-1], bins[1:] - centres], ls="none", marker="o", ms=4,
                     label="median")
    ax_bias.axhline(0, color="black", lw=0.8)
    ax_bias.set_ylabel("energy bias (E_reco − E_true) / E_true")
    ax_bias.set_title("energy bias")
    ax_res.errorbar(centres, 0.5 * (q84 - q16), xerr=[centres - bins[:-1], bins[1:] - centres], ls="none",
                    marker="o", ms=4, label="(q84 − q16) / 2")
    ax_res.errorbar(centres, abs68, ls="none", marker="s", ms=4, mfc="none", label="68 % of |ΔE/E|")
    ax_res.set_ylabel("energy resolution ΔE/E")
    ax_res.set_ylim(bottom=0)
    ax_res.set_title("energy resolution")
    for ax in (ax_bias, ax_res):
        _log_energy_axis(ax, "true energy [TeV]", bins)
        ax.legend(fontsize="small")
    return fig


def _roc(score, is_signal, weights):
    order = np.argsort(-score)
    sig = np.where(is_signal[order], weights[order], 0.0)
    bkg = np.where(~is_signal[order], weights[order], 0.0)
    tpr = np.concatenate([[0.0], np.cumsum(sig) / max(sig.sum(), 1e-300)])
    fpr = np.concatenate([[0.0], np.cumsum(bkg) / max(bkg.sum(), 1e-300)])
    return fpr, tpr


def plot_roc_curves(gh_score, is_gamma, reco_energy_tev, bins=None, weights=None, min_events=20):
    """Gamma/hadron separation: ROC curve per reconstructed-energy bin, AUC in the legend.

    Parameters
    ----------
    gh_score : array_like
        Gammaness (higher = more gamma-like).
    is_gamma : array_like of bool
        True for gamma events, False for background.
    reco_energy_tev : array_like
    bins : array_like, optional
        Energy bin edges, TeV (default: 4 logarithmic bins over the data range).
    weights : array_like, optional
        Event weights (e.g. to a spectrum).
    """
    score = np.asarray(gh_score, float)
    is_gamma = np.asarray(is_gamma, bool)
    energy = np.asarray(reco_energy_tev, float)
    weights = np.ones_like(score) if weights is None else np.asarray(weights, float)
    if bins is None:
        good = energy[np.isfinite(energy) & (energy > 0)]
        bins = np.geomspace(good.min(), good.max() * 1.0001, 5) if len(good) else energy_bins(0.01, 100, 1)
    bins = np.asarray(bins, float)
    fig, axes = _figure(width=5.6, height=5.0)
    ax = axes[0, 0]
    index = np.digitize(energy, bins) - 1
    drawn = 0
    for i in range(len(bins) - 1):
        sel = (index == i) & np.isfinite(score)
        if is_gamma[sel].sum() < min_events or (~is_gamma[sel]).sum() < min_events:
            continue
        fpr, tpr = _roc(score[sel], is_gamma[sel], weights[sel])
        auc = float(np.trapezoid(tpr, fpr))
        ax.plot(fpr, tpr, label=f"{bins[i]:.3g}–{bins[i + 1]:.3g} TeV (AUC {auc:.3f})", color=f"C{drawn % 10}")
        drawn += 1
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", label="random")
    ax.set_xlabel("background efficiency (fraction of hadrons kept)")
    ax.set_ylabel("gamma efficiency (fraction of gammas kept)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower right", title="reconstructed energy", title_fontsize="small")
    ax.set_title("gamma/hadron separation (ROC)")
    return fig


def plot_migration_matrix(true_energy_tev, reco_energy_tev, true_bins=None, reco_bins=None):
    """Energy migration P(E_reco | E_true), each true-energy column normalised to 1."""
    from matplotlib.colors import LogNorm

    true = np.asarray(true_energy_tev, float)
    reco = np.asarray(reco_energy_tev, float)
    true_bins = _default_bins(true, true_bins)
    reco_bins = np.asarray(reco_bins, float) if reco_bins is not None else true_bins
    hist, _, _ = np.histogram2d(true, reco, bins=[true_bins, reco_bins])
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = hist / hist.sum(axis=1, keepdims=True)
    prob = np.ma.masked_less_equal(np.nan_to_num(prob), 0)
    fig, axes = _figure(width=6.2, height=5.2)
    ax = axes[0, 0]
    vmin = max(float(prob.min()) if prob.count() else 1e-3, 1e-4)
    mesh = ax.pcolormesh(true_bins, reco_bins, prob.T, norm=LogNorm(vmin=vmin, vmax=1.0), cmap="viridis")
    lo, hi = max(true_bins[0], reco_bins[0]), min(true_bins[-1], reco_bins[-1])
    ax.plot([lo, hi], [lo, hi], color="red", ls="--", lw=0.8, label="E_reco = E_true")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("true energy [TeV]")
    ax.set_ylabel("reconstructed energy [TeV]")
    ax.legend(loc="upper left", fontsize="small")
    fig.colorbar(mesh, ax=ax, label="P(E_reco | E_true) per bin")
    ax.set_title("energy migration")
    return fig


def plot_effective_area(true_energy_bins_tev, areas_m2, errors_m2=None):
    """Effective area vs true energy for several cut levels.

    Parameters
    ----------
    true_energy_bins_tev : array_like, shape (n + 1,)
    areas_m2 : mapping label -> array_like (n,)
        E.g. ``{"trigger": ..., "quality cuts": ..., "final cuts": ...}``, m².
    errors_m2 : mapping label -> array_like (n,), optional
    """
    bins = np.asarray(true_energy_bins_tev, float)
    fig, axes = _figure()
    ax = axes[0, 0]
    for i, (label, area) in enumerate(areas_m2.items()):
        area = np.asarray(area, float)
        ax.stairs(np.where(area > 0, area, np.nan), bins, label=label, color=f"C{i % 10}", linewidth=1.5)
        if errors_m2 and label in errors_m2:
            err = np.asarray(errors_m2[label], float)
            ax.errorbar(_centres(bins), area, yerr=err, ls="none", color=f"C{i % 10}")
    _log_energy_axis(ax, "true energy [TeV]", bins)
    _log_y(ax, *areas_m2.values())
    ax.set_ylabel("effective area [m²]")
    ax.legend(title="cut level", fontsize="small")
    ax.set_title("effective area")
    return fig


def plot_background_rate(reco_energy_bins_tev, rate_per_s, rate_error_per_s=None, label="background",
                         per_sr=False):
    """Residual background rate per reconstructed-energy bin (s⁻¹, or s⁻¹ sr⁻¹ with ``per_sr``)."""
    bins = np.asarray(reco_energy_bins_tev, float)
    rate = np.asarray(rate_per_s, float)
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.stairs(np.where(rate > 0, rate, np.nan), bins, label=label, linewidth=1.5)
    if rate_error_per_s is not None:
        ax.errorbar(_centres(bins), rate, yerr=np.asarray(rate_error_per_s, float), ls="none", color="C0")
    _log_energy_axis(ax, "reconstructed energy [TeV]", bins)
    _log_y(ax, rate)
    ax.set_ylabel("background rate per energy bin [s⁻¹ sr⁻¹]" if per_sr else "background rate per energy bin [s⁻¹]")
    ax.legend(fontsize="small")
    ax.set_title("background rate after cuts")
    return fig


def plot_sensitivity(reco_energy_bins_tev, e2_flux_erg_cm2_s, requirement=None, label="this analysis",
                     crab_reference=True):
    """Differential sensitivity (E² × flux) against a requirement curve.

    Parameters
    ----------
    reco_energy_bins_tev : array_like (n + 1,)
    e2_flux_erg_cm2_s : array_like (n,)
        E² dN/dE of the minimal detectable flux per bin, erg cm⁻² s⁻¹ (NaN: not reached).
    requirement : (array_like, array_like), optional
        (energy TeV, E² flux erg cm⁻² s⁻¹) requirement curve, e.g. the CTAO one.
    crab_reference : bool
        Also draw 1 %, 10 % and 100 % of the HEGRA Crab spectrum for orientation.
    """
    bins = np.asarray(reco_energy_bins_tev, float)
    sens = np.asarray(e2_flux_erg_cm2_s, float)
    centres = _centres(bins)
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.errorbar(centres, sens, xerr=[centres - bins[:-1], bins[1:] - centres], ls="none", marker="o", ms=4,
                label=label)
    if requirement is not None:
        ax.plot(*requirement, color="black", ls="--", label="requirement")
    if crab_reference:
        energy = np.geomspace(bins[0], bins[-1], 50)
        crab = 2.83e-11 * energy ** -2.62 * energy**2 * 1.602  # HEGRA: TeV^-1 cm^-2 s^-1 -> erg cm^-2 s^-1
        for fraction, style in ((1.0, "-"), (0.1, "--"), (0.01, ":")):
            ax.plot(energy, fraction * crab, color="0.6", ls=style, lw=0.8, label=f"{fraction:g} Crab (HEGRA)")
    _log_energy_axis(ax, "reconstructed energy [TeV]", bins)
    ax.set_yscale("log")
    ax.set_ylabel("E² × flux sensitivity [erg cm⁻² s⁻¹]")
    ax.legend(fontsize="small")
    ax.set_title("differential sensitivity")
    return fig
