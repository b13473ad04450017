"""One simulation run: throw showers, see them with the array, write a raw HDF5 file.

`simulate_run` is the engine of ``iactpipe simulate``. For each shower it generates the
Cherenkov emitters once (`showers.generate_shower`) and re-throws them at
``shower_reuse`` core positions; for each core it samples the photoelectrons at every
telescope (`light.photoelectrons_at_telescopes`), simulates trigger and waveforms of the
telescopes that saw light (`camera_response.simulate_camera_event`) and applies the array
trigger. Triggered events are buffered and written in batches, so memory is bounded by
the buffer size (``MAX_BUFFER_BYTES``), whatever the number of showers. Every thrown
shower enters the (energy x core distance) histogram.

Event numbering follows sim_telarray: ``event_id = 100 * shower_number + reuse_index``
(shower numbers from 1). All randomness comes from one generator seeded with
``config.run_seed``, so the same config gives identical file contents.
"""
from dataclasses import dataclass
import logging
import time

import numpy as np

from ..coordinates import altaz_to_direction
from ..instrument.catalog import build_array
from ..io import datamodel as dm
from .config import SimulationConfig

__all__ = ["simulate_run", "RunSummary", "energy_bin_edges", "MIN_PE_FOR_CAMERA", "RUN_EPOCH_UNIX_TAI"]

log = logging.getLogger(__name__)

#: Telescopes with fewer Cherenkov photoelectrons than this are not simulated further
#: (they cannot trigger: every default threshold is several times higher); this skips the
#: NSB-only accidental triggers of telescopes far from the shower, which are rare.
MIN_PE_FOR_CAMERA = 5

#: Buffered bytes of waveforms after which the buffered events are written.
MAX_BUFFER_BYTES = 64 * 2**20

#: Start time of run 1, seconds since 1970-01-01 TAI (2026-01-01T00:00:00 TAI); run ``r``
#: starts ``r - 1`` hours later, events follow at ``EVENT_SPACING_S``.
RUN_EPOCH_UNIX_TAI = 1767225600.0
EVENT_SPACING_S = 1e-3

#: Event type of simulated shower events (ctapipe's EventType.SUBARRAY).
EVENT_TYPE_SUBARRAY = 32


def energy_bin_edges():
    """Energy edges of the thrown-shower histogram: 1 GeV to 1 PeV, 0.05 dex (as sim_telarray), TeV."""
    return np.logspace(-3, 3, 121)


def core_bin_edges(max_scatter_m):
    """Core-distance edges of the thrown-shower histogram: 200 bins up to max(1000 m, scatter radius)."""
    return np.linspace(0.0, max(1000.0, float(max_scatter_m)), 201)


@dataclass
class RunSummary:
    """What a run produced (for logs and tests).

    Attributes
    ----------
    n_showers, n_thrown : int
        Showers simulated, and thrown events (showers x reuse).
    n_triggered : int
        Array-triggered events written.
    n_telescope_events : int
        Triggered telescope events written.
    wall_time_s : float
        Duration of the run, s.
    """

    n_showers: int
    n_thrown: int
    n_triggered: int
    n_telescope_events: int
    wall_time_s: float


def _atmosphere(config, observation_level_m):
    from .atmosphere import Atmosphere

    if config.atmosphere == "la_palma":
        return Atmosphere.la_palma(observation_level_m=observation_level_m)
    return Atmosphere.exponential(observation_level_m=observation_level_m)


class _TelescopeSetup:
    """Per-telescope arrays and camera models of the array, built once per run."""

    def __init__(self, subarray, config, rng):
        from .camera_response import build_camera_model, draw_calibration
        from .electronics import default_electronics

        self.tel_ids = subarray.tel_ids
        self.positions = subarray.positions_m
        models = {}
        self.models, self.calibrations = [], []
        for tel in subarray.telescopes:
            key = id(tel)
            if key not in models:
                overrides = config.electronics.get(tel.camera.name)
                models[key] = build_camera_model(tel, default_electronics(tel.camera.name, overrides))
            self.models.append(models[key])
        for model in self.models:
            self.calibrations.append(draw_calibration(model, None, rng))
        self.mirror_area = np.array([t.optics.mirror_area_m2 for t in subarray.telescopes])
        self.efficiency = np.array([config.efficiency[t.tel_type] for t in subarray.telescopes])
        # field-of-view radius: outer camera edge plus 3 PSF widths (light smeared into the camera)
        self.max_fov = np.array([np.rad2deg(t.camera.camera_radius / t.focal_length_m) + 3 * t.optics.psf_sigma_deg
                                 for t in subarray.telescopes])


