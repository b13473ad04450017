"""Simulated DL3 observations in GADF: EVENTS, GTI, IRFs, HDU and OBS index tables.

`simulate_observation` builds one pointed (tracking) observation of a Crab-like point source
from simulated DL2 events:

* **Pointing.** The simulated telescopes point at (``pointing_alt``, ``pointing_az``) of the
  simulation; the observation tracks the RA/Dec of that direction at the middle of the run
  (site = the subarray's reference location, time ``dl3.start_time``, ``dl3.duration_h``).
* **Signal.** Gammas passing the gamma-score and multiplicity cuts (no theta cut: DL3 keeps
  the direction free; the RAD_MAX HDU carries it). With diffuse gammas: those whose true FoV
  offset lies in the IRF offset bin containing ``dl3.source_offset``, weighted as a point
  source, ``w = Phi_target / (Phi_sim * Omega_bin)``, so that their sum is what the
  effective area of that bin predicts. Without diffuse gammas, the point-like ones (assuming
  the response at the source offset equals that on axis). The number of events is drawn from
  Poisson(sum w); events are drawn with probability proportional to w (with replacement).
  Each keeps its reconstruction error: reco = source + R(delta) (reco_true_frame - true), the
  rotation aligning the event's true position angle with the source's.
* **Background.** Protons and electrons passing the same cuts, weighted to their spectra; drawn
  the same way, each rotated by a random angle about the pointing (azimuthal symmetry).
* **Times** are uniform within the single GTI; the event's FoV position (ALTAZ-aligned) is
  turned into Alt/Az using the pointing at that time, then into RA/Dec with astropy.

Time reference: MJDREFI = 51910, MJDREFF = 7.428703703703703e-4 (2001-01-01 00:00 TT), TIMESYS = TT
(as H.E.S.S. DR1).
"""
import logging
import os
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from astropy.utils import iers
from pyirf.utils import cone_solid_angle

from ..errors import ConfigurationError, DataLevelError
from . import cuts as cutlib
from .config import load_config
from .events import altaz_from_fov, fov_lonlat, read_many
from .irfs import Binning
from .weighting import calculate_weights, group_productions, target_spectrum

__all__ = ["MJDREF", "simulate_observation", "write_observation", "write_index_tables", "make_dl3"]

log = logging.getLogger(__name__)

MJDREFI, MJDREFF = 51910, 7.428703703703703e-4
MJDREF = Time(MJDREFI + MJDREFF, format="mjd", scale="tt")
_HDUDOC = "https://github.com/open-gamma-ray-astro/gamma-astro-data-formats"


def _time_header(header):
    header["MJDREFI"] = MJDREFI
    header["MJDREFF"] = MJDREFF
    header["TIMEUNIT"] = "s"
    header["TIMESYS"] = "TT"
    header["TIMEREF"] = "LOCAL"


def _draw(rng, sample, expected):
    n = rng.poisson(expected) if expected > 0 else 0
    if n == 0 or len(sample) == 0:
        return sample[:0], 0
    p = np.asarray(sample["weight"], float)
    return sample[rng.choice(len(sample), size=n, replace=True, p=p / p.sum())], n


def _rotate(lon, lat, angle_deg):
    a = np.radians(angle_deg)
    return lon * np.cos(a) - lat * np.sin(a), lon * np.sin(a) + lat * np.cos(a)


