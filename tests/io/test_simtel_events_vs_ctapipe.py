"""sim_telarray event reading cross-checked against ctapipe's SimTelEventSource on every shared file."""
import warnings

import numpy as np
import pytest

from iactpipe.calib.r1 import r0_to_r1
from iactpipe.errors import InputFileError
from iactpipe.io.event_source import open_events
from iactpipe.io.events import PIXEL_BROKEN, EventType
from iactpipe.io.simtel import read_subarray
from iactpipe.io.simtel_source import SimtelEventSource

ctapipe_io = pytest.importorskip("ctapipe.io")


def _simtel_files(simtel_dir):
    files = sorted(p for p in simtel_dir.iterdir() if ".simtel" in p.name)
    assert files, f"no sim_telarray files in {simtel_dir}"
    return files


@pytest.fixture(scope="module")
def cross_checked(simtel_dir):
    """Per file: (path, our source + events, ctapipe source + events)."""
    out = []
    for path in _simtel_files(simtel_dir):
        with open_events(path, focal_length_choice="equivalent") as source:
            ours = list(source)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with ctapipe_io.SimTelEventSource(path, focal_length_choice="EQUIVALENT",
                                              skip_calibration_events=False) as ref_source:
                theirs = list(ref_source)
                ref_meta = (ref_source.subarray, ref_source.simulation_config[ref_source.obs_id],
                            ref_source.obs_id, ref_source.simulated_shower_distributions)
        out.append((path, source, ours, ref_meta, theirs))
    return out


def test_every_shared_file_is_read(simtel_dir, cross_checked):
    assert len(cross_checked) == len(_simtel_files(simtel_dir)) >= 6
    for path, source, ours, _, _ in cross_checked:
        assert isinstance(source, SimtelEventSource)
        assert len(ours) > 0, path
        assert not source.truncated


def test_instrument_matches_ctapipe(cross_checked):
    for path, source, _, (ref_subarray, _, _, _), _ in cross_checked:
        sub = source.subarray
        assert list(sub.tel_ids) == sorted(ref_subarray.tel_ids), path
        ref_pos = np.array([ref_subarray.positions[t].to_value("m") for t in sub.tel_ids])
        np.testing.assert_allclose(sub.positions_m, ref_pos, rtol=0, atol=1e-6)
        for tel_id in sub.tel_ids:
            ours, ref = sub.telescope(tel_id).camera, ref_subarray.tel[tel_id].camera.geometry
            np.testing.assert_allclose(ours.pix_x, ref.pix_x.to_value("m"), atol=1e-9)
            np.testing.assert_allclose(ours.pix_y, ref.pix_y.to_value("m"), atol=1e-9)
            np.testing.assert_allclose(ours.pix_area, ref.pix_area.to_value("m2"), rtol=1e-6)
        # same subarray as the header-only reader
        header_only = read_subarray(path, focal_length_choice="equivalent")
        assert list(header_only.tel_ids) == list(sub.tel_ids)
        np.testing.assert_array_equal(header_only.positions_m, sub.positions_m)
        assert [t.name for t in header_only.telescopes] == [t.name for t in sub.telescopes]


def test_run_header_matches_ctapipe(cross_checked):
    for path, source, _, (_, ref, ref_obs_id, ref_hist), _ in cross_checked:
        config = source.simulation_config
        assert source.obs_id == ref_obs_id
        for name in ("run_number", "corsika_version", "simtel_version", "spectral_index", "shower_prog_id",
                     "n_showers", "shower_reuse", "diffuse", "core_pos_mode", "atmosphere",
                     "corsika_high_E_model", "corsika_bunchsize", "detector_prog_start"):
            assert config[name] == pytest.approx(float(ref[name])), (path, name)
        unit_checks = {"energy_range_min": "TeV", "energy_range_max": "TeV", "prod_site_alt": "m",
                       "max_scatter_range": "m", "min_scatter_range": "m", "max_viewcone_radius": "deg",
                       "min_viewcone_radius": "deg", "max_alt": "deg", "min_alt": "deg", "max_az": "deg",
                       "min_az": "deg", "prod_site_B_total": "uT", "prod_site_B_inclination": "deg",
                       "corsika_wlen_min": "nm"}
        for name, unit in unit_checks.items():
            assert config[name] == pytest.approx(ref[name].to_value(unit), rel=1e-6, abs=1e-9), (path, name)
        # thrown-event histogram (present once the file is read to the end)
        if ref_hist:
            hist = ref_hist[ref_obs_id]
            ours = source.shower_distribution
            assert ours["n_entries"] == hist.n_entries
            np.testing.assert_array_equal(ours["histogram"], hist.histogram)
            np.testing.assert_allclose(ours["bins_energy"], hist.bins_energy.to_value("TeV"), rtol=1e-12)
            np.testing.assert_allclose(ours["bins_core_dist"], hist.bins_core_dist.to_value("m"), rtol=1e-12)
        else:
            assert source.shower_distribution is None


