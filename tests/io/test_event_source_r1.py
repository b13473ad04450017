"""R0 -> R1 calibration (iactpipe.calib.r1) on synthetic waveforms."""
import numpy as np

from iactpipe.calib.r1 import r0_to_r1, select_gain


def test_gain_selection_and_calibration():
    rng = np.random.default_rng(1)
    wf = rng.integers(300, 500, size=(2, 5, 10)).astype(np.uint16)
    wf[0, 2, 4] = 4095  # saturating high gain -> low gain
    ped = np.full((2, 5), 400.0, np.float32)
    gain = np.stack([np.full(5, 0.1, np.float32), np.full(5, 2.0, np.float32)])
    r1, selected = r0_to_r1(wf, ped, gain)
    np.testing.assert_array_equal(selected, [0, 0, 1, 0, 0])
    assert r1.shape == (1, 5, 10) and r1.dtype == np.float32
    np.testing.assert_allclose(r1[0, 0], (wf[0, 0] - 400.0) * 0.1, rtol=1e-6)
    np.testing.assert_allclose(r1[0, 2], (wf[1, 2] - 400.0) * 2.0, rtol=1e-6)
    all_gains, sel = r0_to_r1(wf, ped, gain, gain_selection=False)
    assert all_gains.shape == (2, 5, 10) and np.all(sel == -1)


def test_batch_shapes_and_single_gain():
    wf = np.full((3, 1, 4, 6), 410, np.uint16)
    r1, selected = r0_to_r1(wf, np.full((1, 4), 400.0), np.full((1, 4), 0.5))
    assert r1.shape == (3, 1, 4, 6) and np.all(r1 == 5.0) and selected.shape == (3, 4)
    wf2 = np.full((3, 2, 4, 6), 410, np.uint16)
    wf2[1, 0, 3, 0] = 5000
    sel = select_gain(wf2)
    assert sel.shape == (3, 4) and sel.sum() == 1 and sel[1, 3] == 1
    r1, _ = r0_to_r1(wf2, np.full((2, 4), 400.0), np.full((2, 4), 0.5))
    assert r1.shape == (3, 1, 4, 6)


def test_finite_flag_matches_isfinite():
    """``return_finite`` (same pass as the calibration) agrees with np.isfinite of the output."""
    rng = np.random.default_rng(3)
    wf = rng.integers(300, 500, size=(4, 2, 6, 8)).astype(np.uint16)
    ped = np.full((4, 2, 6), 400.0, np.float32)
    gain = np.full((4, 2, 6), 0.1, np.float32)
    ped[1, 0, 2] = np.nan
    gain[2, 0, 5] = np.inf
    gain[3, 0, 1] = 1e38  # (r0 - ped) * gain overflows float32
    r1, selected, finite = r0_to_r1(wf, ped, gain, return_finite=True)
    np.testing.assert_array_equal(finite, np.isfinite(r1[:, 0]).all(axis=-1))
    assert not finite[1, 2] and not finite[2, 5] and not finite[3, 1] and finite.sum() == 4 * 6 - 3
    reference, reference_selected = r0_to_r1(wf, ped, gain)
    np.testing.assert_array_equal(reference_selected, selected)
    np.testing.assert_array_equal(np.isnan(reference), np.isnan(r1))
    # float input is checked sample by sample
    wf_float = wf.astype(np.float32)
    wf_float[0, 0, 3, 4] = np.nan
    _, _, finite_float = r0_to_r1(wf_float, np.full((2, 6), 400.0), np.full((2, 6), 0.1), return_finite=True)
    assert not finite_float[0, 3] and finite_float.sum() == 4 * 6 - 1
