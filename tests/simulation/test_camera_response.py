"""Tests of the camera response: pixel lookup, calibration, waveform synthesis, truth."""
import dataclasses

import numpy as np
import pytest
from scipy.spatial import cKDTree

from iactpipe.errors import ConfigurationError
from iactpipe.instrument.camera import PixelShape
from iactpipe.instrument.catalog import build_telescope, telescope_names
from iactpipe.simulation import _camera_kernels
from iactpipe.simulation.camera_response import (
    PIXEL_STATUS_BROKEN,
    PIXEL_STATUS_HG,
    PIXEL_STATUS_LG,
    build_camera_model,
    draw_calibration,
    lookup_pixels,
    simulate_camera_event,
    tabulate_pulse,
)
from iactpipe.simulation.electronics import default_electronics


@pytest.fixture(scope="module")
def models():
    return {name: build_camera_model(build_telescope(name)) for name in telescope_names()}


@pytest.fixture(scope="module")
def lst():
    return build_camera_model(build_telescope("LST_LST_LSTCam"))


def _model(name, **overrides):
    tel = build_telescope(name)
    return build_camera_model(tel, default_electronics(tel.camera.name, overrides))


def _quiet_lst(psf=False, **overrides):
    """LSTCam without NSB, jitter and (optionally) PSF: a clean bench for the synthesis."""
    settings = dict(nsb_rate_ghz=0.0, transit_time_jitter_ns=0.0)
    settings.update(overrides)
    model = _model("LST_LST_LSTCam", **settings)
    return model if psf else dataclasses.replace(model, psf_sigma_deg=0.0)


def _central_pixel(model):
    return int(np.argmin(np.hypot(model.pix_x, model.pix_y)))


def _pixel_direction(model, pixel):
    """Telescope-frame direction of a pixel centre, deg (inverse of telescope_to_camera)."""
    f = model.focal_length_m
    return np.rad2deg(model.pix_y[pixel] / f), np.rad2deg(model.pix_x[pixel] / f)


def _charge(event, calibration, channel, pixel):
    wf = event.waveform[channel, pixel].astype(np.float64)
    ped = calibration.pedestal_per_sample[channel, pixel]
    return (wf.sum() - len(wf) * ped) * calibration.dc_to_pe[channel, pixel]


# ------------------------------------------------------------------------------------------
# pixel lookup
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", telescope_names())
def test_pixel_centres_map_to_their_own_pixel(models, name):
    model = models[name]
    assert np.array_equal(lookup_pixels(model, model.pix_x, model.pix_y), np.arange(model.n_pixels))


@pytest.mark.parametrize("name", telescope_names())
def test_lookup_fast_path_of_inside_cells_changes_nothing(models, name):
    # cells flagged as lying inside one pixel skip the nearest-centre search; the result
    # must be the full search's, also on cell corners and edges
    model = models[name]
    assert 0.3 < model.grid_inside[model.grid_table >= 0].mean() < 0.9
    rng = np.random.default_rng(11)
    radius = 1.05 * np.hypot(model.pix_x, model.pix_y).max()
    x = rng.uniform(-radius, radius, 300_000)
    y = rng.uniform(-radius, radius, 300_000)
    ny, nx = model.grid_table.shape
    corner_x = model.grid_origin_m[0] + model.grid_cell_m * rng.integers(0, nx + 1, 50_000)
    corner_y = model.grid_origin_m[1] + model.grid_cell_m * rng.integers(0, ny + 1, 50_000)
    x = np.concatenate([x, corner_x, corner_x, rng.uniform(-radius, radius, 50_000)])
    y = np.concatenate([y, corner_y, rng.uniform(-radius, radius, 50_000), corner_y])
    args = (model.grid_origin_m[0], model.grid_origin_m[1], model.grid_cell_m, model.grid_table)
    rest = (model.pix_x, model.pix_y, model.neighbor_indptr, model.neighbor_indices, model.pix_half_width,
            model.pix_normals)
    fast = _camera_kernels.lookup_pixels(x, y, *args, model.grid_inside, *rest)
    full = _camera_kernels.lookup_pixels(x, y, *args, np.zeros_like(model.grid_inside), *rest)
    assert np.array_equal(fast, full)