class _EventBuffer:
    """Rows of triggered events waiting to be written."""

    def __init__(self, n_tels):
        self.n_tels = n_tels
        self.clear()

    def clear(self):
        self.shower, self.trigger, self.tel_trigger = [], [], []
        self.r0 = {}
        self.true_images = {}
        self.impact = {}
        self.n_bytes = 0

    def __len__(self):
        return len(self.shower)


def _impact_distance(tel_positions, core_x, core_y, direction):
    """Distance of each telescope to the shower axis through (core_x, core_y, 0), m."""
    offset = tel_positions - np.array([core_x, core_y, 0.0])
    along = offset @ direction
    return np.sqrt(np.maximum(np.einsum("ij,ij->i", offset, offset) - along**2, 0.0))


def _write_buffer(writer, buffer, config):
    if not len(buffer):
        return
    obs = np.int32(config.run)
    shower = {k: np.array([row[k] for row in buffer.shower]) for k in buffer.shower[0]}
    shower["obs_id"] = np.full(len(buffer), obs, np.int32)
    writer.append(dm.SHOWER, shower)
    trig = {k: np.array([row[k] for row in buffer.trigger]) for k in buffer.trigger[0]}
    trig["obs_id"] = np.full(len(buffer), obs, np.int32)
    writer.append(dm.R0_SUBARRAY_TRIGGER, trig, dims={"n_tels": buffer.n_tels})
    tel_trig = {k: np.array([row[k] for row in buffer.tel_trigger]) for k in buffer.tel_trigger[0]}
    tel_trig["obs_id"] = np.full(len(buffer.tel_trigger), obs, np.int32)
    writer.append(dm.R0_TELESCOPE_TRIGGER, tel_trig)
    for tel_id, rows in buffer.r0.items():
        n = len(rows["event_id"])
        base = {"obs_id": np.full(n, obs, np.int32), "event_id": np.array(rows["event_id"], np.int64),
                "tel_id": np.full(n, tel_id, np.int16)}
        writer.append(dm.R0, {**base, "event_type": np.full(n, EVENT_TYPE_SUBARRAY, np.uint8),
                              "waveform": np.stack(rows["waveform"])}, tel_id=tel_id)
        if config.write_true_images:
            images = np.stack(buffer.true_images[tel_id])
            writer.append(dm.TRUE_IMAGES, {**base, "true_image_sum": images.sum(axis=1, dtype=np.int64)
                                           .astype(np.int32), "true_image": images}, tel_id=tel_id)
        impact = np.array(buffer.impact[tel_id])
        writer.append(dm.TRUE_IMPACT, {**base, "true_impact_distance": impact,
                                       "true_impact_distance_uncert": np.zeros(n)}, tel_id=tel_id)
    buffer.clear()


def _run_table_row(config, subarray):
    obs = config.run
    return {
        "obs_id": [obs], "run_number": [obs], "corsika_version": [0], "simtel_version": [0],
        "energy_range_min": [config.energy_min_tev], "energy_range_max": [config.energy_max_tev],
        "prod_site_B_total": [np.nan], "prod_site_B_declination": [np.nan], "prod_site_B_inclination": [np.nan],
        "prod_site_alt": [subarray.reference_location.height_m], "spectral_index": [config.spectral_index],
        "shower_prog_start": [0], "shower_prog_id": [0], "detector_prog_start": [0], "detector_prog_id": [0],
        "n_showers": [config.n_showers], "shower_reuse": [config.shower_reuse],
        "max_alt": [config.pointing_alt_deg], "min_alt": [config.pointing_alt_deg],
        "max_az": [config.pointing_az_deg], "min_az": [config.pointing_az_deg],
        "diffuse": [config.diffuse], "max_viewcone_radius": [config.viewcone_max_deg],
        "min_viewcone_radius": [config.viewcone_min_deg],
        "max_scatter_range": [config.scatter_radius_max_m], "min_scatter_range": [config.scatter_radius_min_m],
        "core_pos_mode": [0], "atmosphere": [0], "corsika_iact_options": [0], "corsika_low_E_model": [0],
        "corsika_high_E_model": [0], "corsika_bunchsize": [1.0], "corsika_wlen_min": [300.0],
        "corsika_wlen_max": [600.0], "corsika_low_E_detail": [0], "corsika_high_E_detail": [0],
    }


