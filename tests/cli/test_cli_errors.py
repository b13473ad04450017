"""Bad input files: one clear line naming the file and the problem, exit code 1, no traceback."""
import gzip
import json
import shutil

import numpy as np
import pytest

from iactpipe.cli.main import main
from iactpipe.instrument import catalog
from iactpipe.io import datamodel as dm
from iactpipe.io.hdf5 import HDF5Writer
from iactpipe.io.instrument_io import write_subarray


@pytest.fixture(scope="module")
def r0_file(tmp_path_factory):
    """A small valid file with R0 waveforms and shower truth of one telescope."""
    path = tmp_path_factory.mktemp("cli") / "run.r0.h5"
    rng = np.random.default_rng(1)
    n_events, n_pixels, n_samples = 50, 7, 20
    with HDF5Writer(path) as writer:
        write_subarray(writer, catalog.build_array("CTAO-North-LST").select([1]))
        writer.append(dm.R0, {
            "obs_id": np.ones(n_events, np.int32),
            "event_id": np.arange(n_events, dtype=np.int64),
            "tel_id": np.ones(n_events, np.int16),
            "event_type": np.full(n_events, 32, np.uint8),
            "waveform": rng.integers(380, 420, (n_events, 1, n_pixels, n_samples)).astype(np.uint16),
        }, tel_id=1)
    return path


def _run_info(path, capsys, *extra):
    code = main(["info", str(path), *extra])
    captured = capsys.readouterr()
    return code, captured.err


def _assert_clear_error(code, err, path, phrase):
    assert code == 1
    assert str(path) in err
    assert phrase in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_valid_file(r0_file, capsys):
    assert main(["info", str(r0_file), "--require", "r0"]) == 0
    out = capsys.readouterr().out
    assert "r0" in out.lower()


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "missing.h5"
    _assert_clear_error(*_run_info(path, capsys), path, "does not exist")


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "empty.h5"
    path.touch()
    _assert_clear_error(*_run_info(path, capsys), path, "empty")


def test_truncated_file(tmp_path, r0_file, capsys):
    path = tmp_path / "truncated.h5"
    data = r0_file.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _assert_clear_error(*_run_info(path, capsys), path, "truncated")


def test_text_file_is_not_hdf5(tmp_path, capsys):
    path = tmp_path / "notes.h5"
    path.write_text("obs_id,event_id\n1,2\n")
    _assert_clear_error(*_run_info(path, capsys), path, "not an HDF5 file")


def test_gzip_file_is_not_hdf5(tmp_path, r0_file, capsys):
    path = tmp_path / "run.h5.gz"
    with open(r0_file, "rb") as src, gzip.open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    _assert_clear_error(*_run_info(path, capsys), path, "not an HDF5 file")


def test_simtel_file_is_described(calib_events_path, capsys):
    """sim_telarray files are described like our own files."""
    assert main(["info", str(calib_events_path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["subarray"]["n_tels"] == 7


def test_simtel_file_cannot_satisfy_a_level_requirement(calib_events_path, capsys):
    _assert_clear_error(*_run_info(calib_events_path, capsys, "--require", "dl1"), calib_events_path,
                        "sim_telarray")


def test_wrong_data_level(r0_file, capsys):
    code, err = _run_info(r0_file, capsys, "--require", "dl1")
    _assert_clear_error(code, err, r0_file, "dl1")
    assert "r0" in err  # says which levels the file does hold


def test_hdf5_without_iactpipe_groups(tmp_path, capsys):
    import tables

    path = tmp_path / "foreign.h5"
    with tables.open_file(str(path), "w") as h5:
        h5.create_array("/", "something", np.arange(3))
    code, err = _run_info(path, capsys)
    assert code == 1 and str(path) in err and "Traceback" not in err
