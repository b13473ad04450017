"""Events of our raw HDF5 files (written by ``iactpipe simulate``) through the common interface.

The tables (see `iactpipe.io.datamodel`) are read in chunks, so memory stays bounded:

* `HDF5EventSource.iter_events` walks the array trigger table ``chunk_events`` rows at a
  time and, for each chunk, reads the matching rows of the per-telescope R0 (and true
  image) tables; telescope rows are located with the tables' ``event_id`` columns (read
  once, 8 bytes per telescope event);
* `HDF5EventSource.iter_batches` reads the R0 tables directly in row chunks, never
  building per-event objects: the fast path for the DL1 kernels. A batch holds rows of one
  telescope (so of one telescope type).
"""
import numpy as np

from ..errors import InputFileError
from . import datamodel as dm
from .event_source import DEFAULT_BATCH_EVENTS, EventSource
from .events import ArrayEvent, CameraCalibration, TelescopeBatch, TelescopeEvent

__all__ = ["HDF5EventSource"]

_SHOWER_COLUMNS = ("true_energy", "true_alt", "true_az", "true_core_x", "true_core_y", "true_h_first_int",
                   "true_x_max", "true_starting_grammage", "true_shower_primary_id")


def _row_dict(row, skip=()):
    out = {}
    for name in row.dtype.names:
        if name in skip:
            continue
        value = row[name]
        if isinstance(value, np.ndarray) and value.ndim > 0:
            out[name] = np.array(value)
        elif isinstance(value, bytes):
            out[name] = value.decode()
        else:
            out[name] = value.item()
    return out


