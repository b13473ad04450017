"""Benchmark plots on synthetic DL2/IRF-like inputs with known answers."""
import numpy as np
import pytest

from iactpipe.visualization import benchmarks as bm


def _png_size(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=60)
    return path.stat().st_size


@pytest.fixture(scope="module")
def events():
    """5000 synthetic events: E^-2 between 0.03 and 30 TeV, resolution improving with energy."""
    rng = np.random.default_rng(7)
    n = 5000
    energy = 0.03 * (1000.0 ** rng.uniform(0, 1, n))
    sigma_deg = 0.1 * energy ** -0.3
    theta = sigma_deg * np.sqrt(-2.0 * np.log(rng.uniform(size=n)))  # 2-d Gaussian radial error
    reco_energy = energy * (1.0 + 0.05 + rng.normal(0, 0.2, n))
    is_gamma = rng.uniform(size=n) < 0.5
    score = np.clip(np.where(is_gamma, rng.normal(0.7, 0.15, n), rng.normal(0.35, 0.15, n)), 0, 1)
    return {"energy": energy, "theta": theta, "sigma": sigma_deg, "reco_energy": reco_energy,
            "is_gamma": is_gamma, "score": score}


def test_binned_quantile_known_answer():
    edges = np.array([0.0, 1.0, 2.0])
    x = np.r_[np.full(100, 0.5), np.full(5, 1.5)]
    values = np.r_[np.arange(100.0), np.arange(5.0)]
    q, n = bm.binned_quantile(x, values, edges, 0.5, min_events=10)
    assert q[0] == pytest.approx(49.5) and np.isnan(q[1]) and list(n) == [100, 5]


def test_angular_resolution(events, tmp_path):
    bins = bm.energy_bins(0.03, 30, 5)
    fig = bm.plot_angular_resolution(events["energy"], events["theta"], bins=bins,
                                     requirement=([0.03, 30], [0.2, 0.03]))
    ax = fig.axes[0]
    points = ax.containers[0].lines[0].get_ydata()
    centres = np.sqrt(bins[1:] * bins[:-1])
    # 68 % containment of a 2-d Gaussian is 1.51 sigma
    np.testing.assert_allclose(points, 1.51 * 0.1 * centres ** -0.3, rtol=0.2)
    assert "[deg]" in ax.get_ylabel() and "[TeV]" in ax.get_xlabel()
    assert _png_size(fig, tmp_path, "angres") > 5000


def test_energy_bias_resolution(events, tmp_path):
    fig = bm.plot_energy_bias_resolution(events["energy"], events["reco_energy"])
    bias = fig.axes[0].containers[0].lines[0].get_ydata()
    assert np.nanmedian(bias) == pytest.approx(0.05, abs=0.03)
    resolution = fig.axes[1].containers[0].lines[0].get_ydata()
    assert np.nanmedian(resolution) == pytest.approx(0.2, abs=0.04)
    assert _png_size(fig, tmp_path, "eres") > 5000


def test_roc_curves(events, tmp_path):
    fig = bm.plot_roc_curves(events["score"], events["is_gamma"], events["reco_energy"],
                             bins=[0.03, 0.3, 3.0, 40.0])
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.lines]
    aucs = [float(label.split("AUC ")[1].rstrip(")")) for label in labels if "AUC" in label]
    assert len(aucs) == 3
    assert all(0.85 < auc < 0.98 for auc in aucs)  # two Gaussians 2.33 sigma apart: AUC 0.95
    assert _png_size(fig, tmp_path, "roc") > 5000


def test_migration_matrix(events, tmp_path):
    fig = bm.plot_migration_matrix(events["energy"], events["reco_energy"], true_bins=bm.energy_bins(0.03, 30, 5))
    mesh = fig.axes[0].collections[0]
    prob = np.ma.filled(mesh.get_array(), 0.0).reshape(15, 15)  # (reco, true)
    np.testing.assert_allclose(prob.sum(axis=0)[2:-2], 1.0, atol=0.05)  # columns normalised (edges leak)
    assert _png_size(fig, tmp_path, "migration") > 5000


def test_effective_area_background_sensitivity(tmp_path):
    bins = bm.energy_bins(0.01, 100, 5)
    e = np.sqrt(bins[1:] * bins[:-1])
    trigger = 1e6 * (1 - np.exp(-e / 0.05))
    areas = {"trigger": trigger, "quality cuts": 0.7 * trigger, "final cuts": 0.4 * trigger}
    fig = bm.plot_effective_area(bins, areas)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == list(areas)
    assert "[m²]" in fig.axes[0].get_ylabel()
    assert _png_size(fig, tmp_path, "aeff") > 5000
    fig = bm.plot_background_rate(bins, 1e-2 * e ** -1.7, rate_error_per_s=1e-3 * e ** -1.7)
    assert "[s⁻¹]" in fig.axes[0].get_ylabel()
    assert _png_size(fig, tmp_path, "bkg") > 5000
    sensitivity = 1e-12 * (e ** -0.5 + e ** 0.5)
    sensitivity[-2:] = np.nan
    fig = bm.plot_sensitivity(bins, sensitivity, requirement=(e, 2e-12 * (e ** -0.5 + e ** 0.5)))
    ax = fig.axes[0]
    assert any(line.get_label() == "requirement" for line in ax.lines)
    lo, hi = ax.get_ylim()
    assert lo < np.nanmin(sensitivity) and hi > np.nanmax(sensitivity)
    assert _png_size(fig, tmp_path, "sens") > 5000


def test_empty_samples_still_draw(tmp_path):
    """Tiny productions can leave no event in a bin range or after cuts: the plots must still render."""
    bins = bm.energy_bins(0.05, 50.0, 4)
    n = len(bins) - 1
    figures = [bm.plot_background_rate(bins, np.zeros(n), np.zeros(n), per_sr=True),
               bm.plot_effective_area(bins, {"trigger": np.zeros(n), "final": np.zeros(n)}),
               bm.plot_angular_resolution(np.ones(3), np.ones(3), bins=bins),
               bm.plot_energy_bias_resolution(np.ones(3), np.ones(3), bins=bins),
               bm.plot_sensitivity(bins, np.full(n, np.nan))]
    for i, fig in enumerate(figures):
        fig.savefig(tmp_path / f"{i}.png")
        assert (tmp_path / f"{i}.png").stat().st_size > 5_000
    assert any("no events" in t.get_text() for t in figures[0].axes[0].texts)
