"""Input-file checks: every way an input can be unusable becomes one clear error.

`open_hdf5` is the single entry point readers use to open an iactpipe/ctapipe HDF5
file. Before HDF5 ever sees the file it checks that the path exists, is a regular,
readable, non-empty file and carries the HDF5 signature; otherwise it sniffs what the
file is instead (gzip, zstd, sim_telarray/EventIO, FITS, text) so that the message can
say so. After opening, it checks that the file holds known iactpipe/ctapipe groups and,
if asked, the data level a stage needs. Every failure raises `InputFileError` (or its
subclass `DataLevelError`) whose message starts with the file name.
"""
from contextlib import contextmanager
import logging
import os
from pathlib import Path

from ..errors import DataLevelError, InputFileError
from .datamodel import DATA_LEVELS, data_levels_from_paths

__all__ = [
    "HDF5_SIGNATURE",
    "KNOWN_GROUPS",
    "REQUIRABLE_LEVELS",
    "sniff_format",
    "raw_input_kind",
    "open_hdf5",
    "check_data_file",
    "table_paths",
    "file_data_levels",
]

log = logging.getLogger(__name__)

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Top-level groups of iactpipe/ctapipe data files.
KNOWN_GROUPS = frozenset({"configuration", "simulation"} | set(DATA_LEVELS))
#: Levels `open_hdf5` can be asked for: the data levels plus simulation truth.
REQUIRABLE_LEVELS = DATA_LEVELS + ("simulation",)

# EventIO's sync marker 0xD41F8A37, as written by little- and big-endian machines.
_EVENTIO_MARKERS = (b"\x37\x8a\x1f\xd4", b"\xd4\x1f\x8a\x37")
_COMPRESSION_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_FORMAT_TEXT = {
    "eventio": "a sim_telarray/EventIO file, not an HDF5 file (convert it with `iactpipe process` first)",
    "gzip": "a gzip-compressed file, not an HDF5 file",
    "zstd": "a zstd-compressed file, not an HDF5 file",
    "bzip2": "a bzip2-compressed file, not an HDF5 file",
    "xz": "an xz-compressed file, not an HDF5 file",
    "fits": "a FITS file, not an HDF5 file",
    "text": "a text file, not an HDF5 file",
    "unknown": "not an HDF5 file (no HDF5 signature)",
}


def _has_hdf5_signature(path, size):
    # The superblock sits at offset 0 or, after a user block, at 512 * 2**k.
    offsets = [0] + [512 << k for k in range(20) if (512 << k) + 8 <= size]
    with open(path, "rb") as stream:
        for offset in offsets:
            stream.seek(offset)
            if stream.read(8) == HDF5_SIGNATURE:
                return True
    return False