def test_events_waveforms_and_truth_match_ctapipe(cross_checked):
    n_tel_events = 0
    for path, _, ours, _, theirs in cross_checked:
        assert [e.event_id for e in ours] == [e.index.event_id for e in theirs], path
        assert [e.event_type for e in ours] == [e.trigger.event_type.value for e in theirs], path
        for event, ref in zip(ours, theirs):
            assert sorted(event.tel) == sorted(ref.r0.tel), path
            np.testing.assert_array_equal(np.sort(event.tels_with_trigger), np.sort(ref.trigger.tels_with_trigger))
            assert event.is_calibration == (ref.trigger.event_type != EventType.SUBARRAY and
                                            ref.trigger.event_type.value != EventType.SUBARRAY)
            if ref.simulation.shower is None:
                assert event.shower is None
            else:
                s, r = event.shower, ref.simulation.shower
                assert s["true_energy"] == pytest.approx(r.energy.to_value("TeV"), rel=1e-12)
                assert s["true_alt"] == pytest.approx(r.alt.to_value("deg"), rel=1e-12)
                assert s["true_az"] == pytest.approx(r.az.to_value("deg"), rel=1e-12)
                assert s["true_core_x"] == pytest.approx(r.core_x.to_value("m"), rel=1e-12)
                assert s["true_core_y"] == pytest.approx(r.core_y.to_value("m"), rel=1e-12)
                assert s["true_x_max"] == pytest.approx(r.x_max.to_value("g/cm2"), rel=1e-12)
                assert s["true_h_first_int"] == pytest.approx(r.h_first_int.to_value("m"), rel=1e-12)
                assert s["true_shower_primary_id"] == r.shower_primary_id
            for tel_id, tel in event.tel.items():
                n_tel_events += 1
                np.testing.assert_array_equal(tel.waveform, ref.r0.tel[tel_id].waveform)
                ref_sim = ref.simulation.tel.get(tel_id) if ref.simulation is not None else None
                ref_image = None if ref_sim is None else ref_sim.true_image
                if ref_image is None:
                    assert tel.true_image is None
                else:
                    np.testing.assert_array_equal(tel.true_image, ref_image)
                # R1: gain-selected (shower events), pedestal-subtracted, calibrated
                cal = tel.calibration
                r1, selected = r0_to_r1(tel.waveform, cal.pedestal_per_sample, cal.dc_to_pe,
                                        gain_selection=event.event_type == EventType.SUBARRAY)
                ref_r1 = ref.r1.tel[tel_id]
                assert r1.shape == ref_r1.waveform.shape
                scale = max(float(np.abs(ref_r1.waveform).max()), 1e-12)
                np.testing.assert_allclose(r1, ref_r1.waveform, rtol=1e-5, atol=1e-5 * scale)
                if ref_r1.selected_gain_channel is not None:
                    np.testing.assert_array_equal(selected, ref_r1.selected_gain_channel)
    assert n_tel_events > 10


def test_calibration_events_kept_apart(cross_checked):
    types = {path.name: {e.event_type for e in ours} for path, _, ours, _, _ in cross_checked}
    assert types["calib_events.simtel.gz"] == {EventType.SKY_PEDESTAL}
    for path, _, ours, _, _ in cross_checked:
        for event in ours:
            assert event.is_calibration == (event.event_type != EventType.SUBARRAY)
            if event.is_calibration:
                assert event.shower is None and event.event_id < 0