class HDF5EventSource(EventSource):
    """Raw events of an iactpipe HDF5 file.

    Parameters
    ----------
    path : str or Path
    chunk_events : int
        Array events read per chunk by `iter_events`.
    """

    format = "hdf5"

    def __init__(self, path, chunk_events=1000):
        super().__init__(path)
        from .checks import open_hdf5
        from .instrument_io import read_subarray_hdf5

        self.chunk_events = int(chunk_events)
        self._context = open_hdf5(self.path, required_level="r0")
        self._h5 = self._context.__enter__()
        try:
            self.subarray = read_subarray_hdf5(self.path)
            self._read_run_tables()
        except BaseException:
            self.close()
            raise

    def close(self):
        context = getattr(self, "_context", None)
        if context is not None:
            self._context = None
            context.__exit__(None, None, None)

    def _node(self, path):
        return self._h5.get_node(path) if path in self._h5 else None

    def _read_run_tables(self):
        run = self._node(dm.SIMULATION_RUN.path())
        if run is not None and run.nrows:
            self.simulation_config = _row_dict(run.read(start=0, stop=1)[0])
            self.obs_id = int(self.simulation_config["obs_id"])
        hist = self._node(dm.SHOWER_DISTRIBUTION.path())
        if hist is not None and hist.nrows:
            self.shower_distribution = _row_dict(hist.read(start=0, stop=1)[0])
        for tel_id in self.subarray.tel_ids:
            table = self._node(dm.CAMERA_CALIBRATION.path(tel_id=tel_id))
            if table is None or not table.nrows:
                continue
            row = table.read(start=table.nrows - 1, stop=table.nrows)[0]
            self.calibration[int(tel_id)] = CameraCalibration(
                tel_id=int(tel_id), pedestal_per_sample=np.array(row["pedestal_per_sample"]),
                dc_to_pe=np.array(row["dc_to_pe"]), noise=np.array(row["noise"]),
                pixel_status=np.array(row["pixel_status"]))
        self._r0 = {int(t): self._node(dm.R0.path(tel_id=t)) for t in self.subarray.tel_ids}
        self._r0 = {t: node for t, node in self._r0.items() if node is not None}
        self._images = {t: self._node(dm.TRUE_IMAGES.path(tel_id=t)) for t in self._r0}
        self._trigger = self._node(dm.R0_SUBARRAY_TRIGGER.path())
        if self._trigger is None:
            raise InputFileError(self.path, f"no array trigger table {dm.R0_SUBARRAY_TRIGGER.path()}")
        self._shower = self._node(dm.SHOWER.path())

    @property
    def n_events(self):
        """Number of array events in the file."""
        return int(self._trigger.nrows)

    # ------------------------------------------------------------------ events
    def iter_events(self, max_events=None):
        """Yield `ArrayEvent` s in file order, reading ``chunk_events`` at a time."""
        if self._context is None:
            raise InputFileError(self.path, "the event source is closed")
        return self._generate(max_events)

    def _generate(self, max_events):
        n_total = self.n_events if max_events is None else min(self.n_events, int(max_events))
        tel_keys = {t: (node.col("obs_id"), node.col("event_id")) for t, node in self._r0.items()}
        image_keys = {t: (node.col("obs_id"), node.col("event_id")) for t, node in self._images.items()
                      if node is not None}
        tel_ids_sorted = self.subarray.tel_ids
        count = 0
        for start in range(0, n_total, self.chunk_events):
            stop = min(start + self.chunk_events, n_total)
            trigger = self._trigger.read(start=start, stop=stop)
            showers = {}
            if self._shower is not None:
                rows = self._shower.read_where(f"(event_id >= {int(trigger['event_id'].min())}) & "
                                               f"(event_id <= {int(trigger['event_id'].max())})")
                showers = {(int(r["obs_id"]), int(r["event_id"])): r for r in rows}
            keys = set(zip(trigger["obs_id"].tolist(), trigger["event_id"].tolist()))
            tel_rows = self._rows_for(self._r0, tel_keys, keys)
            image_rows = self._rows_for(self._images, image_keys, keys)
            for row in trigger:
                obs_id, event_id = int(row["obs_id"]), int(row["event_id"])
                shower_row = showers.get((obs_id, event_id))
                event = ArrayEvent(
                    obs_id=obs_id, event_id=event_id, event_type=int(row["event_type"]),
                    shower=None if shower_row is None else {c: shower_row[c].item() for c in _SHOWER_COLUMNS},
                    tels_with_trigger=tel_ids_sorted[np.asarray(row["tels_with_trigger"], dtype=bool)],
                    time=np.array(row["time"]), count=count)
                for tel_id, by_key in tel_rows.items():
                    r0 = by_key.get((obs_id, event_id))
                    if r0 is None:
                        continue
                    image = image_rows.get(tel_id, {}).get((obs_id, event_id))
                    event.tel[tel_id] = TelescopeEvent(
                        tel_id=tel_id, waveform=r0["waveform"],
                        true_image=None if image is None else image["true_image"],
                        true_image_sum=float("nan") if image is None else float(image["true_image_sum"]),
                        calibration=self.calibration.get(tel_id))
                count += 1
                yield event

    @staticmethod
    def _rows_for(nodes, node_keys, keys):
        """``{tel_id: {(obs_id, event_id): row}}`` of the rows of ``nodes`` whose key is in ``keys``."""
        out = {}
        if not keys:
            return out
        event_ids = np.array([k[1] for k in keys])
        lo, hi = event_ids.min(), event_ids.max()
        for tel_id, (obs, ev) in node_keys.items():
            first, last = np.searchsorted(ev, lo, "left"), np.searchsorted(ev, hi, "right")
            if last <= first:
                continue
            rows = nodes[tel_id].read(start=int(first), stop=int(last))
            out[tel_id] = {(int(o), int(e)): r for o, e, r in zip(rows["obs_id"], rows["event_id"], rows)
                           if (int(o), int(e)) in keys}
        return out

    # ------------------------------------------------------------------ batches
    def iter_batches(self, max_events=DEFAULT_BATCH_EVENTS, event_filter=None):
        """Yield `TelescopeBatch` es straight from the R0 tables (one telescope per batch).

        With ``event_filter`` the generic (event by event) implementation is used.
        """
        if event_filter is not None:
            yield from super().iter_batches(max_events=max_events, event_filter=event_filter)
            return
        for tel_id, start, stop in self.batch_plan(max_events):
            yield self.read_batch(tel_id, start, stop)

    def batch_plan(self, max_events=DEFAULT_BATCH_EVENTS):
        """The row ranges `iter_batches` reads: list of ``(tel_id, start, stop)``.

        With `read_batch`, lets worker processes read their own batches from the file
        (only the small results travel between processes, never the waveforms).
        """
        if max_events < 1:
            raise ValueError("max_events must be >= 1")
        return [(tel_id, start, min(start + max_events, node.nrows))
                for tel_id, node in self._r0.items() for start in range(0, node.nrows, max_events)]

    def read_batch(self, tel_id, start, stop):
        """Rows ``start:stop`` of telescope ``tel_id``'s R0 table as a `TelescopeBatch`."""
        node = self._r0[tel_id]
        description = self.subarray.telescope(tel_id)
        images = self._images.get(tel_id)
        rows = node.read(start=start, stop=stop)
        true_images = None
        if images is not None and images.nrows == node.nrows:
            image_rows = images.read(start=start, stop=stop)
            if np.array_equal(image_rows["event_id"], rows["event_id"]):
                true_images = image_rows["true_image"]
        return TelescopeBatch(
            telescope_type=description.name, description=description,
            obs_id=rows["obs_id"].astype(np.int32), event_id=rows["event_id"].astype(np.int64),
            tel_id=rows["tel_id"].astype(np.int16), event_type=rows["event_type"].astype(np.uint8),
            waveforms=rows["waveform"], true_images=true_images)
