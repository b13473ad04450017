"""R0 (our raw HDF5 or sim_telarray) -> DL1: calibrate, extract, clean, parametrise, write.

`process_file` streams the input in `TelescopeBatch` es (at most ``batch_events``
telescope events of one telescope type), so memory stays bounded whatever the input
size. Per batch, all array work is done by numba kernels:

1. R0 -> R1 (`iactpipe.calib.r1.r0_to_r1`): gain selection, pedestal subtraction,
   dc-to-pe;
2. charge / peak-time extraction (`iactpipe.calib.extractors`), integration correction;
   NeighborPeakWindowSum (the default) does steps 1 and 2 in one pass per event
   (``from_r0``), with the same numbers and without a batch-sized R1 array;
3. invalid pixels (broken in the calibration, or with non-finite samples): charge and
   time set to 0, or replaced by the mean of their valid neighbours
   (``invalid_pixels.interpolate``);
4. tail-cut cleaning and image parameters (`iactpipe.image`); images failing the image
   quality criteria get NaN parameters and ``is_valid`` False.

The output holds DL1 parameters per telescope (and images with ``write_images``), the
array trigger (as ``/dl1/event/subarray/trigger``), the instrument, the simulation run,
shower distribution, shower truth, true images and impact (when present in the input)
and provenance with the full configuration.

``n_jobs > 1`` processes batches in worker processes (forked where the platform allows,
so they start at once with everything imported); results are written in input order,
so the output is identical to ``n_jobs=1``. With an HDF5 input each worker reads its own
batches, and the main process writes the output and computes the input's checksum in a
thread meanwhile. The R0 and truth tables of an HDF5 input are read without HDF5's
chunk cache, which would otherwise grow by up to 16 MiB per table with the input size.
"""
import logging
from dataclasses import dataclass

import numpy as np

from ..calib.extractors import make_extractor
from ..calib.r1 import r0_to_r1
from ..errors import InputFileError
from ..io import datamodel as dm
from ..io.events import PIXEL_BROKEN
from .config import ProcessConfig

__all__ = ["process_file", "process_batch", "ProcessSummary", "TelescopeSetup"]

log = logging.getLogger(__name__)

#: telescope events per batch
BATCH_EVENTS = 128


@dataclass
class ProcessSummary:
    """What `process_file` did."""

    n_events: int
    n_telescope_events: int
    n_valid_images: int
    truncated: bool
    output: str


class TelescopeSetup:
    """Everything the per-batch work needs for one telescope type (picklable)."""

    def __init__(self, description, config):
        self.description = description
        self.config = config
        self.extractor = make_extractor(config.extractor_name, description, **config.extractor_params)
        neighbors = description.camera.neighbors
        self.indptr = np.asarray(neighbors.indptr, np.int64)
        self.indices = np.asarray(neighbors.indices, np.int64)
        self._angles = None

    @property
    def angles(self):
        if self._angles is None:
            from ..image.geometry import camera_angles

            self._angles = camera_angles(self.description.camera, self.description.optics.focal_length_m)
        return self._angles

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_angles"] = None
        return state

    def prepare(self):
        """Compute what is otherwise built at first use (camera angles, neighbour table).

        Forked workers then inherit it instead of each computing it again.
        """
        _ = self.angles
        if hasattr(self.extractor, "neighbor_table"):
            self.extractor.neighbor_table()
        return self


