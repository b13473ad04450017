"""Instrument description round trips through HDF5 (and reading ctapipe's)."""
from dataclasses import replace

import astropy.units as u
from astropy.coordinates import EarthLocation
import numpy as np
import pytest
import tables

from iactpipe.errors import InputFileError, InstrumentError
from iactpipe.instrument import CameraReadout, SubarrayDescription, TelescopeDescription
from iactpipe.instrument.catalog import array_names, build_array
from iactpipe.instrument.subarray import same_description
from iactpipe.io import datamodel as dm
from iactpipe.io.hdf5 import HDF5Writer, read_table
from iactpipe.io.instrument_io import geodetic_to_itrs, read_subarray_hdf5, write_subarray
from iactpipe.io.simtel import read_subarray


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
    assert list(layout["camera_index"]) == [0, 0, 1]
    assert list(layout["optics_index"]) == [0, 0, 1]
    assert list(layout["tel_description"]) == ["MST_MST_ToyHexCam", "MST_MST_ToyHexCam", "SST_ASTRI_ToySqCam"]
    assert layout["pos_x"].unit == u.m
    optics = read_table(path, dm.OPTICS_PATH)
    assert list(optics["optics_name"]) == ["MST", "ASTRI"]
    assert list(optics["size_type"]) == ["MST", "SST"]  # ctapipe SizeType names
    assert list(optics["reflector_shape"]) == ["DAVIES_COTTON", "SCHWARZSCHILD_COUDER"]  # ReflectorShape names
    with tables.open_file(path) as h5file:
        attrs = h5file.get_node(dm.SUBARRAY_LAYOUT_PATH).attrs
        expected = EarthLocation(lon=-17.891497 * u.deg, lat=28.761526 * u.deg, height=2147 * u.m)
        for axis in "xyz":
            assert attrs[f"reference_itrs_{axis}"] == pytest.approx(getattr(expected, axis).to_value(u.m), abs=1e-6)
        camera_tables = sorted(node._v_name for node in h5file.get_node(dm.CAMERA_GROUP))
        assert camera_tables == ["geometry_0", "geometry_1", "readout_0", "readout_1"]
        geometry = h5file.get_node(dm.CAMERA_GEOMETRY.path(camera_index=1)).attrs
        assert (geometry["CAM_ID"], geometry["PIX_TYPE"], geometry["PIX_ROT"], geometry["CAM_ROT"]) == \
            ("ToySqCam", "square", 0.0, 0.0)
        readout = h5file.get_node(dm.CAMERA_READOUT_PATH.format(camera_index=0)).attrs
        assert (readout["CAM_ID"], readout["SAMPFREQ"], readout["NSAMPLES"], readout["NCHAN"],
                readout["NPIXELS"]) == ("ToyHexCam", 1.024, 40, 2, 7)


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


def test_different_cameras_and_optics_with_one_name_stay_distinct(tmp_path, toy_subarray):
    tel = toy_subarray.telescope(1)
    other_readout = CameraReadout(tel.readout.name, 2.0, 40, 2, tel.readout.reference_pulse_shape, 0.5)
    other_optics = replace(tel.optics, reflector_shape="parabolic")
    clash = TelescopeDescription(tel.name, tel.tel_type, other_optics, tel.camera, other_readout)
    subarray = SubarrayDescription("clash", [1, 2, 3], [[0, 0, 0], [1, 1, 0], [2, 2, 0]], [tel, clash, tel],
                                   toy_subarray.reference_location)
    path = tmp_path / "x.h5"
    write_subarray(path, subarray)
    layout = read_table(path, dm.SUBARRAY_LAYOUT_PATH)
    assert list(layout["camera_index"]) == [0, 1, 0]
    assert list(layout["optics_index"]) == [0, 1, 0]
    assert len(read_table(path, dm.OPTICS_PATH)) == 2
    back = read_subarray_hdf5(path)
    _assert_same_subarray(subarray, back)
    assert back.telescope(1) is back.telescope(3)
    assert back.telescope(2) is not back.telescope(1)
    assert back.telescope(1).camera is back.telescope(2).camera  # one geometry, two readouts
    assert [t.readout.sampling_rate_ghz for t in back.telescope_types] == [1.024, 2.0]


