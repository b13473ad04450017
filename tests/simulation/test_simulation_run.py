"""``iactpipe simulate`` end to end on tiny runs: file contents, bookkeeping, reproducibility, errors."""
import numpy as np
import pytest
import tables

from iactpipe.cli.main import main
from iactpipe.errors import ConfigurationError
from iactpipe.io import datamodel as dm
from iactpipe.io.checks import check_data_file
from iactpipe.io.hdf5 import read_table
from iactpipe.io.instrument_io import read_subarray_hdf5
from iactpipe.io.provenance import read_provenance
from iactpipe.simulation.config import SimulationConfig, derive_seed
from iactpipe.simulation.run import simulate_run

TINY = dict(n_showers=4, shower_reuse=3, energy_min_tev=1.0, energy_max_tev=3.0, scatter_radius_max_m=150.0,
            array="CTAO-North-LST", seed=11)


@pytest.fixture(scope="module")
def gamma_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "gamma.h5"
    config = SimulationConfig.from_dict({**TINY, "run": 3}, particle="gamma")
    summary = simulate_run(config, path)
    return path, config, summary


def _table_arrays(path):
    """Every table's content as raw numpy arrays (for identity checks)."""
    out = {}
    with tables.open_file(str(path)) as h5:
        for node in h5.walk_nodes("/", classname="Table"):
            out[node._v_pathname] = node.read()
    return out


def test_run_file_has_every_product(gamma_run):
    path, config, summary = gamma_run
    assert check_data_file(path, required_level=["r0", "simulation"])
    subarray = read_subarray_hdf5(path)
    assert subarray.n_tels == 4

    run = read_table(path, dm.SIMULATION_RUN.path())
    assert run["n_showers"][0] == config.n_showers and run["shower_reuse"][0] == config.shower_reuse
    assert run["energy_range_min"][0] == 1.0 and run["max_scatter_range"][0] == 150.0

    hist = read_table(path, dm.SHOWER_DISTRIBUTION.path(), as_="numpy")
    assert hist["n_entries"][0] == config.n_showers * config.shower_reuse
    assert hist["histogram"][0].sum() == config.n_showers * config.shower_reuse

    shower = read_table(path, dm.SHOWER.path())
    trigger = read_table(path, dm.R0_SUBARRAY_TRIGGER.path(), as_="numpy")
    assert len(shower) == summary.n_triggered == len(trigger) > 0
    assert np.all((shower["true_energy"] >= 1.0) & (shower["true_energy"] <= 3.0))
    assert np.all(np.hypot(shower["true_core_x"], shower["true_core_y"]) <= 150.0 / np.sin(np.deg2rad(70)) + 1e-6)
    assert np.all(trigger["tels_with_trigger"].sum(axis=1) >= config.min_telescopes)

    n_tel_events = 0
    for tel_id in subarray.tel_ids:
        r0_path = dm.R0.path(tel_id=tel_id)
        with tables.open_file(str(path)) as h5:
            if r0_path not in h5:
                continue
        r0 = read_table(path, r0_path, as_="numpy")
        n_tel_events += len(r0)
        assert r0["waveform"].dtype == np.uint16
        assert r0["waveform"].shape[1:] == (2, 1855, 40)
        images = read_table(path, dm.TRUE_IMAGES.path(tel_id=tel_id), as_="numpy")
        assert np.array_equal(images["event_id"], r0["event_id"])
        assert np.all(images["true_image_sum"] == images["true_image"].sum(axis=1))
        impact = read_table(path, dm.TRUE_IMPACT.path(tel_id=tel_id))
        assert np.all(impact["true_impact_distance"] >= 0)
        calib = read_table(path, dm.CAMERA_CALIBRATION.path(tel_id=tel_id), as_="numpy")
        assert calib["pedestal_per_sample"].shape == (1, 2, 1855)
        assert np.all(calib["dc_to_pe"] > 0)
    assert n_tel_events == summary.n_telescope_events


