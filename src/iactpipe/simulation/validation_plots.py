"""Plots of the simulator validation checks (`iactpipe.simulation.validation`).

Pure functions: the result dict of one check in, a `matplotlib.figure.Figure` out. The
figures are created without pyplot (no global figure registry, no GUI backend), so they
can be saved from any thread or process with ``figure.savefig(path)``; nothing is written
here.
"""
import numpy as np
from matplotlib.ticker import NullFormatter

__all__ = [
    "PLOTTERS",
    "plot_light_pool",
    "plot_amplitude_vs_energy",
    "plot_image_pointing",
    "plot_width_vs_intensity",
    "plot_trigger_threshold",
    "plot_muon_ring_radius",
    "plot_time_gradient_vs_impact",
]


def _figure(n_axes=1, width=6.4, height=4.4):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * n_axes if n_axes > 1 else width, height), layout="constrained")
    axes = fig.subplots(1, n_axes)
    return fig, np.atleast_1d(axes)


def _log_x(ax):
    """Logarithmic x axis with labels on the decades only (minor labels overlap)."""
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())


def _verdict(fig, data):
    """Figure title: how many expectations passed."""
    rows = data.get("expectations", [])
    passed = sum(row["passed"] for row in rows)
    fig.suptitle(f"{passed}/{len(rows)} expectations met", fontsize=9,
                 color="tab:green" if passed == len(rows) else "tab:red")


def plot_light_pool(data):
    """Photon density vs core distance (mean and shower-to-shower rms).

    Parameters
    ----------
    data : dict
        Result of `iactpipe.simulation.validation.light_pool`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,) = _figure()
    r, d, rms = data["radius_m"], data["density"], data["density_rms"]
    # the lower edge is floored at a third of the mean: on a log axis the central spike's
    # rms would otherwise reach down to zero
    ax.fill_between(r, np.maximum(d - rms, d / 3.0), d + rms, color="tab:blue", alpha=0.25,
                    label="shower-to-shower rms")
    ax.plot(r, d, color="tab:blue", label=f"mean of {data['n_showers']} vertical γ, {data['energy_tev']:g} TeV")
    ax.axvspan(100, 150, color="tab:orange", alpha=0.15, label="expected shoulder 100–150 m")
    ax.errorbar([50.0], [120.0], yerr=[[80.0], [80.0]], fmt="none", ecolor="k", capsize=4,
                label="expected 40–200 m⁻² at 50 m")
    ax.axvline(data["shoulder_radius_m"], color="tab:red", ls="--", lw=1,
               label=f"measured shoulder {data['shoulder_radius_m']:.0f} m")
    ax.set_yscale("log")
    ax.set_ylim(0.5 * np.min(d[d > 0]), 2.0 * np.max(d + rms))
    ax.set_xlabel("core distance (m)")
    ax.set_ylabel("photon density, 300–600 nm (m⁻²)")
    ax.set_title(f"Light pool at {data['observation_level_m']:.0f} m a.s.l.: {data['density_50m']:.0f} ± "
                 f"{data['density_50m_error']:.0f} m⁻² at 50 m (median shower {data['density_50m_median']:.0f})",
                 fontsize=10)
    ax.legend(fontsize=8)
    _verdict(fig, data)
    return fig


def plot_amplitude_vs_energy(data):
    """Total true image amplitude vs energy at a fixed impact distance.

    Parameters
    ----------
    data : dict
        Result of `iactpipe.simulation.validation.amplitude_vs_energy`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,) = _figure()
    e = data["energy_tev"]
    ax.scatter(data["shower_energy_tev"], data["shower_amplitude"], s=8, alpha=0.4, color="tab:blue",
               label="showers")
    ax.errorbar(e, data["amplitude_mean"], yerr=data["amplitude_rms"], fmt="o", color="k", capsize=3,
                label="mean ± rms")
    grid = np.geomspace(e.min(), e.max(), 50)
    ax.plot(grid, 10 ** (data["intercept_log10_pe"] + data["slope"] * np.log10(grid)), color="tab:red",
            label=f"fit: slope {data['slope']:.3f} ± {data['slope_error']:.3f}")
    k = np.interp(np.log10(1.0), np.log10(e), np.log10(data["amplitude_mean"]))
    ax.plot(grid, 10**k * grid, color="gray", ls="--", label="linear (slope 1) through 1 TeV")
    _log_x(ax)
    ax.set_yscale("log")
    ax.set_xlabel("γ energy (TeV)")
    ax.set_ylabel("total image amplitude (pe)")
    ax.set_title(f"{data['telescope']}, impact {data['impact_m']:.0f} m", fontsize=10)
    ax.legend(fontsize=8)
    _verdict(fig, data)
    return fig