def _frames(t_rel, start, duration, location, pnt, src, step_s=10.0):
    """Alt/Az frames for sorted event times, in chunks of ``step_s`` seconds.

    Within a chunk one frame (at the chunk's middle) converts between Alt/Az and RA/Dec: the
    pointing tracks fixed RA/Dec, so only the field rotation changes within a chunk (< 0.001 deg
    at 2 deg offset for 10 s). Returns per-event pointing and source FoV positions.
    """
    n_chunks = max(int(np.ceil(duration.to_value(u.s) / step_s)), 1)
    edges = np.linspace(0, duration.to_value(u.s), n_chunks + 1)
    index = np.searchsorted(t_rel, edges)
    chunks, pnt_az, pnt_alt = [], np.empty(len(t_rel)), np.empty(len(t_rel))
    src_lon, src_lat = np.empty(len(t_rel)), np.empty(len(t_rel))
    for i in range(n_chunks):
        sl = slice(index[i], index[i + 1])
        if sl.start == sl.stop:
            continue
        frame = AltAz(obstime=start + 0.5 * (edges[i] + edges[i + 1]) * u.s, location=location)
        p = pnt.transform_to(frame)
        q = src.transform_to(frame)
        pnt_az[sl], pnt_alt[sl] = p.az.deg, p.alt.deg
        src_lon[sl], src_lat[sl] = fov_lonlat(q.az.deg, q.alt.deg, p.az.deg, p.alt.deg)
        chunks.append((frame, sl))
    # pointing Alt/Az at each event's own time (ALT/AZ columns): linear between chunk edges
    edge_frames = AltAz(obstime=start + edges * u.s, location=location)
    p_edges = pnt.transform_to(edge_frames)
    az_edges = np.degrees(np.unwrap(np.radians(p_edges.az.deg)))
    exact_az = np.interp(t_rel, edges, az_edges) % 360.0
    exact_alt = np.interp(t_rel, edges, p_edges.alt.deg)
    return dict(chunks=chunks, pnt_az=pnt_az, pnt_alt=pnt_alt, src_lon=src_lon, src_lat=src_lat,
                exact_az=exact_az, exact_alt=exact_alt)


