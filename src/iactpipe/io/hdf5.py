"""Writing and reading data-model tables in HDF5 files (PyTables).

Writing
-------
`HDF5Writer` is a context manager for one output file. It writes to ``<output>.partial``
and renames that to the final name only when the ``with`` block ends without an
exception, so a crashed job never leaves a plausible-looking output behind. Tables are
created from a `~iactpipe.io.datamodel.TableSchema` as compressed, chunked PyTables
tables and filled batch by batch (`TableAppender.append`): a batch is converted,
validated against the schema and appended at once, so memory use is bounded by the
batch size, never by the file size.

Column metadata convention (ctapipe's, so ``ctapipe.io.read_table`` reads our tables)
-------------------------------------------------------------------------------------
Per column, table attributes keyed by the column's *position* ``<pos>`` in the table:

* ``CTAFIELD_<pos>_UNIT``: the unit as an astropy VOUnit string (``deg``, ``g.cm**-2``)
  together with ``CTAFIELD_<pos>_TRANSFORM = "quantity"``;
* ``CTAFIELD_<pos>_TRANSFORM = "time"``, ``_TIME_FORMAT = "ctao_high_res"``,
  ``_TIME_SCALE = "tai"`` for timestamps stored as uint32 (seconds, quarter ns) pairs;
* ``CTAFIELD_<pos>_TRANSFORM = "string"``, ``_MAXLEN`` for UTF-8 strings stored as bytes;
* ``CTAFIELD_<pos>_DESC``: the column description;
* ``CTAFIELD_<pos>_UNIT_LABEL``: units astropy cannot represent (``p.e.``, ``ADC counts``);
  such columns are plain numbers for astropy.

Table-level attributes: ``IACTPIPE_SCHEMA`` (schema name), ``IACTPIPE_DATA_MODEL_VERSION``
and ``IACTPIPE_COLUMN_METADATA`` (a one-line description of this convention).

Reading
-------
`read_table` returns a pandas DataFrame (units in ``df.attrs["units"]``), an astropy
QTable (Quantity columns, `~astropy.time.Time` for timestamps) or the raw numpy
structured array; `iter_table_chunks` yields the same in bounded chunks. The join
helpers `read_telescope_events` and `read_subarray_events` build the per-telescope and
per-array-event tables analysts work with.
"""
from contextlib import nullcontext
import logging
import os
from pathlib import Path
import warnings

import numpy as np
import tables

from ..errors import DataLevelError, IactpipeError, InputFileError
from . import datamodel as dm
from .checks import file_data_levels, open_hdf5, table_paths

__all__ = [
    "DEFAULT_FILTERS",
    "copy_tree",
    "SchemaError",
    "HDF5Writer",
    "TableAppender",
    "numpy_dtype",
    "column_attributes",
    "column_metadata",
    "read_table",
    "iter_table_chunks",
    "read_telescope_events",
    "read_subarray_events",
    "time_to_ctao_high_res",
    "ctao_high_res_to_time",
    "unix_tai_to_ctao_high_res",
    "ctao_high_res_to_unix_tai",
]

log = logging.getLogger(__name__)

#: Compression of all tables: blosc2 with zstd level 1 and byte shuffle. Measured on
#: simulated LSTCam uint16 waveforms: level 1 compresses as well as level 5 (ratio 2.74)
#: at 120 MB/s instead of 32 MB/s. (fletcher32 checksums were left out: they cost ~40 %
#: write time on noisy float32 images.)
DEFAULT_FILTERS = tables.Filters(complevel=1, complib="blosc2:zstd", shuffle=True)

_TARGET_CHUNK_BYTES = 512 * 1024  # uncompressed; large enough for blosc2, small enough for caches
_QNS_PER_S = 4_000_000_000  # quarter nanoseconds per second
_COLUMN_METADATA_NOTE = ("column metadata in CTAFIELD_<column position>_<KEY> attributes (ctapipe "
                         "convention): UNIT (astropy VOUnit) + TRANSFORM=quantity, TRANSFORM=time "
                         "(ctao_high_res, tai), TRANSFORM=string + MAXLEN, DESC, UNIT_LABEL")
_OUTPUT_KINDS = ("dataframe", "qtable", "numpy")
#: Per-column attribute keys the readers interpret (CTAFIELD_<pos>_<KEY>).
_COLUMN_KEYS = ("UNIT", "UNIT_LABEL", "TRANSFORM", "DESC", "TIME_FORMAT", "TIME_SCALE", "MAXLEN", "NAME")


class SchemaError(IactpipeError, ValueError):
    """Data do not match the table schema (missing/extra column, bad dtype or shape)."""


# ----------------------------------------------------------------------------- time helpers


def _ctao_pairs(seconds, fraction):
    """Whole seconds + fraction in [0, 1) -> uint32 (..., 2) (s, quarter ns), rounding carried over."""
    qns = np.round(np.asarray(fraction) * _QNS_PER_S)
    carry = qns >= _QNS_PER_S
    seconds = np.asarray(seconds) + carry
    if np.any(seconds < 0) or np.any(seconds > np.iinfo(np.uint32).max):
        raise ValueError("time outside the CTAO high-resolution range (1970-01-01 to 2106-02-07 TAI)")
    out = np.empty(np.shape(seconds) + (2,), dtype=np.uint32)
    out[..., 0] = seconds
    out[..., 1] = np.where(carry, 0, qns)
    return out