def test_equal_descriptions_in_different_objects_share_tables(tmp_path, toy_subarray):
    tel = toy_subarray.telescope(1)
    geometry = tel.camera
    copy_geometry = replace(geometry, pix_x=geometry.pix_x.copy())
    copy_readout = replace(tel.readout)
    copy_optics = replace(tel.optics)  # NaN fields compare equal
    twin = TelescopeDescription(tel.name, tel.tel_type, copy_optics, copy_geometry, copy_readout)
    subarray = SubarrayDescription("twins", [1, 2], [[0, 0, 0], [1, 1, 0]], [tel, twin],
                                   toy_subarray.reference_location)
    assert len(subarray.telescope_types) == 1 and len(subarray.camera_types) == 1
    path = tmp_path / "x.h5"
    write_subarray(path, subarray)
    assert list(read_table(path, dm.SUBARRAY_LAYOUT_PATH)["camera_index"]) == [0, 0]
    assert len(read_table(path, dm.OPTICS_PATH)) == 1
    back = read_subarray_hdf5(path)
    assert back.telescope(1) is back.telescope(2)


def test_optics_enums_without_ctapipe_name_are_refused(tmp_path, toy_subarray):
    tel = toy_subarray.telescope(1)
    for change in ({"size_type": "SCT"}, {"reflector_shape": "Davies-Cotton"}):
        odd = TelescopeDescription(tel.name, tel.tel_type, replace(tel.optics, **change), tel.camera, tel.readout)
        subarray = SubarrayDescription("odd", [1], [[0, 0, 0]], [odd], toy_subarray.reference_location)
        with pytest.raises(InstrumentError, match=next(iter(change))):
            write_subarray(tmp_path / "x.h5", subarray)
        assert not (tmp_path / "x.h5").exists()


def test_prod6_round_trip_keeps_lst1_distinct(tmp_path, prod6_path):
    subarray = read_subarray(prod6_path)
    lst1, lst2 = subarray.telescope(1), subarray.telescope(2)
    assert lst1.name == lst2.name == "LST_LST_LSTCam"
    assert lst1.camera.name == lst2.camera.name and lst1.optics.name == lst2.optics.name
    assert not same_description(lst1.optics, lst2.optics)
    assert not same_description(lst1.readout, lst2.readout)
    assert len(subarray.telescope_types) == 3
    assert [t.name for t in subarray.telescope_types] == ["LST_LST_LSTCam", "LST_LST_LSTCam", "MST_MST_NectarCam"]
    assert subarray.telescope_types[0] is lst1 and subarray.telescope_types[1] is lst2
    assert [c.name for c in subarray.camera_types] == ["LSTCam", "NectarCam"]  # LST-1..4 share one geometry

    path = tmp_path / "prod6.h5"
    write_subarray(path, subarray)
    layout = read_table(path, dm.SUBARRAY_LAYOUT_PATH)
    assert list(layout["camera_index"][:6]) == [0, 1, 1, 1, 2, 2]
    assert list(layout["optics_index"][:6]) == [0, 1, 1, 1, 2, 2]
    back = read_subarray_hdf5(path)
    _assert_same_subarray(subarray, back)
    # the sharing of description objects is rebuilt, telescope by telescope
    for i in range(subarray.n_tels):
        for j in range(i):
            a, b = subarray.telescopes[i], subarray.telescopes[j]
            x, y = back.telescopes[i], back.telescopes[j]
            assert (a is b) == (x is y)
            assert (a.optics is b.optics) == (x.optics is y.optics)
            assert (a.camera is b.camera) == (x.camera is y.camera)
            assert (a.readout is b.readout) == (x.readout is y.readout)
    assert len(back.telescope_types) == 3


@pytest.mark.parametrize("name", array_names())
def test_builtin_arrays_round_trip(tmp_path, name):
    subarray = build_array(name)
    write_subarray(tmp_path / "array.h5", subarray)
    back = read_subarray_hdf5(tmp_path / "array.h5")
    _assert_same_subarray(subarray, back)
    assert [t.name for t in back.telescope_types] == [t.name for t in subarray.telescope_types]
    n_types = len(subarray.telescope_types)
    assert len(read_table(tmp_path / "array.h5", dm.OPTICS_PATH)) == n_types


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


def test_same_description_compares_content_not_names(toy_subarray):
    from iactpipe.instrument.subarray import distinct_descriptions

    tel = toy_subarray.telescope(1)
    optics = tel.optics
    assert same_description(optics, replace(optics))  # NaN equals NaN
    assert not same_description(optics, replace(optics, n_mirror_tiles=optics.n_mirror_tiles + 1))
    assert not same_description(optics, replace(optics, name="other"))
    renamed = replace(tel.camera, name="Other")
    assert not same_description(tel.camera, renamed)
    assert not same_description(tel.camera, tel.readout)
    items = [tel.camera, renamed, replace(tel.camera), tel.camera]
    distinct, index = distinct_descriptions(items)
    assert distinct == [tel.camera, renamed] and index == [0, 1, 0, 0]