def _calibration_arrays(calibrations, tel_ids, n_channels, n_pixels):
    """Per-event pedestal, dc_to_pe (n, n_channels, n_pixels), broken (n, n_pixels), time shift.

    A batch of one telescope (every batch of an HDF5 input) gets read-only broadcast views
    of that telescope's arrays instead of copies per event.
    """
    unique = np.unique(tel_ids)
    if len(unique) == 1:
        return _telescope_calibration(calibrations, int(unique[0]), len(tel_ids), n_channels, n_pixels)
    pedestal = np.zeros((len(tel_ids), n_channels, n_pixels), np.float32)
    dc_to_pe = np.zeros((len(tel_ids), n_channels, n_pixels), np.float32)
    broken = np.zeros((len(tel_ids), n_pixels), bool)
    time_shift = None
    for tel_id in unique:
        rows = tel_ids == tel_id
        calib = calibrations.get(int(tel_id))
        if calib is None:
            raise InputFileError("<input>", f"telescope {int(tel_id)} has no calibration coefficients")
        pedestal[rows] = calib.pedestal_per_sample
        dc_to_pe[rows] = calib.dc_to_pe
        broken[rows] = (np.asarray(calib.pixel_status) & PIXEL_BROKEN) != 0
        if calib.time_shift is not None:
            if time_shift is None:
                time_shift = np.zeros((len(tel_ids), n_channels, n_pixels), np.float32)
            time_shift[rows] = calib.time_shift
    return pedestal, dc_to_pe, broken, time_shift


def _telescope_calibration(calibrations, tel_id, n, n_channels, n_pixels):
    """`_calibration_arrays` of ``n`` events of telescope ``tel_id``, as zero-stride views."""
    calib = calibrations.get(tel_id)
    if calib is None:
        raise InputFileError("<input>", f"telescope {tel_id} has no calibration coefficients")

    def per_event(values, shape, dtype):
        return np.broadcast_to(np.asarray(values, dtype).reshape(shape), (n,) + shape)

    coefficients = (n_channels, n_pixels)
    broken = (np.asarray(calib.pixel_status) & PIXEL_BROKEN) != 0
    time_shift = None if calib.time_shift is None else per_event(calib.time_shift, coefficients, np.float32)
    return (per_event(calib.pedestal_per_sample, coefficients, np.float32),
            per_event(calib.dc_to_pe, coefficients, np.float32), per_event(broken, (n_pixels,), bool), time_shift)


def process_batch(setup, waveforms, pedestal, dc_to_pe, broken, time_shift=None):
    """Calibrate, extract, clean and parametrise one batch of one telescope type.

    Returns
    -------
    dict with ``image``, ``peak_time`` (float32 (n, n_pixels)), ``image_mask`` (bool),
    ``is_valid`` (bool (n,)) and ``parameters`` (dict of DL1_PARAMETERS columns).
    """
    from ..image.cleaning import tailcuts_clean

    config = setup.config
    n = len(waveforms)
    if waveforms.shape[-1] > 1 and hasattr(setup.extractor, "from_r0"):
        # calibration and extraction per event, without a batch-sized R1 array
        image, peak_time, extraction_ok, gain, invalid = setup.extractor.from_r0(
            waveforms, pedestal, dc_to_pe, config.gain_threshold_adc, broken)
    else:
        r1, gain, finite = r0_to_r1(waveforms, pedestal, dc_to_pe, gain_selection=True,
                                    gain_threshold_adc=config.gain_threshold_adc, return_finite=True)
        r1 = r1[:, 0]
        invalid = broken | ~finite
        if not finite.all():
            r1 = np.where(finite[..., np.newaxis], r1, np.float32(0.0))
        if r1.shape[-1] == 1:
            image = r1[..., 0].astype(np.float32)
            peak_time = np.zeros_like(image)
            extraction_ok = np.ones(n, bool)
        else:
            image, peak_time, extraction_ok = setup.extractor(r1, gain, invalid)
    if time_shift is not None:
        shift = np.take_along_axis(time_shift, gain[:, np.newaxis, :].astype(np.intp), axis=1)[:, 0]
        peak_time -= shift
    if invalid.any():
        if config.interpolate_invalid:
            from ..calib._extractor_kernels import interpolate_invalid

            interpolate_invalid(image, peak_time, np.ascontiguousarray(invalid), setup.indptr, setup.indices)
        else:
            image[invalid] = 0.0
            peak_time[invalid] = 0.0
    cleaning = config.cleaning
    masks = tailcuts_clean(image, setup.description.camera.neighbors, cleaning["picture_threshold_pe"],
                           cleaning["boundary_threshold_pe"],
                           keep_isolated_pixels=cleaning["keep_isolated_pixels"],
                           min_number_picture_neighbors=cleaning["min_picture_neighbors"])
    masks = np.asarray(masks, bool).reshape(image.shape)
    quality = config.image_quality
    cleaned_sum = np.where(masks, image, 0.0).sum(axis=1)
    good = (cleaned_sum > quality["min_intensity_pe"]) & (masks.sum(axis=1) >= quality["min_pixels"])
    parameters = _parameters(setup, image, peak_time, masks, good)
    return {"image": image, "peak_time": peak_time, "image_mask": masks, "is_valid": extraction_ok,
            "parameters": parameters, "n_valid": int(np.count_nonzero(parameters["is_valid"]))}