def unix_tai_to_ctao_high_res(seconds):
    """Float seconds since 1970-01-01 TAI -> uint32 array (..., 2) of (s, quarter ns)."""
    seconds = np.asarray(seconds, dtype=np.float64)
    whole = np.floor(seconds)
    return _ctao_pairs(whole, seconds - whole)


def ctao_high_res_to_unix_tai(pairs):
    """uint32 (..., 2) (s, quarter ns) -> float64 seconds since 1970-01-01 TAI (~0.2 us resolution)."""
    pairs = np.asarray(pairs)
    return pairs[..., 0].astype(np.float64) + pairs[..., 1].astype(np.float64) / _QNS_PER_S


def time_to_ctao_high_res(time):
    """`astropy.time.Time` -> uint32 (..., 2) (s, quarter ns) since 1970-01-01 TAI, exact to 0.25 ns."""
    from astropy.time import Time

    tai = time.tai
    epoch = Time(0.0, format="unix_tai")
    # Split both Julian-date parts into whole and fractional seconds before adding them,
    # so the large whole-second count never eats the sub-nanosecond digits.
    frac1, whole1 = np.modf((tai.jd1 - epoch.jd1) * 86400.0)
    frac2, whole2 = np.modf((tai.jd2 - epoch.jd2) * 86400.0)
    fraction = frac1 + frac2
    shift = np.floor(fraction)  # fraction is in (-2, 2); move it into [0, 1)
    return _ctao_pairs(whole1 + whole2 + shift, fraction - shift)


def ctao_high_res_to_time(pairs):
    """uint32 (..., 2) (s, quarter ns) since 1970-01-01 TAI -> `astropy.time.Time` (scale tai)."""
    from astropy.time import Time

    pairs = np.asarray(pairs)
    return Time(pairs[..., 0].astype(np.float64), pairs[..., 1].astype(np.float64) / _QNS_PER_S,
                format="unix_tai", scale="tai", precision=9)


# ----------------------------------------------------------------------------- schema -> HDF5


def numpy_dtype(schema):
    """numpy structured dtype of a fully resolved schema (no shape placeholders)."""
    if schema.placeholders:
        raise SchemaError(f"table {schema.name!r}: unresolved shape placeholders {schema.placeholders}")
    return np.dtype([(c.name, np.dtype(c.dtype), c.shape) for c in schema.columns])


def _vounit(unit):
    import astropy.units as u

    return u.Unit(unit).to_string("vounit")


def column_attributes(schema):
    """Table attributes describing the columns of ``schema`` (ctapipe's CTAFIELD convention).

    Returns
    -------
    dict
        Attribute name -> value; positions follow the schema's column order.
    """
    attrs = {}
    for pos, column in enumerate(schema.columns):
        key = f"CTAFIELD_{pos}_"
        if column.description:
            attrs[key + "DESC"] = column.description
        if column.kind == "time":
            attrs.update({key + "TRANSFORM": "time", key + "TIME_FORMAT": "ctao_high_res",
                          key + "TIME_SCALE": "tai"})
        elif column.is_string:
            attrs.update({key + "TRANSFORM": "string", key + "MAXLEN": column.max_length})
        elif column.has_astropy_unit:
            attrs.update({key + "TRANSFORM": "quantity", key + "UNIT": _vounit(column.unit)})
        elif column.unit is not None:
            attrs[key + "UNIT_LABEL"] = column.unit
    return attrs


#: bytes per read of `HDF5Writer.copy_table` when it copies row by row
COPY_BATCH_BYTES = 4 << 20