def test_provenance_records_seed_and_config(gamma_run):
    path, config, _ = gamma_run
    provenance = read_provenance(path)
    assert provenance.seed == config.run_seed == derive_seed(11, 3)
    assert '"n_showers": 4' in provenance.config


def test_same_seed_gives_identical_contents(gamma_run, tmp_path):
    path, config, _ = gamma_run
    again = tmp_path / "again.h5"
    simulate_run(config, again)
    first, second = _table_arrays(path), _table_arrays(again)
    assert first.keys() == second.keys()
    for key in first:
        # byte identity (NaN fields, e.g. the unknown geomagnetic field, compare equal too)
        assert first[key].tobytes() == second[key].tobytes(), key


def test_other_run_number_gives_other_showers(gamma_run, tmp_path):
    path, config, _ = gamma_run
    other = tmp_path / "other.h5"
    simulate_run(SimulationConfig.from_dict({**TINY, "run": 4}), other)
    assert read_table(other, dm.SIMULATION_RUN.path())["obs_id"][0] == 4
    hist_a = read_table(path, dm.SHOWER_DISTRIBUTION.path(), as_="numpy")["histogram"]
    hist_b = read_table(other, dm.SHOWER_DISTRIBUTION.path(), as_="numpy")["histogram"]
    assert not np.array_equal(hist_a, hist_b)


def test_proton_run(tmp_path):
    config = SimulationConfig.from_dict({**TINY, "n_showers": 3, "energy_min_tev": 3.0, "energy_max_tev": 10.0,
                                         "viewcone_max_deg": 2.0}, particle="proton")
    summary = simulate_run(config, tmp_path / "p.h5")
    shower = read_table(tmp_path / "p.h5", dm.SHOWER.path())
    assert len(shower) == summary.n_triggered
    assert np.all(shower["true_shower_primary_id"] == 101)


@pytest.mark.parametrize("values, phrase", [
    ({"energy_min_tev": -1.0}, "energy_min_tev"),
    ({"energy_min_tev": 10.0, "energy_max_tev": 1.0}, "energy_max_tev"),
    ({"n_showers": 0}, "n_showers"),
    ({"particle": "neutrino"}, "neutrino"),
    ({"array": "Atlantis"}, "array"),
    ({"bogus_key": 1}, "bogus_key"),
    ({"efficiency": {"XST": 0.2}}, "XST"),
])
def test_invalid_config_is_a_clear_error(values, phrase):
    with pytest.raises(ConfigurationError, match=phrase):
        SimulationConfig.from_dict(values)


def test_cli_simulate(tmp_path, capsys):
    out = tmp_path / "cli.h5"
    code = main(["simulate", "--particle", "gamma", "--n-showers", "2", "--run", "5", "--seed", "1",
                 "--array", "CTAO-North-LST", "--energy-min", "1", "--energy-max", "2", "--scatter-radius", "100",
                 "--reuse", "2", "--output", str(out), "--no-progress"])
    assert code == 0 and out.exists()
    assert "thrown events" in capsys.readouterr().out


def test_cli_simulate_bad_config_exits_1(tmp_path, capsys):
    out = tmp_path / "bad.h5"
    code = main(["simulate", "--n-showers", "2", "--energy-min", "5", "--energy-max", "1", "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "energy_max_tev" in err and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "bad.h5.partial").exists()


def test_cli_simulate_config_file(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("simulation:\n  n_showers: 1\n  energy_min_tev: 1.0\n  energy_max_tev: 1.5\n"
                      "  array: CTAO-North-LST\n  scatter_radius_max_m: 50.0\n  shower_reuse: 1\n")
    out = tmp_path / "c.h5"
    assert main(["simulate", "--config", str(config), "--output", str(out), "--no-progress"]) == 0
    assert read_table(out, dm.SIMULATION_RUN.path())["max_scatter_range"][0] == 50.0
    config.write_text("simulation:\n  n_shower: 1\n")
    assert main(["simulate", "--config", str(config), "--output", str(tmp_path / "d.h5")]) == 1
    assert "n_shower" in capsys.readouterr().err
