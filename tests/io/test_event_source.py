"""The common event-source interface on our raw HDF5 files, and dispatch by content."""
import shutil

import numpy as np
import pytest

from iactpipe.errors import InputFileError
from iactpipe.io import datamodel as dm
from iactpipe.io.event_source import open_events
from iactpipe.io.events import EventType
from iactpipe.io.hdf5 import read_table
from iactpipe.io.hdf5_source import HDF5EventSource
from iactpipe.simulation.config import SimulationConfig
from iactpipe.simulation.run import simulate_run

TINY = dict(n_showers=4, shower_reuse=3, energy_min_tev=1.0, energy_max_tev=3.0, scatter_radius_max_m=150.0,
            array="CTAO-North-LST", seed=11)


@pytest.fixture(scope="module")
def raw_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("events") / "gamma.h5"
    simulate_run(SimulationConfig.from_dict({**TINY, "run": 5}, particle="gamma"), path)
    return path


def test_events_match_tables(raw_run):
    trigger = read_table(raw_run, dm.R0_SUBARRAY_TRIGGER.path(), as_="numpy")
    shower = read_table(raw_run, dm.SHOWER.path(), as_="numpy")
    with open_events(raw_run) as source:
        assert isinstance(source, HDF5EventSource)
        source.chunk_events = 2  # several chunks even for a tiny file
        events = list(source)
        tel_ids = source.subarray.tel_ids
    assert [e.event_id for e in events] == list(trigger["event_id"])
    assert len(events) > 0
    n_tel = 0
    for event, trig, truth in zip(events, trigger, shower):
        assert event.obs_id == 5 and event.event_type == EventType.SUBARRAY and not event.is_calibration
        np.testing.assert_array_equal(event.tels_with_trigger, tel_ids[trig["tels_with_trigger"]])
        assert event.shower["true_energy"] == truth["true_energy"]
        assert event.shower["true_core_x"] == truth["true_core_x"]
        for tel_id, tel in event.tel.items():
            n_tel += 1
            assert tel.waveform.dtype == np.uint16 and tel.waveform.shape == (2, 1855, 40)
            assert tel.true_image.shape == (1855,) and tel.true_image.sum() == tel.true_image_sum
            assert tel.calibration is not None and tel.calibration.tel_id == tel_id
    for tel_id in tel_ids:
        r0 = read_table(raw_run, dm.R0.path(tel_id=tel_id), as_="numpy")
        ours = [e.tel[tel_id].waveform for e in events if tel_id in e.tel]
        np.testing.assert_array_equal(np.stack(ours), r0["waveform"])


def test_run_info_and_calibration(raw_run):
    with open_events(raw_run) as source:
        assert source.obs_id == 5
        assert source.simulation_config["n_showers"] == 4 and source.simulation_config["shower_reuse"] == 3
        assert source.shower_distribution["n_entries"] == 12
        assert sorted(source.calibration) == list(source.subarray.tel_ids)
        calib = read_table(raw_run, dm.CAMERA_CALIBRATION.path(tel_id=1), as_="numpy")
        np.testing.assert_array_equal(source.calibration[1].dc_to_pe, calib["dc_to_pe"][0])
        np.testing.assert_array_equal(source.calibration[1].pixel_status, calib["pixel_status"][0])


def test_batches_per_telescope_type(raw_run):
    with open_events(raw_run) as source:
        events = list(source)
        batches = list(source.iter_batches(max_events=4))
        generic = list(source.iter_batches(max_events=4, event_filter=lambda e: True))
    total = sum(len(e.tel) for e in events)
    for group in (batches, generic):
        assert sum(len(b) for b in group) == total
        for b in group:
            assert len(b) <= 4 and b.waveforms.shape[1:] == (2, 1855, 40)
            assert b.telescope_type == "LST_LST_LSTCam" and b.true_images.shape == (len(b), 1855)
    by_key = {(int(t), int(e)): w for b in batches for t, e, w in zip(b.tel_id, b.event_id, b.waveforms)}
    for event in events:
        for tel_id, tel in event.tel.items():
            np.testing.assert_array_equal(by_key[(tel_id, event.event_id)], tel.waveform)


def test_generators_chain_and_max_events(raw_run):
    with open_events(raw_run) as source:
        energies = [e.shower["true_energy"] for e in source.iter_events(max_events=3)]
    assert len(energies) == 3
    with open_events(raw_run) as source:
        bright = (e for e in source if len(e.tel) >= 2)
        ids = [e.event_id for e in bright]
    assert ids


def test_dispatch_by_content(raw_run, tmp_path, calib_events_path):
    renamed = tmp_path / "looks_like.simtel.gz"
    shutil.copy(raw_run, renamed)
    with open_events(renamed) as source:
        assert source.format == "hdf5"
    simtel_renamed = tmp_path / "actually_simtel.h5"
    shutil.copy(calib_events_path, simtel_renamed)
    with open_events(simtel_renamed) as source:
        assert source.format == "simtel"
        assert [e.event_type for e in source] == [EventType.SKY_PEDESTAL]
    text = tmp_path / "notes.h5"
    text.write_text("not data\n")
    with pytest.raises(InputFileError, match="notes.h5"):
        open_events(text)
    with pytest.raises(InputFileError, match="does not exist"):
        open_events(tmp_path / "missing.h5")
    empty = tmp_path / "empty.simtel"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        open_events(empty)
