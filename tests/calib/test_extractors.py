"""Extractors on analytic pulses, parameter validation and batch shapes."""
import numpy as np
import pytest

from iactpipe.calib import extractors as E
from iactpipe.errors import ConfigurationError
from iactpipe.instrument import CameraGeometry, CameraReadout


def _gaussian(t, mu, sigma):
    return np.exp(-0.5 * ((t - mu) / sigma) ** 2)


@pytest.fixture(scope="module")
def camera():
    angles = np.deg2rad(np.arange(6) * 60.0)
    pix_x = np.concatenate([[0.0], 0.05 * np.cos(angles)])
    pix_y = np.concatenate([[0.0], 0.05 * np.sin(angles)])
    geometry = CameraGeometry("Toy", pix_x, pix_y, pix_area=0.002, pix_type="hexagon")
    ref_t = np.arange(0, 40, 0.125)
    shape = _gaussian(ref_t, 10.0, 1.5)
    readout = CameraReadout("Toy", 1.0, 40, 2, np.vstack([shape, shape]), 0.125)
    return readout, geometry


def _pulses(n_events, centre_ns, n_pixels=7, n_samples=40, amplitude=1.0):
    """Unit-area Gaussian pulses sampled at 1 GHz (sample k is the integral over [k, k+1) ns)."""
    fine = np.arange(0, n_samples, 0.125)
    pulse = _gaussian(fine + 0.0625, centre_ns, 1.5)
    pulse = pulse.reshape(n_samples, -1).sum(axis=1)
    pulse = amplitude * pulse / pulse.sum()
    return np.broadcast_to(pulse, (n_events, n_pixels, n_samples)).astype(np.float32).copy()


@pytest.mark.parametrize("name", ["FullWaveformSum", "FixedWindowSum", "GlobalPeakWindowSum",
                                  "LocalPeakWindowSum", "NeighborPeakWindowSum", "SlidingWindowMaxSum",
                                  "TwoPassWindowSum"])
def test_unit_pulse_gives_one_pe(camera, name):
    readout, geometry = camera
    params = {"peak_index": 20, "window_shift": 3} if name == "FixedWindowSum" else {}
    extractor = E.EXTRACTORS[name](readout, geometry, **params)
    waveforms = _pulses(3, 20.5, amplitude=50.0)
    charge, peak_time, valid = extractor(waveforms)
    assert charge.shape == peak_time.shape == (3, 7) and valid.shape == (3,)
    assert charge.dtype == np.float32 and peak_time.dtype == np.float32
    np.testing.assert_allclose(charge, 50.0, rtol=2e-2)
    np.testing.assert_allclose(peak_time, 20.0, atol=0.15)  # sample index of the centroid / 1 GHz


def test_integration_correction_matches_window_loss(camera):
    readout, _ = camera
    wide = E.integration_correction(readout.reference_pulse_shape, 0.125, 1.0, 40, 20)
    narrow = E.integration_correction(readout.reference_pulse_shape, 0.125, 1.0, 3, 1)
    np.testing.assert_allclose(wide, 1.0, atol=1e-6)
    assert np.all(narrow > 1.2)
    assert E.integration_correction(readout.reference_pulse_shape, 0.125, 1.0, 0, 0).tolist() == [1.0, 1.0]


def test_peak_time_is_sample_index_over_rate(camera):
    readout, geometry = camera
    slow = CameraReadout("Toy", 0.5, 40, 2, readout.reference_pulse_shape, 0.125)
    waveforms = np.zeros((1, 7, 40), np.float32)
    waveforms[..., 12] = 3.0
    _, t1, _ = E.LocalPeakWindowSum(readout, geometry)(waveforms)
    _, t2, _ = E.LocalPeakWindowSum(slow, geometry)(waveforms)
    np.testing.assert_allclose(t1, 12.0)
    np.testing.assert_allclose(t2, 24.0)


def test_neighbor_peak_uses_neighbours_and_skips_broken(camera):
    readout, geometry = camera
    waveforms = np.zeros((1, 7, 40), np.float32)
    waveforms[0, 1:, 30] = 5.0     # ring pixels peak at 30
    waveforms[0, 0, 5] = 100.0     # centre pixel's own peak at 5 is ignored (local_weight 0)
    charge, peak_time, _ = E.NeighborPeakWindowSum(readout, geometry, apply_integration_correction=False)(waveforms)
    assert charge[0, 0] == 0.0
    broken = np.zeros(7, bool)
    broken[1:] = True
    charge, _, _ = E.NeighborPeakWindowSum(readout, geometry, local_weight=1,
                                           apply_integration_correction=False)(waveforms, broken_pixels=broken)
    assert charge[0, 0] == 100.0