def simulate_observation(inputs, cut_table, location, config=None):
    """Draw the events of one simulated observation.

    Parameters
    ----------
    inputs : list of path-like
        DL2 files (gammas, protons, electrons).
    cut_table : QTable
        Cuts table of ``iactpipe irf`` (gamma-score and multiplicity cuts are applied).
    location : astropy.coordinates.EarthLocation
    config : mapping or path, optional

    Returns
    -------
    dict
        ``events`` (astropy Table with DL3 columns), ``meta`` (pointing, source, times, counts).
    """
    config = load_config(config)
    dl3 = config["dl3"]
    rng = np.random.default_rng(dl3["seed"])
    duration = dl3["duration_h"] * u.h
    names = {k: config["columns"][k] for k in ("geometry", "energy", "classification")}
    events, runs = read_many(inputs, **names)
    productions = group_productions(runs)
    by_kind = {}
    for production in productions:
        by_kind.setdefault((production.particle, production.diffuse), []).append(production)
    binning = Binning(config["binning"])
    gamma_spectrum = target_spectrum(config["spectra"]["gamma"])
    theta_s = dl3["source_offset"]

    def sample_of(kind):
        prods = by_kind[kind]
        sample = events[np.isin(events["obs_id"], [o for p in prods for o in p.obs_ids])]
        keep = cutlib.select(sample, cut_table, theta=False)
        keep &= sample["reco_source_fov_offset"] <= binning.fov_offset[-1]  # events within the IRF FoV
        return sample[keep], prods

    if ("gamma", True) in by_kind:
        signal, prods = sample_of(("gamma", True))
        edges = binning.fov_offset.to_value(u.deg)
        i = min(np.searchsorted(edges, theta_s, side="right") - 1, len(edges) - 2)
        low, high = edges[i] * u.deg, edges[i + 1] * u.deg
        high = min(high, max(p.info.viewcone_max for p in prods))
        if high <= low:
            raise ConfigurationError(f"dl3.source_offset = {theta_s} deg: outside the simulated view cone")
        region = (cone_solid_angle(high) - cone_solid_angle(low)).to(u.sr)
        signal = signal[(signal["true_source_fov_offset"] >= low) & (signal["true_source_fov_offset"] < high)]
        signal["weight"] = calculate_weights(signal, prods, lambda e: gamma_spectrum(e) / region, duration)
        signal_kind = f"diffuse gammas with true offset {low.value:g}-{high.value:g} deg"
    elif ("gamma", False) in by_kind:
        signal, prods = sample_of(("gamma", False))
        signal["weight"] = calculate_weights(signal, prods, gamma_spectrum, duration)
        signal_kind = "point-like gammas (on-axis response assumed at the source offset)"
    else:
        raise DataLevelError("inputs", "no simulated gammas among the input files")
    background = []
    for particle in ("proton", "electron"):
        if (particle, True) in by_kind:
            sample, prods = sample_of((particle, True))
            sample["weight"] = calculate_weights(sample, prods, target_spectrum(config["spectra"][particle]), duration)
            background.append(sample)

    pointing_alt = float(np.median(events["pointing_alt"].to_value(u.deg)))
    pointing_az = float(np.median(events["pointing_az"].to_value(u.deg)))
    start = Time(dl3["start_time"], scale="utc")
    stop = start + duration
    mid = start + duration / 2

    with iers.conf.set_temp("auto_download", False), iers.conf.set_temp("auto_max_age", None):
        pnt = SkyCoord(alt=pointing_alt * u.deg, az=pointing_az * u.deg,
                       frame=AltAz(obstime=mid, location=location)).icrs
        # source: at (offset, position angle) from the pointing in the FoV at mid time
        pa = np.radians(dl3["source_position_angle"])
        s_lon, s_lat = theta_s * np.sin(pa), theta_s * np.cos(pa)
        s_az, s_alt = altaz_from_fov(s_lon, s_lat, pointing_az, pointing_alt)
        src = SkyCoord(alt=s_alt * u.deg, az=s_az * u.deg, frame=AltAz(obstime=mid, location=location)).icrs

        drawn_sig, n_sig = _draw(rng, signal, float(np.sum(signal["weight"])))
        parts = []
        if n_sig:
            t_rel = np.sort(rng.uniform(0, duration.to_value(u.s), n_sig))
            drawn_sig = drawn_sig[rng.permutation(n_sig)]
            frames = _frames(t_rel, start, duration, location, pnt, src)
            s_lon_t, s_lat_t = frames["src_lon"], frames["src_lat"]
            t_lon, t_lat = drawn_sig["true_fov_lon"].to_value(u.deg), drawn_sig["true_fov_lat"].to_value(u.deg)
            r_lon, r_lat = drawn_sig["reco_fov_lon"].to_value(u.deg), drawn_sig["reco_fov_lat"].to_value(u.deg)
            on_axis = np.hypot(t_lon, t_lat) < 1e-6
            delta = np.where(on_axis, 0.0,
                             np.degrees(np.arctan2(s_lon_t, s_lat_t) - np.arctan2(t_lon, t_lat)))
            d_lon, d_lat = _rotate(r_lon - t_lon, r_lat - t_lat, -delta)
            parts.append((t_rel, frames, s_lon_t + d_lon, s_lat_t + d_lat, drawn_sig, np.ones(n_sig, bool)))
        n_bkg = 0
        if background:
            from astropy.table import vstack

            bkg = vstack(background)
            drawn_bkg, n_bkg = _draw(rng, bkg, float(np.sum(bkg["weight"])))
            if n_bkg:
                t_rel = np.sort(rng.uniform(0, duration.to_value(u.s), n_bkg))
                frames = _frames(t_rel, start, duration, location, pnt, src)
                lon, lat = _rotate(drawn_bkg["reco_fov_lon"].to_value(u.deg), drawn_bkg["reco_fov_lat"].to_value(u.deg),
                                   rng.uniform(0, 360, n_bkg))
                parts.append((t_rel, frames, lon, lat, drawn_bkg, np.zeros(n_bkg, bool)))
        columns = {k: [] for k in ("TIME", "RA", "DEC", "ALT", "AZ", "ENERGY", "GAMMANESS", "MULTIP", "IS_SIGNAL")}
        for t_rel, frames, lon, lat, drawn, is_signal in parts:
            az, alt = altaz_from_fov(lon, lat, frames["pnt_az"], frames["pnt_alt"])
            exact_az, exact_alt = altaz_from_fov(lon, lat, frames["exact_az"], frames["exact_alt"])
            ra, dec = np.empty(len(az)), np.empty(len(az))
            for chunk, (frame, sl) in enumerate(frames["chunks"]):
                c = SkyCoord(alt=alt[sl] * u.deg, az=az[sl] * u.deg, frame=frame).icrs
                ra[sl], dec[sl] = c.ra.deg, c.dec.deg
            columns["TIME"].append((start.tt - MJDREF).to_value(u.s) + t_rel)
            columns["RA"].append(ra)
            columns["DEC"].append(dec)
            columns["ALT"].append(exact_alt)
            columns["AZ"].append(exact_az)
            columns["ENERGY"].append(drawn["reco_energy"].to_value(u.TeV))
            columns["GAMMANESS"].append(np.asarray(drawn["gh_score"], float))
            columns["MULTIP"].append(np.asarray(drawn["multiplicity"], np.int16))
            columns["IS_SIGNAL"].append(is_signal)
    if parts:
        data = {k: np.concatenate(v) for k, v in columns.items()}
    else:
        data = {k: np.zeros(0) for k in columns}
    order = np.argsort(data["TIME"], kind="stable")
    table = Table()
    table["EVENT_ID"] = np.arange(1, len(order) + 1, dtype=np.int64)
    table["TIME"] = u.Quantity(data["TIME"][order], u.s)
    table["RA"] = u.Quantity(data["RA"][order], u.deg)
    table["DEC"] = u.Quantity(data["DEC"][order], u.deg)
    table["ENERGY"] = u.Quantity(data["ENERGY"][order], u.TeV)
    table["ALT"] = u.Quantity(data["ALT"][order], u.deg)
    table["AZ"] = u.Quantity(data["AZ"][order], u.deg)
    table["GAMMANESS"] = data["GAMMANESS"][order].astype(np.float32)
    table["MULTIP"] = data["MULTIP"][order].astype(np.int16)
    meta = dict(
        obs_id=int(dl3["obs_id"]), start=start, stop=stop, pointing=pnt, source=src,
        pointing_alt=pointing_alt, pointing_az=pointing_az, location=location,
        n_signal=int(n_sig), n_background=int(n_bkg),
        expected_signal=float(np.sum(signal["weight"])),
        expected_background=float(sum(np.sum(b["weight"]) for b in background)),
        signal_kind=signal_kind, target_name=dl3["target_name"], is_signal=data["IS_SIGNAL"][order],
    )
    log.info("observation %d: %d signal (expected %.1f, %s) + %d background (expected %.1f) events",
             meta["obs_id"], n_sig, meta["expected_signal"], signal_kind, n_bkg, meta["expected_background"])
    return {"events": table, "meta": meta}


