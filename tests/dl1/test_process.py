"""End-to-end ``iactpipe process`` on a tiny simulated run and on a prod6 sim_telarray file."""
import json

import numpy as np
import pytest
import tables

from iactpipe.cli.main import main
from iactpipe.dl1.config import ProcessConfig, load_config, load_preset
from iactpipe.dl1.processor import TelescopeSetup, process_batch, process_file
from iactpipe.errors import ConfigurationError
from iactpipe.io import datamodel as dm
from iactpipe.io.hdf5 import read_table
from iactpipe.io.provenance import read_provenance


@pytest.fixture(scope="module")
def raw_run(tmp_path_factory):
    from iactpipe.simulation.config import SimulationConfig
    from iactpipe.simulation.run import simulate_run

    path = tmp_path_factory.mktemp("raw") / "raw.h5"
    simulate_run(SimulationConfig.from_dict({"n_showers": 4, "shower_reuse": 3, "energy_min_tev": 1.0,
                                             "energy_max_tev": 3.0, "scatter_radius_max_m": 150.0,
                                             "array": "CTAO-North-LST", "seed": 11, "run": 3}), path)
    return path


@pytest.fixture(scope="module")
def dl1_run(raw_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("dl1") / "run.dl1.h5"
    assert main(["process", "--preset", "ctapipe", "--input", str(raw_run), "--output", str(out),
                 "--write-images", "--no-progress"]) == 0
    return out


def test_outputs_and_truth_carried(dl1_run, raw_run):
    params = read_table(dl1_run, dm.DL1_PARAMETERS.path(tel_id=1))
    images = read_table(dl1_run, dm.DL1_IMAGES.path(tel_id=1))
    r0 = read_table(raw_run, dm.R0.path(tel_id=1), columns=["event_id"])
    assert list(params["event_id"]) == list(r0["event_id"]) == list(images["event_id"])
    assert {"hillas_intensity", "obs_id", "tel_id"} <= set(params.columns)
    assert len(images["image"].iloc[0]) == 1855
    for schema in (dm.SHOWER, dm.DL1_SUBARRAY_TRIGGER, dm.SIMULATION_RUN, dm.SHOWER_DISTRIBUTION):
        assert len(read_table(dl1_run, schema.path())) > 0
    assert len(read_table(dl1_run, dm.TRUE_IMAGES.path(tel_id=2))) > 0
    provenance = read_provenance(dl1_run)
    config = json.loads(provenance.config)
    assert config["process"]["extractor"]["name"] == "NeighborPeakWindowSum"
    assert config["process"]["cleaning"]["picture_threshold_pe"] == 10.0
    assert main(["info", "--require", "dl1", str(dl1_run)]) == 0


def test_images_match_true_charge(dl1_run):
    images = read_table(dl1_run, dm.DL1_IMAGES.path(tel_id=1))
    truth = read_table(dl1_run, dm.TRUE_IMAGES.path(tel_id=1))
    image = np.stack(images["image"])
    true = np.stack(truth["true_image"])
    bright = true > 50
    if bright.any():
        ratio = image[bright].sum() / true[bright].sum()
        assert 0.8 < ratio < 1.2


def test_n_jobs_gives_identical_parameters(raw_run, dl1_run, tmp_path):
    out = tmp_path / "par.dl1.h5"
    process_file(raw_run, out, load_config(preset="ctapipe"), n_jobs=2, batch_events=4)
    a = read_table(dl1_run, dm.DL1_PARAMETERS.path(tel_id=3))
    b = read_table(out, dm.DL1_PARAMETERS.path(tel_id=3))
    assert a.equals(b)


def test_prod6_simtel(prod6_path, tmp_path):
    out = tmp_path / "p6.dl1.h5"
    summary = process_file(prod6_path, out, load_config(preset="ctapipe"), write_images=True)
    assert summary.n_telescope_events > 0
    with tables.open_file(out) as h5:
        assert dm.DL1_SUBARRAY_TRIGGER.path() in h5 and dm.SHOWER.path() in h5
    assert main(["info", "--require", "dl1", str(out)]) == 0


def test_zero_events_gives_empty_output(raw_run, tmp_path):
    empty = tmp_path / "empty.h5"
    with tables.open_file(raw_run) as h5:
        h5.copy_file(str(empty))
    with tables.open_file(empty, "a") as h5:
        for node in h5.walk_nodes("/", "Table"):
            if node._v_pathname.startswith(("/r0/", "/simulation/event/")):
                node.truncate(0)
    out = tmp_path / "empty.dl1.h5"
    summary = process_file(empty, out)
    assert summary.n_telescope_events == 0 and out.exists()
    assert read_provenance(out).activity == "process"


def test_unknown_config_key_exits_1(raw_run, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cleaning:\n  picture_threshold: 8\n")
    assert main(["process", "--input", str(raw_run), "--output", str(tmp_path / "x.h5"), "--config",
                 str(bad)]) == 1
    assert "picture_threshold" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()


def test_unknown_camera_in_config(raw_run, tmp_path):
    config = ProcessConfig({"telescope_types": {"FlashCam": {"cleaning": {"picture_threshold_pe": 8}}}})
    with pytest.raises(ConfigurationError, match="FlashCam"):
        process_file(raw_run, tmp_path / "y.h5", config)
    assert not (tmp_path / "y.h5").exists()


def test_per_type_override_and_preset_file():
    preset = load_preset("ctapipe")
    assert preset["extractor"] == {"name": "NeighborPeakWindowSum", "window_width": 7, "window_shift": 3,
                                   "local_weight": 0, "apply_integration_correction": True}
    config = ProcessConfig({"telescope_types": {"LSTCam": {"extractor": {"name": "LocalPeakWindowSum"}}}})
    assert config.resolved_types["LSTCam"]["extractor"] == {"name": "LocalPeakWindowSum"}
    with pytest.raises(ConfigurationError, match="telescope_types.LSTCam.extractor"):
        ProcessConfig({"telescope_types": {"LSTCam": {"extractor": {"local_weight": 1, "name": "FixedWindowSum"}}}})


def test_nan_samples_and_all_broken(raw_run):
    from iactpipe.io import open_events

    with open_events(raw_run) as source:
        batch = next(iter(source.iter_batches(max_events=3)))
        calib = source.calibration[int(batch.tel_id[0])]
        setup = TelescopeSetup(batch.description, ProcessConfig().for_telescope(batch.description))
    n = len(batch)
    pedestal = np.broadcast_to(calib.pedestal_per_sample, (n,) + calib.pedestal_per_sample.shape).copy()
    dc_to_pe = np.broadcast_to(calib.dc_to_pe, pedestal.shape).copy()
    pedestal[0, :, 10] = np.nan  # non-finite samples in one pixel
    broken = np.zeros((n, pedestal.shape[-1]), bool)
    broken[1] = True  # every pixel broken
    result = process_batch(setup, batch.waveforms, pedestal, dc_to_pe, broken)
    assert np.isfinite(result["image"]).all()
    assert not result["parameters"]["is_valid"][1]
    assert np.all(result["image"][1] == 0)


def test_truncated_simtel(simtel_dir, tmp_path):
    import zstandard

    full = simtel_dir / "lst_muons_with_true_photons.simtel.zst"
    data = zstandard.ZstdDecompressor().stream_reader(full.read_bytes()).read()
    cut = tmp_path / "cut.simtel"
    cut.write_bytes(data[: int(len(data) * 0.8)])
    out = tmp_path / "cut.dl1.h5"
    assert main(["process", "--input", str(cut), "--output", str(out), "--no-progress"]) == 1
    assert not out.exists()
    with pytest.warns(UserWarning, match="truncated"):
        assert main(["process", "--input", str(cut), "--output", str(out), "--allow-truncated",
                     "--no-progress"]) == 0
    provenance = read_provenance(out)
    assert "truncat" in json.loads(provenance.config)["truncation_warning"]