def test_gain_dependent_correction(camera):
    readout, geometry = camera
    shapes = np.vstack([readout.reference_pulse_shape[0], np.roll(readout.reference_pulse_shape[0], 0) ** 2])
    two = CameraReadout("Toy", 1.0, 40, 2, shapes, 0.125)
    extractor = E.LocalPeakWindowSum(two, geometry, window_width=3, window_shift=1)
    waveforms = _pulses(1, 20.5)
    gain = np.zeros((1, 7), np.int64)
    gain[0, 3:] = 1
    charge, _, _ = extractor(waveforms, gain)
    raw, _, _ = E.LocalPeakWindowSum(two, geometry, window_width=3, window_shift=1,
                                     apply_integration_correction=False)(waveforms)
    np.testing.assert_allclose(charge[0, :3], raw[0, :3] * extractor.correction[0], rtol=1e-6)
    np.testing.assert_allclose(charge[0, 3:], raw[0, 3:] * extractor.correction[1], rtol=1e-6)


def test_empty_batch_and_bad_shapes(camera):
    readout, geometry = camera
    charge, peak_time, valid = E.NeighborPeakWindowSum(readout, geometry)(np.zeros((0, 7, 40), np.float32))
    assert charge.shape == (0, 7) and valid.shape == (0,)
    with pytest.raises(ValueError, match="gain-selected"):
        E.LocalPeakWindowSum(readout, geometry)(np.zeros((1, 2, 7, 40), np.float32))


def test_unknown_parameter_and_name(camera):
    readout, geometry = camera
    with pytest.raises(ConfigurationError, match="window_widht"):
        E.LocalPeakWindowSum(readout, geometry, window_widht=5)
    with pytest.raises(ConfigurationError, match="unknown extractor"):
        E.extractor_defaults("Nope")
    assert E.extractor_defaults("NeighborPeakWindowSum") == {"window_width": 7, "window_shift": 3,
                                                             "apply_integration_correction": True,
                                                             "local_weight": 0}


def test_two_pass_flags_dim_images_invalid(camera):
    readout, geometry = camera
    waveforms = np.zeros((2, 7, 40), np.float32)
    waveforms[1] = _pulses(1, 20.5, amplitude=200.0)[0]
    _, _, valid = E.TwoPassWindowSum(readout, geometry, telescope_type="LST_LST_LSTCam")(waveforms)
    assert valid.tolist() == [False, True]
    assert E.default_core_threshold("MST_MST_NectarCam") == 8.0


def _random_neighbors(n_pixels, max_neighbors, rng):
    """CSR lists of 1..max_neighbors distinct other pixels per pixel (not symmetric: the
    kernels do not need it)."""
    counts = rng.integers(1, max_neighbors + 1, n_pixels)
    indices = [np.sort(rng.choice(np.delete(np.arange(n_pixels), p), c, replace=False))
               for p, c in enumerate(counts)]
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), np.concatenate(indices).astype(np.int64)


@pytest.mark.parametrize("neighbors", ["LSTCam", "CHEC", "random-8", "random-11"])
@pytest.mark.parametrize("local_weight", [0, 1, 3])
@pytest.mark.parametrize("n_samples", [30, 40, 60])
def test_fused_neighbor_kernel_equals_reference(neighbors, local_weight, n_samples):
    """The fused NeighborPeakWindowSum kernel (padded neighbour table, one pass per event)
    gives bit-identical charges and times to the reference peak search + window sum, for
    6 (hexagonal), 4 (square), up to 8 and more neighbours, with broken pixels and with
    ties (identical samples); 40 and 60 samples take the loops with literal trip counts."""
    from iactpipe.calib import _extractor_kernels as K
    from iactpipe.instrument.cameras import build_camera_geometry

    rng = np.random.default_rng(11)
    if neighbors.startswith("random"):
        n_pixels = 300
        indptr, indices = _random_neighbors(n_pixels, int(neighbors.split("-")[1]), rng)
    else:
        geometry = build_camera_geometry(neighbors)
        n_pixels = geometry.n_pixels
        indptr = np.asarray(geometry.neighbors.indptr, np.int64)
        indices = np.asarray(geometry.neighbors.indices, np.int64)
    n_events = 5
    waveforms = rng.normal(0, 1, (n_events, n_pixels, n_samples)).astype(np.float32)
    waveforms[1] = np.round(waveforms[1])  # many exact ties in the neighbour sums
    waveforms[2, :10] = 0.0
    broken = rng.random((n_events, n_pixels)) < 0.05
    broken[0] = False
    table = K.neighbor_table(indptr, indices)
    longest = int(np.diff(indptr).max())
    assert table.shape[1] == next((w for w in (4, 6, 8) if longest <= w), longest)
    charge = np.empty((n_events, n_pixels), np.float32)
    time = np.empty_like(charge)
    K.neighbor_peak_window_sum(waveforms, table, local_weight, broken, 7, 3, 1.0, charge, time)
    peaks = K.neighbor_peak_index(waveforms, indptr, indices, local_weight, broken)
    reference_charge = np.empty_like(charge)
    reference_time = np.empty_like(charge)
    K.window_sum(waveforms, peaks, 7, 3, 1.0, reference_charge, reference_time)
    np.testing.assert_array_equal(charge, reference_charge)
    np.testing.assert_array_equal(time, reference_time)