def _common_header(meta):
    header = fits.Header()
    header["HDUCLASS"] = "GADF"
    header["HDUDOC"] = _HDUDOC
    header["HDUVERS"] = "0.3"
    header["OBS_ID"] = meta["obs_id"]
    header["TELESCOP"] = "CTA-SIM"
    header["INSTRUME"] = "iactpipe"
    header["ORIGIN"] = "iactpipe simulation"
    header["CREATOR"] = "iactpipe"
    _time_header(header)
    loc = meta["location"]
    header["GEOLON"] = (float(loc.lon.deg), "deg")
    header["GEOLAT"] = (float(loc.lat.deg), "deg")
    header["ALTITUDE"] = (float(loc.height.to_value(u.m)), "m")
    return header


def write_observation(observation, irf_path, path):
    """Write EVENTS, GTI, POINTING and the IRF HDUs of ``irf_path`` into one DL3 FITS file (atomic)."""
    from .pipeline import atomic_path

    meta, events = observation["meta"], observation["events"]
    tstart = (meta["start"].tt - MJDREF).to_value(u.s)
    tstop = (meta["stop"].tt - MJDREF).to_value(u.s)
    ontime = tstop - tstart
    header = _common_header(meta)
    header["HDUCLAS1"] = "EVENTS"
    header["TSTART"] = tstart
    header["TSTOP"] = tstop
    header["ONTIME"] = ontime
    header["LIVETIME"] = ontime
    header["DEADC"] = 1.0
    header["TELAPSE"] = ontime
    header["DATE-OBS"] = meta["start"].utc.isot[:10]
    header["TIME-OBS"] = meta["start"].utc.isot[11:]
    header["DATE-END"] = meta["stop"].utc.isot[:10]
    header["TIME-END"] = meta["stop"].utc.isot[11:]
    header["OBS_MODE"] = "POINTING"
    header["RA_PNT"] = float(meta["pointing"].ra.deg)
    header["DEC_PNT"] = float(meta["pointing"].dec.deg)
    header["ALT_PNT"] = meta["pointing_alt"]
    header["AZ_PNT"] = meta["pointing_az"]
    header["EQUINOX"] = 2000.0
    header["RADECSYS"] = "ICRS"
    header["OBJECT"] = meta["target_name"]
    header["RA_OBJ"] = float(meta["source"].ra.deg)
    header["DEC_OBJ"] = float(meta["source"].dec.deg)
    header["N_TELS"] = 13
    events_hdu = fits.BinTableHDU(events, header=header, name="EVENTS")
    gti = Table({"START": [tstart] * u.s, "STOP": [tstop] * u.s})
    gti_header = _common_header(meta)
    gti_header["HDUCLAS1"] = "GTI"
    gti_hdu = fits.BinTableHDU(gti, header=gti_header, name="GTI")
    pointing = Table({"TIME": [tstart] * u.s, "RA_PNT": [meta["pointing"].ra.deg] * u.deg,
                      "DEC_PNT": [meta["pointing"].dec.deg] * u.deg})
    p_header = _common_header(meta)
    p_header["HDUCLAS1"] = "POINTING"
    pointing_hdu = fits.BinTableHDU(pointing, header=p_header, name="POINTING")
    hdus = [fits.PrimaryHDU(), events_hdu, gti_hdu, pointing_hdu]
    with fits.open(irf_path) as irf:
        for hdu in irf[1:]:
            copy = fits.BinTableHDU(data=hdu.data.copy(), header=hdu.header.copy(), name=hdu.name)
            copy.header["OBS_ID"] = meta["obs_id"]
            hdus.append(copy)
    with atomic_path(path) as tmp:
        fits.HDUList(hdus).writeto(tmp)
    return path


