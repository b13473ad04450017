"""Run ctapipe's ``HillasReconstructor`` on the same Hillas parameters as `hillas_intersection`.

The reference for the equivalence tests and the speed benchmark; needs ctapipe (a test
dependency of iactpipe), imported only when these functions run. Nothing here is used
by the pipeline itself.
"""
import numpy as np

__all__ = ["ctapipe_events", "run_ctapipe"]


def ctapipe_events(event_ptr, tel_ids, fov_lon_deg, fov_lat_deg, psi_deg, intensity_pe, length_deg, width_deg,
                   n_pixels, tel_alt_deg, tel_az_deg, array_alt_deg, array_az_deg, obs_id=None, event_id=None):
    """Build ctapipe ``ArrayEventContainer`` s holding the given DL1 parameters and pointings.

    Parameters are as for `iactpipe.reco.geometry.hillas_intersection`, with ``tel_ids``
    (telescope ids, not indices) and ``n_pixels`` (for ctapipe's quality query) per row.

    Returns
    -------
    list of ctapipe.containers.ArrayEventContainer
    """
    import astropy.units as u
    from ctapipe.containers import (
        ArrayEventContainer,
        HillasParametersContainer,
        ImageParametersContainer,
        MorphologyContainer,
    )

    events = []
    for e in range(len(event_ptr) - 1):
        event = ArrayEventContainer()
        if obs_id is not None:
            event.index.obs_id = int(obs_id[e])
            event.index.event_id = int(event_id[e])
        event.monitoring.pointing.array_altitude = u.Quantity(np.deg2rad(array_alt_deg[e]), u.rad)
        event.monitoring.pointing.array_azimuth = u.Quantity(np.deg2rad(array_az_deg[e]), u.rad)
        rows = range(event_ptr[e], event_ptr[e + 1])
        event.trigger.tels_with_trigger = np.array([tel_ids[r] for r in rows], dtype=np.int16)
        for r in rows:
            tel_id = int(tel_ids[r])
            hillas = HillasParametersContainer(
                fov_lon=u.Quantity(fov_lon_deg[r], u.deg), fov_lat=u.Quantity(fov_lat_deg[r], u.deg),
                psi=u.Quantity(psi_deg[r], u.deg), intensity=float(intensity_pe[r]),
                length=u.Quantity(length_deg[r], u.deg), width=u.Quantity(width_deg[r], u.deg))
            event.dl1.tel[tel_id].parameters = ImageParametersContainer(
                hillas=hillas, morphology=MorphologyContainer(n_pixels=int(n_pixels[r])))
            pointing = event.monitoring.tel[tel_id].pointing
            pointing.altitude = u.Quantity(np.deg2rad(tel_alt_deg[r]), u.rad)
            pointing.azimuth = u.Quantity(np.deg2rad(tel_az_deg[r]), u.rad)
        events.append(event)
    return events


def run_ctapipe(subarray, events, shower_processor=False):
    """Reconstruct ``events`` with ctapipe; return its results as arrays.

    Parameters
    ----------
    subarray : ctapipe.instrument.SubarrayDescription
    events : list of ArrayEventContainer
        From `ctapipe_events`.
    shower_processor : bool
        Run through ``ShowerProcessor`` (as ``ctapipe-process`` does) instead of calling
        ``HillasReconstructor`` directly.

    Returns
    -------
    dict of ndarray
        ``alt, az, alt_uncert`` (deg), ``core_x, core_y, core_tilted_x, core_tilted_y,
        h_max`` (m), ``is_valid``, ``average_intensity``, ``telescopes`` (list of lists)
        and ``impact`` (dict tel_id -> m per event).
    """
    from ctapipe.reco import HillasReconstructor, ShowerProcessor

    if shower_processor:
        processor = ShowerProcessor(subarray=subarray, reconstructor_types=["HillasReconstructor"])
    else:
        processor = HillasReconstructor(subarray)
    out = {k: [] for k in ("alt", "az", "alt_uncert", "core_x", "core_y", "core_tilted_x", "core_tilted_y",
                           "h_max", "average_intensity", "is_valid", "telescopes", "impact")}
    for event in events:
        processor(event)
        geometry = event.dl2.stereo.geometry["HillasReconstructor"]
        for key, unit in (("alt", "deg"), ("az", "deg"), ("alt_uncert", "deg"), ("core_x", "m"), ("core_y", "m"),
                          ("core_tilted_x", "m"), ("core_tilted_y", "m"), ("h_max", "m")):
            value = getattr(geometry, key)
            out[key].append(np.nan if value is None else float(value.to_value(unit)))
        out["average_intensity"].append(float(geometry.average_intensity))
        out["is_valid"].append(bool(geometry.is_valid))
        out["telescopes"].append(list(geometry.telescopes or []))
        out["impact"].append({int(t): float(event.dl2.tel[t].impact["HillasReconstructor"].distance.to_value("m"))
                              for t in event.trigger.tels_with_trigger})
    for key in out:
        if key not in ("telescopes", "impact"):
            out[key] = np.asarray(out[key])
    return out
