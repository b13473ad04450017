"""Every way an input file can be unusable gives one clear error naming the file."""
import gzip

import numpy as np
import pytest
import tables

from iactpipe.errors import DataLevelError, InputFileError
from iactpipe.io import datamodel as dm
from iactpipe.io.checks import check_data_file, open_hdf5, sniff_format
from iactpipe.io.hdf5 import HDF5Writer, read_table
from iactpipe.io.info import describe_file

EVENTIO_MARKER = b"\x37\x8a\x1f\xd4"


@pytest.fixture
def r0_file(tmp_path, make_batch, rng):
    path = tmp_path / "run.r0.h5"
    with HDF5Writer(path) as writer:
        for tel_id in (1, 2, 3):
            writer.append(dm.R0, make_batch(dm.R0, 200, rng), tel_id=tel_id)
        writer.append(dm.SHOWER, make_batch(dm.SHOWER, 200, rng))
    return path


def _raises_naming(path, match, error=InputFileError, required_level=None):
    with pytest.raises(error, match=match) as info:
        check_data_file(path, required_level=required_level)
    assert str(info.value).startswith(str(path))
    assert info.value.path == str(path)
    return info.value


def test_valid_file(r0_file):
    assert check_data_file(r0_file) == ("r0", "simulation")
    assert check_data_file(r0_file, required_level=["r0", "simulation"]) == ("r0", "simulation")


def test_missing_file(tmp_path):
    _raises_naming(tmp_path / "nope.h5", "file does not exist")


def test_directory(tmp_path):
    _raises_naming(tmp_path, "is a directory")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.h5"
    path.touch()
    _raises_naming(path, r"file is empty \(0 bytes\)")


def test_truncated_file(tmp_path, r0_file):
    data = r0_file.read_bytes()
    path = tmp_path / "half.h5"
    path.write_bytes(data[: len(data) // 2])
    _raises_naming(path, "truncated or corrupt HDF5 file")


def test_text_file(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("obs_id,event_id\n1,2\n")
    _raises_naming(path, "a text file, not an HDF5 file")


def test_gzip_file(tmp_path):
    path = tmp_path / "table.csv.gz"
    path.write_bytes(gzip.compress(b"obs_id,event_id\n1,2\n"))
    _raises_naming(path, "a gzip-compressed file, not an HDF5 file")


def test_eventio_files(tmp_path):
    raw = tmp_path / "run.simtel"
    raw.write_bytes(EVENTIO_MARKER + bytes(60))
    _raises_naming(raw, r"sim_telarray/EventIO file, not an HDF5 file \(convert it with `iactpipe process`")
    compressed = tmp_path / "run.simtel.gz"
    compressed.write_bytes(gzip.compress(EVENTIO_MARKER + bytes(60)))
    _raises_naming(compressed, "a gzip-compressed sim_telarray/EventIO file, not an HDF5 file")


def test_real_compressed_eventio_files(shared_data_dir):
    folder = shared_data_dir / "simtel"
    assert sniff_format(folder / "calib_events.simtel.gz") == "gzip+eventio"
    assert sniff_format(folder / "gamma_prod6_tel_event_header_v4.simtel.zst") == "zstd+eventio"
    _raises_naming(folder / "gamma_prod6_tel_event_header_v4.simtel.zst", "zstd-compressed sim_telarray/EventIO")


def test_binary_junk(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    _raises_naming(path, r"not an HDF5 file \(no HDF5 signature\)")


def test_hdf5_without_known_groups(tmp_path):
    path = tmp_path / "other.h5"
    with tables.open_file(path, "w") as h5file:
        h5file.create_array("/", "spectrum", obj=np.arange(3))
    _raises_naming(path, r"is an HDF5 file but not an iactpipe/ctapipe data file \(no known groups; "
                         r"top level holds: spectrum\)")


def test_wrong_data_level(r0_file):
    error = _raises_naming(r0_file, "holds r0, simulation, but dl1 is required", DataLevelError, "dl1")
    assert isinstance(error, InputFileError)  # callers may catch either


def test_unknown_level_name_is_a_programming_error(r0_file):
    with pytest.raises(ValueError, match="unknown data level"):
        check_data_file(r0_file, required_level="dl7")


def test_readers_report_the_same_errors(tmp_path, r0_file):
    path = tmp_path / "empty.h5"
    path.touch()
    for function in (lambda p: read_table(p, dm.SHOWER_PATH), describe_file):
        with pytest.raises(InputFileError, match="empty"):
            function(path)
    with pytest.raises(DataLevelError, match="holds r0"):
        read_table(r0_file, dm.DL1_PARAMETERS.path(tel_id=1))


def test_open_hdf5_yields_an_open_file_and_closes_it(r0_file):
    with open_hdf5(r0_file, required_level="r0") as h5file:
        assert h5file.isopen
        assert dm.R0.path(tel_id=2) in h5file
    assert not h5file.isopen
