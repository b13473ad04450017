"""``iactpipe dl3``: GADF event lists gammapy's DataStore opens, and a spectral end-to-end check."""
import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

import gammapy  # noqa: F401,E402  (test extra; a missing gammapy must fail, not skip)

EVENTS_KEYWORDS = ("HDUCLASS", "HDUDOC", "HDUVERS", "HDUCLAS1", "OBS_ID", "TSTART", "TSTOP", "ONTIME", "LIVETIME",
                   "DEADC", "OBS_MODE", "RA_PNT", "DEC_PNT", "ALT_PNT", "AZ_PNT", "EQUINOX", "RADECSYS", "ORIGIN",
                   "TELESCOP", "INSTRUME", "CREATOR", "MJDREFI", "MJDREFF", "TIMEUNIT", "TIMESYS", "TIMEREF",
                   "GEOLON", "GEOLAT", "ALTITUDE")


def test_dl3_file_layout(dl3_dir):
    path = dl3_dir / "obs_000001.fits.gz"
    with fits.open(path) as hdul:
        names = [h.name for h in hdul]
        assert names[:4] == ["PRIMARY", "EVENTS", "GTI", "POINTING"]
        assert {"EFFECTIVE AREA", "ENERGY DISPERSION", "RAD_MAX", "BACKGROUND"} <= set(names)
        header = hdul["EVENTS"].header
        for key in EVENTS_KEYWORDS:
            assert key in header, key
        events = hdul["EVENTS"].data
        for column in ("EVENT_ID", "TIME", "RA", "DEC", "ENERGY"):
            assert column in events.columns.names
        assert events["EVENT_ID"].dtype.kind == "i" and events["EVENT_ID"].dtype.itemsize == 8
        assert events["TIME"].dtype.kind == "f" and events["TIME"].dtype.itemsize == 8
        gti = hdul["GTI"].data
        assert len(gti) == 1
        assert np.all((events["TIME"] >= gti["START"][0]) & (events["TIME"] <= gti["STOP"][0]))
        assert header["ONTIME"] == pytest.approx(1800.0)
        assert header["DEADC"] == pytest.approx(header["LIVETIME"] / header["ONTIME"])
        assert len(np.unique(events["EVENT_ID"])) == len(events)
    for name, extname in (("hdu-index.fits.gz", "HDU_INDEX"), ("obs-index.fits.gz", "OBS_INDEX")):
        with fits.open(dl3_dir / name) as hdul:
            assert hdul[1].name == extname
            assert hdul[1].header["HDUCLAS1"] == "INDEX"


def test_datastore_opens_observation(dl3_dir):
    from gammapy.data import DataStore

    store = DataStore.from_dir(dl3_dir)
    assert list(store.obs_table["OBS_ID"]) == [1]
    obs = store.obs(1, required_irf="point-like")
    events = obs.events
    assert len(events.table) > 100
    assert obs.aeff is not None and obs.edisp is not None and obs.rad_max is not None and obs.bkg is not None
    assert obs.gti.time_sum.to_value(u.s) == pytest.approx(1800.0)
    # the source lies 0.5 deg from the pointing; signal events crowd around it, compared with
    # the mirrored position on the other side of the pointing (same offset, background only)
    source = obs.target_radec
    pointing = obs.get_pointing_icrs(obs.tmid)
    assert source.separation(pointing).deg == pytest.approx(0.5, abs=0.01)
    mirror = pointing.directional_offset_by(pointing.position_angle(source) + 180 * u.deg, source.separation(pointing))
    on = (events.radec.separation(source).deg < 0.15).sum()
    off = (events.radec.separation(mirror).deg < 0.15).sum()
    assert on > 5 * off + 100


def test_radec_follows_altaz_for_stated_site_and_time(dl3_dir):
    """RA/Dec columns equal astropy's transformation of ALT/AZ at the event time and the stated site."""
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord
    from astropy.time import Time

    with fits.open(dl3_dir / "obs_000001.fits.gz") as hdul:
        h = hdul["EVENTS"].header
        ev = hdul["EVENTS"].data[:50]
    location = EarthLocation.from_geodetic(h["GEOLON"] * u.deg, h["GEOLAT"] * u.deg, h["ALTITUDE"] * u.m)
    time = Time(h["MJDREFI"] + h["MJDREFF"], format="mjd", scale="tt") + ev["TIME"] * u.s
    altaz = SkyCoord(alt=ev["ALT"] * u.deg, az=ev["AZ"] * u.deg, frame=AltAz(obstime=time, location=location))
    radec = SkyCoord(ev["RA"] * u.deg, ev["DEC"] * u.deg)
    # events share one frame per 10 s chunk: differences stay far below the PSF
    assert np.max(altaz.icrs.separation(radec).deg) < 0.005


def test_spectral_fit_recovers_injected_crab(dl3_dir):
    """gammapy 1D on/off analysis (reflected regions around the point-like RAD_MAX) of the simulated run."""
    from iactpipe.irf.spectral_check import spectral_fit

    fit = spectral_fit(dl3_dir)
    assert fit["success"]
    assert fit["n_on"] > 300
    # injected: CRAB_HEGRA, index 2.62, 2.83e-11 TeV-1 cm-2 s-1 at 1 TeV
    assert fit["index"] == pytest.approx(2.62, abs=0.15)
    assert fit["amplitude_tev_cm2_s"] == pytest.approx(2.83e-11, rel=0.25)
