"""Instrument description round trips through HDF5 (and reading ctapipe's)."""
import astropy.units as u
from astropy.coordinates import EarthLocation
import numpy as np
import pytest
import tables

from iactpipe.errors import InputFileError, InstrumentError
from iactpipe.instrument import CameraReadout, SubarrayDescription, TelescopeDescription
from iactpipe.io import datamodel as dm
from iactpipe.io.hdf5 import HDF5Writer, read_table
from iactpipe.io.instrument_io import geodetic_to_itrs, read_subarray_hdf5, write_subarray


def _assert_same_optics(a, b):
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert x == y or (np.isnan(x) and np.isnan(y)), name


def _assert_same_subarray(a, b):
    assert a.name == b.name
    assert a.reference_location == b.reference_location
    np.testing.assert_array_equal(a.tel_ids, b.tel_ids)
    assert np.array_equal(a.positions_m, b.positions_m)
    for tel_a, tel_b in zip(a.telescopes, b.telescopes):
        assert (tel_a.name, tel_a.tel_type) == (tel_b.name, tel_b.tel_type)
        _assert_same_optics(tel_a.optics, tel_b.optics)
        geom_a, geom_b = tel_a.camera, tel_b.camera
        assert (geom_a.name, geom_a.pix_type, geom_a.pix_rotation_deg, geom_a.cam_rotation_deg) == \
            (geom_b.name, geom_b.pix_type, geom_b.pix_rotation_deg, geom_b.cam_rotation_deg)
        for field in ("pix_id", "pix_x", "pix_y", "pix_area"):
            assert np.array_equal(getattr(geom_a, field), getattr(geom_b, field)), field
        ro_a, ro_b = tel_a.readout, tel_b.readout
        assert (ro_a.name, ro_a.sampling_rate_ghz, ro_a.n_samples, ro_a.n_channels,
                ro_a.reference_pulse_sample_width_ns) == (ro_b.name, ro_b.sampling_rate_ghz, ro_b.n_samples,
                                                          ro_b.n_channels, ro_b.reference_pulse_sample_width_ns)
        assert np.array_equal(ro_a.reference_pulse_shape, ro_b.reference_pulse_shape)


def test_round_trip_is_exact(tmp_path, toy_subarray):
    path = tmp_path / "instrument.h5"
    write_subarray(path, toy_subarray)
    _assert_same_subarray(toy_subarray, read_subarray_hdf5(path))


def test_written_inside_a_data_file(tmp_path, toy_subarray, make_batch, rng):
    path = tmp_path / "data.h5"
    with HDF5Writer(path) as writer:
        write_subarray(writer, toy_subarray)
        writer.append(dm.SHOWER, make_batch(dm.SHOWER, 2, rng))
    subarray = read_subarray_hdf5(path)
    _assert_same_subarray(toy_subarray, subarray)
    # telescopes of one type share one description object, as in memory
    assert subarray.telescope(1) is subarray.telescope(2)


def test_tables_follow_the_data_model(tmp_path, toy_subarray):
    path = tmp_path / "instrument.h5"
    write_subarray(path, toy_subarray)
    layout = read_table(path, dm.SUBARRAY_LAYOUT_PATH, as_="qtable")
    assert list(layout["tel_id"]) == [1, 2, 3]
    assert list(layout["camera_name"]) == ["ToyHexCam", "ToyHexCam", "ToySqCam"]
    assert list(layout["tel_description"]) == ["MST_MST_ToyHexCam", "MST_MST_ToyHexCam", "SST_ASTRI_ToySqCam"]
    assert layout["pos_x"].unit == u.m
    with tables.open_file(path) as h5file:
        attrs = h5file.get_node(dm.SUBARRAY_LAYOUT_PATH).attrs
        expected = EarthLocation(lon=-17.891497 * u.deg, lat=28.761526 * u.deg, height=2147 * u.m)
        for axis in "xyz":
            assert attrs[f"reference_itrs_{axis}"] == pytest.approx(getattr(expected, axis).to_value(u.m), abs=1e-6)
        geometry = h5file.get_node(dm.CAMERA_GEOMETRY.path(camera_name="ToySqCam")).attrs
        assert (geometry["CAM_ID"], geometry["PIX_TYPE"], geometry["PIX_ROT"], geometry["CAM_ROT"]) == \
            ("ToySqCam", "square", 0.0, 0.0)
        readout = h5file.get_node(dm.CAMERA_READOUT_PATH.format(camera_name="ToyHexCam")).attrs
        assert (readout["SAMPFREQ"], readout["NSAMPLES"], readout["NCHAN"], readout["NPIXELS"]) == (1.024, 40, 2, 7)