def plot_image_pointing(data):
    """Distributions of the distance between the major axis and the source.

    Parameters
    ----------
    data : dict
        Result of `iactpipe.simulation.validation.image_pointing`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,) = _figure()
    bins = np.linspace(0.0, 1.5, 61)
    styles = {"gamma": ("γ (point source)", "tab:blue"), "proton_diffuse": ("protons, diffuse", "tab:red"),
              "proton": ("protons from the source direction", "tab:orange")}
    for key, (label, color) in styles.items():
        if key not in data:
            continue
        sample = data[key]
        miss = np.clip(sample["miss_deg"], 0.0, bins[-1] - 1e-9)
        weights = np.full(miss.size, 1.0 / max(miss.size, 1))
        ax.hist(miss, bins, weights=weights, histtype="step", color=color, lw=1.5,
                label=f"{label}: {100 * sample['fraction_within']:.0f} % < {data['miss_cut_deg']} deg "
                      f"(n={sample['n_selected']})")
    ax.axvline(data["miss_cut_deg"], color="k", ls="--", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel(f"miss: distance of the major axis to the source (deg; last bin: ≥ {bins[-2]:.2f})")
    ax.set_ylabel("fraction of images")
    ax.set_title(f"Bright (≥ {data['min_intensity_pe']:g} pe), non-truncated images", fontsize=10)
    ax.legend(fontsize=8)
    _verdict(fig, data)
    return fig


def plot_width_vs_intensity(data):
    """Mean width vs intensity and the width/length distributions of γ and protons.

    Parameters
    ----------
    data : dict
        Result of `iactpipe.simulation.validation.width_vs_intensity`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _figure(3, width=4.6)
    edges = data["intensity_edges_pe"]
    centers = np.sqrt(edges[1:] * edges[:-1])
    ax = axes[0]
    for name, color in (("gamma", "tab:blue"), ("proton", "tab:red")):
        for quantity, marker in (("width", "o"), ("length", "s")):
            ax.errorbar(centers, data[f"{name}_{quantity}_mean"], yerr=data[f"{name}_{quantity}_err"], fmt=marker,
                        ms=4, color=color, mfc="none" if quantity == "length" else color, capsize=2,
                        label=f"{'γ' if name == 'gamma' else 'p'} {quantity}")
    _log_x(ax)
    ax.set_xlabel("intensity (pe)")
    ax.set_ylabel("mean (deg)")
    ax.legend(fontsize=7)
    for ax, quantity in zip(axes[1:], ("width", "length")):
        bins = data[f"{quantity}_hist_edges"]
        ax.hist(data[f"gamma_{quantity}"], bins, density=True, histtype="step", color="tab:blue", label="γ")
        ax.hist(data[f"proton_{quantity}"], bins, weights=data["proton_weight"], density=True, histtype="step",
                color="tab:red", label="protons (γ intensity distribution)")
        ax.set_xlabel(f"{quantity} (deg)")
        ax.set_title(f"overlap coefficient {data[f'{quantity}_overlap']:.2f}", fontsize=9)
        ax.legend(fontsize=8)
    _verdict(fig, data)
    return fig


