"""Provenance records: collection, checksums, storage in HDF5 root attributes."""
import hashlib
import json

import pytest
import tables

from iactpipe.io import datamodel as dm
from iactpipe.io.hdf5 import HDF5Writer
from iactpipe.io.provenance import (Provenance, collect_provenance, read_provenance, sha256_file,
                                    software_versions)


def test_sha256_is_streamed_and_correct(tmp_path):
    content = bytes(range(256)) * 5000  # 1.28 MB: several read blocks
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    assert sha256_file(path, block_bytes=4096) == hashlib.sha256(content).hexdigest()


def test_collect_provenance(tmp_path):
    source = tmp_path / "run1.simtel"
    source.write_bytes(b"abc")
    config = {"cleaning": {"picture_threshold_pe": 8.0, "boundary_threshold_pe": 4.0}, "seed": 5}
    provenance = collect_provenance("process", config=config, inputs=[source], seed=42,
                                    argv=["iactpipe", "process", str(source)])
    assert provenance.activity == "process"
    assert json.loads(provenance.config) == config and provenance.config_format == "json"
    assert provenance.inputs[0].sha256 == hashlib.sha256(b"abc").hexdigest()
    assert provenance.inputs[0].size_bytes == 3
    assert provenance.seed == 42
    assert provenance.created.endswith("Z") and "T" in provenance.created
    assert provenance.command_line == ("iactpipe", "process", str(source))
    for package in ("python", "iactpipe", "numpy", "tables", "astropy"):
        assert package in provenance.software


def test_software_versions_do_not_import_numba():
    import subprocess
    import sys

    code = ("import sys; from iactpipe.io.provenance import software_versions as s; v = s(); "
            "print('numba' in v, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def test_provenance_round_trip_through_a_data_file(tmp_path, make_batch, rng):
    source = tmp_path / "input.simtel.gz"
    source.write_bytes(b"\x1f\x8b fake content")
    yaml_config = "cleaning:\n  picture_threshold_pe: 8.0\n"
    provenance = collect_provenance("process", config=yaml_config, inputs=[source], seed=7)
    path = tmp_path / "out.h5"
    with HDF5Writer(path, provenance=provenance) as writer:
        writer.append(dm.DL1_PARAMETERS, make_batch(dm.DL1_PARAMETERS, 3, rng), tel_id=1)
        writer.append(dm.DL1_IMAGES, make_batch(dm.DL1_IMAGES, 3, rng), tel_id=1)
    assert read_provenance(path) == provenance
    assert read_provenance(path).config == yaml_config and read_provenance(path).config_format == "yaml"
    with tables.open_file(path) as h5file:
        attrs = h5file.root._v_attrs
        assert attrs["SEED"] == 7
        assert attrs["CREATED"] == provenance.created
        assert attrs["SOFTWARE_VERSION"] == provenance.software["iactpipe"]
        assert attrs["CREATOR"].startswith("iactpipe")
        assert attrs["CTA PRODUCT DATA LEVELS"] == "DL1_IMAGES,DL1_PARAMETERS"
        assert json.loads(attrs["IACTPIPE_PROVENANCE"])["inputs"][0]["sha256"] == sha256_file(source)


def test_large_provenance_goes_to_a_node(tmp_path, make_batch, rng):
    provenance = collect_provenance("merge", config={"files": [f"run{i:06d}.dl1.h5" for i in range(8000)]})
    path = tmp_path / "out.h5"
    with HDF5Writer(path, provenance=provenance) as writer:
        writer.append(dm.SHOWER, make_batch(dm.SHOWER, 2, rng))
    assert read_provenance(path) == provenance
    with tables.open_file(path) as h5file:
        assert h5file.root._v_attrs["IACTPIPE_PROVENANCE_NODE"] == dm.PROVENANCE_NODE_PATH


def test_writer_without_provenance_records_a_minimal_one(tmp_path, make_batch, rng):
    path = tmp_path / "out.h5"
    with HDF5Writer(path) as writer:
        writer.append(dm.SHOWER, make_batch(dm.SHOWER, 2, rng))
    provenance = read_provenance(path)
    assert provenance.seed is None and provenance.inputs == ()
    assert provenance.software_version == software_versions()["iactpipe"]


def test_unknown_keys_are_kept_for_forward_compatibility():
    data = collect_provenance("x").to_dict()
    data["future_field"] = 1
    assert Provenance.from_dict(data).extra == {"future_field": 1}


def test_files_without_provenance(tmp_path):
    from ctapipe.io import write_table
    from astropy.table import Table

    write_table(Table({"obs_id": [1]}), tmp_path / "ctapipe.h5", "/configuration/simulation/run")
    assert read_provenance(tmp_path / "ctapipe.h5") is None


@pytest.mark.parametrize("config, expected", [(None, ("", "")), ("a: 1\n", ("a: 1\n", "yaml"))])
def test_config_forms(config, expected):
    provenance = collect_provenance("x", config=config)
    assert (provenance.config, provenance.config_format) == expected
