"""Outlier runs: a run with a raised pedestal is flagged, the normal runs are not."""
import numpy as np
import pandas as pd
import pytest

from iactpipe.dqm import OutlierThresholds, RunSummary, find_outliers, summarize_run, write_outlier_tables
from iactpipe.dqm.outliers import chi2_two_sample
from iactpipe.errors import ConfigurationError

from .conftest import PEDESTAL_SHIFT_ADC, split_dl1


@pytest.fixture(scope="module")
def split_runs(dqm_runs, tmp_path_factory):
    """Four normal runs (disjoint quarters of the good run) and one bad quarter."""
    out = tmp_path_factory.mktemp("split")
    good = split_dl1(dqm_runs["dl1"], 4, out, "good")
    bad = split_dl1(dqm_runs["bad_dl1"], 4, out, "bad")[:1]
    return good, bad


@pytest.fixture(scope="module")
def summaries(split_runs, dqm_runs):
    good, bad = split_runs
    with_raw = [summarize_run(p, dqm_runs["raw"]) for p in good] + [summarize_run(bad[0], dqm_runs["bad_raw"])]
    # the same runs as without the raw file: drop what comes from the raw calibration tables
    raw_only = ("pedestal_", "broken_")
    dl1_only = [RunSummary(**{**vars(s), "scalars": {k: v for k, v in s.scalars.items() if not k.startswith(raw_only)}})
                for s in with_raw]
    return with_raw, dl1_only


def test_bad_run_flagged_with_raw(summaries, tmp_path):
    with_raw, _ = summaries
    runs, checks = find_outliers(with_raw)
    flagged = dict(zip(runs["run"], runs["flagged"]))
    assert flagged == {"good_part0": False, "good_part1": False, "good_part2": False, "good_part3": False,
                       "bad_part0": True}
    reasons = runs.set_index("run").loc["bad_part0", "reasons"]
    assert "pedestal_mean_adc/tel_001" in reasons  # raw calibration: the pedestal itself
    assert "pixel_charge/tel_001" in reasons  # DL1: charges pulled down by the wrong pedestal
    bad_pedestal = checks[(checks["run"] == "bad_part0") & (checks["check"] == "pedestal_mean_adc/tel_001")]
    assert bad_pedestal["value"].iloc[0] - bad_pedestal["reference"].iloc[0] == pytest.approx(PEDESTAL_SHIFT_ADC,
                                                                                               abs=0.5)
    paths = write_outlier_tables(runs, checks, tmp_path)
    table = pd.read_csv(paths[0])
    assert list(table.loc[table["flagged"], "run"]) == ["bad_part0"]
    html = paths[2].read_text()
    assert "bad_part0" in html and "pedestal_mean_adc" in html and "1 of 5 runs flagged" in html


def test_bad_run_flagged_from_dl1_alone(summaries, dqm_runs):
    _, dl1_only = summaries
    assert summarize_run(dqm_runs["dl1"]).scalars.keys() == dl1_only[0].scalars.keys()
    runs, _ = find_outliers(dl1_only)
    assert list(runs.loc[runs["flagged"], "run"]) == ["bad_part0"]
    assert "median_noise_mean_pe" in runs.set_index("run").loc["bad_part0", "reasons"]


def test_summary_round_trip(summaries, tmp_path):
    summary = summaries[0][0]
    path = tmp_path / "s.json"
    summary.to_json(path)
    again = RunSummary.from_json(path)
    assert again.run == summary.run
    np.testing.assert_allclose(again.pixel_map(1, "pedestal_mean_adc"), summary.pixel_map(1, "pedestal_mean_adc"),
                               rtol=1e-6)
    runs, _ = find_outliers([again, *summaries[0][1:]])
    assert runs["flagged"].sum() == 1


def test_summary_contents(summaries):
    summary = summaries[0][0]
    assert summary.scalars["n_events"] > 0
    assert 0 < summary.scalars["image_survival_fraction"] <= 1
    assert summary.scalars["dead_pixel_fraction/tel_001"] == 0
    assert summary.scalars["broken_pixel_fraction/tel_001"] == 0
    edges, counts = summary.histogram("multiplicity")
    assert counts.sum() == summary.scalars["n_events"]
    assert len(summary.pixel_map(1, "noise_rms_pe")) == 1855


def test_chi2_two_sample():
    rng = np.random.default_rng(0)
    edges = np.linspace(-5, 5, 41)
    a = np.histogram(rng.normal(size=2000), edges)[0]
    b = np.histogram(rng.normal(size=6000), edges)[0]
    c = np.histogram(rng.normal(0.5, 1, size=2000), edges)[0]
    assert chi2_two_sample(a, b)[2] > 1e-3
    chi2, ndf, p, distance = chi2_two_sample(c, b)
    assert p < 1e-10 and distance == pytest.approx(0.19, abs=0.05)


def test_needs_three_runs(summaries):
    with pytest.raises(ConfigurationError, match="at least 3 runs"):
        find_outliers(summaries[0][:2])
    with pytest.raises(ConfigurationError):
        OutlierThresholds(p_value=2.0)
