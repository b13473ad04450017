"""Reading YAML configuration files with clear errors (one place for every command)."""
from pathlib import Path

from ..errors import ConfigurationError, InputFileError

__all__ = ["read_yaml_mapping"]


def read_yaml_mapping(path):
    """The top-level mapping of a YAML file.

    Raises
    ------
    InputFileError
        The file does not exist or is not valid YAML.
    ConfigurationError
        The top level is not a mapping.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "configuration file does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise InputFileError(path, f"not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: expected a mapping at the top level")
    return data