_IRF_CLASSES = {"EFF_AREA": ("aeff", "aeff_2d"), "EDISP": ("edisp", "edisp_2d"), "PSF": ("psf", "psf_table"),
                "RAD_MAX": ("rad_max", "rad_max_2d")}


def write_index_tables(files, base_dir):
    """Write ``hdu-index.fits.gz`` and ``obs-index.fits.gz`` for DL3 files under ``base_dir`` (atomic)."""
    from .pipeline import atomic_path

    base_dir = Path(base_dir)
    hdu_rows, obs_rows = [], []
    for path in files:
        path = Path(path)
        rel_dir = os.path.relpath(path.parent, base_dir)
        with fits.open(path) as hdul:
            ev = hdul["EVENTS"].header
            obs_id = int(ev["OBS_ID"])
            for hdu in hdul[1:]:
                h = hdu.header
                c1, c2, c4 = h.get("HDUCLAS1", ""), h.get("HDUCLAS2", ""), h.get("HDUCLAS4", "")
                if c1 == "EVENTS":
                    kind = ("events", "events")
                elif c1 == "GTI":
                    kind = ("gti", "gti")
                elif c1 == "POINTING":
                    kind = ("pointing", "pointing")
                elif c2 == "BKG":
                    kind = ("bkg", c4.lower() or "bkg_2d")
                elif c2 in _IRF_CLASSES:
                    kind = (_IRF_CLASSES[c2][0], c4.lower() or _IRF_CLASSES[c2][1])
                else:
                    continue
                hdu_rows.append((obs_id, kind[0], kind[1], rel_dir, path.name, hdu.name, path.stat().st_size))
            n_events = len(hdul["EVENTS"].data)
            obs_rows.append(dict(
                OBS_ID=obs_id, OBS_MODE=ev["OBS_MODE"], RA_PNT=ev["RA_PNT"], DEC_PNT=ev["DEC_PNT"],
                ALT_PNT=ev["ALT_PNT"], AZ_PNT=ev["AZ_PNT"], ZEN_PNT=90.0 - ev["ALT_PNT"], TSTART=ev["TSTART"],
                TSTOP=ev["TSTOP"], ONTIME=ev["ONTIME"], LIVETIME=ev["LIVETIME"], DEADC=ev["DEADC"],
                DATE_OBS=ev["DATE-OBS"], TIME_OBS=ev["TIME-OBS"], DATE_END=ev["DATE-END"], TIME_END=ev["TIME-END"],
                N_TELS=ev["N_TELS"], OBJECT=ev["OBJECT"], RA_OBJ=ev["RA_OBJ"], DEC_OBJ=ev["DEC_OBJ"],
                EVENT_COUNT=n_events, QUALITY=0,
                GEOLON=ev["GEOLON"], GEOLAT=ev["GEOLAT"], ALTITUDE=ev["ALTITUDE"],
            ))
    hdu_table = Table(rows=hdu_rows, names=("OBS_ID", "HDU_TYPE", "HDU_CLASS", "FILE_DIR", "FILE_NAME", "HDU_NAME",
                                            "SIZE"))
    header = fits.Header()
    header["HDUCLASS"] = "GADF"
    header["HDUDOC"] = _HDUDOC
    header["HDUVERS"] = "0.3"
    header["HDUCLAS1"] = "INDEX"
    hdu_header = header.copy()
    hdu_header["HDUCLAS2"] = "HDU"
    obs_table = Table(rows=[list(r.values()) for r in obs_rows], names=[k.replace("_OBS", "-OBS").replace("_END", "-END")
                                                                        if k.startswith(("DATE", "TIME_")) else k
                                                                        for k in obs_rows[0]])
    obs_table.remove_columns(["GEOLON", "GEOLAT", "ALTITUDE"])
    obs_header = header.copy()
    obs_header["HDUCLAS2"] = "OBS"
    _time_header(obs_header)
    obs_header["GEOLON"] = obs_rows[0]["GEOLON"]
    obs_header["GEOLAT"] = obs_rows[0]["GEOLAT"]
    obs_header["ALTITUDE"] = obs_rows[0]["ALTITUDE"]
    for name, table, hdr, extname in (("hdu-index.fits.gz", hdu_table, hdu_header, "HDU_INDEX"),
                                      ("obs-index.fits.gz", obs_table, obs_header, "OBS_INDEX")):
        with atomic_path(base_dir / name) as tmp:
            fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(table, header=hdr, name=extname)]).writeto(tmp)
    return base_dir / "hdu-index.fits.gz", base_dir / "obs-index.fits.gz"


