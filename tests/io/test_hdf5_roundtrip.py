"""Writing and reading data-model tables: round trips, validation, atomicity, interoperability."""
from dataclasses import replace
import tracemalloc

import astropy.units as u
from astropy.table import QTable, Table
from astropy.time import Time
import numpy as np
import pandas as pd
import pytest
import tables

from iactpipe.errors import DataLevelError, InputFileError
from iactpipe.io import datamodel as dm
from iactpipe.io.hdf5 import (DEFAULT_FILTERS, HDF5Writer, SchemaError, ctao_high_res_to_time,
                              ctao_high_res_to_unix_tai, iter_table_chunks, read_subarray_events,
                              read_table, read_telescope_events, time_to_ctao_high_res,
                              unix_tai_to_ctao_high_res)

SCHEMA_IDS = list(dm.SCHEMAS)
QNS_TOLERANCE = 2_000  # quarter ns lost by float64 seconds near 1.7e9 s (DataFrame time column)


def _path_keys(schema):
    keys = {}
    if schema.is_per_telescope:
        keys["tel_id"] = 1
    if "algorithm" in schema.path_keys:
        keys["algorithm"] = "TestAlgo"
    if "camera_index" in schema.path_keys:
        keys["camera_index"] = 0
    return keys


def _resolved(schema):
    return schema.resolved(algorithm="TestAlgo") if "algorithm" in schema.path_keys else schema


def _write_one(path, schema, *batches):
    keys = _path_keys(schema)
    with HDF5Writer(path) as writer:
        for batch in batches:
            writer.append(schema, batch, **keys)
    return schema.path(**keys)


def _as_text(values):
    return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel()])


def _assert_column_equal(column, expected, actual):
    if column.is_string:
        np.testing.assert_array_equal(_as_text(actual), _as_text(expected))
    else:
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


@pytest.mark.parametrize("schema", dm.SCHEMAS.values(), ids=SCHEMA_IDS)
def test_roundtrip_numpy_dataframe_qtable(schema, tmp_path, make_batch, rng):
    batch = make_batch(schema, 13, rng)
    table_path = _write_one(tmp_path / "out.h5", schema, batch)
    resolved = _resolved(schema)

    raw = read_table(tmp_path / "out.h5", table_path, as_="numpy")
    assert raw.dtype.names == resolved.column_names
    for column in resolved.columns:
        _assert_column_equal(column, batch[column.name], raw[column.name])

    frame = read_table(tmp_path / "out.h5", table_path, as_="dataframe")
    assert list(frame.columns) == list(resolved.column_names)
    for column in resolved.columns:
        values = frame[column.name].to_numpy()
        if column.kind == "time":
            np.testing.assert_array_equal(values, ctao_high_res_to_unix_tai(batch[column.name]))
            continue
        if column.shape:
            values = np.stack(values)
        _assert_column_equal(column, batch[column.name], values)
        if column.unit is not None:
            assert u.Unit(frame.attrs["units"][column.name]) == u.Unit(column.unit) \
                if column.has_astropy_unit else frame.attrs["units"][column.name] == column.unit

    qtable = read_table(tmp_path / "out.h5", table_path, as_="qtable")
    for column in resolved.columns:
        values = qtable[column.name]
        if column.kind == "time":
            assert isinstance(values, Time)
            np.testing.assert_array_equal(time_to_ctao_high_res(values), batch[column.name])
        elif column.has_astropy_unit:
            assert values.unit == u.Unit(column.unit)
            np.testing.assert_array_equal(values.value, batch[column.name])
        else:
            assert not isinstance(values, u.Quantity)
            _assert_column_equal(column, batch[column.name], values)
        assert values.info.description == column.description


@pytest.mark.parametrize("schema", [dm.DL1_PARAMETERS, dm.DL1_SUBARRAY_TRIGGER, dm.SUBARRAY_LAYOUT, dm.R1,
                                    dm.SHOWER_DISTRIBUTION, dm.DL2_SUBARRAY_GEOMETRY],
                         ids=lambda s: s.name)
