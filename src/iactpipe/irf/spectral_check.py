"""End-to-end science check: a gammapy 1D on/off spectral fit of a DL3 observation.

The simulated Crab-like observation of `iactpipe dl3` is analysed as an analyst would:
reflected (wobble) OFF regions around the point-like RAD_MAX ON region, forward-folded
power-law fit with gammapy. `spectral_fit` returns the fitted index and the flux at 1 TeV
to compare with the injected spectrum (pyirf's CRAB_HEGRA: index 2.62,
2.83e-11 TeV-1 cm-2 s-1 at 1 TeV).
"""
import astropy.units as u

__all__ = ["spectral_fit"]


def spectral_fit(dl3_dir, e_reco_tev=(0.1, 50.0), n_off_regions=3):
    """Fit a power law to the point-like observations in ``dl3_dir`` (gammapy DataStore).

    Returns
    -------
    dict
        ``index``, ``index_error``, ``amplitude_tev_cm2_s`` (at 1 TeV) and its error,
        ``n_on`` (counts in the ON regions), ``success``.
    """
    from astropy.coordinates import SkyCoord
    from gammapy.data import DataStore
    from gammapy.datasets import Datasets, SpectrumDataset
    from gammapy.makers import ReflectedRegionsBackgroundMaker, SpectrumDatasetMaker, WobbleRegionsFinder
    from gammapy.maps import MapAxis, RegionGeom
    from gammapy.modeling import Fit
    from gammapy.modeling.models import PowerLawSpectralModel, SkyModel
    from regions import PointSkyRegion

    store = DataStore.from_dir(dl3_dir)
    observations = store.get_observations(required_irf="point-like")
    meta = observations[0].events.table.meta
    source = SkyCoord(meta["RA_OBJ"], meta["DEC_OBJ"], unit="deg")
    e_reco = MapAxis.from_energy_bounds(*e_reco_tev, 15, unit="TeV", name="energy")
    e_true = MapAxis.from_energy_bounds(0.05, 100, 40, unit="TeV", name="energy_true")
    empty = SpectrumDataset.create(geom=RegionGeom.create(region=PointSkyRegion(source), axes=[e_reco]),
                                   energy_axis_true=e_true)
    maker = SpectrumDatasetMaker(containment_correction=False, selection=["counts", "exposure", "edisp"])
    background = ReflectedRegionsBackgroundMaker(region_finder=WobbleRegionsFinder(n_off_regions=n_off_regions))
    datasets = Datasets()
    for obs in observations:
        datasets.append(background.run(maker.run(empty.copy(name=str(obs.obs_id)), obs), obs))
    model = PowerLawSpectralModel(index=2.3, amplitude=1e-11 * u.Unit("cm-2 s-1 TeV-1"), reference=1 * u.TeV)
    datasets.models = [SkyModel(spectral_model=model, name="crab")]
    result = Fit().run(datasets)
    return {"success": bool(result.success), "index": float(model.index.value),
            "index_error": float(model.index.error),
            "amplitude_tev_cm2_s": float(model.amplitude.quantity.to_value("TeV-1 cm-2 s-1")),
            "amplitude_error_tev_cm2_s": float(model.amplitude.error),
            "n_on": int(sum(d.counts.data.sum() for d in datasets))}
