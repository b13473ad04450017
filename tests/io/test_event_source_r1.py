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
