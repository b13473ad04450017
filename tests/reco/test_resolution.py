"""Resolution table: analytic toy values."""
import numpy as np
import pytest

from iactpipe.reco.resolution import resolution_vs_energy


def test_68_percent_containment_per_bin():
    energy = np.repeat([0.1, 1.0], 100)
    theta = np.concatenate([np.linspace(0, 1, 100), np.linspace(0, 0.1, 100)])
    core = 10 * theta
    valid = np.ones(200, bool)
    valid[:10] = False  # invalid events count in n_events only
    table = resolution_vs_energy(energy, theta, core, valid, energy_bins_tev=[0.05, 0.5, 5.0], min_events=10)
    assert list(table["n_events"]) == [100, 100]
    assert list(table["n_valid"]) == [90, 100]
    assert table["angular_resolution"][1].to_value("deg") == pytest.approx(0.068, abs=1e-3)
    assert table["angular_resolution"][0].to_value("deg") == pytest.approx(np.quantile(theta[10:100], 0.68))
    assert table["core_resolution"][1].to_value("m") == pytest.approx(0.68, abs=1e-2)


def test_too_few_events_give_nan():
    table = resolution_vs_energy([1.0] * 5, [0.1] * 5, [1.0] * 5, [True] * 5, energy_bins_tev=[0.5, 2.0])
    assert np.isnan(table["angular_resolution"][0].value)
    assert table["n_valid"][0] == 5
