"""Tests of `iactpipe.io.simtel.read_subarray` on the shared real sim_telarray files.

The instrument read by our reader is cross-checked against ctapipe 0.28's
``EventSource(path, focal_length_choice="EQUIVALENT").subarray`` (ctapipe is only a
reference here): telescope ids and positions, pixel positions, areas, shapes and
rotations, neighbour lists, readout and optics. Bad inputs must raise `InputFileError`.
"""
import gzip
import logging
import warnings

import numpy as np
import pytest

from iactpipe.errors import InputFileError
from iactpipe.instrument.camera import PixelShape
from iactpipe.io.simtel import canonical_camera_name, read_subarray

CROSS_CHECK_FILES = [
    "calib_events.simtel.gz",
    "gamma_prod6_tel_event_header_v4.simtel.zst",
    "n_hv_disabled.simtel.gz",
    "gamma_with_obslevel_particles.simtel.zst",
]
ALL_FILES = CROSS_CHECK_FILES + ["lst_with_photons.simtel.zst", "lst_muons_with_true_photons.simtel.zst"]


def _neighbor_lists(neighbors):
    """Our CSR neighbours as a list of sorted lists."""
    return [neighbors.indices[start:stop].tolist()
            for start, stop in zip(neighbors.indptr[:-1], neighbors.indptr[1:])]


def _ctapipe_neighbor_lists(geometry):
    """ctapipe's ``geometry.neighbors`` without building the dense n x n matrix (SCTCam)."""
    matrix = geometry.neighbor_matrix_sparse.tocsr()
    matrix.sort_indices()
    return [matrix.indices[start:stop].tolist() for start, stop in zip(matrix.indptr[:-1], matrix.indptr[1:])]


