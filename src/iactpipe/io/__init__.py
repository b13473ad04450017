"""Input/output: the HDF5 data model, table writers/readers, provenance, instrument I/O.

Submodules load on first use, so ``import iactpipe.io`` does not import PyTables,
astropy, pandas or numba:

* `iactpipe.io.datamodel`: table paths, columns, dtypes, units (the data contract);
* `iactpipe.io.hdf5`: `HDF5Writer` (atomic, chunked, compressed) and `read_table`,
  `iter_table_chunks`, `read_telescope_events`, `read_subarray_events`;
* `iactpipe.io.provenance`: `collect_provenance`, `read_provenance`;
* `iactpipe.io.instrument_io`: `write_subarray`, `read_subarray_hdf5`;
* `iactpipe.io.info`: `describe_file`, `format_info`;
* `iactpipe.io.checks`: `open_hdf5`, `check_data_file` (clear errors for bad inputs);
* `iactpipe.io.docs`: `render_data_model_markdown`;
* `iactpipe.io.event_source`: `open_events` (raw HDF5 or sim_telarray, chosen by content),
  with the event model in `iactpipe.io.events`.

The sim_telarray reader lives in `iactpipe.io.simtel` and is never imported from here.
"""
from importlib import import_module

__all__ = [
    "HDF5Writer",
    "SchemaError",
    "read_table",
    "iter_table_chunks",
    "read_telescope_events",
    "read_subarray_events",
    "Provenance",
    "collect_provenance",
    "read_provenance",
    "write_subarray",
    "read_subarray_hdf5",
    "describe_file",
    "format_info",
    "open_hdf5",
    "check_data_file",
    "render_data_model_markdown",
    "datamodel",
    "open_events",
]

_LAZY = {
    "HDF5Writer": "hdf5",
    "SchemaError": "hdf5",
    "read_table": "hdf5",
    "iter_table_chunks": "hdf5",
    "read_telescope_events": "hdf5",
    "read_subarray_events": "hdf5",
    "Provenance": "provenance",
    "collect_provenance": "provenance",
    "read_provenance": "provenance",
    "write_subarray": "instrument_io",
    "read_subarray_hdf5": "instrument_io",
    "describe_file": "info",
    "format_info": "info",
    "open_hdf5": "checks",
    "check_data_file": "checks",
    "render_data_model_markdown": "docs",
    "open_events": "event_source",
}
_SUBMODULES = {"datamodel", "hdf5", "provenance", "instrument_io", "info", "checks", "docs", "simtel",
               "events", "event_source", "hdf5_source", "simtel_source"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