def _r0_batch(rng, n_events, n_channels, n_pixels, n_samples, dtype=np.uint16):
    """R0 waveforms with pulses (some saturating the high gain) and per-event coefficients."""
    waveforms = rng.poisson(300, (n_events, n_channels, n_pixels, n_samples)).astype(dtype)
    hot = rng.random((n_events, n_pixels)) < 0.1
    waveforms[:, 0, :, 12:16][hot] = 4095  # high gain above the 4000 ADC threshold
    pedestal = rng.normal(300, 2, (n_events, n_channels, n_pixels)).astype(np.float32)
    dc_to_pe = rng.uniform(0.01, 0.05, (n_events, n_channels, n_pixels)).astype(np.float32)
    return waveforms, pedestal, dc_to_pe


@pytest.mark.parametrize("camera_name", ["LSTCam", "NectarCam", "CHEC"])
@pytest.mark.parametrize("n_channels", [1, 2])
def test_from_r0_equals_r1_then_extraction(camera_name, n_channels):
    """``NeighborPeakWindowSum.from_r0`` (R0 -> R1 and extraction per event) gives exactly
    ``r0_to_r1`` followed by the extractor, as `process_batch` did it: saturated high
    gains, broken pixels, non-finite coefficients (pixels zeroed and left out of the
    neighbour sums), float input with NaN samples, and a batch that is a field of a
    structured array (each event contiguous, the batch not)."""
    from iactpipe.calib.r1 import r0_to_r1
    from iactpipe.instrument.cameras import build_camera_geometry

    rng = np.random.default_rng(5)
    geometry = build_camera_geometry(camera_name)
    n_pixels = geometry.n_pixels
    n_samples = {"LSTCam": 40, "NectarCam": 60, "CHEC": 25}[camera_name]
    shape = _gaussian(np.arange(0, 40, 0.125), 10.0, 1.5)
    readout = CameraReadout(camera_name, 1.0, n_samples, n_channels, np.vstack([shape] * n_channels), 0.125)
    extractor = E.NeighborPeakWindowSum(readout, geometry)
    waveforms, pedestal, dc_to_pe = _r0_batch(rng, 4, n_channels, n_pixels, n_samples)
    broken = rng.random((4, n_pixels)) < 0.03
    dc_to_pe[1, :, 5] = np.nan  # non-finite coefficient: pixel invalid
    floats = waveforms.astype(np.float32)
    floats[2, :, 7, 3] = np.nan  # non-finite sample: pixel invalid
    record = np.dtype([("event_id", "<i8"), ("tel_id", "<i2"), ("waveform", "<u2", waveforms.shape[1:])])
    rows = np.zeros(len(waveforms), record)
    rows["waveform"] = waveforms
    field = rows["waveform"]
    assert not field.flags.c_contiguous and field[0].flags.c_contiguous
    for r0 in (waveforms, floats, field):
        r1, gain, finite = r0_to_r1(r0, pedestal, dc_to_pe, return_finite=True)
        r1 = np.where(finite[..., np.newaxis], r1[:, 0], np.float32(0.0))
        invalid = broken | ~finite
        expected = extractor(r1, gain, invalid)
        charge, peak_time, valid, selected, fused_invalid = extractor.from_r0(r0, pedestal, dc_to_pe, 4000.0,
                                                                             broken)
        np.testing.assert_array_equal(selected, gain)
        np.testing.assert_array_equal(fused_invalid, invalid)
        np.testing.assert_array_equal(charge, expected[0])
        np.testing.assert_array_equal(peak_time, expected[1])
        np.testing.assert_array_equal(valid, expected[2])
    assert (n_channels == 1) or np.any(selected == 1)