def plot_trigger_threshold(data):
    """Triggered rate per log E (E^-2.5) and effective area per subarray.

    Parameters
    ----------
    data : dict
        Result of `iactpipe.simulation.validation.trigger_threshold`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _figure(2, width=5.2)
    colors = ["tab:blue", "tab:red", "tab:green", "tab:purple"]
    for name, color in zip(data["arrays"], colors):
        d = data[name]
        e_gev = 1e3 * d["energy_centers_tev"]
        rate_err = d["rate"] / np.sqrt(np.maximum(d["n_triggered"], 1))
        axes[0].errorbar(e_gev, d["rate"], yerr=rate_err, fmt="o-", ms=3, color=color, capsize=2,
                         label=f"{name}: peak {d['peak_energy_gev']:.3g} ± {d['peak_energy_err_gev']:.2g} GeV")
        axes[0].axvline(d["peak_energy_gev"], color=color, ls="--", lw=1)
        axes[1].plot(e_gev, d["effective_area_m2"], "o-", ms=3, color=color,
                     label=f"{name} (scatter {d['scatter_radius_m']:.0f} m)")
    _log_x(axes[0])
    axes[0].set_xlabel("true energy (GeV)")
    axes[0].set_ylabel(f"triggered rate per log E, E^{data['target_index']:g} (max = 1)")
    axes[0].legend(fontsize=8)
    _log_x(axes[1])
    axes[1].set_yscale("log")
    axes[1].set_xlabel("true energy (GeV)")
    axes[1].set_ylabel("effective area, stereo trigger (m²)")
    axes[1].legend(fontsize=8)
    _verdict(fig, data)
    return fig


def plot_muon_ring_radius(data):
    """Fitted muon ring radius vs energy, with the Cherenkov-angle expectation.

    Parameters
    ----------
    data : dict
        Result of `iactpipe.simulation.validation.muon_ring_radius`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _figure(2, width=4.8)
    ax = axes[0]
    ax.scatter(data["energy_gev"], data["radius_deg"], s=10, color="tab:blue", label="fitted ring radius")
    ax.plot(data["curve_energy_gev"], data["curve_radius_deg"], color="k",
            label="θ_c(E) at the mean emission height")
    ax.axhline(data["theta_c_ground_deg"], color="gray", ls=":", label="θ_c(β=1) at the observation level")
    ax.axhspan(1.0, 1.3, color="tab:orange", alpha=0.1, label="expected ~1.0–1.3 deg")
    _log_x(ax)
    ax.set_xlabel("muon energy (GeV)")
    ax.set_ylabel("ring radius (deg)")
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.hist(data["residual_deg"], bins=30, color="tab:blue", histtype="stepfilled", alpha=0.6)
    ax.set_xlabel("fitted − expected radius (deg)")
    ax.set_title(f"mean {data['mean_residual_deg']:+.4f}, rms {data['rms_residual_deg']:.4f} deg", fontsize=9)
    _verdict(fig, data)
    return fig


def plot_time_gradient_vs_impact(data):
    """Time gradient along the major axis vs impact distance.

    Parameters
    ----------
    data : dict
        Result of `iactpipe.simulation.validation.time_gradient_vs_impact`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,) = _figure()
    ax.scatter(data["impact_m"], data["time_gradient_ns_per_deg"], s=6, alpha=0.35, color="tab:blue",
               label="images")
    ax.errorbar(data["bin_centers_m"], data["gradient_mean"], yerr=data["gradient_err"], fmt="o", color="k",
                capsize=3, label="mean per impact bin")
    x = np.linspace(data["impact_edges_m"][0], data["impact_edges_m"][-1], 10)
    slope = data["slope_ns_per_deg_per_100m"]
    ax.plot(x, data["intercept_ns_per_deg"] + slope * x / 100.0, color="tab:red",
            label=f"linear fit: {slope:.2f} ± {data['slope_error']:.2f} ns/deg per 100 m")
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.set_xlabel("impact distance (m)")
    ax.set_ylabel("time gradient along the major axis (ns/deg)")
    ax.set_title(f"γ {data['energy_tev']:g} TeV, Spearman ρ = {data['spearman_rho']:.2f}", fontsize=10)
    ax.legend(fontsize=8)
    _verdict(fig, data)
    return fig


#: Check name -> plot function (the order of ``iactpipe validate-simulation``).
PLOTTERS = {
    "light_pool": plot_light_pool,
    "amplitude_vs_energy": plot_amplitude_vs_energy,
    "image_pointing": plot_image_pointing,
    "width_vs_intensity": plot_width_vs_intensity,
    "trigger_threshold": plot_trigger_threshold,
    "muon_ring_radius": plot_muon_ring_radius,
    "time_gradient_vs_impact": plot_time_gradient_vs_impact,
}