def _decompressed_head(path, compression, n_bytes=8):
    """First bytes of a compressed file's content, or b'' if they cannot be read."""
    try:
        if compression == "gzip":
            import gzip

            with gzip.open(path, "rb") as stream:
                return stream.read(n_bytes)
        if compression == "zstd":
            import zstandard  # optional; comes with eventio

            with open(path, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as stream:
                return stream.read(n_bytes)
        if compression == "bzip2":
            import bz2

            with bz2.open(path, "rb") as stream:
                return stream.read(n_bytes)
        if compression == "xz":
            import lzma

            with lzma.open(path, "rb") as stream:
                return stream.read(n_bytes)
    except Exception:  # a corrupt compressed stream is still "a gzip file" for the message
        return b""
    return b""


def _looks_like_text(head):
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # a multi-byte character cut by the end of the sniffed block is still text
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True


def sniff_format(path):
    """Guess what kind of file ``path`` is from its first bytes.

    Returns
    -------
    str
        ``"hdf5"``, ``"eventio"``, ``"gzip+eventio"`` (or zstd/bzip2/xz + eventio),
        ``"gzip"``, ``"zstd"``, ``"bzip2"``, ``"xz"``, ``"fits"``, ``"text"``,
        ``"empty"`` or ``"unknown"``.
    """
    size = os.path.getsize(path)
    if size == 0:
        return "empty"
    if _has_hdf5_signature(path, size):
        return "hdf5"
    with open(path, "rb") as stream:
        head = stream.read(4096)
    if head[:4] in _EVENTIO_MARKERS:
        return "eventio"
    for magic, compression in _COMPRESSION_MAGIC:
        if head.startswith(magic):
            inner = _decompressed_head(path, compression)
            return f"{compression}+eventio" if inner[:4] in _EVENTIO_MARKERS else compression
    if head.startswith(b"SIMPLE  ="):
        return "fits"
    if _looks_like_text(head):
        return "text"
    return "unknown"


def raw_input_kind(path, purpose):
    """``"hdf5"`` or ``"simtel"``: which reader handles ``path``, judged by content.

    Parameters
    ----------
    path : path-like
    purpose : str
        What the caller wants from the file, for the message (e.g. "read events").

    Raises
    ------
    InputFileError
        Missing, a directory, empty, or neither HDF5 nor sim_telarray (EventIO).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file does not exist")
    if path.is_dir():
        raise InputFileError(path, "is a directory, not a file")
    kind = sniff_format(path)
    if kind == "hdf5":
        return "hdf5"
    if kind == "eventio" or kind.endswith("+eventio"):
        return "simtel"
    if kind == "empty":
        raise InputFileError(path, "file is empty (0 bytes)")
    raise InputFileError(path, f"cannot {purpose} from this file: it is {kind!r}, expected an "
                               "iactpipe HDF5 file or a sim_telarray (EventIO) file")


def _format_problem(kind):
    if kind.endswith("+eventio"):
        compression = kind.split("+")[0]
        return (f"a {compression}-compressed sim_telarray/EventIO file, not an HDF5 file "
                "(convert it with `iactpipe process` first)")
    return _FORMAT_TEXT[kind]


def _check_path(path):
    """Raise `InputFileError` unless ``path`` is a readable, non-empty HDF5 file."""
    if not path.exists():
        raise InputFileError(path, "file does not exist")
    if path.is_dir():
        raise InputFileError(path, "is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise InputFileError(path, "file is not readable (permission denied)")
    kind = sniff_format(path)
    if kind == "empty":
        raise InputFileError(path, "file is empty (0 bytes); the job that wrote it probably failed")
    if kind != "hdf5":
        raise InputFileError(path, _format_problem(kind))


def _short_hdf5_reason(error):
    """The most telling line of a (long) HDF5 error back trace."""
    text = str(error)
    for line in text.splitlines():
        if "truncated" in line.lower():
            return line.strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def table_paths(h5file):
    """Paths of all tables and arrays in an open `tables.File`, sorted.

    Read from the groups' lists of leaf names: loading every leaf node (as `walk_nodes`
    does) builds PyTables' description of each table, ~3 ms apiece, and this runs at
    every `open_hdf5` (0.28 s for a DL1 file of 10 telescopes, 0.48 s for a DL2 file).
    """
    return sorted(f"{group._v_pathname.rstrip('/')}/{name}" for group in h5file.walk_groups()
                  for name in group._v_leaves)


def file_data_levels(h5file, include_simulation=True):
    """Data levels holding at least one table in an open file.

    Parameters
    ----------
    h5file : tables.File
    include_simulation : bool
        Also report ``"simulation"`` when simulation-truth tables are present.

    Returns
    -------
    tuple of str
        Levels in processing order (`DATA_LEVELS`), then ``"simulation"``.
    """
    paths = table_paths(h5file)
    levels = data_levels_from_paths(paths)
    if include_simulation and any(p.startswith("/simulation/") for p in paths):
        levels = levels + ("simulation",)
    return levels


def _normalise_required(required_level):
    if required_level is None:
        return ()
    required = (required_level,) if isinstance(required_level, str) else tuple(required_level)
    for level in required:
        if level not in REQUIRABLE_LEVELS:
            raise ValueError(f"unknown data level {level!r}; expected one of {REQUIRABLE_LEVELS}")
    return required


def _check_contents(path, h5file, required):
    top_level = set(h5file.root._v_children)
    if not top_level & KNOWN_GROUPS:
        found = ", ".join(sorted(top_level)) or "nothing"
        raise InputFileError(path, f"is an HDF5 file but not an iactpipe/ctapipe data file "
                                   f"(no known groups; top level holds: {found})")
    levels = file_data_levels(h5file)
    missing = [level for level in required if level not in levels]
    if missing:
        held = ", ".join(levels) if levels else "no data level (configuration only)"
        raise DataLevelError(path, f"holds {held}, but {' and '.join(missing)} is required")


@contextmanager
def open_hdf5(path, required_level=None, mode="r"):
    """Open an iactpipe/ctapipe HDF5 data file, or fail with one clear message.

    Parameters
    ----------
    path : str or os.PathLike
        File to open.
    required_level : str or sequence of str, optional
        Data level(s) the caller needs (``"r0"``, ``"r1"``, ``"dl1"``, ``"dl2"``,
        ``"simulation"``, ...).
    mode : str
        ``"r"`` (default) or ``"a"``.

    Yields
    ------
    tables.File
        The open file; closed when the block exits.

    Raises
    ------
    InputFileError
        Missing, unreadable, empty, not HDF5 (with a guess of what it is instead),
        truncated or corrupt, or HDF5 without iactpipe/ctapipe groups.
    DataLevelError
        The file lacks ``required_level``; the message lists the levels it holds.
    """
    import tables

    path = Path(path)
    required = _normalise_required(required_level)
    _check_path(path)
    try:
        h5file = tables.open_file(str(path), mode=mode)
    except (tables.HDF5ExtError, OSError, ValueError) as error:
        raise InputFileError(path, f"truncated or corrupt HDF5 file, cannot be opened "
                                   f"({_short_hdf5_reason(error)})") from error
    try:
        _check_contents(path, h5file, required)
        try:
            yield h5file
        except tables.HDF5ExtError as error:
            # metadata was readable but a data chunk is not: corrupt or partly overwritten
            raise InputFileError(path, f"corrupt HDF5 data ({_short_hdf5_reason(error)})") from error
    finally:
        h5file.close()


def check_data_file(path, required_level=None):
    """Check that ``path`` is a usable data file and return its data levels.

    Same checks as `open_hdf5`; the file is closed again.

    Returns
    -------
    tuple of str
        Levels held by the file, including ``"simulation"`` if it has simulation truth.
    """
    with open_hdf5(path, required_level=required_level) as h5file:
        levels = file_data_levels(h5file)
    log.debug("checked %s: levels %s", path, levels)
    return levels
