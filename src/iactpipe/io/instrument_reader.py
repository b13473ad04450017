"""Read the instrument description from any supported file, chosen by content.

sim_telarray (EventIO, possibly gzip/zstd compressed) files go through
`iactpipe.io.simtel.read_subarray`, iactpipe/ctapipe HDF5 files through
`iactpipe.io.instrument_io.read_subarray_hdf5`. The file's first bytes decide, not its
name, so a renamed file still works and a wrong one gets a message saying what it is.
"""
from .checks import raw_input_kind

__all__ = ["read_instrument"]


def read_instrument(path, focal_length_choice="effective"):
    """The `SubarrayDescription` stored in ``path`` (sim_telarray or HDF5).

    Parameters
    ----------
    path : str or Path
        Input file.
    focal_length_choice : {"effective", "equivalent"}
        For sim_telarray files: which focal length image analysis uses (effective falls
        back to equivalent where the file has none).

    Raises
    ------
    InputFileError
        If the file is missing, empty, of another format or does not hold an instrument.
    """
    if raw_input_kind(path, "read an instrument") == "hdf5":
        from .instrument_io import read_subarray_hdf5

        return read_subarray_hdf5(path)
    from .simtel import read_subarray

    return read_subarray(path, focal_length_choice=focal_length_choice)