@pytest.mark.parametrize("name", telescope_names())
def test_points_far_outside_give_minus_one(models, name):
    model = models[name]
    radius = np.hypot(model.pix_x, model.pix_y).max()
    angle = np.linspace(0, 2 * np.pi, 50)
    for factor in (1.2, 3.0, 1e3):
        assert np.all(lookup_pixels(model, factor * radius * np.cos(angle), factor * radius * np.sin(angle)) == -1)
    assert np.all(lookup_pixels(model, [np.nan, np.inf, 0.0], [0.0, 0.0, -np.inf]) == -1)


def test_chec_module_gap_gives_minus_one(models):
    model = models["SST_SST_CHEC"]
    pairs = cKDTree(np.column_stack([model.pix_x, model.pix_y])).query_pairs(12e-3, output_type="ndarray")
    d = np.hypot(model.pix_x[pairs[:, 0]] - model.pix_x[pairs[:, 1]],
                 model.pix_y[pairs[:, 0]] - model.pix_y[pairs[:, 1]])
    across_gap = pairs[(d > 10e-3) & (d < 12e-3)]  # centre spacing 11.40 mm across a module boundary
    assert len(across_gap) > 100
    mid_x = 0.5 * (model.pix_x[across_gap[:, 0]] + model.pix_x[across_gap[:, 1]])
    mid_y = 0.5 * (model.pix_y[across_gap[:, 0]] + model.pix_y[across_gap[:, 1]])
    assert np.all(lookup_pixels(model, mid_x, mid_y) == -1)


def test_lstcam_gap_between_pixels_gives_minus_one(models):
    # 49 mm pixels on a 50 mm pitch: the midpoint of two neighbours lies in the 1 mm gap
    model = models["LST_LST_LSTCam"]
    rows = np.repeat(np.arange(model.n_pixels), np.diff(model.neighbor_indptr))
    cols = model.neighbor_indices
    mid_x = 0.5 * (model.pix_x[rows] + model.pix_x[cols])
    mid_y = 0.5 * (model.pix_y[rows] + model.pix_y[cols])
    assert np.all(lookup_pixels(model, mid_x, mid_y) == -1)


@pytest.mark.parametrize("name", ["LST_LST_LSTCam", "MST_MST_FlashCam", "SST_SST-1M_DigiCam"])
def test_hexagon_orientation(models, name):
    # towards a neighbour the pixel ends at its flat side (d/2), 30 deg away at a vertex
    # (d/sqrt(3)): a wrongly turned hexagon would swap the two answers
    model = models[name]
    p = _central_pixel(model)
    nb = model.neighbor_indices[model.neighbor_indptr[p]]
    direction = np.arctan2(model.pix_y[nb] - model.pix_y[p], model.pix_x[nb] - model.pix_x[p])
    d = 2 * model.pix_half_width[p]
    flat = [model.pix_x[p] + 0.51 * d * np.cos(direction)], [model.pix_y[p] + 0.51 * d * np.sin(direction)]
    vertex_dir = direction + np.deg2rad(30.0)
    vertex = [model.pix_x[p] + 0.55 * d * np.cos(vertex_dir)], [model.pix_y[p] + 0.55 * d * np.sin(vertex_dir)]
    assert lookup_pixels(model, *flat)[0] == -1
    assert lookup_pixels(model, *vertex)[0] == p


def _polygon_lookup(model, geometry, x, y):
    """Independent NumPy/matplotlib twin of the lookup: nearest centre + polygon test."""
    from matplotlib.path import Path

    _, nearest = cKDTree(np.column_stack([model.pix_x, model.pix_y])).query(np.column_stack([x, y]))
    rot = np.deg2rad(geometry.pix_rotation_deg)
    if geometry.pix_type is PixelShape.HEXAGON:
        radius = 2 * model.pix_half_width / np.sqrt(3)
        angles = np.pi / 2 + rot + np.deg2rad(60.0) * np.arange(6)  # pointy-top at rotation 0
    else:
        radius = np.sqrt(2) * model.pix_half_width
        angles = np.pi / 4 + rot + np.deg2rad(90.0) * np.arange(4)
    out = np.full(len(x), -1)
    for i, (xi, yi, p) in enumerate(zip(x, y, nearest)):
        vertices = np.column_stack([model.pix_x[p] + radius[p] * np.cos(angles),
                                    model.pix_y[p] + radius[p] * np.sin(angles)])
        if Path(vertices).contains_point((xi, yi)):
            out[i] = p
    return out


@pytest.mark.parametrize("name", telescope_names())
def test_lookup_agrees_with_polygon_twin(models, name):
    model = models[name]
    geometry = build_telescope(name).camera
    rng = np.random.default_rng(11)
    radius = np.hypot(model.pix_x, model.pix_y).max() * 1.05
    x, y = rng.uniform(-radius, radius, (2, 3000))
    assert np.array_equal(lookup_pixels(model, x, y), _polygon_lookup(model, geometry, x, y))