def make_dl3(inputs, irf_dir, output_dir, config=None, irf_kind="point_like", overwrite=False):
    """Simulate one observation and write its DL3 file plus the index tables; returns a summary dict."""
    from astropy.table import QTable

    from ..io.instrument_io import read_subarray_hdf5

    config = load_config(config)
    irf_dir, output_dir = Path(irf_dir), Path(output_dir)
    cuts_path = irf_dir / "cuts.ecsv"
    irf_path = irf_dir / f"irf_{irf_kind}.fits.gz"
    for path in (cuts_path, irf_path):
        if not path.is_file():
            raise DataLevelError(path, "missing (run iactpipe irf first)")
    obs_id = int(config["dl3"]["obs_id"])
    dl3_path = output_dir / f"obs_{obs_id:06d}.fits.gz"
    targets = [dl3_path, output_dir / "hdu-index.fits.gz", output_dir / "obs-index.fits.gz"]
    if any(p.exists() for p in targets) and not overwrite:
        raise ConfigurationError(f"{next(p for p in targets if p.exists())}: output file exists "
                                 "(use --overwrite to replace it)")
    cut_table = QTable.read(cuts_path, format="ascii.ecsv")
    ref = read_subarray_hdf5(inputs[0]).reference_location
    location = EarthLocation.from_geodetic(ref.lon_deg * u.deg, ref.lat_deg * u.deg, ref.height_m * u.m)
    observation = simulate_observation(inputs, cut_table, location, config)
    write_observation(observation, irf_path, dl3_path)
    write_index_tables(sorted(output_dir.glob("obs_*.fits.gz")), output_dir)
    meta = observation["meta"]
    return dict(file=str(dl3_path), obs_id=obs_id, n_events=len(observation["events"]), n_signal=meta["n_signal"],
                n_background=meta["n_background"], expected_signal=meta["expected_signal"],
                expected_background=meta["expected_background"], ra_pnt=float(meta["pointing"].ra.deg),
                dec_pnt=float(meta["pointing"].dec.deg), ra_obj=float(meta["source"].ra.deg),
                dec_obj=float(meta["source"].dec.deg), signal_kind=meta["signal_kind"])
