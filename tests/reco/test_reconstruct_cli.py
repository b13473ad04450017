"""``iactpipe reconstruct`` in-process: a good run, chunking, event joins, and clear errors on bad input."""
import shutil

import numpy as np
import pytest
import tables

from iactpipe.cli.main import main
from iactpipe.io import datamodel as dm
from iactpipe.io.checks import open_hdf5
from iactpipe.io.hdf5 import read_subarray_events, read_table, read_telescope_events
from iactpipe.reco import reconstruct_file

GEOMETRY = dm.DL2_SUBARRAY_GEOMETRY.path(algorithm="HillasReconstructor")


def _clear_error(code, err, *phrases):
    assert code == 1
    for phrase in phrases:
        assert phrase in err, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


@pytest.fixture(scope="module")
def dl2_file(simulated_dl1, tmp_path_factory):
    out = tmp_path_factory.mktemp("reco_cli") / "gamma.dl2.h5"
    assert main(["reconstruct", "--input", str(simulated_dl1), "--output", str(out),
                 "--resolution", str(out.parent / "resolution")]) == 0
    return out


def test_output_holds_dl1_truth_and_dl2(dl2_file, simulated_dl1):
    events = read_subarray_events(dl2_file)
    assert {"true_energy", "HillasReconstructor_alt", "HillasReconstructor_multiplicity",
            "HillasReconstructor_invalid_reason", "tels_with_trigger"} <= set(events.columns)
    assert len(events) == len(read_table(simulated_dl1, dm.DL1_SUBARRAY_TRIGGER_PATH))
    valid = events["HillasReconstructor_is_valid"].to_numpy()
    assert valid.sum() > 10
    assert np.all(events.loc[valid, "HillasReconstructor_multiplicity"] >= 2)
    assert np.all(events.loc[~valid, "HillasReconstructor_alt"].isna())
    tel = read_telescope_events(dl2_file, with_dl2=True)
    assert {"hillas_intensity", "HillasReconstructor_tel_impact_distance", "HillasReconstructor_tel_disp",
            "true_energy"} <= set(tel.columns)
    assert len(tel) == sum(len(read_table(simulated_dl1, dm.DL1_PARAMETERS.path(tel_id=t)))
                           for t in range(1, 14))
    with open_hdf5(dl2_file) as h5file:
        assert dm.TELESCOPE_POINTING.path(tel_id=1) in h5file  # resolved pointing written
        assert "/simulation/service/shower_distribution" in h5file
        assert "/dl1/event/telescope/images" not in h5file
    assert (dl2_file.parent / "resolution" / "resolution.png").is_file()
    assert (dl2_file.parent / "resolution" / "resolution.ecsv").is_file()


def test_chunking_does_not_change_results(dl2_file, simulated_dl1, tmp_path):
    out = tmp_path / "chunked.dl2.h5"
    reconstruct_file(simulated_dl1, out, chunk_events=3)
    a, b = read_table(dl2_file, GEOMETRY, as_="numpy"), read_table(out, GEOMETRY, as_="numpy")
    for name in a.dtype.names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_unsorted_tables_and_orphan_rows(simulated_dl1, dl2_file, tmp_path):
    """Telescope rows in reversed order and rows of unknown events give the same events."""
    path = tmp_path / "shuffled.dl1.h5"
    shutil.copy(simulated_dl1, path)
    with tables.open_file(path, "a") as h5file:
        table = h5file.get_node(dm.DL1_PARAMETERS.path(tel_id=1))
        rows = table.read()[::-1].copy()
        orphan = rows[:1].copy()
        orphan["event_id"] = 10**9
        table.remove_rows(0, table.nrows)
        table.append(np.concatenate([rows, orphan]))
    out = tmp_path / "shuffled.dl2.h5"
    summary = reconstruct_file(path, out, chunk_events=5)
    assert summary.n_dropped_rows == 1
    a, b = read_table(dl2_file, GEOMETRY, as_="numpy"), read_table(out, GEOMETRY, as_="numpy")
    np.testing.assert_array_equal(a["HillasReconstructor_alt"], b["HillasReconstructor_alt"])
    np.testing.assert_array_equal(a["HillasReconstructor_telescopes"], b["HillasReconstructor_telescopes"])


