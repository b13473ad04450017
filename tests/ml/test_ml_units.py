"""Units of iactpipe.ml: configuration, run/shower splits, stereo combination, metrics."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iactpipe.errors import ConfigurationError
from iactpipe.ml import metrics as M
from iactpipe.ml.config import TrainConfig
from iactpipe.ml.models import split_runs, validation_showers
from iactpipe.ml.stereo import combine_disp_direction, combine_energy, combine_score, event_index, weighted_mean


def test_config_defaults_and_errors():
    config = TrainConfig()
    assert config.features and config.lightgbm["seed"] == 1
    assert TrainConfig({"train": {"split": {"test_fraction": 0.25}}}).split["test_fraction"] == 0.25
    with pytest.raises(ConfigurationError, match="unknown key 'foo'"):
        TrainConfig({"foo": 1})
    with pytest.raises(ConfigurationError, match="lightgbm.num_leaves"):
        TrainConfig({"lightgbm": {"num_leaves": 1}})
    with pytest.raises(ConfigurationError, match="duplicate"):
        TrainConfig({"features": ["hillas_width", "hillas_width"]})


def test_split_runs_keeps_runs_whole_and_is_reproducible():
    obs = np.repeat([1, 2, 3, 4, 11, 12], 50)
    particle = np.where(obs < 10, "gamma", "proton")
    test = split_runs(obs, particle, 0.5, seed=3)
    for run in np.unique(obs):  # a run is entirely train or entirely test
        assert len(np.unique(test[obs == run])) == 1
    assert len(np.unique(obs[test & (particle == "gamma")])) == 2
    assert len(np.unique(obs[test & (particle == "proton")])) == 1  # at least one run stays for training
    np.testing.assert_array_equal(test, split_runs(obs, particle, 0.5, seed=3))
    with pytest.raises(ConfigurationError, match="at least 2 runs"):
        split_runs(np.ones(5), np.array(["gamma"] * 5), 0.5, seed=1)
    assert not split_runs(np.ones(5), np.array(["gamma"] * 5), 0.0, seed=1).any()


def test_validation_split_keeps_shower_reuses_together():
    event_id = np.arange(100, 10_000)  # 100 * shower + reuse
    obs = np.ones(len(event_id), int)
    chosen = validation_showers(obs, event_id, 0.3, seed=2)
    shower = event_id // 100
    for s in np.unique(shower):
        assert len(np.unique(chosen[shower == s])) == 1
    assert 0.15 < chosen.mean() < 0.45


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.floats(-3, 3), st.floats(0.1, 100)), min_size=1, max_size=40))
def test_weighted_mean_matches_direct_computation(rows):
    event = np.array([r[0] for r in rows])
    values = np.array([r[1] for r in rows])
    weights = np.array([r[2] for r in rows])
    keys, inverse = event_index(np.zeros(len(event)), event)
    mean, std, n = weighted_mean(values, weights, inverse, len(keys))
    for k, (_, e) in enumerate(keys):
        rows_e = event == e
        expected = np.average(values[rows_e], weights=weights[rows_e])
        assert mean[k] == pytest.approx(expected, abs=1e-9)
        assert n[k] == rows_e.sum()
        if rows_e.sum() > 1:
            spread = np.sqrt(np.average((values[rows_e] - expected) ** 2, weights=weights[rows_e]))
            assert std[k] == pytest.approx(spread, abs=1e-6)
        else:
            assert np.isnan(std[k])


def test_energy_and_score_combination_ignore_unused_rows():
    inverse = np.array([0, 0, 1, 2])
    energy, uncert, valid = combine_energy(np.array([0.0, 1.0, np.nan, 0.5]), np.array([1.0, 3.0, 5.0, 0.0]),
                                           inverse, 3)
    assert energy[0] == pytest.approx(10 ** 0.75) and uncert[0] > 0
    assert not valid[1] and not valid[2] and np.isnan(energy[1])
    score, valid = combine_score(np.array([0.2, 0.6, 0.9, 0.1]), np.array([1.0, 1.0, 2.0, 1.0]), inverse, 3)
    assert score[0] == pytest.approx(0.4) and valid.all()


def test_disp_candidates_chosen_by_geometry_or_sign():
    # two images of one event pointing at (70, 0): candidates 0.5 deg either side
    plus = (np.array([70.5, 69.5]), np.array([0.0, 0.0]))
    minus = (np.array([69.5, 70.5]), np.array([0.0, 0.0]))
    inverse = np.array([0, 0])
    alt, az, chosen_plus, valid = combine_disp_direction(plus, minus, np.array([0.9, 0.9]),
                                                         (np.array([70.4]), np.array([0.0])), np.ones(2), inverse, 1)
    assert valid[0] and alt[0] == pytest.approx(70.5) and chosen_plus.tolist() == [True, False]
    # no geometric solution: the sign classifier decides
    alt, _, chosen_plus, _ = combine_disp_direction(plus, minus, np.array([0.9, 0.1]),
                                                    (np.array([np.nan]), np.array([np.nan])), np.ones(2), inverse, 1)
    assert chosen_plus.tolist() == [True, False] and alt[0] == pytest.approx(70.5)


def test_energy_bias_resolution_matches_pyirf():
    pytest.importorskip("pyirf")
    import astropy.units as u
    from astropy.table import QTable
    from pyirf.benchmarks import energy_bias_resolution

    rng = np.random.default_rng(5)
    true = 10 ** rng.uniform(-1.5, 1.5, 20_000)
    reco = true * rng.lognormal(0.05, 0.2, true.size)
    edges = M.energy_bins(0.03, 30.0, 5)
    bias, resolution, counts = M.energy_bias_resolution(true, reco, edges)
    events = QTable({"true_energy": true * u.TeV, "reco_energy": reco * u.TeV})
    reference = energy_bias_resolution(events, edges * u.TeV)
    np.testing.assert_allclose(bias, reference["bias"], rtol=1e-10)
    np.testing.assert_allclose(resolution, reference["resolution"], rtol=1e-10)


def test_auc_and_roc():
    rng = np.random.default_rng(1)
    labels = rng.random(600) < 0.4
    scores = np.where(labels, rng.normal(1, 1, 600), rng.normal(0, 1, 600))
    scores[:50] = 0.5  # ties
    direct = np.mean([(s > h) + 0.5 * (s == h) for s in scores[labels] for h in scores[~labels]])
    assert M.auc(labels, scores) == pytest.approx(direct)
    fpr, tpr, _ = M.roc_curve(labels, scores)
    assert fpr[0] == 0 and tpr[0] == 0 and fpr[-1] == pytest.approx(1) and tpr[-1] == pytest.approx(1)
    assert np.trapezoid(tpr, fpr) == pytest.approx(direct, abs=1e-12)
    assert M.auc(np.ones(3, bool), np.ones(3)) != M.auc(np.ones(3, bool), np.ones(3))  # NaN: one class only


def test_training_runs_and_file_exclusion(tmp_path):
    import json

    from iactpipe.errors import InputFileError
    from iactpipe.ml.models import drop_training_files, training_runs

    (tmp_path / "models.json").write_text(json.dumps({"training_files": [
        {"path": "a.h5", "runs": [101], "role": "train"}, {"path": "b.h5", "runs": [102], "role": "test"}]}))
    assert training_runs(tmp_path) == {101}
    assert drop_training_files([], tmp_path) == []
    with pytest.raises(InputFileError, match="not a model folder"):
        training_runs(tmp_path / "missing")
