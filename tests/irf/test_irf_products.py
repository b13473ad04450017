"""``iactpipe irf`` on synthetic DL2: GADF files gammapy reads, equality with pyirf, sensitivity."""
import json
import operator

import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import QTable
from pyirf.cuts import evaluate_binned_cut
from pyirf.irf import effective_area_per_energy_and_fov, energy_dispersion
from pyirf.simulations import SimulatedEventsInfo
from pyirf.utils import calculate_source_fov_offset, calculate_theta

from iactpipe.io.hdf5 import read_table

from .conftest import RUNS

import gammapy  # noqa: F401,E402  (test extra; a missing gammapy must fail, not skip)


def test_products_exist_and_summary(irf_dir):
    from iactpipe.irf.pipeline import OUTPUT_FILES

    for name in OUTPUT_FILES.values():
        assert (irf_dir / name).is_file(), name
    assert not list(irf_dir.glob("*.partial*"))
    summary = json.loads((irf_dir / "summary.json").read_text())
    assert summary["signal"] == "point-like gammas"
    assert summary["irf_full_enclosure_bkg"] == "3D"


def test_gadf_headers(irf_dir):
    expected = {
        "irf_point_like.fits.gz": {"EFFECTIVE AREA": ("EFF_AREA", "AEFF_2D"), "ENERGY DISPERSION": ("EDISP", "EDISP_2D"),
                                   "RAD_MAX": ("RAD_MAX", "RAD_MAX_2D"), "BACKGROUND": ("BKG", "BKG_3D")},
        "irf_full_enclosure.fits.gz": {"EFFECTIVE AREA": ("EFF_AREA", "AEFF_2D"),
                                       "ENERGY DISPERSION": ("EDISP", "EDISP_2D"), "PSF": ("PSF", "PSF_TABLE"),
                                       "BACKGROUND": ("BKG", "BKG_3D")},
    }
    for name, hdus in expected.items():
        with fits.open(irf_dir / name) as hdul:
            assert [h.name for h in hdul[1:]] == list(hdus)
            for extname, (clas2, clas4) in hdus.items():
                header = hdul[extname].header
                assert header["HDUCLASS"] == "GADF"
                assert header["HDUCLAS1"] == "RESPONSE"
                assert header["HDUCLAS2"] == clas2
                assert header["HDUCLAS4"] == clas4
                if clas2 != "BKG":
                    assert header["HDUCLAS3"] == ("POINT-LIKE" if "point" in name else "FULL-ENCLOSURE")


def test_gammapy_reads_every_irf_hdu(irf_dir):
    from gammapy.irf import (PSF3D, Background3D, EffectiveAreaTable2D, EnergyDispersion2D, RadMax2D,
                             load_irf_dict_from_file)

    point = irf_dir / "irf_point_like.fits.gz"
    full = irf_dir / "irf_full_enclosure.fits.gz"
    aeff = EffectiveAreaTable2D.read(point, hdu="EFFECTIVE AREA")
    assert aeff.is_pointlike
    EnergyDispersion2D.read(point, hdu="ENERGY DISPERSION")
    rad_max = RadMax2D.read(point, hdu="RAD_MAX")
    assert 0.02 <= rad_max.evaluate(energy=1 * u.TeV, offset=0.5 * u.deg).to_value(u.deg) <= 0.5
    Background3D.read(full, hdu="BACKGROUND")
    psf = PSF3D.read(full, hdu="PSF")
    r68 = psf.containment_radius(0.68, energy_true=1 * u.TeV, offset=0.5 * u.deg).to_value(u.deg)
    # synthetic Rayleigh error with sigma = 0.06 deg at 1 TeV: R68 = sigma * sqrt(2 ln(1/0.32)) = 0.091 deg
    assert r68 == pytest.approx(0.091, abs=0.02)
    full_aeff = EffectiveAreaTable2D.read(full, hdu="EFFECTIVE AREA")
    a_full = full_aeff.evaluate(energy_true=3 * u.TeV, offset=0.5 * u.deg)
    a_point = aeff.evaluate(energy_true=3 * u.TeV, offset=0.5 * u.deg)
    assert 0 < a_point < a_full
    assert set(load_irf_dict_from_file(point)) == {"aeff", "edisp", "rad_max", "bkg"}
    assert set(load_irf_dict_from_file(full)) == {"aeff", "edisp", "psf", "bkg"}