def test_lookup_keeps_shape(lst):
    x = np.zeros((3, 4))
    assert lookup_pixels(lst, x, x).shape == (3, 4)


# ------------------------------------------------------------------------------------------
# pulses and calibration
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bin_ns", [0.25, 1.0, 4.0])
def test_tabulated_pulse_integral(bin_ns):
    step = 0.1
    t = np.arange(0, 40, step)
    pulse = np.exp(-0.5 * ((t - 10.0) / 1.5) ** 2)
    table, first, total = tabulate_pulse(pulse, step, bin_ns)
    assert first < 0
    assert total == pytest.approx(1.5 * np.sqrt(2 * np.pi) / bin_ns, rel=2e-3)
    # every phase row holds (nearly) the same area: the sum over samples does not depend on timing
    assert np.ptp(table.sum(axis=1)) / total < 0.02 if bin_ns <= 1 else True
    assert table.max() <= 1.0 and table.max() > 0.9


def test_calibration_fields_and_conventions(lst):
    rng = np.random.default_rng(3)
    model = _model("LST_LST_LSTCam", broken_pixel_fraction=0.1)
    cal = draw_calibration(model, None, rng)
    n = model.n_pixels
    assert cal.pedestal_per_sample.shape == cal.dc_to_pe.shape == cal.noise_adc.shape == (2, n)
    assert cal.pixel_status.dtype == np.uint8
    assert np.all(cal.pixel_status & PIXEL_STATUS_HG) and np.all(cal.pixel_status & PIXEL_STATUS_LG)
    assert 0.07 < cal.broken.mean() < 0.13
    assert np.array_equal(cal.broken, (cal.pixel_status & PIXEL_STATUS_BROKEN) != 0)
    assert np.allclose(cal.dc_to_pe, 1.0 / (cal.relative_gain[None] * cal.pulse_integral_adc[:, None]))
    assert np.std(cal.relative_gain) == pytest.approx(0.0187, rel=0.15)
    assert np.std(cal.relative_efficiency) == pytest.approx(0.03, rel=0.15)
    assert np.mean(cal.pedestal_per_sample) == pytest.approx(400, abs=0.5)
    # single-gain camera: only the HG bit
    flash = build_camera_model(build_telescope("MST_MST_FlashCam"))
    cal1 = draw_calibration(flash, None, rng)
    assert np.all(cal1.pixel_status == PIXEL_STATUS_HG)


def test_calibration_refuses_other_electronics(lst):
    with pytest.raises(ConfigurationError, match="electronics"):
        draw_calibration(lst, default_electronics("LSTCam", {"nsb_rate_ghz": 0.1}), np.random.default_rng(1))
    assert draw_calibration(lst, default_electronics("LSTCam"), np.random.default_rng(1)).n_pixels == lst.n_pixels


def test_single_pe_amplitudes_have_unit_mean_and_stated_resolution():
    el = default_electronics("LSTCam")
    state = _camera_kernels.new_state(np.random.default_rng(4))
    _, _, amp = _camera_kernels.draw_nsb(np.full(10, 1.0), 0.0, 20000.0, el.spe_sigma_rel, el.spe_exp_fraction,
                                         el.spe_exp_scale, 1.0 / el.single_pe_mean, state)
    assert len(amp) > 150_000
    assert amp.mean() == pytest.approx(1.0, abs=0.005)
    assert np.mean(amp ** 2) == pytest.approx(el.excess_noise_factor, rel=0.01)
    assert np.all(amp >= 0)
    # shape of the mixture: the exponential component (fraction f, scale s, in units of
    # the mean m) is alone below the Gaussian (sigma 0.3, centred on 1/m)
    from scipy import stats

    m = el.single_pe_mean
    low = 0.05 / m
    expected = (el.spe_exp_fraction * -np.expm1(-0.05 / el.spe_exp_scale)
                + (1 - el.spe_exp_fraction) * stats.norm.cdf((0.05 - 1) / el.spe_sigma_rel))
    assert np.mean(amp < low) == pytest.approx(expected, rel=0.05)