def test_quality_config_is_applied(simulated_dl1, tmp_path):
    config = tmp_path / "reco.yaml"
    config.write_text("reconstruct:\n  quality:\n    min_intensity_pe: 1000000000.0\n")
    out = tmp_path / "none.dl2.h5"
    assert main(["reconstruct", "-i", str(simulated_dl1), "-o", str(out), "--config", str(config)]) == 0
    table = read_table(out, GEOMETRY)
    assert not table["HillasReconstructor_is_valid"].any()
    assert set(table["HillasReconstructor_invalid_reason"]) == {1}
    assert (table["HillasReconstructor_multiplicity"] == 0).all()


def test_missing_input(tmp_path, capsys):
    path = tmp_path / "missing.dl1.h5"
    code = main(["reconstruct", "-i", str(path), "-o", str(tmp_path / "out.h5")])
    _clear_error(code, capsys.readouterr().err, str(path), "does not exist")


def test_not_hdf5(tmp_path, capsys):
    path = tmp_path / "text.dl1.h5"
    path.write_text("obs_id,event_id\n1,2\n")
    code = main(["reconstruct", "-i", str(path), "-o", str(tmp_path / "out.h5")])
    _clear_error(code, capsys.readouterr().err, str(path))
    assert not (tmp_path / "out.h5").exists()


def test_wrong_level(tmp_path, capsys):
    """A file without DL1 (here: only an instrument) names the levels it holds."""
    from iactpipe.instrument import catalog
    from iactpipe.io.instrument_io import write_subarray

    path = tmp_path / "instrument.h5"
    write_subarray(path, catalog.build_array("CTAO-North-LST"))
    code = main(["reconstruct", "-i", str(path), "-o", str(tmp_path / "out.h5")])
    _clear_error(code, capsys.readouterr().err, str(path), "dl1")


def test_truncated_file(simulated_dl1, tmp_path, capsys):
    path = tmp_path / "truncated.dl1.h5"
    data = simulated_dl1.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    code = main(["reconstruct", "-i", str(path), "-o", str(tmp_path / "out.h5")])
    _clear_error(code, capsys.readouterr().err, str(path))
    assert not list(tmp_path.glob("out.h5*"))


def test_missing_pointing(simulated_dl1, tmp_path, capsys):
    path = tmp_path / "nopointing.dl1.h5"
    shutil.copy(simulated_dl1, path)
    with tables.open_file(path, "a") as h5file:
        run = h5file.get_node(dm.SIMULATION_RUN_PATH)
        rows = run.read()
        rows["max_alt"] += 5.0  # a pointing range: no fixed pointing any more
        run.modify_rows(0, len(rows), rows=rows)
    code = main(["reconstruct", "-i", str(path), "-o", str(tmp_path / "out.h5")])
    _clear_error(code, capsys.readouterr().err, str(path), "no pointing for obs_id")


@pytest.mark.parametrize("text, phrase", [
    ("quality: {min_intensity: 5}\n", "unknown key 'min_intensity'"),
    ("min_telescopes: 1\n", "min_telescopes: must be >= 2"),
    ("telescope_types: {NoSuchCam: {quality: {min_pixels: 3}}}\n", "'NoSuchCam' matches no telescope type"),
    ("algorithm: 'bad name'\n", "not a usable table/column name"),
])
def test_bad_config(simulated_dl1, tmp_path, capsys, text, phrase):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    code = main(["reconstruct", "-i", str(simulated_dl1), "-o", str(tmp_path / "out.h5"), "--config", str(config)])
    _clear_error(code, capsys.readouterr().err, phrase)


def test_existing_output_and_bad_chunk(simulated_dl1, dl2_file, tmp_path, capsys):
    code = main(["reconstruct", "-i", str(simulated_dl1), "-o", str(dl2_file)])
    _clear_error(code, capsys.readouterr().err, "output file exists")
    code = main(["reconstruct", "-i", str(simulated_dl1), "-o", str(tmp_path / "x.h5"), "--chunk-events", "0"])
    _clear_error(code, capsys.readouterr().err, "--chunk-events must be >= 1")


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["reconstruct", "--help"])
    assert exit_info.value.code == 0
    assert "HillasReconstructor" in capsys.readouterr().out