def test_tables_read_back_can_be_written_again(schema, tmp_path, make_batch, rng):
    """A DataFrame or QTable from `read_table` is a valid input batch of the same schema."""
    batch = make_batch(schema, 9, rng)
    table_path = _write_one(tmp_path / "a.h5", schema, batch)
    original = read_table(tmp_path / "a.h5", table_path, as_="numpy")
    for kind in ("dataframe", "qtable"):
        again = read_table(tmp_path / "a.h5", table_path, as_=kind)
        _write_one(tmp_path / f"{kind}.h5", schema, again)
        copy = read_table(tmp_path / f"{kind}.h5", table_path, as_="numpy")
        for column in _resolved(schema).columns:
            if column.kind == "time" and kind == "dataframe":
                difference = copy[column.name].astype(np.int64) - original[column.name].astype(np.int64)
                seconds = difference[:, 0] * 4_000_000_000 + difference[:, 1]
                assert np.all(np.abs(seconds) <= QNS_TOLERANCE)
            else:
                _assert_column_equal(column, original[column.name], copy[column.name])


def test_quantities_are_converted_to_schema_units(tmp_path, make_batch, rng):
    batch = make_batch(dm.SHOWER, 5, rng)
    given = dict(batch, true_alt=np.deg2rad(batch["true_alt"]) * u.rad, true_energy=batch["true_energy"] * u.GeV)
    table_path = _write_one(tmp_path / "q.h5", dm.SHOWER, given)
    table = read_table(tmp_path / "q.h5", table_path, as_="qtable")
    np.testing.assert_allclose(table["true_alt"].to_value(u.deg), batch["true_alt"], rtol=1e-12)
    np.testing.assert_allclose(table["true_energy"].to_value(u.TeV), batch["true_energy"] / 1000, rtol=1e-12)


def test_astropy_time_input_is_exact(tmp_path, make_batch, rng):
    batch = make_batch(dm.DL1_SUBARRAY_TRIGGER, 6, rng)
    times = ctao_high_res_to_time(batch["time"])
    table_path = _write_one(tmp_path / "t.h5", dm.DL1_SUBARRAY_TRIGGER, dict(batch, time=times))
    np.testing.assert_array_equal(read_table(tmp_path / "t.h5", table_path, as_="numpy")["time"], batch["time"])


def test_time_conversions():
    pairs = np.array([[1_700_000_000, 3_999_999_999], [0, 0], [1, 1]], dtype=np.uint32)
    np.testing.assert_array_equal(time_to_ctao_high_res(ctao_high_res_to_time(pairs)), pairs)
    utc = Time("2024-01-31T12:00:00.123456789", scale="utc", precision=9)
    back = ctao_high_res_to_time(time_to_ctao_high_res(utc)).utc
    assert abs((back - utc).to_value(u.ns)) <= 0.25
    np.testing.assert_array_equal(unix_tai_to_ctao_high_res([2.5, 2.9999999999]), [[2, 2_000_000_000], [3, 0]])


def test_many_small_batches_and_chunked_reading(tmp_path, make_batch, rng):
    batches = [make_batch(dm.DL1_PARAMETERS, int(n), rng) for n in rng.integers(0, 40, size=60)]
    table_path = _write_one(tmp_path / "many.h5", dm.DL1_PARAMETERS, *batches)
    expected = np.concatenate([b["hillas_length"] for b in batches])
    chunks = list(iter_table_chunks(tmp_path / "many.h5", table_path, chunk_size=97, as_="numpy"))
    assert all(len(c) <= 97 for c in chunks)
    np.testing.assert_array_equal(np.concatenate([c["hillas_length"] for c in chunks]), expected)
    frames = list(iter_table_chunks(tmp_path / "many.h5", table_path, chunk_size=500, columns=["event_id"]))
    assert sum(len(f) for f in frames) == len(expected)
    assert list(frames[0].columns) == ["event_id"]