def _independent_events(paths):
    """The diffuse-gamma events, read with plain read_table and pyirf's helpers (not our loader)."""
    frames = []
    for path in paths:
        geometry = read_table(path, "/dl2/event/subarray/geometry/HillasReconstructor")
        energy = read_table(path, "/dl2/event/subarray/energy/LGBMRegressor")
        score = read_table(path, "/dl2/event/subarray/classification/LGBMClassifier")
        shower = read_table(path, "/simulation/event/subarray/shower")
        frame = geometry.merge(energy, on=["obs_id", "event_id"]).merge(score, on=["obs_id", "event_id"])
        frames.append(frame.merge(shower, on=["obs_id", "event_id"]))
    frame = pd.concat(frames)
    frame = frame[frame["HillasReconstructor_is_valid"]]
    events = QTable()
    events["true_energy"] = frame["true_energy"].to_numpy() * u.TeV
    events["reco_energy"] = frame["LGBMRegressor_energy"].to_numpy() * u.TeV
    events["gh_score"] = frame["LGBMClassifier_prediction"].to_numpy()
    events["multiplicity"] = frame["HillasReconstructor_multiplicity"].to_numpy().astype(float)
    events["true_az"] = frame["true_az"].to_numpy() * u.deg
    events["true_alt"] = frame["true_alt"].to_numpy() * u.deg
    events["reco_az"] = frame["HillasReconstructor_az"].to_numpy() * u.deg
    events["reco_alt"] = frame["HillasReconstructor_alt"].to_numpy() * u.deg
    events["pointing_az"] = np.full(len(events), 180.0) * u.deg
    events["pointing_alt"] = np.full(len(events), 70.0) * u.deg
    events["true_source_fov_offset"] = calculate_source_fov_offset(events)
    events["theta"] = calculate_theta(events, events["true_az"], events["true_alt"])
    return events


def _selected(events, cuts, theta):
    mask = evaluate_binned_cut(events["multiplicity"], events["reco_energy"],
                               QTable({"low": cuts["low"], "high": cuts["high"],
                                       "cut": cuts["multiplicity"].astype(float)}), operator.ge)
    mask &= evaluate_binned_cut(events["gh_score"], events["reco_energy"],
                                QTable({"low": cuts["low"], "high": cuts["high"], "cut": cuts["gh_cut"]}), operator.ge)
    if theta:
        mask &= evaluate_binned_cut(events["theta"], events["reco_energy"],
                                    QTable({"low": cuts["low"], "high": cuts["high"], "cut": cuts["theta_cut"]}),
                                    operator.le)
    return events[mask]


@pytest.mark.parametrize("kind", ["point_like", "full_enclosure"])
def test_effective_area_and_edisp_equal_pyirf(irf_dir, synthetic_dl2, kind):
    """Same events and cuts through pyirf directly: our aeff and edisp agree to 1e-6."""
    cuts = QTable.read(irf_dir / "cuts.ecsv")
    events = _independent_events([synthetic_dl2["gamma_diffuse_a"], synthetic_dl2["gamma_diffuse_b"]])
    selected = _selected(events, cuts, theta=kind == "point_like")
    _, _, _, cone, thrown, e_min, e_max, r_max = RUNS["gamma_diffuse_a"]
    info = SimulatedEventsInfo(n_showers=2 * thrown, energy_min=e_min * u.TeV, energy_max=e_max * u.TeV,
                               max_impact=r_max * u.m, spectral_index=-2.0, viewcone_min=0 * u.deg,
                               viewcone_max=cone * u.deg)
    with fits.open(irf_dir / f"irf_{kind}.fits.gz") as hdul:
        aeff_hdu = QTable.read(hdul["EFFECTIVE AREA"])
        edisp_hdu = QTable.read(hdul["ENERGY DISPERSION"])
    e_bins = np.append(aeff_hdu["ENERG_LO"][0], aeff_hdu["ENERG_HI"][0][-1])
    offset_bins = np.append(aeff_hdu["THETA_LO"][0], aeff_hdu["THETA_HI"][0][-1])
    migra_bins = np.asarray(np.append(edisp_hdu["MIGRA_LO"][0], edisp_hdu["MIGRA_HI"][0][-1]))
    with np.errstate(invalid="ignore"):
        expected = np.nan_to_num(effective_area_per_energy_and_fov(selected, info, e_bins, offset_bins).to_value(u.m ** 2))
    ours = aeff_hdu["EFFAREA"][0].T.to_value(u.m ** 2)
    assert expected.sum() > 0
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=0)
    expected_edisp = energy_dispersion(selected, e_bins, offset_bins, migra_bins)
    np.testing.assert_allclose(np.asarray(edisp_hdu["MATRIX"][0]).T, expected_edisp, rtol=1e-6, atol=0)


def test_background_3d_matches_gammapy_axes(irf_dir):
    from gammapy.irf import Background3D

    bkg = Background3D.read(irf_dir / "irf_full_enclosure.fits.gz", hdu="BACKGROUND")
    assert bkg.axes.names == ["energy", "fov_lon", "fov_lat"]
    data = bkg.quantity.to_value("s-1 MeV-1 sr-1")
    assert np.all(np.isfinite(data)) and data.sum() > 0
    # the rate integrated over energy and solid angle equals the weighted count per second of the
    # selected protons inside the FoV square; compare with the 2D (offset) integral order of magnitude
    assert data.shape == (len(bkg.axes["energy"].center), 8, 8)