def test_kernel_random_numbers():
    from scipy import stats

    state = _camera_kernels.new_state(np.random.default_rng(17))
    u = _camera_kernels.uniform_array(state, 400_000)
    assert u.min() >= 0 and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    z = _camera_kernels.normal_array(state, 2_000_000)
    assert abs(z.mean()) < 0.003 and abs(z.std() - 1) < 0.002
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # the quantile cells and the exact tails beyond |z| = 4.17 are both right
    for cut in (2.0, 3.0, 4.0, 4.17, 4.5):
        expected = 2 * stats.norm.sf(cut) * len(z)
        assert abs(np.count_nonzero(np.abs(z) > cut) - expected) < 5 * np.sqrt(expected)
    for mu in (0.3, 4.0, 9.9, 10.0, 37.5, 800.0):
        k = _camera_kernels.poisson_array(state, mu, 200_000)
        assert k.mean() == pytest.approx(mu, abs=5 * np.sqrt(mu / len(k)))
        assert k.var() == pytest.approx(mu, rel=0.03)
    assert np.all(_camera_kernels.poisson_array(state, 0.0, 10) == 0)
    # reproducible from the numpy generator's seed, and advancing it
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    a = _camera_kernels.normal_array(_camera_kernels.new_state(rng_a), 10)
    assert np.array_equal(a, _camera_kernels.normal_array(_camera_kernels.new_state(rng_b), 10))
    assert not np.array_equal(a, _camera_kernels.normal_array(_camera_kernels.new_state(rng_a), 10))


@pytest.mark.parametrize("mu", [0.0, 0.3, 4.0, 9.9, 10.0, 37.5, 800.0])
def test_nsb_counts_equal_the_poisson_draws(mu):
    # draw_nsb keeps the generator state in local variables (`_poisson_local`): its
    # per-pixel counts must be exactly the `_poisson` draws from the same state
    n_pixels = 3000
    pix, _, _ = _camera_kernels.draw_nsb(np.full(n_pixels, mu), 5.0, 6.0, 0.3, 0.1, 0.25, 1.0,
                                         _camera_kernels.new_state(np.random.default_rng(11)))
    counts = np.bincount(pix, minlength=n_pixels)
    expected = _camera_kernels.poisson_array(_camera_kernels.new_state(np.random.default_rng(11)), mu, n_pixels)
    assert np.array_equal(counts, expected)


# ------------------------------------------------------------------------------------------
# waveforms
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", telescope_names())
def test_waveform_dtype_and_shape(models, name):
    model = models[name]
    rng = np.random.default_rng(5)
    cal = draw_calibration(model, None, rng)
    event = simulate_camera_event(model, [], [], [], cal, rng, force_readout=True)
    assert event.waveform.dtype == np.uint16
    assert event.waveform.shape == (model.n_channels, model.n_pixels, model.n_samples)
    assert event.true_image.dtype == np.int32 and event.true_image.sum() == 0
    assert np.all(np.isnan(event.true_time_ns))
    assert np.isfinite(event.window_start_ns)
    # no readout without trigger unless forced
    quiet = simulate_camera_event(model, [], [], [], cal, rng)
    if not quiet.triggered:
        assert quiet.waveform is None and np.isnan(quiet.window_start_ns) and np.isnan(quiet.trigger_time_ns)


def test_single_pe_charge_and_peak_position():
    model = _quiet_lst(psf=True)
    rng = np.random.default_rng(6)
    cal = draw_calibration(model, None, rng)
    p = _central_pixel(model)
    lon, lat = _pixel_direction(model, p)
    dt = model.sample_width_ns
    charges, peaks = [], []
    for _ in range(1500):
        event = simulate_camera_event(model, [lon], [lat], [12.3], cal, rng, window_start_ns=0.0)
        hit = np.nonzero(event.true_image)[0]
        if len(hit) == 0:  # lost to the per-pixel efficiency or in a gap
            continue
        charges.append(_charge(event, cal, 0, hit[0]))
        peaks.append(np.argmax(event.waveform[0, hit[0]]))
    charges = np.array(charges)
    # per event: 0.4 pe amplitude resolution (+) 6.7 ADC x sqrt(40) noise / 63 ADC per pe ~ 0.8 pe
    assert len(charges) > 1300
    assert charges.mean() == pytest.approx(1.0, abs=4 * 0.8 / np.sqrt(len(charges)))
    assert np.median(peaks) == round(12.3 / dt)