def _parameters(setup, image, peak_time, masks, good):
    from ..image.parameters import image_parameters

    masks_for_parameters = masks & good[:, np.newaxis]
    parameters = dict(image_parameters(setup.angles, image, peak_time, masks_for_parameters))
    valid = np.asarray(parameters.get("is_valid", np.ones(len(image), bool)), bool) & good
    parameters["is_valid"] = valid
    for key, values in parameters.items():
        values = np.asarray(values)
        if key != "is_valid" and values.dtype.kind == "f" and not valid.all():
            values = values.copy()
            values[~valid] = np.nan
        parameters[key] = values
    return parameters


def _batch_job(args):
    setup, waveforms, pedestal, dc_to_pe, broken, time_shift, write_images = args
    return _light_result(process_batch(setup, waveforms, pedestal, dc_to_pe, broken, time_shift), write_images)


class _TruthRecorder:
    """``event_filter`` for event-wise sources: records trigger and shower rows, keeps every event."""

    def __init__(self, tel_ids):
        self.tel_ids = np.asarray(tel_ids)
        self.trigger = []
        self.shower = []
        self.n_events = 0

    def __call__(self, event):
        self.n_events += 1
        mask = np.isin(self.tel_ids, np.asarray(event.tels_with_trigger if event.tels_with_trigger is not None
                                                else list(event.tel)))
        time = event.time if event.time is not None else np.zeros(2, np.uint32)
        self.trigger.append((event.obs_id, event.event_id, np.asarray(time, np.uint32), mask, event.event_type))
        if event.shower is not None:
            self.shower.append({"obs_id": event.obs_id, "event_id": event.event_id, **event.shower})
        return True

    def flush(self, writer):
        if self.trigger:
            obs, ev, time, mask, etype = zip(*self.trigger)
            writer.append(dm.DL1_SUBARRAY_TRIGGER, {
                "obs_id": np.array(obs, np.int32), "event_id": np.array(ev, np.int64), "time": np.stack(time),
                "tels_with_trigger": np.stack(mask), "event_type": np.array(etype, np.uint8)},
                dims={"n_tels": len(self.tel_ids)})
            self.trigger = []
        if self.shower:
            columns = {key: np.array([row[key] for row in self.shower]) for key in self.shower[0]}
            writer.append(dm.SHOWER, columns)
            self.shower = []


_COPY_TABLES = ((dm.SHOWER, dm.SHOWER), (dm.R0_SUBARRAY_TRIGGER, dm.DL1_SUBARRAY_TRIGGER))
_COPY_TEL_TABLES = (dm.TRUE_IMAGES, dm.TRUE_IMPACT)


def _copy_table(h5, writer, source_schema, target_schema, tel_id=None):
    path = source_schema.path(tel_id=tel_id)
    if path in h5:
        writer.copy_table(h5.get_node(path), target_schema, tel_id=tel_id)


