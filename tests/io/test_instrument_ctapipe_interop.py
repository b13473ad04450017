"""ctapipe reads the instrument tables we write, and we read the ones ctapipe writes."""
import warnings

import astropy.units as u
import numpy as np
import pytest

from iactpipe.instrument.catalog import build_array
from iactpipe.instrument.subarray import same_description
from iactpipe.io.instrument_io import read_subarray_hdf5, write_subarray
from iactpipe.io.simtel import canonical_camera_name, read_subarray

_REFLECTOR_SHAPES = {"parabolic": "PARABOLIC", "hybrid": "HYBRID", "davies-cotton": "DAVIES_COTTON",
                     "schwarzschild-couder": "SCHWARZSCHILD_COUDER", "unknown": "UNKNOWN"}


def _ctapipe_from_hdf(path, **kwargs):
    from ctapipe.instrument import SubarrayDescription as CtapipeSubarray

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. unknown-pixel-shape / astropy meta warnings
        return CtapipeSubarray.from_hdf(path, **kwargs)


def _subarray(which, prod6_path):
    return read_subarray(prod6_path) if which == "prod6" else build_array(which)


def _assert_ctapipe_matches(ours, theirs, focal_length_choice):
    assert theirs.name == ours.name
    assert sorted(theirs.tel_ids) == list(ours.tel_ids)
    np.testing.assert_array_equal(theirs.tel_coords.cartesian.xyz.to_value(u.m).T, ours.positions_m)
    location = ours.reference_location.to_earth_location()
    assert theirs.reference_location.lon.deg == pytest.approx(location.lon.deg, abs=1e-9)
    assert theirs.reference_location.lat.deg == pytest.approx(location.lat.deg, abs=1e-9)
    assert theirs.reference_location.height.to_value(u.m) == pytest.approx(location.height.to_value(u.m), abs=1e-6)
    for tel_id in ours.tel_ids:
        tel, their = ours.telescope(tel_id), theirs.tel[tel_id]
        assert their.name == tel.name
        optics, their_optics = tel.optics, their.optics
        assert their_optics.name == optics.name
        assert their_optics.size_type.value == optics.size_type
        assert their_optics.reflector_shape.value == _REFLECTOR_SHAPES[optics.reflector_shape]
        assert their_optics.n_mirrors == optics.n_mirrors and their_optics.n_mirror_tiles == optics.n_mirror_tiles
        assert their_optics.mirror_area.to_value(u.m**2) == optics.mirror_area_m2
        assert their_optics.equivalent_focal_length.to_value(u.m) == optics.equivalent_focal_length_m
        np.testing.assert_array_equal(their_optics.effective_focal_length.to_value(u.m),
                                      optics.effective_focal_length_m)  # NaN where unknown
        focal = (optics.effective_focal_length_m if focal_length_choice == "EFFECTIVE"
                 else optics.equivalent_focal_length_m)
        assert their.camera.geometry.frame.focal_length.to_value(u.m) == focal
        geometry, their_geometry = tel.camera, their.camera.geometry
        assert their.camera.name == their_geometry.name == geometry.name
        assert their_geometry.pix_type.value == geometry.pix_type.value
        assert their_geometry.pix_rotation.deg == geometry.pix_rotation_deg
        assert their_geometry.cam_rotation.deg == geometry.cam_rotation_deg
        np.testing.assert_array_equal(their_geometry.pix_id, geometry.pix_id)
        np.testing.assert_array_equal(their_geometry.pix_x.to_value(u.m), geometry.pix_x)
        np.testing.assert_array_equal(their_geometry.pix_y.to_value(u.m), geometry.pix_y)
        np.testing.assert_array_equal(their_geometry.pix_area.to_value(u.m**2), geometry.pix_area)
        readout, their_readout = tel.readout, their.camera.readout
        assert their_readout.name == readout.name
        assert their_readout.sampling_rate.to_value(u.GHz) == readout.sampling_rate_ghz
        assert (their_readout.n_samples, their_readout.n_channels, their_readout.n_pixels) == \
            (readout.n_samples, readout.n_channels, geometry.n_pixels)
        assert their_readout.reference_pulse_sample_width.to_value(u.ns) == readout.reference_pulse_sample_width_ns
        np.testing.assert_array_equal(their_readout.reference_pulse_shape, readout.reference_pulse_shape)


