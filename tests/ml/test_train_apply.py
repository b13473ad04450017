"""Training and application of the models on a tiny simulated production (CTAO-North-LST)."""
import json

import numpy as np
import pytest
import tables

from iactpipe.cli.main import main

TINY = {"lightgbm": {"min_data_in_leaf": 3, "max_rounds": 40, "early_stopping_rounds": 5, "num_leaves": 7},
        "split": {"validation_fraction": 0.3}, "quality": {"min_intensity_pe": 30.0}}


def _run(folder, particle, run, n_showers):
    from iactpipe.dl1.processor import process_file
    from iactpipe.reco.processor import reconstruct_file

    raw, dl1, dl2 = (folder / f"{particle}_{run}.{level}.h5" for level in ("r0", "dl1", "dl2"))
    assert main(["simulate", "--particle", particle, "--run", str(run), "--n-showers", str(n_showers),
                 "--array", "CTAO-North-LST", "--reuse", "4", "--energy-min", "0.05", "--scatter-radius", "400",
                 "--seed", "3", "--output", str(raw), "--no-progress"]) == 0
    process_file(raw, dl1)
    reconstruct_file(dl1, dl2)
    raw.unlink()
    return dl2


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ml_production")
    files = {"gamma": [_run(folder, "gamma-diffuse", run, 60) for run in (101, 102)],
             "proton": [_run(folder, "proton", run, 120) for run in (201, 202)]}
    config = folder / "train.yaml"
    import yaml

    config.write_text(yaml.safe_dump(TINY))
    return folder, files, config


@pytest.fixture(scope="module")
def trained(production):
    folder, files, config = production
    models = folder / "models"
    argv = ["train", "--gamma", *map(str, files["gamma"]), "--proton", *map(str, files["proton"]),
            "--output-dir", str(models), "--config", str(config), "--plots", str(folder / "plots")]
    assert main(argv) == 0
    return models, argv


def test_models_sidecars_and_metrics(trained, production):
    models, _ = trained
    folder, files, _ = production
    index = json.loads((models / "models.json").read_text())
    kinds = {(m["kind"], m["telescope_type"]) for m in index["models"]}
    assert kinds == {(k, "LST_LST_LSTCam") for k in ("energy", "classifier", "disp_norm", "disp_sign")}
    for entry in index["models"]:
        sidecar = json.loads((models / entry["file"]).with_suffix(".json").read_text())
        assert sidecar["features"] == index["features"] and sidecar["training"]["n_train"] > 0
        assert "lightgbm" in sidecar["versions"]
    roles = {f["path"]: f["role"] for f in index["training_files"]}
    assert sorted(roles.values()) == ["test", "test", "train", "train"]  # one run per particle held out
    assert all(len(f["sha256"]) == 64 for f in index["training_files"])
    metrics = json.loads((models / "metrics.json").read_text())
    assert set(metrics["summary"]) == {"0.1_TeV", "1_TeV", "10_TeV"}
    assert metrics["n_test_events"]["gamma"] > 0 and metrics["n_test_events"]["hadron"] > 0
    assert metrics["auc_overall"] is not None and metrics["auc_overall"] > 0.5
    for name in ("energy_performance", "classification", "direction"):
        assert (folder / "plots" / f"{name}.png").stat().st_size > 10_000


def test_retraining_gives_identical_models(trained, production, tmp_path):
    models, argv = trained
    again = tmp_path / "again"
    argv = [a if a != str(models) else str(again) for a in argv]
    argv = argv[: argv.index("--plots")]
    assert main(argv) == 0
    for path in sorted(models.glob("*.txt")):
        assert path.read_text() == (again / path.name).read_text()


def test_apply_writes_ctapipe_named_tables(trained, production, tmp_path):
    models, _ = trained
    _, files, _ = production
    output = tmp_path / "applied.h5"
    assert main(["apply", "--input", str(files["gamma"][0]), "--models", str(models), "--output", str(output)]) == 0
    with tables.open_file(output) as h5:
        energy = h5.get_node("/dl2/event/subarray/energy/LGBMRegressor").read()
        score = h5.get_node("/dl2/event/subarray/classification/LGBMClassifier").read()
        disp = h5.get_node("/dl2/event/subarray/geometry/DispReconstructor").read()
        geometry = h5.get_node("/dl2/event/subarray/geometry/HillasReconstructor").read()
        shower = h5.get_node("/simulation/event/subarray/shower").read()
        tel = h5.get_node("/dl2/event/telescope/energy/LGBMRegressor/tel_001").read()
        assert "/dl1/event/telescope/parameters/tel_001" in h5
    assert len(energy) == len(score) == len(disp) == len(geometry)
    np.testing.assert_array_equal(energy["event_id"], geometry["event_id"])
    for name in ("LGBMRegressor_energy", "LGBMRegressor_energy_uncert", "LGBMRegressor_is_valid",
                 "LGBMRegressor_telescopes"):
        assert name in energy.dtype.names
    valid = energy["LGBMRegressor_is_valid"]
    assert valid.any() and np.all(energy["LGBMRegressor_energy"][valid] > 0)
    assert np.isnan(energy["LGBMRegressor_energy"][~valid]).all()
    s = score["LGBMClassifier_prediction"][score["LGBMClassifier_is_valid"]]
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(energy["LGBMRegressor_telescopes"].sum(axis=1)[valid] >= 1)
    # the energy estimate follows the true energy (log correlation) even on a tiny training set
    true = dict(zip(zip(shower["obs_id"], shower["event_id"]), shower["true_energy"]))
    log_true = np.log10([true[k] for k in zip(energy["obs_id"][valid], energy["event_id"][valid])])
    assert np.corrcoef(log_true, np.log10(energy["LGBMRegressor_energy"][valid]))[0, 1] > 0.5
    assert "LGBMRegressor_tel_energy" in tel.dtype.names


def test_apply_errors_are_clear(trained, production, tmp_path, capsys):
    models, _ = trained
    _, files, _ = production
    applied = tmp_path / "applied.h5"
    assert main(["apply", "-i", str(files["gamma"][0]), "-m", str(models), "-o", str(applied)]) == 0
    assert main(["apply", "-i", str(applied), "-m", str(models), "-o", str(tmp_path / "twice.h5")]) == 1
    assert "already holds" in capsys.readouterr().err
    assert main(["apply", "-i", str(files["gamma"][0]), "-m", str(tmp_path), "-o", str(tmp_path / "x.h5")]) == 1
    assert "not a model folder" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "x.h5.partial").exists()


def test_missing_feature_is_named(trained, production):
    from iactpipe.errors import InputFileError
    from iactpipe.ml.features import read_telescope_table
    from iactpipe.ml.models import ModelSet

    models, _ = trained
    _, files, _ = production
    events = read_telescope_table(files["gamma"][0], with_truth=False).drop(columns=["hillas_skewness", "h_max"])
    with pytest.raises(InputFileError, match="hillas_skewness, h_max"):
        ModelSet.load(models).predict(events, np.ones(len(events), bool))