def _open_uncached(path):
    """The HDF5 file ``path`` read-only, without HDF5's per-dataset chunk cache.

    Every row here is read once, so the cache (16 MiB per table by default, filled as
    the tables are read: one R0 and one true-image table per telescope) would only make
    the memory grow with the input size, and copy every R0 chunk once more.
    """
    import tables

    return tables.open_file(str(path), "r", CHUNK_CACHE_SIZE=0)


def _copy_hdf5_truth(input_path, subarray, writer):
    with _open_uncached(input_path) as h5:
        for source_schema, target_schema in _COPY_TABLES:
            _copy_table(h5, writer, source_schema, target_schema)
        for tel_id in subarray.tel_ids:
            for schema in _COPY_TEL_TABLES:
                _copy_table(h5, writer, schema, schema, tel_id=int(tel_id))


def _write_run_tables(source, writer):
    if source.simulation_config is not None:
        writer.append(dm.SIMULATION_RUN, {k: np.array([v]) for k, v in source.simulation_config.items()})
    if source.shower_distribution is not None:
        writer.append(dm.SHOWER_DISTRIBUTION, {k: np.array([v]) for k, v in source.shower_distribution.items()})


def _write_batch(writer, batch_meta, result, write_images):
    tel_ids, obs_id, event_id = batch_meta
    for tel_id in np.unique(tel_ids):
        rows = tel_ids == tel_id
        index = {"obs_id": obs_id[rows], "event_id": event_id[rows], "tel_id": tel_ids[rows]}
        params = {key: np.asarray(value)[rows] for key, value in result["parameters"].items()}
        columns = {c.name for c in dm.DL1_PARAMETERS.columns}
        writer.append(dm.DL1_PARAMETERS, {**index, **{k: v for k, v in params.items() if k in columns}},
                      tel_id=int(tel_id))
        if write_images:
            writer.append(dm.DL1_IMAGES, {**index, "image": result["image"][rows],
                                          "peak_time": result["peak_time"][rows],
                                          "image_mask": result["image_mask"][rows],
                                          "is_valid": result["is_valid"][rows]}, tel_id=int(tel_id))


def _write_true_images(writer, batch):
    if batch.true_images is None:
        return
    for tel_id in np.unique(batch.tel_id):
        rows = (batch.tel_id == tel_id) & (batch.true_images[:, 0] >= 0) if batch.true_images.size else None
        if rows is None or not rows.any():
            continue
        images = batch.true_images[rows]
        writer.append(dm.TRUE_IMAGES, {"obs_id": batch.obs_id[rows], "event_id": batch.event_id[rows],
                                       "tel_id": batch.tel_id[rows],
                                       "true_image_sum": images.sum(axis=1).astype(np.int32),
                                       "true_image": images}, tel_id=int(tel_id))


