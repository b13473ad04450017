"""IRFs, sensitivity and DL3: from simulated DL2 events to GADF science products.

pyirf does the IRF arithmetic, the sensitivity and most GADF HDUs; this package owns the
glue: reading DL2 files into pyirf's column contract (`events`), weighting mixed simulation
productions (`weighting`), choosing cuts (`cuts`), the BKG_3D HDU (`irfs`), simulated DL3
observations with index tables (`dl3`) and the configuration (`config`). Command-line entry
points: ``iactpipe irf`` (`pipeline.make_irfs`) and ``iactpipe dl3`` (`dl3.make_dl3`).
See ``docs/irf.md``.
"""
from .config import DEFAULT_CONFIG, load_config
from .dl3 import make_dl3, simulate_observation
from .events import read_dl2_events, read_many, read_runs
from .pipeline import make_irfs
from .weighting import Production, calculate_weights, effective_area, group_productions

__all__ = [
    "DEFAULT_CONFIG", "load_config", "read_dl2_events", "read_runs", "read_many", "Production",
    "group_productions", "calculate_weights", "effective_area", "make_irfs", "make_dl3", "simulate_observation",
]