@pytest.fixture(scope="module", params=CROSS_CHECK_FILES)
def subarrays(request, simtel_dir):
    """(ours, ctapipe's) subarray of one shared file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ctapipe.io import EventSource

        path = simtel_dir / request.param
        with EventSource(path, focal_length_choice="EQUIVALENT") as source:
            reference = source.subarray
    return read_subarray(path), reference


def test_tel_ids_and_positions(subarrays):
    ours, reference = subarrays
    np.testing.assert_array_equal(ours.tel_ids, sorted(reference.tel))
    for tel_id in ours.tel_ids:
        np.testing.assert_allclose(ours.position(tel_id), reference.positions[tel_id].to_value("m"), atol=1e-6)
    assert ours.name == reference.name


def test_camera_geometries(subarrays):
    ours, reference = subarrays
    for tel_id in ours.tel_ids:
        geometry = ours.telescope(tel_id).camera
        expected = reference.tel[tel_id].camera.geometry
        np.testing.assert_allclose(geometry.pix_x, expected.pix_x.to_value("m"), rtol=0, atol=1e-9)
        np.testing.assert_allclose(geometry.pix_y, expected.pix_y.to_value("m"), rtol=0, atol=1e-9)
        np.testing.assert_allclose(geometry.pix_area, expected.pix_area.to_value("m2"), rtol=1e-12)
        assert geometry.pix_type.value == expected.pix_type.value
        assert geometry.cam_rotation_deg == expected.cam_rotation.deg == 0.0
        symmetry = 60.0 if geometry.pix_type is PixelShape.HEXAGON else 90.0
        difference = (geometry.pix_rotation_deg - expected.pix_rotation.deg) % symmetry
        assert min(difference, symmetry - difference) < 1e-9
        np.testing.assert_array_equal(geometry.pix_id, expected.pix_id)


def test_neighbors_equal_ctapipe(subarrays):
    ours, reference = subarrays
    checked = set()
    for tel_id in ours.tel_ids:
        geometry = ours.telescope(tel_id).camera
        if id(geometry) in checked:
            continue
        checked.add(id(geometry))
        assert _neighbor_lists(geometry.neighbors) == _ctapipe_neighbor_lists(
            reference.tel[tel_id].camera.geometry), geometry.name


def test_readout(subarrays):
    ours, reference = subarrays
    for tel_id in ours.tel_ids:
        readout = ours.telescope(tel_id).readout
        expected = reference.tel[tel_id].camera.readout
        assert readout.sampling_rate_ghz == pytest.approx(expected.sampling_rate.to_value("GHz"), rel=1e-12)
        assert readout.n_samples == expected.n_samples
        assert readout.n_channels == expected.n_channels
        np.testing.assert_array_equal(readout.reference_pulse_shape, expected.reference_pulse_shape)
        assert readout.reference_pulse_sample_width_ns == pytest.approx(
            expected.reference_pulse_sample_width.to_value("ns"), rel=1e-12)


def test_optics_and_names(subarrays):
    ours, reference = subarrays
    for tel_id in ours.tel_ids:
        tel = ours.telescope(tel_id)
        expected = reference.tel[tel_id]
        optics = expected.optics
        assert tel.optics.mirror_area_m2 == pytest.approx(optics.mirror_area.to_value("m2"), rel=1e-12)
        assert tel.optics.equivalent_focal_length_m == pytest.approx(
            optics.equivalent_focal_length.to_value("m"), rel=1e-12)
        np.testing.assert_equal(tel.optics.effective_focal_length_m, optics.effective_focal_length.to_value("m"))
        assert tel.optics.n_mirror_tiles == optics.n_mirror_tiles
        assert tel.optics.size_type == optics.size_type.value
        assert tel.optics.name == optics.name
        # ctapipe keeps the metadata spelling ("LSTcam"); we use the canonical one
        assert tel.camera.name == canonical_camera_name(expected.camera.name)
        assert tel.name.lower() == str(expected).lower()
        shape = optics.reflector_shape.name.lower().replace("_", "-")
        if shape != "single-solid-parabolic":
            assert tel.optics.reflector_shape == shape


def test_reference_location(subarrays):
    ours, reference = subarrays
    location = reference.reference_location.geodetic
    assert ours.reference_location.height_m == pytest.approx(location.height.to_value("m"))
    if location.lon.deg == 0.0 and location.lat.deg == 0.0:  # ctapipe's dummy "Null Island"
        assert np.isnan(ours.reference_location.lon_deg) and np.isnan(ours.reference_location.lat_deg)
    else:
        assert ours.reference_location.lon_deg == pytest.approx(location.lon.deg, abs=1e-9)
        assert ours.reference_location.lat_deg == pytest.approx(location.lat.deg, abs=1e-9)


@pytest.mark.parametrize("filename", ALL_FILES)
def test_all_shared_files_load(filename, simtel_dir):
    subarray = read_subarray(simtel_dir / filename)
    assert subarray.n_tels >= 1
    for tel in subarray.telescopes:
        assert tel.camera.n_pixels > 0 and tel.camera.cam_rotation_deg == 0.0
        assert tel.readout.reference_pulse_shape.shape[0] == tel.readout.n_channels
        assert tel.tel_type in ("LST", "MST", "SST", "SCT")


def test_calib_events_names_and_types(calib_events_path):
    subarray = read_subarray(calib_events_path)
    found = {int(t): (tel.name, tel.tel_type, tel.camera.name) for t, tel in zip(subarray.tel_ids, subarray.telescopes)}
    assert found == {
        1: ("LST_LST_LSTCam", "LST", "LSTCam"),
        2: ("MST_MST_NectarCam", "MST", "NectarCam"),
        3: ("MST_MST_FlashCam", "MST", "FlashCam"),
        4: ("SST_ASTRI_ASTRICam", "SST", "ASTRICam"),
        5: ("SST_GCT_CHEC", "SST", "CHEC"),
        6: ("SST_1M_DigiCam", "SST", "DigiCam"),
        7: ("MST_SCT_SCTCam", "SCT", "SCTCam"),
    }
    sct = subarray.telescope(7).optics
    assert (sct.n_mirrors, sct.reflector_shape) == (2, "schwarzschild-couder")
    assert np.isnan(subarray.reference_location.lat_deg)
    assert subarray.reference_location.height_m == 2150.0


def test_derotation_puts_neighbours_along_pixel_rotation(calib_events_path):
    """Hexagon neighbours lie along pix_rotation + k 60° (LSTCam: raw cam_rot 100.893°)."""
    subarray = read_subarray(calib_events_path)
    for tel in subarray.telescopes:
        geometry = tel.camera
        if geometry.pix_type is not PixelShape.HEXAGON:
            continue
        neighbors = geometry.neighbors
        i = int(np.argmax(np.diff(neighbors.indptr) == 6))
        j = neighbors.indices[neighbors.indptr[i]:neighbors.indptr[i + 1]]
        angles = np.rad2deg(np.arctan2(geometry.pix_y[j] - geometry.pix_y[i], geometry.pix_x[j] - geometry.pix_x[i]))
        offset = (angles - geometry.pix_rotation_deg) % 60.0
        assert np.all(np.minimum(offset, 60.0 - offset) < 1e-2), geometry.name  # float32 positions
    assert subarray.telescope(1).camera.pix_rotation_deg == pytest.approx(100.893, abs=1e-6)


def test_prod6_shares_identical_descriptions(prod6_path):
    subarray = read_subarray(prod6_path)
    assert subarray.n_tels == 43
    lsts = [subarray.telescope(t) for t in (1, 2, 3, 4)]
    msts = [subarray.telescope(t) for t in range(5, 44)]
    # LST-1 has its own pulse shape and reflector; LST-2..4 are one type
    assert lsts[1] is lsts[2] is lsts[3] and lsts[0] is not lsts[1]
    assert all(tel.camera is lsts[0].camera for tel in lsts)
    assert lsts[0].optics.reflector_shape == "hybrid" and lsts[1].optics.reflector_shape == "parabolic"
    assert all(tel is msts[0] for tel in msts)
    assert len({id(tel) for tel in subarray.telescopes}) == 3
    assert lsts[0].camera.name == "LSTCam"  # metadata says "LSTcam"
    assert lsts[0].camera.pix_rotation_deg == pytest.approx(40.893, abs=1e-6)
    location = subarray.reference_location
    assert (location.lon_deg, location.lat_deg, location.height_m) == pytest.approx((-17.8920302, 28.7621661, 2156.0))


def _records_of(logger_name, function, *args, **kwargs):
    """Call ``function``; return its result and the records logged on ``logger_name`` (INFO+).

    A handler on the logger itself, so the result does not depend on propagation
    settings other code (the CLI) may have left behind.
    """
    records = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append
    logger = logging.getLogger(logger_name)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        result = function(*args, **kwargs)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return result, records


def test_focal_length_choice(prod6_path, calib_events_path):
    effective = read_subarray(prod6_path)
    equivalent = read_subarray(prod6_path, focal_length_choice="equivalent")
    assert effective.telescope(1).focal_length_m == pytest.approx(29.237, abs=1e-4)
    assert effective.telescope(5).focal_length_m == pytest.approx(16.445, abs=1e-3)
    assert equivalent.telescope(1).focal_length_m == 28.0
    assert equivalent.telescope(1).optics.effective_focal_length_m == pytest.approx(29.237, abs=1e-4)

    calib, records = _records_of("iactpipe.io.simtel", read_subarray, calib_events_path,
                                 focal_length_choice="EFFECTIVE")
    assert len(records) == 1 and records[0].levelno == logging.INFO
    assert "equivalent focal length" in records[0].getMessage()
    assert calib.telescope(1).focal_length_m == 28.0
    assert np.isnan(calib.telescope(1).optics.effective_focal_length_m)

    with pytest.raises(ValueError, match="focal_length_choice"):
        read_subarray(calib_events_path, focal_length_choice="nominal")


def test_unknown_camera(simtel_dir):
    subarray = read_subarray(simtel_dir / "n_hv_disabled.simtel.gz")
    tel = subarray.telescope(1)
    assert tel.camera.name == "UNKNOWN-7987PX"
    assert tel.optics.name == "UNKNOWN-387M2"
    assert tel.tel_type == "LST"
    assert tel.readout.n_channels == 1
    assert tel.optics.effective_focal_length_m == pytest.approx(29.3057, abs=1e-4)


def test_canonical_camera_name():
    assert canonical_camera_name("LSTcam") == "LSTCam"
    assert canonical_camera_name("nectarcam") == "NectarCam"
    assert canonical_camera_name("HESS-1U") == "HESS-1U"


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def calib_raw(calib_events_path):
    """Decompressed bytes of calib_events and the (type, start, stop) byte range of its objects."""
    from eventio import EventIOFile

    raw = gzip.open(calib_events_path).read()
    ranges, start = [], 0
    with EventIOFile(str(calib_events_path), zcat=False) as simtel:
        for obj in simtel:
            ranges.append((obj.header.type, start, start + obj.header.total_size))
            start += obj.header.total_size
            if obj.header.type == 2021:  # first MC event: the header is over
                break
    return raw, ranges


def _expect_error(path, *fragments):
    with pytest.raises(InputFileError) as info:
        read_subarray(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_missing_file(tmp_path):
    _expect_error(tmp_path / "nope.simtel.zst", "does not exist")


def test_directory(tmp_path):
    _expect_error(tmp_path, "is a directory")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.simtel.gz"
    path.write_bytes(b"")
    _expect_error(path, "empty")


def test_text_file(tmp_path):
    path = tmp_path / "notes.simtel"
    path.write_text("this is not a sim_telarray file\n" * 20)
    _expect_error(path, "not an EventIO")


def test_gzipped_text_file(tmp_path):
    path = tmp_path / "notes.simtel.gz"
    path.write_bytes(gzip.compress(b"hello world\n" * 100))
    _expect_error(path, "not an EventIO", "gzip")


def test_truncated_gzip_copy(tmp_path, calib_events_path):
    path = tmp_path / "cut.simtel.gz"
    path.write_bytes(calib_events_path.read_bytes()[:3000])
    _expect_error(path, "truncated")


def test_truncated_zstd_copy(tmp_path, prod6_path):
    data = prod6_path.read_bytes()
    for n_bytes, fragment in ((5000, "zstd stream ends"), (50_000, "truncated")):
        path = tmp_path / f"cut{n_bytes}.simtel.zst"
        path.write_bytes(data[:n_bytes])
        _expect_error(path, fragment)


def test_truncated_inside_a_camera_object(tmp_path, calib_raw):
    raw, ranges = calib_raw
    kind, start, stop = [r for r in ranges if r[0] == 2002][2]  # third CameraSettings
    path = tmp_path / "cut_inside.simtel"
    path.write_bytes(raw[:start + (stop - start) // 2])
    _expect_error(path, "truncated", "type 2002")


def test_truncated_between_telescopes(tmp_path, calib_raw):
    raw, ranges = calib_raw
    start = [r for r in ranges if r[0] == 2002][2][1]
    path = tmp_path / "cut_between.simtel"
    path.write_bytes(raw[:start])
    _expect_error(path, "2 of 7 telescopes", "truncated")


def test_no_run_header(tmp_path, calib_raw):
    raw, ranges = calib_raw
    path = tmp_path / "history_only.simtel"
    path.write_bytes(raw[:ranges[0][2]])
    _expect_error(path, "no sim_telarray run header")


def test_truncated_in_the_events_still_gives_the_instrument(tmp_path, calib_raw):
    """Only the header is read: a file cut after it still describes the instrument."""
    raw, ranges = calib_raw
    last_pixel_settings = [r for r in ranges if r[0] == 2004][-1]
    path = tmp_path / "cut_in_events.simtel"
    path.write_bytes(raw[:last_pixel_settings[2] + 1000])
    assert read_subarray(path).n_tels == 7