def _calibration_rows(setup, tel_index, obs_id):
    cal = setup.calibrations[tel_index]
    return {
        "obs_id": np.array([obs_id], np.int32), "tel_id": np.array([setup.tel_ids[tel_index]], np.int16),
        "pedestal_per_sample": cal.pedestal_per_sample[None].astype(np.float32),
        "dc_to_pe": cal.dc_to_pe[None].astype(np.float32),
        "noise": cal.noise_adc[None].astype(np.float32),
        "pixel_status": cal.pixel_status[None],
    }


def simulate_run(config, output, argv=None, progress=False, overwrite=False):
    """Simulate one run and write it to ``output`` (atomically).

    Parameters
    ----------
    config : SimulationConfig
        Run settings (validated).
    output : path-like
        HDF5 file to create.
    argv : sequence of str, optional
        Command line for provenance.
    progress : bool
        Show a progress bar over showers.
    overwrite : bool
        Replace an existing ``output``.

    Returns
    -------
    RunSummary
    """
    from ..io.hdf5 import HDF5Writer
    from ..io.instrument_io import write_subarray
    from ..io.provenance import collect_provenance
    from .camera_response import simulate_camera_event
    from .light import photoelectrons_at_telescopes
    from .primaries import sample_cores, sample_directions, sample_power_law
    from .showers import generate_shower
    from .trigger import array_trigger

    if not isinstance(config, SimulationConfig):
        raise TypeError("config must be a SimulationConfig")
    start = time.perf_counter()
    rng = np.random.default_rng(config.run_seed)
    subarray = build_array(config.array)
    atmosphere = _atmosphere(config, subarray.reference_location.height_m)
    setup = _TelescopeSetup(subarray, config, rng)
    n_tels = subarray.n_tels
    e_edges, r_edges = energy_bin_edges(), core_bin_edges(config.scatter_radius_max_m)
    histogram = np.zeros((len(e_edges) - 1, len(r_edges) - 1))
    run_start = RUN_EPOCH_UNIX_TAI + 3600.0 * (config.run - 1)

    provenance = collect_provenance(activity="simulate", config={"simulation": config.to_dict()},
                                    seed=config.run_seed, argv=argv)
    buffer = _EventBuffer(n_tels)
    n_triggered = n_tel_events = 0
    showers = range(1, config.n_showers + 1)
    if progress:
        from tqdm import tqdm

        showers = tqdm(showers, desc=f"run {config.run} ({config.particle})", unit="shower")

    log.info("simulating run %d: %d %s showers x %d reuse with %s, seed %d", config.run, config.n_showers,
             config.particle, config.shower_reuse, subarray.name, config.run_seed)
    with HDF5Writer(output, provenance=provenance, overwrite=overwrite) as writer:
        write_subarray(writer, subarray)
        writer.append(dm.SIMULATION_RUN, _run_table_row(config, subarray))
        for index in range(n_tels):
            tel_id = int(setup.tel_ids[index])
            writer.append(dm.TELESCOPE_POINTING, {
                "obs_id": [config.run], "tel_id": [tel_id], "telescope_pointing_azimuth": [config.pointing_az_deg],
                "telescope_pointing_altitude": [config.pointing_alt_deg]}, tel_id=tel_id)
            writer.append(dm.CAMERA_CALIBRATION, _calibration_rows(setup, index, config.run),
                          tel_id=int(setup.tel_ids[index]))

        for shower_number in showers:
            energy = float(sample_power_law(rng, 1, config.energy_min_tev, config.energy_max_tev,
                                            config.spectral_index)[0])
            alt, az = sample_directions(rng, 1, config.pointing_alt_deg, config.pointing_az_deg,
                                        config.viewcone_min_deg, config.viewcone_max_deg, config.source_offset_deg)
            alt, az = float(alt[0]), float(az[0])
            emitters, truth = generate_shower(config.primary, energy, alt, az, atmosphere, rng)
            direction = altaz_to_direction(alt, az)
            cores_x, cores_y, radius = sample_cores(rng, config.shower_reuse, alt, az, config.scatter_radius_min_m,
                                                    config.scatter_radius_max_m, config.core_scatter_plane)
            histogram += np.histogram2d(np.full(config.shower_reuse, energy), radius, bins=(e_edges, r_edges))[0]

            for reuse in range(config.shower_reuse):
                core_x, core_y = float(cores_x[reuse]), float(cores_y[reuse])
                pe = photoelectrons_at_telescopes(
                    emitters, core_x, core_y, setup.positions, setup.mirror_area, setup.efficiency,
                    config.pointing_alt_deg, config.pointing_az_deg, atmosphere, rng, setup.max_fov)
                n_pe = pe.n_pe
                events = {}
                for index in np.flatnonzero(n_pe >= MIN_PE_FOR_CAMERA):
                    lon, lat, t = pe.telescope(index)
                    event = simulate_camera_event(setup.models[index], lon, lat, t, setup.calibrations[index], rng)
                    if event.triggered:
                        events[index] = event
                mask = np.zeros(n_tels, bool)
                mask[list(events)] = True
                if not array_trigger(mask[None, :], config.min_telescopes)[0]:
                    continue
                event_id = 100 * shower_number + reuse
                event_time = run_start + EVENT_SPACING_S * event_id
                buffer.shower.append({
                    "event_id": event_id, "true_energy": energy, "true_alt": alt, "true_az": az,
                    "true_core_x": core_x, "true_core_y": core_y,
                    "true_h_first_int": truth["h_first_int_m"], "true_x_max": truth["x_max_g_cm2"],
                    "true_starting_grammage": truth["starting_grammage"],
                    "true_shower_primary_id": config.primary_id})
                buffer.trigger.append({"event_id": event_id, "time": event_time, "tels_with_trigger": mask,
                                       "event_type": EVENT_TYPE_SUBARRAY})
                impacts = _impact_distance(setup.positions, core_x, core_y, direction)
                for index, event in sorted(events.items()):
                    tel_id = int(setup.tel_ids[index])
                    r0 = buffer.r0.setdefault(tel_id, {"event_id": [], "waveform": []})
                    r0["event_id"].append(event_id)
                    r0["waveform"].append(event.waveform)
                    buffer.true_images.setdefault(tel_id, []).append(event.true_image)
                    buffer.impact.setdefault(tel_id, []).append(impacts[index])
                    buffer.tel_trigger.append({
                        "event_id": event_id, "tel_id": tel_id,
                        "time": event_time + 1e-9 * event.trigger_time_ns,
                        "event_type": EVENT_TYPE_SUBARRAY, "n_trigger_pixels": -1})
                    buffer.n_bytes += event.waveform.nbytes
                n_triggered += 1
                n_tel_events += len(events)
            if buffer.n_bytes > MAX_BUFFER_BYTES or shower_number % config.chunk_showers == 0:
                _write_buffer(writer, buffer, config)
        _write_buffer(writer, buffer, config)
        writer.append(dm.SHOWER_DISTRIBUTION, {
            "obs_id": [config.run], "hist_id": [6], "n_entries": [config.n_showers * config.shower_reuse],
            "bins_energy": e_edges[None], "bins_core_dist": r_edges[None], "histogram": histogram[None]},
            dims={"n_energy_edges": len(e_edges), "n_core_edges": len(r_edges),
                  "n_energy_bins": len(e_edges) - 1, "n_core_bins": len(r_edges) - 1})

    summary = RunSummary(config.n_showers, config.n_showers * config.shower_reuse, n_triggered, n_tel_events,
                         time.perf_counter() - start)
    log.info("run %d: %d of %d thrown events triggered (%d telescope events) in %.1f s", config.run,
             n_triggered, summary.n_thrown, n_tel_events, summary.wall_time_s)
    return summary