def _chunk_rows(row_bytes, expected_rows):
    return int(max(1, min(max(expected_rows, 1), _TARGET_CHUNK_BYTES // max(row_bytes, 1))))


def _create_table(h5file, path, schema, filters, expected_rows, extra_attrs, chunk_rows=None):
    dtype = numpy_dtype(schema)
    if chunk_rows is None:
        chunk_rows = _chunk_rows(dtype.itemsize, expected_rows)
    where, _, name = path.rpartition("/")
    with warnings.catch_warnings():
        # camera names like "CHEC-S" are valid HDF5 names, just not Python identifiers
        warnings.simplefilter("ignore", tables.NaturalNameWarning)
        table = h5file.create_table(
            where or "/", name, description=dtype, title=schema.description, filters=filters,
            expectedrows=expected_rows, chunkshape=(int(chunk_rows),),
            createparents=True,
        )
    positions = [table.coldescrs[c.name]._v_pos for c in schema.columns]
    if positions != list(range(len(schema.columns))):  # CTAFIELD_<pos> keys rely on this order
        raise RuntimeError(f"PyTables reordered the columns of {path}")
    attrs = column_attributes(schema)
    attrs.update({"IACTPIPE_SCHEMA": schema.name,
                  "IACTPIPE_DATA_MODEL_VERSION": dm.DATA_MODEL_VERSION,
                  "IACTPIPE_COLUMN_METADATA": _COLUMN_METADATA_NOTE})
    attrs.update(extra_attrs or {})
    for key, value in attrs.items():
        table.attrs[key] = value
    log.debug("created table %s (%d columns, chunk %s rows)", path, len(schema.columns), table.chunkshape)
    return table


# ----------------------------------------------------------------------------- batch conversion


def _module_of(value):
    return type(value).__module__ or ""


def _is_quantity(value):
    return _module_of(value).startswith("astropy.units") and hasattr(value, "to_value")


def _is_time(value):
    return _module_of(value).startswith("astropy.time")


def _batch_columns(data, where):
    """Split a batch into {name: column values} without copying."""
    if isinstance(data, np.ndarray):
        if data.dtype.names is None:
            raise SchemaError(f"{where}: a numpy batch must be a structured array")
        return {name: data[name] for name in data.dtype.names}
    if _module_of(data).startswith("pandas"):
        return {str(name): data[name] for name in data.columns}
    if hasattr(data, "colnames"):  # astropy Table / QTable
        return {name: data[name] for name in data.colnames}
    if hasattr(data, "items"):
        return dict(data.items())
    raise SchemaError(f"{where}: cannot append a {type(data).__name__}; use a structured array, "
                      "a dict of arrays, a pandas DataFrame or an astropy Table")


def _plain_array(values):
    """numpy array from a pandas Series / astropy Column / sequence; object cells stacked."""
    if _module_of(values).startswith("pandas"):
        values = values.to_numpy()
    array = np.asarray(values)
    return array


def _stack_object_cells(array, where):
    try:
        return np.stack([np.asarray(cell) for cell in array]) if len(array) else array
    except ValueError as error:
        raise SchemaError(f"{where}: cells have different shapes ({error})") from None


def _check_names(schema, columns, path):
    expected, given = schema.column_names, set(columns)
    missing = [name for name in expected if name not in given]
    extra = sorted(given - set(expected))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(extra)}")
        raise SchemaError(f"table {path}: {'; '.join(parts)}")


def _convert_time(column, values, where):
    if _is_time(values):
        return time_to_ctao_high_res(values)
    array = _plain_array(values)
    if array.dtype == object:
        array = _stack_object_cells(array, where)
    if array.dtype.kind == "f" and array.ndim == 1:  # unix_tai seconds, as read into DataFrames
        return unix_tai_to_ctao_high_res(array)
    if array.dtype.kind in "iu":
        return _cast(array, np.dtype(column.dtype), where)
    raise SchemaError(f"{where}: expected astropy Time, float seconds (unix_tai) or uint32 "
                      f"(seconds, quarter ns) pairs, got {array.dtype}")


def _convert_string(column, values, where):
    array = _plain_array(values)
    if array.dtype.kind in "OU":
        array = np.array([str(v).encode("utf-8") for v in array.ravel()], dtype=object).reshape(array.shape)
        lengths = np.array([len(v) for v in array.ravel()], dtype=np.int64)
    elif array.dtype.kind == "S":
        lengths = np.char.str_len(array).ravel()
    else:
        raise SchemaError(f"{where}: expected strings, got {array.dtype}")
    if lengths.size and lengths.max() > column.max_length:
        longest = array.ravel()[int(lengths.argmax())]
        raise SchemaError(f"{where}: value {longest!r} is longer than the column's "
                          f"{column.max_length} bytes")
    return array.astype(column.dtype)


def _cast(array, dtype, where):
    if array.dtype == dtype:
        return array
    both_integer = array.dtype.kind in "iu" and dtype.kind in "iu"
    if not (np.can_cast(array.dtype, dtype, "same_kind") or both_integer):
        raise SchemaError(f"{where}: cannot store {array.dtype} values in a {dtype} column")
    if both_integer and not np.can_cast(array.dtype, dtype, "safe") and array.size:
        info = np.iinfo(dtype)
        if array.min() < info.min or array.max() > info.max:
            raise SchemaError(f"{where}: values outside the {dtype} range [{info.min}, {info.max}]")
    return array.astype(dtype, copy=False)


def _convert_quantity(column, values, where):
    if column.has_astropy_unit:
        import astropy.units as u

        try:
            return values.to_value(column.unit)
        except u.UnitConversionError as error:
            raise SchemaError(f"{where}: unit {values.unit} cannot be converted to {column.unit}") from error
    if values.unit.physical_type == "dimensionless":
        return values.to_value("")
    raise SchemaError(f"{where}: data carry unit {values.unit} but the data model has "
                      f"{column.unit or 'no unit'} for this column")


def _declared_units(data):
    """Units a batch declares for its plain columns: a DataFrame's ``attrs["units"]`` (set by `read_table`)."""
    if _module_of(data).startswith("pandas"):
        return dict(data.attrs.get("units", {}))
    return {}


def _apply_declared_unit(column, array, unit, where):
    if unit is None or unit == column.unit:
        return array
    if not column.has_astropy_unit:
        raise SchemaError(f"{where}: data declare unit {unit} but the data model has "
                          f"{column.unit or 'no unit'} for this column")
    import astropy.units as u

    try:
        factor = u.Unit(unit).to(column.unit)
    except (ValueError, u.UnitConversionError) as error:
        raise SchemaError(f"{where}: unit {unit} cannot be converted to {column.unit}") from error
    return array if factor == 1.0 else array * factor


def _convert_column(column, values, where, declared_unit=None):
    """Values of one column as a numpy array of the column's dtype (shape not yet checked).

    ``declared_unit`` is the unit a DataFrame states for plain numbers (None: schema unit).
    """
    if column.kind == "time":
        return _convert_time(column, values, where)
    if column.is_string:
        return _convert_string(column, values, where)
    if _module_of(values).startswith("astropy.table") and getattr(values, "unit", None) is not None:
        values = values.quantity  # unit-carrying Column of a plain astropy Table
    if _is_quantity(values):
        array = np.asarray(_convert_quantity(column, values, where))
    else:
        array = _plain_array(values)
    if array.dtype == object:
        array = _stack_object_cells(array, where)
    array = _apply_declared_unit(column, array, declared_unit, where)
    return _cast(array, np.dtype(column.dtype), where)


def _infer_dims(schema, arrays, path):
    dims = {}
    for column in schema.columns:
        if not column.placeholders:
            continue
        shape = arrays[column.name].shape[1:]
        if len(shape) != len(column.shape):
            raise SchemaError(f"table {path}, column {column.name}: expected {len(column.shape)}-d cells "
                              f"{column.shape}, got shape {shape}")
        for dim, size in zip(column.shape, shape):
            if isinstance(dim, str) and dims.setdefault(dim, size) != size:
                raise SchemaError(f"table {path}: {dim} is {dims[dim]} in one column and {size} in "
                                  f"{column.name}")
    return dims


def _check_shapes(schema, arrays, n_rows, path):
    for column in schema.columns:
        shape = arrays[column.name].shape
        if shape != (n_rows,) + column.shape:
            raise SchemaError(f"table {path}, column {column.name}: expected shape "
                              f"{(n_rows,) + column.shape}, got {shape}")


# ----------------------------------------------------------------------------- writer


class TableAppender:
    """Appends batches to one table of an open file.

    Created by `HDF5Writer.table`; the HDF5 table is created on construction, or at the
    first `append` when some cell shapes (e.g. ``n_pixels``) must be inferred from data.
    """

    def __init__(self, h5file, path, schema, filters=DEFAULT_FILTERS, expected_rows=None, attrs=None,
                 chunk_rows=None):
        self.h5file = h5file
        self.path = path
        self.schema = schema
        self._filters = filters
        self._expected_rows = int(expected_rows or schema.expected_rows)
        self._attrs = dict(attrs or {})
        self._chunk_rows = chunk_rows
        self._table = None
        if not schema.placeholders:
            self._create()

    def _create(self):
        self._table = _create_table(self.h5file, self.path, self.schema, self._filters,
                                    self._expected_rows, self._attrs, self._chunk_rows)

    def copy_chunks(self, node):
        """Append all rows of ``node`` by copying its stored (compressed) chunks as they are.

        Only for an empty table created with ``node``'s dtype, filters and chunk shape
        (see `HDF5Writer.copy_table`): no row is decompressed or compressed again.
        """
        table = self._table
        if table is None or table.nrows or table.dtype != node.dtype or table.chunkshape != node.chunkshape:
            raise SchemaError(f"table {self.path}: chunks of {node._v_pathname} cannot be copied into it")
        chunk = int(node.chunkshape[0])
        table.truncate(node.nrows)  # grows the dataset; the chunks below fill it
        for start in range(0, int(node.nrows), chunk):
            info = node.chunk_info((start,))
            if info.offset is None:  # never written: stays the fill value
                continue
            table.write_chunk((start,), node.read_chunk((start,)), filter_mask=info.filter_mask)
        return int(node.nrows)

    @property
    def n_rows(self):
        """Rows written so far."""
        return 0 if self._table is None else int(self._table.nrows)

    def append(self, data):
        """Validate a batch against the schema and append it.

        Parameters
        ----------
        data : numpy structured array, dict of arrays, pandas DataFrame or astropy Table
            Exactly the schema's columns. Quantities (and astropy columns with a unit)
            are converted to the schema unit, as are DataFrame columns whose unit is
            stated in ``attrs["units"]``; other plain numbers are taken to be in the
            schema unit. Timestamps may be astropy `~astropy.time.Time`, float seconds
            since 1970-01-01 TAI or uint32 (seconds, quarter ns) pairs.

        Returns
        -------
        int
            Number of rows appended.

        Raises
        ------
        SchemaError
            Missing or extra columns, unconvertible dtype or unit, wrong cell shape.
        """
        columns = _batch_columns(data, f"table {self.path}")
        _check_names(self.schema, columns, self.path)
        units = _declared_units(data)
        arrays = {c.name: _convert_column(c, columns[c.name], f"table {self.path}, column {c.name}",
                                          units.get(c.name))
                  for c in self.schema.columns}
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) != 1:
            raise SchemaError(f"table {self.path}: columns have different lengths {sorted(lengths)}")
        n_rows = lengths.pop()
        if n_rows == 0:  # nothing to write, and empty cells cannot tell the cell shape
            return 0
        if self._table is None:
            self.schema = self.schema.resolved(dims=_infer_dims(self.schema, arrays, self.path))
            self._create()
        _check_shapes(self.schema, arrays, n_rows, self.path)
        rows = np.empty(n_rows, dtype=numpy_dtype(self.schema))
        for name, array in arrays.items():
            rows[name] = array
        self._table.append(rows)
        return n_rows

    def finish(self):
        """Flush buffered rows; warn if the table never came into existence."""
        if self._table is None:
            log.warning("table %s was not written: no rows and undetermined cell shape %s",
                        self.path, self.schema.placeholders)
            return
        self._table.flush()


class HDF5Writer:
    """Write data-model tables to a new HDF5 file, atomically.

    Use as a context manager::

        with HDF5Writer("run1.dl1.h5", provenance=prov) as writer:
            write_subarray(writer.h5file, subarray)
            for batch in batches:
                writer.append(DL1_PARAMETERS, batch, tel_id=1)

    Data go to ``<path>.partial``; it is renamed to ``path`` when the block exits
    normally and deleted when it exits with an exception.

    Parameters
    ----------
    path : str or os.PathLike
        Final output path. Parent directories are created.
    provenance : iactpipe.io.provenance.Provenance, optional
        Written to the root attributes on close. Without one, a minimal record
        (software versions, time, host, command line) is collected at close.
    overwrite : bool
        Replace an existing file at ``path`` (only once the new one is complete).
    filters : tables.Filters
        Compression settings.
    """

    def __init__(self, path, provenance=None, overwrite=False, filters=DEFAULT_FILTERS):
        self.path = Path(path)
        self.partial_path = self.path.with_name(self.path.name + ".partial")
        self.provenance = provenance
        self.overwrite = overwrite
        self.filters = filters
        self._h5file = None
        self._appenders = {}

    # -- lifecycle
    def open(self):
        """Create ``<path>.partial``; called by ``__enter__``."""
        if self.path.exists() and not self.overwrite:
            raise FileExistsError(f"{self.path}: output file exists (use overwrite=True to replace it)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._h5file = tables.open_file(str(self.partial_path), mode="w", title="iactpipe data file")
        log.info("writing %s", self.partial_path)
        return self

    def __enter__(self):
        return self.open()

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None:
            self.close()
        else:
            log.error("discarding %s after %s", self.partial_path, exc_type.__name__)
            self.abort()
        return False

    @property
    def h5file(self):
        """The open `tables.File` (the ``.partial`` file)."""
        if self._h5file is None:
            raise RuntimeError(f"{self.path}: writer is not open")
        return self._h5file

    def close(self):
        """Finish all tables, write provenance, and move the file to its final name."""
        if self._h5file is None:
            return
        try:
            for appender in self._appenders.values():
                appender.finish()
            self._write_provenance()
            self._h5file.close()
            self._h5file = None
            _fsync(self.partial_path)
            os.replace(self.partial_path, self.path)
        except BaseException:
            self.abort()
            raise
        log.info("wrote %s", self.path)

    def abort(self):
        """Close and delete the partial file; the final path is left untouched."""
        if self._h5file is not None:
            try:
                self._h5file.close()
            finally:
                self._h5file = None
        self.partial_path.unlink(missing_ok=True)

    def _write_provenance(self):
        from .provenance import collect_provenance, write_provenance

        provenance = self.provenance if self.provenance is not None else collect_provenance()
        products = dm.data_products_from_paths(table_paths(self._h5file))
        write_provenance(self._h5file, provenance, products)

    # -- tables
    def table(self, schema, *, tel_id=None, algorithm=None, camera_index=None, dims=None,
              expected_rows=None, attrs=None):
        """The `TableAppender` of one concrete table (created on first request).

        Parameters
        ----------
        schema : TableSchema or str
            Schema (or its name in `~iactpipe.io.datamodel.SCHEMAS`).
        tel_id, algorithm, camera_index : optional
            Path keys the schema needs (see `TableSchema.path`).
        dims : dict, optional
            Values for shape placeholders; missing ones are inferred from the first batch.
        expected_rows : int, optional
            Expected total rows (sizes chunks); the schema's default otherwise.
        attrs : dict, optional
            Extra table attributes.
        """
        schema = dm.get_schema(schema) if isinstance(schema, str) else schema
        path = schema.path(tel_id=tel_id, algorithm=algorithm, camera_index=camera_index)
        appender = self._appenders.get(path)
        if appender is not None and appender.schema.name != schema.name:
            raise SchemaError(f"table {path} is already open with schema {appender.schema.name!r}")
        if appender is None:
            resolved = schema.resolved(dims=dims, algorithm=algorithm) if algorithm or dims else schema
            if any("{algorithm}" in name for name in resolved.column_names):
                raise SchemaError(f"table {path}: column names need algorithm=")
            filters = self.filters if schema.compress else tables.Filters(complevel=0)
            appender = TableAppender(self.h5file, path, resolved, filters, expected_rows, attrs)
            self._appenders[path] = appender
        return appender

    def append(self, schema, data, *, tel_id=None, algorithm=None, camera_index=None, dims=None):
        """Append a batch to a table (see `TableAppender.append`); returns rows written."""
        appender = self.table(schema, tel_id=tel_id, algorithm=algorithm, camera_index=camera_index, dims=dims)
        return appender.append(data)

    def copy_table(self, node, schema, *, tel_id=None, batch_bytes=COPY_BATCH_BYTES):
        """Append all rows of the table ``node`` of another (open) file to a table of ``schema``.

        When this table does not exist yet and ``node`` has exactly its row type and the
        writer's compression, the stored chunks are copied as they are (no decompression
        and compression again: the truth tables of a 2 GB LST run take ~0.1 s instead of
        ~0.5 s); otherwise the rows are read ``batch_bytes`` at a time and appended
        (validated like `append`).

        Parameters
        ----------
        node : tables.Table
            Source table.
        schema : TableSchema or str
            Schema of the target table.
        tel_id : int, optional
            Path key of per-telescope schemas.
        batch_bytes : int
            Bytes per read on the row-by-row path (rows of true images are kB each: a
            fixed row count would make the memory grow with the camera).

        Returns
        -------
        int
            Rows appended.
        """
        schema = dm.get_schema(schema) if isinstance(schema, str) else schema
        path = schema.path(tel_id=tel_id)
        if (node.nrows and path not in self._appenders and node.chunkshape is not None
                and list(node.dtype.names) == list(schema.column_names)):
            resolved = schema
            if schema.placeholders:
                first = node.read(start=0, stop=1)
                resolved = schema.resolved(dims=_infer_dims(schema, {n: first[n] for n in first.dtype.names},
                                                            path))
            filters = self.filters if schema.compress else tables.Filters(complevel=0)
            if numpy_dtype(resolved) == node.dtype and node.filters == filters:
                appender = TableAppender(self.h5file, path, resolved, filters, node.nrows,
                                         chunk_rows=node.chunkshape[0])
                self._appenders[path] = appender
                return appender.copy_chunks(node)
        n_rows = 0
        step = max(1, int(batch_bytes) // max(1, node.rowsize))
        for start in range(0, int(node.nrows), step):
            rows = node.read(start=start, stop=min(start + step, node.nrows))
            n_rows += self.append(schema, {name: rows[name] for name in rows.dtype.names}, tel_id=tel_id)
        return n_rows


def _fsync(path):
    # make the data durable before the rename publishes the file
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- reading


def _ensure_group(h5file, path):
    """The group at ``path`` of ``h5file``, created with its parents when missing."""
    if path in h5file:
        return h5file.get_node(path)
    parent, name = path.rsplit("/", 1)
    return h5file.create_group(_ensure_group(h5file, parent) if parent else h5file.root, name)


def copy_tree(source, target, tops=None, skip=()):
    """Copy groups and leaves of ``source`` into ``target`` (open `tables.File` s).

    Parameters
    ----------
    source, target : tables.File
    tops : sequence of str, optional
        Top-level paths to copy (missing ones are ignored); every top-level node if None.
    skip : iterable of str
        Node paths left out, with everything below them.

    Leaves are copied by PyTables in chunks (bounded memory); groups are created as needed.
    """
    skip = set(skip)

    def copy(node):
        path = node._v_pathname
        if path in skip:
            return
        if hasattr(node, "_f_iter_nodes"):
            for child in node._f_iter_nodes():
                copy(child)
            return
        parent = path.rsplit("/", 1)[0] or "/"
        node._f_copy(newparent=target.root if parent == "/" else _ensure_group(target, parent),
                     newname=node._v_name)

    nodes = (source.root._f_iter_nodes() if tops is None
             else (source.get_node(top) for top in tops if top in source))
    for node in nodes:
        copy(node)


def column_metadata(table):
    """Column metadata of a PyTables table written with the CTAFIELD convention.

    Returns
    -------
    dict
        Column name -> dict with lower-case keys present in the file (``unit``,
        ``description``, ``transform``, ``time_format``, ``time_scale``, ``maxlen``,
        ``unit_label``, ...).
    """
    attrs = table.attrs
    names = set(attrs._v_attrnamesuser)
    out = {}
    for name, description in table.coldescrs.items():
        meta = {}
        for key in _COLUMN_KEYS:  # only these: ctapipe's ENUM attributes are pickled classes
            full_key = f"CTAFIELD_{description._v_pos}_{key}"
            if full_key in names:
                value = attrs[full_key]
                meta[key.lower()] = value.item() if isinstance(value, np.generic) else value
        if "desc" in meta:
            meta["description"] = meta.pop("desc")
        out[name] = meta
    return out


def _table_meta(table):
    """Non-column table attributes (e.g. CAM_ID), as plain Python values."""
    attrs = table.attrs
    meta = {}
    for key in attrs._v_attrnamesuser:
        if not key.startswith("CTAFIELD_"):
            value = attrs[key]
            meta[key] = value.item() if isinstance(value, np.generic) else value
    return meta


def _get_table(h5file, table_path, file_path):
    if table_path not in h5file:
        found = dm.match_path(table_path)
        levels = file_data_levels(h5file)
        if found is not None and found[0].data_level in dm.DATA_LEVELS and found[0].data_level not in levels:
            held = ", ".join(levels) or "no data level"
            raise DataLevelError(file_path, f"has no table {table_path}: file holds {held}")
        raise InputFileError(file_path, f"has no table {table_path}")
    node = h5file.get_node(table_path)
    if not isinstance(node, tables.Table):
        raise InputFileError(file_path, f"{table_path} is a {type(node).__name__}, not a table")
    return node


def _select_fields(array, columns, table_path, file_path):
    if columns is None:
        return array
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in columns if c not in array.dtype.names]
    if missing:
        raise SchemaError(f"{file_path}: table {table_path} has no column(s) {', '.join(missing)}; "
                          f"it has {', '.join(array.dtype.names)}")
    return array[columns]


def _decoded(array):
    return np.char.decode(array, "utf-8") if array.dtype.kind == "S" else array


def _to_dataframe(array, meta, table_path):
    import pandas as pd

    data, units, time_columns = {}, {}, []
    for name in array.dtype.names:
        column, info = array[name], meta.get(name, {})
        transform = info.get("transform")
        if transform == "time":
            column = ctao_high_res_to_unix_tai(column)
            units[name] = "s"
            time_columns.append(name)
        elif transform == "string":
            column = _decoded(column)
        if column.ndim > 1:  # per-pixel / per-sample cells: one array per row
            column = list(column)
        data[name] = column
        unit = info.get("unit") or info.get("unit_label")
        if unit:
            units[name] = unit
    frame = pd.DataFrame(data)
    frame.attrs["units"] = units
    frame.attrs["time_columns"] = time_columns  # float seconds since 1970-01-01 TAI (astropy "unix_tai")
    frame.attrs["table_path"] = table_path
    return frame


def _to_qtable(array, meta, table_path, table_meta):
    import astropy.units as u
    from astropy.table import QTable

    result = QTable(meta=dict(table_meta, table_path=table_path))
    for name in array.dtype.names:
        column, info = array[name], meta.get(name, {})
        transform = info.get("transform")
        if transform == "time":
            result[name] = ctao_high_res_to_time(column)
        elif transform == "string":
            result[name] = _decoded(column)
        elif transform == "quantity" and info.get("unit"):
            result[name] = u.Quantity(column, info["unit"], copy=False)
        else:
            result[name] = column
        result[name].info.description = info.get("description")
        if info.get("unit_label"):
            result[name].info.meta = {"UNIT_LABEL": info["unit_label"]}
    return result


def _convert_output(array, table, table_path, as_):
    if as_ == "numpy":
        return array
    meta = column_metadata(table)
    if as_ == "dataframe":
        return _to_dataframe(array, meta, table_path)
    return _to_qtable(array, meta, table_path, _table_meta(table))


def _check_as(as_):
    if as_ not in _OUTPUT_KINDS:
        raise ValueError(f"as_ must be one of {_OUTPUT_KINDS}, got {as_!r}")


def _with_file(path_or_file, function):
    if isinstance(path_or_file, tables.File):
        return function(path_or_file, path_or_file.filename)
    with open_hdf5(path_or_file) as h5file:
        return function(h5file, path_or_file)


def read_table(path, table_path, columns=None, start=None, stop=None, as_="dataframe"):
    """Read (part of) one table.

    Parameters
    ----------
    path : path-like or tables.File
        Data file, or an already open file.
    table_path : str
        Table path inside the file, e.g. ``/dl1/event/telescope/parameters/tel_001``.
    columns : sequence of str, optional
        Columns to return (all by default).
    start, stop : int, optional
        Row range, as in a Python slice.
    as_ : {"dataframe", "qtable", "numpy"}
        ``"dataframe"``: pandas DataFrame, units in ``.attrs["units"]``, timestamps as
        float seconds since 1970-01-01 TAI (listed in ``.attrs["time_columns"]``; about
        0.2 us resolution), array cells as one ndarray per row.
        ``"qtable"``: astropy QTable with Quantity columns and `~astropy.time.Time`.
        ``"numpy"``: the stored structured array (strings as bytes, raw timestamps).

    Raises
    ------
    InputFileError
        Unusable file, or no table at ``table_path``.
    DataLevelError
        The table belongs to a data level the file does not hold.
    SchemaError
        A requested column does not exist.
    """
    _check_as(as_)

    def read(h5file, file_path):
        table = _get_table(h5file, table_path, file_path)
        array = _select_fields(table.read(start=start, stop=stop), columns, table_path, file_path)
        return _convert_output(array, table, table_path, as_)

    return _with_file(path, read)


def iter_table_chunks(path, table_path, chunk_size=100_000, columns=None, as_="dataframe"):
    """Iterate over a table in chunks of at most ``chunk_size`` rows.

    Parameters are as for `read_table`. The file stays open while the generator runs;
    memory use is bounded by one chunk.

    Yields
    ------
    DataFrame, QTable or numpy structured array
    """
    _check_as(as_)
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    with open_hdf5(path) if not isinstance(path, tables.File) else nullcontext(path) as h5file:
        file_path = h5file.filename
        table = _get_table(h5file, table_path, file_path)
        for start in range(0, table.nrows, chunk_size):
            array = table.read(start=start, stop=min(start + chunk_size, table.nrows))
            array = _select_fields(array, columns, table_path, file_path)
            yield _convert_output(array, table, table_path, as_)


# ----------------------------------------------------------------------------- joins


def _tel_ids_under(h5file, group):
    if group not in h5file:
        return []
    return sorted(dm.tel_id_from_table_name(name) for name in h5file.get_node(group)._v_children
                  if name.startswith("tel_"))


def _merge_units(*frames):
    units = {}
    for frame in frames:
        units.update(frame.attrs.get("units", {}))
    return units


def _join(left, right, keys, validate):
    import pandas as pd

    units = _merge_units(left, right)
    merged = pd.merge(left, right, on=list(keys), how="left", validate=validate, sort=False)
    merged.attrs = {"units": units}
    return merged


def _requested_tel_ids(available, tel_id, file_path, what):
    if tel_id is None:
        return available
    wanted = [int(tel_id)] if np.ndim(tel_id) == 0 else [int(t) for t in tel_id]
    missing = sorted(set(wanted) - set(available))
    if missing:
        raise InputFileError(file_path, f"has no {what} for telescope(s) {missing} "
                                        f"(it has {available or 'none'})")
    return wanted


def _dl2_telescope_tables(h5file, tel_id):
    """Paths of all DL2 telescope tables (all kinds and algorithms) of one telescope."""
    paths = []
    for kind in dm.DL2_TELESCOPE_KINDS:
        group = f"/dl2/event/telescope/{kind}"
        if group not in h5file:
            continue
        for algorithm in sorted(h5file.get_node(group)._v_children):
            path = f"{group}/{algorithm}/{dm.tel_table_name(tel_id)}"
            if path in h5file:
                paths.append(path)
    return paths


def read_telescope_events(path, tel_id=None, with_shower=True, with_dl2=False, columns=None):
    """DL1 image parameters of one, several or all telescopes, joined with shower truth.

    Parameters
    ----------
    path : path-like
        A file holding DL1 parameters.
    tel_id : int or sequence of int, optional
        Telescopes to read; all telescopes with a parameters table by default.
    with_shower : bool
        Join the simulated shower (``true_*`` columns) on (obs_id, event_id). The file
        must then hold simulation truth.
    with_dl2 : bool
        Also join every DL2 telescope table (all kinds and algorithms) present.
    columns : sequence of str, optional
        DL1 parameter columns to keep (index columns are always kept).

    Returns
    -------
    pandas.DataFrame
        One row per telescope event, ordered by telescope then file order; units in
        ``.attrs["units"]``.
    """
    import pandas as pd

    with open_hdf5(path, required_level="dl1") as h5file:
        group = "/dl1/event/telescope/parameters"
        tel_ids = _requested_tel_ids(_tel_ids_under(h5file, group), tel_id, path, "DL1 parameters")
        if not tel_ids:
            raise InputFileError(path, "holds no DL1 parameter tables")
        keep = None if columns is None else list(dict.fromkeys(("obs_id", "event_id", "tel_id", *columns)))
        frames = []
        for tid in tel_ids:
            frame = read_table(h5file, dm.DL1_PARAMETERS.path(tel_id=tid), columns=keep)
            if with_dl2:
                for dl2_path in _dl2_telescope_tables(h5file, tid):
                    frame = _join(frame, read_table(h5file, dl2_path), ("obs_id", "event_id", "tel_id"),
                                  "one_to_one")
            frames.append(frame)
        units = _merge_units(*frames)
        events = pd.concat(frames, ignore_index=True)
        events.attrs = {"units": units}
        if with_shower:
            events = _join(events, _read_shower(h5file, path), ("obs_id", "event_id"), "many_to_one")
    return events


def _read_shower(h5file, file_path):
    if dm.SHOWER_PATH not in h5file:
        raise DataLevelError(file_path, "has no simulated shower table "
                                        f"({dm.SHOWER_PATH}); use with_shower=False for observed data")
    return read_table(h5file, dm.SHOWER_PATH)


def _dl2_subarray_tables(h5file):
    paths = []
    for kind in dm.DL2_SUBARRAY_KINDS:
        group = f"/dl2/event/subarray/{kind}"
        if group in h5file:
            paths.extend(f"{group}/{name}" for name in sorted(h5file.get_node(group)._v_children))
    return paths


def read_subarray_events(path, with_shower=True, with_dl2=True):
    """One row per array event: trigger, DL2 reconstructions and shower truth.

    The base table is the array trigger (``/dl1/event/subarray/trigger``); files
    without one (simulation-only) use the shower table. A ``multiplicity`` column
    (number of triggered telescopes) is added next to ``tels_with_trigger``.

    Parameters
    ----------
    path : path-like
    with_shower : bool
        Join the simulated shower on (obs_id, event_id); requires simulation truth.
    with_dl2 : bool
        Join every DL2 subarray table (geometry, energy, classification; all algorithms).

    Returns
    -------
    pandas.DataFrame
        Units in ``.attrs["units"]``.
    """
    with open_hdf5(path) as h5file:
        if dm.DL1_SUBARRAY_TRIGGER_PATH in h5file:
            events = read_table(h5file, dm.DL1_SUBARRAY_TRIGGER_PATH)
            mask = np.stack(events["tels_with_trigger"].to_numpy()) if len(events) else np.zeros((0, 0), bool)
            events["multiplicity"] = mask.sum(axis=1).astype(np.int16)
            if with_shower:
                events = _join(events, _read_shower(h5file, path), ("obs_id", "event_id"), "one_to_one")
        elif dm.SHOWER_PATH in h5file:
            events = _read_shower(h5file, path)
        else:
            raise DataLevelError(path, "has neither an array trigger table nor simulated showers")
        if with_dl2:
            for dl2_path in _dl2_subarray_tables(h5file):
                events = _join(events, read_table(h5file, dl2_path), ("obs_id", "event_id"), "one_to_one")
    return events
