"""One interface for reading raw events, whatever the file format.

``open_events(path)`` looks at the file's first bytes (not its name) and returns

* `iactpipe.io.hdf5_source.HDF5EventSource` for our raw HDF5 files;
* `iactpipe.io.simtel_source.SimtelEventSource` for sim_telarray (EventIO, plain, gzip
  or zstd) files.

Both are context managers, iterable over `ArrayEvent` objects (a generator: memory stays
bounded whatever the file size), and offer `EventSource.iter_batches` yielding
`TelescopeBatch` es (events of one telescope type stacked into arrays) for the array
kernels::

    with open_events("run.simtel.zst") as source:
        for event in source:
            ...
    # or chained generators
    events = (e for e in open_events(path) if e.event_type == EventType.SUBARRAY)

Common attributes: ``subarray`` (`SubarrayDescription`), ``simulation_config`` (dict with
the SIMULATION_RUN column names, or None), ``shower_distribution`` (dict with the
SHOWER_DISTRIBUTION column names, or None; for sim_telarray only once the file has been
read to the end, where the histograms are), ``calibration`` (``{tel_id: CameraCalibration}``),
``obs_id``, ``truncated`` and ``truncation_message``.
"""
from pathlib import Path

import numpy as np

from .events import TelescopeBatch

__all__ = ["EventSource", "open_events", "DEFAULT_BATCH_EVENTS"]

#: Default maximum number of telescope events per batch.
DEFAULT_BATCH_EVENTS = 256


class EventSource:
    """Base class of the event sources (see module docstring)."""

    #: format name ("hdf5" or "simtel")
    format = None

    def __init__(self, path):
        self.path = Path(path)
        self.subarray = None
        self.simulation_config = None
        self.shower_distribution = None
        self.calibration = {}
        self.obs_id = None
        self.truncated = False
        self.truncation_message = None

    # context manager / iteration
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Release the file (idempotent)."""

    def __iter__(self):
        return self.iter_events()

    def iter_events(self, max_events=None):
        """Yield `ArrayEvent` objects in file order (at most ``max_events``)."""
        raise NotImplementedError

    # batches
    def _batch_key(self, tel_id, waveform):
        description = self.subarray.telescope(tel_id)
        return id(description), waveform.shape

    def iter_batches(self, max_events=DEFAULT_BATCH_EVENTS, event_filter=None):
        """Yield `TelescopeBatch` es of at most ``max_events`` telescope events each.

        One batch holds telescope events of one telescope type (same description and
        waveform shape). Telescope events keep file order within a type. Generic
        implementation accumulating from `iter_events`; memory is bounded by
        ``max_events`` per telescope type.

        Parameters
        ----------
        max_events : int
            Maximum telescope events per batch.
        event_filter : callable or None
            ``event_filter(array_event) -> bool``; events for which it is False are skipped.
        """
        if max_events < 1:
            raise ValueError("max_events must be >= 1")
        pending = {}
        for event in self.iter_events():
            if event_filter is not None and not event_filter(event):
                continue
            for tel_id, tel_event in event.tel.items():
                key = self._batch_key(tel_id, tel_event.waveform)
                rows = pending.setdefault(key, [])
                rows.append((event, tel_event))
                if len(rows) >= max_events:
                    yield self._make_batch(rows)
                    pending[key] = []
        for rows in pending.values():
            if rows:
                yield self._make_batch(rows)

    def _make_batch(self, rows):
        description = self.subarray.telescope(rows[0][1].tel_id)
        waveforms = np.stack([tel.waveform for _, tel in rows])
        true_images = None
        if any(tel.true_image is not None for _, tel in rows):
            n_pixels = waveforms.shape[2]
            true_images = np.stack([tel.true_image if tel.true_image is not None
                                    else np.full(n_pixels, -1, np.int32) for _, tel in rows])
        return TelescopeBatch(
            telescope_type=description.name,
            description=description,
            obs_id=np.array([ev.obs_id for ev, _ in rows], dtype=np.int32),
            event_id=np.array([ev.event_id for ev, _ in rows], dtype=np.int64),
            tel_id=np.array([tel.tel_id for _, tel in rows], dtype=np.int16),
            event_type=np.array([ev.event_type for ev, _ in rows], dtype=np.uint8),
            waveforms=waveforms,
            true_images=true_images,
        )


def open_events(path, allow_truncated=False, focal_length_choice="effective"):
    """Open a raw-event file, choosing the reader by content.

    Parameters
    ----------
    path : str or Path
        Our raw HDF5 file or a sim_telarray file (``.simtel``, ``.gz``, ``.zst``; the name
        does not matter).
    allow_truncated : bool
        sim_telarray only: at a truncated/corrupt end of file stop after the last complete
        event (setting ``source.truncated``/``truncation_message``) instead of raising.
    focal_length_choice : {"effective", "equivalent"}
        sim_telarray only (see `iactpipe.io.simtel.read_subarray`).

    Returns
    -------
    EventSource

    Raises
    ------
    InputFileError
        Missing, empty, unreadable, or of another format (text, FITS, bare gzip ...).
    """
    from .checks import raw_input_kind

    path = Path(path)
    if raw_input_kind(path, "read events") == "hdf5":
        from .hdf5_source import HDF5EventSource

        return HDF5EventSource(path)
    from .simtel_source import SimtelEventSource

    return SimtelEventSource(path, allow_truncated=allow_truncated, focal_length_choice=focal_length_choice)
