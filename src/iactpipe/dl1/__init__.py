"""R0 -> DL1 processing: configuration (`iactpipe.dl1.config`) and the streaming processor
(`iactpipe.dl1.processor`, behind ``iactpipe process``)."""
from .config import ProcessConfig, load_config, load_preset
from .processor import ProcessSummary, process_file

__all__ = ["ProcessConfig", "load_config", "load_preset", "process_file", "ProcessSummary"]