def test_dc_to_pe_is_exact_for_both_gains_without_noise():
    model = _quiet_lst(noise_adc=(0.0, 0.0), spe_sigma_rel=0.0, spe_exp_fraction=0.0, pedestal_spread_adc=0.0,
                       qe_spread=0.0)
    rng = np.random.default_rng(7)
    cal = draw_calibration(model, None, rng)
    p = _central_pixel(model)
    lon, lat = _pixel_direction(model, p)
    for t in (10.0, 10.37, 10.81):
        event = simulate_camera_event(model, np.full(100, lon), np.full(100, lat), np.full(100, t), cal, rng,
                                      window_start_ns=0.0)
        assert event.true_image[p] == 100
        assert _charge(event, cal, 0, p) == pytest.approx(100, rel=2e-3)
        assert _charge(event, cal, 1, p) == pytest.approx(100, rel=1e-2)
        assert abs(np.argmax(event.waveform[0, p]) - t / model.sample_width_ns) <= 0.5


def test_peak_sensing_astricam_charge():
    # one sample per pixel: dc_to_pe converts the pulse height of light at the sampling time
    model = dataclasses.replace(_model("SST_ASTRI_ASTRICam", nsb_rate_ghz=0.0, transit_time_jitter_ns=0.0),
                                psf_sigma_deg=0.0)
    assert model.peak_sensing
    rng = np.random.default_rng(18)
    cal = draw_calibration(model, None, rng)
    p = _central_pixel(model)
    lon, lat = _pixel_direction(model, p)
    event = simulate_camera_event(model, np.full(200, lon), np.full(200, lat), np.full(200, 50.0), cal, rng,
                                  window_start_ns=50.0)
    for channel in (0, 1):
        assert _charge(event, cal, channel, p) == pytest.approx(event.true_image[p], rel=0.05)


def test_high_gain_saturates_low_gain_stays_linear():
    model = _quiet_lst(noise_adc=(0.0, 0.0))
    rng = np.random.default_rng(8)
    cal = draw_calibration(model, None, rng)
    p = _central_pixel(model)
    lon, lat = _pixel_direction(model, p)
    n = 5000
    # 5000 pe spread by 2 ns rms; coincident within < 1 ns they would clip the 12-bit LG too
    event = simulate_camera_event(model, np.full(n, lon), np.full(n, lat), rng.normal(15.0, 2.0, n), cal, rng,
                                  window_start_ns=0.0)
    true = event.true_image[p]
    assert true > 4500
    assert event.waveform[0, p].max() == 4095
    assert _charge(event, cal, 0, p) < 0.3 * true
    assert event.waveform[1, p].max() < 4095
    assert _charge(event, cal, 1, p) == pytest.approx(true, rel=0.03)


@pytest.mark.parametrize("window_start_ns", [0.0, 2000.0, None])
def test_nsb_only_mean_charge(lst, window_start_ns):
    # for a stationary NSB the pulses leaving the window are exactly compensated by those
    # entering it, so the mean full-window charge is rate x efficiency x window length
    rng = np.random.default_rng(9)
    cal = draw_calibration(lst, None, rng)
    charges = []
    for _ in range(30):
        event = simulate_camera_event(lst, [], [], [], cal, rng, force_readout=True, window_start_ns=window_start_ns)
        wf = event.waveform[0].astype(np.float64)
        charges.append((wf.sum(axis=1) - lst.n_samples * cal.pedestal_per_sample[0]) * cal.dc_to_pe[0])
    charges = np.array(charges)
    expected = lst.electronics.nsb_rate_ghz * cal.relative_efficiency * lst.window_length_ns
    assert np.mean(charges / expected) == pytest.approx(1.0, abs=0.01)


def test_true_image_counts(lst):
    rng = np.random.default_rng(10)
    cal = draw_calibration(lst, None, rng)
    cal = dataclasses.replace(cal, relative_efficiency=np.ones(lst.n_pixels))
    model = dataclasses.replace(lst, psf_sigma_deg=0.0)
    radius = np.rad2deg(np.hypot(model.pix_x, model.pix_y).max() / model.focal_length_m)
    lon, lat = rng.uniform(-1.1 * radius, 1.1 * radius, (2, 3000))
    t = rng.normal(0, 3, 3000)
    event = simulate_camera_event(model, lon, lat, t, cal, rng)
    from iactpipe.coordinates import telescope_to_camera

    pix = lookup_pixels(model, *telescope_to_camera(lon, lat, model.focal_length_m))
    expected = np.bincount(pix[pix >= 0], minlength=model.n_pixels)
    assert np.array_equal(event.true_image, expected)
    hit = expected > 0
    mean_t = np.bincount(pix[pix >= 0], weights=t[pix >= 0], minlength=model.n_pixels)[hit] / expected[hit]
    assert np.allclose(event.true_time_ns[hit], mean_t)
    assert np.all(np.isnan(event.true_time_ns[~hit]))