@pytest.mark.parametrize("which", ["CTAO-North-alpha", "CTAO-South-alpha", "CTAO-North-LST", "prod6"])
def test_ctapipe_reads_our_subarray(tmp_path, prod6_path, which):
    ours = _subarray(which, prod6_path)
    path = tmp_path / "instrument.h5"
    write_subarray(path, ours)
    theirs = _ctapipe_from_hdf(path, focal_length_choice="EQUIVALENT")
    _assert_ctapipe_matches(ours, theirs, "EQUIVALENT")
    # ctapipe's default (EFFECTIVE) needs the effective focal length of every telescope,
    # as for its own files; the SSTs of CTAO-South-alpha have none
    if all(np.isfinite(t.optics.effective_focal_length_m) for t in ours.telescopes):
        _assert_ctapipe_matches(ours, _ctapipe_from_hdf(path), "EFFECTIVE")
    else:
        with pytest.raises(RuntimeError, match="effective focal length"):
            _ctapipe_from_hdf(path)


def test_ctapipe_keeps_prod6_lst1_distinct(tmp_path, prod6_path):
    path = tmp_path / "instrument.h5"
    write_subarray(path, read_subarray(prod6_path))
    theirs = _ctapipe_from_hdf(path)
    lst1, lst2 = theirs.tel[1], theirs.tel[2]
    assert str(lst1) == str(lst2) == "LST_LST_LSTCam"
    assert lst1.optics.reflector_shape != lst2.optics.reflector_shape
    assert not np.array_equal(lst1.camera.readout.reference_pulse_shape, lst2.camera.readout.reference_pulse_shape)
    assert len(theirs.optics_types) == 3
    assert len(theirs.camera_types) == 3


@pytest.fixture(scope="module")
def ctapipe_prod6_subarray(prod6_path):
    from ctapipe.io import EventSource

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with EventSource(prod6_path, max_events=1, focal_length_choice="EQUIVALENT") as source:
            return source.subarray


def test_we_read_ctapipe_written_prod6(tmp_path, prod6_path, ctapipe_prod6_subarray):
    theirs = ctapipe_prod6_subarray
    theirs.to_hdf(tmp_path / "ctapipe.h5")
    ours = read_subarray_hdf5(tmp_path / "ctapipe.h5")
    np.testing.assert_array_equal(ours.tel_ids, sorted(theirs.tel_ids))
    np.testing.assert_array_equal(ours.positions_m, theirs.tel_coords.cartesian.xyz.to_value(u.m).T)
    reference = read_subarray(prod6_path)  # our own sim_telarray reader, for comparison
    np.testing.assert_allclose(ours.positions_m, reference.positions_m, atol=1e-4)
    for tel_id in ours.tel_ids:
        tel, their, ref = ours.telescope(tel_id), theirs.tel[tel_id], reference.telescope(tel_id)
        assert tel.name == str(their)
        assert tel.tel_type == their.optics.size_type.value
        assert tel.optics.size_type == ref.optics.size_type
        assert tel.optics.reflector_shape == ref.optics.reflector_shape  # mapped back from ctapipe's names
        assert tel.optics.mirror_area_m2 == their.optics.mirror_area.to_value(u.m**2)
        assert tel.optics.equivalent_focal_length_m == their.optics.equivalent_focal_length.to_value(u.m)
        assert tel.optics.effective_focal_length_m == their.optics.effective_focal_length.to_value(u.m)
        assert canonical_camera_name(tel.camera.name) == ref.camera.name
        np.testing.assert_array_equal(tel.camera.pix_x, their.camera.geometry.pix_x.to_value(u.m))
        np.testing.assert_array_equal(tel.camera.pix_y, their.camera.geometry.pix_y.to_value(u.m))
        np.testing.assert_array_equal(tel.readout.reference_pulse_shape, their.camera.readout.reference_pulse_shape)
        assert tel.readout.n_samples == their.camera.readout.n_samples
    # LST-1 differs from LST-2..4 (optics, reference pulse) although every name is shared
    lst1, lst2 = ours.telescope(1), ours.telescope(2)
    assert lst1.name == lst2.name and lst1 is not lst2
    assert lst1.optics.reflector_shape != lst2.optics.reflector_shape
    assert ours.telescope(2) is ours.telescope(3) is ours.telescope(4)
    assert [t.name for t in ours.telescope_types] == ["LST_LST_LSTcam", "LST_LST_LSTcam", "MST_MST_NectarCam"]
    # and our copy of ctapipe's subarray round-trips through both readers
    write_subarray(tmp_path / "ours.h5", ours)
    again = read_subarray_hdf5(tmp_path / "ours.h5")
    for a, b in zip(ours.telescopes, again.telescopes):
        assert same_description(a, b)  # every field, arrays included
    _assert_ctapipe_matches(ours, _ctapipe_from_hdf(tmp_path / "ours.h5", focal_length_choice="EQUIVALENT"),
                            "EQUIVALENT")