def process_file(input_path, output_path, config=None, write_images=False, n_jobs=1, allow_truncated=False,
                 progress=False, argv=None, overwrite=False, batch_events=BATCH_EVENTS):
    """Process a raw file to DL1 (see module docstring).

    Parameters
    ----------
    input_path : path-like
        Our raw HDF5 file or a sim_telarray file.
    output_path : path-like
        DL1 HDF5 file to write (atomically).
    config : ProcessConfig or dict or None
        Processing configuration (defaults if None).
    write_images : bool
        Also write ``/dl1/event/telescope/images``.
    n_jobs : int
        Worker processes (1: in-process).
    allow_truncated : bool
        Process the complete events of a truncated sim_telarray file (warning recorded in
        the provenance) instead of failing.
    progress : bool
        Show a progress bar (tqdm) on stderr.
    argv : list of str, optional
        Command line for the provenance.

    Returns
    -------
    ProcessSummary
    """
    from ..io import open_events
    from ..io.hdf5 import HDF5Writer
    from ..io.instrument_io import write_subarray

    if not isinstance(config, ProcessConfig):
        config = ProcessConfig(config)
    if int(n_jobs) < 1:
        from ..errors import ConfigurationError

        raise ConfigurationError(f"n_jobs must be >= 1, got {n_jobs}")
    n_jobs = int(n_jobs)
    source = open_events(input_path, allow_truncated=allow_truncated)
    with source:
        subarray = source.subarray
        config.check_subarray(subarray)
        is_hdf5 = source.format == "hdf5"
        recorder = None if is_hdf5 else _TruthRecorder(subarray.tel_ids)
        counts = {"tel_events": 0, "valid": 0}
        provenance_config = {"process": config.to_dict(), "write_images": bool(write_images),
                             "n_jobs": n_jobs, "allow_truncated": bool(allow_truncated)}
        pool = results = checksum = worker = bar = None
        try:
            # an HDF5 input's batches are row ranges: each process reads its own, so only
            # the (small) results travel between processes
            plan = source.batch_plan(batch_events) if is_hdf5 else None
            if n_jobs > 1:
                # the workers start (fork) before the output file exists and before any
                # thread of ours (progress bar, checksum), so none inherits them; they
                # inherit the telescope set-ups (neighbours, camera angles) built here once
                setups = ({tel_id: _setup_for({}, subarray.telescope(tel_id), config).prepare()
                           for tel_id in sorted({job[0] for job in plan})} if is_hdf5 else None)
                pool = _OrderedPool(n_jobs, _init_worker, (str(input_path) if is_hdf5 else None, config,
                                                           bool(write_images), setups,
                                                           _SourceInfo(subarray, source.calibration)))
                # the input's checksum (provenance) is the one serial pass over the whole
                # input: with n_jobs > 1 a thread of this (otherwise mostly waiting) process
                # computes it while the workers process the batches
                checksum = _start_checksum(input_path)
            bar = _progress_bar(progress, source)
            if is_hdf5:
                if pool is None:
                    worker = _BatchWorker(source, input_path, config, write_images)
                    results = (worker(job) for job in plan)
                else:
                    # the first jobs are submitted now, before this process writes the
                    # instrument and the truth tables
                    results = pool.ordered(plan, _worker_job)
            with HDF5Writer(output_path, overwrite=overwrite) as writer:
                write_subarray(writer.h5file, subarray)
                if is_hdf5:
                    _copy_hdf5_truth(input_path, subarray, writer)
                else:
                    jobs = _simtel_jobs(source, config, writer, recorder, batch_events, write_images)
                    results = (((meta, _batch_job(args)) for meta, args in jobs) if pool is None
                               else pool.ordered(jobs, _batch_job, with_meta=True))
                for meta, result in results:
                    _write_batch(writer, meta, result, write_images)
                    counts["tel_events"] += len(meta[0])
                    counts["valid"] += result["n_valid"]
                    if bar is not None:
                        bar.update(len(meta[0]))
                if recorder is not None:
                    recorder.flush(writer)
                    n_events = recorder.n_events
                else:
                    n_events = source.n_events
                _write_run_tables(source, writer)
                if source.truncated:
                    provenance_config["truncation_warning"] = source.truncation_message
                writer.provenance = _provenance(provenance_config, input_path, argv, checksum)
                writer.provenance.extra["truncated"] = bool(source.truncated)
                if source.truncated:
                    writer.provenance.extra["warnings"] = [source.truncation_message]
        finally:
            if pool is not None:
                pool.shutdown()
            if worker is not None:
                worker.close()
            if bar is not None:
                bar.close()
    log.info("processed %d telescope events (%d valid images) of %d events", counts["tel_events"],
             counts["valid"], n_events)
    return ProcessSummary(n_events=int(n_events), n_telescope_events=counts["tel_events"],
                          n_valid_images=counts["valid"], truncated=bool(source.truncated), output=str(output_path))