def test_sensitivity_products(irf_dir):
    table = QTable.read(irf_dir / "sensitivity.ecsv")
    for column in ("reco_energy_low", "reco_energy_high", "n_signal_weighted", "n_background_weighted",
                   "relative_sensitivity", "flux_sensitivity", "energy_flux_sensitivity"):
        assert column in table.colnames
    good = np.isfinite(table["relative_sensitivity"]) & (table["relative_sensitivity"] > 0)
    assert good.sum() >= 3
    at = np.flatnonzero((table["reco_energy_low"] <= 1 * u.TeV) & (table["reco_energy_high"] > 1 * u.TeV))[0]
    assert good[at]
    # the sensitivity is a flux that gives >= 10 excess events, at >= 5 sigma
    assert table["energy_flux_sensitivity"].unit == u.Unit("erg cm-2 s-1")
    with fits.open(irf_dir / "sensitivity.fits.gz") as hdul:
        assert hdul["SENSITIVITY"].data.shape == (len(table),)
    assert (irf_dir / "sensitivity.png").stat().st_size > 10_000
    cuts = QTable.read(irf_dir / "cuts.ecsv")
    assert set(cuts.colnames) >= {"low", "high", "center", "gh_cut", "theta_cut", "multiplicity", "gh_efficiency"}
    assert np.all((cuts["theta_cut"] >= 0.02 * u.deg) & (cuts["theta_cut"] <= 0.5 * u.deg))


def test_performance_table(irf_dir):
    perf = QTable.read(irf_dir / "performance.ecsv")
    i = np.flatnonzero((perf["true_energy_low"] <= 1 * u.TeV) & (perf["true_energy_high"] > 1 * u.TeV))[0]
    # synthetic truth: 10 % log-normal energy scatter, Rayleigh 0.06 deg direction error at 1 TeV
    assert perf["energy_resolution"][i] == pytest.approx(0.10, abs=0.03)
    assert abs(perf["energy_bias"][i]) < 0.03
    assert perf["angular_resolution_68"][i].to_value(u.deg) == pytest.approx(0.091, abs=0.02)


def test_efficiency_method_and_point_gammas_only(synthetic_dl2, tmp_path):
    """Fixed-efficiency cuts, point-like gammas only (no background): IRFs without background."""
    from iactpipe.cli.main import main
    from iactpipe.irf.config import load_config

    import yaml

    from .conftest import TEST_CONFIG

    config = dict(TEST_CONFIG, cuts={"method": "efficiency", "gh_efficiency": 0.8, "theta_efficiency": 0.68})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    load_config(path)
    out = tmp_path / "out"
    assert main(["irf", "-i", str(synthetic_dl2["gamma"]), "-o", str(out), "-c", str(path),
                 "--log-level", "WARNING"]) == 0
    cuts = QTable.read(out / "cuts.ecsv")
    assert np.allclose(cuts["gh_efficiency"], 0.8)
    from gammapy.irf import EffectiveAreaTable2D

    aeff = EffectiveAreaTable2D.read(out / "irf_point_like.fits.gz", hdu="EFFECTIVE AREA")
    assert aeff.evaluate(energy_true=1 * u.TeV, offset=0.5 * u.deg) > 0
    assert not (out / "sensitivity.ecsv").exists()


def test_benchmark_plots_and_cut_levels(synthetic_dl2, irf_config_file, irf_dir):
    """The benchmark figures exist; the effective area can only shrink from one cut level to the next,
    and the reconstructed level equals pyirf's effective area of the valid events."""
    from pyirf.binning import create_bins_per_decade

    from iactpipe.irf.benchmarks import BENCHMARK_FIGURES, effective_area_levels
    from iactpipe.irf.config import load_config
    from iactpipe.irf.events import read_many
    from iactpipe.irf.pipeline import prepare_samples
    from iactpipe.irf.weighting import effective_area

    for name in BENCHMARK_FIGURES:
        assert (irf_dir / f"{name}.png").stat().st_size > 10_000, name
    config = load_config(irf_config_file)
    events, runs = read_many(list(synthetic_dl2.values()))
    samples = prepare_samples(events, runs, config)
    cuts = QTable.read(irf_dir / "cuts.ecsv")
    bins = create_bins_per_decade(0.05 * u.TeV, 50 * u.TeV, 4)
    levels = effective_area_levels(samples["signal"], samples["signal_productions"], cuts, bins, 1 * u.deg)
    areas = list(levels.values())
    assert len(areas) == 4
    for upper, lower in zip(areas[:-1], areas[1:]):
        assert np.all(lower <= upper * (1 + 1e-12))
    assert areas[0].max() > 0 and areas[-1].max() > 0
    signal = samples["signal"]
    valid = signal[np.asarray(signal["is_valid"], bool)]
    expected = effective_area(valid, samples["signal_productions"], bins, u.Quantity([0, 1], u.deg))[:, 0]
    np.testing.assert_allclose(areas[1], expected.to_value(u.m ** 2), rtol=1e-12)