def test_relative_efficiency_scales_the_signal(lst):
    rng = np.random.default_rng(12)
    model = dataclasses.replace(lst, psf_sigma_deg=0.0)
    cal = draw_calibration(model, None, rng)
    p = _central_pixel(model)
    lon, lat = _pixel_direction(model, p)
    for eff in (0.5, 1.5):
        efficiency = np.ones(model.n_pixels)
        efficiency[p] = eff
        custom = dataclasses.replace(cal, relative_efficiency=efficiency)
        n = 4000
        event = simulate_camera_event(model, np.full(n, lon), np.full(n, lat), np.zeros(n), custom, rng)
        assert event.true_image[p] == pytest.approx(eff * n, abs=4 * np.sqrt(n))


def test_broken_pixels_record_pedestal_and_noise_only():
    model = _model("LST_LST_LSTCam", broken_pixel_fraction=0.2)
    model = dataclasses.replace(model, psf_sigma_deg=0.0)
    rng = np.random.default_rng(13)
    cal = draw_calibration(model, None, rng)
    broken = np.nonzero(cal.broken)[0]
    target = broken[np.argmin(np.hypot(model.pix_x[broken], model.pix_y[broken]))]
    lon, lat = _pixel_direction(model, target)
    event = simulate_camera_event(model, np.full(500, lon), np.full(500, lat), np.zeros(500), cal, rng,
                                  window_start_ns=-15.0)
    # counted in the truth, but no light and no NSB in the waveform
    assert event.true_image[target] > 400
    wf = event.waveform[0, broken].astype(np.float64) - cal.pedestal_per_sample[0, broken][:, None]
    assert abs(wf.mean()) < 0.2
    assert wf.std() == pytest.approx(6.7, rel=0.05)
    assert np.abs(wf).max() < 8 * 6.7
    working = ~cal.broken
    wf_ok = event.waveform[0, working].astype(np.float64) - cal.pedestal_per_sample[0, working][:, None]
    assert wf_ok.mean() > 10  # NSB


def test_same_seed_same_event_different_seed_different_event(lst):
    rng = np.random.default_rng(14)
    lon, lat = rng.normal(0, 0.3, (2, 300))
    t = rng.normal(0, 2, 300)

    def run(seed):
        r = np.random.default_rng(seed)
        cal = draw_calibration(lst, None, r)
        return simulate_camera_event(lst, lon, lat, t, cal, r, force_readout=True)

    a, b, c = run(1), run(1), run(2)
    assert np.array_equal(a.waveform, b.waveform) and np.array_equal(a.true_image, b.true_image)
    assert a.window_start_ns == b.window_start_ns and a.triggered == b.triggered
    assert not np.array_equal(a.waveform, c.waveform)


def test_triggered_pulses_sit_at_the_trigger_offset(lst):
    rng = np.random.default_rng(15)
    cal = draw_calibration(lst, None, rng)
    p = _central_pixel(lst)
    lon, lat = _pixel_direction(lst, p)
    pitch = np.rad2deg(0.05 / lst.focal_length_m)
    n = 300
    event = simulate_camera_event(lst, lon + rng.normal(0, pitch, n), lat + rng.normal(0, pitch, n),
                                  100.0 + rng.normal(0, 0.5, n), cal, rng)
    assert event.triggered
    assert 97.0 < event.trigger_time_ns < 100.5
    assert event.window_start_ns == pytest.approx(event.trigger_time_ns - lst.electronics.trigger_offset_ns)
    summed = event.waveform[0].astype(np.float64).sum(axis=0)
    expected_peak = (100.0 - event.window_start_ns) / lst.sample_width_ns
    assert abs(np.argmax(summed) - expected_peak) <= 1


def test_input_validation(lst):
    rng = np.random.default_rng(16)
    cal = draw_calibration(lst, None, rng)
    with pytest.raises(ValueError, match="equal lengths"):
        simulate_camera_event(lst, [0.0], [0.0, 1.0], [0.0], cal, rng)
    flash = build_camera_model(build_telescope("MST_MST_FlashCam"))
    with pytest.raises(ConfigurationError, match="calibration"):
        simulate_camera_event(flash, [], [], [], cal, rng)
    with pytest.raises(ConfigurationError, match="gain channels"):
        build_camera_model(build_telescope("MST_MST_FlashCam"), default_electronics("LSTCam"))