def _simtel_jobs(source, config, writer, recorder, batch_events, write_images):
    """``(meta, args of _batch_job)`` per batch of an event-wise (sim_telarray) source.

    Reading the source also records the trigger and shower rows (``recorder``) and
    writes the true images, in input order.
    """
    setups = {}
    for batch in source.iter_batches(max_events=batch_events, event_filter=recorder):
        setup = _setup_for(setups, batch.description, config)
        n_channels, n_pixels = batch.waveforms.shape[1:3]
        pedestal, dc_to_pe, broken, time_shift = _calibration_arrays(source.calibration, batch.tel_id,
                                                                    n_channels, n_pixels)
        _write_true_images(writer, batch)
        recorder.flush(writer)
        meta = (batch.tel_id, batch.obs_id, batch.event_id)
        yield meta, (setup, batch.waveforms, pedestal, dc_to_pe, broken, time_shift, write_images)


def _start_checksum(path):
    """Start hashing ``path`` in a thread (hashlib releases the GIL); a Future of its `InputFile`."""
    from concurrent.futures import ThreadPoolExecutor

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iactpipe-checksum")
    future = executor.submit(_input_record, path)
    executor.shutdown(wait=False)  # the thread ends with the hash
    return future


def _input_record(path):
    import os
    from pathlib import Path

    from ..io.provenance import InputFile, sha256_file

    path = Path(path)
    return InputFile(path=os.fspath(path), sha256=sha256_file(path), size_bytes=path.stat().st_size)


def _provenance(provenance_config, input_path, argv, checksum=None):
    """The output's provenance; the input record from ``checksum`` (a Future) if given."""
    import dataclasses

    from ..io.provenance import collect_provenance

    if checksum is None:
        return collect_provenance("process", provenance_config, inputs=[input_path], argv=argv)
    provenance = collect_provenance("process", provenance_config, inputs=[], argv=argv)
    return dataclasses.replace(provenance, inputs=(checksum.result(),))


def _setup_for(setups, description, config):
    """The `TelescopeSetup` of ``description`` from the cache ``setups`` (built on first use)."""
    key = id(description)
    if key not in setups:
        setups[key] = TelescopeSetup(description, config.for_telescope(description))
    return setups[key]


def _light_result(result, write_images):
    """``result`` without the per-pixel arrays when no images are written (less to pickle)."""
    if write_images:
        return result
    return {key: value for key, value in result.items() if key not in ("image", "peak_time", "image_mask")}


class _BatchWorker:
    """Reads one planned batch (``(tel_id, start, stop)``) of an HDF5 input and processes it.

    The R0 rows are read through an uncached handle of their own (`_open_uncached`);
    ``source`` (the input as `open_events` opens it, or its `_SourceInfo`) gives the
    instrument and the calibration. `close` closes the handle.
    """

    def __init__(self, source, path, config, write_images=True, setups=None):
        self.source = source
        self.config = config
        self.write_images = write_images
        self.setups = {}
        self.setups_by_tel = dict(setups or {})  # tel_id -> TelescopeSetup built by the caller
        self._h5 = _open_uncached(path)
        self._buffers = {}  # R0 row dtype -> reused read buffer

    def read(self, tel_id, start, stop):
        """Rows ``start:stop`` of telescope ``tel_id``'s R0 table: (tel_id, obs_id, event_id) and waveforms.

        Only the R0 table is read (`HDF5EventSource.read_batch` also reads the true
        images, which `_copy_hdf5_truth` copies on its own). The rows go into a buffer
        reused from batch to batch (per row type): a fresh array of tens of MB per batch
        costs as much system time in page faults as the copy itself. The waveforms
        returned are valid until the next call.
        """
        node = self._h5.get_node(dm.R0.path(tel_id=tel_id))
        n_rows = stop - start
        buffer = self._buffers.get(node.dtype)
        if buffer is None or len(buffer) < n_rows:
            buffer = self._buffers[node.dtype] = np.empty(n_rows, node.dtype)
        rows = buffer[:n_rows]
        node.read(start=start, stop=stop, out=rows)
        meta = (rows["tel_id"].astype(np.int16), rows["obs_id"].astype(np.int32), rows["event_id"].astype(np.int64))
        return meta, rows["waveform"]

    def __call__(self, job):
        tel_id, start, stop = job
        meta, waveforms = self.read(tel_id, start, stop)
        setup = self.setups_by_tel.get(tel_id)
        if setup is None:
            setup = _setup_for(self.setups, self.source.subarray.telescope(tel_id), self.config)
        n_channels, n_pixels = waveforms.shape[1:3]
        pedestal, dc_to_pe, broken, time_shift = _calibration_arrays(self.source.calibration, meta[0],
                                                                    n_channels, n_pixels)
        result = process_batch(setup, waveforms, pedestal, dc_to_pe, broken, time_shift)
        return meta, _light_result(result, self.write_images)

    def close(self):
        self._h5.close()


