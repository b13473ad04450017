"""Per-run DQM plots and the dead/hot pixel classification, on the shared tiny runs."""
import dataclasses

import numpy as np
import pytest

from iactpipe.dqm import plots
from iactpipe.dqm.summary import _pixel_status, summarize_run
from iactpipe.instrument import catalog


@pytest.fixture(scope="module")
def summary(dqm_runs):
    return summarize_run(dqm_runs["dl1"], dqm_runs["raw"], run="gamma")


def test_pixel_status_finds_dead_and_hot():
    rng = np.random.default_rng(5)
    rms = rng.normal(1.3, 0.05, 1855)
    rms[:10] = 0.0  # dead: no noise at all
    rms[10:15] = 3.0  # hot: a star
    dead, hot = _pixel_status(50, rms)
    assert np.flatnonzero(dead).tolist() == list(range(10))
    assert np.flatnonzero(hot).tolist() == list(range(10, 15))
    assert _pixel_status(5, rms) == (None, None)  # too few images to tell


def test_camera_maps_show_status(summary, tmp_path):
    dead = np.zeros(1855)
    dead[:100] = 1
    summary.pixel_maps["1"]["dead"] = dead
    geometry = catalog.build_array("CTAO-North-LST").telescope(1).camera
    fig = plots.plot_camera_maps(summary, 1, geometry, focal_length_m=28.0)
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("pixel status: 100 dead") for t in titles), titles
    assert "pedestal (high gain)" in titles and "in cleaned image" in titles
    fig.savefig(tmp_path / "maps.png", dpi=40)
    assert (tmp_path / "maps.png").stat().st_size > 10_000


def test_summary_plots(summary, tmp_path):
    other = dataclasses.replace(summary, run="copy")
    figures = {
        "multiplicity": plots.plot_multiplicity(summary),
        "pixels": plots.plot_pixel_distributions(summary),
        "survival": plots.plot_image_survival(summary),
        "parameters": plots.plot_parameter_distributions([summary, other], labels=["gammas", "protons"]),
        "metrics": plots.plot_run_metrics([summary, other, summary]),
    }
    assert figures["multiplicity"].axes[0].patches  # bars
    assert figures["pixels"].axes[0].get_yscale() == "log"
    legend_texts = [t.get_text() for legend in figures["parameters"].legends for t in legend.get_texts()]
    assert any(t.startswith("gammas") for t in legend_texts) and any(t.startswith("protons") for t in legend_texts)
    for name, fig in figures.items():
        fig.savefig(tmp_path / f"{name}.png", dpi=40)
        assert (tmp_path / f"{name}.png").stat().st_size > 5_000, name