def test_hv_disabled_pixels_flagged_broken(simtel_dir):
    from eventio import SimTelFile

    path = simtel_dir / "n_hv_disabled.simtel.gz"
    with SimTelFile(str(path)) as f:
        first = next(iter(f))
        hv_off = {t: np.flatnonzero(np.asarray(m["hv_stat"]) == 0) for t, m in first["camera_monitorings"].items()}
    assert sum(len(v) for v in hv_off.values()) > 0
    with open_events(path) as source:
        events = list(source)
    for event in events:
        for tel_id, tel in event.tel.items():
            broken = np.flatnonzero(tel.calibration.pixel_status & PIXEL_BROKEN)
            np.testing.assert_array_equal(broken, hv_off[tel_id])
            assert np.all(tel.waveform[:, broken] == 0)
    assert source.calibration[1].broken.sum() == len(hv_off[1])


def _decompressed(path):
    import gzip

    import zstandard

    data = path.read_bytes()
    if path.suffix == ".gz":
        return gzip.decompress(data)
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def test_truncated_file_error_and_allow_truncated(simtel_dir, tmp_path):
    full = simtel_dir / "lst_muons_with_true_photons.simtel.zst"
    data = _decompressed(full)
    with open_events(full) as source:
        all_ids = [e.event_id for e in source]
    cut = tmp_path / "cut.simtel"
    cut.write_bytes(data[: int(len(data) * 0.8)])

    with pytest.raises(InputFileError) as info:
        with open_events(cut) as source:
            for _ in source:
                pass
    message = str(info.value)
    assert str(cut) in message and "truncated" in message

    with pytest.warns(UserWarning, match="truncated"):
        with open_events(cut, allow_truncated=True) as source:
            kept = [e.event_id for e in source]
    assert source.truncated and str(cut) in source.truncation_message
    assert 0 < len(kept) < len(all_ids) + 1 and kept == all_ids[: len(kept)]
    assert f"after event {kept[-1]}" in message

    header_only = tmp_path / "head.simtel"
    header_only.write_bytes(data[:2000])
    with pytest.raises(InputFileError, match="head.simtel"):
        open_events(header_only)


def test_not_eventio_is_a_clear_error(tmp_path):
    text = tmp_path / "notes.simtel.zst"
    text.write_text("hello, this is not a simulation\n" * 10)
    with pytest.raises(InputFileError, match="notes.simtel.zst"):
        open_events(text)
    with pytest.raises(InputFileError, match="notes.simtel.zst"):
        SimtelEventSource(text)


def test_batches_group_telescope_types(prod6_path):
    with open_events(prod6_path) as source:
        batches = list(source.iter_batches(max_events=3))
        subarray = source.subarray
    assert batches
    seen = 0
    for batch in batches:
        assert len(batch) <= 3
        assert all(subarray.telescope(t) is batch.description for t in batch.tel_id)
        assert batch.waveforms.shape[0] == len(batch) and batch.waveforms.dtype == np.uint16
        seen += len(batch)
    with open_events(prod6_path) as source:
        assert seen == sum(len(e.tel) for e in source)


def test_effective_focal_length_fallback_logs_once(simtel_dir, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="iactpipe.io.simtel"):
        with open_events(simtel_dir / "calib_events.simtel.gz") as source:
            assert source.subarray.n_tels == 7
    lines = [r for r in caplog.records if "equivalent focal length" in r.getMessage()]
    assert len(lines) <= 1


def test_info_describes_simtel_file(prod6_path):
    from iactpipe.io.info import describe_simtel_file, format_info

    info = describe_simtel_file(prod6_path)
    assert info["format"] == "sim_telarray" and info["subarray"]["n_tels"] == 43
    assert info["events"]["subarray"] == 1 and info["simulation_runs"][0]["n_showers"] == 1
    text = format_info(info)
    assert "sim_telarray" in text and "43 telescopes" in text
