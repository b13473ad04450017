"""`describe_file` / `format_info` on a file with r0, dl1, simulation and instrument tables."""
import json

import numpy as np
import pytest

from iactpipe.io import datamodel as dm
from iactpipe.io.hdf5 import HDF5Writer
from iactpipe.io.info import describe_file, format_info
from iactpipe.io.instrument_io import write_subarray
from iactpipe.io.provenance import collect_provenance


@pytest.fixture
def data_file(tmp_path, toy_subarray, make_batch, rng):
    source = tmp_path / "run.simtel.zst"
    source.write_bytes(b"fake")
    provenance = collect_provenance("process", config={"a": 1}, inputs=[source], seed=99)
    path = tmp_path / "run.dl1.h5"
    with HDF5Writer(path, provenance=provenance) as writer:
        write_subarray(writer, toy_subarray)
        run = make_batch(dm.SIMULATION_RUN, 1, rng)
        run.update(obs_id=[7], energy_range_min=[0.003], energy_range_max=[330.0], spectral_index=[-2.0],
                   n_showers=[1000], shower_reuse=[10], max_scatter_range=[2500.0], diffuse=[True],
                   min_viewcone_radius=[0.0], max_viewcone_radius=[10.0])
        writer.append(dm.SIMULATION_RUN, run)
        writer.append(dm.SHOWER, make_batch(dm.SHOWER, 12, rng))
        writer.append(dm.DL1_SUBARRAY_TRIGGER, make_batch(dm.DL1_SUBARRAY_TRIGGER, 9, rng))
        for tel_id, n_events in ((1, 5), (3, 4)):
            writer.append(dm.R0, make_batch(dm.R0, n_events, rng), tel_id=tel_id)
            writer.append(dm.DL1_IMAGES, make_batch(dm.DL1_IMAGES, n_events, rng), tel_id=tel_id)
            writer.append(dm.DL1_PARAMETERS, make_batch(dm.DL1_PARAMETERS, n_events - 1, rng), tel_id=tel_id)
    return path


def test_describe_file(data_file):
    info = describe_file(data_file)
    assert info["data_levels"] == ["r0", "dl1"]
    assert info["has_simulation"]
    assert info["data_products"] == ["R0", "DL1_IMAGES", "DL1_PARAMETERS"]
    subarray = info["subarray"]
    assert subarray["name"] == "toy-array" and subarray["n_tels"] == 3 and subarray["tel_ids"] == [1, 2, 3]
    assert subarray["telescope_types"] == {"MST_MST_ToyHexCam": 2, "SST_ASTRI_ToySqCam": 1}
    assert subarray["cameras"] == {"ToyHexCam": 2, "ToySqCam": 1}
    events = info["events"]
    assert (events["subarray"], events["simulated_showers"]) == (9, 12)
    assert events["telescope"] == {"dl1_images": {1: 5, 3: 4}, "dl1_parameters": {1: 4, 3: 3}, "r0": {1: 5, 3: 4}}
    (run,) = info["simulation_runs"]
    assert run["obs_id"] == 7 and run["energy_range_max_tev"] == 330.0 and run["n_showers"] == 1000
    assert run["diffuse"] is True and run["max_viewcone_radius_deg"] == 10.0
    provenance = info["provenance"]
    assert provenance["seed"] == 99 and provenance["activity"] == "process"
    assert provenance["inputs"][0]["path"].endswith("run.simtel.zst")
    assert info["tables"][dm.SHOWER_PATH] == 12
    json.dumps(info)  # the CLI's --json output


def test_format_info_is_aligned_text(data_file):
    text = format_info(describe_file(data_file))
    assert "Data levels  r0, dl1 (+ simulation truth)" in text
    assert "Subarray: toy-array (3 telescopes)" in text
    assert "tel_ids  1-3" in text
    assert "obs_id 7: E 0.003-330 TeV, index -2, 1000 showers x 10 uses, core <= 2500 m, view cone 0-10 deg" in text
    assert "seed      99" in text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if "tel_id" in line and "dl1_images" in line)
    table = lines[header:header + 3]
    assert len({len(line) for line in table}) == 1  # right-aligned grid
    assert table[1].split() == ["1", "5", "4", "5"]


def test_describe_ctapipe_style_file(tmp_path):
    from astropy.table import Table
    from ctapipe.io import write_table

    path = tmp_path / "ctapipe.h5"
    write_table(Table({"obs_id": np.array([1], np.int32), "event_id": np.array([1], np.int64)}),
                path, dm.SHOWER_PATH)
    info = describe_file(path)
    assert info["data_levels"] == [] and info["has_simulation"]
    assert info["provenance"] is None and info["subarray"] is None
    assert "Provenance: none stored" in format_info(info)
