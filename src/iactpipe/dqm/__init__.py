"""Data-quality monitoring: per-run summaries from DL1 (and R0) and outliers across runs.

* `summarize_run` measures one run (`RunSummary`, JSON-serialisable);
* `find_outliers` compares every run with the ensemble of the others;
* `iactpipe.dqm.plots` draws the per-run plots from a summary (pure functions).

The command line is ``iactpipe dqm run`` / ``iactpipe dqm compare``.
"""
from .outliers import OutlierThresholds, find_outliers, write_outlier_tables
from .summary import RunSummary, summarize_run

__all__ = ["RunSummary", "summarize_run", "OutlierThresholds", "find_outliers", "write_outlier_tables"]