def test_append_memory_does_not_grow_with_file_size(tmp_path, make_batch, rng):
    dims = dict(n_pixels=256)
    batch = make_batch(dm.DL1_IMAGES, 1000, rng, dims=dims)  # ~2.3 MB per batch
    for name in ("image", "peak_time"):  # compressible content keeps the test fast
        batch[name] = np.zeros_like(batch[name])
    path = tmp_path / "big.h5"
    tracemalloc.start()
    try:
        with HDF5Writer(path) as writer:
            appender = writer.table(dm.DL1_IMAGES, tel_id=1)
            for i in range(25):  # ~58 MB of rows in total
                batch["event_id"] = np.arange(i * 1000, (i + 1) * 1000)
                appender.append(batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"peak traced memory {peak / 1e6:.1f} MB suggests rows are accumulated"
    with tables.open_file(path) as h5file:
        table = h5file.get_node(dm.DL1_IMAGES.path(tel_id=1))
        assert table.nrows == 25_000
        assert table.filters.complib == "blosc2:zstd" and table.filters.complevel == 1
        assert table.filters.shuffle
        assert 1 < table.chunkshape[0] < 25_000


def test_exception_leaves_no_output(tmp_path, make_batch, rng):
    path = tmp_path / "out.h5"
    with pytest.raises(RuntimeError, match="boom"):
        with HDF5Writer(path) as writer:
            writer.append(dm.SHOWER, make_batch(dm.SHOWER, 3, rng))
            assert writer.partial_path.exists()
            raise RuntimeError("boom")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_the_previous_file(tmp_path, make_batch, rng):
    path = tmp_path / "out.h5"
    _write_one(path, dm.SHOWER, make_batch(dm.SHOWER, 3, rng))
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        HDF5Writer(path).open()
    with pytest.raises(SchemaError):
        with HDF5Writer(path, overwrite=True) as writer:
            writer.append(dm.SHOWER, {"obs_id": [1]})
    assert path.read_bytes() == before
    assert not (tmp_path / "out.h5.partial").exists()


def test_missing_and_extra_columns_are_named(tmp_path, make_batch, rng):
    batch = make_batch(dm.DL1_PARAMETERS, 4, rng)
    del batch["hillas_width"]
    batch["hillas_widht"] = batch["hillas_length"]
    with pytest.raises(SchemaError) as error, HDF5Writer(tmp_path / "x.h5") as writer:
        writer.append(dm.DL1_PARAMETERS, batch, tel_id=5)
    message = str(error.value)
    assert "/dl1/event/telescope/parameters/tel_005" in message
    assert "missing column(s) hillas_width" in message and "unexpected column(s) hillas_widht" in message


@pytest.mark.parametrize("change, match", [
    (lambda b: b.update(event_id=b["event_id"].astype(float)), "cannot store float64"),
    (lambda b: b.update(tel_id=np.full(4, 40_000)), "outside the int16 range"),
    (lambda b: b.update(image=b["image"][:, :3]), "expected shape"),
    (lambda b: b.update(is_valid=b["is_valid"][:2]), "different lengths"),
    (lambda b: b.update(peak_time=b["peak_time"] * u.m), "cannot be converted"),
])
def test_bad_values_are_rejected(tmp_path, make_batch, rng, change, match):
    with HDF5Writer(tmp_path / "x.h5") as writer:
        appender = writer.table(dm.DL1_IMAGES, tel_id=1, dims={"n_pixels": 7})
        batch = make_batch(dm.DL1_IMAGES, 4, rng)
        change(batch)
        with pytest.raises(SchemaError, match=match):
            appender.append(batch)


def test_too_long_string_is_rejected(tmp_path, make_batch, rng):
    batch = make_batch(dm.SUBARRAY_LAYOUT, 2, rng)
    batch["type"] = np.array(["MST", "much-too-long-type"])
    with pytest.raises(SchemaError, match="longer than the column's 8 bytes"), HDF5Writer(tmp_path / "x.h5") as w:
        w.append(dm.SUBARRAY_LAYOUT, batch)


def test_cell_shape_is_inferred_then_enforced(tmp_path, make_batch, rng):
    with HDF5Writer(tmp_path / "x.h5") as writer:
        writer.append(dm.R0, make_batch(dm.R0, 3, rng), tel_id=2)
        small = make_batch(dm.R0, 3, rng, dims=dict(n_channels=1, n_pixels=7, n_samples=5))
        with pytest.raises(SchemaError, match="expected shape"):
            writer.append(dm.R0, small, tel_id=2)
    raw = read_table(tmp_path / "x.h5", dm.R0.path(tel_id=2), as_="numpy")
    assert raw["waveform"].shape == (3, 2, 7, 5) and raw["waveform"].dtype == np.uint16


def test_all_input_containers_are_accepted(tmp_path, make_batch, rng):
    batch = make_batch(dm.SHOWER, 4, rng)
    structured = np.empty(4, dtype=[(k, v.dtype) for k, v in batch.items()])
    for key, value in batch.items():
        structured[key] = value
    with HDF5Writer(tmp_path / "x.h5") as writer:
        for data in (batch, structured, pd.DataFrame(batch), QTable(batch)):
            writer.append(dm.SHOWER, data)
        with pytest.raises(SchemaError, match="cannot append a list"):
            writer.append(dm.SHOWER, [1, 2])
    assert len(read_table(tmp_path / "x.h5", dm.SHOWER_PATH)) == 16


def test_unit_attributes_follow_ctapipe_convention(tmp_path, make_batch, rng):
    table_path = _write_one(tmp_path / "x.h5", dm.DL1_IMAGES, make_batch(dm.DL1_IMAGES, 2, rng))
    with tables.open_file(tmp_path / "x.h5") as h5file:
        attrs = h5file.get_node(table_path).attrs
        position = dm.DL1_IMAGES.column_names.index("peak_time")
        assert attrs[f"CTAFIELD_{position}_UNIT"] == "ns"
        assert attrs[f"CTAFIELD_{position}_TRANSFORM"] == "quantity"
        assert attrs[f"CTAFIELD_{dm.DL1_IMAGES.column_names.index('image')}_UNIT_LABEL"] == "p.e."
        assert attrs["IACTPIPE_SCHEMA"] == "dl1_images"


def test_ctapipe_reads_our_tables(tmp_path, make_batch, rng):
    from ctapipe.io import read_table as ctapipe_read_table

    path = tmp_path / "ours.h5"
    batches = {schema: make_batch(schema, 8, rng) for schema in (dm.DL1_PARAMETERS, dm.DL1_SUBARRAY_TRIGGER, dm.SHOWER)}
    with HDF5Writer(path) as writer:
        for schema, batch in batches.items():
            writer.append(schema, batch, **_path_keys(schema))
    for schema, batch in batches.items():
        theirs = ctapipe_read_table(path, schema.path(**_path_keys(schema)))
        assert theirs.colnames == list(schema.column_names)
        for column in schema.columns:
            values = theirs[column.name]
            if column.kind == "time":
                np.testing.assert_array_equal(time_to_ctao_high_res(values), batch[column.name])
                continue
            if column.has_astropy_unit:
                assert u.Unit(values.unit) == u.Unit(column.unit), column.name
            np.testing.assert_array_equal(np.asarray(values), batch[column.name])


def test_we_read_ctapipe_tables(tmp_path):
    from ctapipe.io import write_table as ctapipe_write_table

    original = QTable({
        "obs_id": np.array([1, 1], np.int32),
        "event_id": np.array([5, 6], np.int64),
        "true_energy": [0.5, 2.0] * u.TeV,
        "time": Time(["2024-01-01T00:00:00.25", "2024-01-01T00:00:01"], scale="tai"),
        "label": ["gamma", "proton"],
    })
    ctapipe_write_table(original, tmp_path / "ctapipe.h5", "/simulation/event/subarray/shower")
    ours = read_table(tmp_path / "ctapipe.h5", "/simulation/event/subarray/shower", as_="qtable")
    assert ours["true_energy"].unit == u.TeV
    np.testing.assert_array_equal(ours["true_energy"].value, [0.5, 2.0])
    assert np.all(np.abs((ours["time"] - original["time"]).to_value(u.ns)) < 1)
    assert list(ours["label"]) == ["gamma", "proton"]


def _write_events(path, make_batch, rng, with_dl2=True):
    shower = make_batch(dm.SHOWER, 6, rng)
    shower["obs_id"] = np.full(6, 7, np.int32)
    shower["event_id"] = np.arange(6)
    trigger = make_batch(dm.DL1_SUBARRAY_TRIGGER, 4, rng)
    trigger["obs_id"], trigger["event_id"] = np.full(4, 7, np.int32), np.array([0, 2, 3, 5])
    with HDF5Writer(path) as writer:
        writer.append(dm.SHOWER, shower)
        writer.append(dm.DL1_SUBARRAY_TRIGGER, trigger)
        for tel_id, events in ((1, [0, 2, 3]), (4, [2, 5])):
            params = make_batch(dm.DL1_PARAMETERS, len(events), rng)
            params["obs_id"], params["event_id"] = np.full(len(events), 7), np.array(events)
            params["tel_id"] = np.full(len(events), tel_id)
            writer.append(dm.DL1_PARAMETERS, params, tel_id=tel_id)
            if with_dl2:
                energy = make_batch(dm.DL2_TELESCOPE_ENERGY, len(events), rng)
                energy.update(obs_id=params["obs_id"], event_id=params["event_id"], tel_id=params["tel_id"])
                writer.append(dm.DL2_TELESCOPE_ENERGY, energy, tel_id=tel_id, algorithm="TestAlgo")
        if with_dl2:
            energy = make_batch(dm.DL2_SUBARRAY_ENERGY, 4, rng)
            energy.update(obs_id=trigger["obs_id"], event_id=trigger["event_id"])
            writer.append(dm.DL2_SUBARRAY_ENERGY, energy, algorithm="TestAlgo")
    return shower, trigger


def test_read_telescope_events_joins_shower_truth(tmp_path, make_batch, rng):
    path = tmp_path / "events.h5"
    shower, _ = _write_events(path, make_batch, rng)
    events = read_telescope_events(path)
    assert len(events) == 5
    assert list(events["tel_id"]) == [1, 1, 1, 4, 4]
    np.testing.assert_array_equal(events["true_energy"], shower["true_energy"][events["event_id"]])
    assert events.attrs["units"]["hillas_length"] == "deg" and events.attrs["units"]["true_energy"] == "TeV"

    one = read_telescope_events(path, tel_id=4, with_shower=False, with_dl2=True, columns=["hillas_intensity"])
    assert list(one.columns) == ["obs_id", "event_id", "tel_id", "hillas_intensity", "TestAlgo_tel_energy",
                                 "TestAlgo_tel_energy_uncert", "TestAlgo_tel_is_valid", "TestAlgo_tel_goodness_of_fit"]
    with pytest.raises(InputFileError, match=r"telescope\(s\) \[2\]"):
        read_telescope_events(path, tel_id=[1, 2])


def test_read_subarray_events(tmp_path, make_batch, rng):
    path = tmp_path / "events.h5"
    shower, trigger = _write_events(path, make_batch, rng)
    events = read_subarray_events(path)
    assert list(events["event_id"]) == [0, 2, 3, 5]
    np.testing.assert_array_equal(events["multiplicity"], trigger["tels_with_trigger"].sum(axis=1))
    np.testing.assert_array_equal(events["true_az"], shower["true_az"][[0, 2, 3, 5]])
    assert "TestAlgo_energy" in events.columns
    assert events.attrs["units"]["TestAlgo_energy"] == "TeV"


def test_missing_tables_give_clear_errors(tmp_path, make_batch, rng):
    path = tmp_path / "sim.h5"
    _write_one(path, dm.SHOWER, make_batch(dm.SHOWER, 2, rng))
    with pytest.raises(DataLevelError, match="has no table /dl1/event/subarray/trigger"):
        read_table(path, dm.DL1_SUBARRAY_TRIGGER_PATH)
    with pytest.raises(InputFileError, match="has no table /simulation/service/shower_distribution"):
        read_table(path, dm.SHOWER_DISTRIBUTION_PATH)
    with pytest.raises(SchemaError, match="no column"):
        read_table(path, dm.SHOWER_PATH, columns=["true_energie"])
    with pytest.raises(DataLevelError, match="dl1 is required"):
        read_telescope_events(path)


def test_default_filters_are_the_agreed_ones():
    assert (DEFAULT_FILTERS.complib, DEFAULT_FILTERS.complevel, DEFAULT_FILTERS.shuffle) == ("blosc2:zstd", 1, True)


def test_empty_batches_and_schema_clashes(tmp_path, make_batch, rng):
    empty = {name: values[:0] for name, values in make_batch(dm.DL1_IMAGES, 1, rng).items()}
    with HDF5Writer(tmp_path / "x.h5") as writer:
        assert writer.append(dm.DL1_IMAGES, empty, tel_id=1) == 0  # cell shape still unknown: no error
        assert writer.append(dm.DL1_IMAGES, make_batch(dm.DL1_IMAGES, 3, rng), tel_id=1) == 3
        assert writer.append(dm.DL1_IMAGES, empty, tel_id=1) == 0
        with pytest.raises(SchemaError, match="already open with schema 'dl1_images'"):
            writer.table(replace(dm.DL1_PARAMETERS, path_template=dm.DL1_IMAGES_PATH), tel_id=1)
    assert len(read_table(tmp_path / "x.h5", dm.DL1_IMAGES.path(tel_id=1))) == 3


def test_times_before_1970_are_rejected():
    with pytest.raises(ValueError, match="outside the CTAO high-resolution range"):
        unix_tai_to_ctao_high_res([-1.0])


def test_units_declared_by_tables_and_dataframes_are_honoured(tmp_path, make_batch, rng):
    batch = make_batch(dm.SHOWER, 4, rng)
    plain = Table(batch)
    plain["true_core_x"].unit = u.km  # a unit-carrying Column of a non-Quantity table
    frame = pd.DataFrame(batch)
    frame.attrs["units"] = {"true_energy": "GeV", "true_alt": "deg"}
    with HDF5Writer(tmp_path / "x.h5") as writer:
        writer.append(dm.SHOWER, plain)
        writer.append(dm.SHOWER, frame)
        bad = pd.DataFrame(batch)
        bad.attrs["units"] = {"true_alt": "m"}
        with pytest.raises(SchemaError, match="unit m cannot be converted to deg"):
            writer.append(dm.SHOWER, bad)
    stored = read_table(tmp_path / "x.h5", dm.SHOWER_PATH, as_="numpy")
    np.testing.assert_allclose(stored["true_core_x"][:4], batch["true_core_x"] * 1000)
    np.testing.assert_allclose(stored["true_energy"][4:], batch["true_energy"] / 1000)
    np.testing.assert_array_equal(stored["true_alt"][4:], batch["true_alt"])


def _true_image_rows(rng, n_rows, n_pixels=7):
    return {"obs_id": np.full(n_rows, 1, np.int32), "event_id": np.arange(n_rows, dtype=np.int64),
            "tel_id": np.full(n_rows, 1, np.int16),
            "true_image_sum": rng.integers(0, 1000, n_rows).astype(np.int32),
            "true_image": rng.integers(0, 100, (n_rows, n_pixels)).astype(np.int32)}


@pytest.mark.parametrize("source_filters", [DEFAULT_FILTERS, tables.Filters(complevel=0)],
                         ids=["same compression: chunks copied", "other compression: rows copied"])
def test_copy_table_keeps_rows_chunks_and_attributes(tmp_path, rng, source_filters):
    data = _true_image_rows(rng, 1000)
    with HDF5Writer(tmp_path / "source.h5", filters=source_filters) as writer:
        writer.table(dm.TRUE_IMAGES, tel_id=1, expected_rows=64).append(data)
    with tables.open_file(tmp_path / "source.h5") as h5, HDF5Writer(tmp_path / "copy.h5") as writer:
        node = h5.get_node(dm.TRUE_IMAGES.path(tel_id=1))
        assert writer.copy_table(node, dm.TRUE_IMAGES, tel_id=1) == 1000
        source_chunks = node.chunkshape
        more = _true_image_rows(rng, 5)
        writer.append(dm.TRUE_IMAGES, more, tel_id=1)  # a copied table takes more rows
    with tables.open_file(tmp_path / "copy.h5") as h5:
        copied = h5.get_node(dm.TRUE_IMAGES.path(tel_id=1))
        assert copied.filters == DEFAULT_FILTERS  # the writer's compression in both cases
        assert (copied.chunkshape == source_chunks) == (source_filters == DEFAULT_FILTERS)
        assert copied.attrs["IACTPIPE_SCHEMA"] == "true_images"
        rows = copied.read()
    for name, column in data.items():
        np.testing.assert_array_equal(rows[name], np.concatenate([column, more[name]]))


def test_copy_table_into_an_existing_table_appends_rows(tmp_path, rng):
    first, second = _true_image_rows(rng, 30), _true_image_rows(rng, 50)
    with HDF5Writer(tmp_path / "source.h5") as writer:
        writer.append(dm.TRUE_IMAGES, second, tel_id=1)
    with tables.open_file(tmp_path / "source.h5") as h5, HDF5Writer(tmp_path / "copy.h5") as writer:
        writer.append(dm.TRUE_IMAGES, first, tel_id=1)
        writer.copy_table(h5.get_node(dm.TRUE_IMAGES.path(tel_id=1)), dm.TRUE_IMAGES, tel_id=1)
        writer.append(dm.TRUE_IMAGES, first, tel_id=1)
    with tables.open_file(tmp_path / "copy.h5") as h5:
        rows = h5.get_node(dm.TRUE_IMAGES.path(tel_id=1)).read()
    np.testing.assert_array_equal(rows["true_image_sum"],
                                  np.concatenate([first["true_image_sum"], second["true_image_sum"],
                                                  first["true_image_sum"]]))
