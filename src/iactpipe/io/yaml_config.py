"""Reading YAML configuration files with clear errors (one place for every command)."""
from pathlib import Path

from ..errors import ConfigurationError, InputFileError

__all__ = ["read_yaml_mapping", "load_config_file"]


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


def load_config_file(path, config_class):
    """``config_class(mapping)`` of the YAML file ``path``; ``config_class()`` if ``path`` is None.

    A `ConfigurationError` of the class is raised again with the file name in front.
    """
    if path is None:
        return config_class()
    data = read_yaml_mapping(path)
    try:
        return config_class(data)
    except ConfigurationError as error:
        raise ConfigurationError(f"{path}: {error}") from None