def test_geodetic_to_itrs_matches_astropy():
    location = EarthLocation(lon=-70.3 * u.deg, lat=-24.68 * u.deg, height=2147 * u.m)
    np.testing.assert_allclose(geodetic_to_itrs(-70.3, -24.68, 2147.0),
                               [location.x.to_value(u.m), location.y.to_value(u.m), location.z.to_value(u.m)],
                               atol=1e-6)


def test_ctapipe_reads_our_layout_and_optics_tables(tmp_path, toy_subarray):
    from ctapipe.io import read_table as ctapipe_read_table

    path = tmp_path / "instrument.h5"
    write_subarray(path, toy_subarray)
    layout = ctapipe_read_table(path, dm.SUBARRAY_LAYOUT_PATH)
    assert list(layout["name"]) == ["MST_MST_ToyHexCam", "MST_MST_ToyHexCam", "SST_ASTRI_ToySqCam"]
    assert layout["pos_y"].unit == u.m
    optics = ctapipe_read_table(path, dm.OPTICS_PATH)
    assert optics["mirror_area"].unit == u.m**2


def test_conflicting_cameras_with_one_name_are_refused(tmp_path, toy_subarray):
    tel = toy_subarray.telescope(1)
    other_readout = CameraReadout(tel.readout.name, 2.0, 40, 2, tel.readout.reference_pulse_shape, 0.5)
    clash = TelescopeDescription(tel.name, tel.tel_type, tel.optics, tel.camera, other_readout)
    subarray = SubarrayDescription("clash", [1, 2], [[0, 0, 0], [1, 1, 0]], [tel, clash],
                                   toy_subarray.reference_location)
    with pytest.raises(InstrumentError, match="two different readouts"):
        write_subarray(tmp_path / "x.h5", subarray)
    assert not (tmp_path / "x.h5").exists()


def test_second_subarray_needs_overwrite(tmp_path, toy_subarray):
    path = tmp_path / "instrument.h5"
    write_subarray(path, toy_subarray)
    with pytest.raises(FileExistsError):
        write_subarray(path, toy_subarray)
    smaller = toy_subarray.select([1, 3])
    write_subarray(path, smaller, overwrite=True)
    _assert_same_subarray(smaller, read_subarray_hdf5(path))


def test_file_without_instrument(tmp_path, make_batch, rng):
    path = tmp_path / "data.h5"
    with HDF5Writer(path) as writer:
        writer.append(dm.SHOWER, make_batch(dm.SHOWER, 2, rng))
    with pytest.raises(InputFileError, match="has no instrument description"):
        read_subarray_hdf5(path)


def test_read_ctapipe_subarray(tmp_path, calib_events_path):
    """ctapipe numbers its camera tables; we read them by index and keep its type names."""
    from ctapipe.io import EventSource

    with EventSource(calib_events_path, max_events=1, focal_length_choice="EQUIVALENT") as source:
        theirs = source.subarray
    theirs.to_hdf(tmp_path / "ctapipe.h5")
    ours = read_subarray_hdf5(tmp_path / "ctapipe.h5")
    np.testing.assert_array_equal(ours.tel_ids, sorted(theirs.tel_ids))
    for tel_id in ours.tel_ids:
        tel, their_tel = ours.telescope(tel_id), theirs.tel[tel_id]
        assert tel.name == str(their_tel)
        assert tel.camera.name == their_tel.camera.name
        np.testing.assert_array_equal(tel.camera.pix_x, their_tel.camera.geometry.pix_x.to_value(u.m))
        assert tel.readout.n_samples == their_tel.camera.readout.n_samples
        assert tel.optics.equivalent_focal_length_m == their_tel.optics.equivalent_focal_length.to_value(u.m)
    np.testing.assert_allclose(ours.positions_m, theirs.tel_coords.cartesian.xyz.to_value(u.m).T)
    # our copy of it round-trips too
    write_subarray(tmp_path / "ours.h5", ours)
    _assert_same_subarray(ours, read_subarray_hdf5(tmp_path / "ours.h5"))