#: the worker process's own reader of an HDF5 input (set by `_init_worker`, in worker processes only)
_PROCESS_WORKER = None


class _SourceInfo:
    """What a worker needs of the open input: its ``subarray`` and ``calibration``.

    Given to the workers by the parent process, which has read them already: opening the
    input once more per worker (`open_events` checks and reads the whole file layout)
    costs 0.2 s of CPU each.
    """

    def __init__(self, subarray, calibration):
        self.subarray = subarray
        self.calibration = calibration


def _init_worker(path, config, write_images, setups, source_info):
    """Worker start-up: open the HDF5 input ``path`` (None: jobs carry their waveforms).

    ``setups`` (tel_id -> `TelescopeSetup`) and ``source_info`` (`_SourceInfo`) come
    from the parent process.
    """
    global _PROCESS_WORKER
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the main process
    if path is not None:
        _PROCESS_WORKER = _BatchWorker(source_info, path, config, write_images, setups)


def _worker_job(job):
    return _PROCESS_WORKER(job)


class _OrderedPool:
    """``n_jobs`` worker processes; results in input order with a bounded number in flight.

    The workers are forked at construction (on Linux: a fork inherits the imported
    modules and loaded numba kernels, where a spawned worker would spend seconds
    importing; elsewhere they are spawned), so construct it before opening any file for
    writing. The kernels are serial (no numba threading layer), so forking is safe.

    Parameters
    ----------
    n_jobs : int
        Worker processes.
    initializer, initargs
        Run once in each worker.
    """

    def __init__(self, n_jobs, initializer=None, initargs=()):
        import multiprocessing
        import sys

        # fork only on Linux (on macOS system libraries are not fork-safe)
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        self.n_jobs = int(n_jobs)
        self._pool = multiprocessing.get_context(method).Pool(self.n_jobs, initializer=initializer,
                                                              initargs=initargs)

    def ordered(self, jobs, function, with_meta=False):
        """Run ``function`` over ``jobs``; an iterator of the results in input order.

        At most ``2 * n_jobs`` jobs are in flight (the first ones are submitted at once,
        so the workers start while the caller prepares the output), so memory stays
        bounded. With ``with_meta`` the jobs are ``(meta, args)`` pairs and ``(meta,
        function(args))`` is yielded; otherwise ``function(job)``.
        """
        import collections

        jobs = iter(jobs)
        pending = collections.deque()

        def submit():
            job = next(jobs, None)
            if job is None:
                return False
            meta, args = job if with_meta else (None, job)
            pending.append((meta, self._pool.apply_async(function, (args,))))
            return True

        while len(pending) < 2 * self.n_jobs and submit():
            pass

        def generate():
            while pending:
                meta, result = pending.popleft()
                value = result.get()
                submit()
                yield (meta, value) if with_meta else value

        return generate()

    def shutdown(self):
        """Stop the workers (pending jobs are dropped)."""
        self._pool.terminate()
        self._pool.join()


def _progress_bar(progress, source):
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(desc="telescope events", unit="ev", leave=False)
